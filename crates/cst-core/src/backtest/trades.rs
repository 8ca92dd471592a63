//! Round trips: a trade opens when a flat pair is bought and closes when it is flat again.
//! PnL includes every fee paid inside the round trip.

use crate::event::Fill;
use crate::time::Timestamp;
use crate::trade::Side;
use rust_decimal::Decimal;
use serde::Serialize;

/// One closed round trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoundTrip {
    /// Pair name.
    pub pair: String,
    /// First fill (RFC 3339).
    pub entry_time: String,
    /// Last fill (RFC 3339).
    pub exit_time: String,
    /// Largest quantity held.
    pub qty: Decimal,
    /// Quote spent on buys.
    pub bought: Decimal,
    /// Quote received from sells.
    pub sold: Decimal,
    /// Fees paid.
    pub fees: Decimal,
    /// sold − bought − fees.
    pub pnl: Decimal,
}

#[derive(Debug, Clone, Default)]
struct Open {
    entry_ns: i64,
    held: Decimal,
    max_held: Decimal,
    bought: Decimal,
    sold: Decimal,
    fees: Decimal,
}

/// Tracks open round trips per pair and keeps the closed ones.
#[derive(Debug, Clone)]
pub struct TradeBook {
    names: Vec<String>,
    open: Vec<Option<Open>>,
    closed: Vec<RoundTrip>,
}

impl TradeBook {
    /// A book for the named pairs (indexed by pair id).
    pub fn new(names: Vec<String>) -> Self {
        Self { open: vec![None; names.len()], names, closed: Vec::new() }
    }

    /// Books a fill.
    pub fn on_fill(&mut self, f: &Fill) {
        let i = f.pair.index();
        let Some(slot) = self.open.get_mut(i) else { return };
        let t = slot.get_or_insert_with(|| Open { entry_ns: f.stamp.exchange_ns, ..Open::default() });
        let gross = f.qty.value() * f.price.value();
        match f.side {
            Side::Buy => {
                t.held += f.qty.value();
                t.bought += gross;
            }
            Side::Sell => {
                t.held -= f.qty.value();
                t.sold += gross;
            }
        }
        t.max_held = t.max_held.max(t.held);
        t.fees += f.fee.value();
        if t.held.is_zero() {
            let t = slot.take().unwrap_or_default();
            let time = |ns: i64| Timestamp::from_nanos(ns).to_rfc3339();
            self.closed.push(RoundTrip {
                pair: self.names[i].clone(),
                entry_time: time(t.entry_ns),
                exit_time: time(f.stamp.exchange_ns),
                qty: t.max_held,
                pnl: t.sold - t.bought - t.fees,
                bought: t.bought,
                sold: t.sold,
                fees: t.fees,
            });
        }
    }

    /// Closed round trips in closing order.
    pub fn closed(&self) -> &[RoundTrip] {
        &self.closed
    }

    /// Share of closed round trips with positive PnL.
    pub fn win_rate(&self) -> f64 {
        if self.closed.is_empty() {
            return 0.0;
        }
        self.closed.iter().filter(|t| t.pnl > Decimal::ZERO).count() as f64 / self.closed.len() as f64
    }

    /// Gross profit / gross loss (`None` when there is no loss).
    pub fn profit_factor(&self) -> Option<f64> {
        let won: Decimal = self.closed.iter().filter(|t| t.pnl > Decimal::ZERO).map(|t| t.pnl).sum();
        let lost: Decimal = self.closed.iter().filter(|t| t.pnl < Decimal::ZERO).map(|t| -t.pnl).sum();
        use rust_decimal::prelude::ToPrimitive;
        (!lost.is_zero()).then(|| (won / lost).to_f64().unwrap_or(0.0))
    }
}
