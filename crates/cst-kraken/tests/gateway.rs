//! The live order gateway against a local server replaying Kraken's documented responses:
//! only approved orders go out, signed, in Kraken's terms; an ambiguous AddOrder is looked up by
//! `cl_ord_id` and never re-sent; refusals become rejections with Kraken's reason; executions
//! come back as fills, each booked once.
#![allow(clippy::unwrap_used)]

mod support;

use cst_core::backtest::bars::parse_ohlcvt;
use cst_core::event::{ClientOrderId, Event, Fill, KillLevel, Liquidity, OrderUpdate, PairId};
use cst_core::instrument::{Instrument, InstrumentSet};
use cst_core::ledger::Position;
use cst_core::num::{Price, Qty};
use cst_core::order::{OrderIntent, OrderKind};
use cst_core::pair::Pair;
use cst_core::risk::{ApprovedOrder, RiskGuard, RiskLimits, RiskView};
use cst_core::trade::Side;
use cst_kraken::gateway::{GatewayConfig, KrakenGateway, cl_ord_id};
use cst_kraken::rest::RestClient;
use cst_kraken::sign::{Credentials, Secret, api_sign};
use rust_decimal::Decimal;
use rust_decimal::dec;
use std::time::Duration;
use support::{Replay, Reply, query_pairs};

const SPEC: &str = "kraken/api-examples/rest-spot-openapi";
// Kraken's documented example private key (signing guide); not a real account.
const DOC_SECRET: &str = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";

/// XBT/USD as Kraken's AssetPairs described it (2021 capture: the 2025 one has no XBTUSD).
fn xbt_usd() -> Instrument {
    let text = cst_testdata::read_text("kraken/ws-v1-capture-2021/KRAKEN.0.txt.gz");
    let line = text.lines().find(|l| l.contains("/0/public/AssetPairs")).unwrap();
    let body = line.split_once(": ").unwrap().1;
    InstrumentSet::from_asset_pairs_json(body).unwrap().get("XBT/USD").unwrap().clone()
}

/// The first real hourly XBT/USD candle of 2023: (close time ns, close).
fn first_candle() -> (i64, Price) {
    let text = cst_testdata::read_text("kraken/ohlcvt/intraday-2023/q1-btc/XBTUSD_60.csv");
    let row = &parse_ohlcvt(&text).0[0];
    ((row.time + 3600) * 1_000_000_000, Price::new(row.close).unwrap())
}

/// An order through a real risk guard that has seen the candle; `halted` escalates the kill
/// switch first, so the guard refuses.
fn through_guard(side: Side, qty: &str, kind: OrderKind, seq: u32, halted: bool) -> Option<ApprovedOrder> {
    let (now_ns, close) = first_candle();
    let mut guard = RiskGuard::new(RiskLimits::default(), 1);
    guard.on_bar(PairId(0), now_ns, close.to_f64());
    if halted {
        guard.escalate(KillLevel::Halt, "operator", "test halt".into(), now_ns);
    }
    let pairs = ["XBT/USD".parse::<Pair>().unwrap()];
    let positions = [Position { qty: dec!(1), ..Position::default() }];
    let marks = [Some(close)];
    let view = RiskView { pairs: &pairs, positions: &positions, marks: &marks, book_mid: None, now_ns };
    let intent = OrderIntent {
        id: ClientOrderId::derive(PairId(0), now_ns, seq),
        pair: PairId(0),
        side,
        qty: Qty::parse(qty).unwrap(),
        kind,
        decision_price: close,
        decided_ns: now_ns,
        reduce_only: false,
    };
    guard.approve(intent, &view).ok()
}

fn approved(side: Side, qty: &str, kind: OrderKind, seq: u32) -> ApprovedOrder {
    through_guard(side, qty, kind, seq, false).expect("the guard approves it")
}

fn gateway(replay: &Replay, key: &str, config: GatewayConfig) -> KrakenGateway {
    let mut rest = replay.config();
    rest.timeout = Duration::from_millis(300);
    let client = RestClient::new(rest, Some(Credentials::new(key, DOC_SECRET).unwrap())).unwrap();
    KrakenGateway::new(client, vec![xbt_usd()], config)
}

fn route_spec(replay: &Replay, endpoint: &str, file: &str) {
    replay.route_file(&format!("/0/private/{endpoint}"), &format!("{SPEC}/{file}"));
}

