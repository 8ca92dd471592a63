//! The driver on real frames: resync rules, invalidation, never a corrupted book.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::ws::frame::Frame;
use crate::ws::v1;

/// Received frames of the real v1 book recording.
fn frames() -> Vec<String> {
    let text = cst_testdata::read_text("kraken/ws-v1-capture-2021/KRAKEN.ws.50.0.txt.gz");
    text.lines()
        .filter(|l| !l.starts_with("wss://") && !l.is_empty())
        .map(|l| l.split_once(": ").unwrap().1.to_string())
        .collect()
}

fn book_frames(all: &[String], symbol: &str) -> Vec<String> {
    all.iter().filter(|f| f.ends_with(&format!("\"{symbol}\"]")) && f.starts_with('[')).cloned().collect()
}

fn feed_all(feed: &mut BookFeed, frames: &[String]) -> Vec<BookOutcome> {
    frames
        .iter()
        .map(|f| match v1::parse(f) {
            Ok(Frame::Book(m)) => feed.on_message(&m),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn every_recorded_xbt_chf_update_matches_kraken() {
    let xbt = book_frames(&frames(), "XBT/CHF");
    let mut feed = BookFeed::new(1000);
    let outcomes = feed_all(&mut feed, &xbt);
    assert_eq!(outcomes[0], BookOutcome::Snapshot(ChecksumCheck::NotSent));
    assert!(outcomes[1..].iter().all(|o| *o == BookOutcome::Applied(ChecksumCheck::Matched)));
    let s = feed.stats("XBT/CHF").unwrap();
    assert_eq!((s.snapshots, s.updates_applied, s.checksums_matched, s.checksums_mismatched), (1, 289, 289, 0));
    assert!(feed.book("XBT/CHF").is_ok());
}

#[test]
fn an_altered_checksum_invalidates_the_book_until_a_new_snapshot() {
    let xbt = book_frames(&frames(), "XBT/CHF");
    let mut feed = BookFeed::new(1000);
    feed_all(&mut feed, &xbt[..50]);
    // A real frame with one digit of its checksum changed.
    let sent = xbt[50].split("\"c\":\"").nth(1).and_then(|r| r.split('"').next()).unwrap();
    let altered = (sent.parse::<u32>().unwrap() ^ 1).to_string();
    let bad = xbt[50].replacen(&format!("\"c\":\"{sent}\""), &format!("\"c\":\"{altered}\""), 1);
    let outcome = feed_all(&mut feed, &[bad]);
    assert!(matches!(outcome[0], BookOutcome::Invalidated(Invalid::ChecksumMismatch { .. })));
    assert!(feed.book("XBT/CHF").is_err(), "trading on a mismatched book is blocked");
    assert_eq!(feed_all(&mut feed, &xbt[51..60]), vec![BookOutcome::Skipped; 9]);
    // A fresh snapshot (the recorded one) makes it valid again.
    assert_eq!(feed_all(&mut feed, &xbt[..1])[0], BookOutcome::Snapshot(ChecksumCheck::NotSent));
    assert!(feed.book("XBT/CHF").is_ok());
}

#[test]
fn a_level_finer_than_the_pair_precision_is_refused_before_touching_the_book() {
    let xbt = book_frames(&frames(), "XBT/CHF");
    let mut feed = BookFeed::new(1000);
    feed_all(&mut feed, &xbt[..10]);
    let f = r#"[464,{"a":[["52000.000001","1.00000000","1618678140.0"]],"c":"1"},"book-1000","XBT/CHF"]"#;
    let Ok(Frame::Book(m)) = v1::parse(f) else { panic!() };
    assert!(matches!(feed.on_message(&m), BookOutcome::Invalidated(Invalid::BadLevel(_))));
    assert_eq!(feed.stats("XBT/CHF").unwrap().bad_levels, 1);
}

#[test]
fn disconnect_invalidates_every_book() {
    let all = frames();
    let mut feed = BookFeed::new(1000);
    for s in ["XBT/CHF", "ETH/CHF"] {
        feed_all(&mut feed, &book_frames(&all, s)[..5]);
    }
    feed.invalidate_all(&Invalid::Disconnected);
    assert_eq!(feed.book("XBT/CHF").err(), Some(Invalid::Disconnected));
    assert_eq!(feed.book("ETH/CHF").err(), Some(Invalid::Disconnected));
}

#[test]
fn update_before_any_snapshot_is_skipped() {
    let xbt = book_frames(&frames(), "XBT/CHF");
    let mut feed = BookFeed::new(1000);
    assert_eq!(feed_all(&mut feed, &xbt[1..2]), [BookOutcome::Skipped]);
    assert_eq!(feed.book("XBT/CHF").err(), Some(Invalid::AwaitingSnapshot));
}
