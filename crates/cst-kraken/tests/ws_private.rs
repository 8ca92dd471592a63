//! WebSocket v2 private side against Kraken's documented messages: requests we build equal
//! Kraken's examples, and Kraken's channel messages and responses parse exactly.

mod support;

use cst_core::num::{Price, Qty};
use cst_core::pair::Pair;
use cst_core::trade::Side;
use cst_kraken::rest::account::WsToken;
use cst_kraken::ws_private::*;
use rust_decimal::dec;
use serde_json::Value;
use support::Replay;

const DOCS: &str = "kraken/api-examples/ws-v2-docs";

fn doc(name: &str) -> String {
    cst_testdata::read_text(&format!("{DOCS}/{name}"))
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("json")
}

fn token_of(example: &str) -> WsToken {
    WsToken::new(json(&doc(example))["params"]["token"].as_str().expect("token"), 900)
}

#[test]
fn add_order_request_equals_krakens_example() {
    let token = token_of("add_order_request.json");
    let order = WsOrder {
        pair: "XBT/USD".parse::<Pair>().expect("pair"),
        side: Side::Buy,
        qty: Qty::parse("1.2").expect("qty"),
        limit_price: Some(Price::parse("26500.4").expect("price")),
        cl_ord_id: None,
        order_userref: Some(100_054),
        post_only: false,
        reduce_only: false,
        time_in_force: None,
        expire_time: None,
        validate: false,
    };
    let built = add_order_request(123_456_789, &token, &order).expect("request");
    assert_eq!(json(&built), json(&doc("add_order_request.json")));
    assert!(built.contains("\"limit_price\":26500.4"), "exact decimal digits on the wire: {built}");
}

#[test]
fn add_order_request_carries_post_only_reduce_only_and_gtd() {
    let token = WsToken::new("t", 900);
    let order = WsOrder {
        pair: "ETH/USD".parse::<Pair>().expect("pair"),
        side: Side::Sell,
        qty: Qty::parse("0.00010000").expect("qty"),
        limit_price: Some(Price::parse("3012.35").expect("price")),
        cl_ord_id: Some("6d1b345e-2821-40e2-ad83-4ecb18a06876".into()),
        order_userref: None,
        post_only: true,
        reduce_only: true,
        time_in_force: Some(WsTimeInForce::Gtd),
        expire_time: Some("2023-09-26T13:10:00Z".into()),
        validate: true,
    };
    let v = json(&add_order_request(7, &token, &order).expect("request"));
    let p = &v["params"];
    assert_eq!(
        (p["symbol"].as_str(), p["side"].as_str(), p["order_type"].as_str()),
        (Some("ETH/USD"), Some("sell"), Some("limit"))
    );
    assert_eq!(
        (p["post_only"].as_bool(), p["reduce_only"].as_bool(), p["validate"].as_bool()),
        (Some(true), Some(true), Some(true))
    );
    assert_eq!((p["time_in_force"].as_str(), p["expire_time"].as_str()), (Some("gtd"), Some("2023-09-26T13:10:00Z")));
    assert_eq!(p["order_qty"].to_string(), "0.0001");
    let no_expiry = WsOrder { expire_time: None, ..order };
    assert!(add_order_request(8, &token, &no_expiry).is_err(), "GTD without expiry is refused");
}

#[test]
fn cancel_requests_equal_krakens_examples() {
    let token = token_of("cancel_order_request.json");
    let built =
        cancel_order_request(123_456_789, &token, &["OM5CRX-N2HAL-GFGWE9", "OLUMT4-UTEGU-ZYM7E9"]).expect("request");
    assert_eq!(json(&built), json(&doc("cancel_order_request.json")));
    let token = token_of("cancel_all_request.json");
    assert_eq!(
        json(&cancel_all_request(1_234_567_890, &token).expect("request")),
        json(&doc("cancel_all_request.json"))
    );
    let dms = json(&cancel_all_orders_after_request(5, &token, 60).expect("request"));
    assert_eq!(
        (dms["method"].as_str(), dms["params"]["timeout"].as_u64()),
        (Some("cancel_all_orders_after"), Some(60))
    );
}

#[test]
fn subscription_requests_equal_krakens_examples() {
    let token = token_of("executions_subscribe_request.json");
    for (channel, subscribe, file) in [
        (PrivateChannel::Executions, true, "executions_subscribe_request.json"),
        (PrivateChannel::Executions, false, "executions_unsubscribe_request.json"),
        (PrivateChannel::Balances, true, "balances_subscribe_request.json"),
        (PrivateChannel::Balances, false, "balances_unsubscribe_request.json"),
    ] {
        assert_eq!(
            json(&subscription_request(channel, &token, subscribe).expect("request")),
            json(&doc(file)),
            "{file}"
        );
    }
}