/// Kraken's documented OpenOrders example with `cl_ord_id` set on its first order, as Kraken
/// lists an order placed with that id.
fn open_orders_listing(cl_ord_id: &str) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&cst_testdata::read_text(&format!("{SPEC}/private_OpenOrders.response.json"))).unwrap();
    v["result"]["open"]["OQCLML-BW3P3-BUCMWZ"]["cl_ord_id"] = cl_ord_id.into();
    v.to_string()
}

fn assert_signed(r: &support::Received, key: &str) {
    assert_eq!((r.method.as_str(), r.headers["api-key"].as_str()), ("POST", key));
    let nonce = query_pairs(&r.body)["nonce"].clone();
    let expected = api_sign(&Secret::from_base64(DOC_SECRET).unwrap(), &r.path, &nonce, &r.body).unwrap();
    assert_eq!(r.headers["api-sign"], expected, "API-Sign of {} verifies with the key's secret", r.path);
}

fn rejection(events: &[Event]) -> String {
    match events {
        [Event::Order(OrderUpdate::Rejected { reason, .. })] => reason.clone(),
        other => panic!("expected one rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn an_approved_limit_order_goes_out_signed_in_kraken_terms_on_the_lot_and_tick_grid() {
    let replay = Replay::start().await;
    route_spec(&replay, "OpenOrders", "private_OpenOrders.response.json");
    route_spec(&replay, "ClosedOrders", "private_ClosedOrders.response.json");
    route_spec(&replay, "AddOrder", "private_AddOrder_2.response.json");
    let mut gw = gateway(&replay, "key-gateway-limit", GatewayConfig::default());
    let (_, close) = first_candle();
    // A sell limit a little above the close, off the 0.1 tick: it must be snapped up, never down.
    let price = Price::new(close.value() + dec!(0.04)).unwrap();
    let order = approved(Side::Sell, "0.123456789", OrderKind::Limit { price, post_only: true, display_qty: None }, 1);
    let id = order.id();
    let mut events = Vec::new();
    gw.place(order, &mut events).await;
    assert!(matches!(events[..], [Event::Order(OrderUpdate::Accepted { id: a, .. })] if a == id), "{events:?}");
    let paths: Vec<String> = replay.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/0/private/OpenOrders", "/0/private/ClosedOrders", "/0/private/AddOrder"]);
    for r in replay.requests() {
        assert_signed(&r, "key-gateway-limit");
        assert_eq!(query_pairs(&r.body)["cl_ord_id"], cl_ord_id(id), "looked up and sent under our id");
    }
    let sent = query_pairs(&replay.requests_to("/0/private/AddOrder")[0].body);
    let expected_price = (close.value() + dec!(0.1)).to_string();
    for (k, v) in [
        ("pair", "XBTUSD"),
        ("type", "sell"),
        ("ordertype", "limit"),
        ("volume", "0.12345678"),
        ("price", expected_price.as_str()),
        ("oflags", "post"),
    ] {
        assert_eq!(sent.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert!(!sent.contains_key("validate") && !sent.contains_key("userref"), "{sent:?}");
    assert_eq!(cl_ord_id(id).len(), 16, "within Kraken's 18-character free-text cl_ord_id");
    assert_eq!(gw.counts().sent, 1);
}

#[tokio::test]
async fn a_market_order_carries_no_price_and_an_order_kraken_already_has_is_adopted_not_resent() {
    let replay = Replay::start().await;
    route_spec(&replay, "ClosedOrders", "private_ClosedOrders.response.json");
    route_spec(&replay, "AddOrder", "private_AddOrder_2.response.json");
    let mut gw = gateway(&replay, "key-gateway-market", GatewayConfig::default());
    let market = approved(Side::Buy, "0.5", OrderKind::Market, 1);
    replay.route_file("/0/private/OpenOrders", &format!("{SPEC}/private_OpenOrders.response.json"));
    let mut events = Vec::new();
    gw.place(market, &mut events).await;
    let sent = query_pairs(&replay.requests_to("/0/private/AddOrder")[0].body);
    assert_eq!((sent["ordertype"].as_str(), sent.get("price")), ("market", None));
    // A restarted process places the same decision again: Kraken lists it, so no AddOrder.
    let again = approved(Side::Buy, "0.04", OrderKind::Market, 2);
    replay.route("/0/private/OpenOrders", vec![Reply::ok(open_orders_listing(&cl_ord_id(again.id())))]);
    let mut fresh = gateway(&replay, "key-gateway-market", GatewayConfig::default());
    let mut events = Vec::new();
    fresh.place(again, &mut events).await;
    assert!(matches!(events[..], [Event::Order(OrderUpdate::Accepted { .. })]), "{events:?}");
    assert_eq!(replay.requests_to("/0/private/AddOrder").len(), 1, "the adopted order was not sent again");
    assert_eq!(fresh.counts().sent, 0);
}

#[tokio::test]
async fn an_add_order_timeout_is_looked_up_by_cl_ord_id_and_never_resent() {
    let replay = Replay::start().await;
    route_spec(&replay, "AddOrder", "private_AddOrder_2.response.json");
    replay.delay("/0/private/AddOrder", Duration::from_millis(1_500));
    route_spec(&replay, "ClosedOrders", "private_ClosedOrders.response.json");
    route_spec(&replay, "QueryOrders", "private_QueryOrders_1.response.json");
    route_spec(&replay, "TradesHistory", "private_TradesHistory.response.json");
    let order = approved(Side::Buy, "0.05", OrderKind::Market, 7);
    let id = order.id();
    let documented = cst_testdata::read_text(&format!("{SPEC}/private_OpenOrders.response.json"));
    // Before sending and right after the timeout Kraken lists nothing with our id; a moment
    // later it lists the order: it was placed although the answer never arrived.
    replay.route(
        "/0/private/OpenOrders",
        vec![Reply::ok(documented.clone()), Reply::ok(documented), Reply::ok(open_orders_listing(&cl_ord_id(id)))],
    );
    let mut gw = gateway(&replay, "key-gateway-timeout", GatewayConfig::default());
    let mut events = Vec::new();
    gw.place(order, &mut events).await;
    assert!(events.is_empty(), "outcome unknown: neither accepted nor rejected yet: {events:?}");
    assert_eq!(gw.counts().unknown, 1);
    let paths: Vec<String> = replay.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/0/private/OpenOrders",
            "/0/private/ClosedOrders",
            "/0/private/AddOrder",
            "/0/private/OpenOrders",
            "/0/private/ClosedOrders"
        ],
        "after the timeout: a lookup by cl_ord_id, no second AddOrder"
    );
    for r in replay.requests() {
        assert_eq!(query_pairs(&r.body)["cl_ord_id"], cl_ord_id(id));
    }
    gw.poll(&mut events).await.unwrap();
    assert_eq!(replay.requests_to("/0/private/AddOrder").len(), 1, "never re-sent");
    let fills: Vec<Fill> = events.iter().filter_map(|e| if let Event::Fill(f) = e { Some(*f) } else { None }).collect();
    assert!(matches!(events[0], Event::Order(OrderUpdate::Accepted { id: a, .. }) if a == id), "{events:?}");
    // TradesHistory's two executions of that order, oldest first, booked exactly as reported.
    let booked: Vec<(Decimal, Decimal, i64, Liquidity)> =
        fills.iter().map(|f| (f.qty.value(), f.price.value(), f.stamp.exchange_ns, f.liquidity)).collect();
    assert_eq!(
        booked,
        [
            (dec!(0.01), dec!(30010.0), 1_688_667_769_639_600_000, Liquidity::Maker),
            (dec!(0.02), dec!(30010.0), 1_688_667_796_880_200_000, Liquidity::Maker),
        ]
    );
    assert!(fills.iter().all(|f| f.id == id && f.side == Side::Buy && f.fee.value().is_zero()));
    let mut again = Vec::new();
    gw.poll(&mut again).await.unwrap();
    assert!(again.is_empty(), "each execution is booked once: {again:?}");
    assert_eq!(
        query_pairs(&replay.requests_to("/0/private/QueryOrders")[0].body)["txid"],
        "OQCLML-BW3P3-BUCMWZ",
        "status is queried by the txid Kraken listed"
    );
}

#[tokio::test]
async fn kraken_refusals_become_rejections_with_kraken_text_and_meaning() {
    let replay = Replay::start().await;
    route_spec(&replay, "OpenOrders", "private_OpenOrders.response.json");
    route_spec(&replay, "ClosedOrders", "private_ClosedOrders.response.json");
    replay.route(
        "/0/private/AddOrder",
        vec![
            Reply::kraken_error("EOrder:Insufficient funds"),
            Reply::kraken_error("EGeneral:Invalid arguments:volume minimum not met"),
            Reply::kraken_error("EAPI:Invalid key"),
            Reply::kraken_error("EGeneral:Permission denied"),
        ],
    );
    let mut gw = gateway(&replay, "key-gateway-errors", GatewayConfig::default());
    let expected = [
        "EOrder:Insufficient funds (not enough balance for the order)",
        "EGeneral:Invalid arguments:volume minimum not met (Kraken refused an order argument)",
        "EAPI:Invalid key (API key or signature refused)",
        "EGeneral:Permission denied (the API key lacks the trading permission)",
    ];
    for (seq, want) in expected.iter().enumerate() {
        let mut events = Vec::new();
        gw.place(approved(Side::Buy, "0.01", OrderKind::Market, seq as u32), &mut events).await;
        assert_eq!(rejection(&events), *want);
    }
    assert_eq!(replay.requests_to("/0/private/AddOrder").len(), 4, "a certain refusal is not retried");
    // Below Kraken's minimum volume (0.0002 XBT in the capture): refused before anything is sent.
    let mut events = Vec::new();
    gw.place(approved(Side::Buy, "0.0001", OrderKind::Market, 9), &mut events).await;
    assert_eq!(rejection(&events), "volume 0.0001 is below Kraken's minimum 0.0002 for XBTUSD");
    assert_eq!(replay.requests_to("/0/private/AddOrder").len(), 4);
    assert_eq!(gw.counts().rejected, 5);
}

#[tokio::test]
async fn validate_only_sends_validate_true_and_places_nothing() {
    let replay = Replay::start().await;
    route_spec(&replay, "AddOrder", "private_AddOrder_2.response.json");
    let config = GatewayConfig { validate_only: true, ..GatewayConfig::default() };
    let mut gw = gateway(&replay, "key-gateway-validate", config);
    let mut events = Vec::new();
    gw.place(approved(Side::Buy, "0.01", OrderKind::Market, 1), &mut events).await;
    assert_eq!(rejection(&events), "validate-only: Kraken validated `buy 1.45 XBTUSD @ limit 27500.0`; not placed");
    let requests = replay.requests();
    assert_eq!(requests.len(), 1, "no lookups: nothing can have been placed");
    assert_eq!(query_pairs(&requests[0].body)["validate"], "true");
    assert_eq!(gw.working(), 0);
}

#[tokio::test]
async fn an_order_the_risk_guard_refuses_cannot_reach_the_gateway() {
    let replay = Replay::start().await;
    let refused = through_guard(Side::Buy, "0.01", OrderKind::Market, 1, true);
    assert!(refused.is_none(), "halted: the guard refuses, so there is no ApprovedOrder to place");
    // `place` takes only an ApprovedOrder (see the compile_fail example in the gateway docs).
    let mut gw = gateway(&replay, "key-gateway-refused", GatewayConfig::default());
    let mut events = Vec::new();
    gw.poll(&mut events).await.unwrap();
    assert!(events.is_empty() && replay.requests().is_empty(), "nothing sent: {:?}", replay.requests());
}

#[tokio::test]
async fn a_second_place_of_a_known_id_replays_its_events_without_sending() {
    let replay = Replay::start().await;
    route_spec(&replay, "OpenOrders", "private_OpenOrders.response.json");
    route_spec(&replay, "ClosedOrders", "private_ClosedOrders.response.json");
    route_spec(&replay, "AddOrder", "private_AddOrder_2.response.json");
    let mut gw = gateway(&replay, "key-gateway-rebuild", GatewayConfig::default());
    let mut first = Vec::new();
    gw.place(approved(Side::Buy, "0.01", OrderKind::Market, 3), &mut first).await;
    let mut rebuilt = Vec::new();
    gw.place(approved(Side::Buy, "0.01", OrderKind::Market, 3), &mut rebuilt).await;
    assert_eq!(first, rebuilt);
    assert_eq!(replay.requests_to("/0/private/AddOrder").len(), 1);
}

#[tokio::test]
async fn an_order_an_earlier_start_sent_is_never_sent_again() {
    let replay = Replay::start().await;
    route_spec(&replay, "OpenOrders", "private_OpenOrders.response.json");
    route_spec(&replay, "ClosedOrders", "private_ClosedOrders.response.json");
    route_spec(&replay, "AddOrder", "private_AddOrder_2.response.json");
    let order = approved(Side::Buy, "0.01", OrderKind::Market, 4);
    let mut gw = gateway(&replay, "key-gateway-restart", GatewayConfig::default());
    gw.remember_sent([order.id()]);
    let mut events = Vec::new();
    gw.place(order, &mut events).await;
    assert!(rejection(&events).starts_with("not sent again: an earlier start sent cl_ord_id"), "{events:?}");
    assert!(replay.requests_to("/0/private/AddOrder").is_empty());
    assert_eq!(replay.requests().len(), 2, "only the lookups by cl_ord_id");
}

#[tokio::test]
async fn an_order_decided_again_during_a_rebuild_is_adopted_or_rejected_but_never_sent() {
    let replay = Replay::start().await;
    route_spec(&replay, "OpenOrders", "private_OpenOrders.response.json");
    route_spec(&replay, "ClosedOrders", "private_ClosedOrders.response.json");
    route_spec(&replay, "AddOrder", "private_AddOrder_2.response.json");
    let mut gw = gateway(&replay, "key-gateway-rebuild-only", GatewayConfig::default());
    let mut events = Vec::new();
    gw.restore(approved(Side::Buy, "0.01", OrderKind::Market, 6), &mut events).await;
    assert_eq!(rejection(&events), "not sent: decided while rebuilding the state of an earlier start");
    let listed = approved(Side::Buy, "0.01", OrderKind::Market, 8);
    replay.route("/0/private/OpenOrders", vec![Reply::ok(open_orders_listing(&cl_ord_id(listed.id())))]);
    let mut events = Vec::new();
    gw.restore(listed, &mut events).await;
    assert!(matches!(events[..], [Event::Order(OrderUpdate::Accepted { .. })]), "adopted: {events:?}");
    assert!(replay.requests_to("/0/private/AddOrder").is_empty());
}

#[tokio::test]
async fn a_cancelled_order_is_done_once_kraken_reports_it_closed() {
    let replay = Replay::start().await;
    route_spec(&replay, "OpenOrders", "private_OpenOrders.response.json");
    route_spec(&replay, "ClosedOrders", "private_ClosedOrders.response.json");
    route_spec(&replay, "AddOrder", "private_AddOrder_2.response.json");
    route_spec(&replay, "CancelOrder", "private_CancelOrder.response.json");
    route_spec(&replay, "TradesHistory", "private_TradesHistory.response.json");
    // Kraken's documented cancelled order (nothing executed), as QueryOrders reports the order
    // AddOrder placed.
    let closed = {
        let v: serde_json::Value =
            serde_json::from_str(&cst_testdata::read_text(&format!("{SPEC}/private_ClosedOrders.response.json")))
                .unwrap();
        let order = v["result"]["closed"]["O37652-RJWRT-IMO74O"].clone();
        serde_json::json!({"error": [], "result": {"OU22CG-KLAF2-FWUDD7": order}}).to_string()
    };
    replay.route("/0/private/QueryOrders", vec![Reply::ok(closed)]);
    let (_, close) = first_candle();
    let order = approved(Side::Buy, "0.01", OrderKind::Limit { price: close, post_only: false, display_qty: None }, 5);
    let id = order.id();
    let mut gw = gateway(&replay, "key-gateway-cancel", GatewayConfig::default());
    let mut events = Vec::new();
    gw.place(order, &mut events).await;
    gw.cancel(id).await;
    assert_eq!(query_pairs(&replay.requests_to("/0/private/CancelOrder")[0].body)["txid"], "OU22CG-KLAF2-FWUDD7");
    let mut events = Vec::new();
    gw.poll(&mut events).await.unwrap();
    assert!(matches!(events[..], [Event::Order(OrderUpdate::Done { id: d, .. })] if d == id), "{events:?}");
    assert_eq!((gw.counts().cancels, gw.counts().done, gw.working()), (1, 1, 0));
    let mut later = Vec::new();
    gw.poll(&mut later).await.unwrap();
    assert!(later.is_empty(), "a finished order is not polled again: {later:?}");
}
