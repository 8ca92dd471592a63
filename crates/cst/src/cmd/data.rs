//! `cst data ...`: import, check, list, resample and export market data.

use crate::home::HomeArgs;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use cst_core::candle::CandleRow;
use cst_core::interval::Interval;
use cst_core::pair::Pair;
use cst_core::quality::{GateMode, QualityReport, Verdict, assess, consistency};
use cst_core::resample::resample_complete;
use cst_core::time::Timestamp;
use cst_store::Store;
use cst_store::import::{ImportReport, expand_paths, read_file, store_file};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Market-data commands.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Import Kraken OHLCVT files (.csv, .csv.gz; directories are searched recursively).
    Import(ImportArgs),
    /// Run the data-quality gate over stored series.
    Check(CheckArgs),
    /// List stored series with row counts and first/last candle.
    List(ListArgs),
    /// Build a coarser series exactly from a finer stored one and store it.
    Resample(ResampleArgs),
    /// Write one stored series as a CSV file.
    Export(ExportArgs),
    /// Download Kraken candles (OHLC, and trades for older history) through the gate into the store.
    Sync(super::sync::SyncArgs),
}

/// `cst data import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files or directories to import.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Pair for every file (default: from the file name, e.g. XBTUSD_60.csv → XBT/USD).
    #[arg(long)]
    pair: Option<Pair>,
    /// Interval for every file (default: from the file name, e.g. XBTUSD_60.csv → 1h).
    #[arg(long)]
    interval: Option<Interval>,
    /// Print the import reports as JSON.
    #[arg(long)]
    json: bool,
    /// After importing, run the data-quality gate over every imported series and print it.
    #[arg(long)]
    check: bool,
}

/// `cst data check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Only this pair.
    #[arg(long)]
    pair: Option<Pair>,
    /// Only this interval.
    #[arg(long)]
    interval: Option<Interval>,
    /// research: staleness is reported only; production: a stale series is blocked.
    #[arg(long, value_enum, default_value = "research")]
    mode: ModeArg,
    /// Print the full reports as JSON.
    #[arg(long)]
    json: bool,
}

/// Gate mode on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ModeArg {
    /// Historical work.
    Research,
    /// Trading.
    Production,
}

/// `cst data list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON: an array of {pair, interval, rows, first, last}.
    #[arg(long)]
    json: bool,
}

/// `cst data resample`.
#[derive(Debug, Args)]
pub struct ResampleArgs {
    /// The pair.
    #[arg(long)]
    pair: Pair,
    /// The stored finer interval.
    #[arg(long)]
    from_interval: Interval,
    /// The coarser interval to build.
    #[arg(long)]
    to_interval: Interval,
}

/// `cst data export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The pair.
    #[arg(long)]
    pair: Pair,
    /// The interval.
    #[arg(long)]
    interval: Interval,
    /// Output CSV file (`time,open,high,low,close,volume,trades`).
    #[arg(long)]
    out: PathBuf,
}

/// Runs one data command.
pub fn run(home: &HomeArgs, cmd: DataCommand) -> anyhow::Result<ExitCode> {
    let url = home.store_url()?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let store = Store::open(&url).await.with_context(|| format!("opening store {url}"))?;
        match cmd {
            DataCommand::Import(a) => import(&store, a).await,
            DataCommand::Check(a) => check(&store, a).await,
            DataCommand::List(a) => list(&store, a).await,
            DataCommand::Resample(a) => resample(&store, a).await,
            DataCommand::Export(a) => export(&store, a).await,
            DataCommand::Sync(a) => super::sync::run(&store, a).await,
        }
    })
}

