//! Exact money types. Prices, quantities and amounts are decimals, so NaN and infinities
//! cannot be represented, and each type has one fallible constructor that enforces its sign.

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, Mul, Neg, Sub};
use std::str::FromStr;

/// Why a number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumError {
    /// The text is not a decimal number (this includes `NaN` and `inf`).
    #[error("not a decimal number: {0:?}")]
    NotANumber(String),
    /// A float was NaN or infinite.
    #[error("not a finite number")]
    NotFinite,
    /// A price must be strictly positive.
    #[error("price must be > 0, got {0}")]
    NonPositivePrice(Decimal),
    /// A quantity must not be negative.
    #[error("quantity must be >= 0, got {0}")]
    NegativeQty(Decimal),
    /// A tick or lot step must be strictly positive.
    #[error("step must be > 0, got {0}")]
    NonPositiveStep(Decimal),
    /// Rounding a price to the tick grid left nothing.
    #[error("{0} rounds to zero on tick {1}")]
    RoundsToZero(Decimal, Decimal),
}

/// Parses decimal text strictly: plain or scientific notation, never NaN/inf.
pub fn parse_decimal(text: &str) -> Result<Decimal, NumError> {
    let t = text.trim();
    Decimal::from_str(t).or_else(|_| Decimal::from_scientific(t)).map_err(|_| NumError::NotANumber(t.to_string()))
}

/// Converts a float that came from a feature or model into a decimal, refusing NaN/inf.
pub fn decimal_from_f64(value: f64) -> Result<Decimal, NumError> {
    if !value.is_finite() {
        return Err(NumError::NotFinite);
    }
    Decimal::from_f64(value).ok_or(NumError::NotFinite)
}

/// How a value is snapped onto a grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Towards minus infinity (a buy limit that must not pay more, a size that must not exceed).
    Down,
    /// Towards plus infinity (a sell limit that must not receive less).
    Up,
    /// To the nearest grid point, ties away from zero.
    Nearest,
}

/// Snaps `value` onto the grid `k * step`.
fn snap(value: Decimal, step: Decimal, rounding: Rounding) -> Decimal {
    let units = value / step;
    let whole = match rounding {
        Rounding::Down => units.floor(),
        Rounding::Up => units.ceil(),
        Rounding::Nearest => units.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero),
    };
    (whole * step).normalize()
}

/// The step `10^-decimals`, as Kraken expresses tick and lot sizes through `*_decimals`.
pub fn step_from_decimals(decimals: u32) -> Decimal {
    Decimal::new(1, decimals)
}

/// A strictly positive price in quote currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct Price(Decimal);

impl Price {
    /// The one constructor: refuses zero and negative prices.
    pub fn new(value: Decimal) -> Result<Self, NumError> {
        if value <= Decimal::ZERO {
            return Err(NumError::NonPositivePrice(value));
        }
        Ok(Self(value))
    }

    /// Parses Kraken's decimal text (`"16528.7"`).
    pub fn parse(text: &str) -> Result<Self, NumError> {
        Self::new(parse_decimal(text)?)
    }

    /// The exact decimal value.
    pub fn value(self) -> Decimal {
        self.0
    }

    /// A float view for features and models (never used for money arithmetic).
    pub fn to_f64(self) -> f64 {
        self.0.to_f64().unwrap_or(f64::NAN)
    }

    /// Snaps the price onto the tick grid; fails when nothing positive is left.
    pub fn round_to_tick(self, tick: Decimal, rounding: Rounding) -> Result<Self, NumError> {
        if tick <= Decimal::ZERO {
            return Err(NumError::NonPositiveStep(tick));
        }
        let snapped = snap(self.0, tick, rounding);
        Self::new(snapped).map_err(|_| NumError::RoundsToZero(self.0, tick))
    }

    /// True when the price is an exact multiple of the tick.
    pub fn is_on_tick(self, tick: Decimal) -> bool {
        tick > Decimal::ZERO && (self.0 % tick).is_zero()
    }
}

