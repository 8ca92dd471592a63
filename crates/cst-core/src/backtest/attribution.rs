//! Return attribution. With `s` = +1 buy / −1 sell, `q` the filled quantity, `D` the decision
//! price (close of the decision candle), `R` the reference the order met on arrival (fill
//! candle open or best opposite level), `F` the fill price, `f` the fee, `M` the final mark and
//! `u` the unit quantity a constant-notional position following the signal would have traded:
//!
//! - alpha    = Σ s·u·(M − D)            the signal, at decision prices, unit size
//! - sizing   = Σ s·q·(M − D) − alpha    actual size versus unit size
//! - timing   = Σ s·q·(D − R)            decision-to-arrival price move (latency, next candle)
//! - slippage = Σ s·q·(R − F)            fill versus the quote met
//! - fees     = −Σ f
//!
//! Their sum is Σ s·q·(M − F) − Σ f, which is exactly the change in equity (cash flows plus
//! the final position at M). Only running sums are kept: memory grows with pairs, not fills.

use crate::event::{Fill, PairId};
use crate::num::Price;
use crate::trade::Side;
use rust_decimal::Decimal;
use serde::Serialize;

/// Running sums for one pair.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PairSums {
    /// Σ s·u (unit position).
    pub unit_qty: Decimal,
    /// Σ s·u·D.
    pub unit_at_decision: Decimal,
    /// Σ s·q (position).
    pub qty: Decimal,
    /// Σ s·q·D.
    pub at_decision: Decimal,
    /// Σ s·q·R.
    pub at_reference: Decimal,
    /// Σ s·q·F.
    pub at_fill: Decimal,
    /// Σ f.
    pub fees: Decimal,
}

/// The five parts, in quote currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Parts {
    /// Signal at decision price, unit size.
    pub alpha: Decimal,
    /// Decision-to-arrival price move.
    pub timing: Decimal,
    /// Fill versus the quote met.
    pub slippage: Decimal,
    /// Fees (negative).
    pub fees: Decimal,
    /// Actual versus unit size.
    pub sizing: Decimal,
}

impl Parts {
    /// The sum of the parts.
    pub fn total(&self) -> Decimal {
        self.alpha + self.timing + self.slippage + self.fees + self.sizing
    }
}

/// Attribution accumulators for every pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attribution {
    sums: Vec<PairSums>,
}

fn sign(side: Side) -> Decimal {
    if side == Side::Buy { Decimal::ONE } else { Decimal::NEGATIVE_ONE }
}

impl Attribution {
    /// Empty sums for `n_pairs`.
    pub fn new(n_pairs: usize) -> Self {
        Self { sums: vec![PairSums::default(); n_pairs] }
    }

    /// A signed unit trade of the signal-following reference position, at the decision price.
    pub fn on_unit_trade(&mut self, pair: PairId, signed_units: Decimal, decision: Price) {
        if let Some(s) = self.sums.get_mut(pair.index()) {
            s.unit_qty += signed_units;
            s.unit_at_decision += signed_units * decision.value();
        }
    }

    /// An actual fill whose order was decided at `decision`.
    pub fn on_fill(&mut self, f: &Fill, decision: Price) {
        let Some(s) = self.sums.get_mut(f.pair.index()) else { return };
        let sq = sign(f.side) * f.qty.value();
        s.qty += sq;
        s.at_decision += sq * decision.value();
        s.at_reference += sq * f.reference_price.value();
        s.at_fill += sq * f.price.value();
        s.fees += f.fee.value();
    }

    /// The per-pair sums.
    pub fn sums(&self) -> &[PairSums] {
        &self.sums
    }

    /// The parts, marking open positions at `marks` (indexed by pair; a pair never priced
    /// contributes nothing).
    pub fn parts(&self, marks: &[Option<Price>]) -> Parts {
        let mut p = Parts::default();
        for (s, m) in self.sums.iter().zip(marks) {
            let Some(m) = m.map(Price::value) else { continue };
            let alpha = m * s.unit_qty - s.unit_at_decision;
            p.alpha += alpha;
            p.sizing += (m * s.qty - s.at_decision) - alpha;
            p.timing += s.at_decision - s.at_reference;
            p.slippage += s.at_reference - s.at_fill;
            p.fees -= s.fees;
        }
        p
    }
}
