//! The L2 order book: aggregated quantity per price level, kept exact and fast.
//!
//! Prices and quantities live as `u64` mantissas at a fixed number of decimals per book
//! ([`BookScale`]), so every comparison is an integer comparison and every value converts back
//! to the exact [`Price`] / [`Qty`]. The rules are Kraken's: levels are applied in order, a
//! zero quantity deletes the level, and after each level change the side is truncated to the
//! subscribed depth (the exchange does not send deletes for levels that fall out of range).

mod ladder;
pub mod scaled;

use crate::num::{Price, Qty};
use ladder::{Ladder, Slot};
use rust_decimal::Decimal;
pub use scaled::{ScaleError, decimals_in, parse_scaled, to_decimal};

/// Which side of the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BookSide {
    /// Buy orders, best = highest price.
    Bid,
    /// Sell orders, best = lowest price.
    Ask,
}

/// Decimal places of prices and quantities in one book (Kraken's `price_precision` and
/// `qty_precision`, or the widest text seen in a snapshot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BookScale {
    /// Decimals of every price.
    pub price_decimals: u8,
    /// Decimals of every quantity.
    pub qty_decimals: u8,
}

impl BookScale {
    /// A scale, refusing more than [`scaled::MAX_DECIMALS`] places.
    pub fn new(price_decimals: u8, qty_decimals: u8) -> Result<Self, BookError> {
        let max = scaled::MAX_DECIMALS;
        if price_decimals > max || qty_decimals > max {
            return Err(BookError::ScaleTooFine { price_decimals, qty_decimals });
        }
        Ok(Self { price_decimals, qty_decimals })
    }

    /// The widest decimals among `(price, qty)` texts, e.g. of a snapshot.
    pub fn infer<'a>(levels: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, BookError> {
        let (mut p, mut q) = (0u8, 0u8);
        for (price, qty) in levels {
            p = p.max(decimals_in(price));
            q = q.max(decimals_in(qty));
        }
        Self::new(p, q)
    }

    /// Parses one level's texts into mantissas at this scale.
    #[inline]
    pub fn parse_level(self, price: &str, qty: &str) -> Result<LevelUpdate, BookError> {
        let price_m = parse_scaled(price, self.price_decimals)?;
        if price_m == 0 {
            return Err(BookError::ZeroPrice);
        }
        let qty_m = parse_scaled(qty, self.qty_decimals)?;
        Ok(LevelUpdate { price: price_m, qty: qty_m })
    }
}

/// Why a book operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    /// A price or quantity text does not fit the book's scale.
    #[error(transparent)]
    Scale(#[from] ScaleError),
    /// A level at price zero.
    #[error("price level at zero")]
    ZeroPrice,
    /// A scale finer than 18 decimals.
    #[error("scale too fine: {price_decimals} price / {qty_decimals} qty decimals (max 18)")]
    ScaleTooFine {
        /// Price decimals asked for.
        price_decimals: u8,
        /// Quantity decimals asked for.
        qty_decimals: u8,
    },
}

/// One level change as mantissas at the book's scale; `qty == 0` deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelUpdate {
    /// Price mantissa (> 0).
    pub price: u64,
    /// Quantity mantissa (0 deletes the level).
    pub qty: u64,
}

/// A price level as exact numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    /// The level's price.
    pub price: Price,
    /// The aggregated quantity resting at that price.
    pub qty: Qty,
}

/// An L2 book truncated to a fixed depth per side.
#[derive(Debug, Clone)]
pub struct Book {
    depth: usize,
    scale: BookScale,
    bids: Ladder,
    asks: Ladder,
}

#[inline]
fn key(side: BookSide, price: u64) -> u64 {
    match side {
        BookSide::Bid => price,
        BookSide::Ask => !price,
    }
}

#[inline]
fn price_of(side: BookSide, key: u64) -> u64 {
    match side {
        BookSide::Bid => key,
        BookSide::Ask => !key,
    }
}

impl Book {
    /// An empty book keeping `depth` levels per side at `scale`.
    pub fn new(depth: usize, scale: BookScale) -> Self {
        Self { depth, scale, bids: Ladder::default(), asks: Ladder::default() }
    }

    /// Levels kept per side.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The book's decimal scale.
    pub fn scale(&self) -> BookScale {
        self.scale
    }

    fn ladder(&self, side: BookSide) -> &Ladder {
        match side {
            BookSide::Bid => &self.bids,
            BookSide::Ask => &self.asks,
        }
    }

    fn ladder_mut(&mut self, side: BookSide) -> &mut Ladder {
        match side {
            BookSide::Bid => &mut self.bids,
            BookSide::Ask => &mut self.asks,
        }
    }

    /// Replaces both sides with a snapshot, then truncates to depth.
    pub fn load_snapshot(&mut self, bids: &[LevelUpdate], asks: &[LevelUpdate]) {
        for (side, levels) in [(BookSide::Bid, bids), (BookSide::Ask, asks)] {
            let slots = levels.iter().map(|l| Slot { key: key(side, l.price), qty: l.qty }).collect();
            let depth = self.depth;
            let ladder = self.ladder_mut(side);
            ladder.load(slots);
            ladder.truncate(depth);
        }
    }

