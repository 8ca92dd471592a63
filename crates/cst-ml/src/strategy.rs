//! The built-in `ml-ensemble` strategy: a trained [`Model`] driving the engine through
//! [`SignalModel`], one [`MlEnsemble`] per pair, all sharing one [`MlEnsembleGroup`].
//!
//! Per bar and pair: the bar joins a bounded, gap-free window of that pair's candles (a missing
//! interval empties the window, nothing is ever filled), the causal feature row of the bar is
//! computed, the chosen horizon's stack predicts, its probability goes through the model's online
//! recalibrator, and the cst-ml [`Gate`] decides on it with the drift alarms of the moment. The
//! prices are rebuilt from the bar's exact ticks the way [`Series::from_rows`] converts the store's
//! decimals, so the static (calibrated) probability and the stacked score are bit-for-bit the ones
//! `cst signals` computes for the same candle.
//!
//! Drift and recalibration follow [`crate::evaluation::score_rows`] (`cst evaluate` /
//! `cst signals`), but online: each UTC day is judged once, on the feature rows of all pairs from
//! the `drift_window_days` days before it, against the model's training references (with their
//! null limits); the rolling Brier decay (against the held-out block's null ratio) hears each
//! traded prediction's recalibrated probability once its label resolves, and the one online
//! recalibrator of the horizon hears its static probability at the same moment. Warm-up bars
//! (before the traded period) of rows no fitted part of the model saw (decision time from
//! [`HorizonModel::unseen_from`] on) also predict, and their outcomes warm the recalibrator up; when
//! trading starts at decision time `T0`, warm-up outcomes ending after `T0` are dropped, as
//! `score_rows` only warms up on outcomes known at its first row. All that state is pooled over
//! the pairs, as the references were fitted on pooled rows.
//!
//! One difference from the batch path cannot be removed in a stream: the batch path observes every
//! outcome ending at `T` before the first decision at `T`, but a bar stream delivers the pairs'
//! candles closing at `T` one after the other (merge order: by pair), and the outcome of pair B's
//! label ending at `T` needs B's close at `T`. So at an instant where a later pair has an outcome
//! ending, the earlier pairs decide with the recalibrator (and Brier window) one step short of
//! `cst signals`: their recalibrated probability differs in the last bits, and a Brier-decay alarm
//! could flip one bar apart. The last pair of each instant decides exactly as `cst signals`.
//! Triple-barrier labels resolve here at the horizon's close (whether the label exists at all
//! depends on the candles up to then), where the batch path observes them at the barrier touch.
//!
//! Position rule (long/flat): a gated pass opens a long target (`fraction` 1, `confidence` = the
//! calibrated p, `payoff` from the conformal return interval net of fees); a pass while long only
//! extends the holding. The position is closed (flat target, a rule signal the engine's gate lets
//! through) when `horizon` candles have passed since the last pass — the span the model's claim is
//! about — or earlier when the conformal set holds the losing class alone.

use crate::MlError;
use crate::conformal::ClassSet;
use crate::drift::{self, BrierDecay, DriftLimits, Reference};
use crate::features::{self, WARMUP};
use crate::gate::{Decision, Gate, Refusal};
use crate::labels::{self, Fee, LabelKind, Side};
use crate::pipeline::{HorizonModel, Model, Prediction};
use crate::recalibration::OnlineRecalibrator;
use crate::series::Series;
use cst_core::event::{Bar, PriceScale};
use cst_core::strategy::{BarView, SignalModel, Target};
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

const DAY_SECS: i64 = 86_400;
const NS: i64 = 1_000_000_000;
/// Fewer pooled feature rows than this in the drift window is itself an alarm (as in
/// `evaluation::daily_feature_alarms`): drift cannot be ruled out on so little data.
pub const DRIFT_MIN_ROWS: usize = 100;
/// Gated passes below which the hit rate is called not meaningful (as in `cst evaluate`).
pub const MIN_PASSED: u64 = 30;