#[test]
fn executions_update_parses_exactly() {
    let PrivateMessage::Executions(m) = parse_private(&doc("executions_update_pending_new.json")).expect("parse")
    else {
        panic!("not executions");
    };
    assert_eq!((m.kind.as_str(), m.sequence), ("update", Some(8)));
    let e = &m.data[0];
    assert_eq!((e.order_id.as_str(), e.exec_type.as_str()), ("OK4GJX-KSTLS-7DZZO5", "pending_new"));
    assert_eq!((e.order_qty, e.limit_price, e.cum_cost), (Some(dec!(0.005)), Some(dec!(26500.0)), Some(dec!(0.0))));
    assert_eq!((e.side.as_deref(), e.order_userref), (Some("sell"), Some(3)));
}

#[test]
fn balances_snapshot_and_update_parse_exactly() {
    let PrivateMessage::Balances(snap) = parse_private(&doc("balances_snapshot.json")).expect("parse") else {
        panic!("not balances");
    };
    assert_eq!(snap.kind, "snapshot");
    let usd = snap.data.iter().find(|b| b.asset == "USD").expect("USD");
    assert_eq!(usd.balance, dec!(80595.4943));
    let matic = snap.data.iter().find(|b| b.asset == "MATIC").expect("MATIC");
    let wallets = matic.wallets.as_ref().expect("wallets");
    assert_eq!(wallets.iter().map(|w| w.balance).sum::<rust_decimal::Decimal>(), matic.balance);
    let PrivateMessage::Balances(upd) = parse_private(&doc("balances_update_deposit.json")).expect("parse") else {
        panic!("not balances");
    };
    let d = &upd.data[0];
    assert_eq!((d.ledger_type.as_deref(), d.amount, d.balance), (Some("deposit"), Some(dec!(0.01)), dec!(0.02)));
}

#[test]
fn method_responses_and_acks_parse() {
    let PrivateMessage::Response(r) = parse_private(&doc("cancel_all_response.json")).expect("parse") else {
        panic!("not a response");
    };
    assert!(r.success);
    assert_eq!((r.req_id, r.cancelled_count()), (Some(1_234_567_890), Some(1)));
    let PrivateMessage::Response(ack) = parse_private(&doc("executions_subscribe_ack.json")).expect("parse") else {
        panic!("not a response");
    };
    assert_eq!(ack.result.as_ref().and_then(|r| r["maxratecount"].as_u64()), Some(125));
    assert_eq!(parse_private(&doc("heartbeat.json")).expect("parse"), PrivateMessage::Heartbeat);
}

#[test]
fn malformed_frames_are_rejected_with_their_text() {
    let err = parse_private(r#"{"channel":"executions","type":"update","data":[{"order_id":1}]}"#).expect_err("bad");
    assert!(err.to_string().contains("executions"), "{err}");
    assert!(parse_private("not json").is_err());
    assert!(parse_private(r#"{"foo":1}"#).is_err());
}

#[test]
fn token_lease_expires_with_a_margin() {
    let lease = TokenLease { token: WsToken::new("x", 900), obtained_secs: 1_000 };
    assert!(lease.is_fresh(1_800, 60));
    assert!(!lease.is_fresh(1_850, 60));
}

#[test]
fn balances_snapshot_then_update_is_in_sequence_and_a_jump_is_a_gap() {
    let seq = |file: &str| match parse_private(&doc(file)).expect("parse") {
        PrivateMessage::Balances(m) => m.sequence.expect("sequence"),
        PrivateMessage::Executions(m) => m.sequence.expect("sequence"),
        other => panic!("{other:?}"),
    };
    let mut balances = SequenceTracker::default();
    assert_eq!(balances.observe(seq("balances_snapshot.json")), Ok(()));
    assert_eq!(balances.observe(seq("balances_update_deposit.json")), Ok(()));
    assert_eq!(balances.observe(seq("balances_update_deposit.json")), Err(SequenceGap { expected: 3, received: 2 }));
    let mut executions = SequenceTracker::default();
    executions.observe(1).expect("first");
    assert_eq!(
        executions.observe(seq("executions_update_pending_new.json")),
        Err(SequenceGap { expected: 2, received: 8 })
    );
    executions.reset();
    assert_eq!(executions.observe(8), Ok(()));
}

#[tokio::test]
async fn token_lease_is_obtained_through_rest() {
    let replay = Replay::start().await;
    replay.route_file(
        "/0/private/GetWebSocketsToken",
        "kraken/api-examples/rest-spot-openapi/private_GetWebSocketsToken.response.json",
    );
    let creds = cst_kraken::sign::Credentials::new("key-ws-token", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=")
        .expect("creds");
    let client = cst_kraken::rest::RestClient::new(replay.config(), Some(creds)).expect("client");
    let lease = TokenLease::obtain(&client, 1_000).await.expect("lease");
    assert!(lease.is_fresh(1_800, 60));
    assert_eq!(lease.token.expose(), "1Dwc4lzSwNWOAwkMdqhssNNFhs1ed606d1WcF3XfEMw");
}
