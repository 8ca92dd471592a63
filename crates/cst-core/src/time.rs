//! `Timestamp`: nanoseconds since the Unix epoch, UTC. The core never reads the clock; the
//! shell passes "now" in where a rule (timeliness) needs it.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// Why a time value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Seconds outside the range that nanoseconds in an i64 can hold (years 1677–2262).
    #[error("timestamp {0} s is out of range")]
    OutOfRange(i64),
    /// Text that is neither RFC 3339 nor `YYYY-MM-DD`.
    #[error("not a date or RFC 3339 time: {0:?}")]
    Unparseable(String),
}

/// A UTC instant with nanosecond resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From nanoseconds since the epoch.
    pub const fn from_nanos(ns: i64) -> Self {
        Self(ns)
    }

    /// From whole seconds since the epoch, refusing values that overflow nanoseconds.
    pub fn from_secs(secs: i64) -> Result<Self, TimeError> {
        secs.checked_mul(NANOS_PER_SEC).map(Self).ok_or(TimeError::OutOfRange(secs))
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch (floor).
    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(NANOS_PER_SEC)
    }

    /// Adds whole seconds.
    pub fn add_secs(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs.saturating_mul(NANOS_PER_SEC)))
    }

    /// RFC 3339 in UTC with a `Z` suffix, seconds precision unless sub-second digits exist.
    pub fn to_rfc3339(self) -> String {
        let dt = DateTime::<Utc>::from_timestamp_nanos(self.0);
        dt.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    /// Parses RFC 3339 (`2023-01-01T00:00:00Z`) or a UTC date (`2023-01-01`, midnight).
    pub fn parse(text: &str) -> Result<Self, TimeError> {
        let t = text.trim();
        let unparseable = || TimeError::Unparseable(t.to_string());
        if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
            return dt.timestamp_nanos_opt().map(Self).ok_or_else(unparseable);
        }
        let date = NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| unparseable())?;
        let secs = date.and_hms_opt(0, 0, 0).ok_or_else(unparseable)?.and_utc().timestamp();
        Self::from_secs(secs)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_kraken_first_daily_candle_as_rfc3339() {
        let t = Timestamp::from_secs(1_381_017_600).unwrap();
        assert_eq!(t.to_rfc3339(), "2013-10-06T00:00:00Z");
    }

    #[test]
    fn parses_dates_and_rfc3339_to_the_same_instant() {
        let a = Timestamp::parse("2023-01-01").unwrap();
        let b = Timestamp::parse("2023-01-01T00:00:00Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_secs(), 1_672_531_200);
    }

    #[test]
    fn refuses_seconds_that_overflow_nanoseconds() {
        assert!(Timestamp::from_secs(i64::MAX / 10).is_err());
    }
}
