//! The HTTP API as a client sees it: auth, validation errors, every control, SSE, metrics, OpenAPI,
//! served over a snapshot replayed from real Kraken candles.

mod session;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cst_server::auth::ApiTokens;
use cst_server::control::{self, ControlCommand, ControlRequest};
use cst_server::openapi::{self, READ_ROUTES};
use cst_server::secret::Secret;
use cst_server::snapshot::KillLevel;
use cst_server::state::SharedState;
use cst_server::{ServerParts, metrics, router};
use http_body_util::BodyExt;
use serde_json::Value;
use tokio::sync::mpsc;
use tower::ServiceExt;

const CONTROL_TOKEN: &str = "control-token-0123456789abcdef";
const READ_TOKEN: &str = "read-only-token-0123456789abcdef";

struct Harness {
    app: Router,
    state: SharedState,
    rx: mpsc::Receiver<ControlRequest>,
}

fn harness() -> Harness {
    let state = SharedState::new(session::replayed_session());
    let (tx, rx) = control::channel();
    let tokens = ApiTokens::new(Secret::new(CONTROL_TOKEN), Some(Secret::new(READ_TOKEN))).expect("tokens");
    let parts =
        ServerParts { state: state.clone(), controls: tx, tokens, metrics: metrics::install().expect("metrics") };
    Harness { app: router(parts), state, rx }
}

async fn call(app: &Router, method: &str, uri: &str, token: Option<&str>, body: Option<&str>) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let req = req.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string()))).expect("request");
    let resp = app.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, json)
}

fn error_code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or_else(|| panic!("not a JSON error: {v}"))
}

#[tokio::test]
async fn health_and_metrics_are_open_without_token() {
    let h = harness();
    let (status, body) = call(&h.app, "GET", "/health", None, None).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("healthy")));
    let (status, body) = call(&h.app, "GET", "/metrics", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.as_str().expect("text").contains(metrics::EQUITY));
}

