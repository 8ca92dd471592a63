//! The `ml-ensemble` strategy on real Kraken 15m candles (2023 H1): a model trained on an earlier
//! period trades a later one through `cst backtest`. Every order comes from a gated pass, the
//! refusals add up, two runs give identical reports, the strategy's probabilities are bit-for-bit
//! those of `cst signals` (up to the one step a stream cannot take: outcomes of later pairs ending
//! at the same instant), and a model built on other feature names is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use cst_core::backtest::bars::to_bars;
use cst_core::event::PairId;
use cst_core::interval::Interval;
use cst_core::strategy::{BarView, SignalModel};
use cst_ml::artifact::ModelFile;
use cst_ml::dataset::Dataset;
use cst_ml::features::{self, WARMUP};
use cst_ml::gate::Decision;
use cst_ml::series::Series;
use cst_ml::strategy::{MlEnsembleConfig, MlEnsembleGroup};
use cst_store::Store;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

mod ml_support;
use ml_support::{cst, import_15m, train_json};

const PAIRS: &str = "XBT/USD,ETH/USD";

fn asset_pairs() -> String {
    let y2025 = cst_testdata::path("kraken/rest-capture-2025/spot/http_asset_pairs.json");
    let y2021 = cst_testdata::path("kraken/ws-v1-capture-2021/KRAKEN.0.txt.gz");
    format!("{},{}", y2025.display(), y2021.display())
}

fn import(home: &Path) {
    import_15m(home, &["XBTUSD_15_2023H1_train.csv.gz", "ETHUSD_15_2023H1_train.csv.gz"]);
}

fn train(home: &Path, extra: &[&str]) -> String {
    let mut args = vec!["--pairs", PAIRS, "--interval", "15m", "--size", "small", "--folds", "4"];
    args.extend_from_slice(extra);
    train_json(home, &args)
}

/// Runs the backtest and returns `report.json` (parsed) and its exact text.
fn backtest(home: &Path, model: &str, from: &str, to: &str, dir: &str, extra: &[&str]) -> (Value, String) {
    let report = home.join(dir);
    let ap = asset_pairs();
    let mut args = vec!["backtest", "--strategy", "ml-ensemble", "--model", model, "--pairs", PAIRS];
    args.extend_from_slice(&["--interval", "15m", "--from", from, "--to", to, "--asset-pairs", &ap]);
    args.extend_from_slice(&["--report", report.to_str().unwrap()]);
    args.extend_from_slice(extra);
    let (code, out, err) = cst(home, &args);
    assert_eq!(code, 0, "backtest failed: {err}\n{out}");
    let text = std::fs::read_to_string(report.join("report.json")).unwrap();
    (serde_json::from_str(&text).unwrap(), text)
}

