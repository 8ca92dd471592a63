//! The ledger: balances per asset, positions with average cost, realised and unrealised PnL and
//! fees. Every fill is journaled and the ledger can be rebuilt from the journal exactly.
//!
//! Conservation (per quote currency): `cash + Σ cost basis + fees paid − realised PnL` equals
//! the initial cash after every fill; the property tests hold the ledger to it.

use crate::event::{Fill, PairId};
use crate::num::{Money, Price};
use crate::pair::Pair;
use crate::trade::Side;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// Decimals kept when a partial sale takes its share of the cost basis.
const COST_DECIMALS: u32 = 12;

/// Why a fill could not be booked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The fill names a pair the ledger does not know.
    #[error("fill for unknown pair index {0}")]
    UnknownPair(u16),
    /// Booking it would make a balance negative (spot: no borrowing).
    #[error("insufficient {asset}: balance {balance}, needs {needed}")]
    Insufficient {
        /// Asset.
        asset: String,
        /// Balance before.
        balance: Decimal,
        /// Amount needed.
        needed: Decimal,
    },
}

/// A long/flat spot position in one pair.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Position {
    /// Base quantity held.
    pub qty: Decimal,
    /// Quote spent on what is held (excluding fees).
    pub cost_basis: Decimal,
    /// Realised PnL, before fees.
    pub realized_pnl: Decimal,
    /// Fees paid trading this pair.
    pub fees: Decimal,
}

impl Position {
    /// Average cost per unit, `None` when flat.
    pub fn average_cost(&self) -> Option<Decimal> {
        (!self.qty.is_zero()).then(|| self.cost_basis / self.qty)
    }

    /// Unrealised PnL at `mark`.
    pub fn unrealized_pnl(&self, mark: Price) -> Money {
        Money::new(self.qty * mark.value() - self.cost_basis)
    }
}

/// Balances, positions and the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ledger {
    pairs: Vec<Pair>,
    initial: BTreeMap<String, Decimal>,
    balances: BTreeMap<String, Decimal>,
    positions: Vec<Position>,
    fees_paid: BTreeMap<String, Decimal>,
    journal: Vec<Fill>,
}

impl Ledger {
    /// A ledger for `pairs` (indexed by [`PairId`]) starting from `initial` balances.
    pub fn new(pairs: Vec<Pair>, initial: BTreeMap<String, Decimal>) -> Self {
        let positions = vec![Position::default(); pairs.len()];
        Self { pairs, balances: initial.clone(), initial, positions, fees_paid: BTreeMap::new(), journal: Vec::new() }
    }

    /// Rebuilds a ledger by replaying a journal.
    pub fn rebuild(
        pairs: Vec<Pair>,
        initial: BTreeMap<String, Decimal>,
        journal: &[Fill],
    ) -> Result<Self, LedgerError> {
        let mut ledger = Self::new(pairs, initial);
        for fill in journal {
            ledger.apply(fill)?;
        }
        Ok(ledger)
    }

    /// Books one fill (atomically: on error nothing changes).
    pub fn apply(&mut self, fill: &Fill) -> Result<(), LedgerError> {
        // Borrow the pair table apart from the balances without cloning names on the hot path.
        let pairs = std::mem::take(&mut self.pairs);
        let result = match pairs.get(fill.pair.index()) {
            Some(pair) => self.book(fill, pair.base(), pair.quote()),
            None => Err(LedgerError::UnknownPair(fill.pair.0)),
        };
        self.pairs = pairs;
        result
    }