/// Settings of the strategy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MlEnsembleConfig {
    /// Horizon (candles) whose stack trades; `None` = the model's first, as `cst signals`.
    pub horizon: Option<usize>,
    /// The confidence gate (default: the model's own, threshold 0.80).
    pub gate: Option<Gate>,
    /// Days of feature rows before each day that drift is judged on.
    pub drift_window_days: i64,
}

impl Default for MlEnsembleConfig {
    fn default() -> Self {
        Self { horizon: None, gate: None, drift_window_days: 7 }
    }
}

/// What the gate saw and let through, for reports (`ml_gate` in `report.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GateReport {
    /// Horizon traded, in candles.
    pub horizon: usize,
    /// Minimum calibrated probability.
    pub threshold: f64,
    /// Bars seen while trading (warm-up bars are not counted).
    pub bars: u64,
    /// Bars without a feature row (window still filling after the start or a gap).
    pub no_features: u64,
    /// Missing candle intervals that emptied a pair's window.
    pub gap_resets: u64,
    /// Predictions judged by the gate (= passed + refused).
    pub signals_seen: u64,
    /// Signals that passed.
    pub passed: u64,
    /// Signals refused.
    pub refused: u64,
    /// Refusals per reason (`low_confidence`, `ambiguous_set`, `set_says_lose`, `drift`, and
    /// `drift:<alarm>` per alarm); a refusal with several reasons counts under each.
    pub refusals: BTreeMap<String, u64>,
    /// Refused signals per exact combination of reasons (`ambiguous_set+low_confidence`); sums to
    /// `refused`.
    pub refusal_combinations: BTreeMap<String, u64>,
    /// Mean stated confidence of the passed signals.
    pub mean_confidence_passed: Option<f64>,
    /// Passed signals whose label has resolved.
    pub passed_resolved: u64,
    /// Of those, the ones that won by the model's own label rule (net of fees when the model's
    /// labels charge them).
    pub passed_won: u64,
    /// `passed_won / passed_resolved`: the realised hit rate of the gated signals.
    pub signal_hit_rate: Option<f64>,
    /// Long targets opened.
    pub entries: u64,
    /// Flat targets after `horizon` candles without a new pass.
    pub exits_horizon: u64,
    /// Flat targets because the conformal set held the losing class alone.
    pub exits_set_says_lose: u64,
    /// Plain-language verdict on what passed.
    pub note: String,
}

/// One judged bar (for parity checks and traces).
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Decision time: the candle's close, seconds UTC.
    pub time: i64,
    /// The prediction, its probability recalibrated online (the one the gate judged).
    pub prediction: Prediction,
    /// The static calibrator's probability, before the online correction.
    pub p_static: f64,
    /// The gate's verdict.
    pub decision: Decision,
}

/// Pooled feature-drift state: one verdict per UTC day from the rows of the days before it.
#[derive(Debug)]
struct FeatureDrift {
    refs: Vec<Reference>,
    limits: DriftLimits,
    window_days: i64,
    rows: VecDeque<(i64, Vec<f64>)>,
    day: Option<i64>,
    alarms: Vec<String>,
}

impl FeatureDrift {
    /// The alarms for a decision at `time`; rows pushed so far all precede its day when it is new.
    fn alarms_at(&mut self, time: i64) -> &[String] {
        let day = time.div_euclid(DAY_SECS);
        if self.day != Some(day) {
            let (lo, hi) = ((day - self.window_days) * DAY_SECS, day * DAY_SECS);
            while self.rows.front().is_some_and(|(t, _)| *t < lo) {
                self.rows.pop_front();
            }
            let rows: Vec<&[f64]> = self.rows.iter().filter(|(t, _)| *t < hi).map(|(_, r)| r.as_slice()).collect();
            self.alarms = if rows.len() < DRIFT_MIN_ROWS {
                vec!["drift_window_too_short".to_string()]
            } else {
                drift::feature_alarms(&self.refs, &rows, self.limits)
            };
            self.day = Some(day);
        }
        &self.alarms
    }
}

