//! `cst run --live` end to end against a local Kraken: a server on 127.0.0.1 that answers with
//! Kraken's documented REST responses, checks every request's `API-Sign` with the test secret
//! and logs what it received. The engine's first approved order goes out once, signed, under
//! its client order id; the executions the server reports are booked into the journal. Without
//! every live precondition nothing reaches the server at all.
#![allow(clippy::unwrap_used)]

mod run_support;

use cst_kraken::sign::{Secret, api_sign};
use run_support::{API_TOKEN, Home, http_get, journal};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SPEC: &str = "kraken/api-examples/rest-spot-openapi";
// Kraken's documented example private key (signing guide); not a real account.
const DOC_SECRET: &str = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";
const KEY: &str = "cst-live-test-key";
/// The order Kraken's OpenOrders and TradesHistory examples describe (a buy of XBTUSD).
const DOCUMENTED_TXID: &str = "OQCLML-BW3P3-BUCMWZ";

/// One request as the local Kraken saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    params: HashMap<String, String>,
    signed: bool,
}

/// The local Kraken.
struct LocalKraken {
    url: String,
    log: Arc<Mutex<Vec<Seen>>>,
}

fn spec(file: &str) -> serde_json::Value {
    serde_json::from_str(&cst_testdata::read_text(&format!("{SPEC}/{file}"))).unwrap()
}

impl LocalKraken {
    fn start() -> LocalKraken {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let log: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let l = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let l = l.clone();
                std::thread::spawn(move || serve(stream, &l));
            }
        });
        LocalKraken { url, log }
    }

    fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }

    fn seen_at(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }
}

/// Kraken's documented answer for `path`. The only edits: AddOrder answers with the txid of the
/// order the OpenOrders and TradesHistory examples describe, and once placed that order carries
/// the `cl_ord_id` it was placed with (in OpenOrders and QueryOrders, as Kraken lists it) — so
/// the documented executions belong to the order the engine sent.
fn answer(path: &str, log: &[Seen]) -> String {
    let placed: Vec<&Seen> = log.iter().filter(|s| s.path == "/0/private/AddOrder").collect();
    match path {
        "/0/private/OpenOrders" if !placed.is_empty() => {
            let mut v = spec("private_OpenOrders.response.json");
            v["result"]["open"][DOCUMENTED_TXID]["cl_ord_id"] = placed[0].params["cl_ord_id"].clone().into();
            v.to_string()
        }
        "/0/private/OpenOrders" => spec("private_OpenOrders.response.json").to_string(),
        "/0/private/ClosedOrders" => spec("private_ClosedOrders.response.json").to_string(),
        "/0/private/TradesHistory" => spec("private_TradesHistory.response.json").to_string(),
        "/0/private/AddOrder" if placed.len() <= 1 => {
            let mut v = spec("private_AddOrder_2.response.json");
            v["result"]["txid"] = serde_json::json!([DOCUMENTED_TXID]);
            v.to_string()
        }
        // Only one order is expected; any further one is refused the way Kraken refuses.
        "/0/private/AddOrder" => r#"{"error":["EOrder:Insufficient funds"]}"#.to_string(),
        "/0/private/QueryOrders" => {
            let open = spec("private_OpenOrders.response.json");
            let mut order = open["result"]["open"][DOCUMENTED_TXID].clone();
            order["cl_ord_id"] = placed[0].params["cl_ord_id"].clone().into();
            serde_json::json!({"error": [], "result": {DOCUMENTED_TXID: order}}).to_string()
        }
        _ => r#"{"error":["EGeneral:Unknown method"]}"#.to_string(),
    }
}

fn serve(stream: TcpStream, log: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    let path = first.split_whitespace().nth(1).unwrap_or_default().to_string();
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    let body = String::from_utf8(body).unwrap();
    let params: HashMap<String, String> = form_pairs(&body);
    let nonce = params.get("nonce").cloned().unwrap_or_default();
    let expected = api_sign(&Secret::from_base64(DOC_SECRET).unwrap(), &path, &nonce, &body).unwrap();
    let signed = headers.get("api-key").map(String::as_str) == Some(KEY)
        && headers.get("api-sign") == Some(&expected)
        && body.starts_with("nonce=");
    let reply = {
        let mut log = log.lock().unwrap();
        log.push(Seen { path: path.clone(), params, signed });
        answer(&path, &log)
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
        reply.len()
    );
}

fn form_pairs(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.replace('+', " ").replace("%2F", "/")))
        .collect()
}

/// The first 36 hours of 2019: sma-cross(10,30) decides exactly one buy (2019-01-02 06:00).
fn live_args(kraken: &LocalKraken, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "run",
        "--replay-store",
        "--pairs",
        "XBT/USD",
        "--interval",
        "1h",
        "--strategy",
        "sma-cross",
        "--speed",
        "0",
        "--from",
        "2019-01-01T00:00:00Z",
        "--to",
        "2019-01-02T12:00:00Z",
        "--listen",
        "127.0.0.1:0",
        "--redis",
        "",
        "--live-poll-secs",
        "0.2",
        "--kraken-rest-url",
    ]
    .map(String::from)
    .to_vec();
    a.push(kraken.url.clone());
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

