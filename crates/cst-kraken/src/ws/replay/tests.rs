//! Replaying the real recording and our own format.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::ws::recorder::Recorder;

#[test]
fn every_checksum_of_the_2021_capture_matches_for_all_pairs() {
    let text = cst_testdata::read_text("kraken/ws-v1-capture-2021/KRAKEN.ws.50.0.txt.gz");
    let rec = read_recording(&text).unwrap();
    assert_eq!(rec.protocol, Protocol::V1);
    let report = verify_books(&rec, 1000);
    assert_eq!(report.pairs.len(), 7);
    assert_eq!(report.malformed, 0);
    for (pair, s) in &report.pairs {
        assert_eq!(s.snapshots, 1, "{pair}");
        assert!(s.updates_applied > 100, "{pair}: {s:?}");
        assert_eq!((s.checksums_matched, s.checksums_mismatched), (s.updates_applied, 0), "{pair}");
    }
    let total: u64 = report.pairs.values().map(|s| s.updates_applied).sum();
    assert_eq!(total, 3290 - 7);
    assert!(report.all_matched());
}

#[test]
fn our_recording_format_round_trips_byte_for_byte_and_verifies_the_same() {
    let text = cst_testdata::read_text("kraken/ws-v1-capture-2021/KRAKEN.ws.50.0.txt.gz");
    let original = read_recording(&text).unwrap();
    let mut rec = Recorder::new(Vec::new(), Protocol::V1, "wss://ws.kraken.com").unwrap();
    for f in &original.frames {
        rec.record(f.direction, f.local_ns, Some(f.local_ns - 1), f.text.as_bytes()).unwrap();
    }
    let bytes = rec.into_inner();
    let ours = String::from_utf8(bytes).unwrap();
    let back = read_recording(&ours).unwrap();
    assert_eq!(back.protocol, Protocol::V1);
    assert_eq!(back.frames.len(), original.frames.len());
    for (a, b) in original.frames.iter().zip(&back.frames) {
        assert_eq!((a.text, a.direction, a.local_ns), (b.text, b.direction, b.local_ns));
        assert_eq!(b.exchange_ns, Some(a.local_ns - 1));
    }
    assert_eq!(verify_books(&back, 1000), verify_books(&original, 1000));
}

#[test]
fn frames_with_newlines_survive_our_format() {
    let sample =
        cst_testdata::read_text("kraken/api-examples/checksum/ws_v1_book_update_with_checksum_docs_sample.txt");
    let mut rec = Recorder::new(Vec::new(), Protocol::V1, "wss://ws.kraken.com").unwrap();
    rec.record(Direction::Received, 1, None, sample.as_bytes()).unwrap();
    let text = String::from_utf8(rec.into_inner()).unwrap();
    assert_eq!(read_recording(&text).unwrap().frames[0].text, sample);
}

#[test]
fn a_mismatch_is_reported_not_hidden() {
    let text = cst_testdata::read_text("kraken/ws-v1-capture-2021/KRAKEN.ws.50.0.txt.gz");
    let altered = text.replacen("\"c\":\"1822697057\"", "\"c\":\"1822697058\"", 1);
    let report = verify_books(&read_recording(&altered).unwrap(), 1000);
    assert!(!report.all_matched());
    assert_eq!(report.pairs["XMR/USD"].checksums_mismatched, 1);
    assert!(report.pairs["XMR/USD"].skipped > 0, "updates after the mismatch are skipped until a snapshot");
}

#[test]
fn malformed_frames_are_counted_with_their_text() {
    let text = cst_testdata::read_text("kraken/ws-v1-capture-2021/KRAKEN.ws.50.0.txt.gz");
    let broken = text.replacen("{\"event\":\"heartbeat\"}", "{\"event\":\"heartbeat\"", 1);
    let report = verify_books(&read_recording(&broken).unwrap(), 1000);
    assert_eq!(report.malformed, 1);
    assert_eq!(report.malformed_samples[0].0, "{\"event\":\"heartbeat\"");
    assert!(report.all_matched(), "a broken heartbeat must not disturb the books");
}

#[test]
fn refuses_a_truncated_recording() {
    let mut rec = Recorder::new(Vec::new(), Protocol::V2, "wss://ws.kraken.com/v2").unwrap();
    rec.record(Direction::Received, 1, None, b"{\"channel\":\"heartbeat\"}").unwrap();
    let text = String::from_utf8(rec.into_inner()).unwrap();
    let cut = &text[..text.len() - 5];
    assert!(read_recording(cut).is_err());
}

#[test]
fn reads_the_book_depth_from_recorded_subscribe_requests() {
    let v2 = r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD","ETH/USD"],"depth":25,"snapshot":true},"req_id":1}"#;
    assert_eq!(subscribed_book_depths(v2), [("BTC/USD".to_string(), 25), ("ETH/USD".to_string(), 25)]);
    let text = cst_testdata::read_text("kraken/ws-v1-capture-2021/KRAKEN.ws.50.0.txt.gz");
    let sent = text.lines().find(|l| l.contains(" <- ")).unwrap().split_once(": ").unwrap().1;
    assert_eq!(subscribed_book_depths(sent).len(), 10);
    assert!(subscribed_book_depths(sent).iter().all(|(_, d)| *d == 1000));
    assert!(
        subscribed_book_depths(r#"{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"]}}"#)
            .is_empty()
    );
}

#[test]
fn a_v2_recording_with_its_subscribe_request_replays_and_verifies() {
    let snapshot = cst_testdata::read_text("kraken/ws-v2-book/kraken_v2_book_snapshot_BTCUSDT_depth25.json");
    let mut rec = Recorder::new(Vec::new(), Protocol::V2, "wss://ws.kraken.com/v2").unwrap();
    let sub = crate::ws::v2::subscribe_request("book", &["BTC/USDT".to_string()], Some(25), 1);
    rec.record(Direction::Sent, 1, None, sub.as_bytes()).unwrap();
    rec.record(Direction::Received, 2, None, snapshot.as_bytes()).unwrap();
    let text = String::from_utf8(rec.into_inner()).unwrap();
    let report = verify_books(&read_recording(&text).unwrap(), 10);
    assert!(report.all_matched(), "{report:?}");
}
