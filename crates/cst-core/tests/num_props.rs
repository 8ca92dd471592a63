//! Property tests: rounding to Kraken's tick and lot grids never leaves the grid, never moves
//! further than one step, and respects its direction; arithmetic stays exact.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is the failure report

use cst_core::num::{Price, Qty, Rounding, step_from_decimals};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Prices as Kraken prints them: up to 10 integer digits and up to 10 decimals.
fn price() -> impl Strategy<Value = Decimal> {
    (1i64..10_000_000_000_000, 0u32..=10).prop_map(|(m, s)| Decimal::new(m, s))
}

fn decimals() -> impl Strategy<Value = u32> {
    0u32..=8
}

proptest! {
    #[test]
    fn price_rounded_to_tick_is_on_the_grid_and_within_one_tick(p in price(), d in decimals(), dir in 0u8..3) {
        let tick = step_from_decimals(d);
        let rounding = [Rounding::Down, Rounding::Up, Rounding::Nearest][dir as usize];
        let original = Price::new(p).unwrap();
        match original.round_to_tick(tick, rounding) {
            Ok(r) => {
                prop_assert!(r.is_on_tick(tick));
                prop_assert!((r.value() - p).abs() < tick);
                match rounding {
                    Rounding::Down => prop_assert!(r.value() <= p),
                    Rounding::Up => prop_assert!(r.value() >= p),
                    Rounding::Nearest => prop_assert!((r.value() - p).abs() * Decimal::TWO <= tick),
                }
            }
            // Only a price below one tick may fail, and only when rounding would reach zero.
            Err(_) => prop_assert!(p < tick && rounding != Rounding::Up),
        }
    }

    #[test]
    fn qty_rounded_to_lot_is_on_the_grid_and_never_larger(q in price(), d in decimals()) {
        let lot = step_from_decimals(d);
        let r = Qty::new(q).unwrap().round_to_lot(lot).unwrap();
        prop_assert!(r.is_on_lot(lot));
        prop_assert!(r.value() <= q);
        prop_assert!(q - r.value() < lot);
    }

    #[test]
    fn rounding_is_idempotent(p in price(), d in decimals()) {
        let tick = step_from_decimals(d);
        if let Ok(once) = Price::new(p).unwrap().round_to_tick(tick, Rounding::Nearest) {
            prop_assert_eq!(once.round_to_tick(tick, Rounding::Nearest).unwrap(), once);
        }
    }

    #[test]
    fn qty_sum_and_difference_are_exact(a in price(), b in price()) {
        let (qa, qb) = (Qty::new(a).unwrap(), Qty::new(b).unwrap());
        prop_assert_eq!((qa + qb).value(), a + b);
        match qa.checked_sub(qb) {
            Some(d) => prop_assert_eq!(d.value(), a - b),
            None => prop_assert!(a < b),
        }
    }

    #[test]
    fn notional_of_on_grid_values_is_exact(p in price(), q in price()) {
        let n = Price::new(p).unwrap() * Qty::new(q).unwrap();
        prop_assert_eq!(n.value(), p * q);
    }
}
