//! Regime detection on real Kraken daily XBT/USD: the well-known episodes are classified as a
//! trader would name them, and the classification is causal and deterministic.

mod support;

use cst_core::indicators::bar_of;
use cst_core::regime::{Regime, RegimeDetector, RegimeParams};

const DAILY: &str = "kraken/ohlcvt/daily/BTCUSD_Daily_OHLC.csv";

/// Daily candles: a 30-day volatility window ranked among the last year.
fn params() -> RegimeParams {
    RegimeParams { vol_period: 30, rank_window: 365, ..RegimeParams::default() }
}

fn regimes() -> (Vec<i64>, Vec<Option<Regime>>) {
    let rows = support::rows(DAILY);
    let times = rows.iter().map(|r| r.time).collect();
    (times, RegimeDetector::batch(params(), rows.iter().map(bar_of)).expect("regimes"))
}

fn count_between(times: &[i64], regimes: &[Option<Regime>], from: &str, to: &str, want: Regime) -> (usize, usize) {
    let secs = |d: &str| cst_core::time::Timestamp::parse(d).expect("date").as_secs();
    let (from, to) = (secs(from), secs(to));
    let days: Vec<_> = times.iter().zip(regimes).filter(|(t, _)| **t >= from && **t < to).collect();
    (days.iter().filter(|(_, r)| **r == Some(want)).count(), days.len())
}

#[test]
fn march_2020_crash_is_high_volatility() {
    let (t, r) = regimes();
    let (hits, days) = count_between(&t, &r, "2020-03-13T00:00:00Z", "2020-03-31T00:00:00Z", Regime::HighVolatility);
    assert!(hits * 2 > days, "{hits} of {days} days");
}

#[test]
fn autumn_2017_rally_is_mostly_trend_up_and_2018_bear_has_trend_down() {
    let (t, r) = regimes();
    let (up, days) = count_between(&t, &r, "2017-10-01T00:00:00Z", "2017-12-01T00:00:00Z", Regime::TrendUp);
    assert!(up * 2 > days, "trend-up on {up} of {days} days of the 2017 rally");
    let (down, _) = count_between(&t, &r, "2018-01-01T00:00:00Z", "2019-01-01T00:00:00Z", Regime::TrendDown);
    let (up18, _) = count_between(&t, &r, "2018-01-01T00:00:00Z", "2019-01-01T00:00:00Z", Regime::TrendUp);
    assert!(down > 2 * up18, "2018: {down} trend-down vs {up18} trend-up days");
}

#[test]
fn every_regime_occurs_and_warm_up_gives_none() {
    let (_, r) = regimes();
    let warm_up = r.iter().take_while(|x| x.is_none()).count();
    assert_eq!(warm_up, 30 + 365 - 1, "realized vol then a full rank window");
    for want in Regime::ALL {
        assert!(r.contains(&Some(want)), "{want:?} never occurs");
    }
    assert!(r[warm_up..].iter().all(Option::is_some));
}

#[test]
fn regime_of_a_day_does_not_change_when_later_days_are_added() {
    let rows = support::rows(DAILY);
    let (_, full) = regimes();
    for len in (400..rows.len()).step_by(97) {
        let part = RegimeDetector::batch(params(), rows[..len].iter().map(bar_of)).expect("regimes");
        assert_eq!(part[..], full[..len], "prefix of {len} days");
    }
}
