//! Private endpoints: signed requests checked by the replay server, Kraken's published
//! response examples parsed.

mod support;

use cst_core::num::{Price, Qty};
use cst_core::pair::Pair;
use cst_core::trade::Side;
use cst_kraken::rest::RestClient;
use cst_kraken::rest::account::OrderQuery;
use cst_kraken::rest::orders::{OrderRef, OrderRequest, OrderType, TimeInForce};
use cst_kraken::sign::{Credentials, Secret, api_sign};
use rust_decimal::dec;
use support::{Replay, query_pairs};

const SPEC: &str = "kraken/api-examples/rest-spot-openapi";
// Kraken's documented example private key (signing guide); not a real account.
const DOC_SECRET: &str = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";

fn private_client(replay: &Replay, key: &str) -> RestClient {
    RestClient::new(replay.config(), Some(Credentials::new(key, DOC_SECRET).expect("creds"))).expect("client")
}

fn route_spec(replay: &Replay, endpoint: &str, file: &str) {
    replay.route_file(&format!("/0/private/{endpoint}"), &format!("{SPEC}/{file}"));
}

fn assert_signed(r: &support::Received, key: &str) -> u64 {
    assert_eq!(r.method, "POST");
    assert_eq!(r.headers["api-key"], key);
    let nonce = query_pairs(&r.body)["nonce"].clone();
    assert!(r.body.starts_with(&format!("nonce={nonce}")));
    let expected = api_sign(&Secret::from_base64(DOC_SECRET).expect("secret"), &r.path, &nonce, &r.body).expect("sign");
    assert_eq!(r.headers["api-sign"], expected, "signature of {}", r.path);
    nonce.parse().expect("numeric nonce")
}

#[tokio::test]
async fn every_private_request_is_signed_with_a_strictly_increasing_nonce() {
    let replay = Replay::start().await;
    route_spec(&replay, "Balance", "private_Balance.response.json");
    route_spec(&replay, "TradeBalance", "private_TradeBalance.response.json");
    route_spec(&replay, "GetWebSocketsToken", "private_GetWebSocketsToken.response.json");
    let client = private_client(&replay, "key-signed-test");
    let balance = client.balance().await.expect("balance");
    assert_eq!(balance["XXBT"], dec!(1011.1908877900));
    assert_eq!(balance["ETH2.S"], dec!(198.3970800000));
    let tb = client.trade_balance(Some("ZUSD")).await.expect("trade balance");
    assert_eq!((tb.equivalent_balance, tb.unrealized_pnl), (Some(dec!(1101.3425)), Some(dec!(-10.0232))));
    let token = client.websockets_token().await.expect("token");
    assert_eq!((token.expose(), token.expires), ("1Dwc4lzSwNWOAwkMdqhssNNFhs1ed606d1WcF3XfEMw", 900));
    assert!(!format!("{token:?}").contains("1Dwc4"), "the token never prints");
    let nonces: Vec<u64> = replay.requests().iter().map(|r| assert_signed(r, "key-signed-test")).collect();
    assert!(nonces.windows(2).all(|w| w[0] < w[1]), "{nonces:?}");
    assert!(replay.requests_to("/0/private/TradeBalance")[0].body.ends_with("&asset=ZUSD"));
}

