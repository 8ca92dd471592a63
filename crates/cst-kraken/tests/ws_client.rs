//! The real client against a local WebSocket server (127.0.0.1, random port) that replays real
//! frames from Kraken's 2021 v1 recording: reconnect after a dropped connection, resync after an
//! injected checksum error, heartbeat timeout, malformed frames.
#![allow(clippy::unwrap_used, missing_docs)]

use cst_kraken::ws::backoff::Backoff;
use cst_kraken::ws::client::{BoxRecorder, Client, ClientConfig, ClientStats, FeedEvent, SharedBooks, Subscription};
use cst_kraken::ws::recorder::{Direction, Recorder};
use cst_kraken::ws::replay::read_recording;
use cst_kraken::ws::{BookOutcome, ChecksumCheck, Invalid, Protocol};
use futures_util::{SinkExt, StreamExt};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

type Ws = WebSocketStream<tokio::net::TcpStream>;
const PAIR: &str = "XBT/CHF";
const WAIT: Duration = Duration::from_secs(10);

/// Received frames of the real recording that concern XBT/CHF's book, plus the heartbeats.
fn recorded_frames() -> Vec<String> {
    let text = cst_testdata::read_text("kraken/ws-v1-capture-2021/KRAKEN.ws.50.0.txt.gz");
    let rec = read_recording(&text).unwrap();
    let suffix = format!("\"{PAIR}\"]");
    rec.frames
        .iter()
        .filter(|f| f.direction == Direction::Received)
        .map(|f| f.text)
        .filter(|t| t.ends_with(&suffix) || *t == r#"{"event":"heartbeat"}"# || t.contains("systemStatus"))
        .map(str::to_string)
        .collect()
}

fn config(port: u16, stale_after: Duration) -> ClientConfig {
    ClientConfig {
        url: format!("ws://127.0.0.1:{port}"),
        protocol: Protocol::V1,
        subscriptions: vec![Subscription { channel: "book".into(), symbols: vec![PAIR.into()], depth: Some(1000) }],
        stale_after,
        backoff: Backoff { initial: Duration::from_millis(20), max: Duration::from_millis(100) },
    }
}

/// Reads client frames until a book subscribe arrives; returns every text read.
async fn expect_subscribe(ws: &mut Ws) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
        if let Message::Text(t) = msg {
            let t = t.to_string();
            let done = t.contains("\"subscribe\"") && t.contains(PAIR);
            seen.push(t);
            if done {
                return seen;
            }
        }
    }
}

async fn send_all(ws: &mut Ws, frames: &[String]) {
    for f in frames {
        ws.send(Message::text(f.clone())).await.unwrap();
    }
}

struct Harness {
    events: mpsc::Receiver<FeedEvent>,
    books: SharedBooks,
    stats: Arc<Mutex<ClientStats>>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Option<BoxRecorder>>,
}

fn start(port: u16, stale_after: Duration, record: bool) -> Harness {
    let (tx, events) = mpsc::channel(10_000);
    let recorder = record.then(|| {
        let sink: Box<dyn std::io::Write + Send> = Box::new(Vec::<u8>::new());
        Recorder::new(sink, Protocol::V1, "ws://127.0.0.1").unwrap()
    });
    let client = Client::new(config(port, stale_after), tx, recorder);
    let (books, stats) = (client.books(), client.stats());
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(client.run(stop_rx));
    Harness { events, books, stats, stop, task }
}

impl Harness {
    /// Waits for the first event matching `pred`, returning every event up to it.
    async fn until(&mut self, pred: impl Fn(&FeedEvent) -> bool) -> Vec<FeedEvent> {
        let mut seen = Vec::new();
        loop {
            let e = tokio::time::timeout(WAIT, self.events.recv()).await.expect("event in time").expect("open");
            let hit = pred(&e);
            seen.push(e);
            if hit {
                return seen;
            }
        }
    }

    /// Collects events until `n` verified updates were seen in total.
    async fn until_matched(&mut self, n: usize) -> Vec<FeedEvent> {
        let mut seen = Vec::new();
        while matched_updates(&seen) < n {
            seen.extend(self.until(|e| matches!(e, FeedEvent::Book { .. })).await);
        }
        seen
    }

    async fn stop(self) -> Option<BoxRecorder> {
        self.stop.send(true).unwrap();
        tokio::time::timeout(WAIT, self.task).await.unwrap().unwrap()
    }

    fn book_ok(&self) -> Result<(), Invalid> {
        self.books.lock().unwrap().book(PAIR).map(|_| ())
    }
}

fn matched_updates(events: &[FeedEvent]) -> usize {
    let ok =
        |e: &&FeedEvent| matches!(e, FeedEvent::Book { outcome: BookOutcome::Applied(ChecksumCheck::Matched), .. });
    events.iter().filter(ok).count()
}

