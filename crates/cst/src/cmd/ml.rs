//! `cst train`, `cst evaluate`, `cst models ...` and `cst signals`: the ML signal stack over the
//! store's candles. Training runs walk-forward first (its out-of-sample report becomes the model's
//! metrics and promotion score), then fits the final model on the whole range and registers it.

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use cst_core::instrument::InstrumentSet;
use cst_core::interval::Interval;
use cst_core::pair::Pair;
use cst_core::time::Timestamp;
use cst_ml::artifact::{Body, FORMAT_VERSION, ModelFile, ModelMeta};
use cst_ml::dataset::{Dataset, LabelConfig};
use cst_ml::evaluation::{self, HorizonReport};
use cst_ml::features::{self, WARMUP};
use cst_ml::labels::{Fee, LabelKind, Side};
use cst_ml::pipeline::{Model, TrainConfig};
use cst_ml::recalibration::OnlineConfig;
use cst_ml::series::Series;
use cst_ml::walkforward::{self, WalkForwardConfig, WalkForwardReport};
use cst_store::Store;
use cst_store::models::{ModelSummary, Promotion};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::home::HomeArgs;

/// Which candles to use.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Pairs, comma-separated (`XBT/USD,ETH/USD`).
    #[arg(long, value_delimiter = ',', required = true)]
    pub pairs: Vec<Pair>,
    /// Candle interval.
    #[arg(long, default_value = "15m")]
    pub interval: Interval,
    /// First decision date (YYYY-MM-DD, UTC, inclusive).
    #[arg(long)]
    pub from: Option<String>,
    /// End date (YYYY-MM-DD, UTC, exclusive; labels end by then).
    #[arg(long)]
    pub to: Option<String>,
}

/// Label rule on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LabelArg {
    /// Net-of-fee direction at the horizon.
    Net,
    /// Triple barrier at ±2 volatility units.
    TripleBarrier,
}

/// Model size.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SizeArg {
    /// The full configuration.
    Full,
    /// A small, fast configuration (tests, smoke runs).
    Small,
}

/// `cst train`.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Horizons in candles.
    #[arg(long, value_delimiter = ',', default_value = "1,4,16")]
    horizons: Vec<usize>,
    /// Trade side the labels score.
    #[arg(long, value_enum, default_value = "long")]
    side: SideArg,
    /// Label rule.
    #[arg(long, value_enum, default_value = "net")]
    label: LabelArg,
    /// Kraken AssetPairs response giving the taker fee schedule (entry tier is used).
    #[arg(long, env = "CST_ASSET_PAIRS")]
    asset_pairs: Option<PathBuf>,
    /// Taker fee percent when no AssetPairs file is given (Kraken's entry tier).
    #[arg(long, default_value_t = 0.40)]
    taker_fee_pct: f64,
    /// Seed for bagging and subsampling.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Model size.
    #[arg(long, value_enum, default_value = "full")]
    size: SizeArg,
    /// Walk-forward blocks.
    #[arg(long, default_value_t = 6)]
    folds: usize,
    /// Rows the static calibrator learns from: `oof`, the out-of-fold predictions of the whole
    /// fit block plus the calibration block (months of varied markets); `block`, the calibration
    /// block alone (the few weeks before the conformal block; how earlier models were trained).
    #[arg(long, value_enum, default_value = "oof")]
    calibrate_on: CalibrateOnArg,
    /// Also correct the calibrated probability online from the model's own resolved outcomes
    /// (a Platt map on the latest 20,000). Off by default: it lags market shifts, helps where they
    /// persist and hurts where they reverse (BENCHMARKS.md has the measurements).
    #[arg(long)]
    online_recalibration: bool,
    /// Print `{"model_id": ...}` only.
    #[arg(long)]
    json: bool,
}

/// Where the static calibrator learns, on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CalibrateOnArg {
    /// Out-of-fold predictions of the fit block plus the calibration block.
    Oof,
    /// The calibration block alone.
    Block,
}

