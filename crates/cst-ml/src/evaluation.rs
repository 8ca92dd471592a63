//! Out-of-sample scoring of a horizon model: calibration metrics, conformal coverage (split, ACI and
//! per regime), the return interval's coverage and the confidence gate's realised hit rate. Drift
//! alarms are computed causally: each day is judged on the features of the days before it, and
//! Brier decay only on outcomes already resolved at the decision time.

use crate::conformal::{Adaptive, ClassSet};
use crate::dataset::Dataset;
use crate::drift::{self, BrierDecay, DriftLimits, Reference};
use crate::gate::{Decision, Gate, Refusal};
use crate::metrics::{self, ReliabilityBin};
use crate::pipeline::{HorizonModel, Prediction};
use crate::recalibration::OnlineRecalibrator;
use crate::regime::N_REGIMES;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// Bins of the ECE and the reliability table.
pub const ECE_BINS: usize = 10;
/// Gated signals below which the hit rate is reported as not meaningful.
pub const MIN_GATED: usize = 30;
const DAY_SECS: i64 = 86_400;
/// Bootstrap resamples of the ECE interval, and their fixed seed (reports are deterministic).
const ECE_RESAMPLES: usize = 1_000;
const ECE_SEED: u64 = 0x00EC_E000;
/// Step size of adaptive conformal inference, and the resolved outcomes it needs before its own
/// quantile replaces the split one.
const ACI_GAMMA: f64 = 0.005;
const ACI_MIN_SCORES: usize = 50;

/// What the gate let through and how it fared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateStats {
    /// Signals that passed.
    pub passed: usize,
    /// Mean stated confidence of the passed signals.
    pub mean_confidence: Option<f64>,
    /// Share of passed signals that won.
    pub hit_rate: Option<f64>,
    /// Plain-language verdict on the sample size.
    pub note: String,
}

/// The evaluation of one horizon over a set of rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HorizonReport {
    /// Horizon in candles.
    pub horizon: usize,
    /// Scored rows.
    pub n: usize,
    /// Share of winning rows.
    pub base_rate: f64,
    /// ROC AUC of the calibrated probability.
    pub auc: f64,
    /// Brier score.
    pub brier: f64,
    /// Brier score of always predicting the base rate (the no-skill reference).
    pub brier_base_rate: f64,
    /// Log loss.
    pub log_loss: f64,
    /// Expected calibration error over [`ECE_BINS`] bins.
    pub ece: f64,
    /// 90% interval of the ECE from a bootstrap over whole UTC days of decisions
    /// ([`metrics::ece_block_interval`], 1,000 resamples, fixed seed); absent with fewer than 10
    /// days. Reports made before it have none.
    #[serde(default)]
    pub ece_interval: Option<(f64, f64)>,
    /// Reliability table.
    pub reliability: Vec<ReliabilityBin>,
    /// Conformal coverage of the win/lose set.
    pub coverage: f64,
    /// Nominal conformal coverage.
    pub coverage_nominal: f64,
    /// Coverage within each volatility regime.
    pub coverage_by_regime: Vec<Option<f64>>,
    /// Coverage of adaptive conformal sets run online over the rows (each set from the outcomes
    /// resolved before its decision).
    pub coverage_aci: f64,
    /// Share of rows whose set is a single class.
    pub single_class_share: f64,
    /// Coverage of the forward-return interval.
    pub return_coverage: f64,
    /// Mean ensemble disagreement.
    pub mean_disagreement: f64,
    /// Gate results.
    pub gate: GateStats,
    /// Refusal counts by reason.
    pub refusals: BTreeMap<String, usize>,
}

/// One scored row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// Row index in the dataset.
    pub row: usize,
    /// The prediction.
    pub prediction: Prediction,
    /// The gate's decision.
    pub decision: Decision,
    /// The adaptive conformal (ACI) set issued at the decision: its level adapts only on outcomes
    /// whose label window had closed by then.
    pub aci_set: ClassSet,
}

/// The training references of every feature, with their null limits: the same daily windows of
/// `window_days` that [`daily_feature_alarms`] judges, slid over the training rows (only windows
/// lying wholly inside the training period and holding at least 100 rows), each measured against
/// the reference. `rows` must be in time order.
pub fn drift_references(ds: &Dataset, rows: &[usize], window_days: i64) -> Vec<Reference> {
    let mut rows = rows.to_vec();
    rows.sort_by_key(|&i| (ds.times[i], i));
    let mut refs: Vec<Reference> = ds
        .feature_names
        .iter()
        .enumerate()
        .map(|(j, n)| Reference::fit(n, &rows.iter().map(|&i| ds.x[i][j]).collect::<Vec<f64>>()))
        .collect();
    let times: Vec<i64> = rows.iter().map(|&i| ds.times[i]).collect();
    let mut windows: Vec<Vec<&[f64]>> = Vec::new();
    if let (Some(&first), Some(&last)) = (times.first(), times.last()) {
        let mut day = first.div_euclid(DAY_SECS) + 1 + window_days;
        while day <= last.div_euclid(DAY_SECS) {
            let (lo, hi) = ((day - window_days) * DAY_SECS, day * DAY_SECS);
            let (a, b) = (times.partition_point(|&t| t < lo), times.partition_point(|&t| t < hi));
            if b - a >= 100 {
                windows.push(rows[a..b].iter().map(|&i| ds.x[i].as_slice()).collect());
            }
            day += 1;
        }
    }
    drift::fit_null(&mut refs, &windows);
    refs
}