fn count(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

/// The gate's books balance: every judged bar passed or was refused, every refusal has exactly
/// one combination of reasons, and each reason's count is the sum of the combinations holding it.
fn assert_refusal_accounting(g: &Value) {
    assert_eq!(count(&g["signals_seen"]), count(&g["passed"]) + count(&g["refused"]), "{g}");
    assert_eq!(count(&g["bars"]), count(&g["signals_seen"]) + count(&g["no_features"]), "{g}");
    let combos = g["refusal_combinations"].as_object().unwrap();
    assert_eq!(combos.values().map(count).sum::<u64>(), count(&g["refused"]), "{g}");
    let mut by_reason: BTreeMap<&str, u64> = BTreeMap::new();
    for (combo, n) in combos {
        assert!(!combo.is_empty(), "a refusal always has a reason");
        for reason in combo.split('+') {
            *by_reason.entry(reason).or_insert(0) += count(n);
        }
    }
    let refusals = g["refusals"].as_object().unwrap();
    for (reason, n) in &by_reason {
        assert_eq!(count(&refusals[*reason]), *n, "refusals[{reason}] vs combinations: {g}");
    }
    let top_level = refusals.keys().filter(|k| !k.starts_with("drift:")).count();
    assert_eq!(top_level, by_reason.len(), "no reason is counted outside the combinations: {g}");
}

/// Orders only follow gated passes: each long target is a pass, each flat target closes one.
fn assert_orders_come_from_passes(r: &Value) {
    let g = &r["ml_gate"];
    let (passed, entries) = (count(&g["passed"]), count(&g["entries"]));
    let exits = count(&g["exits_horizon"]) + count(&g["exits_set_says_lose"]);
    assert!(entries <= passed, "{g}");
    assert!(exits <= entries, "{g}");
    assert!(count(&g["orders"]) <= entries + exits, "orders beyond the gated entries and their exits: {g}");
    assert!(count(&g["orders"]) <= 2 * passed, "{g}");
    assert!(count(&r["trades"]) <= entries, "{r}");
    assert!(entries - exits <= 2, "at most one position per pair is still open at the end: {g}");
    // The engine's confidence gate sees only the long targets (exits are rule signals) and, set
    // to the same threshold, blocks none of them.
    let engine_gate = match entries {
        0 => "gate: not applicable".to_string(),
        n => format!("gate: threshold {} passed {n} blocked 0", g["threshold"]),
    };
    assert_eq!(r["gate"], engine_gate, "{r}");
}

#[test]
fn ml_ensemble_backtests_trade_only_gated_signals_on_real_candles() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    import(home);
    let ap = cst_testdata::path("kraken/rest-capture-2025/spot/http_asset_pairs.json");
    let ap = ap.to_str().unwrap();

    // The fee-aware 1-hour model (Kraken's entry taker fee on both fills) from Jan-Feb.
    // With the online correction on, so the parity check below covers the recalibrated path too.
    let net = train(
        home,
        &[
            "--horizons",
            "4",
            "--from",
            "2023-01-01",
            "--to",
            "2023-03-01",
            "--asset-pairs",
            ap,
            "--online-recalibration",
        ],
    );
    let (r, text) = backtest(home, &net, "2023-03-01", "2023-03-15", "net-a", &[]);
    let g = &r["ml_gate"];
    assert_eq!(r["strategy"], format!("model:ml-ensemble({net},h=4)"));
    assert_eq!(g["threshold"], 0.8, "the default threshold is the model's 0.80");
    // 14 days of two pairs plus the candle opening at --to.
    assert_eq!(count(&g["bars"]), 2 * 14 * 96 + 2);
    assert_eq!(count(&g["no_features"]), 0, "the warm-up candles before --from fill the feature window");
    assert_refusal_accounting(g);
    assert_orders_come_from_passes(&r);
    // No fee-clearing hour reaches 0.80 here: the report says so plainly and nothing trades.
    assert_eq!(count(&g["passed"]), 0, "{g}");
    assert!(g["note"].as_str().unwrap().starts_with("no signal passed the gate"), "{g}");
    assert_eq!((count(&g["orders"]), count(&r["trades"])), (0, 0));
    assert_eq!(r["final_equity"], r["initial_equity"]);
    let (_, again) = backtest(home, &net, "2023-03-01", "2023-03-15", "net-b", &[]);
    assert_eq!(again, text, "same model and candles: byte-identical report.json");

    // Gross direction over 4 hours (labelled with zero fees), Jan-Apr, calibrated on the weeks just
    // before its conformal block (`--calibrate-on block`): its gate does pass signals at the default
    // 0.80 in May-June, which exercises the order path without lowering any bar. (The default
    // out-of-fold calibrator, fitted on four months of markets, states no 0.80 there at all.)
    let gross = train(
        home,
        &[
            "--horizons",
            "16",
            "--from",
            "2023-01-01",
            "--to",
            "2023-05-01",
            "--taker-fee-pct",
            "0",
            "--calibrate-on",
            "block",
        ],
    );
    let (r, text) = backtest(home, &gross, "2023-05-01", "2023-06-30", "gross-a", &[]);
    let g = &r["ml_gate"];
    assert_refusal_accounting(g);
    assert_orders_come_from_passes(&r);
    assert!(count(&g["passed"]) > 0 && count(&g["entries"]) > 0 && count(&g["orders"]) > 0, "{g}");
    assert!(g["mean_confidence_passed"].as_f64().unwrap() >= 0.8, "{g}");
    assert!(count(&g["passed_resolved"]) <= count(&g["passed"]));
    let (_, again) = backtest(home, &gross, "2023-05-01", "2023-06-30", "gross-b", &[]);
    assert_eq!(again, text, "same model and candles: byte-identical report.json");
    let trades = |d: &str| std::fs::read_to_string(home.join(d).join("trades.csv")).unwrap();
    assert_eq!(trades("gross-a"), trades("gross-b"));

    // Explicitly lowered threshold (exercise only, not a trading setting): the gate lets at
    // least as much through and the books still balance.
    let (low, _) = backtest(home, &gross, "2023-05-01", "2023-06-30", "gross-low", &["--threshold", "0.6"]);
    assert_eq!(low["ml_gate"]["threshold"], 0.6);
    assert!(count(&low["ml_gate"]["passed"]) >= count(&g["passed"]));
    assert_refusal_accounting(&low["ml_gate"]);
    assert_orders_come_from_passes(&low);

    strategy_probabilities_equal_cst_signals(home, &net);
    model_with_other_feature_names_is_refused(home, &net);
}

