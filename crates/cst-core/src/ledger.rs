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

/// Balances, positions and the journal. Assets are indexed once at construction so booking a
/// fill touches vectors, not maps keyed by strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ledger {
    pairs: Vec<Pair>,
    pair_assets: Vec<(usize, usize)>,
    assets: Vec<String>,
    initial: BTreeMap<String, Decimal>,
    balances: Vec<Decimal>,
    positions: Vec<Position>,
    fees_paid: Vec<Decimal>,
    journal: Vec<Fill>,
}

impl Ledger {
    /// A ledger for `pairs` (indexed by [`PairId`]) starting from `initial` balances.
    pub fn new(pairs: Vec<Pair>, initial: BTreeMap<String, Decimal>) -> Self {
        let mut assets: Vec<String> = initial.keys().cloned().collect();
        for p in &pairs {
            assets.extend([p.base().to_string(), p.quote().to_string()]);
        }
        assets.sort();
        assets.dedup();
        let index = |a: &str| assets.iter().position(|x| x == a).unwrap_or_default();
        let pair_assets = pairs.iter().map(|p| (index(p.base()), index(p.quote()))).collect();
        let balances = assets.iter().map(|a| initial.get(a).copied().unwrap_or_default()).collect();
        let positions = vec![Position::default(); pairs.len()];
        let fees_paid = vec![Decimal::ZERO; assets.len()];
        Self { pairs, pair_assets, assets, initial, balances, positions, fees_paid, journal: Vec::new() }
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
        let i = fill.pair.index();
        let &(b, q) = self.pair_assets.get(i).ok_or(LedgerError::UnknownPair(fill.pair.0))?;
        let (qty, gross, fee) = (fill.qty.value(), (fill.price * fill.qty).value(), fill.fee.value());
        match fill.side {
            Side::Buy => {
                self.ensure(q, gross + fee)?;
                self.balances[q] -= gross + fee;
                self.balances[b] += qty;
                let pos = &mut self.positions[i];
                pos.qty += qty;
                pos.cost_basis += gross;
            }
            Side::Sell => {
                self.ensure(b, qty)?;
                let pos = &self.positions[i];
                if pos.qty < qty {
                    return Err(LedgerError::Insufficient {
                        asset: self.assets[b].clone(),
                        balance: pos.qty,
                        needed: qty,
                    });
                }
                if self.balances[q] + gross < fee {
                    return Err(LedgerError::Insufficient {
                        asset: self.assets[q].clone(),
                        balance: self.balances[q],
                        needed: fee,
                    });
                }
                let removed = if pos.qty == qty {
                    pos.cost_basis
                } else {
                    (pos.cost_basis * qty / pos.qty).round_dp(COST_DECIMALS)
                };
                self.balances[b] -= qty;
                self.balances[q] += gross - fee;
                let pos = &mut self.positions[i];
                pos.qty -= qty;
                pos.cost_basis -= removed;
                pos.realized_pnl += gross - removed;
            }
        }
        self.positions[i].fees += fee;
        self.fees_paid[q] += fee;
        self.journal.push(*fill);
        Ok(())
    }

    fn ensure(&self, asset: usize, needed: Decimal) -> Result<(), LedgerError> {
        let balance = self.balances[asset];
        if balance < needed {
            return Err(LedgerError::Insufficient { asset: self.assets[asset].clone(), balance, needed });
        }
        Ok(())
    }

    /// Balance of one asset (zero when never held).
    pub fn balance(&self, asset: &str) -> Decimal {
        self.assets.iter().position(|a| a == asset).map_or(Decimal::ZERO, |k| self.balances[k])
    }

    /// All balances, by asset.
    pub fn balances(&self) -> BTreeMap<String, Decimal> {
        self.assets.iter().cloned().zip(self.balances.iter().copied()).collect()
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

    /// Fees paid per currency (currencies never charged are left out).
    pub fn fees_paid(&self) -> BTreeMap<String, Decimal> {
        self.assets.iter().cloned().zip(self.fees_paid.iter().copied()).filter(|(_, f)| !f.is_zero()).collect()
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
        let fees = self.assets.iter().position(|a| a == quote).map_or(Decimal::ZERO, |k| self.fees_paid[k]);
        self.balance(quote) + cost + fees - realized
    }
}