/// State shared by the pairs of one run.
#[derive(Debug)]
struct Shared {
    model: HorizonModel,
    gate: Gate,
    fee: Fee,
    side: Side,
    kind: LabelKind,
    drift: FeatureDrift,
    decay: BrierDecay,
    /// The horizon's online recalibrator, fed (static p, outcome) as labels resolve.
    online: OnlineRecalibrator,
    /// Decision time of the first traded bar: warm-up outcomes ending later are never observed.
    trading_from: Option<i64>,
    /// Until the first traded decision: the latest warm-up outcomes (static p, win), at most the
    /// recalibrator's window, observed all at once then. `score_rows` warms up on the latest
    /// `window` known outcomes only, and observing older ones first would shift the refit steps.
    warm_outcomes: Option<VecDeque<(f64, bool)>>,
    report: GateReport,
    confidence_sum: f64,
}

impl Shared {
    fn record(&mut self, decision: &Decision) {
        let r = &mut self.report;
        r.signals_seen += 1;
        match decision {
            Decision::Pass { confidence } => {
                r.passed += 1;
                self.confidence_sum += confidence;
            }
            Decision::Refuse(why) => {
                r.refused += 1;
                let mut keys: Vec<&str> = Vec::with_capacity(why.len());
                for reason in why {
                    let key = reason_key(reason);
                    keys.push(key);
                    *r.refusals.entry(key.to_string()).or_insert(0) += 1;
                    if let Refusal::Drift { alarms } = reason {
                        for a in alarms {
                            let name = a.split('=').next().unwrap_or(a);
                            *r.refusals.entry(format!("drift:{name}")).or_insert(0) += 1;
                        }
                    }
                }
                keys.sort_unstable();
                *r.refusal_combinations.entry(keys.join("+")).or_insert(0) += 1;
            }
        }
    }
}

fn reason_key(r: &Refusal) -> &'static str {
    match r {
        Refusal::LowConfidence { .. } => "low_confidence",
        Refusal::AmbiguousSet { .. } => "ambiguous_set",
        Refusal::SetSaysLose => "set_says_lose",
        Refusal::Drift { .. } => "drift",
    }
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // A panic elsewhere cannot leave the counters half-updated in a way that matters more than
    // losing the report, so a poisoned lock is still read.
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

/// One model and its pooled gate state; hands out one [`MlEnsemble`] per pair.
#[derive(Debug, Clone)]
pub struct MlEnsembleGroup {
    shared: Arc<Mutex<Shared>>,
    name: String,
    /// The model's registry id.
    id: String,
    horizon: usize,
    interval_secs: i64,
}

impl MlEnsembleGroup {
    /// Checks the model against this build's feature pipeline and picks the horizon. `id` names
    /// the model in reports; `interval_secs` is the candle length the model was trained on.
    pub fn new(id: &str, model: &Model, interval_secs: i64, config: MlEnsembleConfig) -> Result<Self, MlError> {
        model.check_features(&features::names())?;
        if model.config.labels.side != Side::Long {
            return Err(MlError::Config("ml-ensemble trades long/flat; this model scores short trades".into()));
        }
        let hs: Vec<usize> = model.horizons.iter().map(|h| h.horizon).collect();
        let k = match config.horizon {
            None => 0,
            Some(h) => hs
                .iter()
                .position(|&x| x == h)
                .ok_or_else(|| MlError::Config(format!("model has horizons {hs:?}, not {h}")))?,
        };
        let hm = model.horizons.get(k).ok_or_else(|| MlError::BadModel("model has no horizon".into()))?.clone();
        if config.drift_window_days < 1 {
            return Err(MlError::Config("drift window must be at least one day".into()));
        }
        let gate = config.gate.unwrap_or(model.config.gate);
        let horizon = hm.horizon;
        let report = GateReport { horizon, threshold: gate.threshold, ..GateReport::default() };
        let shared = Shared {
            decay: BrierDecay::with_null(hm.holdout_brier, hm.holdout_brier_null_ratio, model.config.drift),
            online: hm.online_recalibrator(),
            trading_from: None,
            warm_outcomes: Some(VecDeque::new()),
            model: hm,
            gate,
            fee: model.config.labels.fee,
            side: model.config.labels.side,
            kind: model.config.labels.kind,
            drift: FeatureDrift {
                refs: model.drift_refs.clone(),
                limits: model.config.drift,
                window_days: config.drift_window_days,
                rows: VecDeque::new(),
                day: None,
                alarms: Vec::new(),
            },
            report,
            confidence_sum: 0.0,
        };
        Ok(Self {
            shared: Arc::new(Mutex::new(shared)),
            name: format!("ml-ensemble({id},h={horizon})"),
            id: id.to_string(),
            horizon,
            interval_secs,
        })
    }