/// Causal drift alarms per day: the features of the `window_days` before each day against the
/// training references.
pub fn daily_feature_alarms(
    ds: &Dataset,
    refs: &[Reference],
    limits: DriftLimits,
    window_days: i64,
) -> BTreeMap<i64, Vec<String>> {
    let mut out = BTreeMap::new();
    let (Some(&first), Some(&last)) = (ds.times.first(), ds.times.last()) else { return out };
    let mut day = first.div_euclid(DAY_SECS);
    while day <= last.div_euclid(DAY_SECS) {
        let (lo, hi) = ((day - window_days) * DAY_SECS, day * DAY_SECS);
        let a = ds.times.partition_point(|&t| t < lo);
        let b = ds.times.partition_point(|&t| t < hi);
        let rows: Vec<&[f64]> = ds.x[a..b].iter().map(|r| r.as_slice()).collect();
        let alarms = if rows.len() < 100 {
            vec!["drift_window_too_short".to_string()]
        } else {
            drift::feature_alarms(refs, &rows, limits)
        };
        out.insert(day, alarms);
        day += 1;
    }
    out
}

/// Predicts and gates every row of `rows` in time order (unlabelled rows, such as the latest
/// candles, are scored too; only labelled ones feed the Brier decay and the online recalibrator
/// once resolved). Before the first row, the online recalibrator is warmed up on the labelled
/// rows of `ds` just before it whose label windows had closed by then and that the model never
/// fitted on (in walk-forward, the conformal block at the end of the training window; in
/// `cst evaluate`, the warm-up days).
pub fn score_rows(
    m: &HorizonModel,
    ds: &Dataset,
    target: usize,
    rows: &[usize],
    gate: Gate,
    limits: DriftLimits,
    feature_alarms: &BTreeMap<i64, Vec<String>>,
) -> Vec<Scored> {
    let t = &ds.targets[target];
    let mut decay = BrierDecay::with_null(m.holdout_brier, m.holdout_brier_null_ratio, limits);
    let mut online = m.online_recalibrator();
    if let Some(&first) = rows.first() {
        warm_up(m, ds, target, ds.times[first], &mut online);
    }
    let mut aci = Adaptive::new(Vec::new(), m.conformal.level, ACI_GAMMA);
    let mut pending: BinaryHeap<Reverse<(i64, usize)>> = BinaryHeap::new();
    let mut out: Vec<Scored> = Vec::new();
    let mut p_static: Vec<f64> = Vec::new();
    for &i in rows {
        while let Some(Reverse((end, k))) = pending.peek().copied() {
            if end > ds.times[i] {
                break;
            }
            pending.pop();
            let s: &Scored = &out[k];
            let win = t.y[s.row].unwrap_or(false);
            decay.push(s.prediction.p, win);
            online.observe(p_static[k], win);
            aci.update(!s.aci_set.covers(win));
            aci.scores.push(if win { 1.0 - s.prediction.p } else { s.prediction.p });
        }
        let fixed = m.predict(&ds.x[i]);
        let prediction = m.recalibrate(&fixed, &online);
        let mut alarms = feature_alarms.get(&ds.times[i].div_euclid(DAY_SECS)).cloned().unwrap_or_default();
        alarms.extend(decay.alarm());
        let decision = gate.decide(prediction.p, prediction.set, &alarms);
        // Until 50 outcomes have resolved, the split quantile stands in for the adaptive one.
        let aci_q = if aci.scores.len() < ACI_MIN_SCORES { m.conformal.q } else { aci.q() };
        let aci_set = ClassSet::from_p(prediction.p, aci_q);
        if t.y[i].is_some() {
            pending.push(Reverse((t.end_time[i], out.len())));
        }
        p_static.push(fixed.p);
        out.push(Scored { row: i, prediction, decision, aci_set });
    }
    out
}

/// Days of history before the first scored row that hold the online recalibrator's window of
/// outcomes for `pairs` series of `candle_secs` candles (0 when recalibration is off): a caller
/// that loads only part of its history (`cst evaluate`, `cst signals`) loads this much before its
/// range, so the recalibrator starts as it does in walk-forward.
pub fn warm_up_days(horizons: &[HorizonModel], pairs: usize, candle_secs: i64) -> i64 {
    let per_day = (pairs.max(1) as i64 * DAY_SECS / candle_secs.max(1)).max(1);
    let window = horizons.iter().filter(|h| h.online.enabled).map(|h| h.online.window).max().unwrap_or(0);
    (window as i64 + per_day - 1) / per_day
}

