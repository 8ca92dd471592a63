//! Retries, backoff, circuit breakers and AddOrder safety against a local server that answers
//! with Kraken's real error strings.

mod support;

use cst_core::num::{Price, Qty};
use cst_core::pair::Pair;
use cst_core::trade::Side;
use cst_kraken::error::{KrakenError, RestError};
use cst_kraken::ratelimit::CounterLimit;
use cst_kraken::rest::orders::{OrderRequest, OrderType, TimeInForce};
use cst_kraken::rest::{EndpointGroup, RestClient, RestConfig};
use cst_kraken::sign::Credentials;
use std::sync::Arc;
use std::time::Duration;
use support::{Replay, Reply, query_pairs};

const SPEC: &str = "kraken/api-examples/rest-spot-openapi";
const DOC_SECRET: &str = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";
const CL_ORD_ID: &str = "6d1b345e-2821-40e2-ad83-4ecb18a06876";

fn client_with(config: RestConfig, key: &str) -> RestClient {
    RestClient::new(config, Some(Credentials::new(key, DOC_SECRET).expect("creds"))).expect("client")
}

fn spec(file: &str) -> String {
    cst_testdata::read_text(&format!("{SPEC}/{file}"))
}

fn limit_buy(cl_ord_id: Option<&str>) -> OrderRequest {
    OrderRequest {
        pair: "XBT/USD".parse::<Pair>().expect("pair"),
        side: Side::Buy,
        order_type: OrderType::Limit,
        qty: Qty::parse("1.25").expect("qty"),
        price: Some(Price::parse("30010.0").expect("price")),
        cl_ord_id: cl_ord_id.map(str::to_string),
        post_only: false,
        reduce_only: false,
        time_in_force: TimeInForce::Gtc,
        validate: false,
    }
}

fn gaps(replay: &Replay, path: &str) -> Vec<Duration> {
    let times: Vec<_> = replay.requests_to(path).iter().map(|r| r.at).collect();
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

#[tokio::test]
async fn rate_limit_exceeded_backs_off_then_succeeds() {
    let replay = Replay::start().await;
    let mut replies = vec![Reply::kraken_error("EAPI:Rate limit exceeded"); 2];
    replies.push(Reply::ok(spec("private_Balance.response.json")));
    replay.route("/0/private/Balance", replies);
    let mut config = replay.config();
    config.limits.rest = CounterLimit { max: 20.0, decay_per_sec: 20.0 };
    let client = client_with(config, "key-backoff-test");
    let balance = client.balance().await.expect("third attempt succeeds");
    assert!(balance.contains_key("ZUSD"));
    assert_eq!(replay.requests_to("/0/private/Balance").len(), 3);
    let g = gaps(&replay, "/0/private/Balance");
    // Equal jitter: retry n waits at least base·2^n / 2 (40 ms base), and the saturated
    // counter needs 1/20 s to make room.
    assert!(g[0] >= Duration::from_millis(50), "{g:?}");
    assert!(g[1] >= Duration::from_millis(50), "{g:?}");
    assert_eq!(client.limiter().snapshot().rate_limit_errors, 2);
    let nonces: Vec<u64> =
        replay.requests().iter().map(|r| query_pairs(&r.body)["nonce"].parse().expect("nonce")).collect();
    assert!(nonces.windows(2).all(|w| w[0] < w[1]), "every retry signs a fresh nonce");
}

#[tokio::test]
async fn a_persistent_rate_limit_from_many_callers_is_paced_not_a_storm() {
    let replay = Replay::start().await;
    replay.route("/0/private/Balance", vec![Reply::kraken_error("EAPI:Rate limit exceeded")]);
    let mut config = replay.config();
    config.limits.rest = CounterLimit { max: 5.0, decay_per_sec: 20.0 };
    let client = Arc::new(client_with(config, "key-storm-test"));
    let callers: Vec<_> = (0..10)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.balance().await })
        })
        .collect();
    for c in callers {
        let err = c.await.expect("task").expect_err("always rate limited");
        assert!(err.is_rate_limit(), "{err}");
    }
    let requests = replay.requests_to("/0/private/Balance");
    assert_eq!(requests.len(), 40, "10 callers × 4 attempts, then they give up");
    // Kraken's counter (max 5, −20/s) never overflows: in any window of length T at most
    // 5 + 20·T requests arrive (three extra allowed for scheduling skew on a loaded machine), and the
    // saturation after each error spreads the 40 requests over at least (40 − 5) / 20 s.
    let mut times: Vec<_> = requests.iter().map(|r| r.at).collect();
    times.sort();
    for i in 0..times.len() {
        for j in i..times.len() {
            let window = (times[j] - times[i]).as_secs_f64();
            let allowed = 5.0 + 20.0 * window + 3.0;
            assert!((j - i + 1) as f64 <= allowed, "{} requests in {window:.3}s", j - i + 1);
        }
    }
    assert!(times[39] - times[0] >= Duration::from_millis(1_650), "spread over {:?}", times[39] - times[0]);
}