#[tokio::test]
async fn order_queries_parse_the_spec_examples_with_exact_times() {
    let replay = Replay::start().await;
    route_spec(&replay, "OpenOrders", "private_OpenOrders.response.json");
    route_spec(&replay, "ClosedOrders", "private_ClosedOrders.response.json");
    route_spec(&replay, "QueryOrders", "private_QueryOrders_1.response.json");
    route_spec(&replay, "TradesHistory", "private_TradesHistory.response.json");
    let client = private_client(&replay, "key-orders-test");
    let query = OrderQuery {
        trades: true,
        cl_ord_id: Some("9cc788d8-9c00-4b25-94d3-26d93603948d".into()),
        ..OrderQuery::default()
    };
    let open = client.open_orders(&query).await.expect("open orders");
    let o = &open.open["OQCLML-BW3P3-BUCMWZ"];
    assert!(o.is_live());
    assert_eq!((o.vol, o.vol_exec, o.descr.price), (dec!(1.25000000), dec!(0.37500000), dec!(30010.0)));
    assert_eq!(o.opentm.as_nanos(), 1_688_666_559_897_400_000);
    assert_eq!(o.trades.as_deref(), Some(&["TCCCTY-WE2O6-P3NB37".to_string()][..]));
    let q = query_pairs(&replay.requests_to("/0/private/OpenOrders")[0].body);
    assert_eq!((q["trades"].as_str(), q["cl_ord_id"].as_str()), ("true", "9cc788d8-9c00-4b25-94d3-26d93603948d"));
    let closed = client.closed_orders(&OrderQuery::default()).await.expect("closed");
    let c = &closed.closed["O37652-RJWRT-IMO74O"];
    assert_eq!((c.status.as_str(), c.reason.as_deref()), ("canceled", Some("User requested")));
    assert_eq!(c.closetm.map(|t| t.as_nanos()), Some(1_688_148_610_048_200_000));
    assert_eq!(c.starttm, None, "Kraken's 0 means not set");
    let queried = client.query_orders(&["OBCMZD-JIEE7-77TH3F", "OMMDB2-FSB6Z-7W3HPO"], false).await.expect("query");
    assert_eq!(queried["OMMDB2-FSB6Z-7W3HPO"].price, dec!(30000.0));
    assert_eq!(
        query_pairs(&replay.requests_to("/0/private/QueryOrders")[0].body)["txid"],
        "OBCMZD-JIEE7-77TH3F,OMMDB2-FSB6Z-7W3HPO"
    );
    let history = client.trades_history(Some(1_688_000_000), None).await.expect("history");
    let t = &history.trades["THVRQM-33VKH-UCI7BS"];
    assert_eq!(
        (t.price, t.vol, t.trade_id, t.maker),
        (dec!(30010.00000), dec!(0.02000000), Some(40_274_859), Some(true))
    );
    assert_eq!(t.time.as_nanos(), 1_688_667_796_880_200_000);
    for r in replay.requests() {
        assert_signed(&r, "key-orders-test");
    }
}

#[tokio::test]
async fn add_order_sends_validate_cl_ord_id_post_only_reduce_only_and_time_in_force() {
    let replay = Replay::start().await;
    route_spec(&replay, "AddOrder", "private_AddOrder_2.response.json");
    let client = private_client(&replay, "key-add-test");
    let order = OrderRequest {
        pair: "XBT/USD".parse::<Pair>().expect("pair"),
        side: Side::Buy,
        order_type: OrderType::Limit,
        qty: Qty::parse("1.25").expect("qty"),
        price: Some(Price::parse("27500").expect("price")),
        cl_ord_id: Some("6d1b345e-2821-40e2-ad83-4ecb18a06876".into()),
        post_only: true,
        reduce_only: true,
        time_in_force: TimeInForce::Gtd { expire_secs: 1_700_000_000 },
        validate: true,
    };
    let result = client.add_order(&order).await.expect("add");
    assert_eq!(result.txid, vec!["OU22CG-KLAF2-FWUDD7".to_string()]);
    assert_eq!(result.descr.order, "buy 1.45 XBTUSD @ limit 27500.0");
    let sent = &replay.requests_to("/0/private/AddOrder")[0];
    assert_signed(sent, "key-add-test");
    let q = query_pairs(&sent.body);
    for (k, v) in [
        ("ordertype", "limit"),
        ("type", "buy"),
        ("volume", "1.25"),
        ("pair", "XBTUSD"),
        ("price", "27500"),
        ("cl_ord_id", "6d1b345e-2821-40e2-ad83-4ecb18a06876"),
        ("oflags", "post"),
        ("reduce_only", "true"),
        ("timeinforce", "GTD"),
        ("expiretm", "1700000000"),
        ("validate", "true"),
    ] {
        assert_eq!(q.get(k).map(String::as_str), Some(v), "{k}");
    }
}

