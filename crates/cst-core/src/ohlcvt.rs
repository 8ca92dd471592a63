//! Kraken's OHLCVT CSV dialects: headerless dumps (`time,open,high,low,close,volume,trades`),
//! files with a header in any letter case, and the pair/interval encoded in file names
//! (`XBTUSD_60.csv`, `ETHUSD_1440.csv.gz`, `BTCUSD_Daily_OHLC.csv`, `XBTUSD_15_2023H1_train.csv.gz`).

use crate::candle::CandleRow;
use crate::interval::Interval;
use crate::num::parse_decimal;
use crate::pair::Pair;

/// The seven columns, in Kraken's order.
pub const COLUMNS: [&str; 7] = ["time", "open", "high", "low", "close", "volume", "trades"];

/// What the file name says about its series; either part may be unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileNameHint {
    /// Pair from the first `_`-separated token.
    pub pair: Option<Pair>,
    /// Interval from the second token (minutes or `Daily`).
    pub interval: Option<Interval>,
}

/// Reads pair and interval from a Kraken OHLCVT file name (a path's last component).
pub fn parse_file_name(file_name: &str) -> FileNameHint {
    let stem = file_name.trim_end_matches(".gz").trim_end_matches(".csv");
    let mut tokens = stem.split('_');
    let pair = tokens.next().and_then(|t| t.parse::<Pair>().ok());
    let interval = tokens.next().and_then(|t| t.parse::<Interval>().ok());
    FileNameHint { pair, interval }
}

/// Why a line is not a valid OHLCVT row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// Not seven comma-separated fields.
    #[error("expected 7 columns (time,open,high,low,close,volume,trades), found {0}")]
    ColumnCount(usize),
    /// A field that should be a number is not (NaN and inf included).
    #[error("column {column}: {value:?} is not a number")]
    NotNumeric {
        /// Column name.
        column: &'static str,
        /// The raw text.
        value: String,
    },
    /// A header whose columns are not Kraken's seven.
    #[error("unrecognised header {0:?}; expected time,open,high,low,close,volume,trades")]
    Header(String),
}

/// Column positions of one file, from its header or Kraken's default order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    index: [usize; 7],
}

impl Default for Layout {
    fn default() -> Self {
        Self { index: [0, 1, 2, 3, 4, 5, 6] }
    }
}

fn column_alias(name: &str) -> Option<usize> {
    let n = name.trim().trim_matches('"').to_ascii_lowercase();
    let n = match n.as_str() {
        "timestamp" | "date" | "unix" => "time",
        "count" | "trade_count" => "trades",
        other => other,
    };
    COLUMNS.iter().position(|c| *c == n)
}

impl Layout {
    /// If `line` is a header, its layout; `Ok(None)` for a data line.
    pub fn from_header(line: &str) -> Result<Option<Layout>, LineError> {
        let first = line.split(',').next().unwrap_or("").trim();
        if first.is_empty() || first.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
            return Ok(None);
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != 7 {
            return Err(LineError::Header(line.to_string()));
        }
        let mut index = [usize::MAX; 7];
        for (pos, f) in fields.iter().enumerate() {
            let col = column_alias(f).ok_or_else(|| LineError::Header(line.to_string()))?;
            index[col] = pos;
        }
        if index.contains(&usize::MAX) {
            return Err(LineError::Header(line.to_string()));
        }
        Ok(Some(Layout { index }))
    }

    /// Parses one data line into a raw row (no judgement of the values yet).
    pub fn parse_line(&self, line: &str) -> Result<CandleRow, LineError> {
        let fields: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
        if fields.len() != 7 {
            return Err(LineError::ColumnCount(fields.len()));
        }
        let field = |col: usize| fields[self.index[col]].trim();
        let not_numeric = |col: usize| LineError::NotNumeric { column: COLUMNS[col], value: field(col).to_string() };
        let dec = |col: usize| parse_decimal(field(col)).map_err(|_| not_numeric(col));
        let int = |col: usize| -> Result<i64, LineError> {
            let t = field(col);
            t.parse::<i64>()
                .or_else(|_| t.strip_suffix(".0").unwrap_or("x").parse::<i64>())
                .map_err(|_| not_numeric(col))
        };
        Ok(CandleRow {
            time: int(0)?,
            open: dec(1)?,
            high: dec(2)?,
            low: dec(3)?,
            close: dec(4)?,
            volume: dec(5)?,
            trades: int(6)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn reads_pair_and_interval_from_kraken_file_names() {
        let h = parse_file_name("XBTUSD_60.csv.gz");
        assert_eq!(h.pair.map(|p| p.wsname()), Some("XBT/USD".into()));
        assert_eq!(h.interval, Some(Interval::H1));
        assert_eq!(parse_file_name("ETHUSD_1440.csv").interval, Some(Interval::D1));
        let d = parse_file_name("BTCUSD_Daily_OHLC.csv");
        assert_eq!((d.pair.map(|p| p.wsname()), d.interval), (Some("XBT/USD".into()), Some(Interval::D1)));
        assert_eq!(parse_file_name("XBTUSD_15_2023H1_train.csv.gz").interval, Some(Interval::M15));
        assert_eq!(parse_file_name("prices.csv"), FileNameHint { pair: None, interval: None });
    }

    #[test]
    fn recognises_headers_in_any_case_and_order() {
        assert_eq!(Layout::from_header("1381017600,122.0,122.0,122.0,122.0,0.1,1"), Ok(None));
        assert_eq!(Layout::from_header("Time,Open,High,Low,Close,Volume,Trades"), Ok(Some(Layout::default())));
        let l = Layout::from_header("open,high,low,close,volume,trades,time").unwrap().unwrap();
        let r = l.parse_line("1,2,0.5,1.5,10,3,1381017600").unwrap();
        assert_eq!((r.time, r.open, r.trades), (1_381_017_600, dec!(1), 3));
        assert!(Layout::from_header("a,b,c,d,e,f,g").is_err());
    }

    #[test]
    fn parses_kraken_dump_line_exactly() {
        let r = Layout::default().parse_line("1381017600,122.0,122.0,122.0,122.0,0.1,1").unwrap();
        assert_eq!(r.close, dec!(122.0));
        assert_eq!(r.volume, dec!(0.1));
    }

    #[test]
    fn refuses_nan_and_wrong_column_counts() {
        let l = Layout::default();
        assert!(matches!(l.parse_line("1,NaN,1,1,1,1,1"), Err(LineError::NotNumeric { column: "open", .. })));
        assert_eq!(l.parse_line("1,1,1,1,1,1"), Err(LineError::ColumnCount(6)));
        assert!(matches!(l.parse_line("x,1,1,1,1,1,1"), Err(LineError::NotNumeric { column: "time", .. })));
    }
}
