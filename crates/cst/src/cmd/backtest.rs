//! `cst backtest`: runs a strategy through the engine and the simulated Kraken venue over stored
//! candles (or Kraken OHLCVT files given with `--input`) and writes `report.json`,
//! `trades.csv`, `equity.csv` and `report.html`.

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
use cst_store::Store;
use indicatif::{ProgressBar, ProgressStyle};
use rust_decimal::Decimal;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `cst backtest`.
#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// A built-in strategy (`sma-cross` = 10/30, `rsi-reversion` = 14/30/70, `breakout` = 20/10)
    /// or a strategy TOML file.
    #[arg(long)]
    strategy: String,
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

fn read_text(path: &Path) -> anyhow::Result<String> {
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

fn default_asset_pairs() -> anyhow::Result<Vec<PathBuf>> {
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
fn instruments(files: &[PathBuf], pairs: &[Pair]) -> anyhow::Result<Vec<Instrument>> {
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

fn parse_time(text: &str) -> anyhow::Result<Timestamp> {
    if let Ok(secs) = text.parse::<i64>() {
        return Timestamp::from_secs(secs).map_err(|e| anyhow::anyhow!("{e}"));
    }
    Timestamp::parse(text).map_err(|e| anyhow::anyhow!("--from/--to {text:?}: {e}"))
}

fn strategy(arg: &str) -> anyhow::Result<StrategyFile> {
    if arg.ends_with(".toml") {
        let text = std::fs::read_to_string(arg).with_context(|| format!("reading strategy file {arg}"))?;
        return parse_strategy_file(&text).with_context(|| format!("strategy file {arg}"));
    }
    let spec = StrategySpec::builtin(arg)?;
    Ok(StrategyFile { spec, engine: Default::default(), venue: Default::default() })
}

async fn rows_for(a: &BacktestArgs, home: &HomeArgs, k: usize, pair: &Pair) -> anyhow::Result<Vec<CandleRow>> {
    let (from, to) = (a.from.as_deref().map(parse_time).transpose()?, a.to.as_deref().map(parse_time).transpose()?);
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

/// Runs `cst backtest`.
pub fn run(home: &HomeArgs, a: BacktestArgs) -> anyhow::Result<ExitCode> {
    if !a.input.is_empty() && a.input.len() != a.pairs.len() {
        bail!("--input needs one file per pair ({} pairs, {} files)", a.pairs.len(), a.input.len());
    }
    let file = strategy(&a.strategy)?;
    let asset_files = if a.asset_pairs.is_empty() { default_asset_pairs()? } else { a.asset_pairs.clone() };
    let insts = instruments(&asset_files, &a.pairs)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut series: Vec<BarSeries> = Vec::new();
    for (k, pair) in a.pairs.iter().enumerate() {
        let rows = rt.block_on(rows_for(&a, home, k, pair))?;
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
        series.push(s);
    }
    let bars = merge(&series.iter().map(|s| s.bars.as_slice()).collect::<Vec<_>>());
    let pairs =
        insts.into_iter().zip(&series).map(|(instrument, s)| VenuePair { instrument, scale: s.scale }).collect();
    let spec = BacktestSpec {
        strategy: file.spec,
        engine: file.engine,
        venue: file.venue,
        cash: a.cash,
        interval: a.interval,
        record_curve: true,
    };
    let mut bt = Backtest::new(spec, pairs)?;
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
    write_report(&bt, &a.report)
}

fn write_report(bt: &Backtest, dir: &Path) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let report = bt.report();
    let files = [
        ("report.json", report.to_json()),
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
    println!("report: {}", dir.join("report.html").display());
    Ok(ExitCode::SUCCESS)
}
