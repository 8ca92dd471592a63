//! The model lifecycle through the real binary on real Kraken candles: a challenger scored in shadow
//! beside the champion on the same out-of-sample rows (refused on training data, the champion's
//! numbers equal to `cst evaluate`'s, promotion only by the margin), and `cst drift`'s exported
//! alarms with the exit code a retraining job keys on.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use serde_json::Value;
use std::path::Path;

mod ml_support;
use ml_support::{cst, import_15m, train_json};

const PAIRS: &str = "XBT/USD,SOL/USD";

/// A store with 2023H1 XBT/USD and SOL/USD 15m candles.
fn home_with_candles() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    import_15m(home.path(), &["XBTUSD_15_2023H1_train.csv.gz", "SOLUSD_15_2023H1_train.csv.gz"]);
    home
}

/// A small model trained on January and February 2023.
fn train(home: &Path, seed: &str) -> String {
    let fees = cst_testdata::path("kraken/rest-capture-2025/spot/http_asset_pairs.json");
    #[rustfmt::skip]
    let args = ["--pairs", PAIRS, "--horizons", "4", "--from", "2023-01-01", "--to", "2023-03-01",
        "--size", "small", "--folds", "4", "--seed", seed, "--asset-pairs", fees.to_str().unwrap()];
    train_json(home, &args)
}

/// `cst models shadow` over 2023-03-01..2023-03-15 with `extra` arguments: exit code and JSON.
fn shadow(home: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["models", "shadow", "--pairs", PAIRS, "--from", "2023-03-01", "--to", "2023-03-15", "--json"];
    args.extend_from_slice(extra);
    let (code, out, err) = cst(home, &args);
    assert!(code == 0 || code == 2, "shadow failed ({code}): {err}");
    (code, serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}")))
}

fn champion(home: &Path) -> String {
    let (_, list, _) = cst(home, &["models", "list"]);
    let line = list.lines().find(|l| l.starts_with("* ")).unwrap_or_else(|| panic!("no champion: {list}"));
    line.split_whitespace().nth(1).unwrap().to_string()
}

