//! Candle intervals as Kraken offers them, written `1m 5m 15m 30m 1h 4h 1d 1w` by users and as
//! minutes (`1 5 15 30 60 240 1440 10080`) in Kraken's API and file names.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A supported candle interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Interval {
    /// One minute.
    M1,
    /// Five minutes.
    M5,
    /// Fifteen minutes.
    M15,
    /// Thirty minutes.
    M30,
    /// One hour.
    H1,
    /// Four hours.
    H4,
    /// One day (UTC midnight to midnight).
    D1,
    /// One week (Kraken's weekly candles open on Thursdays 00:00 UTC, aligned to the epoch).
    W1,
}

/// An interval name that is not supported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown interval {0:?}: use one of 1m 5m 15m 30m 1h 4h 1d 1w (or Kraken minutes 1 5 15 30 60 240 1440 10080)")]
pub struct UnknownInterval(pub String);

impl Interval {
    /// Every interval, finest first.
    pub const ALL: [Interval; 8] = [
        Interval::M1,
        Interval::M5,
        Interval::M15,
        Interval::M30,
        Interval::H1,
        Interval::H4,
        Interval::D1,
        Interval::W1,
    ];

    /// Length in minutes, as Kraken names it.
    pub const fn minutes(self) -> u32 {
        match self {
            Interval::M1 => 1,
            Interval::M5 => 5,
            Interval::M15 => 15,
            Interval::M30 => 30,
            Interval::H1 => 60,
            Interval::H4 => 240,
            Interval::D1 => 1440,
            Interval::W1 => 10080,
        }
    }

    /// Length in seconds.
    pub const fn secs(self) -> i64 {
        self.minutes() as i64 * 60
    }

    /// From Kraken's minute count.
    pub fn from_minutes(minutes: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.minutes() == minutes)
    }

    /// The user-facing name (`1h`).
    pub const fn name(self) -> &'static str {
        match self {
            Interval::M1 => "1m",
            Interval::M5 => "5m",
            Interval::M15 => "15m",
            Interval::M30 => "30m",
            Interval::H1 => "1h",
            Interval::H4 => "4h",
            Interval::D1 => "1d",
            Interval::W1 => "1w",
        }
    }

    /// Start (open time, unix seconds) of the interval containing `secs`; epoch-aligned, as
    /// Kraken aligns its candles.
    pub const fn floor_secs(self, secs: i64) -> i64 {
        secs - secs.rem_euclid(self.secs())
    }

    /// True when `coarse` is made of whole `self` intervals.
    pub const fn divides(self, coarse: Interval) -> bool {
        coarse.secs() > self.secs() && coarse.secs() % self.secs() == 0
    }
}

impl FromStr for Interval {
    type Err = UnknownInterval;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        if let Some(i) = Self::ALL.into_iter().find(|i| i.name() == t) {
            return Ok(i);
        }
        match t.as_str() {
            "daily" | "day" => return Ok(Interval::D1),
            "hourly" => return Ok(Interval::H1),
            "weekly" => return Ok(Interval::W1),
            _ => {}
        }
        t.parse::<u32>().ok().and_then(Self::from_minutes).ok_or_else(|| UnknownInterval(s.to_string()))
    }
}

impl TryFrom<String> for Interval {
    type Error = UnknownInterval;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Interval> for String {
    fn from(i: Interval) -> String {
        i.name().to_string()
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_user_names_and_kraken_minutes() {
        assert_eq!("1h".parse::<Interval>(), Ok(Interval::H1));
        assert_eq!("60".parse::<Interval>(), Ok(Interval::H1));
        assert_eq!("1440".parse::<Interval>(), Ok(Interval::D1));
        assert_eq!("Daily".parse::<Interval>(), Ok(Interval::D1));
        assert!("7m".parse::<Interval>().is_err());
    }

    #[test]
    fn floors_to_epoch_aligned_interval_start() {
        // 2023-01-01 00:14:59 UTC lies in the 00:00 15m candle.
        assert_eq!(Interval::M15.floor_secs(1_672_532_099), 1_672_531_200);
        assert!(Interval::M5.divides(Interval::M15));
        assert!(!Interval::M15.divides(Interval::M5));
    }
}
