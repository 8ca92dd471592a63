//! `cst backtest`: runs a strategy through the engine and the simulated Kraken venue over stored
//! candles (or Kraken OHLCVT files given with `--input`) and writes `report.json`,
//! `trades.csv`, `equity.csv` and `report.html`.

use crate::cmd::ml_strategy::{self, MlPlan, MlStrategyArgs};
use crate::home::HomeArgs;
use anyhow::{Context, bail};
use clap::Args;
use cst_core::backtest::bars::{BarSeries, merge, parse_ohlcvt, to_bars};
use cst_core::backtest::{Backtest, BacktestSpec, with_fee_schedule};
use cst_core::candle::CandleRow;
use cst_core::event::PairId;
use cst_core::instrument::{Instrument, InstrumentSet};
use cst_core::interval::Interval;
use cst_core::pair::Pair;
use cst_core::sim_venue::VenuePair;
use cst_core::strategy::{StrategyFile, StrategySpec, parse_strategy_file};
use cst_core::time::Timestamp;
use cst_ml::strategy::MlEnsembleGroup;
use cst_store::Store;
use indicatif::{ProgressBar, ProgressStyle};
use rust_decimal::Decimal;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `cst backtest`.
#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// A built-in strategy (`sma-cross` = 10/30, `rsi-reversion` = 14/30/70, `breakout` = 20/10),
    /// a strategy TOML file, or `ml-ensemble` (a registered model, with `--model ID`).
    #[arg(long)]
    strategy: String,
    #[command(flatten)]
    ml: MlStrategyArgs,
    /// Pairs, comma-separated (`XBT/USD,ETH/USD`).
    #[arg(long, value_delimiter = ',', required = true)]
    pairs: Vec<Pair>,
    /// Candle interval (`1h`, `15m`, `60`).
    #[arg(long)]
    interval: Interval,
    /// First candle open time (RFC 3339 or unix seconds).
    #[arg(long)]
    from: Option<String>,
    /// Last candle open time (RFC 3339 or unix seconds).
    #[arg(long)]
    to: Option<String>,
    /// Report directory.
    #[arg(long, default_value = "backtest-report")]
    report: PathBuf,
    /// Kraken OHLCVT files (`.csv` or `.csv.gz`), one per pair in `--pairs` order, instead of the store.
    #[arg(long, value_delimiter = ',')]
    input: Vec<PathBuf>,
    /// Starting cash in the quote currency.
    #[arg(long, default_value = "10000")]
    cash: Decimal,
    /// Kraken AssetPairs responses (JSON body, or a REST log line `URL -> ts: body`), newest
    /// first: pair precision comes from the first that lists the pair, the fee schedule from the
    /// first file. Default: the shared 2025 and 2021 captures.
    #[arg(long, value_delimiter = ',')]
    asset_pairs: Vec<PathBuf>,
}

pub(crate) fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut s)
            .with_context(|| format!("gunzip {}", path.display()))?;
        return Ok(s);
    }
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8", path.display()))
}

fn shared_data() -> Option<PathBuf> {
    let env = std::env::var_os("CST_SHARED_DATA").map(PathBuf::from);
    env.into_iter().chain(["../shared/data", "../../shared/data"].map(PathBuf::from)).find(|p| p.is_dir())
}

pub(crate) fn default_asset_pairs() -> anyhow::Result<Vec<PathBuf>> {
    let Some(root) = shared_data() else {
        bail!("no --asset-pairs given and no shared data found (set CST_SHARED_DATA or pass --asset-pairs FILE)");
    };
    Ok(vec![
        root.join("kraken/rest-capture-2025/spot/http_asset_pairs.json"),
        root.join("kraken/ws-v1-capture-2021/KRAKEN.0.txt.gz"),
    ])
}

/// Loads the instruments of `pairs` from AssetPairs files, keeping only the wanted entries so
/// that exotic entries elsewhere in a full response cannot break the load.
pub(crate) fn instruments(files: &[PathBuf], pairs: &[Pair]) -> anyhow::Result<Vec<Instrument>> {
    let mut sets = Vec::new();
    for f in files {
        let text = read_text(f)?;
        // A plain response body, or a REST log whose line reads `URL -> ts: {body}`.
        let body = if text.trim_start().starts_with('{') {
            text.as_str()
        } else {
            let line = text.lines().find(|l| l.contains("AssetPairs")).unwrap_or(&text);
            line.split_once(": ").map_or(line, |(_, b)| b)
        };
        let mut v: serde_json::Value =
            serde_json::from_str(body).with_context(|| format!("AssetPairs JSON in {}", f.display()))?;
        if let Some(result) = v["result"].as_object_mut() {
            result.retain(|_, e| {
                let ws = e["wsname"].as_str().and_then(|w| w.parse::<Pair>().ok());
                ws.is_some_and(|p| pairs.contains(&p)) || sets.is_empty()
            });
            result.retain(|_, e| e["wsname"].as_str().is_some_and(|w| w.parse::<Pair>().is_ok()));
        }
        sets.push(
            InstrumentSet::from_asset_pairs_json(&v.to_string())
                .with_context(|| format!("AssetPairs in {}", f.display()))?,
        );
    }
    let fees = sets.first().and_then(|s| s.iter().next()).context("the first AssetPairs file lists no pair")?.clone();
    pairs
        .iter()
        .map(|p| {
            let found = sets.iter().find_map(|s| s.get(&p.to_string()));
            found.map(|i| with_fee_schedule(i, &fees)).with_context(|| format!("no AssetPairs entry for {p}"))
        })
        .collect()
}

