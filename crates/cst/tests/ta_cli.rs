//! `cst ta --input` writes TA-Lib's columns and values for a real Kraken file, row for row.

use std::process::Command;

fn cells(text: &str) -> Vec<Vec<String>> {
    text.lines().map(|l| l.split(',').map(String::from).collect()).collect()
}

#[test]
fn ta_on_daily_xbtusd_file_reproduces_talib_oracle_and_lists_gaps() {
    let input = cst_testdata::path("kraken/ohlcvt/daily/BTCUSD_Daily_OHLC.csv");
    let out = std::env::temp_dir().join(format!("cst-ta-cli-{}.csv", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_cst"))
        .args(["ta", "--interval", "1d", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run cst");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "cst ta failed: {stderr}");
    assert!(stderr.contains("11 gaps"), "gaps listed on stderr: {stderr}");
    assert!(stderr.contains("gap 2013-10-11T00:00:00Z"), "{stderr}");
    let ours = cells(&std::fs::read_to_string(&out).expect("output"));
    let talib = cells(&cst_testdata::read_text("oracle/talib/XBTUSD_1440_talib.csv"));
    assert_eq!(ours[0], talib[0], "header");
    assert_eq!(ours.len(), talib.len(), "rows");
    let adosc = talib[0].iter().position(|n| n == "adosc").expect("adosc");
    let ad = talib[0].iter().position(|n| n == "ad").expect("ad");
    for (r, (a, b)) in ours.iter().zip(&talib).enumerate().skip(1) {
        for (k, (x, y)) in a.iter().zip(b).enumerate() {
            assert_eq!(x.is_empty(), y.is_empty(), "row {r} column {}: ours {x:?} talib {y:?}", talib[0][k]);
            if x.is_empty() {
                continue;
            }
            let (x, y): (f64, f64) = (x.parse().expect("ours"), y.parse().expect("talib"));
            // ADOSC subtracts two EMAs of the A/D line: near its zero crossings the scale is the line's.
            let scale = if k == adosc { b[ad].parse::<f64>().expect("ad").abs() } else { 1.0 };
            let diff = (x - y).abs();
            assert!(diff <= 1e-9 * y.abs() || diff <= 1e-9 * scale.max(1.0), "row {r} {}: {x} vs {y}", talib[0][k]);
        }
    }
    std::fs::remove_file(&out).ok();
}
