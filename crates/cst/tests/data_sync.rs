//! `cst data sync` end to end: the binary downloads from a local server replaying Kraken's
//! recorded 2025 session (OHLC served from 20:00 on, so the earlier history must come from the
//! 1,000 recorded trades), stores through the gate, and is idempotent on a second run.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

const CAPTURE: &str = "kraken/rest-capture-2025/spot";
const WINDOW_START: i64 = 1_762_804_800; // 2025-11-10 20:00 UTC

fn ohlc_from(start: i64) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&cst_testdata::read_text(&format!("{CAPTURE}/http_ohlc.json"))).expect("json");
    v["result"]["XBTUSDT"].as_array_mut().expect("rows").retain(|r| r[0].as_i64().is_some_and(|t| t >= start));
    v.to_string()
}

/// Serves OHLC and Trades bodies over HTTP/1.1 on 127.0.0.1 (random port), one request per connection.
fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let ohlc = ohlc_from(WINDOW_START);
    let trades = cst_testdata::read_text(&format!("{CAPTURE}/http_trades.json"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let body = if first.contains("/0/public/OHLC") {
                ohlc.as_str()
            } else if first.contains("/0/public/Trades") {
                trades.as_str()
            } else {
                r#"{"error":["EGeneral:Unknown method"]}"#
            };
            let _ =
                write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            let _ = stream.read(&mut [0u8; 1]);
        }
    });
    url
}

fn cst(home: &PathBuf, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cst")).arg("--home").arg(home).args(args).output().expect("run cst");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn sync_stores_trade_built_history_and_the_ohlc_window_and_is_idempotent() {
    let url = serve();
    let home = std::env::temp_dir().join(format!("cst-sync-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let args = [
        "data",
        "sync",
        "--pairs",
        "XBT/USDT",
        "--interval",
        "1m",
        "--since",
        "2025-11-10T17:24:00Z",
        "--kraken-url",
        &url,
    ];
    let (ok, out) = cst(&home, &args);
    assert!(ok, "{out}");
    assert!(out.contains("273 rows (166 OHLC, 107 from trades"), "{out}");
    assert!(out.contains("273 new, 0 unchanged"), "{out}");
    let (ok, out) = cst(&home, &args);
    assert!(ok && out.contains("0 new, 273 unchanged"), "second run stores nothing new: {out}");
    let csv = home.join("export.csv");
    let (ok, out) =
        cst(&home, &["data", "export", "--pair", "XBT/USDT", "--interval", "1m", "--out", csv.to_str().expect("path")]);
    assert!(ok, "{out}");
    let stored = std::fs::read_to_string(&csv).expect("csv");
    let kraken = cst_kraken::rest::public::parse_ohlc(&cst_testdata::read_text(&format!("{CAPTURE}/http_ohlc.json")))
        .expect("ohlc");
    let expected: Vec<String> = kraken
        .bars
        .iter()
        .map(|b| &b.row)
        .filter(|r| r.trades > 0 && r.time >= 1_762_795_440 && r.time <= 1_762_819_980)
        .map(|r| format!("{},{},{},{},{},{},{}", r.time, r.open, r.high, r.low, r.close, r.volume, r.trades))
        .collect();
    let lines: Vec<&str> = stored.lines().skip(1).collect();
    assert_eq!(lines, expected, "every stored minute equals Kraken's own candle");
    let _ = std::fs::remove_dir_all(&home);
}
