//! A minimal L2 book snapshot for the execution policy and the simulated venue: spread, depth
//! within a band, and walking levels. (The streaming, checksummed book lives elsewhere.)

use crate::event::{PairId, Stamp};
use crate::num::{Price, Qty};
use crate::trade::Side;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One level of an L2 book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    /// Level price.
    pub price: Price,
    /// Quantity resting at the level.
    pub qty: Qty,
}

/// A full L2 snapshot (best first on both sides).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Depth {
    /// Which pair.
    pub pair: PairId,
    /// Exchange and receipt time.
    pub stamp: Stamp,
    /// Bids, highest first.
    pub bids: Vec<Level>,
    /// Asks, lowest first.
    pub asks: Vec<Level>,
}

/// The result of walking one side of the book for a quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walk {
    /// Quantity that found liquidity (≤ asked).
    pub filled: Decimal,
    /// Quote spent or received for it.
    pub cost: Decimal,
    /// Levels touched.
    pub levels: usize,
}

impl Walk {
    /// Volume-weighted price of the walk, `None` when nothing filled.
    pub fn average_price(&self) -> Option<Decimal> {
        (!self.filled.is_zero()).then(|| self.cost / self.filled)
    }
}

impl Depth {
    /// The side a taker of `side` consumes (a buy takes asks).
    pub fn opposite(&self, side: Side) -> &[Level] {
        match side {
            Side::Buy => &self.asks,
            Side::Sell => &self.bids,
        }
    }

    /// Best bid and ask.
    pub fn best(&self) -> Option<(Price, Price)> {
        Some((self.bids.first()?.price, self.asks.first()?.price))
    }

    /// Mid price.
    pub fn mid(&self) -> Option<Price> {
        let (b, a) = self.best()?;
        Price::new((b.value() + a.value()) / Decimal::TWO).ok()
    }

    /// Spread in basis points of the mid.
    pub fn spread_bps(&self) -> Option<Decimal> {
        let (b, a) = self.best()?;
        let mid = self.mid()?.value();
        Some((a.value() - b.value()) / mid * Decimal::from(10_000))
    }

    /// Quote value resting on the side a `side` taker consumes, within `band_bps` of the mid.
    pub fn depth_within_bps(&self, side: Side, band_bps: Decimal) -> Decimal {
        let Some(mid) = self.mid() else { return Decimal::ZERO };
        let band = mid.value() * band_bps / Decimal::from(10_000);
        self.opposite(side)
            .iter()
            .take_while(|l| (l.price.value() - mid.value()).abs() <= band)
            .map(|l| l.price.value() * l.qty.value())
            .sum()
    }

    /// Walks the opposite side for `qty`, stopping at `limit` (inclusive) when given.
    pub fn walk(&self, side: Side, qty: Decimal, limit: Option<Price>) -> Walk {
        walk_levels(self.opposite(side), side, qty, limit)
    }
}

/// Walks `levels` (best first) as a `side` taker for `qty`, never past `limit`.
pub fn walk_levels(levels: &[Level], side: Side, qty: Decimal, limit: Option<Price>) -> Walk {
    let mut w = Walk { filled: Decimal::ZERO, cost: Decimal::ZERO, levels: 0 };
    for l in levels {
        let left = qty - w.filled;
        if left <= Decimal::ZERO || !within(side, l.price, limit) {
            break;
        }
        let take = left.min(l.qty.value());
        w.filled += take;
        w.cost += take * l.price.value();
        w.levels += 1;
    }
    w
}

/// True when a `side` taker may trade at `price` under `limit`.
pub fn within(side: Side, price: Price, limit: Option<Price>) -> bool {
    match (side, limit) {
        (_, None) => true,
        (Side::Buy, Some(l)) => price <= l,
        (Side::Sell, Some(l)) => price >= l,
    }
}