#[tokio::test]
async fn every_api_route_answers_401_json_without_or_with_a_wrong_token() {
    let h = harness();
    for (path, _, _) in READ_ROUTES {
        for token in [None, Some("not-a-token-at-all-xxxxxxxx")] {
            let (status, body) = call(&h.app, "GET", &format!("/api/v1{path}"), token, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(error_code(&body), "unauthorized");
        }
    }
    for c in ControlCommand::ALL {
        let (status, _) = call(&h.app, "POST", &format!("/api/v1/controls/{c}"), None, Some(r#"{"reason":"x"}"#)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{c}");
    }
}

#[tokio::test]
async fn controls_answer_403_with_a_read_only_token_and_send_nothing() {
    let mut h = harness();
    for c in ControlCommand::ALL {
        let uri = format!("/api/v1/controls/{c}");
        let (status, body) = call(&h.app, "POST", &uri, Some(READ_TOKEN), Some(r#"{"reason":"try"}"#)).await;
        assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, "forbidden"), "{c}");
    }
    assert!(h.rx.try_recv().is_err(), "a read-only token must not reach the engine");
    let (status, body) = call(&h.app, "GET", "/api/v1/positions", Some(READ_TOKEN), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["count"], 2);
}

#[tokio::test]
async fn every_control_reaches_the_control_channel_in_order() {
    let mut h = harness();
    for c in ControlCommand::ALL {
        let uri = format!("/api/v1/controls/{c}");
        let (status, body) = call(&h.app, "POST", &uri, Some(CONTROL_TOKEN), Some(r#"{"reason":" drill "}"#)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{c}: {body}");
        assert_eq!(body["accepted"]["command"], c.as_str());
        let got = h.rx.try_recv().expect("queued");
        assert_eq!((got.command, got.reason.as_str()), (c, "drill"));
        assert!(got.requested_at_ns > 0);
    }
}

#[tokio::test]
async fn controls_answer_503_when_the_engine_is_gone() {
    let h = harness();
    drop(h.rx);
    let (status, body) =
        call(&h.app, "POST", "/api/v1/controls/halt", Some(CONTROL_TOKEN), Some(r#"{"reason":"x"}"#)).await;
    assert_eq!((status, error_code(&body)), (StatusCode::SERVICE_UNAVAILABLE, "engine-unavailable"));
}

#[tokio::test]
async fn invalid_queries_are_json_422_with_a_reason() {
    let h = harness();
    for (uri, code) in [
        ("/api/v1/fills?limit=0", "invalid-limit"),
        ("/api/v1/fills?limit=2001", "invalid-limit"),
        ("/api/v1/fills?limit=ten", "invalid-query"),
        ("/api/v1/signals?outcome=maybe", "invalid-query"),
        ("/api/v1/positions?colour=red", "invalid-query"),
        ("/api/v1/positions?pair=NOTAPAIR", "invalid-pair"),
    ] {
        let (status, body) = call(&h.app, "GET", uri, Some(READ_TOKEN), None).await;
        assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, code), "{uri}: {body}");
        assert!(!body["error"]["message"].as_str().expect("message").is_empty());
    }
}

#[tokio::test]
async fn invalid_control_bodies_are_json_errors_and_send_nothing() {
    let mut h = harness();
    let uri = "/api/v1/controls/halt";
    for (body, status, code) in [
        (None, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type"),
        (Some("{not json"), StatusCode::BAD_REQUEST, "invalid-body"),
        (Some(r#"{"reason":"x","force":true}"#), StatusCode::UNPROCESSABLE_ENTITY, "invalid-body"),
        (Some(r#"{}"#), StatusCode::UNPROCESSABLE_ENTITY, "invalid-body"),
        (Some(r#"{"reason":"   "}"#), StatusCode::UNPROCESSABLE_ENTITY, "invalid-reason"),
    ] {
        let (got, json) = call(&h.app, "POST", uri, Some(CONTROL_TOKEN), body).await;
        assert_eq!((got, error_code(&json)), (status, code), "{body:?}: {json}");
    }
    let (status, body) =
        call(&h.app, "POST", "/api/v1/controls/panic", Some(CONTROL_TOKEN), Some(r#"{"reason":"x"}"#)).await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not-found"));
    assert!(h.rx.try_recv().is_err());
    let (status, body) = call(&h.app, "GET", "/api/v1/controls/halt", Some(CONTROL_TOKEN), None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed"));
    let (status, body) = call(&h.app, "GET", "/api/v1/nothing-here", Some(READ_TOKEN), None).await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not-found"));
}

#[tokio::test]
async fn state_routes_serve_the_replayed_session() {
    let h = harness();
    let snap = h.state.current();
    let (_, positions) = call(&h.app, "GET", "/api/v1/positions?pair=XBT/USD", Some(READ_TOKEN), None).await;
    assert_eq!(positions["count"], 1);
    let xbt = &positions["items"][0];
    // 0.5 bought, 0.2 sold: 0.3 XBT left, marked at the last real close of the file (2020-09-30 23:00).
    assert_eq!((xbt["pair"].as_str(), xbt["qty"].as_str()), (Some("XBT/USD"), Some("0.3")));
    assert_eq!(xbt["mark_price"], "10774.9");
    let (_, fills) = call(&h.app, "GET", "/api/v1/fills?limit=1", Some(READ_TOKEN), None).await;
    assert_eq!(fills["items"][0]["client_order_id"], "cst-xbt-2", "limit keeps the newest");
    let (_, equity) = call(&h.app, "GET", "/api/v1/equity?limit=24", Some(READ_TOKEN), None).await;
    assert_eq!(equity["count"], 24);
    assert_eq!(equity["overview"]["equity"], serde_json::json!(snap.overview.equity));
    let (_, quality) = call(&h.app, "GET", "/api/v1/quality", Some(READ_TOKEN), None).await;
    assert_eq!(quality["count"], 2);
    let (_, risk) = call(&h.app, "GET", "/api/v1/risk", Some(READ_TOKEN), None).await;
    assert_eq!(risk["kill_level"], "normal");
}

#[tokio::test]
async fn openapi_documents_exactly_the_served_routes() {
    let h = harness();
    let (status, doc) = call(&h.app, "GET", "/api/v1/openapi.json", Some(READ_TOKEN), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc, openapi::document());
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().expect("paths");
    assert_eq!(paths.len(), READ_ROUTES.len() + 1 + ControlCommand::ALL.len());
    for (path, op) in paths {
        let method = if path.contains("/controls/") { "post" } else { "get" };
        assert!(op.get(method).is_some(), "{path}");
        if method == "get" && !path.ends_with("/stream") {
            let (status, _) = call(&h.app, "GET", path, Some(READ_TOKEN), None).await;
            assert_eq!(status, StatusCode::OK, "{path} is documented but not served");
        }
    }
}

#[tokio::test]
async fn sse_stream_sends_the_snapshot_then_every_change() {
    let h = harness();
    let req = Request::get("/api/v1/stream")
        .header(header::AUTHORIZATION, format!("Bearer {READ_TOKEN}"))
        .body(Body::empty())
        .expect("request");
    let resp = h.app.clone().oneshot(req).await.expect("response");
    assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/event-stream");
    let mut body = resp.into_body();
    let first = next_event(&mut body).await;
    assert_eq!(first["positions"].as_array().expect("positions").len(), 2);
    assert_eq!(first["risk"]["kill_level"], "normal");
    h.state.update(|s| s.risk.kill_level = KillLevel::Halt);
    let second = next_event(&mut body).await;
    assert_eq!(second["risk"]["kill_level"], "halt");
}

async fn next_event(body: &mut Body) -> Value {
    let mut text = String::new();
    while !text.contains("\n\n") {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame())
            .await
            .expect("an event within 5 s")
            .expect("frame")
            .expect("ok");
        if let Ok(data) = frame.into_data() {
            text.push_str(&String::from_utf8_lossy(&data));
        }
    }
    assert!(text.starts_with("event: snapshot\n"), "{text}");
    let data: String = text.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
    serde_json::from_str(&data).expect("snapshot JSON")
}

#[tokio::test]
async fn metrics_exposition_contains_every_documented_name() {
    let h = harness();
    metrics::record_feed_message("XBT/USD", "book", 0.012);
    metrics::set_feed_connected("kraken-ws", true);
    metrics::record_feed_anomalies("gap", 1);
    metrics::record_checksum_failure("XBT/USD");
    metrics::record_resync("XBT/USD");
    metrics::set_rate_limiter_headroom("rest-private", 0.75);
    metrics::record_slippage("XBT/USD", 3.5, 10.0);
    metrics::record_engine_event_latency(0.000_004);
    metrics::set_gateway(&[("sent", 1), ("fill", 2)], 1);
    h.state.update(|s| {
        s.risk.refusals.push(cst_server::snapshot::RefusalCount { reason: "max-position".into(), count: 2 });
        s.risk.kill_level = KillLevel::ReduceOnly;
    });
    let (status, body) = call(&h.app, "GET", "/metrics", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let text = body.as_str().expect("text");
    for name in metrics::ALL {
        assert!(text.lines().any(|l| l.starts_with(name)), "{name} missing from /metrics");
        assert!(text.contains(&format!("# HELP {name} ")), "{name} has no HELP line");
    }
    assert!(text.contains("cst_kill_switch_level 2"), "{text}");
    assert!(text.contains("cst_refusals_total{reason=\"max-position\"} 2"));
    assert!(text.contains("cst_engine_event_latency_seconds_bucket"));
    assert!(
        text.contains("cst_gateway_events_total{event=\"fill\"} 2") && text.contains("cst_gateway_working_orders 1")
    );
    assert!(text.contains("cst_data_quality_tradable{pair=\"XBT/USD\",interval=\"1h\"}"));
}
