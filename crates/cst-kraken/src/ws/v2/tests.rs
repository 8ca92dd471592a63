//! v2 messages from Kraken's documentation and the live depth-25 snapshot.
#![allow(clippy::unwrap_used)]

use super::*;

fn docs(name: &str) -> String {
    cst_testdata::read_text(&format!("kraken/api-examples/ws-v2-docs/{name}"))
}

#[test]
fn parses_heartbeat_status_and_pong() {
    let (hb, status, pong) = (docs("heartbeat.json"), docs("status_update.json"), docs("pong_response.json"));
    assert_eq!(parse(&hb), Ok(Frame::Heartbeat));
    assert_eq!(parse(&status), Ok(Frame::Status { system: "online" }));
    assert_eq!(parse(&pong), Ok(Frame::Pong { req_id: Some(101) }));
}

#[test]
fn parses_subscribe_acks() {
    let (algo, instrument) = (docs("book_subscribe_ack_ALGO.json"), docs("instrument_subscribe_ack.json"));
    let Ok(Frame::Ack(a)) = parse(&algo) else { panic!("ack") };
    assert_eq!((a.method, a.channel, a.symbol, a.success), ("subscribe", Some("book"), Some("ALGO/USD"), true));
    let Ok(Frame::Ack(a)) = parse(&instrument) else { panic!("ack") };
    assert_eq!(a.req_id, Some(79));
}

#[test]
fn parses_a_subscribe_error_reply() {
    // Shape documented for a failed request: success false with an error string.
    let f = r#"{"error":"Currency pair not supported","method":"subscribe","req_id":3,"success":false,"symbol":"XYZ/USD","time_in":"2023-10-06T17:35:55.219022Z","time_out":"2023-10-06T17:35:55.219067Z"}"#;
    let Ok(Frame::Ack(a)) = parse(f) else { panic!("ack") };
    assert!(!a.success);
    assert_eq!(a.error, Some("Currency pair not supported"));
}

#[test]
fn parses_ticker_ohlc_and_instrument_keeping_number_text() {
    let (ticker, ohlc, instrument) =
        (docs("ticker_snapshot.json"), docs("ohlc_snapshot.json"), docs("instrument_snapshot_PARTIAL.json"));
    let Ok(Frame::Ticker(t)) = parse(&ticker) else { panic!("ticker") };
    assert_eq!((t[0].bid, t[0].ask_qty), ("0.10025", "1361.44813783"));
    let Ok(Frame::Ohlc(rows)) = parse(&ohlc) else { panic!("ohlc") };
    assert_eq!((rows.len(), rows[1].high.as_str(), rows[1].trades), (2, "0.0988", 13));
    let Ok(Frame::Instrument(i)) = parse(&instrument) else { panic!("instrument") };
    let btc = &i.pairs[0];
    assert_eq!((btc.symbol, btc.price_precision, btc.qty_precision), ("BTC/USD", 1, 8));
    assert_eq!(btc.qty_increment.as_str(), "1e-08");
}

#[test]
fn parses_the_live_depth_25_snapshot() {
    let text = cst_testdata::read_text("kraken/ws-v2-book/kraken_v2_book_snapshot_BTCUSDT_depth25.json");
    let Ok(Frame::Book(m)) = parse(&text) else { panic!("book") };
    assert_eq!((m.symbol, m.bids.len(), m.asks.len(), m.checksum), ("BTC/USDT", 25, 25, Some(4_162_058_887)));
    assert_eq!(m.bids[0], LevelText { price: "105906.7", qty: "0.09440620" });
}

#[test]
fn book_numbers_sent_as_json_numbers_keep_their_text() {
    let text = cst_testdata::read_text("kraken/ws-v2-book/kraken_docs_v2_book_snapshot_BTCUSD_2023-10-06.json");
    let Ok(Frame::Book(m)) = parse(&text) else { panic!("book") };
    assert_eq!(m.bids[0], LevelText { price: "105944.20", qty: "0.136" });
    assert_eq!(m.exchange_time, Some("2023-10-06T17:35:55.440295Z"));
}

#[test]
fn subscribe_request_has_the_documented_shape_plus_depth_and_req_id() {
    let docs_req: serde_json::Value = serde_json::from_str(&docs("book_subscribe_request.json")).unwrap();
    let symbols = ["ALGO/USD".to_string(), "MATIC/USD".to_string()];
    let ours: serde_json::Value = serde_json::from_str(&subscribe_request("book", &symbols, Some(25), 42)).unwrap();
    assert_eq!(ours["method"], docs_req["method"]);
    assert_eq!(ours["params"]["channel"], docs_req["params"]["channel"]);
    assert_eq!(ours["params"]["symbol"], docs_req["params"]["symbol"]);
    assert_eq!((ours["params"]["depth"].as_u64(), ours["req_id"].as_u64()), (Some(25), Some(42)));
    let ping: serde_json::Value = serde_json::from_str(&ping_request(101)).unwrap();
    assert_eq!(ping, serde_json::from_str::<serde_json::Value>(&docs("ping_request.json")).unwrap());
}

#[test]
fn malformed_or_unknown_messages_are_errors() {
    assert!(matches!(parse("{"), Err(FrameError::Malformed(_))));
    assert!(matches!(parse(r#"{"channel":"book","type":"update"}"#), Err(FrameError::Malformed(_))));
    assert!(matches!(
        parse(
            r#"{"channel":"book","type":"update","data":[{"symbol":"X","bids":[{"price":"abc","qty":1}],"asks":[],"checksum":1}]}"#
        ),
        Err(FrameError::Malformed(_))
    ));
    assert!(matches!(parse(r#"{"channel":"level3","type":"update","data":[]}"#), Err(FrameError::Unknown(_))));
}

#[test]
fn ohlc_subscribe_request_carries_the_interval_like_the_docs() {
    let docs_req: serde_json::Value = serde_json::from_str(&docs("ohlc_subscribe_request.json")).unwrap();
    let symbols = ["ALGO/USD".to_string(), "MATIC/USD".to_string()];
    let ours: serde_json::Value = serde_json::from_str(&ohlc_subscribe_request(&symbols, 5, 1)).unwrap();
    assert_eq!(ours["params"]["interval"], docs_req["params"]["interval"]);
    assert_eq!(ours["params"]["symbol"], docs_req["params"]["symbol"]);
}

#[test]
fn instrument_precision_becomes_the_book_scale() {
    let text = docs("instrument_snapshot_PARTIAL.json");
    let Ok(Frame::Instrument(i)) = parse(&text) else { panic!("instrument") };
    assert_eq!(book_scale(&i.pairs[0]), cst_core::book::BookScale::new(1, 8).ok());
}
