//! Shared test fixtures: real Kraken instruments and real hourly candles.
#![allow(dead_code)]

use cst_core::backtest::bars::{BarSeries, parse_ohlcvt, to_bars};
use cst_core::backtest::with_fee_schedule;
use cst_core::event::PairId;
use cst_core::instrument::{Instrument, InstrumentSet};
use cst_core::interval::Interval;
use cst_core::sim_venue::VenuePair;

/// The 2025 AssetPairs capture (XBT/USDT only; today's fee schedule 0.40 % taker / 0.25 % maker).
pub fn assets_2025() -> InstrumentSet {
    InstrumentSet::from_asset_pairs_json(&cst_testdata::read_text(
        "kraken/rest-capture-2025/spot/http_asset_pairs.json",
    ))
    .expect("2025 AssetPairs")
}

/// The full 2021 AssetPairs response from the WS v1 capture's REST log.
pub fn assets_2021() -> InstrumentSet {
    let text = cst_testdata::read_text("kraken/ws-v1-capture-2021/KRAKEN.0.txt.gz");
    let first = text.lines().next().expect("line");
    let body = first.split_once(": ").expect("url -> ts: body").1;
    // The 2021 list holds staking twins such as `ETH2.S/ETH` that are not tradable pairs; keep
    // the majors this suite trades.
    let mut v: serde_json::Value = serde_json::from_str(body).expect("json");
    let result = v["result"].as_object_mut().expect("result");
    result.retain(|k, _| ["XXBTZUSD", "XETHZUSD"].contains(&k.as_str()));
    InstrumentSet::from_asset_pairs_json(&v.to_string()).expect("2021 AssetPairs")
}

/// XBT/USD: 2021 precision and minimums, 2025 fee schedule.
pub fn xbtusd() -> Instrument {
    let fees = assets_2025().get("XBT/USDT").expect("XBT/USDT").clone();
    with_fee_schedule(assets_2021().get("XBT/USD").expect("XBT/USD"), &fees)
}

/// XBT/USDT exactly as in the 2025 capture.
pub fn xbtusdt() -> Instrument {
    assets_2025().get("XBT/USDT").expect("XBT/USDT").clone()
}

/// Kraken's hourly XBT/USD 2013–2020 as bars of pair 0.
pub fn xbtusd_hourly() -> BarSeries {
    let text = cst_testdata::read_text("kraken/ohlcvt/hourly-2013-2020/XBTUSD_60.csv.gz");
    let (rows, bad) = parse_ohlcvt(&text);
    assert!(bad.is_empty(), "{bad:?}");
    to_bars(PairId(0), &rows, Interval::H1)
}

/// The venue pair for XBT/USD hourly.
pub fn xbtusd_venue_pair(series: &BarSeries) -> VenuePair {
    VenuePair { instrument: xbtusd(), scale: series.scale }
}
