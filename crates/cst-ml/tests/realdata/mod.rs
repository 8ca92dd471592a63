//! Loading the real recorded Kraken candles and fee schedule the tests are pinned to.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // shared by several test crates; test code

use cst_core::instrument::InstrumentSet;
use cst_core::interval::Interval;
use cst_ml::dataset::{Dataset, LabelConfig};
use cst_ml::labels::{Fee, LabelKind, Side};
use cst_ml::series::{Series, parse_ohlcvt};

/// The five pairs of the 2023 H1 15-minute set: (canonical, file stem).
pub const PAIRS: [(&str, &str); 5] = [
    ("XBT/USD", "XBTUSD"),
    ("ETH/USD", "ETHUSD"),
    ("SOL/USD", "SOLUSD"),
    ("DOT/USD", "DOTUSD"),
    ("AVAX/USD", "AVAXUSD"),
];

/// One pair's 15-minute candles, first `limit` rows.
pub fn series_15m(pair: &str, stem: &str, limit: usize) -> Series {
    let text = cst_testdata::read_text(&format!("kraken/ohlcvt/intraday-2023/h1-15m/{stem}_15_2023H1_train.csv.gz"));
    let rows = parse_ohlcvt(&text).expect("real csv parses");
    Series::from_rows(pair, Interval::M15, &rows[..limit.min(rows.len())])
}

/// Kraken hourly XBT/USD (2013-2020 dump, hours without trades absent: real gaps), `limit` rows
/// from row 10,000 (2015, a stretch with a handful of gaps between long gap-free runs).
pub fn series_hourly_with_gaps(limit: usize) -> Series {
    let text = cst_testdata::read_text("kraken/ohlcvt/hourly-2013-2020/XBTUSD_60.csv.gz");
    let rows = parse_ohlcvt(&text).expect("real csv parses");
    Series::from_rows("XBT/USD", Interval::H1, &rows[10_000..(10_000 + limit).min(rows.len())])
}

/// The entry-tier taker fee from Kraken's real 2025 AssetPairs response.
pub fn kraken_fee() -> Fee {
    let body = cst_testdata::read_text("kraken/rest-capture-2025/spot/http_asset_pairs.json");
    let set = InstrumentSet::from_asset_pairs_json(&body).expect("asset pairs parse");
    Fee::entry_tier(set.get("XBT/USDT").expect("XBT/USDT present"))
}

/// Net-direction long labels at the given horizons.
pub fn labels(horizons: &[usize]) -> LabelConfig {
    LabelConfig { horizons: horizons.to_vec(), fee: kraken_fee(), side: Side::Long, kind: LabelKind::NetDirection }
}

/// A dataset over the first `limit` candles of the first `n_pairs` pairs.
pub fn dataset(n_pairs: usize, limit: usize, horizons: &[usize]) -> Dataset {
    let series: Vec<Series> = PAIRS[..n_pairs].iter().map(|(p, s)| series_15m(p, s, limit)).collect();
    Dataset::from_series(&series, &labels(horizons), i64::MIN, i64::MAX)
}