#[test]
fn shadow_scores_champion_and_challenger_on_the_same_out_of_sample_rows_and_promotes_only_by_the_margin() {
    let home = home_with_candles();
    let h = home.path();
    let (first, second) = (train(h, "7"), train(h, "8"));
    let (code, _, _) = cst(h, &["models", "promote", &first]);
    assert_eq!(code, 0);

    // February is training data of both models: no shadow run there.
    let (code, _, err) = cst(
        h,
        &["models", "shadow", "--challenger", &second, "--pairs", PAIRS, "--from", "2023-02-20", "--to", "2023-03-15"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("overlaps the training data"), "{err}");

    // The champion's shadow numbers are exactly `cst evaluate`'s over the same period.
    let (code, v) = shadow(h, &["--challenger", &second]);
    assert_eq!(code, 0, "without --promote the verdict is only reported");
    assert_eq!(v["champion"]["id"], first.as_str(), "default champion: the slot's");
    assert_eq!(v["promoted"], false);
    let (code, out, err) = cst(
        h,
        &["evaluate", "--model", &first, "--pairs", PAIRS, "--from", "2023-03-01", "--to", "2023-03-15", "--json"],
    );
    assert_eq!(code, 0, "{err}");
    let eval: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["champion"]["horizons"], eval["horizons"], "one scoring path");
    let (c, k) = (&v["champion"]["horizons"][0], &v["challenger"]["horizons"][0]);
    assert_eq!(c["n"], 2 * (14 * 96 - 3) - (1 + 4 + 64), "the rows of ml_cli's evaluate test");
    assert_eq!(c["n"], k["n"], "same rows for both");
    assert_eq!(c["base_rate"], k["base_rate"], "same rows, same outcomes");
    for key in ["brier", "log_loss", "ece", "auc"] {
        assert!(c[key].is_number() && k[key].is_number(), "{key} missing: {v}");
    }

    // A margin no model can clear: never promoted, and the command says so with exit code 2.
    let (code, v) = shadow(h, &["--challenger", &second, "--margin", "1000", "--promote"]);
    assert_eq!((code, &v["promoted"]), (2, &Value::Bool(false)));
    assert!(v["reason"].as_str().unwrap().contains("not better by the margin"), "{v}");
    assert_eq!(champion(h), first);

    // Margin 0: promoted exactly when the challenger's shadow Brier skill is at least the champion's.
    let (code, v) = shadow(h, &["--challenger", &second, "--margin", "0", "--promote"]);
    let second_better = v["challenger"]["score"].as_f64().unwrap() >= v["champion"]["score"].as_f64().unwrap();
    assert_eq!(v["promoted"], second_better, "{v}");
    assert_eq!(code, if second_better { 0 } else { 2 });
    assert_eq!(&champion(h), if second_better { &second } else { &first });
    // The other way round, so that both outcomes are exercised whichever model is better here.
    if !second_better {
        let (code, _, _) = cst(h, &["models", "promote", &second, "--margin=-1"]);
        assert_eq!(code, 0);
    }
    let (code, v) = shadow(h, &["--challenger", &first, "--margin", "0", "--promote"]);
    assert_eq!(v["champion"]["id"], second.as_str());
    let first_better = v["challenger"]["score"].as_f64().unwrap() >= v["champion"]["score"].as_f64().unwrap();
    assert_eq!(first_better, !second_better, "the same rows scored again give the same comparison: {v}");
    assert_eq!((code == 0, &v["promoted"]), (first_better, &Value::Bool(first_better)), "{v}");
    assert_eq!(&champion(h), if first_better { &first } else { &second });

    // The registry keeps why the shadow winner was promoted.
    let winner = if first_better { &first } else { &second };
    let (_, show, _) = cst(h, &["models", "show", winner]);
    let v: Value = serde_json::from_str(&show).unwrap();
    let reasons: Vec<&str> =
        v["promotions"].as_array().unwrap().iter().map(|p| p["reason"].as_str().unwrap()).collect();
    assert!(reasons.iter().any(|r| r.starts_with("beats on shadow 2023-03-01..2023-03-15")), "{reasons:?}");
}

#[test]
fn drift_exports_the_models_alarms_and_exits_3_when_any_is_active() {
    let home = home_with_candles();
    let h = home.path();
    let model = train(h, "7");
    let drift = |from: &str, to: &str| {
        let (code, out, err) =
            cst(h, &["drift", "--model", &model, "--pairs", PAIRS, "--from", from, "--to", to, "--json"]);
        assert!(code == 0 || code == 3, "drift failed ({code}): {err}");
        (code, serde_json::from_str::<Value>(&out).unwrap_or_else(|e| panic!("{e}: {out}")))
    };
    let consistent = |code: i32, v: &Value| {
        let alarms = v["alarms"].as_array().unwrap();
        assert_eq!(v["active"], !alarms.is_empty());
        assert_eq!(code == 3, !alarms.is_empty(), "exit code 3 iff an alarm is active: {v}");
        let flagged =
            v["features"].as_array().unwrap().iter().map(|f| {
                usize::from(f["psi_alarm"].as_bool().unwrap()) + usize::from(f["ks_alarm"].as_bool().unwrap())
            });
        let decayed = v["brier"].as_array().unwrap().iter().filter(|b| !b["alarm"].is_null()).count();
        assert_eq!(alarms.len(), flagged.sum::<usize>() + decayed, "the alarm list is the flagged rows: {v}");
        assert_eq!(v["features"].as_array().unwrap().len(), 13);
    };

    // A week inside the training period is one of the windows the alarm limits were fitted on: quiet.
    let (code, v) = drift("2023-02-01", "2023-02-08");
    consistent(code, &v);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["rows"], 2 * 7 * 96);

    // The first week after it is further from the training data than any training week was.
    let (code, v) = drift("2023-03-01", "2023-03-08");
    consistent(code, &v);
    assert_eq!(code, 3, "{v}");
    assert!(v["alarms"].as_array().unwrap().iter().any(|a| a.as_str().unwrap().starts_with("psi:")), "{v}");
}
