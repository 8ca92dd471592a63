//! `cst ta`: the standard TA-Lib indicator set over one candle series, written as CSV.
//!
//! The indicators run over the rows exactly as given (as TA-Lib does), so the output can be
//! compared with TA-Lib row for row; the gaps the data-quality gate sees are listed on stderr.

use crate::home::HomeArgs;
use anyhow::{Context, bail};
use clap::Args;
use cst_core::CandleRow;
use cst_core::indicators::{Column, Ohlcv, STANDARD_NAMES, standard_columns};
use cst_core::interval::Interval;
use cst_core::ohlcvt::{Layout, parse_file_name};
use cst_core::pair::Pair;
use cst_core::quality::{GateMode, assess};
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `cst ta`: one of `--input` or `--pair` with `--interval`.
#[derive(Debug, Args)]
pub struct TaArgs {
    /// Kraken OHLCVT file (.csv or .csv.gz, with or without header).
    #[arg(long, conflicts_with = "pair")]
    input: Option<PathBuf>,
    /// Stored series pair (with --interval).
    #[arg(long, requires = "interval")]
    pair: Option<Pair>,
    /// Series interval (for --pair; for --input it defaults to the file name's, e.g. _60 → 1h).
    #[arg(long)]
    interval: Option<Interval>,
    /// Output CSV: `time` plus sma20, ema20, ..., sar; empty cells during warm-up.
    #[arg(long)]
    out: PathBuf,
}

/// Runs `cst ta`.
pub fn run(home: &HomeArgs, args: TaArgs) -> anyhow::Result<ExitCode> {
    let (label, interval, rows) = load_series(home, args.input.as_deref(), args.pair.as_ref(), args.interval)?;
    report_gaps(&label, interval, &rows);
    let candles = Ohlcv::from_rows(&rows);
    let columns = standard_columns(&candles).context("computing indicators")?;
    write_columns(&args.out, &candles.time, &STANDARD_NAMES, &columns)?;
    eprintln!("{label}: {} rows, {} indicator columns -> {}", rows.len(), columns.len(), args.out.display());
    Ok(ExitCode::SUCCESS)
}

/// The rows of a file or of a stored series, with a label and the interval.
pub(crate) fn load_series(
    home: &HomeArgs,
    input: Option<&Path>,
    pair: Option<&Pair>,
    interval: Option<Interval>,
) -> anyhow::Result<(String, Option<Interval>, Vec<CandleRow>)> {
    match (input, pair, interval) {
        (Some(path), _, _) => {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let interval = interval.or(parse_file_name(name).interval);
            Ok((path.display().to_string(), interval, read_rows(path)?))
        }
        (None, Some(pair), Some(interval)) => {
            let rows = read_store(home, pair, interval)?;
            if rows.is_empty() {
                bail!("the store has no {} {} candles (import them with `cst data import`)", pair.wsname(), interval);
            }
            Ok((format!("{} {}", pair.wsname(), interval), Some(interval), rows))
        }
        _ => bail!("give --input FILE, or --pair P with --interval I"),
    }
}

fn read_store(home: &HomeArgs, pair: &Pair, interval: Interval) -> anyhow::Result<Vec<CandleRow>> {
    let url = home.store_url()?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let store = cst_store::Store::open(&url).await.with_context(|| format!("opening store {url}"))?;
        Ok(store.candles(pair, interval, None, None).await?)
    })
}

/// Reads a Kraken OHLCVT file in file order, without judging the rows (the gate reports on them).
pub(crate) fn read_rows(path: &Path) -> anyhow::Result<Vec<CandleRow>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let gz = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let reader: Box<dyn BufRead> =
        if gz { Box::new(BufReader::new(MultiGzDecoder::new(file))) } else { Box::new(BufReader::new(file)) };
    let mut layout = Layout::default();
    let mut rows = Vec::new();
    for (idx, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{} line {}", path.display(), idx + 1);
        if idx == 0
            && let Some(l) = Layout::from_header(&line).with_context(at)?
        {
            layout = l;
            continue;
        }
        rows.push(layout.parse_line(&line).with_context(at)?);
    }
    if rows.is_empty() {
        bail!("{} has no candles", path.display());
    }
    Ok(rows)
}

/// Lists on stderr the gaps, duplicates and disorder the data-quality gate finds.
pub(crate) fn report_gaps(label: &str, interval: Option<Interval>, rows: &[CandleRow]) {
    let Some(interval) = interval else {
        eprintln!("{label}: interval unknown (pass --interval) so gaps are not checked");
        return;
    };
    let q = assess(label, interval, rows, None, GateMode::Research);
    let c = &q.completeness;
    eprintln!(
        "{label}: {} gaps ({} missing {} candles, longest {}); indicators run over the rows as given",
        c.gap_count, c.missing, interval, c.longest_gap
    );
    for g in &c.gaps {
        eprintln!("  gap {} .. {} ({} missing)", g.from, g.to, g.missing);
    }
    let u = &q.uniqueness;
    if u.duplicate_times.count + u.out_of_order.count > 0 {
        eprintln!("  {} duplicate and {} out-of-order rows", u.duplicate_times.count, u.out_of_order.count);
    }
}

/// Writes `time` plus one column per name; empty cells where a column has no value.
pub(crate) fn write_columns(out: &Path, time: &[i64], names: &[&str], columns: &[Column]) -> anyhow::Result<()> {
    let file = File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut w = BufWriter::new(file);
    write!(w, "time")?;
    for n in names {
        write!(w, ",{n}")?;
    }
    writeln!(w)?;
    for (row, t) in time.iter().enumerate() {
        write!(w, "{t}")?;
        for c in columns {
            match c.get(row) {
                Some(v) => write!(w, ",{v}")?,
                None => write!(w, ",")?,
            }
        }
        writeln!(w)?;
    }
    w.flush().with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}
