//! `cst features --input` exports the default feature set of a real Kraken 15-minute file.

use std::process::Command;

#[test]
fn features_on_solusd_15m_file_export_every_default_feature_with_values() {
    let input = cst_testdata::path("kraken/ohlcvt/intraday-2023/h1-15m/SOLUSD_15_2023H1_train.csv.gz");
    let out = std::env::temp_dir().join(format!("cst-features-cli-{}.csv", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_cst"))
        .args(["features", "--interval", "15m", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run cst");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "cst features failed: {stderr}");
    let text = std::fs::read_to_string(&out).expect("output");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(&header[..3], ["time", "close_time", "ret_1"]);
    assert!(header.contains(&"1h_rsi_14") && header.contains(&"1d_adx_14") && header.contains(&"regime_high_vol"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.len() > 15_000, "{} rows", rows.len());
    let last = rows.last().expect("rows");
    assert_eq!(last.len(), header.len());
    for (name, cell) in header.iter().zip(last) {
        assert!(!cell.is_empty(), "{name} has no value on the last row");
    }
    let (t, close): (i64, i64) = (last[0].parse().expect("time"), last[1].parse().expect("close"));
    assert_eq!(close - t, 900, "rows are known at the candle's close");
    std::fs::remove_file(&out).ok();
}