fn book_updates(frames: &[String]) -> usize {
    frames.iter().filter(|f| f.starts_with('[') && f.contains("\"c\":")).count()
}

async fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

async fn accept(l: &TcpListener) -> Ws {
    let (tcp, _) = tokio::time::timeout(WAIT, l.accept()).await.unwrap().unwrap();
    tokio_tungstenite::accept_async(tcp).await.unwrap()
}

#[tokio::test]
async fn reconnects_after_the_server_drops_and_rebuilds_a_verified_book() {
    let frames = recorded_frames();
    let (l, port) = listener().await;
    let half = frames.len() / 2;
    let server_frames = frames.clone();
    let server = tokio::spawn(async move {
        let mut ws = accept(&l).await;
        expect_subscribe(&mut ws).await;
        send_all(&mut ws, &server_frames[..half]).await;
        drop(ws); // connection lost without a close handshake
        let mut ws = accept(&l).await;
        expect_subscribe(&mut ws).await;
        send_all(&mut ws, &server_frames).await;
        ws
    });
    let mut h = start(port, Duration::from_secs(5), false);
    let first = h.until(|e| matches!(e, FeedEvent::Disconnected { .. })).await;
    assert_eq!(matched_updates(&first), book_updates(&frames[..half]));
    assert_eq!(h.book_ok(), Err(Invalid::Disconnected), "trading blocked while disconnected");
    let between = h.until(|e| matches!(e, FeedEvent::Connected { connection: 2 })).await;
    assert!(between.iter().all(|e| !matches!(e, FeedEvent::Book { .. })));
    let second = h.until_matched(book_updates(&frames)).await;
    assert!(second.iter().all(|e| !matches!(e, FeedEvent::Resubscribing { .. })), "{second:?}");
    assert_eq!(h.book_ok(), Ok(()));
    assert_eq!(h.stats.lock().unwrap().connections, 2);
    let _ws = server.await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn resubscribes_for_a_fresh_snapshot_after_an_injected_checksum_error() {
    let frames = recorded_frames();
    let (l, port) = listener().await;
    let bad_at = frames.iter().enumerate().filter(|(_, f)| f.contains("\"c\":")).nth(40).unwrap().0;
    let mut corrupted = frames[..=bad_at].to_vec();
    let sent = corrupted[bad_at].split("\"c\":\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let altered = (sent.parse::<u32>().unwrap() ^ 0x10).to_string();
    corrupted[bad_at] = corrupted[bad_at].replace(&format!("\"c\":\"{sent}\""), &format!("\"c\":\"{altered}\""));
    let server_frames = frames.clone();
    let server = tokio::spawn(async move {
        let mut ws = accept(&l).await;
        expect_subscribe(&mut ws).await;
        send_all(&mut ws, &corrupted).await;
        // The client must ask for the book again: unsubscribe, then subscribe.
        let asked = expect_subscribe(&mut ws).await;
        assert!(asked.iter().any(|t| t.contains("\"unsubscribe\"")), "{asked:?}");
        send_all(&mut ws, &server_frames).await;
        ws
    });
    let mut h = start(port, Duration::from_secs(5), false);
    let evs = h.until(|e| matches!(e, FeedEvent::Resubscribing { .. })).await;
    let mismatch = |e: &FeedEvent| {
        matches!(e, FeedEvent::Book { outcome: BookOutcome::Invalidated(Invalid::ChecksumMismatch { .. }), .. })
    };
    assert!(evs.iter().any(mismatch));
    assert!(h.book_ok().is_err(), "trading blocked until resynced");
    let evs = h.until(|e| matches!(e, FeedEvent::Book { outcome: BookOutcome::Snapshot(_), .. })).await;
    let applied = |e: &FeedEvent| matches!(e, FeedEvent::Book { outcome: BookOutcome::Applied(_), .. });
    assert!(!evs.iter().any(applied), "updates before the fresh snapshot are skipped");
    h.until_matched(book_updates(&frames)).await;
    assert_eq!(h.book_ok(), Ok(()));
    assert_eq!(h.stats.lock().unwrap().resubscriptions, 1);
    let _ws = server.await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn a_silent_feed_goes_stale_invalidates_the_book_and_reconnects() {
    let frames = recorded_frames();
    let (l, port) = listener().await;
    let server_frames = frames[..60].to_vec();
    let server = tokio::spawn(async move {
        let mut ws = accept(&l).await;
        expect_subscribe(&mut ws).await;
        send_all(&mut ws, &server_frames).await;
        // Keep the connection open but send nothing, not even a heartbeat.
        let mut ws2 = accept(&l).await;
        expect_subscribe(&mut ws2).await;
        (ws, ws2)
    });
    let mut h = start(port, Duration::from_millis(300), false);
    h.until(|e| matches!(e, FeedEvent::Book { outcome: BookOutcome::Applied(_), .. })).await;
    let evs = h.until(|e| matches!(e, FeedEvent::Disconnected { .. })).await;
    let Some(FeedEvent::Disconnected { reason }) = evs.last() else { panic!("disconnected") };
    assert!(reason.starts_with("stale"), "{reason}");
    assert!(h.book_ok().is_err());
    h.until(|e| matches!(e, FeedEvent::Connected { connection: 2 })).await;
    assert!(h.stats.lock().unwrap().stale >= 1);
    let _conns = server.await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn malformed_frames_are_counted_and_skipped_without_touching_the_book() {
    let frames = recorded_frames();
    let (l, port) = listener().await;
    let truncated = frames[30][..frames[30].len() / 2].to_string();
    let mut mixed = frames.clone();
    mixed.insert(20, "garbage{".to_string());
    mixed.insert(40, truncated.clone());
    let server = tokio::spawn(async move {
        let mut ws = accept(&l).await;
        expect_subscribe(&mut ws).await;
        send_all(&mut ws, &mixed).await;
        ws.send(Message::binary(vec![0xff, 0x00, 0x13])).await.unwrap();
        ws
    });
    let mut h = start(port, Duration::from_secs(5), true);
    let mut seen = h.until_matched(book_updates(&frames)).await;
    seen.extend(h.until(|e| matches!(e, FeedEvent::Malformed { reason, .. } if reason == "binary frame")).await);
    let malformed: Vec<&String> = seen
        .iter()
        .filter_map(|e| match e {
            FeedEvent::Malformed { raw, .. } => Some(raw),
            _ => None,
        })
        .collect();
    assert_eq!(malformed.len(), 3, "{malformed:?}");
    assert_eq!((malformed[0].as_str(), malformed[1]), ("garbage{", &truncated));
    assert!(!seen.iter().any(|e| matches!(e, FeedEvent::Resubscribing { .. })));
    assert_eq!(h.stats.lock().unwrap().malformed, 3);
    assert_eq!(h.book_ok(), Ok(()));
    let _ws = server.await.unwrap();
    let rec = h.stop().await.unwrap();
    assert!(rec.frames() as usize >= frames.len() + 3, "every received frame is recorded");
}

#[tokio::test]
async fn speaks_v2_subscribes_with_depth_and_verifies_the_live_depth_25_snapshot() {
    let docs = |n: &str| cst_testdata::read_text(&format!("kraken/api-examples/ws-v2-docs/{n}"));
    let snapshot = cst_testdata::read_text("kraken/ws-v2-book/kraken_v2_book_snapshot_BTCUSDT_depth25.json");
    let frames = vec![docs("status_update.json"), snapshot, docs("heartbeat.json")];
    let (l, port) = listener().await;
    let server = tokio::spawn(async move {
        let mut ws = accept(&l).await;
        let Message::Text(sub) = ws.next().await.unwrap().unwrap() else { panic!("text") };
        let sub: serde_json::Value = serde_json::from_str(sub.as_str()).unwrap();
        assert_eq!(sub["method"], "subscribe");
        assert_eq!(sub["params"]["channel"], "book");
        assert_eq!(sub["params"]["symbol"], serde_json::json!(["BTC/USDT"]));
        assert_eq!(sub["params"]["depth"], 25);
        assert!(sub["req_id"].is_u64());
        send_all(&mut ws, &frames).await;
        ws
    });
    let mut cfg = config(port, Duration::from_secs(5));
    cfg.protocol = Protocol::V2;
    cfg.subscriptions =
        vec![Subscription { channel: "book".into(), symbols: vec!["BTC/USDT".into()], depth: Some(25) }];
    let (tx, mut events) = mpsc::channel(100);
    let client = Client::new(cfg, tx, None);
    let books = client.books();
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(client.run(stop_rx));
    loop {
        let e = tokio::time::timeout(WAIT, events.recv()).await.unwrap().unwrap();
        if let FeedEvent::Book { symbol, outcome } = e {
            assert_eq!((symbol.as_str(), outcome), ("BTC/USDT", BookOutcome::Snapshot(ChecksumCheck::Matched)));
            break;
        }
    }
    let best = books.lock().unwrap().book("BTC/USDT").unwrap().best_bid().unwrap();
    assert_eq!(best.price.to_string(), "105906.7");
    let _ws = server.await.unwrap();
    stop.send(true).unwrap();
    tokio::time::timeout(WAIT, task).await.unwrap().unwrap();
}