#[tokio::test]
async fn invalid_nonce_is_retried_with_a_larger_nonce() {
    let replay = Replay::start().await;
    replay.route(
        "/0/private/Balance",
        vec![Reply::kraken_error("EAPI:Invalid nonce"), Reply::ok(spec("private_Balance.response.json"))],
    );
    let client = client_with(replay.config(), "key-nonce-test");
    client.balance().await.expect("second attempt");
    let n: Vec<u64> = replay.requests().iter().map(|r| query_pairs(&r.body)["nonce"].parse().expect("n")).collect();
    assert_eq!(n.len(), 2);
    assert!(n[1] > n[0]);
}

#[tokio::test]
async fn add_order_without_cl_ord_id_is_never_resent_after_an_ambiguous_failure() {
    let replay = Replay::start().await;
    replay.route("/0/private/AddOrder", vec![Reply::kraken_error("EService:Unavailable")]);
    let client = client_with(replay.config(), "key-add-ambiguous");
    let err = client.add_order(&limit_buy(None)).await.expect_err("unknown outcome");
    assert!(matches!(err, RestError::OrderOutcomeUnknown { cl_ord_id: None, .. }), "{err}");
    assert_eq!(replay.requests_to("/0/private/AddOrder").len(), 1, "sent exactly once");
    assert!(replay.requests_to("/0/private/OpenOrders").is_empty());
}

#[tokio::test]
async fn add_order_with_cl_ord_id_finds_the_placed_order_instead_of_resending() {
    let replay = Replay::start().await;
    replay.route("/0/private/AddOrder", vec![Reply::kraken_error("EService:Unavailable")]);
    // Kraken's OpenOrders example, with the cl_ord_id our order carried attached to its first order.
    let open = spec("private_OpenOrders.response.json").replacen(
        "\"refid\": \"None\",",
        &format!("\"refid\": \"None\", \"cl_ord_id\": \"{CL_ORD_ID}\","),
        1,
    );
    replay.route("/0/private/OpenOrders", vec![Reply::ok(open)]);
    let client = client_with(replay.config(), "key-add-found");
    let placed = client.add_order(&limit_buy(Some(CL_ORD_ID))).await.expect("found by cl_ord_id");
    assert_eq!(placed.txid, vec!["OQCLML-BW3P3-BUCMWZ".to_string()]);
    assert_eq!(replay.requests_to("/0/private/AddOrder").len(), 1, "not re-sent");
    let lookup = &replay.requests_to("/0/private/OpenOrders")[0];
    assert_eq!(query_pairs(&lookup.body)["cl_ord_id"], CL_ORD_ID);
}

