//! `cst backtest` on real Kraken files: the report directory matches the committed golden
//! report, and a strategy file with an unknown key is refused naming the key.

use std::process::Command;

fn asset_pairs() -> String {
    let y2025 = cst_testdata::path("kraken/rest-capture-2025/spot/http_asset_pairs.json");
    let y2021 = cst_testdata::path("kraken/ws-v1-capture-2021/KRAKEN.0.txt.gz");
    format!("{},{}", y2025.display(), y2021.display())
}

#[test]
fn backtest_of_sma_cross_on_real_xbtusd_hourly_file_writes_the_golden_report() {
    let input = cst_testdata::path("kraken/ohlcvt/hourly-2013-2020/XBTUSD_60.csv.gz");
    let dir = tempfile::tempdir().expect("tempdir");
    let run = Command::new(env!("CARGO_BIN_EXE_cst"))
        .args(["backtest", "--strategy", "sma-cross", "--pairs", "XBT/USD", "--interval", "1h", "--asset-pairs"])
        .arg(asset_pairs())
        .arg("--input")
        .arg(&input)
        .arg("--report")
        .arg(dir.path())
        .output()
        .expect("run cst");
    assert!(run.status.success(), "cst backtest failed: {}", String::from_utf8_lossy(&run.stderr));
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../cst-core/tests/golden/sma_cross_xbtusd_1h_report.json");
    let expected = std::fs::read_to_string(golden).expect("golden");
    assert_eq!(std::fs::read_to_string(dir.path().join("report.json")).expect("report.json"), expected);
    for f in ["trades.csv", "equity.csv", "report.html"] {
        assert!(dir.path().join(f).is_file(), "{f} missing");
    }
    assert!(String::from_utf8_lossy(&run.stdout).contains("gate: not applicable"));
}

#[test]
fn strategy_file_with_an_unknown_key_is_refused_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[strategy]\nname = \"breakout\"\nentry_perid = 20\n").expect("write");
    let input = cst_testdata::path("kraken/ohlcvt/hourly-2013-2020/XBTUSD_60.csv.gz");
    let run = Command::new(env!("CARGO_BIN_EXE_cst"))
        .args(["backtest", "--pairs", "XBT/USD", "--interval", "1h", "--strategy"])
        .arg(&file)
        .arg("--input")
        .arg(&input)
        .arg("--asset-pairs")
        .arg(asset_pairs())
        .output()
        .expect("run cst");
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("unknown key `strategy.entry_perid`; allowed keys: name, entry_period, exit_period"),
        "{stderr}"
    );
}