pub(crate) fn parse_time(text: &str) -> anyhow::Result<Timestamp> {
    if let Ok(secs) = text.parse::<i64>() {
        return Timestamp::from_secs(secs).map_err(|e| anyhow::anyhow!("{e}"));
    }
    Timestamp::parse(text).map_err(|e| anyhow::anyhow!("--from/--to {text:?}: {e}"))
}

pub(crate) fn strategy(arg: &str) -> anyhow::Result<StrategyFile> {
    if arg.ends_with(".toml") {
        let text = std::fs::read_to_string(arg).with_context(|| format!("reading strategy file {arg}"))?;
        return parse_strategy_file(&text).with_context(|| format!("strategy file {arg}"));
    }
    let spec = StrategySpec::builtin(arg)?;
    Ok(StrategyFile { spec, engine: Default::default(), venue: Default::default() })
}

/// Candles of pair `k` from `--from` less `warm_up_secs` (earlier ones feed only a model's warm-up)
/// to `--to`.
async fn rows_for(
    a: &BacktestArgs,
    home: &HomeArgs,
    k: usize,
    pair: &Pair,
    warm_up_secs: i64,
) -> anyhow::Result<Vec<CandleRow>> {
    let from = a.from.as_deref().map(parse_time).transpose()?;
    let from = from.map(|t| Timestamp::from_secs(t.as_secs() - warm_up_secs)).transpose()?;
    let to = a.to.as_deref().map(parse_time).transpose()?;
    let rows = if let Some(file) = a.input.get(k) {
        let (rows, bad) = parse_ohlcvt(&read_text(file)?);
        if let Some(b) = bad.first() {
            eprintln!(
                "{}: {} malformed lines refused (first: line {}: {})",
                file.display(),
                bad.len(),
                b.line,
                b.reason
            );
        }
        rows
    } else {
        let url = home.store_url()?;
        let store = Store::open(&url).await.with_context(|| format!("opening store {url}"))?;
        store
            .candles(pair, a.interval, from, to)
            .await
            .with_context(|| format!("reading {pair} {} candles", a.interval))?
    };
    let lo = from.map_or(i64::MIN, Timestamp::as_secs);
    let hi = to.map_or(i64::MAX, Timestamp::as_secs);
    Ok(rows.into_iter().filter(|r| r.time >= lo && r.time <= hi).collect())
}

/// The candles of every pair as bars, with the rows before `--from` (model warm-up) kept apart.
struct Loaded {
    traded: Vec<BarSeries>,
    warm_up: Vec<Vec<CandleRow>>,
}

fn load(a: &BacktestArgs, home: &HomeArgs, warm_up_secs: i64) -> anyhow::Result<Loaded> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let from_secs = a.from.as_deref().map(parse_time).transpose()?.map_or(i64::MIN, Timestamp::as_secs);
    let (mut traded, mut warm_up) = (Vec::new(), Vec::new());
    for (k, pair) in a.pairs.iter().enumerate() {
        let (before, rows): (Vec<CandleRow>, Vec<CandleRow>) =
            rt.block_on(rows_for(a, home, k, pair, warm_up_secs))?.into_iter().partition(|r| r.time < from_secs);
        if rows.is_empty() {
            bail!(
                "no {pair} {} candles in the chosen range (import them with `cst data import` or pass --input)",
                a.interval
            );
        }
        let s = to_bars(PairId(k as u16), &rows, a.interval);
        if let Some(r) = s.rejected.first() {
            eprintln!("{pair}: {} candles refused (first: row {}: {})", s.rejected.len(), r.line, r.reason);
        }
        traded.push(s);
        warm_up.push(before);
    }
    Ok(Loaded { traded, warm_up })
}