/// Trade side on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SideArg {
    /// Long.
    Long,
    /// Short.
    Short,
}

/// `cst evaluate`.
#[derive(Debug, Clone, Args)]
pub struct EvaluateArgs {
    /// Registry id.
    #[arg(long)]
    model: String,
    #[command(flatten)]
    data: DataArgs,
    /// Horizon whose report is printed at the top level (default: the model's first).
    #[arg(long)]
    horizon: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `cst signals`.
#[derive(Debug, Clone, Args)]
pub struct SignalsArgs {
    /// Registry id.
    #[arg(long)]
    model: String,
    #[command(flatten)]
    data: DataArgs,
    /// Horizon (default: the model's first).
    #[arg(long)]
    horizon: Option<usize>,
    /// Output CSV.
    #[arg(long)]
    out: PathBuf,
}

/// `cst models`.
#[derive(Debug, Clone, Subcommand)]
pub enum ModelsCommand {
    /// List registered models and champions.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one model's metadata and out-of-sample metrics.
    Show {
        /// Registry id.
        id: String,
    },
    /// Make a model the champion of its slot if it beats the current one by the margin.
    Promote {
        /// Registry id.
        id: String,
        /// Required Brier-skill improvement over the champion.
        #[arg(long, default_value_t = 0.002)]
        margin: f64,
    },
    /// Restore the previous champion of a slot.
    Rollback {
        /// Slot, e.g. `15m:long`.
        #[arg(long, default_value = "15m:long")]
        slot: String,
    },
    /// Score a challenger beside the champion on the same out-of-sample rows; with `--promote`,
    /// promote it when its Brier skill there beats the champion's by the margin (exit 2 if not).
    Shadow(super::ml_shadow::ShadowArgs),
}

pub(crate) fn block_on<T>(home: &HomeArgs, f: impl AsyncFnOnce(&Store) -> anyhow::Result<T>) -> anyhow::Result<T> {
    let url = home.store_url()?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let store = Store::open(&url).await.with_context(|| format!("opening store {url}"))?;
        f(&store).await
    })
}

