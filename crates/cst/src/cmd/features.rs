//! `cst features`: the default feature set of one series (file or store), exported as CSV.

use super::ta::{load_series, report_gaps};
use crate::home::HomeArgs;
use anyhow::{Context, bail};
use clap::Args;
use cst_core::features::{FeatureConfig, FeatureMatrix, compute};
use cst_core::interval::Interval;
use cst_core::pair::Pair;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `cst features`: one of `--input` or `--pair` with `--interval`.
#[derive(Debug, Args)]
pub struct FeaturesArgs {
    /// Kraken OHLCVT file (.csv or .csv.gz, with or without header).
    #[arg(long, conflicts_with = "pair")]
    input: Option<PathBuf>,
    /// Stored series pair (with --interval).
    #[arg(long, requires = "interval")]
    pair: Option<Pair>,
    /// Base interval (for --input it defaults to the file name's, e.g. _60 → 1h).
    #[arg(long)]
    interval: Option<Interval>,
    /// Context timeframes, comma-separated (default: 4h,1d for 1h; 1h,1d below 1h; 1d for 4h).
    #[arg(long, value_delimiter = ',')]
    context: Option<Vec<Interval>>,
    /// Missing intervals above which a gap resets every indicator (shorter gaps are flagged).
    #[arg(long, default_value_t = 12)]
    max_gap: i64,
    /// Output CSV: `time,close_time` then one column per feature; empty cells without a value.
    #[arg(long)]
    out: PathBuf,
}

/// Runs `cst features`.
pub fn run(home: &HomeArgs, args: FeaturesArgs) -> anyhow::Result<ExitCode> {
    let (label, interval, rows) = load_series(home, args.input.as_deref(), args.pair.as_ref(), args.interval)?;
    let Some(interval) = interval else {
        bail!("{label}: the interval is not in the file name; pass --interval");
    };
    report_gaps(&label, Some(interval), &rows);
    let mut config = FeatureConfig::default_for(interval);
    if let Some(ctx) = args.context {
        config.contexts = ctx;
    }
    config.max_gap_intervals = args.max_gap;
    let m = compute(config, &rows).context("computing features")?;
    for e in m.rejected.iter().take(20) {
        eprintln!("  rejected: {e}");
    }
    write_matrix(&args.out, &m, interval)?;
    eprintln!(
        "{label}: {} rows ({} rejected), {} features -> {}",
        m.times.len(),
        m.rejected.len(),
        m.names.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn write_matrix(out: &Path, m: &FeatureMatrix, interval: Interval) -> anyhow::Result<()> {
    let file = File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut w = BufWriter::new(file);
    write!(w, "time,close_time")?;
    for n in &m.names {
        write!(w, ",{n}")?;
    }
    writeln!(w)?;
    for (i, t) in m.times.iter().enumerate() {
        write!(w, "{t},{}", t + interval.secs())?;
        for v in m.row(i) {
            match v {
                Some(v) => write!(w, ",{v}")?,
                None => write!(w, ",")?,
            }
        }
        writeln!(w)?;
    }
    w.flush().with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}