/// Runs `cst backtest`.
pub fn run(home: &HomeArgs, a: BacktestArgs) -> anyhow::Result<ExitCode> {
    if !a.input.is_empty() && a.input.len() != a.pairs.len() {
        bail!("--input needs one file per pair ({} pairs, {} files)", a.pairs.len(), a.input.len());
    }
    let ml = if a.strategy == ml_strategy::NAME {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let url = home.store_url()?;
        Some(rt.block_on(async {
            let store = Store::open(&url).await.with_context(|| format!("opening store {url}"))?;
            MlPlan::load(&store, &a.ml, a.interval).await
        })?)
    } else {
        if a.ml.model.is_some() {
            bail!("--model applies to --strategy {} only", ml_strategy::NAME);
        }
        None
    };
    let asset_files = if a.asset_pairs.is_empty() { default_asset_pairs()? } else { a.asset_pairs.clone() };
    let insts = instruments(&asset_files, &a.pairs)?;
    let loaded = load(&a, home, ml.as_ref().map_or(0, |p| p.warm_up_secs(a.pairs.len())))?;
    let series = loaded.traded;
    let bars = merge(&series.iter().map(|s| s.bars.as_slice()).collect::<Vec<_>>());
    let scales: Vec<_> = series.iter().map(|s| s.scale).collect();
    let pairs: Vec<VenuePair> =
        insts.into_iter().zip(&scales).map(|(instrument, &scale)| VenuePair { instrument, scale }).collect();
    let (mut bt, group) = match ml {
        Some(mut plan) => {
            plan.set_warm_up(loaded.warm_up);
            let (strategies, group) = plan.build(&a.pairs, &scales)?;
            // The strategy slot of the spec is not used by `with_strategies`; it names a built-in only
            // because the spec type requires one.
            let spec = spec(&a, StrategySpec::builtin("sma-cross")?, plan.engine_config(), Default::default());
            (Backtest::with_strategies(spec, pairs, strategies)?, Some(group))
        }
        None => {
            let file = strategy(&a.strategy)?;
            (Backtest::new(spec(&a, file.spec, file.engine, file.venue), pairs)?, None)
        }
    };
    let bar = ProgressBar::new(bars.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} candles")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    for chunk in bars.chunks(65_536) {
        bt.run_part(chunk);
        bar.inc(chunk.len() as u64);
    }
    bt.finish();
    bar.finish_and_clear();
    write_report(&bt, &a.report, group.as_ref())
}

fn spec(
    a: &BacktestArgs,
    strategy: StrategySpec,
    engine: cst_core::engine::EngineConfig,
    venue: cst_core::sim_venue::VenueConfig,
) -> BacktestSpec {
    BacktestSpec { strategy, engine, venue, cash: a.cash, interval: a.interval, record_curve: true }
}

/// `ml_gate` of `report.json`: the gate's statistics with the realised hit rate of the trades.
fn ml_gate(bt: &Backtest, report: &cst_core::backtest::Report, group: &MlEnsembleGroup) -> serde_json::Value {
    let mut v = serde_json::to_value(group.report()).unwrap_or_default();
    v["orders"] = serde_json::json!(bt.engine().counters().orders);
    v["trades"] = serde_json::json!(report.trades);
    v["trade_hit_rate"] = if report.trades > 0 { serde_json::json!(report.win_rate) } else { serde_json::Value::Null };
    v
}

fn write_report(bt: &Backtest, dir: &Path, group: Option<&MlEnsembleGroup>) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let report = bt.report();
    let json = match group {
        None => report.to_json(),
        Some(g) => {
            let mut v = serde_json::to_value(&report)?;
            v["ml_gate"] = ml_gate(bt, &report, g);
            serde_json::to_string_pretty(&v)? + "\n"
        }
    };
    let files = [
        ("report.json", json),
        ("trades.csv", bt.trades_csv()),
        ("equity.csv", bt.equity_csv()),
        ("report.html", bt.html(&report)),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).with_context(|| format!("writing {name}"))?;
    }
    println!(
        "{} {}: total return {:.2}%, CAGR {:.2}%, Sharpe {:.2}, max drawdown {:.2}%, {} trades, fees {} — {}",
        report.strategy,
        report.pairs.join(","),
        report.total_return * 100.0,
        report.cagr * 100.0,
        report.sharpe,
        report.max_drawdown * 100.0,
        report.trades,
        report.fees_paid.round_dp(2),
        report.gate
    );
    if let Some(g) = group {
        let r = g.report();
        println!(
            "ml gate: {} signals, {} passed, {} refused {:?}; {}",
            r.signals_seen, r.passed, r.refused, r.refusals, r.note
        );
    }
    println!("report: {}", dir.join("report.html").display());
    Ok(ExitCode::SUCCESS)
}