const KEYS: [(&str, &str); 2] = [("KRAKEN_API_KEY", KEY), ("KRAKEN_API_SECRET", DOC_SECRET)];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_run_sends_the_first_approved_order_once_and_books_the_fills_kraken_reports() {
    let home = Home::sqlite();
    home.import_xbt();
    let kraken = LocalKraken::start();
    let mut run = home.spawn_env(&live_args(&kraken, &["--live", "--i-accept-live-trading-risk"]), &KEYS);
    let run_id = run.run_id();
    run.wait_line("LIVE trading on Kraken", Duration::from_secs(60));
    run.wait_line("replay finished", Duration::from_secs(120));
    let end = Instant::now() + Duration::from_secs(60);
    let j = loop {
        let j = journal(&home.url(), &run_id).await;
        if j.fills.len() >= 2 || Instant::now() > end {
            break j;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // The gateway on /metrics: one order sent and accepted, both executions booked as fills with
    // their slippage, and the private REST limiter's headroom.
    let addr = run.api_addr();
    let end = Instant::now() + Duration::from_secs(10);
    let metrics = loop {
        let (_, m) = http_get(&addr, "/metrics", None);
        if m.contains("cst_gateway_events_total{event=\"fill\"} 2") || Instant::now() > end {
            break m;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for line in [
        "cst_gateway_events_total{event=\"sent\"} 1",
        "cst_gateway_events_total{event=\"accepted\"} 1",
        "cst_gateway_events_total{event=\"rejected\"} 0",
        "cst_gateway_events_total{event=\"fill\"} 2",
        "cst_slippage_bps_count{pair=\"XBT/USD\"} 2",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line:?} in {metrics}");
    }
    let headroom: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("cst_rate_limiter_headroom_ratio{limiter=\"rest-private\"} "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(headroom > 0.0 && headroom <= 1.0, "{headroom}");
    let stdout = run.seen.join("\n");
    run.terminate();

    let seen = kraken.seen();
    assert!(seen.iter().all(|s| s.signed), "every request carries the key and a valid API-Sign: {seen:?}");
    let added = kraken.seen_at("/0/private/AddOrder");
    assert_eq!(added.len(), 1, "the one approved order is sent once");
    assert_eq!(j.orders.len(), 1, "{:?}", j.orders);
    let order = &j.orders[0];
    let sent = &added[0].params;
    assert_eq!(sent["cl_ord_id"], order.client_order_id, "sent under the engine's client order id");
    assert_eq!((sent["pair"].as_str(), sent["type"].as_str(), sent["ordertype"].as_str()), ("XBTUSD", "buy", "market"));
    assert_eq!(sent["volume"].parse::<Decimal>().unwrap(), order.qty, "the approved volume");
    assert!(!sent.contains_key("validate"));
    let first_lookup = seen.iter().position(|s| s.path == "/0/private/OpenOrders").unwrap();
    let add = seen.iter().position(|s| s.path == "/0/private/AddOrder").unwrap();
    assert!(first_lookup < add, "Kraken is asked for an earlier copy before the order is sent");
    assert_eq!(seen[first_lookup].params["cl_ord_id"], order.client_order_id);

    // The two documented executions of that order, booked as reported.
    let fills: Vec<(Decimal, Decimal, &str)> = j.fills.iter().map(|f| (f.qty, f.price, f.side.as_str())).collect();
    assert_eq!(
        fills,
        [(Decimal::new(1, 2), Decimal::new(30010, 0), "buy"), (Decimal::new(2, 2), Decimal::new(30010, 0), "buy")],
        "{stdout}"
    );
    assert!(j.fills.iter().all(|f| f.client_order_id == order.client_order_id && f.fee.is_zero()));
    assert_eq!(j.fills[0].time_ns, 1_688_667_769_639_600_000, "Kraken's execution time");
    let position = j.positions.iter().find(|p| p.pair == "XBT/USD").unwrap();
    assert_eq!(position.qty, Decimal::new(3, 2));
    let cash: Vec<Decimal> = j.ledger.iter().filter(|l| l.asset == "USD").map(|l| l.delta).collect();
    assert_eq!(cash, [Decimal::new(-3001, 1), Decimal::new(-6002, 1)], "cash paid per execution");
    assert!(!stdout.contains(DOC_SECRET) && !stdout.contains("kQH5HW"), "the secret is never printed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_run_killed_and_restarted_adopts_its_order_and_sends_nothing_twice() {
    let home = Home::sqlite();
    home.import_xbt();
    let kraken = LocalKraken::start();
    let args = live_args(&kraken, &["--live", "--i-accept-live-trading-risk"]);
    let mut run = home.spawn_env(&args, &KEYS);
    let run_id = run.run_id();
    let end = Instant::now() + Duration::from_secs(120);
    while journal(&home.url(), &run_id).await.fills.len() < 2 && Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let before = journal(&home.url(), &run_id).await;
    assert_eq!(before.fills.len(), 2);
    run.child.kill().unwrap();
    run.child.wait().unwrap();

    let mut again = home.spawn_env(&args, &KEYS);
    assert_eq!(again.run_id(), run_id, "the same arguments resume the run");
    let addr = again.api_addr();
    again.wait_line("replay finished", Duration::from_secs(120));
    // The restarted engine holds the position again: the gateway adopted the order from Kraken
    // and re-read its executions. Then a few more polls must add nothing.
    let end = Instant::now() + Duration::from_secs(30);
    let snapshot = loop {
        let (_, body) = http_get(&addr, "/api/v1/snapshot", Some(API_TOKEN));
        let snap: serde_json::Value = serde_json::from_str(&body).unwrap();
        if snap["counters"]["fills"].as_u64() == Some(2) || Instant::now() > end {
            break snap;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(snapshot["counters"]["fills"].as_u64(), Some(2), "{snapshot}");
    let qty: Decimal = snapshot["positions"][0]["qty"].as_str().unwrap().parse().unwrap();
    assert_eq!(qty, Decimal::new(3, 2), "{}", snapshot["positions"]);
    let polled = kraken.seen_at("/0/private/TradesHistory").len();
    while kraken.seen_at("/0/private/TradesHistory").len() < polled + 3 && Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    again.terminate();
    let after = journal(&home.url(), &run_id).await;
    assert_eq!(kraken.seen_at("/0/private/AddOrder").len(), 1, "the order was adopted, not sent again");
    assert_eq!(after.orders, before.orders);
    assert_eq!(after.fills, before.fills, "each execution journaled once");
    assert_eq!(after.ledger, before.ledger);
    assert_eq!(after.positions, before.positions);
}

#[test]
fn without_every_live_precondition_nothing_reaches_kraken() {
    let home = Home::sqlite();
    home.import_xbt();
    let kraken = LocalKraken::start();
    let fails = |extra: &[&str], envs: &[(&str, &str)]| {
        let mut c = home.cmd();
        c.args(live_args(&kraken, extra)).env_remove("KRAKEN_API_KEY").env_remove("KRAKEN_API_SECRET");
        c.envs(envs.iter().copied());
        let out = c.output().unwrap();
        assert!(!out.status.success(), "{extra:?} must be refused");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = fails(&["--live"], &KEYS);
    assert!(err.contains("--i-accept-live-trading-risk"), "{err}");
    let err = fails(&["--live", "--i-accept-live-trading-risk"], &[]);
    assert!(err.contains("KRAKEN_API_KEY"), "{err}");
    let file = home.dir.path().join("kraken.keys");
    std::fs::write(&file, format!("key = {KEY}\nsecret = {DOC_SECRET}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let secret_file = file.to_str().unwrap();
    let err = fails(&["--live", "--i-accept-live-trading-risk", "--secret-file", secret_file], &[]);
    assert!(err.contains("must be 600"), "{err}");
    let bad = [("KRAKEN_API_KEY", KEY), ("KRAKEN_API_SECRET", "not base64 at all!")];
    let err = fails(&["--live", "--i-accept-live-trading-risk"], &bad);
    assert!(err.contains("not valid base64") && !err.contains("not base64 at all"), "{err}");
    assert!(kraken.seen().is_empty(), "the server saw requests: {:?}", kraken.seen());
    // Real orders on Kraken itself, decided on replayed candles, are refused before any request.
    let mut c = home.cmd();
    let args: Vec<String> = live_args(&kraken, &["--live", "--i-accept-live-trading-risk"])
        .into_iter()
        .filter(|a| *a != kraken.url && a != "--kraken-rest-url")
        .collect();
    let out = c.args(args).env_remove("CST_KRAKEN_REST_URL").envs(KEYS).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("need live market data"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_orders_has_kraken_check_the_order_and_places_nothing() {
    let home = Home::sqlite();
    home.import_xbt();
    let kraken = LocalKraken::start();
    // Keys from a 0600 file this time.
    let file = home.dir.path().join("kraken.keys");
    std::fs::write(&file, format!("key = {KEY}\nsecret = {DOC_SECRET}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let extra =
        ["--live", "--i-accept-live-trading-risk", "--validate-orders", "--secret-file", file.to_str().unwrap()];
    let mut run = home.spawn_env(&live_args(&kraken, &extra), &[]);
    let run_id = run.run_id();
    run.wait_line("validate-only", Duration::from_secs(60));
    run.wait_line("replay finished", Duration::from_secs(120));
    let end = Instant::now() + Duration::from_secs(30);
    let j = loop {
        let j = journal(&home.url(), &run_id).await;
        if j.orders.iter().any(|o| o.status.starts_with("rejected")) || Instant::now() > end {
            break j;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    run.terminate();
    let added = kraken.seen_at("/0/private/AddOrder");
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].params["validate"], "true");
    assert!(kraken.seen().iter().all(|s| s.signed && s.path == "/0/private/AddOrder"), "{:?}", kraken.seen());
    assert_eq!(j.orders.len(), 1);
    assert!(j.orders[0].status.starts_with("rejected: validate-only: Kraken validated"), "{:?}", j.orders[0]);
    assert!(j.fills.is_empty());
}
