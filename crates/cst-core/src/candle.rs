//! Candles. `CandleRow` is a row as found in a file or a database (any decimals, checked by
//! the data-quality gate); `Candle` is one that passed validation and is safe to trade on.

use crate::interval::Interval;
use crate::num::{NumError, Price, Qty};
use crate::time::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A raw OHLCVT row: open time in unix seconds and exact decimal values, not yet judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandleRow {
    /// Candle open time, unix seconds UTC (Kraken's convention).
    pub time: i64,
    /// Opening price.
    pub open: Decimal,
    /// Highest price.
    pub high: Decimal,
    /// Lowest price.
    pub low: Decimal,
    /// Closing price.
    pub close: Decimal,
    /// Traded volume in base units.
    pub volume: Decimal,
    /// Number of trades.
    pub trades: i64,
}

/// Why a row is not a valid candle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CandleError {
    /// A price is zero or negative.
    #[error("non-positive price: {0}")]
    Price(NumError),
    /// Volume is negative.
    #[error("negative volume: {0}")]
    Volume(NumError),
    /// Trade count is negative.
    #[error("negative trade count {0}")]
    Trades(i64),
    /// low ≤ open, close ≤ high does not hold.
    #[error("OHLC inconsistent: open {open} high {high} low {low} close {close}")]
    Ohlc {
        /// open
        open: Decimal,
        /// high
        high: Decimal,
        /// low
        low: Decimal,
        /// close
        close: Decimal,
    },
    /// The open time is not on the interval grid.
    #[error("time {time} is not aligned to the {interval} grid")]
    Misaligned {
        /// open time, unix seconds
        time: i64,
        /// the interval
        interval: Interval,
    },
}

impl CandleRow {
    /// Checks the accuracy rule alone: low ≤ open, close ≤ high (and low ≤ high).
    pub fn ohlc_consistent(&self) -> bool {
        self.low <= self.high
            && self.low <= self.open
            && self.low <= self.close
            && self.open <= self.high
            && self.close <= self.high
    }

    /// Validates the row into a candle of the given interval.
    pub fn validate(&self, interval: Interval) -> Result<Candle, CandleError> {
        let price = |d: Decimal| Price::new(d).map_err(CandleError::Price);
        let (open, high, low, close) = (price(self.open)?, price(self.high)?, price(self.low)?, price(self.close)?);
        let volume = Qty::new(self.volume).map_err(CandleError::Volume)?;
        if self.trades < 0 {
            return Err(CandleError::Trades(self.trades));
        }
        if !self.ohlc_consistent() {
            return Err(CandleError::Ohlc { open: self.open, high: self.high, low: self.low, close: self.close });
        }
        if interval.floor_secs(self.time) != self.time {
            return Err(CandleError::Misaligned { time: self.time, interval });
        }
        let open_time =
            Timestamp::from_secs(self.time).map_err(|_| CandleError::Misaligned { time: self.time, interval })?;
        Ok(Candle { open_time, interval, open, high, low, close, volume, trades: self.trades as u64 })
    }
}

/// A validated candle: positive prices, consistent OHLC, non-negative volume, aligned time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candle {
    /// Open time (the candle covers `[open_time, open_time + interval)`).
    pub open_time: Timestamp,
    /// Candle length.
    pub interval: Interval,
    /// Opening price.
    pub open: Price,
    /// Highest price.
    pub high: Price,
    /// Lowest price.
    pub low: Price,
    /// Closing price.
    pub close: Price,
    /// Traded volume in base units.
    pub volume: Qty,
    /// Number of trades.
    pub trades: u64,
}

impl Candle {
    /// The instant the candle closes; features computed from it are known from then on.
    pub fn close_time(&self) -> Timestamp {
        self.open_time.add_secs(self.interval.secs())
    }

    /// Back to a raw row (for storage and export).
    pub fn to_row(&self) -> CandleRow {
        CandleRow {
            time: self.open_time.as_secs(),
            open: self.open.value(),
            high: self.high.value(),
            low: self.low.value(),
            close: self.close.value(),
            volume: self.volume.value(),
            trades: self.trades as i64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn row(o: Decimal, h: Decimal, l: Decimal, c: Decimal) -> CandleRow {
        CandleRow { time: 1_672_531_200, open: o, high: h, low: l, close: c, volume: dec!(1), trades: 1 }
    }

    #[test]
    fn accepts_kraken_first_q1_2023_hour() {
        let r = row(dec!(16528.7), dec!(16530.0), dec!(16505.2), dec!(16519.3));
        let c = r.validate(Interval::H1).unwrap();
        assert_eq!(c.close_time().as_secs(), 1_672_534_800);
        assert_eq!(c.to_row(), r);
    }

    #[test]
    fn rejects_high_below_low_and_close_above_high() {
        assert!(matches!(
            row(dec!(2), dec!(1), dec!(3), dec!(2)).validate(Interval::H1),
            Err(CandleError::Ohlc { .. })
        ));
        assert!(matches!(
            row(dec!(2), dec!(3), dec!(1), dec!(4)).validate(Interval::H1),
            Err(CandleError::Ohlc { .. })
        ));
    }

    #[test]
    fn rejects_misaligned_open_time() {
        let mut r = row(dec!(2), dec!(3), dec!(1), dec!(2));
        r.time += 60;
        assert!(matches!(r.validate(Interval::H1), Err(CandleError::Misaligned { .. })));
    }
}
