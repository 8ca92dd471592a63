//! Builds the candles of a coarser context timeframe from base candles, causally: a context
//! candle is handed out only once it has closed, i.e. at the base candle that ends it or, when
//! that one is missing, at the first base candle of a later context period.

use crate::indicators::Bar;
use crate::interval::Interval;

/// A closed context candle: its open time (unix seconds) and prices.
pub(crate) type Closed = (i64, Bar);

/// Aggregates base candles into one coarser interval.
#[derive(Debug, Clone)]
pub(crate) struct Aggregator {
    base_secs: i64,
    context: Interval,
    open: Option<Closed>,
}

impl Aggregator {
    pub(crate) fn new(base: Interval, context: Interval) -> Self {
        Self { base_secs: base.secs(), context, open: None }
    }

    /// Takes one base candle (open time, bar); returns the context candles it closes, oldest
    /// first (two when a sparse period both ends the previous one and fills the new one).
    pub(crate) fn push(&mut self, time_secs: i64, bar: Bar) -> [Option<Closed>; 2] {
        let bucket = self.context.floor_secs(time_secs);
        let mut closed = [None, None];
        match &mut self.open {
            Some((b, agg)) if *b == bucket => {
                agg.high = agg.high.max(bar.high);
                agg.low = agg.low.min(bar.low);
                agg.close = bar.close;
                agg.volume += bar.volume;
            }
            _ => closed[0] = self.open.replace((bucket, bar)),
        }
        if time_secs + self.base_secs >= bucket + self.context.secs() {
            closed[1] = self.open.take();
        }
        closed
    }
}
