//! Import of Kraken OHLCVT files (`.csv` / `.csv.gz`, headerless or with a header) into the
//! store. A file is parsed and validated completely before anything is written, then written
//! in one transaction: a bad line leaves the store exactly as it was.

use crate::{Store, StoreError, WriteOutcome};
use cst_core::candle::CandleRow;
use cst_core::interval::Interval;
use cst_core::ohlcvt::{Layout, parse_file_name};
use cst_core::pair::Pair;
use cst_core::quality::{GateMode, QualityReport, assess};
use flate2::read::MultiGzDecoder;
use serde::Serialize;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Why a file could not be imported. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line is malformed or breaks a data rule.
    #[error("{file}:{line}: {reason}")]
    Line {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The pair is neither in the file name nor given.
    #[error("{file}: {reason}")]
    Pair {
        /// The file.
        file: String,
        /// Why, and how to pass it explicitly.
        reason: String,
    },
    /// The interval is neither in the file name nor given.
    #[error(
        "{file}: cannot tell the candle interval from the file name; pass it explicitly, e.g. --interval 1h (Kraken names files PAIR_MINUTES.csv, e.g. XBTUSD_60.csv)"
    )]
    Interval {
        /// The file.
        file: String,
    },
    /// The file holds no candles.
    #[error("{file}: no candles in file")]
    Empty {
        /// The file.
        file: String,
    },
    /// The store refused the write (a conflict or a database error); nothing was written.
    #[error("{file}: {source}")]
    Store {
        /// The file.
        file: String,
        /// The store error.
        source: StoreError,
    },
}

/// A file parsed and validated, ready to store.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    /// The file.
    pub file: PathBuf,
    /// Series pair.
    pub pair: Pair,
    /// Series interval.
    pub interval: Interval,
    /// Candles in strictly ascending time.
    pub rows: Vec<CandleRow>,
}

/// The outcome of importing one file.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// The file.
    pub file: String,
    /// Pair (wsname).
    pub pair: String,
    /// Interval.
    pub interval: Interval,
    /// Candles in the file.
    pub rows: usize,
    /// New candles stored, and those already present with identical values.
    #[serde(flatten)]
    pub outcome: WriteOutcome,
    /// The data-quality gate's report on the file's candles.
    pub quality: QualityReport,
}

/// Counts bytes as they are read, for progress on compressed and plain files alike.
struct Counting<R> {
    inner: R,
    on_bytes: Box<dyn FnMut(u64)>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.on_bytes)(n as u64);
        Ok(n)
    }
}

fn open_lines(path: &Path, on_bytes: Box<dyn FnMut(u64)>) -> std::io::Result<Box<dyn BufRead>> {
    let raw = Counting { inner: File::open(path)?, on_bytes };
    let gz = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    Ok(if gz { Box::new(BufReader::new(MultiGzDecoder::new(raw))) } else { Box::new(BufReader::new(raw)) })
}

/// Resolves the series of a file from explicit values or Kraken's file-name convention.
pub fn resolve_series(
    path: &Path,
    pair: Option<&Pair>,
    interval: Option<Interval>,
) -> Result<(Pair, Interval), ImportError> {
    let file = path.display().to_string();
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let hint = parse_file_name(name);
    let pair = match (pair, hint.pair) {
        (Some(p), _) => p.clone(),
        (None, Some(p)) => p,
        (None, None) => {
            let stem = name.split('_').next().unwrap_or(name);
            let reason = format!(
                "unknown pair {stem:?} in the file name; pass it explicitly as BASE/QUOTE, e.g. --pair XBT/USD"
            );
            return Err(ImportError::Pair { file, reason });
        }
    };
    let interval = interval.or(hint.interval).ok_or(ImportError::Interval { file })?;
    Ok((pair, interval))
}

/// Reads and validates one OHLCVT file. `on_bytes` is told how many file bytes were consumed.
pub fn read_file(
    path: &Path,
    pair: Option<&Pair>,
    interval: Option<Interval>,
    on_bytes: Box<dyn FnMut(u64)>,
) -> Result<ParsedFile, ImportError> {
    let file = path.display().to_string();
    let (pair, interval) = resolve_series(path, pair, interval)?;
    let io = |source| ImportError::Io { file: file.clone(), source };
    let reader = open_lines(path, on_bytes).map_err(io)?;
    let mut layout = Layout::default();
    let mut rows: Vec<CandleRow> = Vec::new();
    for (idx, line) in reader.lines().enumerate() {
        let line = line.map_err(io)?;
        let n = idx + 1;
        let bad = |reason: String| ImportError::Line { file: file.clone(), line: n, reason };
        if line.trim().is_empty() {
            continue;
        }
        if n == 1
            && let Some(l) = Layout::from_header(&line).map_err(|e| bad(e.to_string()))?
        {
            layout = l;
            continue;
        }
        let row = layout.parse_line(&line).map_err(|e| bad(e.to_string()))?;
        row.validate(interval).map_err(|e| bad(e.to_string()))?;
        if let Some(prev) = rows.last() {
            if row.time == prev.time {
                return Err(bad(format!("duplicate timestamp {}", row.time)));
            }
            if row.time < prev.time {
                return Err(bad(format!("timestamp {} out of order (previous row is {})", row.time, prev.time)));
            }
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(ImportError::Empty { file });
    }
    Ok(ParsedFile { file: path.to_path_buf(), pair, interval, rows })
}

/// Stores a parsed file in one transaction and reports what happened and the file's quality.
pub async fn store_file(store: &Store, parsed: &ParsedFile) -> Result<ImportReport, ImportError> {
    let file = parsed.file.display().to_string();
    let outcome = store
        .write_candles(&parsed.pair, parsed.interval, &parsed.rows)
        .await
        .map_err(|source| ImportError::Store { file: file.clone(), source })?;
    let quality = assess(&parsed.pair.wsname(), parsed.interval, &parsed.rows, None, GateMode::Research);
    Ok(ImportReport {
        file,
        pair: parsed.pair.wsname(),
        interval: parsed.interval,
        rows: parsed.rows.len(),
        outcome,
        quality,
    })
}

/// Reads, validates and stores one file.
pub async fn import_file(
    store: &Store,
    path: &Path,
    pair: Option<&Pair>,
    interval: Option<Interval>,
) -> Result<ImportReport, ImportError> {
    let parsed = read_file(path, pair, interval, Box::new(|_| {}))?;
    store_file(store, &parsed).await
}

/// Expands paths: files as given, directories recursively to their `.csv` / `.csv.gz` files,
/// sorted so imports are deterministic.
pub fn expand_paths(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            collect_csv(p, &mut found)?;
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn collect_csv(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_csv(&path, out)?;
        } else if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
            let lower = name.to_ascii_lowercase();
            if lower.ends_with(".csv") || lower.ends_with(".csv.gz") {
                out.push(path);
            }
        }
    }
    Ok(())
}
