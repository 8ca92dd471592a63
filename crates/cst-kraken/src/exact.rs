//! Exact numbers from JSON: Kraken sends prices as strings and times/amounts as JSON numbers
//! (`1688669597.8277369`, `1.18588737106e-07`). Reading those through f64 would round them, so
//! the raw number text is kept and parsed as a decimal.

use cst_core::num::parse_decimal;
use cst_core::time::Timestamp;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// The text of a JSON number or string, without quotes.
pub fn raw_text(raw: &RawValue) -> &str {
    raw.get().trim().trim_matches('"')
}

/// A decimal from a JSON number or numeric string, exactly as written.
pub fn decimal(raw: &RawValue) -> Result<Decimal, String> {
    parse_decimal(raw_text(raw)).map_err(|e| e.to_string())
}

/// Plain `digits[.digits]` with at most 9 fraction digits, in integer arithmetic.
fn plain_secs_to_nanos(text: &str) -> Option<i64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || frac.len() > 9 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = whole.parse().ok()?;
    let frac_ns: i64 = if frac.is_empty() { 0 } else { frac.parse::<i64>().ok()? * 10i64.pow(9 - frac.len() as u32) };
    secs.checked_mul(1_000_000_000)?.checked_add(frac_ns)
}

/// A timestamp from Kraken's fractional unix seconds (`1688669597.8277369`), exact to the ns.
pub fn timestamp_from_secs_text(text: &str) -> Result<Timestamp, String> {
    if let Some(ns) = plain_secs_to_nanos(text) {
        return Ok(Timestamp::from_nanos(ns));
    }
    let secs = parse_decimal(text).map_err(|e| e.to_string())?;
    let ns = (secs * Decimal::from(1_000_000_000i64)).trunc();
    ns.to_i64().map(Timestamp::from_nanos).ok_or_else(|| format!("time {text} out of range"))
}

/// Serde adapter: a `Decimal` from a JSON number or string, exactly.
pub fn de_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let raw = <&RawValue>::deserialize(d)?;
    decimal(raw).map_err(serde::de::Error::custom)
}

/// Serde adapter: an optional `Decimal` (absent or null → None).
pub fn de_opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let raw = <Option<&RawValue>>::deserialize(d)?;
    match raw {
        None => Ok(None),
        Some(r) if r.get() == "null" => Ok(None),
        Some(r) => decimal(r).map(Some).map_err(serde::de::Error::custom),
    }
}

/// Serde adapter: a `Timestamp` from fractional unix seconds.
pub fn de_secs_timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    let raw = <&RawValue>::deserialize(d)?;
    timestamp_from_secs_text(raw_text(raw)).map_err(serde::de::Error::custom)
}

/// Serde adapter: an optional `Timestamp` from fractional unix seconds (0 or absent → None, as Kraken uses 0 for "not set").
pub fn de_opt_secs_timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let raw = <Option<&RawValue>>::deserialize(d)?;
    match raw {
        None => Ok(None),
        Some(r) if r.get() == "null" || raw_text(r) == "0" => Ok(None),
        Some(r) => timestamp_from_secs_text(raw_text(r)).map(Some).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_every_digit_of_a_trade_time() {
        let t = timestamp_from_secs_text("1762795433.9717445").expect("time");
        assert_eq!(t.as_nanos(), 1_762_795_433_971_744_500);
    }

    #[test]
    fn fast_and_decimal_paths_agree() {
        for text in ["1688669597.8277369", "1688669602.698379", "1762795433", "1762795433.123456789", "1.5e9"] {
            let fast = plain_secs_to_nanos(text);
            let slow = parse_decimal(text).map(|d| (d * Decimal::from(1_000_000_000i64)).trunc().to_i64());
            if let Some(f) = fast {
                assert_eq!(Some(f), slow.expect("decimal"), "{text}");
            }
        }
        assert_eq!(plain_secs_to_nanos("1.5e9"), None);
        assert_eq!(timestamp_from_secs_text("1.5e9").expect("sci").as_nanos(), 1_500_000_000_000_000_000);
    }

    #[test]
    fn reads_scientific_funding_rates_exactly() {
        let raw = RawValue::from_string("1.18588737106e-07".into()).expect("raw");
        assert_eq!(decimal(&raw).expect("dec").to_string(), "0.000000118588737106");
    }
}
