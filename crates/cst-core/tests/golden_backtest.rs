//! Golden backtest: sma-cross 10/30 on Kraken's real XBT/USD hourly candles 2013–2020. The
//! report must equal the committed one byte for byte, and two runs must be identical.

mod support;

use cst_core::backtest::{Backtest, BacktestSpec};
use cst_core::engine::EngineConfig;
use cst_core::interval::Interval;
use cst_core::sim_venue::VenueConfig;
use cst_core::strategy::StrategySpec;
use rust_decimal::dec;

fn run() -> (String, String, String, String) {
    let series = support::xbtusd_hourly();
    let spec = BacktestSpec {
        strategy: StrategySpec::builtin("sma-cross").expect("built-in"),
        engine: EngineConfig::default(),
        venue: VenueConfig::default(),
        cash: dec!(10000),
        interval: Interval::H1,
        record_curve: true,
    };
    let mut bt = Backtest::new(spec, vec![support::xbtusd_venue_pair(&series)]).expect("backtest");
    bt.run(&series.bars);
    let report = bt.report();
    (report.to_json(), bt.trades_csv(), bt.equity_csv(), bt.html(&report))
}

#[test]
fn golden_sma_cross_xbtusd_hourly_report_matches_the_committed_one() {
    let (json, trades, equity, html) = run();
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/sma_cross_xbtusd_1h_report.json");
    if std::env::var_os("CST_BLESS").is_some() {
        std::fs::write(&golden, &json).expect("bless");
    }
    let expected = std::fs::read_to_string(&golden).expect("golden report committed");
    assert_eq!(json, expected, "report.json differs from {}", golden.display());
    assert!(trades.lines().count() > 100);
    assert!(equity.lines().count() > 50_000);
    assert!(html.contains("<svg") && !html.contains("<script"));
}

#[test]
fn two_runs_are_byte_identical() {
    assert_eq!(run(), run());
}