    /// The strategy for one pair; `scale` is the price scale of that pair's bars.
    pub fn strategy(&self, pair: &str, scale: PriceScale) -> MlEnsemble {
        MlEnsemble {
            name: self.name.clone(),
            id: self.id.clone(),
            shared: self.shared.clone(),
            scale,
            horizon: self.horizon,
            window: empty_series(pair, self.interval_secs),
            pending: VecDeque::new(),
            hold_until_ns: None,
            last: None,
        }
    }

    /// The gate statistics so far, with the plain-language note.
    pub fn report(&self) -> GateReport {
        let s = lock(&self.shared);
        let mut r = s.report.clone();
        r.mean_confidence_passed = (r.passed > 0).then(|| s.confidence_sum / r.passed as f64);
        r.signal_hit_rate = (r.passed_resolved > 0).then(|| r.passed_won as f64 / r.passed_resolved as f64);
        r.note = note(&r);
        r
    }

    /// The horizon traded, in candles.
    pub fn horizon(&self) -> usize {
        self.horizon
    }
}

fn note(r: &GateReport) -> String {
    if r.passed == 0 {
        format!(
            "no signal passed the gate (calibrated p >= {:.2}, single-class conformal set, no drift alarm) in {} \
             judged bars: the model made no trade",
            r.threshold, r.signals_seen
        )
    } else if r.passed < MIN_PASSED {
        format!("only {} signals passed the gate (fewer than {MIN_PASSED}): the hit rate is not meaningful", r.passed)
    } else {
        format!("{} signals passed the gate", r.passed)
    }
}

fn empty_series(pair: &str, interval_secs: i64) -> Series {
    Series {
        pair: pair.to_string(),
        interval_secs,
        open_time: Vec::new(),
        open: Vec::new(),
        high: Vec::new(),
        low: Vec::new(),
        close: Vec::new(),
        volume: Vec::new(),
        run_start: Vec::new(),
        run_end: Vec::new(),
        gaps: 0,
    }
}

/// The `ml-ensemble` strategy for one pair.
#[derive(Debug)]
pub struct MlEnsemble {
    name: String,
    id: String,
    shared: Arc<Mutex<Shared>>,
    scale: PriceScale,
    horizon: usize,
    /// The pair's latest candles, one gap-free run.
    window: Series,
    /// Predictions awaiting their label.
    pending: VecDeque<Pending>,
    /// While long: the bar close time (ns) at which the position's signal ends.
    hold_until_ns: Option<i64>,
    last: Option<Observation>,
}

/// A prediction awaiting its label.
#[derive(Debug, Clone, Copy)]
struct Pending {
    /// Window index of the decision candle.
    index: usize,
    /// The probability the gate judged (recalibrated): what the Brier decay scores.
    p: f64,
    /// The static probability: what the online recalibrator observes.
    p_static: f64,
    /// Predicted during warm-up: its outcome only warms the recalibrator up.
    warm: bool,
    passed: bool,
    /// The causal volatility at the decision (the triple barrier's unit).
    vol: f64,
}

/// Whether a bar may trade or only warms the state up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    WarmUp,
    Trade,
}

impl MlEnsemble {
    /// Feeds a bar from before the traded period: fills the feature window and the drift
    /// window and warms the online recalibrator up on the outcomes of its static predictions;
    /// decides nothing and counts nothing. Feed all pairs' warm-up bars in time order;
    /// `scale` is the scale of this bar's ticks (it may differ from the traded bars').
    pub fn warm_up(&mut self, bar: &Bar, scale: PriceScale) {
        self.step(bar, scale, Mode::WarmUp);
    }