/// The strategy, fed the store's bars one by one, predicts bit-for-bit what the `cst signals` path
/// computes on the whole dataset: the same stacked score, static probability and conformal set on
/// every row, and the same online-recalibrated probability wherever a stream can know what the
/// batch knows. The batch observes every outcome ending at `T` before its first decision at `T`; a
/// stream gets the pairs' candles closing at `T` one by one (XBT/USD before ETH/USD), and ETH's
/// outcome ending at `T` needs ETH's close at `T`, so XBT decides with its recalibrator one outcome
/// short there. Those rows are checked bit for bit against a replay of the batch's own labels and
/// static probabilities in stream order, and their distance from `cst signals` is bounded.
fn strategy_probabilities_equal_cst_signals(home: &Path, id: &str) {
    let (from, to) = ("2023-03-01", "2023-03-08");
    let csv = home.join("signals.csv");
    let args = ["signals", "--model", id, "--pairs", PAIRS, "--interval", "15m", "--from", from, "--to", to];
    let (code, _, err) = cst(home, &[&args[..], &["--out", csv.to_str().unwrap()]].concat());
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut cli: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        cli.insert((f[0].to_string(), f[1].to_string()), (f[3].to_string(), f[10].to_string()));
    }

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let url = format!("sqlite:{}", home.join("cst.sqlite").display());
    let store = rt.block_on(Store::open(&url)).unwrap();
    let (_, model_text) = rt.block_on(store.model(id)).unwrap();
    let file = ModelFile::from_text(&model_text, &features::names()).unwrap();
    let model = &file.body.model;
    let hm = &model.horizons[0];
    assert!(hm.online.enabled, "the model recalibrates online, so this checks the recalibrated path");
    let interval = Interval::M15;
    let ts = |s: &str| cst_core::time::Timestamp::parse(s).unwrap().as_secs();
    let (from_s, to_s) = (ts(from), ts(to));
    // The warm-up `cst signals` loads: the drift window or the recalibrator's window of outcomes.
    let warm_days = cst_ml::evaluation::warm_up_days(&model.horizons, 2, interval.secs()).max(7);
    let warm_from = from_s - warm_days * 86_400;
    let lo = warm_from - WARMUP as i64 * interval.secs();

    // The `cst signals` path: one dataset over the whole range, scored row by row.
    let pairs: Vec<cst_core::pair::Pair> = PAIRS.split(',').map(|p| p.parse().unwrap()).collect();
    let rows: Vec<Vec<cst_core::candle::CandleRow>> = pairs
        .iter()
        .map(|p| {
            let (a, b) = (
                cst_core::time::Timestamp::from_secs(lo).unwrap(),
                cst_core::time::Timestamp::from_secs(to_s - 1).unwrap(),
            );
            rt.block_on(store.candles(p, interval, Some(a), Some(b))).unwrap()
        })
        .collect();
    let series: Vec<Series> =
        pairs.iter().zip(&rows).map(|(p, r)| Series::from_rows(&p.wsname(), interval, r)).collect();
    let ds = Dataset::from_series(&series, &model.config.labels, warm_from, to_s);
    let scored_rows: Vec<usize> = (0..ds.len()).filter(|&i| ds.times[i] >= from_s).collect();
    let alarms = cst_ml::evaluation::daily_feature_alarms(&ds, &model.drift_refs, model.config.drift, 7);
    let scored =
        cst_ml::evaluation::score_rows(hm, &ds, 0, &scored_rows, model.config.gate, model.config.drift, &alarms);
    let key = |i: usize| (ds.times[i], ds.pairs[ds.pair_idx[i] as usize].clone());
    let batch: BTreeMap<(i64, String), &cst_ml::evaluation::Scored> = scored.iter().map(|s| (key(s.row), s)).collect();

    // The outcomes the batch observes: the warm-up's (the latest `window` known at the first
    // decision, of rows no fitted part of the model saw) and the scored rows' own, each at its
    // label's end.
    let t = &ds.targets[0];
    let before = ds.times[scored_rows[0]];
    let mut warm: Vec<usize> = (0..scored_rows[0])
        .rev()
        .filter(|&j| ds.times[j] >= hm.unseen_from && t.y[j].is_some() && t.end_time[j] <= before)
        .take(hm.online.window)
        .collect();
    warm.reverse();
    let outcomes: Vec<usize> =
        warm.into_iter().chain(scored_rows.iter().copied().filter(|&i| t.y[i].is_some())).collect();
    // Stream order: by end, then by pair (the bar merge order); a decision at (T, pair) comes after
    // the outcomes its pair's bar and the earlier pairs' bars at T resolved.
    let mut queue: Vec<(i64, u16, usize)> = outcomes.iter().map(|&j| (t.end_time[j], ds.pair_idx[j], j)).collect();
    queue.sort_unstable();
    let mut replay: BTreeMap<(i64, String), f64> = BTreeMap::new();
    let mut lagging: BTreeMap<(i64, String), bool> = BTreeMap::new();
    let mut online = hm.online_recalibrator();
    let mut next = 0;
    for &i in &scored_rows {
        let at = (ds.times[i], ds.pair_idx[i]);
        while let Some(&(end, pair, j)) = queue.get(next) {
            if (end, pair) > at {
                break;
            }
            online.observe(hm.predict(&ds.x[j]).p, t.y[j].unwrap());
            next += 1;
        }
        replay.insert(key(i), online.apply(hm.predict(&ds.x[i]).p));
        let later_pair_outcome = queue[next..].iter().take_while(|o| o.0 == at.0).any(|o| o.1 > at.1);
        lagging.insert(key(i), later_pair_outcome);
    }

    // The strategy: bars before the first decision time warm it up, later ones are traded.
    let group = MlEnsembleGroup::new(id, model, interval.secs(), MlEnsembleConfig::default()).unwrap();
    let bars: Vec<_> = rows.iter().enumerate().map(|(k, r)| to_bars(PairId(k as u16), r, interval)).collect();
    let mut strategies: Vec<_> = pairs.iter().zip(&bars).map(|(p, b)| group.strategy(&p.wsname(), b.scale)).collect();
    let merged = cst_core::backtest::bars::merge(&bars.iter().map(|b| b.bars.as_slice()).collect::<Vec<_>>());
    let (mut same_static, mut same_replay, mut exact, mut same_p, mut same_cli_p) = (0, 0, 0, 0, 0);
    let (mut same_verdict, mut judged, mut max_lag_diff) = (0, 0, 0.0f64);
    for bar in &merged {
        let k = bar.pair.index();
        let scale = bars[k].scale;
        let close_s = bar.stamp.exchange_ns / 1_000_000_000;
        if close_s < from_s {
            strategies[k].warm_up(bar, scale);
            continue;
        }
        if close_s >= to_s {
            continue; // `cst signals` scores decision times before --to
        }
        let view = BarView {
            bar: *bar,
            open: scale.to_f64(bar.open),
            high: scale.to_f64(bar.high),
            low: scale.to_f64(bar.low),
            close: scale.to_f64(bar.close),
        };
        strategies[k].on_bar(&view);
        let Some(o) = strategies[k].last() else { continue };
        judged += 1;
        let pair = pairs[k].wsname();
        let b = batch[&(o.time, pair.clone())];
        let fixed = hm.predict(&ds.x[b.row]);
        // The raw stacked probability is continuous in the features, so it also catches a
        // last-bit difference in a price that the calibrated steps could hide.
        same_static += usize::from(
            b.prediction.p_raw.to_bits() == o.prediction.p_raw.to_bits()
                && fixed.p.to_bits() == o.p_static.to_bits()
                && b.prediction.set == o.prediction.set,
        );
        same_replay += usize::from(replay[&(o.time, pair.clone())].to_bits() == o.prediction.p.to_bits());
        let bit_identical = b.prediction.p.to_bits() == o.prediction.p.to_bits();
        same_p += usize::from(bit_identical);
        let time = cst_core::time::Timestamp::from_secs(o.time).unwrap().to_rfc3339();
        let (cli_p, cli_gate) = &cli[&(time, pair.clone())];
        if lagging[&(o.time, pair)] {
            max_lag_diff = max_lag_diff.max((b.prediction.p - o.prediction.p).abs());
        } else {
            exact += 1;
            assert!(
                bit_identical,
                "no outcome of a later pair pending at {}: {} vs {}",
                o.time, b.prediction.p, o.prediction.p
            );
            same_cli_p += usize::from(*cli_p == format!("{:.6}", o.prediction.p));
        }
        let verdict = if matches!(o.decision, Decision::Pass { .. }) { "pass" } else { "refuse" };
        same_verdict += usize::from(cli_gate == verdict);
    }
    eprintln!(
        "parity: {judged} judged, {exact} without a later pair's outcome pending, {same_p} bit-identical to \
         score_rows, max |dp| elsewhere {max_lag_diff:.3e}"
    );
    assert_eq!(judged, cli.len(), "every row `cst signals` scores is judged by the strategy");
    assert_eq!(judged, batch.len());
    assert_eq!(same_static, judged, "bit-identical stacked score, static probability and conformal set");
    assert_eq!(same_replay, judged, "bit-identical recalibrated probability, outcomes observed in stream order");
    assert!(same_p >= exact && exact >= judged / 2, "at least the last pair's rows are exact: {exact} of {judged}");
    assert_eq!(same_cli_p, exact, "the probabilities `cst signals` prints, where a stream knows what it knows");
    // One outcome short also shifts the recalibrator's refit (every 5 outcomes) by one outcome;
    // measured 3.1e-3 at most on these rows.
    assert!(max_lag_diff < 1e-2, "one outcome short of the batch moves p by little: {max_lag_diff}");
    assert_eq!(same_verdict, judged, "the gate verdicts `cst signals` prints");
}

