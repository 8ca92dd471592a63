//! Instrument metadata from Kraken's real AssetPairs responses (2021 full list, 2025 capture),
//! found by every spelling Kraken uses for a pair.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is the failure report

use cst_core::instrument::{InstrumentSet, PairStatus};
use cst_core::num::Qty;
use rust_decimal::dec;

/// The 2021 recording holds the raw body after `<url> -> <ts>: ` on its first line.
fn asset_pairs_2021() -> InstrumentSet {
    let text = cst_testdata::read_text("kraken/ws-v1-capture-2021/KRAKEN.0.txt.gz");
    let first = text.lines().next().unwrap();
    let body = first.split_once(": ").unwrap().1;
    InstrumentSet::from_asset_pairs_json(body).unwrap()
}

#[test]
fn loads_every_pair_of_the_2021_full_response() {
    let set = asset_pairs_2021();
    // 304 entries, of which 11 are dark-pool twins (`XXBTZUSD.d`, no wsname) that we skip.
    assert_eq!(set.len(), 293);
    let xbt = set.get("XBT/USD").unwrap();
    assert_eq!((xbt.key.as_str(), xbt.altname.as_str()), ("XXBTZUSD", "XBTUSD"));
    assert_eq!((xbt.pair_decimals, xbt.lot_decimals), (1, 8));
    assert_eq!(xbt.tick_size, dec!(0.1));
    assert_eq!(xbt.ordermin, Qty::new(dec!(0.0002)).unwrap());
    assert_eq!(xbt.status, PairStatus::Online);
    assert_eq!(xbt.fee_percent(dec!(0)), (dec!(0.26), dec!(0.16)));
    assert_eq!(xbt.fee_percent(dec!(120000)), (dec!(0.22), dec!(0.12)));
}

#[test]
fn finds_a_pair_by_rest_key_altname_wsname_and_v2_symbol() {
    let set = asset_pairs_2021();
    for name in ["XXBTZUSD", "XBTUSD", "XBT/USD", "BTC/USD"] {
        assert_eq!(set.get(name).map(|i| i.key.as_str()), Some("XXBTZUSD"), "{name}");
    }
    assert_eq!(set.get("ETH/CHF").map(|i| i.pair.wsname()), Some("ETH/CHF".into()));
    assert!(set.get("FOO/BAR").is_none());
}

#[test]
fn reads_tick_size_costmin_and_maker_fees_of_the_2025_capture() {
    let body = cst_testdata::read_text("kraken/rest-capture-2025/spot/http_asset_pairs.json");
    let set = InstrumentSet::from_asset_pairs_json(&body).unwrap();
    let i = set.get("BTC/USDT").unwrap();
    assert_eq!((i.tick_size, i.cost_decimals, i.costmin), (dec!(0.1), Some(5), Some(dec!(0.5))));
    assert_eq!(i.ordermin.value(), dec!(0.00005));
    // Entry tier: 0.40% taker, 0.25% maker, falling with 30-day volume.
    assert_eq!(i.fee_percent(dec!(0)), (dec!(0.4), dec!(0.25)));
    assert_eq!(i.fee_percent(dec!(10000)).0, dec!(0.35));
}

#[test]
fn kraken_error_responses_are_refused() {
    let err = InstrumentSet::from_asset_pairs_json(r#"{"error":["EQuery:Unknown asset pair"]}"#).unwrap_err();
    assert!(err.to_string().contains("EQuery:Unknown asset pair"));
}