/// Runs `cst train`.
pub fn train(home: &HomeArgs, a: TrainArgs) -> anyhow::Result<ExitCode> {
    block_on(home, async |store| {
        let fee = fee(&a)?;
        let side = match a.side {
            SideArg::Long => Side::Long,
            SideArg::Short => Side::Short,
        };
        let kind = match a.label {
            LabelArg::Net => LabelKind::NetDirection,
            LabelArg::TripleBarrier => LabelKind::TripleBarrier { width: 2.0 },
        };
        let labels = LabelConfig { horizons: a.horizons.clone(), fee, side, kind };
        let mut cfg = match a.size {
            SizeArg::Full => TrainConfig::full(labels.clone()),
            SizeArg::Small => TrainConfig::small(labels.clone()),
        };
        cfg.seed = a.seed;
        cfg.calibrate_out_of_fold = a.calibrate_on == CalibrateOnArg::Oof;
        cfg.online = if a.online_recalibration { OnlineConfig::default() } else { OnlineConfig::off() };
        let (from, to) = range(&a.data)?;
        let series = load(store, &a.data, from - WARMUP as i64 * a.data.interval.secs(), to).await?;
        let ds = Dataset::from_series(&series, &labels, from, to);
        let rows: Vec<usize> = (0..ds.len()).collect();
        if !a.json {
            eprintln!(
                "{} rows from {} pairs ({} gaps cut), fee {:.2}% per fill",
                ds.len(),
                ds.pairs.len(),
                ds.gaps,
                fee.taker * 100.0
            );
        }
        let wf = WalkForwardConfig { n_blocks: a.folds, ..WalkForwardConfig::default() };
        let bar = bar((a.horizons.len() * (a.folds - wf.min_train_blocks + 1)) as u64, a.json);
        let report = walkforward::run(&ds, &rows, &cfg, &wf, &mut |_, _| bar.inc(1)).context("walk-forward")?;
        let model = Model::train(&ds, &rows, &cfg, &mut |_| bar.inc(1)).context("training")?;
        bar.finish_and_clear();
        let file = seal(&ds, &rows, a.data.interval, from, to, model, &report)?;
        let summary = summary_of(&file, &format!("{}:{}", a.data.interval, side_name(side)), &report, now_secs())?;
        store.register_model(&summary, &file.to_text()?).await?;
        if a.json {
            println!("{}", serde_json::json!({ "model_id": file.id() }));
        } else {
            print_walk_forward(&report);
            println!("registered {} (slot {}, score {:.5})", file.id(), summary.slot, summary.score);
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn fee(a: &TrainArgs) -> anyhow::Result<Fee> {
    let Some(path) = &a.asset_pairs else { return Ok(Fee { taker: a.taker_fee_pct / 100.0 }) };
    let body = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let set = InstrumentSet::from_asset_pairs_json(&body).context("parsing AssetPairs")?;
    let inst = a.data.pairs.iter().find_map(|p| set.get(&p.wsname())).or_else(|| set.iter().next());
    Ok(Fee::entry_tier(inst.context("AssetPairs has no instrument")?))
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Long => "long",
        Side::Short => "short",
    }
}

pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn bar(len: u64, hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} fits")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// `[from, to)` in seconds; open-ended sides fall back to the whole store.
pub(crate) fn range(d: &DataArgs) -> anyhow::Result<(i64, i64)> {
    let parse = |s: &Option<String>, default: i64| -> anyhow::Result<i64> {
        match s {
            Some(t) => Ok(Timestamp::parse(t).with_context(|| format!("date {t:?} (use YYYY-MM-DD)"))?.as_secs()),
            None => Ok(default),
        }
    };
    // An open end is 2100-01-01: later than any candle, and within the nanosecond range of a
    // `Timestamp` (which ends in 2262), so the store query accepts it.
    let (from, to) = (parse(&d.from, 0)?, parse(&d.to, 4_102_444_800)?);
    if from >= to {
        bail!("--from must be before --to");
    }
    Ok((from, to))
}

/// Candles with open times in `[lo, to)` for every pair, as gap-aware series.
async fn load(store: &Store, d: &DataArgs, lo: i64, to: i64) -> anyhow::Result<Vec<Series>> {
    let mut out = Vec::new();
    for pair in &d.pairs {
        let (lo_ts, hi_ts) = (Timestamp::from_secs(lo.max(0))?, Timestamp::from_secs(to - 1)?);
        let rows = store.candles(pair, d.interval, Some(lo_ts), Some(hi_ts)).await?;
        if rows.is_empty() {
            bail!(
                "no {} {} candles in the store for that range (import them with `cst data import`)",
                pair.wsname(),
                d.interval
            );
        }
        out.push(Series::from_rows(&pair.wsname(), d.interval, &rows));
    }
    Ok(out)
}

fn seal(
    ds: &Dataset,
    rows: &[usize],
    interval: Interval,
    from: i64,
    to: i64,
    model: Model,
    report: &WalkForwardReport,
) -> anyhow::Result<ModelFile> {
    let meta = ModelMeta {
        pairs: ds.pairs.clone(),
        interval_secs: interval.secs(),
        train_from: ds.times.first().copied().unwrap_or(from),
        train_to: to.min(ds.times.last().map_or(to, |t| t + interval.secs())),
        train_rows: rows.len(),
        data_hash: ds.fingerprint(rows),
        metrics: serde_json::to_value(report)?,
    };
    Ok(ModelFile::seal(Body { meta, model })?)
}

/// Promotion score: mean Brier skill (1 − Brier / base-rate Brier) over horizons, out of sample.
fn promotion_score(report: &WalkForwardReport) -> f64 {
    brier_skill(&report.horizons)
}

/// Mean Brier skill (1 − Brier / base-rate Brier) of horizon reports: the promotion score, also
/// applied to shadow runs.
pub(crate) fn brier_skill(horizons: &[HorizonReport]) -> f64 {
    let skill = |h: &HorizonReport| if h.brier_base_rate > 0.0 { 1.0 - h.brier / h.brier_base_rate } else { 0.0 };
    horizons.iter().map(skill).sum::<f64>() / horizons.len().max(1) as f64
}

fn summary_of(file: &ModelFile, slot: &str, report: &WalkForwardReport, now: i64) -> anyhow::Result<ModelSummary> {
    let m = &file.body.meta;
    Ok(ModelSummary {
        id: file.id(),
        content_hash: file.header.content_hash.clone(),
        format_version: i64::from(FORMAT_VERSION),
        slot: slot.to_string(),
        pairs: m.pairs.clone(),
        interval_secs: m.interval_secs,
        train_from: m.train_from,
        train_to: m.train_to,
        data_hash: m.data_hash.clone(),
        feature_names: file.body.model.feature_names.clone(),
        score: promotion_score(report),
        metrics: serde_json::to_string(&m.metrics)?,
        registered_at: now,
    })
}

fn print_walk_forward(r: &WalkForwardReport) {
    println!("walk-forward, last {} folds (out of sample):", r.config.last_folds);
    println!(
        "{:>3} {:>7} {:>6} {:>7} {:>7} {:>7} {:>6} {:>6} {:>6}",
        "h", "n", "auc", "brier", "logloss", "ece", "cov", "nom", "gated"
    );
    for h in &r.horizons {
        println!(
            "{:>3} {:>7} {:>6.3} {:>7.4} {:>7.4} {:>7.4} {:>6.3} {:>6.2} {:>6}",
            h.horizon, h.n, h.auc, h.brier, h.log_loss, h.ece, h.coverage, h.coverage_nominal, h.gate.passed
        );
        println!("    gate: {}", h.gate.note);
        println!("    {}", ece_interval_text(h));
    }
}

/// The ECE's day-block bootstrap interval in words (how far another month could move it).
fn ece_interval_text(h: &HorizonReport) -> String {
    match h.ece_interval {
        Some((lo, hi)) => format!("ece 90% interval over resampled days: {lo:.4} .. {hi:.4}"),
        None => "ece interval: fewer than 10 days scored".to_string(),
    }
}

/// A registered model, verified (hash, version, feature names) and its evaluation dataset: decision
/// times from `from` on are scored; earlier candles serve only as feature, drift and online
/// recalibration warm-up.
pub(crate) struct Loaded {
    pub(crate) file: ModelFile,
    pub(crate) ds: Dataset,
    pub(crate) scored_rows: Vec<usize>,
}

pub(crate) async fn load_for_scoring(store: &Store, id: &str, d: &DataArgs) -> anyhow::Result<Loaded> {
    let (_, text) = store.model(id).await?;
    let file = ModelFile::from_text(&text, &features::names()).with_context(|| format!("loading model {id}"))?;
    let (from, to) = range(d)?;
    let m = &file.body.model;
    let drift_days = WalkForwardConfig::default().drift_window_days;
    // Enough history for the drift window and for the online recalibrator's window of outcomes,
    // so it starts as it does in walk-forward (it only takes rows the model never fitted on).
    let recal_days = evaluation::warm_up_days(&m.horizons, d.pairs.len(), d.interval.secs());
    let warm_from = from - drift_days.max(recal_days) * 86_400;
    let series = load(store, d, warm_from - WARMUP as i64 * d.interval.secs(), to).await?;
    let ds = Dataset::from_series(&series, &m.config.labels, warm_from, to);
    let scored_rows: Vec<usize> = (0..ds.len()).filter(|&i| ds.times[i] >= from).collect();
    if scored_rows.is_empty() {
        bail!("no rows to score between the given dates");
    }
    Ok(Loaded { file, ds, scored_rows })
}

fn pick_horizon(file: &ModelFile, horizon: Option<usize>) -> anyhow::Result<usize> {
    let hs: Vec<usize> = file.body.model.horizons.iter().map(|h| h.horizon).collect();
    match horizon {
        None => Ok(0),
        Some(h) => hs.iter().position(|&x| x == h).with_context(|| format!("model has horizons {hs:?}, not {h}")),
    }
}

/// Scores `rows` of horizon `k` with causal drift alarms from the model's training references.
pub(crate) fn score(l: &Loaded, k: usize, rows: &[usize]) -> Vec<evaluation::Scored> {
    let m = &l.file.body.model;
    let days = WalkForwardConfig::default().drift_window_days;
    let alarms = evaluation::daily_feature_alarms(&l.ds, &m.drift_refs, m.config.drift, days);
    evaluation::score_rows(&m.horizons[k], &l.ds, k, rows, m.config.gate, m.config.drift, &alarms)
}

/// The report over the labelled rows from `--from` on.
fn score_horizon(l: &Loaded, k: usize) -> HorizonReport {
    score_labelled(l, k, &cst_ml::pipeline::labelled_rows(&l.ds, k, &l.scored_rows))
}

/// The report over `labelled` rows (labelled, in time order) of horizon `k`: the one scoring path
/// of `cst evaluate` and `cst models shadow`.
pub(crate) fn score_labelled(l: &Loaded, k: usize, labelled: &[usize]) -> HorizonReport {
    evaluation::report(&l.file.body.model.horizons[k], &l.ds, k, &score(l, k, labelled))
}

/// Runs `cst evaluate`.
pub fn evaluate(home: &HomeArgs, a: EvaluateArgs) -> anyhow::Result<ExitCode> {
    block_on(home, async |store| {
        let l = load_for_scoring(store, &a.model, &a.data).await?;
        let top = pick_horizon(&l.file, a.horizon)?;
        let reports: Vec<HorizonReport> = (0..l.file.body.model.horizons.len()).map(|k| score_horizon(&l, k)).collect();
        let mut out = serde_json::to_value(&reports[top])?;
        out["model_id"] = serde_json::json!(a.model);
        out["from"] = serde_json::json!(a.data.from);
        out["to"] = serde_json::json!(a.data.to);
        out["horizons"] = serde_json::to_value(&reports)?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&out)?);
        } else {
            for r in &reports {
                println!(
                    "h={:<3} n={} auc={:.3} brier={:.4} log_loss={:.4} ece={:.4} coverage={:.3} (nominal {:.2}) gate passed={}",
                    r.horizon, r.n, r.auc, r.brier, r.log_loss, r.ece, r.coverage, r.coverage_nominal, r.gate.passed
                );
                println!("      {}", r.gate.note);
                println!("      {}", ece_interval_text(r));
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Runs `cst signals`: one CSV line per scored row with the gate's verdict and the top reasons.
pub fn signals(home: &HomeArgs, a: SignalsArgs) -> anyhow::Result<ExitCode> {
    block_on(home, async |store| {
        let l = load_for_scoring(store, &a.model, &a.data).await?;
        let k = pick_horizon(&l.file, a.horizon)?;
        // Every row from --from on, labelled or not: the latest candles have no outcome yet.
        let scored = score(&l, k, &l.scored_rows);
        let hm = &l.file.body.model.horizons[k];
        let names = &l.file.body.model.feature_names;
        let mut w = std::io::BufWriter::new(
            std::fs::File::create(&a.out).with_context(|| format!("creating {}", a.out.display()))?,
        );
        writeln!(w, "time,pair,horizon,p,p_raw,disagreement,regime,set,ret_lo,ret_hi,gate,reasons,top_features,win")?;
        let mut passed = 0;
        for s in &scored {
            let i = s.row;
            let p = &s.prediction;
            let set = match (p.set.lose, p.set.win) {
                (false, true) => "win",
                (true, false) => "lose",
                (true, true) => "both",
                (false, false) => "empty",
            };
            let (gate, reasons) = match &s.decision {
                cst_ml::gate::Decision::Pass { .. } => ("pass", String::new()),
                cst_ml::gate::Decision::Refuse(why) => ("refuse", serde_json::to_string(why)?.replace('"', "'")),
            };
            passed += usize::from(gate == "pass");
            let time = Timestamp::from_secs(l.ds.times[i])?.to_rfc3339();
            let win = l.ds.targets[k].y[i].map_or(String::new(), |v| u8::from(v).to_string());
            writeln!(
                w,
                "{time},{},{},{:.6},{:.6},{:.6},{},{set},{:.6},{:.6},{gate},\"{reasons}\",\"{}\",{win}",
                l.ds.pairs[l.ds.pair_idx[i] as usize],
                hm.horizon,
                p.p,
                p.p_raw,
                p.disagreement,
                p.regime,
                p.return_interval.0,
                p.return_interval.1,
                top_features(hm, names, &l.ds.x[i]),
            )?;
        }
        w.flush()?;
        eprintln!("wrote {} rows ({passed} passed the gate) to {}", scored.len(), a.out.display());
        Ok(ExitCode::SUCCESS)
    })
}

fn top_features(hm: &cst_ml::pipeline::HorizonModel, names: &[String], row: &[f64]) -> String {
    let c = hm.contributions(row);
    let mut idx: Vec<usize> = (0..c.len()).collect();
    idx.sort_by(|&a, &b| c[b].abs().total_cmp(&c[a].abs()));
    idx.iter().take(3).map(|&j| format!("{}:{:+.3}", names[j], c[j])).collect::<Vec<_>>().join(" ")
}

/// Runs `cst models ...`.
pub fn models(home: &HomeArgs, cmd: ModelsCommand) -> anyhow::Result<ExitCode> {
    block_on(home, async |store| {
        match cmd {
            ModelsCommand::List { json } => {
                let all = store.models().await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&all)?);
                    return Ok(ExitCode::SUCCESS);
                }
                for m in &all {
                    let champ = store.champion(&m.slot).await?.is_some_and(|c| c == m.id);
                    let range = |s: i64| Timestamp::from_secs(s).map(|t| t.to_rfc3339()).unwrap_or_default();
                    println!(
                        "{} {} slot={} score={:.5} pairs={} train={}..{}",
                        if champ { "*" } else { " " },
                        m.id,
                        m.slot,
                        m.score,
                        m.pairs.join(","),
                        range(m.train_from),
                        range(m.train_to)
                    );
                }
            }
            ModelsCommand::Show { id } => {
                let (m, _) = store.model(&id).await?;
                let mut v = serde_json::to_value(&m)?;
                v["metrics"] = serde_json::from_str(&m.metrics)?;
                v["champion"] = serde_json::json!(store.champion(&m.slot).await?.is_some_and(|c| c == m.id));
                let own: Vec<_> = store.promotions(&m.slot).await?.into_iter().filter(|p| p.model_id == m.id).collect();
                v["promotions"] = serde_json::to_value(own)?;
                println!("{}", serde_json::to_string_pretty(&v)?);
            }
            ModelsCommand::Promote { id, margin } => match store.promote_model(&id, margin, now_secs()).await? {
                Promotion::Promoted { previous } => {
                    println!("{id} is now the champion (was {})", previous.as_deref().unwrap_or("none"))
                }
                Promotion::Refused { reason } => {
                    println!("not promoted: {reason}");
                    return Ok(ExitCode::from(2));
                }
            },
            ModelsCommand::Rollback { slot } => {
                let restored = store.rollback_champion(&slot).await?;
                println!("rolled back: {restored} is the champion of {slot} again");
            }
            ModelsCommand::Shadow(a) => return super::ml_shadow::shadow(store, a).await,
        }
        Ok(ExitCode::SUCCESS)
    })
}