    /// The last judged bar (None when the last bar had no feature row).
    pub fn last(&self) -> Option<&Observation> {
        self.last.as_ref()
    }

    fn step(&mut self, bar: &Bar, scale: PriceScale, mode: Mode) -> Option<Target> {
        self.last = None;
        let trading = mode == Mode::Trade;
        let reset = self.push(bar, scale);
        let now_ns = bar.stamp.exchange_ns;
        let arc = self.shared.clone();
        let mut shared = lock(&arc);
        if trading {
            shared.report.bars += 1;
            shared.report.gap_resets += u64::from(reset);
        }
        let i = self.window.len() - 1;
        if trading && shared.trading_from.is_none() {
            shared.trading_from = Some(self.window.close_time(i));
        }
        self.resolve(&mut shared, i);
        if trading && let Some(warm) = shared.warm_outcomes.take() {
            for (p_static, win) in warm {
                shared.online.observe(p_static, win);
            }
        }
        let Some(x) = features::row(&self.window, i) else {
            if trading {
                shared.report.no_features += 1;
            }
            return self.exit_if_due(&mut shared, now_ns, None);
        };
        let time = self.window.close_time(i);
        let mut alarms = shared.drift.alarms_at(time).to_vec();
        shared.drift.rows.push_back((time, x.clone()));
        let vol = features::NAMES.iter().position(|n| *n == features::VOL_FEATURE).map_or(f64::NAN, |k| x[k]);
        if !trading {
            // Only rows no fitted part of the model saw warm it up, as in `score_rows`: the
            // probabilities of training rows are in-sample and too sharp.
            if shared.model.online.enabled && time >= shared.model.unseen_from {
                let p = shared.model.predict(&x).p;
                self.pending.push_back(Pending { index: i, p, p_static: p, warm: true, passed: false, vol });
            }
            return None;
        }
        let fixed = shared.model.predict(&x);
        let prediction = shared.model.recalibrate(&fixed, &shared.online);
        alarms.extend(shared.decay.alarm());
        let decision = shared.gate.decide(prediction.p, prediction.set, &alarms);
        shared.record(&decision);
        let (p, p_static, passed) = (prediction.p, fixed.p, decision.passed());
        self.pending.push_back(Pending { index: i, p, p_static, warm: false, passed, vol });
        let target = if decision.passed() {
            self.enter(&mut shared, &prediction, now_ns)
        } else {
            self.exit_if_due(&mut shared, now_ns, Some(prediction.set))
        };
        self.last = Some(Observation { time, prediction, p_static, decision });
        target
    }

    /// Appends the bar to the window; a missing interval empties it first (returns true then).
    fn push(&mut self, bar: &Bar, scale: PriceScale) -> bool {
        let w = &mut self.window;
        let open = bar.open_time_ns.div_euclid(NS);
        let reset = w.open_time.last().is_some_and(|&t| open != t + w.interval_secs);
        if reset {
            *w = empty_series(&w.pair, w.interval_secs);
            self.pending.clear();
        }
        // Exactly the conversion `Series::from_rows` applies to the store's decimals.
        let f = |ticks: i64| scale.to_decimal(ticks).to_f64().unwrap_or(f64::NAN);
        w.open_time.push(open);
        w.open.push(f(bar.open));
        w.high.push(f(bar.high));
        w.low.push(f(bar.low));
        w.close.push(f(bar.close));
        w.volume.push(bar.volume);
        w.run_start.push(0);
        w.run_end.push(0);
        let last = w.len() - 1;
        w.run_end.fill(last);
        self.compact();
        reset
    }

