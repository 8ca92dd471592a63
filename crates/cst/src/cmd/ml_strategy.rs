//! The `ml-ensemble` strategy for `cst backtest` and `cst run`: loads a registered model (hash,
//! format and feature names verified), and builds one warmed-up strategy per pair. Warm-up candles
//! are those before the traded period, as many days as `cst signals` loads before `--from`: the
//! feature window, the drift window and the online recalibrator's window of resolved outcomes are
//! filled from them, so the first traded bar is judged as `cst signals` judges it.

use crate::cmd::backtest::parse_time;
use crate::runtime::trader::StrategyFactory;
use anyhow::{Context, bail};
use clap::Args;
use cst_core::backtest::bars::{BarSeries, merge, to_bars};
use cst_core::candle::CandleRow;
use cst_core::engine::EngineConfig;
use cst_core::event::{PairId, PriceScale};
use cst_core::interval::Interval;
use cst_core::pair::Pair;
use cst_core::strategy::{Strategy, StrategyFile, StrategySpec};
use cst_ml::artifact::ModelFile;
use cst_ml::evaluation;
use cst_ml::features::{self, WARMUP};
use cst_ml::gate::Gate;
use cst_ml::strategy::{MlEnsemble, MlEnsembleConfig, MlEnsembleGroup};
use cst_store::Store;
use std::sync::Arc;

/// The strategy name on the command line.
pub const NAME: &str = "ml-ensemble";

/// Options of the `ml-ensemble` strategy.
#[derive(Debug, Clone, Args)]
pub struct MlStrategyArgs {
    /// Registry id of the model (`--strategy ml-ensemble`).
    #[arg(long)]
    pub model: Option<String>,
    /// Horizon (candles) to trade (default: the model's first).
    #[arg(long)]
    pub horizon: Option<usize>,
    /// Gate threshold instead of the model's own (0.80). Lowering it trades signals the model is
    /// less sure of; it is meant for exercising the order path, not for manufacturing trades.
    #[arg(long)]
    pub threshold: Option<f64>,
}

/// A loaded model ready to build strategies (again, for each restart of `cst run`).
#[derive(Debug, Clone)]
pub struct MlPlan {
    id: String,
    file: Arc<ModelFile>,
    config: MlEnsembleConfig,
    /// Candles per pair before the traded period (feature and drift warm-up).
    warm_up: Vec<Vec<CandleRow>>,
    interval: Interval,
}

impl MlPlan {
    /// Loads and verifies the model; refuses a model of another interval or feature pipeline.
    pub async fn load(store: &Store, a: &MlStrategyArgs, interval: Interval) -> anyhow::Result<Self> {
        let Some(id) = a.model.clone() else { bail!("--strategy {NAME} needs --model ID (see `cst models list`)") };
        let (_, text) = store.model(&id).await?;
        let file = ModelFile::from_text(&text, &features::names()).with_context(|| format!("loading model {id}"))?;
        if file.body.meta.interval_secs != interval.secs() {
            bail!("model {id} was trained on {}s candles, not {interval}", file.body.meta.interval_secs);
        }
        if let Some(t) = a.threshold
            && !(0.5..=1.0).contains(&t)
        {
            bail!("--threshold {t} is out of range; allowed: 0.5..=1");
        }
        let config = MlEnsembleConfig {
            horizon: a.horizon,
            gate: a.threshold.map(|threshold| Gate { threshold }),
            ..MlEnsembleConfig::default()
        };
        let plan = Self { id, file: Arc::new(file), config, warm_up: Vec::new(), interval };
        plan.group()?;
        Ok(plan)
    }

    /// Seconds of candles before `from` the strategy wants for `pairs` pairs: the longer of the
    /// drift window and the online recalibrator's window of outcomes (exactly the days
    /// `cst evaluate` / `cst signals` load before `--from`), and a feature window before that.
    pub fn warm_up_secs(&self, pairs: usize) -> i64 {
        let recal_days = evaluation::warm_up_days(&self.file.body.model.horizons, pairs, self.interval.secs());
        self.config.drift_window_days.max(recal_days) * 86_400 + WARMUP as i64 * self.interval.secs()
    }