    fn book(&mut self, fill: &Fill, base: &str, quote: &str) -> Result<(), LedgerError> {
        let i = fill.pair.index();
        let (qty, gross, fee) = (fill.qty.value(), (fill.price * fill.qty).value(), fill.fee.value());
        let pos = &self.positions[i];
        match fill.side {
            Side::Buy => {
                self.ensure(quote, gross + fee)?;
                self.add(quote, -(gross + fee));
                self.add(base, qty);
                let pos = &mut self.positions[i];
                pos.qty += qty;
                pos.cost_basis += gross;
            }
            Side::Sell => {
                self.ensure(base, qty)?;
                if pos.qty < qty {
                    return Err(LedgerError::Insufficient { asset: base.to_string(), balance: pos.qty, needed: qty });
                }
                self.ensure_after_fee(quote, gross, fee)?;
                let removed = if pos.qty == qty {
                    pos.cost_basis
                } else {
                    (pos.cost_basis * qty / pos.qty).round_dp(COST_DECIMALS)
                };
                self.add(base, -qty);
                self.add(quote, gross - fee);
                let pos = &mut self.positions[i];
                pos.qty -= qty;
                pos.cost_basis -= removed;
                pos.realized_pnl += gross - removed;
            }
        }
        self.positions[i].fees += fee;
        match self.fees_paid.get_mut(quote) {
            Some(f) => *f += fee,
            None => {
                self.fees_paid.insert(quote.to_string(), fee);
            }
        }
        self.journal.push(*fill);
        Ok(())
    }

    fn ensure(&self, asset: &str, needed: Decimal) -> Result<(), LedgerError> {
        let balance = self.balance(asset);
        if balance < needed {
            return Err(LedgerError::Insufficient { asset: asset.to_string(), balance, needed });
        }
        Ok(())
    }

    fn ensure_after_fee(&self, quote: &str, gross: Decimal, fee: Decimal) -> Result<(), LedgerError> {
        if self.balance(quote) + gross < fee {
            return Err(LedgerError::Insufficient {
                asset: quote.to_string(),
                balance: self.balance(quote),
                needed: fee,
            });
        }
        Ok(())
    }

    fn add(&mut self, asset: &str, delta: Decimal) {
        match self.balances.get_mut(asset) {
            Some(b) => *b += delta,
            None => {
                self.balances.insert(asset.to_string(), delta);
            }
        }
    }

    /// Balance of one asset (zero when never held).
    pub fn balance(&self, asset: &str) -> Decimal {
        self.balances.get(asset).copied().unwrap_or_default()
    }

    /// All balances.
    pub fn balances(&self) -> &BTreeMap<String, Decimal> {
        &self.balances
    }

    /// Starting balances.
    pub fn initial(&self) -> &BTreeMap<String, Decimal> {
        &self.initial
    }

    /// The position in one pair.
    pub fn position(&self, pair: PairId) -> &Position {
        static FLAT: Position = Position {
            qty: Decimal::ZERO,
            cost_basis: Decimal::ZERO,
            realized_pnl: Decimal::ZERO,
            fees: Decimal::ZERO,
        };
        self.positions.get(pair.index()).unwrap_or(&FLAT)
    }

    /// Every position, indexed by pair.
    pub fn positions(&self) -> &[Position] {
        &self.positions
    }

    /// The pair table.
    pub fn pairs(&self) -> &[Pair] {
        &self.pairs
    }

    /// Fees paid per currency.
    pub fn fees_paid(&self) -> &BTreeMap<String, Decimal> {
        &self.fees_paid
    }

    /// Every fill ever booked, in order.
    pub fn journal(&self) -> &[Fill] {
        &self.journal
    }

    /// Equity in `quote`: its cash plus the pairs quoted in it at `marks` (indexed by pair).
    pub fn equity(&self, quote: &str, marks: &[Option<Price>]) -> Money {
        let held: Decimal = self
            .pairs
            .iter()
            .zip(&self.positions)
            .zip(marks)
            .filter(|((p, _), _)| p.quote() == quote)
            .map(|((_, pos), m)| m.map_or(pos.cost_basis, |m| pos.qty * m.value()))
            .sum();
        Money::new(self.balance(quote) + held)
    }

    /// `cash + Σ cost basis + fees − realised` in `quote`: equals the initial cash when booking
    /// is conservative.
    pub fn conserved(&self, quote: &str) -> Decimal {
        let (mut cost, mut realized) = (Decimal::ZERO, Decimal::ZERO);
        for (p, pos) in self.pairs.iter().zip(&self.positions) {
            if p.quote() == quote {
                cost += pos.cost_basis;
                realized += pos.realized_pnl;
            }
        }
        self.balance(quote) + cost + self.fees_paid.get(quote).copied().unwrap_or_default() - realized
    }
}
