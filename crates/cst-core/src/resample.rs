//! Exact resampling of candles to a coarser interval. Because Kraken omits intervals without
//! trades, a coarse candle built from whatever fine candles exist is still exact: the missing
//! fine intervals contributed no trades.

use crate::candle::CandleRow;
use crate::interval::Interval;

/// Why a series cannot be resampled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResampleError {
    /// The target interval is not a whole multiple of the source.
    #[error("cannot resample {from} to {to}: {to} is not a whole multiple of {from}")]
    NotAMultiple {
        /// source interval
        from: Interval,
        /// target interval
        to: Interval,
    },
    /// Rows must be strictly increasing in time.
    #[error("rows are not strictly increasing in time at {0}")]
    Unordered(i64),
}

/// Builds `to` candles from `from` candles: first open, max high, min low, last close, summed
/// volume and trade count, stamped with the coarse open time.
pub fn resample(rows: &[CandleRow], from: Interval, to: Interval) -> Result<Vec<CandleRow>, ResampleError> {
    if !from.divides(to) {
        return Err(ResampleError::NotAMultiple { from, to });
    }
    let mut out: Vec<CandleRow> = Vec::with_capacity(rows.len() / 2 + 1);
    let mut last_time: Option<i64> = None;
    for r in rows {
        if last_time.is_some_and(|t| r.time <= t) {
            return Err(ResampleError::Unordered(r.time));
        }
        last_time = Some(r.time);
        let bucket = to.floor_secs(r.time);
        match out.last_mut() {
            Some(c) if c.time == bucket => {
                c.high = c.high.max(r.high);
                c.low = c.low.min(r.low);
                c.close = r.close;
                c.volume += r.volume;
                c.trades += r.trades;
            }
            _ => out.push(CandleRow { time: bucket, ..r.clone() }),
        }
    }
    Ok(out)
}

/// Coarse candles whose whole window lies inside the span the fine series covers
/// (`[first open, last open + from)`), and how many edge windows were left out. Inside that span
/// a missing fine candle means "no trades"; at the edges it may mean "no data", so edge
/// windows are not claimed to be complete candles.
pub fn resample_complete(
    rows: &[CandleRow],
    from: Interval,
    to: Interval,
) -> Result<(Vec<CandleRow>, usize), ResampleError> {
    let all = resample(rows, from, to)?;
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Ok((all, 0));
    };
    let (start, end) = (first.time, last.time + from.secs());
    let before = all.len();
    let complete: Vec<CandleRow> = all.into_iter().filter(|c| c.time >= start && c.time + to.secs() <= end).collect();
    let skipped = before - complete.len();
    Ok((complete, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn combines_first_open_extremes_last_close_and_sums() {
        let a = CandleRow {
            time: 0,
            open: dec!(10),
            high: dec!(12),
            low: dec!(9),
            close: dec!(11),
            volume: dec!(1.5),
            trades: 3,
        };
        let b = CandleRow {
            time: 600,
            open: dec!(11),
            high: dec!(13),
            low: dec!(10),
            close: dec!(12),
            volume: dec!(0.25),
            trades: 2,
        };
        let out = resample(&[a, b], Interval::M5, Interval::M15).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0],
            CandleRow {
                time: 0,
                open: dec!(10),
                high: dec!(13),
                low: dec!(9),
                close: dec!(12),
                volume: dec!(1.75),
                trades: 5
            }
        );
    }

    #[test]
    fn leaves_out_windows_the_fine_series_only_partly_covers() {
        let r = |time| CandleRow {
            time,
            open: dec!(1),
            high: dec!(1),
            low: dec!(1),
            close: dec!(1),
            volume: dec!(1),
            trades: 1,
        };
        // 5m candles opening 00:05 … 00:35 cover 00:05–00:40: the 00:00 window starts before
        // the data, the 00:30 window ends after it; only 00:15 is complete.
        let rows: Vec<_> = (1..=7).map(|k| r(k * 300)).collect();
        let (out, skipped) = resample_complete(&rows, Interval::M5, Interval::M15).unwrap();
        assert_eq!(out.iter().map(|c| c.time).collect::<Vec<_>>(), vec![900]);
        assert_eq!(skipped, 2);
    }

    #[test]
    fn refuses_non_multiples_and_unordered_input() {
        assert!(resample(&[], Interval::H4, Interval::H1).is_err());
        let r = CandleRow {
            time: 300,
            open: dec!(1),
            high: dec!(1),
            low: dec!(1),
            close: dec!(1),
            volume: dec!(1),
            trades: 1,
        };
        assert_eq!(resample(&[r.clone(), r], Interval::M5, Interval::M15), Err(ResampleError::Unordered(300)));
    }
}