impl TryFrom<Decimal> for Price {
    type Error = NumError;
    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Price> for Decimal {
    fn from(p: Price) -> Decimal {
        p.0
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A non-negative quantity in base units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct Qty(Decimal);

impl Qty {
    /// Zero quantity.
    pub const ZERO: Qty = Qty(Decimal::ZERO);

    /// The one constructor: refuses negative quantities.
    pub fn new(value: Decimal) -> Result<Self, NumError> {
        if value < Decimal::ZERO {
            return Err(NumError::NegativeQty(value));
        }
        Ok(Self(value))
    }

    /// Parses decimal text.
    pub fn parse(text: &str) -> Result<Self, NumError> {
        Self::new(parse_decimal(text)?)
    }

    /// The exact decimal value.
    pub fn value(self) -> Decimal {
        self.0
    }

    /// A float view for features and models.
    pub fn to_f64(self) -> f64 {
        self.0.to_f64().unwrap_or(f64::NAN)
    }

    /// True for a zero quantity.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// Truncates onto the lot grid: never more than asked, so never more than held.
    pub fn round_to_lot(self, lot: Decimal) -> Result<Self, NumError> {
        if lot <= Decimal::ZERO {
            return Err(NumError::NonPositiveStep(lot));
        }
        Ok(Self(snap(self.0, lot, Rounding::Down)))
    }

    /// True when the quantity is an exact multiple of the lot step.
    pub fn is_on_lot(self, lot: Decimal) -> bool {
        lot > Decimal::ZERO && (self.0 % lot).is_zero()
    }

    /// `self - other`, or `None` when that would go negative.
    pub fn checked_sub(self, other: Qty) -> Option<Qty> {
        Qty::new(self.0 - other.0).ok()
    }
}

impl Add for Qty {
    type Output = Qty;
    fn add(self, rhs: Qty) -> Qty {
        Qty(self.0 + rhs.0)
    }
}

impl TryFrom<Decimal> for Qty {
    type Error = NumError;
    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Qty> for Decimal {
    fn from(q: Qty) -> Decimal {
        q.0
    }
}

impl fmt::Display for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A signed amount of money (cash, PnL, fees) in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(from = "Decimal", into = "Decimal")]
pub struct Money(Decimal);

impl Money {
    /// Zero money.
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Any decimal is a valid amount.
    pub fn new(value: Decimal) -> Self {
        Self(value)
    }

    /// The exact decimal value.
    pub fn value(self) -> Decimal {
        self.0
    }

    /// Rounds to the currency's (or pair's `cost_decimals`) precision, half away from zero.
    pub fn round_dp(self, decimals: u32) -> Self {
        Self(self.0.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero))
    }
}

impl From<Decimal> for Money {
    fn from(value: Decimal) -> Self {
        Self(value)
    }
}

impl From<Money> for Decimal {
    fn from(m: Money) -> Decimal {
        m.0
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl Mul<Qty> for Price {
    type Output = Money;
    /// Notional value: price × quantity, exact.
    fn mul(self, rhs: Qty) -> Money {
        Money(self.0 * rhs.0)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn refuses_nan_infinity_and_garbage_text() {
        for bad in ["NaN", "nan", "inf", "-inf", "", "1.2.3", "abc"] {
            assert!(Price::parse(bad).is_err(), "{bad} must be refused");
        }
        assert_eq!(decimal_from_f64(f64::NAN), Err(NumError::NotFinite));
        assert_eq!(decimal_from_f64(f64::INFINITY), Err(NumError::NotFinite));
    }

    #[test]
    fn price_must_be_positive_and_qty_non_negative() {
        assert!(Price::new(dec!(0)).is_err());
        assert!(Price::new(dec!(-1)).is_err());
        assert!(Qty::new(dec!(-0.00000001)).is_err());
        assert!(Qty::new(dec!(0)).is_ok());
    }

    #[test]
    fn parses_kraken_scientific_notation() {
        assert_eq!(Qty::parse("1e-8").map(Qty::value), Ok(dec!(0.00000001)));
    }

    #[test]
    fn rounds_price_to_tick_in_the_asked_direction() {
        let p = Price::parse("16528.76").unwrap();
        let tick = dec!(0.1);
        assert_eq!(p.round_to_tick(tick, Rounding::Down).unwrap().value(), dec!(16528.7));
        assert_eq!(p.round_to_tick(tick, Rounding::Up).unwrap().value(), dec!(16528.8));
        assert_eq!(p.round_to_tick(tick, Rounding::Nearest).unwrap().value(), dec!(16528.8));
    }

    #[test]
    fn price_smaller_than_half_a_tick_cannot_round_to_zero() {
        let p = Price::parse("0.04").unwrap();
        assert!(matches!(p.round_to_tick(dec!(0.1), Rounding::Nearest), Err(NumError::RoundsToZero(..))));
    }

    #[test]
    fn notional_is_exact() {
        let n = Price::parse("0.1").unwrap() * Qty::parse("0.2").unwrap();
        assert_eq!(n.value(), dec!(0.02));
    }
}