    /// Applies one level change, then truncates that side to the subscribed depth (Kraken's
    /// reference client truncates after every level; the exchange republishes a level that
    /// comes back into range).
    #[inline]
    pub fn apply(&mut self, side: BookSide, update: LevelUpdate) {
        let (k, depth) = (key(side, update.price), self.depth);
        let ladder = self.ladder_mut(side);
        ladder.set(k, update.qty);
        ladder.truncate(depth);
    }

    /// Applies one message's changes in order.
    #[inline]
    pub fn apply_message(&mut self, changes: &[(BookSide, LevelUpdate)]) {
        for &(side, update) in changes {
            self.apply(side, update);
        }
    }

    /// Drops every level (for example when the feed is known to be out of sync).
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }

    /// A counter that moves whenever the best 10 levels of either side may have changed, so a
    /// checksum of the top of book can be reused while it stays the same.
    #[inline]
    pub fn top_version(&self) -> u64 {
        self.bids.top_changes().wrapping_add(self.asks.top_changes())
    }

    /// Like [`Book::top_version`], for one side.
    #[inline]
    pub fn side_top_version(&self, side: BookSide) -> u64 {
        self.ladder(side).top_changes()
    }

    /// Number of levels on a side.
    pub fn len(&self, side: BookSide) -> usize {
        self.ladder(side).len()
    }

    /// True when both sides are empty.
    pub fn is_empty(&self) -> bool {
        self.bids.len() == 0 && self.asks.len() == 0
    }

    /// The levels of a side as mantissas, best first (what the checksum reads).
    #[inline]
    pub fn raw_levels(&self, side: BookSide) -> impl Iterator<Item = LevelUpdate> + '_ {
        self.ladder(side).best_first().map(move |s| LevelUpdate { price: price_of(side, s.key), qty: s.qty })
    }

    /// The levels of a side as exact numbers, best first.
    pub fn levels(&self, side: BookSide) -> impl Iterator<Item = Level> + '_ {
        self.raw_levels(side).filter_map(move |l| self.to_level(l))
    }

    fn to_level(&self, l: LevelUpdate) -> Option<Level> {
        let price = Price::new(to_decimal(l.price, self.scale.price_decimals)).ok()?;
        let qty = Qty::new(to_decimal(l.qty, self.scale.qty_decimals)).ok()?;
        Some(Level { price, qty })
    }

    fn best_raw(&self, side: BookSide) -> Option<LevelUpdate> {
        self.ladder(side).best().map(|s| LevelUpdate { price: price_of(side, s.key), qty: s.qty })
    }

    /// The highest bid.
    pub fn best_bid(&self) -> Option<Level> {
        self.best_raw(BookSide::Bid).and_then(|l| self.to_level(l))
    }

    /// The lowest ask.
    pub fn best_ask(&self) -> Option<Level> {
        self.best_raw(BookSide::Ask).and_then(|l| self.to_level(l))
    }

    /// The mid price `(best bid + best ask) / 2`, exact.
    pub fn mid(&self) -> Option<Decimal> {
        let (b, a) = (self.best_raw(BookSide::Bid)?, self.best_raw(BookSide::Ask)?);
        let sum = u128::from(b.price) + u128::from(a.price);
        let sum = Decimal::from_i128_with_scale(i128::try_from(sum).ok()?, u32::from(self.scale.price_decimals));
        Some(sum / Decimal::TWO)
    }

    /// The spread `best ask - best bid` (negative when the book is crossed).
    pub fn spread(&self) -> Option<Decimal> {
        let (b, a) = (self.best_raw(BookSide::Bid)?, self.best_raw(BookSide::Ask)?);
        let diff = i128::from(a.price) - i128::from(b.price);
        Some(Decimal::from_i128_with_scale(diff, u32::from(self.scale.price_decimals)))
    }

    /// Total quantity on `side` priced within `bps` basis points of the mid, exact.
    pub fn depth_within_bps(&self, side: BookSide, bps: u32) -> Option<Qty> {
        let (b, a) = (self.best_raw(BookSide::Bid)?, self.best_raw(BookSide::Ask)?);
        // Compare price * 2 * 10_000 with (bid + ask) * (10_000 -/+ bps) in integers: no rounding.
        let mid2 = u128::from(b.price) + u128::from(a.price);
        let bound = match side {
            BookSide::Bid => mid2 * u128::from(10_000u32.saturating_sub(bps)),
            BookSide::Ask => mid2 * u128::from(10_000 + bps),
        };
        let inside = |p: u64| {
            let scaled = u128::from(p) * 20_000;
            match side {
                BookSide::Bid => scaled >= bound,
                BookSide::Ask => scaled <= bound,
            }
        };
        let total: u128 = self.raw_levels(side).take_while(|l| inside(l.price)).map(|l| u128::from(l.qty)).sum();
        let total = i128::try_from(total).ok()?;
        Qty::new(Decimal::try_from_i128_with_scale(total, u32::from(self.scale.qty_decimals)).ok()?).ok()
    }
}

#[cfg(test)]
mod tests;