/// Feeds the online recalibrator the outcomes known at `before`: the latest labelled rows decided
/// before it whose labels ended by then, oldest outcome first, and only rows the model's fitted
/// parts never saw (from [`HorizonModel::unseen_from`] on).
fn warm_up(m: &HorizonModel, ds: &Dataset, target: usize, before: i64, online: &mut OnlineRecalibrator) {
    if !m.online.enabled {
        return;
    }
    let t = &ds.targets[target];
    let end = ds.times.partition_point(|&x| x < before);
    let mut known: Vec<usize> = (0..end)
        .rev()
        .filter(|&j| ds.times[j] >= m.unseen_from && t.y[j].is_some() && t.end_time[j] <= before)
        .take(m.online.window)
        .collect();
    known.sort_by_key(|&j| (t.end_time[j], j));
    for j in known {
        online.observe(m.predict(&ds.x[j]).p, t.y[j].unwrap_or(false));
    }
}

/// Summarises scored rows (pass labelled rows only).
pub fn report(m: &HorizonModel, ds: &Dataset, target: usize, scored: &[Scored]) -> HorizonReport {
    let t = &ds.targets[target];
    let p: Vec<f64> = scored.iter().map(|s| s.prediction.p).collect();
    let y: Vec<bool> = scored.iter().map(|s| t.y[s.row].unwrap_or(false)).collect();
    let days: Vec<i64> = scored.iter().map(|s| ds.times[s.row].div_euclid(DAY_SECS)).collect();
    let base_rate = metrics::mean(y.iter().map(|&v| f64::from(u8::from(v))));
    let covered = |s: &Scored| s.prediction.set.covers(t.y[s.row].unwrap_or(false));
    let share = |f: &dyn Fn(&Scored) -> bool, set: &[&Scored]| {
        (!set.is_empty()).then(|| set.iter().filter(|s| f(s)).count() as f64 / set.len() as f64)
    };
    let all: Vec<&Scored> = scored.iter().collect();
    let coverage_by_regime = (0..N_REGIMES)
        .map(|r| share(&covered, &all.iter().copied().filter(|s| s.prediction.regime == r).collect::<Vec<_>>()))
        .collect();
    let return_cov = |s: &Scored| {
        let (lo, hi) = s.prediction.return_interval;
        (lo..=hi).contains(&t.log_return[s.row])
    };
    HorizonReport {
        horizon: t.horizon,
        n: scored.len(),
        base_rate,
        auc: metrics::auc(&p, &y),
        brier: metrics::brier(&p, &y),
        brier_base_rate: base_rate * (1.0 - base_rate),
        log_loss: metrics::log_loss(&p, &y),
        ece: metrics::ece(&p, &y, ECE_BINS),
        ece_interval: metrics::ece_block_interval(&p, &y, &days, ECE_BINS, ECE_RESAMPLES, 0.90, ECE_SEED),
        reliability: metrics::reliability(&p, &y, ECE_BINS),
        coverage: share(&covered, &all).unwrap_or(0.0),
        coverage_nominal: m.conformal.level,
        coverage_by_regime,
        coverage_aci: share(&|s: &Scored| s.aci_set.covers(t.y[s.row].unwrap_or(false)), &all).unwrap_or(0.0),
        single_class_share: share(&|s: &Scored| s.prediction.set.is_single(), &all).unwrap_or(0.0),
        return_coverage: share(&return_cov, &all).unwrap_or(0.0),
        mean_disagreement: metrics::mean(scored.iter().map(|s| s.prediction.disagreement)),
        gate: gate_stats(scored, &y),
        refusals: refusal_counts(scored),
    }
}

fn gate_stats(scored: &[Scored], y: &[bool]) -> GateStats {
    let passed: Vec<(f64, bool)> = scored
        .iter()
        .zip(y)
        .filter_map(|(s, &y)| match s.decision {
            Decision::Pass { confidence } => Some((confidence, y)),
            Decision::Refuse(_) => None,
        })
        .collect();
    let n = passed.len();
    let mean_confidence = (n > 0).then(|| metrics::mean(passed.iter().map(|p| p.0)));
    let hit_rate = (n > 0).then(|| metrics::mean(passed.iter().map(|p| f64::from(u8::from(p.1)))));
    let note = if n < MIN_GATED {
        format!("only {n} signals passed the gate (fewer than {MIN_GATED}): the hit rate is not meaningful")
    } else {
        format!("{n} signals passed the gate")
    };
    GateStats { passed: n, mean_confidence, hit_rate, note }
}

fn refusal_counts(scored: &[Scored]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for s in scored {
        if let Decision::Refuse(why) = &s.decision {
            for r in why {
                let key = match r {
                    Refusal::LowConfidence { .. } => "low_confidence",
                    Refusal::AmbiguousSet { .. } => "ambiguous_set",
                    Refusal::SetSaysLose => "set_says_lose",
                    Refusal::Drift { alarms } => {
                        for a in alarms {
                            let name = a.split('=').next().unwrap_or(a);
                            *out.entry(format!("drift:{name}")).or_insert(0) += 1;
                        }
                        "drift"
                    }
                };
                *out.entry(key.to_string()).or_insert(0) += 1;
            }
        }
    }
    out
}