fn progress_bar(total_bytes: u64) -> ProgressBar {
    let bar = ProgressBar::new(total_bytes);
    let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

async fn import(store: &Store, a: ImportArgs) -> anyhow::Result<ExitCode> {
    let files = expand_paths(&a.paths).context("listing import paths")?;
    if files.is_empty() {
        bail!("no .csv or .csv.gz files found in {:?}", a.paths);
    }
    let total: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let bar = progress_bar(total);
    let (mut reports, mut failures) = (Vec::new(), 0usize);
    for file in &files {
        bar.set_message(file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
        let tick = bar.clone();
        let result = match read_file(file, a.pair.as_ref(), a.interval, Box::new(move |n| tick.inc(n))) {
            Ok(parsed) => store_file(store, &parsed).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(r) => {
                bar.suspend(|| {
                    if !a.json {
                        print_import(&r)
                    }
                });
                reports.push(r);
            }
            Err(e) => {
                failures += 1;
                bar.suspend(|| eprintln!("error: {e}"));
            }
        }
    }
    bar.finish_and_clear();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    eprintln!("imported {} file(s), {} failed, into {}", reports.len(), failures, store.backend());
    let mut gate_failures = 0;
    if a.check {
        let mut imported: Vec<(String, Interval)> = reports.iter().map(|r| (r.pair.clone(), r.interval)).collect();
        imported.sort();
        imported.dedup();
        println!("\ndata-quality gate:");
        for (pair, interval) in imported {
            let pair: Pair = pair.parse()?;
            for r in quality_reports(store, Some(&pair), Some(interval), None, GateMode::Research).await? {
                gate_failures += usize::from(!r.is_tradable());
                print_check(&r);
            }
        }
    }
    Ok(if failures == 0 && gate_failures == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn print_import(r: &ImportReport) {
    let c = &r.quality.completeness;
    println!(
        "{:<9} {:<4} {:>7} rows  {:>7} new {:>7} unchanged  {} gaps ({} missing intervals)  {}",
        r.pair, r.interval, r.rows, r.outcome.inserted, r.outcome.unchanged, c.gap_count, c.missing, r.file
    );
}

/// Gate reports for the selected stored series, including resampling consistency against
/// every coarser stored interval of the same pair.
pub async fn quality_reports(
    store: &Store,
    pair: Option<&Pair>,
    interval: Option<Interval>,
    now: Option<Timestamp>,
    mode: GateMode,
) -> anyhow::Result<Vec<QualityReport>> {
    let all = store.series().await?;
    // A coarse series is compared with every finer one of its pair: load each series once.
    let mut loaded: HashMap<(String, Interval), Vec<CandleRow>> = HashMap::new();
    let mut reports = Vec::new();
    for s in
        all.iter().filter(|s| pair.is_none_or(|p| p.wsname() == s.pair) && interval.is_none_or(|i| i == s.interval))
    {
        let p: Pair = s.pair.parse()?;
        let mut intervals = vec![s.interval];
        intervals.extend(all.iter().filter(|c| c.pair == s.pair && s.interval.divides(c.interval)).map(|c| c.interval));
        for &iv in &intervals {
            if let std::collections::hash_map::Entry::Vacant(slot) = loaded.entry((s.pair.clone(), iv)) {
                slot.insert(store.candles(&p, iv, None, None).await?);
            }
        }
        let rows_of = |iv: Interval| loaded.get(&(s.pair.clone(), iv)).map(Vec::as_slice).unwrap_or_default();
        let mut report = assess(&s.pair, s.interval, rows_of(s.interval), now, mode);
        for &coarse in &intervals[1..] {
            if let Some(c) = consistency(rows_of(s.interval), s.interval, rows_of(coarse), coarse) {
                report.add_consistency(c, mode);
            }
        }
        reports.push(report);
    }
    Ok(reports)
}

async fn check(store: &Store, a: CheckArgs) -> anyhow::Result<ExitCode> {
    let mode = match a.mode {
        ModeArg::Research => GateMode::Research,
        ModeArg::Production => GateMode::Production,
    };
    let now = Timestamp::from_nanos(chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX));
    let reports = quality_reports(store, a.pair.as_ref(), a.interval, Some(now), mode).await?;
    if reports.is_empty() {
        bail!("no stored series match; import data first (cst data import PATH)");
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        reports.iter().for_each(print_check);
    }
    let failed = reports.iter().filter(|r| !r.is_tradable()).count();
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn print_check(r: &QualityReport) {
    let verdict = match &r.verdict {
        Verdict::Pass => "PASS".to_string(),
        Verdict::Warn(w) => format!("WARN: {}", w.join("; ")),
        Verdict::Fail(f) => format!("FAIL: {}", f.join("; ")),
    };
    println!(
        "{} {} — {} rows, {} → {}",
        r.pair,
        r.interval,
        r.rows,
        r.first.as_deref().unwrap_or("-"),
        r.last.as_deref().unwrap_or("-")
    );
    println!(
        "  completeness {:.4} ({} missing in {} gaps); OHLC violations {}; invalid prices {}; duplicates {}",
        r.completeness.ratio,
        r.completeness.missing,
        r.completeness.gap_count,
        r.accuracy.ohlc_violations.count,
        r.validity.non_positive_prices.count,
        r.uniqueness.duplicate_times.count
    );
    for c in &r.consistency {
        println!(
            "  consistency {}→{}: {} compared, {} matched, {} price mismatches, {} volume/trade-count mismatches",
            c.from, c.to, c.compared, c.matched, c.price_mismatches.count, c.volume_mismatches.count
        );
    }
    println!("  {verdict}");
}

async fn list(store: &Store, a: ListArgs) -> anyhow::Result<ExitCode> {
    let series = store.series().await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&series)?);
    } else {
        println!("{:<10} {:<8} {:>9}  {:<22} {:<22}", "pair", "interval", "rows", "first", "last");
        for s in &series {
            println!("{:<10} {:<8} {:>9}  {:<22} {:<22}", s.pair, s.interval, s.rows, s.first, s.last);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn resample(store: &Store, a: ResampleArgs) -> anyhow::Result<ExitCode> {
    let fine = store.candles(&a.pair, a.from_interval, None, None).await?;
    if fine.is_empty() {
        bail!("no stored {} {} candles to resample", a.pair, a.from_interval);
    }
    let (coarse, skipped) = resample_complete(&fine, a.from_interval, a.to_interval)?;
    let outcome = store.write_candles(&a.pair, a.to_interval, &coarse).await?;
    println!(
        "{} {} → {}: {} candles built ({} new, {} already stored identically); {} partly covered edge window(s) left out",
        a.pair,
        a.from_interval,
        a.to_interval,
        coarse.len(),
        outcome.inserted,
        outcome.unchanged,
        skipped
    );
    Ok(ExitCode::SUCCESS)
}

async fn export(store: &Store, a: ExportArgs) -> anyhow::Result<ExitCode> {
    let rows = store.candles(&a.pair, a.interval, None, None).await?;
    if rows.is_empty() {
        bail!("no stored {} {} candles", a.pair, a.interval);
    }
    let file = std::fs::File::create(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let mut w = std::io::BufWriter::new(file);
    writeln!(w, "time,open,high,low,close,volume,trades")?;
    for r in &rows {
        writeln!(w, "{},{},{},{},{},{},{}", r.time, r.open, r.high, r.low, r.close, r.volume, r.trades)?;
    }
    w.flush()?;
    eprintln!("wrote {} candles to {}", rows.len(), a.out.display());
    Ok(ExitCode::SUCCESS)
}