#[tokio::test]
async fn add_order_is_resent_only_after_the_lookup_proves_it_absent() {
    let replay = Replay::start().await;
    replay.route(
        "/0/private/AddOrder",
        vec![Reply::kraken_error("EService:Unavailable"), Reply::ok(spec("private_AddOrder_2.response.json"))],
    );
    replay.route("/0/private/OpenOrders", vec![Reply::ok(r#"{"error":[],"result":{"open":{}}}"#)]);
    replay.route("/0/private/ClosedOrders", vec![Reply::ok(r#"{"error":[],"result":{"closed":{},"count":0}}"#)]);
    let client = client_with(replay.config(), "key-add-absent");
    let placed = client.add_order(&limit_buy(Some(CL_ORD_ID))).await.expect("placed on the second send");
    assert_eq!(placed.txid, vec!["OU22CG-KLAF2-FWUDD7".to_string()]);
    let order: Vec<String> = replay.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        order,
        ["/0/private/AddOrder", "/0/private/OpenOrders", "/0/private/ClosedOrders", "/0/private/AddOrder"]
    );
}

#[tokio::test]
async fn add_order_rejected_for_funds_is_neither_retried_nor_looked_up() {
    let replay = Replay::start().await;
    replay.route("/0/private/AddOrder", vec![Reply::kraken_error("EOrder:Insufficient funds")]);
    let client = client_with(replay.config(), "key-add-funds");
    let err = client.add_order(&limit_buy(Some(CL_ORD_ID))).await.expect_err("no funds");
    assert!(matches!(err, RestError::Kraken(ref v) if v == &[KrakenError::InsufficientFunds]), "{err}");
    assert_eq!(replay.requests().len(), 1);
}

#[tokio::test]
async fn breaker_opens_after_repeated_service_failures_and_stops_sending() {
    let replay = Replay::start().await;
    replay.route("/0/public/Time", vec![Reply { status: 503, body: "<html>503</html>".into() }]);
    let client = RestClient::new(replay.config(), None).expect("client");
    assert!(matches!(client.server_time().await, Err(RestError::Status { status: 503 })));
    assert_eq!(replay.requests().len(), 4, "one call, four attempts");
    assert!(client.server_time().await.is_err());
    assert_eq!(replay.requests().len(), 5, "the fifth failure opens the breaker");
    let err = client.server_time().await.expect_err("open");
    assert!(matches!(err, RestError::CircuitOpen { group: "public", .. }), "{err}");
    assert_eq!(replay.requests().len(), 5, "nothing sent while open");
    assert!(matches!(
        client.breaker_state(EndpointGroup::Account),
        cst_kraken::rest::resilience::BreakerState::Closed { failures: 0 }
    ));
}

#[tokio::test]
async fn throttled_reply_is_retried_after_the_given_time() {
    let replay = Replay::start().await;
    let past = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() - 5;
    replay.route(
        "/0/public/Time",
        vec![
            Reply::kraken_error(&format!("EService: Throttled: {past}")),
            Reply::ok(cst_testdata::read_text("kraken/rest-capture-2025/spot/http_server_time.json")),
        ],
    );
    let client = RestClient::new(replay.config(), None).expect("client");
    assert_eq!(client.server_time().await.expect("time").unixtime, 1_762_820_224);
    assert_eq!(replay.requests().len(), 2);
}

#[tokio::test]
async fn a_garbled_add_order_reply_is_resolved_by_lookup_not_by_resending() {
    let replay = Replay::start().await;
    replay.route("/0/private/AddOrder", vec![Reply::ok(r#"{"error":[],"result":{"descr":{"ord"#)]);
    let open = spec("private_OpenOrders.response.json").replacen(
        "\"refid\": \"None\",",
        &format!("\"refid\": \"None\", \"cl_ord_id\": \"{CL_ORD_ID}\","),
        1,
    );
    replay.route("/0/private/OpenOrders", vec![Reply::ok(open)]);
    let client = client_with(replay.config(), "key-add-garbled");
    let placed = client.add_order(&limit_buy(Some(CL_ORD_ID))).await.expect("found by cl_ord_id");
    assert_eq!(placed.txid, vec!["OQCLML-BW3P3-BUCMWZ".to_string()]);
    assert_eq!(replay.requests_to("/0/private/AddOrder").len(), 1);
}
