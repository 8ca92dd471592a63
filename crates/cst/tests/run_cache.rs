//! The optional Redis cache of `cst run`, against the real local Redis (127.0.0.1:6379): the
//! latest ticker and the engine state are published for other processes; with Redis
//! unreachable the run still completes with the same journal and says it runs without cache.
#![allow(clippy::unwrap_used)]

mod run_support;

use run_support::{Home, journal};
use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

/// `GET key` over RESP; `None` when the key is absent. Panics (outside CI: skips) without Redis.
fn redis_get(key: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect("127.0.0.1:6379").unwrap();
    write!(s, "*2\r\n$3\r\nGET\r\n${}\r\n{key}\r\n", key.len()).unwrap();
    let mut r = BufReader::new(s);
    let mut head = String::new();
    r.read_line(&mut head).unwrap();
    if head.starts_with("$-1") {
        return None;
    }
    let mut body = String::new();
    r.read_line(&mut body).unwrap();
    Some(body.trim_end().to_string())
}

fn redis_up() -> bool {
    let up = std::net::TcpStream::connect("127.0.0.1:6379").is_ok();
    if !up && std::env::var_os("CI").is_some() {
        panic!("CI must run the Redis case, but 127.0.0.1:6379 is unreachable");
    }
    up
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latest_ticker_and_state_reach_redis_and_a_missing_redis_only_degrades() {
    if !redis_up() {
        eprintln!("SKIPPED Redis case: nothing listens on 127.0.0.1:6379");
        return;
    }
    let home = Home::sqlite();
    home.import_xbt();
    let run_id = format!("cache-test-{}", std::process::id());
    let mut run = home.spawn_run_with("0", &["--redis", "redis://127.0.0.1:6379", "--run-id", &run_id]);
    run.wait_line("replay finished", Duration::from_secs(300));
    run.wait_line("agent cache: Healthy", Duration::from_secs(10));
    let key = format!("cst:{run_id}:ticker:XBT/USD");
    // The close of 2019-12-31 23:00 UTC, the last hourly candle of the range on Kraken.
    let mut ticker = None;
    for _ in 0..50 {
        ticker = redis_get(&key).filter(|t| {
            let v: serde_json::Value = serde_json::from_str(t).unwrap();
            v["close"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap() == rust_decimal::dec!(7168.3)
        });
        if ticker.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(ticker.is_some(), "latest ticker in Redis: {:?}", redis_get(&key));
    let state: serde_json::Value = serde_json::from_str(&redis_get(&format!("cst:{run_id}:state")).unwrap()).unwrap();
    assert_eq!(state["events"], 8757);
    let signals: serde_json::Value =
        serde_json::from_str(&redis_get(&format!("cst:{run_id}:signals")).unwrap()).unwrap();
    let latest = signals["latest"].as_array().unwrap();
    assert!(signals["total"].as_u64().unwrap() >= latest.len() as u64 && !latest.is_empty(), "{signals}");
    assert_eq!(latest[0]["pair"], "XBT/USD");
    assert!(latest[0]["outcome"].is_object() || latest[0]["outcome"].is_string(), "{signals}");
    run.terminate();
    let with_cache = journal(&home.url(), &run_id).await;

    let other = Home::sqlite();
    other.import_xbt();
    let mut run = other.spawn_run_with("0", &["--redis", "redis://127.0.0.1:1", "--run-id", &run_id]);
    run.wait_line("replay finished", Duration::from_secs(300));
    let line = run.wait_line("agent cache:", Duration::from_secs(10));
    assert!(line.contains("Degraded") && line.contains("running without cache"), "{line}");
    run.terminate();
    assert_eq!(journal(&other.url(), &run_id).await, with_cache);
}