    /// Keeps the window bounded: the feature window plus the pending labels' span.
    fn compact(&mut self) {
        let keep = WARMUP + self.horizon + 1;
        let w = &mut self.window;
        if w.len() < 4 * keep {
            return;
        }
        let drop = w.len() - keep;
        for col in [&mut w.open, &mut w.high, &mut w.low, &mut w.close, &mut w.volume] {
            col.drain(..drop);
        }
        w.open_time.drain(..drop);
        w.run_start.truncate(keep);
        w.run_end.truncate(keep);
        w.run_end.fill(keep - 1);
        self.pending.retain(|p| p.index >= drop);
        self.pending.iter_mut().for_each(|p| p.index -= drop);
    }

    /// Labels that end at candle `i` feed the online recalibrator, and those of traded bars the
    /// Brier decay and the passed signals' hit rate.
    fn resolve(&mut self, shared: &mut Shared, i: usize) {
        while let Some(&Pending { index: j, p, p_static, warm, passed, vol }) = self.pending.front() {
            if j + self.horizon > i {
                break;
            }
            self.pending.pop_front();
            let (w, h) = (&self.window, self.horizon);
            let label = match shared.kind {
                LabelKind::NetDirection => labels::net_direction(w, j, h, shared.fee, shared.side),
                LabelKind::TripleBarrier { width } => {
                    labels::triple_barrier(w, j, h, vol, width, shared.fee, shared.side)
                }
            };
            let Some(label) = label else { continue };
            if warm {
                // As `score_rows`' warm-up: only outcomes known at the first traded decision.
                let end = w.close_time(j + h);
                if shared.trading_from.is_none_or(|t0| end <= t0) {
                    let window = shared.model.online.window;
                    match shared.warm_outcomes.as_mut() {
                        Some(buf) => {
                            buf.push_back((p_static, label.win));
                            if buf.len() > window {
                                buf.pop_front();
                            }
                        }
                        None => shared.online.observe(p_static, label.win),
                    }
                }
                continue;
            }
            shared.decay.push(p, label.win);
            shared.online.observe(p_static, label.win);
            if passed {
                shared.report.passed_resolved += 1;
                shared.report.passed_won += u64::from(label.win);
            }
        }
    }

    fn enter(&mut self, shared: &mut Shared, prediction: &Prediction, now_ns: i64) -> Option<Target> {
        let until = now_ns + self.horizon as i64 * self.window.interval_secs * NS;
        let was_flat = self.hold_until_ns.is_none();
        self.hold_until_ns = Some(until);
        if !was_flat {
            return None;
        }
        shared.report.entries += 1;
        let payoff = payoff(prediction.return_interval, shared.fee);
        Some(Target { fraction: 1.0, confidence: Some(prediction.p), payoff: Some(payoff) })
    }

    fn exit_if_due(&mut self, shared: &mut Shared, now_ns: i64, set: Option<ClassSet>) -> Option<Target> {
        let until = self.hold_until_ns?;
        let says_lose = set.is_some_and(|s| s.lose && !s.win);
        if now_ns < until && !says_lose {
            return None;
        }
        self.hold_until_ns = None;
        if now_ns >= until {
            shared.report.exits_horizon += 1;
        } else {
            shared.report.exits_set_says_lose += 1;
        }
        Some(Target::rule(0.0))
    }
}

/// Win/loss ratio for Kelly sizing: the gain at the conformal interval's upper bound over the loss
/// at its lower bound, both after the round-trip taker fee (0 when either side is not a gain/loss,
/// which sizes the position at zero).
pub fn payoff((lo, hi): (f64, f64), fee: Fee) -> f64 {
    let gain = hi.exp() * (1.0 - fee.taker) - (1.0 + fee.taker);
    let loss = (1.0 + fee.taker) - lo.exp() * (1.0 - fee.taker);
    if gain > 0.0 && loss > 0.0 { gain / loss } else { 0.0 }
}

impl SignalModel for MlEnsemble {
    fn name(&self) -> &str {
        &self.name
    }

    fn version(&self) -> Option<&str> {
        Some(&self.id)
    }

    fn on_bar(&mut self, bar: &BarView) -> Option<Target> {
        self.step(&bar.bar, self.scale, Mode::Trade)
    }
}
