//! The ML commands end to end through the real binary on real Kraken candles: import, train
//! (small config), evaluate on a later period, signals CSV, and the registry's promote/rollback.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use serde_json::Value;
use std::path::Path;

mod ml_support;
use ml_support::{cst, import_15m, train_json};

fn train(home: &Path, seed: &str) -> String {
    let pairs = cst_testdata::path("kraken/rest-capture-2025/spot/http_asset_pairs.json");
    #[rustfmt::skip]
    let args = ["--pairs", "XBT/USD,SOL/USD", "--interval", "15m", "--horizons", "4", "--from", "2023-01-01",
        "--to", "2023-03-01", "--size", "small", "--folds", "4", "--seed", seed,
        "--asset-pairs", pairs.to_str().unwrap()];
    train_json(home, &args)
}

#[test]
fn trains_evaluates_signals_and_promotes_then_rolls_back_on_real_candles() {
    let home = tempfile::tempdir().unwrap();
    import_15m(home.path(), &["XBTUSD_15_2023H1_train.csv.gz", "SOLUSD_15_2023H1_train.csv.gz"]);
    let first = train(home.path(), "7");
    assert_eq!(train(home.path(), "7"), first, "same data, config and seed: same model id (content hash)");
    let second = train(home.path(), "8");
    assert_ne!(second, first);

    let (code, out, err) = cst(
        home.path(),
        &[
            "evaluate",
            "--model",
            &first,
            "--pairs",
            "XBT/USD,SOL/USD",
            "--interval",
            "15m",
            "--from",
            "2023-03-01",
            "--to",
            "2023-03-15",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    for key in ["n", "auc", "brier", "log_loss", "ece", "reliability", "coverage", "coverage_nominal", "gate"] {
        assert!(r.get(key).is_some(), "evaluate --json lacks {key}: {out}");
    }
    assert!(
        r["gate"].get("passed").is_some()
            && r["gate"].get("mean_confidence").is_some()
            && r["gate"].get("hit_rate").is_some()
    );
    // Per pair 14 days of decisions, less the 3 last ones whose 4-candle label would end after
    // --to; SOL/USD misses the 03:15 candle of 2023-03-04, which costs that candle, the 4 labels
    // that would cross it and the 64 rows after it that lack a gap-free feature window.
    assert_eq!(r["n"], 2 * (14 * 96 - 3) - (1 + 4 + 64));
    assert_eq!(r["reliability"].as_array().unwrap().len(), 10);
    assert_eq!(r["coverage_nominal"], 0.9);
    // 14 days scored: the ECE comes with its day-bootstrap interval.
    let ece = r["ece"].as_f64().unwrap();
    let (lo, hi) = (r["ece_interval"][0].as_f64().unwrap(), r["ece_interval"][1].as_f64().unwrap());
    assert!(0.0 <= lo && lo <= hi && hi < 1.0 && ece < 1.0, "{lo} .. {hi} around {ece}");

    let csv = home.path().join("signals.csv");
    let (code, _, err) = cst(
        home.path(),
        &[
            "signals",
            "--model",
            &first,
            "--pairs",
            "XBT/USD,SOL/USD",
            "--interval",
            "15m",
            "--from",
            "2023-03-01",
            "--to",
            "2023-03-02",
            "--out",
            csv.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.starts_with(
            "time,pair,horizon,p,p_raw,disagreement,regime,set,ret_lo,ret_hi,gate,reasons,top_features,win"
        )
    );
    assert_eq!(text.lines().count(), 1 + 2 * 96);
    assert!(
        text.lines().nth(1).unwrap().starts_with("2023-03-01T00:00:00Z,XBT/USD,4,"),
        "decision time = close of the 23:45 candle"
    );

    let (code, out, _) = cst(home.path(), &["models", "promote", &first]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = cst(home.path(), &["models", "promote", &second, "--margin=-1"]);
    assert_eq!(code, 0, "a negative margin admits any challenger: {out}");
    let (code, out, _) = cst(home.path(), &["models", "promote", &first, "--margin", "1"]);
    assert_eq!(code, 2, "no model beats a champion by a full Brier-skill point: {out}");
    assert!(out.contains("not promoted"), "{out}");
    let (code, out, err) = cst(home.path(), &["models", "rollback", "--slot", "15m:long"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&first), "{out}");
    let (_, list, _) = cst(home.path(), &["models", "list"]);
    assert!(list.lines().any(|l| l.starts_with("* ") && l.contains(&first)), "{list}");
    let (code, show, _) = cst(home.path(), &["models", "show", &first]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&show).unwrap();
    assert_eq!(v["feature_names"].as_array().unwrap().len(), 13);
    assert!(v["metrics"]["horizons"][0]["ece"].is_number());
}
