//! `cst book verify` on the real 2021 Kraken capture, run as the real binary.
#![allow(clippy::unwrap_used)]

use std::process::Command;

fn cst() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cst"))
}

#[test]
fn verifies_every_checksum_of_the_2021_capture_for_all_pairs() {
    let file = cst_testdata::path("kraken/ws-v1-capture-2021/KRAKEN.ws.50.0.txt.gz");
    let out = cst().args(["book", "verify"]).arg(&file).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for pair in ["ADA/XBT", "ETH/CHF", "KSM/XBT", "OMG/USD", "WAVES/EUR", "XBT/CHF", "XMR/USD"] {
        let row = stdout.lines().find(|l| l.starts_with(pair)).unwrap_or_else(|| panic!("{pair} missing:\n{stdout}"));
        let cols: Vec<&str> = row.split_whitespace().collect();
        // pair snapshots updates levels matched mismatched refused skipped
        assert_eq!(cols[2], cols[4], "{pair}: every update's checksum matched");
        assert_eq!(&cols[5..], ["0", "0", "0"], "{pair}");
    }
    assert!(stdout.contains("OK: every book checksum matched"));
}

#[test]
fn exits_non_zero_when_one_checksum_is_altered() {
    let text = cst_testdata::read_text("kraken/ws-v1-capture-2021/KRAKEN.ws.50.0.txt.gz");
    let altered = text.replacen("\"c\":\"176333288\"", "\"c\":\"176333289\"", 1);
    assert_ne!(altered, text);
    let path = std::env::temp_dir().join(format!("cst-book-verify-{}.txt", std::process::id()));
    std::fs::write(&path, altered).unwrap();
    let out = cst().args(["book", "verify"]).arg(&path).output().unwrap();
    std::fs::remove_file(&path).ok();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    let row = stdout.lines().find(|l| l.starts_with("WAVES/EUR")).unwrap();
    assert_eq!(row.split_whitespace().nth(5), Some("1"), "{row}");
}