    /// Reads the warm-up candles of every pair from the store (open times in
    /// `[from - warm_up_secs, from)`).
    pub async fn load_warm_up(&mut self, store: &Store, pairs: &[Pair], from: Option<&str>) -> anyhow::Result<()> {
        let Some(from) = from.map(parse_time).transpose()? else {
            // Trading from the first stored candle: nothing precedes it, so the first days are
            // refused for a short drift window, which the report shows.
            self.warm_up = vec![Vec::new(); pairs.len()];
            return Ok(());
        };
        let lo = cst_core::time::Timestamp::from_secs(from.as_secs() - self.warm_up_secs(pairs.len()))?;
        let mut out = Vec::new();
        for pair in pairs {
            let rows = store.candles(pair, self.interval, Some(lo), Some(from)).await?;
            out.push(rows.into_iter().filter(|r| r.time < from.as_secs()).collect());
        }
        self.warm_up = out;
        Ok(())
    }

    /// Uses these warm-up candles (per pair, before the traded period).
    pub fn set_warm_up(&mut self, rows: Vec<Vec<CandleRow>>) {
        self.warm_up = rows;
    }

    fn group(&self) -> anyhow::Result<MlEnsembleGroup> {
        let interval_secs = self.file.body.meta.interval_secs;
        MlEnsembleGroup::new(&self.id, &self.file.body.model, interval_secs, self.config)
            .with_context(|| format!("model {}", self.id))
    }

    /// The gate threshold in force (the engine's confidence gate is set to the same value).
    pub fn threshold(&self) -> f64 {
        self.config.gate.unwrap_or(self.file.body.model.config.gate).threshold
    }

    /// Engine settings: defaults, with the engine's gate at the model gate's threshold so the two
    /// gates never disagree about a confidence.
    pub fn engine_config(&self) -> EngineConfig {
        let mut e = EngineConfig::default();
        e.gate.threshold = self.threshold();
        e
    }

    /// Fresh, warmed-up strategies for `pairs` (one per pair, in order; `scales` are the traded
    /// bars' price scales) and the group that holds their gate statistics.
    pub fn build(&self, pairs: &[Pair], scales: &[PriceScale]) -> anyhow::Result<(Vec<Strategy>, MlEnsembleGroup)> {
        let group = self.group()?;
        let mut strategies: Vec<MlEnsemble> =
            pairs.iter().zip(scales).map(|(p, &scale)| group.strategy(&p.wsname(), scale)).collect();
        let warm: Vec<BarSeries> =
            self.warm_up.iter().enumerate().map(|(k, rows)| to_bars(PairId(k as u16), rows, self.interval)).collect();
        for bar in merge(&warm.iter().map(|s| s.bars.as_slice()).collect::<Vec<_>>()) {
            let k = bar.pair.index();
            if let Some(s) = strategies.get_mut(k) {
                s.warm_up(&bar, warm[k].scale);
            }
        }
        Ok((strategies.into_iter().map(|s| Strategy::Model(Box::new(s))).collect(), group))
    }
}

/// For `cst run`: the strategy file (engine settings) and, for `ml-ensemble`, the factory that
/// builds fresh warmed-up strategies at each (re)start of the engine.
pub async fn for_run(
    store: &Store,
    a: &MlStrategyArgs,
    strategy: &str,
    pairs: &[Pair],
    interval: Interval,
    from: Option<&str>,
    scales: &[PriceScale],
) -> anyhow::Result<(StrategyFile, Option<StrategyFactory>)> {
    if strategy != NAME {
        if a.model.is_some() {
            bail!("--model applies to --strategy {NAME} only");
        }
        return Ok((crate::cmd::backtest::strategy(strategy)?, None));
    }
    let mut plan = MlPlan::load(store, a, interval).await?;
    plan.load_warm_up(store, pairs, from).await?;
    let file = StrategyFile {
        spec: StrategySpec::builtin("sma-cross")?,
        engine: plan.engine_config(),
        venue: Default::default(),
    };
    let (pairs, scales) = (pairs.to_vec(), scales.to_vec());
    plan.build(&pairs, &scales)?;
    let factory: StrategyFactory = Arc::new(move || plan.build(&pairs, &scales).map(|(s, _)| s));
    Ok((file, Some(factory)))
}
