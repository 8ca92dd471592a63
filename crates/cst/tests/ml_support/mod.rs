//! What the ML end-to-end tests share: running the real binary against a home's SQLite store,
//! importing the real 2023 H1 15m candles, and training a model through `cst train --json`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // each test file uses a subset

use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Runs `cst` with `--home` and that home's SQLite store: (exit code, stdout, stderr).
pub fn cst(home: &Path, args: &[&str]) -> (i32, String, String) {
    let url = format!("sqlite:{}", home.join("cst.sqlite").display());
    let out = Command::new(env!("CARGO_BIN_EXE_cst"))
        .arg("--home")
        .arg(home)
        .args(["--store", &url])
        .args(args)
        .output()
        .expect("run cst");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// Imports the named files of `kraken/ohlcvt/intraday-2023/h1-15m` (real Kraken 15m candles).
pub fn import_15m(home: &Path, files: &[&str]) {
    let dir = cst_testdata::shared_data_dir().join("kraken/ohlcvt/intraday-2023/h1-15m");
    for f in files {
        let (code, _, err) = cst(home, &["data", "import", dir.join(f).to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
    }
}

/// `cst train ARGS --json`; returns the registered model id.
pub fn train_json(home: &Path, args: &[&str]) -> String {
    let mut all = vec!["train"];
    all.extend_from_slice(args);
    all.push("--json");
    let (code, out, err) = cst(home, &all);
    assert_eq!(code, 0, "train failed: {err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    v["model_id"].as_str().unwrap().to_string()
}