/// A model file whose feature names differ from this build's pipeline is refused, by the
/// strategy and by `cst backtest`, with the mismatch named.
fn model_with_other_feature_names_is_refused(home: &Path, id: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let url = format!("sqlite:{}", home.join("cst.sqlite").display());
    let store = rt.block_on(Store::open(&url)).unwrap();
    let (summary, text) = rt.block_on(store.model(id)).unwrap();
    let file = ModelFile::from_text(&text, &features::names()).unwrap();
    let mut body = file.body.clone();
    body.model.feature_names[0] = "logret_1_renamed".to_string();
    let err = MlEnsembleGroup::new("x", &body.model, 900, MlEnsembleConfig::default()).unwrap_err();
    assert!(err.to_string().contains("feature mismatch"), "{err}");

    let bad = ModelFile::seal(body).unwrap();
    let mut s = summary.clone();
    s.id = bad.id();
    s.content_hash = bad.header.content_hash.clone();
    s.feature_names = bad.body.model.feature_names.clone();
    rt.block_on(store.register_model(&s, &bad.to_text().unwrap())).unwrap();
    let report = home.join("bad");
    let ap = asset_pairs();
    let (code, out, err) = cst(
        home,
        &[
            "backtest",
            "--strategy",
            "ml-ensemble",
            "--model",
            &s.id,
            "--pairs",
            PAIRS,
            "--interval",
            "15m",
            "--from",
            "2023-03-01",
            "--to",
            "2023-03-02",
            "--asset-pairs",
            &ap,
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("feature mismatch") && err.contains("logret_1_renamed"), "{err}");
    assert!(!report.join("report.json").exists());
}