#[test]
fn rejects_orders_that_kraken_would_refuse_before_sending() {
    let base = OrderRequest {
        pair: "XBT/USD".parse::<Pair>().expect("pair"),
        side: Side::Sell,
        order_type: OrderType::Limit,
        qty: Qty::parse("0.5").expect("qty"),
        price: None,
        cl_ord_id: None,
        post_only: false,
        reduce_only: false,
        time_in_force: TimeInForce::Gtc,
        validate: false,
    };
    assert!(base.params().is_err(), "limit without price");
    let market_post = OrderRequest { order_type: OrderType::Market, post_only: true, ..base.clone() };
    assert!(market_post.params().is_err(), "post-only market");
    let ioc = OrderRequest { order_type: OrderType::Market, time_in_force: TimeInForce::Ioc, ..base };
    let p = ioc.params().expect("valid");
    assert!(p.contains(&("timeinforce", "IOC".to_string())));
    assert!(!p.iter().any(|(k, _)| *k == "price"));
}

#[tokio::test]
async fn cancels_and_the_dead_man_switch_parse_the_spec_examples() {
    let replay = Replay::start().await;
    route_spec(&replay, "CancelOrder", "private_CancelOrder.response.json");
    route_spec(&replay, "CancelAllOrdersAfter", "private_CancelAllOrdersAfter_1.response.json");
    replay.route("/0/private/CancelAll", vec![support::Reply::ok(r#"{"error":[],"result":{"count":4}}"#)]);
    let client = private_client(&replay, "key-cancel-test");
    let pair: Pair = "XBT/USD".parse().expect("pair");
    let c =
        client.cancel_order(&pair, &OrderRef::Txid("OHYO67-6LP66-HMQ437".into()), Some(400.0)).await.expect("cancel");
    assert_eq!(c.count, 1);
    assert_eq!(query_pairs(&replay.requests_to("/0/private/CancelOrder")[0].body)["txid"], "OHYO67-6LP66-HMQ437");
    let dms = client.cancel_all_orders_after(60).await.expect("dead man switch");
    assert_eq!(
        (dms.current_time.as_str(), dms.trigger_time.as_str()),
        ("2023-03-24T17:41:56Z", "2023-03-24T17:42:56Z")
    );
    assert_eq!(query_pairs(&replay.requests_to("/0/private/CancelAllOrdersAfter")[0].body)["timeout"], "60");
    assert_eq!(client.cancel_all().await.expect("cancel all").count, 4);
    let snapshot = client.limiter().snapshot();
    assert_eq!(snapshot.engine_levels.len(), 1, "the cancel was counted on the pair's engine counter");
    assert!(
        snapshot.rest_level >= 1.9,
        "CancelAllOrdersAfter and CancelAll count on the REST counter, CancelOrder not"
    );
}

#[tokio::test]
async fn private_call_without_credentials_fails_without_sending() {
    let replay = Replay::start().await;
    let client = RestClient::new(replay.config(), None).expect("client");
    assert!(client.balance().await.is_err());
    assert!(replay.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callers_on_two_clients_of_one_key_reach_kraken_in_nonce_order() {
    let replay = Replay::start().await;
    route_spec(&replay, "Balance", "private_Balance.response.json");
    route_spec(&replay, "OpenOrders", "private_OpenOrders.response.json");
    let a = std::sync::Arc::new(private_client(&replay, "key-shared-by-two-clients"));
    let b = std::sync::Arc::new(private_client(&replay, "key-shared-by-two-clients"));
    assert!(std::sync::Arc::ptr_eq(a.limiter(), b.limiter()), "Kraken counts per key: one counter for both clients");
    let mut tasks = Vec::new();
    for i in 0..20 {
        let c = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            if i % 3 == 0 {
                c.open_orders(&OrderQuery::default()).await.map(|_| ())
            } else {
                c.balance().await.map(|_| ())
            }
        }));
    }
    for t in tasks {
        t.await.expect("task").expect("call");
    }
    let arrived: Vec<u64> = replay.requests().iter().map(|r| assert_signed(r, "key-shared-by-two-clients")).collect();
    assert_eq!(arrived.len(), 20);
    assert!(arrived.windows(2).all(|w| w[0] < w[1]), "arrival order is nonce order: {arrived:?}");
}
