//! `cst ta` and `cst features` read a series from the store exactly as from its file.

use std::path::Path;
use std::process::Command;

fn cst(home: &Path, args: &[&str]) -> String {
    let run = Command::new(env!("CARGO_BIN_EXE_cst")).arg("--home").arg(home).args(args).output().expect("run cst");
    let stderr = String::from_utf8_lossy(&run.stderr).to_string();
    assert!(run.status.success(), "cst {args:?} failed: {stderr}");
    stderr
}

#[test]
fn indicators_and_features_from_the_store_equal_those_from_the_imported_file() {
    let home = std::env::temp_dir().join(format!("cst-ta-store-{}", std::process::id()));
    std::fs::create_dir_all(&home).expect("home");
    let file = cst_testdata::path("kraken/ohlcvt/intraday-2023/q1-btc/XBTUSD_60.csv");
    let file = file.to_str().expect("utf-8 path");
    cst(&home, &["data", "import", file]);
    let out = |name: &str| home.join(name).to_str().expect("utf-8").to_string();
    for cmd in ["ta", "features"] {
        let (from_store, from_file) = (out(&format!("{cmd}-store.csv")), out(&format!("{cmd}-file.csv")));
        cst(&home, &[cmd, "--pair", "XBT/USD", "--interval", "1h", "--out", &from_store]);
        cst(&home, &[cmd, "--input", file, "--out", &from_file]);
        let (a, b) =
            (std::fs::read_to_string(&from_store).expect("a"), std::fs::read_to_string(&from_file).expect("b"));
        assert_eq!(a.lines().count(), 2_161, "{cmd}: header + Q1 2023 hours");
        assert!(a == b, "{cmd}: store and file outputs differ");
    }
    std::fs::remove_dir_all(&home).ok();
}
