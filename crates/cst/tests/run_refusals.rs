//! What `cst run` refuses before it starts anything: live trading without confirmation or
//! keys; config files with unknown keys; a replay file that is not Kraken OHLCVT.
#![allow(clippy::unwrap_used)]

mod run_support;

use run_support::Home;

fn run_fails(home: &Home, args: &[&str], envs: &[(&str, &str)]) -> String {
    let mut c = home.cmd();
    c.arg("run").args(args).env_remove("KRAKEN_API_KEY").env_remove("KRAKEN_API_SECRET");
    for (k, v) in envs {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert!(!out.status.success(), "cst run {args:?} must fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const BASE: [&str; 7] = ["--replay-store", "--pairs", "XBT/USD", "--interval", "1h", "--strategy", "sma-cross"];

#[test]
fn live_trading_needs_confirmation_then_keys() {
    let home = Home::sqlite();
    let live: Vec<&str> = BASE.iter().copied().chain(["--live"]).collect();
    assert!(run_fails(&home, &live, &[]).contains("--i-accept-live-trading-risk"));
    let confirmed: Vec<&str> = live.iter().copied().chain(["--i-accept-live-trading-risk"]).collect();
    assert!(run_fails(&home, &confirmed, &[]).contains("KRAKEN_API_KEY"));
    // What happens with keys (the gateway runs) is tested against a local Kraken in run_live.rs.
}

#[test]
fn config_file_with_an_unknown_key_is_refused() {
    let home = Home::sqlite();
    let file = home.dir.path().join("run.toml");
    std::fs::write(&file, "[run]\nstrategy = \"sma-cross\"\nspeed = 0.0\nleverage = 5\n").unwrap();
    let err = run_fails(&home, &["--config", file.to_str().unwrap(), "--replay-store"], &[]);
    assert!(err.contains("leverage"), "{err}");
}

#[test]
fn replay_of_a_file_that_is_not_ohlcvt_is_refused_with_the_reason() {
    let home = Home::sqlite();
    let ws = cst_testdata::path("kraken/ws-v1-capture-2021/KRAKEN.0.txt.gz");
    let args = ["--replay", ws.to_str().unwrap(), "--pairs", "XBT/USD", "--interval", "1h", "--strategy", "sma-cross"];
    let err = run_fails(&home, &args, &[]);
    assert!(err.contains("no Kraken OHLCVT candles"), "{err}");
}
