//! `cst record` end to end: the real binary records a local server replaying real Kraken frames,
//! and `cst book verify` replays the recording with every checksum matched.
#![allow(clippy::unwrap_used, missing_docs)]

use futures_util::{SinkExt, StreamExt};
use std::process::Command;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

fn recorded_xbt_chf() -> Vec<String> {
    let text = cst_testdata::read_text("kraken/ws-v1-capture-2021/KRAKEN.ws.50.0.txt.gz");
    text.lines()
        .filter(|l| !l.starts_with("wss://") && !l.is_empty())
        .map(|l| l.split_once(": ").unwrap().1)
        .filter(|t| t.ends_with("\"XBT/CHF\"]") || *t == r#"{"event":"heartbeat"}"#)
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_a_replayable_stream_that_verifies() {
    let frames = recorded_xbt_chf();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sent = frames.clone();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        let sub = ws.next().await.unwrap().unwrap().into_text().unwrap().to_string();
        assert!(sub.contains("\"subscribe\"") && sub.contains("XBT/CHF"), "{sub}");
        for f in &sent {
            ws.send(Message::text(f.clone())).await.unwrap();
        }
        // Stay open until the client leaves.
        while let Some(Ok(_)) = ws.next().await {}
    });
    let out = std::env::temp_dir().join(format!("cst-record-{}.rec", std::process::id()));
    let bin = env!("CARGO_BIN_EXE_cst");
    let args = ["record", "--protocol", "v1", "--pairs", "XBT/CHF", "--channels", "book", "--depth", "1000"];
    let status = tokio::task::spawn_blocking({
        let out = out.clone();
        move || {
            Command::new(bin)
                .args(args)
                .args(["--url", &format!("ws://127.0.0.1:{port}"), "--duration-secs", "3", "--out"])
                .arg(&out)
                .status()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(status.success());
    tokio::time::timeout(Duration::from_secs(5), server).await.unwrap().unwrap();

    let text = std::fs::read_to_string(&out).unwrap();
    let rec = cst_kraken::ws::replay::read_recording(&text).unwrap();
    let received: Vec<&str> = rec
        .frames
        .iter()
        .filter(|f| f.direction == cst_kraken::ws::recorder::Direction::Received)
        .map(|f| f.text)
        .collect();
    assert_eq!(received, frames, "every frame recorded byte for byte, in order");
    let with_exchange_time = rec.frames.iter().filter(|f| f.exchange_ns.is_some()).count();
    assert_eq!(with_exchange_time, frames.iter().filter(|f| f.starts_with('[')).count());

    let verify = Command::new(bin).args(["book", "verify"]).arg(&out).output().unwrap();
    std::fs::remove_file(&out).ok();
    let stdout = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success(), "{stdout}");
    assert!(stdout.contains("XBT/CHF"), "{stdout}");
}
