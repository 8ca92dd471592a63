//! Governance of the LLM against a local OpenAI-compatible server (axum on 127.0.0.1) that answers
//! with valid, schema-invalid, slow and failing responses. Time-based rules run on a manual clock.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use cst_core::num::Money;
use cst_intel::clock::{Clock, ManualClock};
use cst_intel::http;
use cst_intel::llm::breaker::{BreakerConfig, BreakerState};
use cst_intel::llm::client::ChatClient;
use cst_intel::llm::cost::PriceTable;
use cst_intel::llm::flags::{Capability, Environment, FeatureFlags, FlagState, Route};
use cst_intel::llm::schema::EventKind;
use cst_intel::llm::{GovernedLlm, Limits, Source};
use cst_intel::secret::Secret;
use cst_intel::sentiment::Label;
use rust_decimal::dec;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
enum Reply {
    Valid,
    News,
    Prose,
    OutOfRange,
    Slow,
    Fail500,
    TooMany,
}

#[derive(Clone)]
struct Scripted {
    hits: Arc<AtomicUsize>,
    script: Arc<Mutex<VecDeque<Reply>>>,
    default: Arc<Mutex<Reply>>,
    last_request: Arc<Mutex<Option<(Value, String)>>>,
}

const SENTIMENT_JSON: &str = r#"{"assets":["BTC"],"direction":"bullish","magnitude":0.7,"confidence":0.8,"rationale":"ETF approval drives inflows"}"#;

fn completion(content: &str) -> Response {
    Json(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1_700_000_000, "model": "test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 40, "total_tokens": 160}
    }))
    .into_response()
}

async fn chat(State(s): State<Scripted>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    s.hits.fetch_add(1, Ordering::SeqCst);
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    *s.last_request.lock().expect("lock") = Some((body, auth));
    let reply = s.script.lock().expect("lock").pop_front().unwrap_or(*s.default.lock().expect("lock"));
    let error = |code: StatusCode| (code, Json(json!({"error": {"message": "scripted", "type": "server_error"}})));
    match reply {
        Reply::Valid => completion(SENTIMENT_JSON),
        Reply::News => completion(&format!(
            r#"{{"summary":"SEC approves spot bitcoin ETFs","event":"etf","sentiment":{SENTIMENT_JSON}}}"#
        )),
        Reply::Prose => completion("Sure! Bitcoin looks bullish to me."),
        Reply::OutOfRange => completion(&SENTIMENT_JSON.replace("0.8", "1.7")),
        Reply::Slow => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            completion(SENTIMENT_JSON)
        }
        Reply::Fail500 => error(StatusCode::INTERNAL_SERVER_ERROR).into_response(),
        Reply::TooMany => error(StatusCode::TOO_MANY_REQUESTS).into_response(),
    }
}

async fn server(default: Reply) -> (String, Scripted) {
    let state = Scripted {
        hits: Arc::new(AtomicUsize::new(0)),
        script: Arc::new(Mutex::new(VecDeque::new())),
        default: Arc::new(Mutex::new(default)),
        last_request: Arc::new(Mutex::new(None)),
    };
    let app = Router::new().route("/v1/chat/completions", post(chat)).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (format!("http://{addr}/v1"), state)
}

struct Setup {
    llm: GovernedLlm,
    clock: Arc<ManualClock>,
    server: Scripted,
}

fn limits() -> Limits {
    Limits {
        max_tokens: 300,
        requests_per_minute: 1_000,
        tokens_per_minute: 10_000_000,
        daily_budget: Money::new(dec!(10)),
        breaker: BreakerConfig { failure_threshold: 3, base_cooldown_ms: 30_000, max_cooldown_ms: 600_000 },
    }
}

async fn setup(default: Reply, limits: Limits, flag: FlagState, percent: u8) -> Setup {
    let (base_url, server) = server(default).await;
    let http = http::client("cst-test/0.1", Duration::from_millis(400)).expect("client");
    let client = ChatClient::new(http, &base_url, "test-model", Some(Secret::new("sk-test")));
    let clock = ManualClock::new(1_700_000_000_000);
    let mut flags = FeatureFlags::new(Environment::Production);
    flags.set(Capability::SentimentAnalysis, flag, percent);
    flags.set(Capability::NewsAnalysis, flag, percent);
    let prices = PriceTable::new().with("test-model", dec!(10), dec!(30));
    let llm = GovernedLlm::new(client, clock.clone() as Arc<dyn Clock>, flags, prices, limits);
    Setup { llm, clock, server }
}

const TEXT: &str = "Spot bitcoin ETF approval expected, $BTC surges";

#[tokio::test]
async fn valid_answer_is_used_costed_and_compared_with_the_lexicon() {
    let mut s = setup(Reply::Valid, limits(), FlagState::Production, 100).await;
    let got = s.llm.sentiment("post-1", TEXT).await.expect("valid text");
    assert_eq!(got.source, Source::Llm);
    assert_eq!(got.result.direction, Label::Bullish);
    let m = s.llm.metrics();
    // 120 prompt tokens at $10/M + 40 completion tokens at $30/M.
    assert_eq!(m.cost.value(), dec!(0.0024));
    assert_eq!((m.calls, m.valid, m.tokens, m.compared, m.agreed), (1, 1, 160, 1, 1));
    let (body, auth) = s.server.last_request.lock().expect("lock").clone().expect("request seen");
    assert_eq!(auth, "Bearer sk-test");
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["response_format"]["type"], "json_object");
    assert_eq!(body["messages"][1]["content"], TEXT);
}

#[tokio::test]
async fn news_analysis_is_structured_and_validated() {
    let mut s = setup(Reply::News, limits(), FlagState::Production, 100).await;
    let got = s.llm.news("n-1", TEXT).await.expect("valid text");
    assert_eq!(got.source, Source::Llm);
    assert_eq!(got.result.event, EventKind::Etf);
    s.server.script.lock().expect("lock").push_back(Reply::Valid);
    let wrong_shape = s.llm.news("n-2", TEXT).await.expect("valid text");
    assert_eq!(wrong_shape.source, Source::Lexicon { reason: "schema_violation".into() });
}

#[tokio::test]
async fn schema_invalid_output_is_rejected_counted_and_never_used() {
    let mut s = setup(Reply::Prose, limits(), FlagState::Production, 100).await;
    s.server.script.lock().expect("lock").extend([Reply::Prose, Reply::OutOfRange]);
    for key in ["a", "b"] {
        let got = s.llm.sentiment(key, TEXT).await.expect("valid text");
        assert_eq!(got.source, Source::Lexicon { reason: "schema_violation".into() });
        assert!(got.result.rationale.starts_with("lexicon analyzer"));
        assert!(got.result.confidence <= 1.0, "the out-of-range 1.7 must not leak through");
    }
    let m = s.llm.metrics();
    assert_eq!((m.calls, m.valid, m.schema_violations), (2, 0, 2));
    assert_eq!(m.schema_violation_rate(), 1.0);
}

#[tokio::test]
async fn budget_exhaustion_stops_calls_and_falls_back_until_the_next_day() {
    let mut l = limits();
    l.daily_budget = Money::new(dec!(0.02));
    let mut s = setup(Reply::Valid, l, FlagState::Production, 100).await;
    let mut sources = Vec::new();
    for i in 0..12 {
        sources.push(s.llm.sentiment(&format!("k{i}"), TEXT).await.expect("valid text").source);
    }
    let sent = s.server.hits.load(Ordering::SeqCst);
    assert!((1..12).contains(&sent), "some calls went out, then the budget stopped them ({sent})");
    assert!(sources[..sent].iter().all(|x| *x == Source::Llm));
    assert!(sources[sent..].iter().all(|x| *x == Source::Lexicon { reason: "budget_exhausted".into() }));
    assert!(s.llm.metrics().cost.value() <= dec!(0.02), "the budget is never crossed");
    s.clock.advance_ms(86_400_000);
    assert_eq!(s.llm.sentiment("next-day", TEXT).await.expect("valid").source, Source::Llm);
    assert_eq!(s.server.hits.load(Ordering::SeqCst), sent + 1);
}

#[tokio::test]
async fn circuit_opens_after_repeated_failures_and_half_opens_after_the_cooldown() {
    let mut s = setup(Reply::Fail500, limits(), FlagState::Production, 100).await;
    for key in ["a", "b", "c"] {
        let got = s.llm.sentiment(key, TEXT).await.expect("valid text");
        assert_eq!(got.source, Source::Lexicon { reason: "llm_error".into() });
    }
    let open = s.llm.sentiment("d", TEXT).await.expect("valid text");
    assert_eq!(open.source, Source::Lexicon { reason: "circuit_open".into() });
    assert_eq!(s.server.hits.load(Ordering::SeqCst), 3, "an open circuit sends nothing");
    s.clock.advance_ms(29_999);
    assert_eq!(
        s.llm.sentiment("e", TEXT).await.expect("valid").source,
        Source::Lexicon { reason: "circuit_open".into() }
    );
    s.clock.advance_ms(1);
    assert_eq!(s.llm.breaker().state(s.clock.now_ms()), BreakerState::HalfOpen);
    // The trial fails: the circuit re-opens with a doubled cool-down.
    assert_eq!(s.llm.sentiment("f", TEXT).await.expect("valid").source, Source::Lexicon { reason: "llm_error".into() });
    assert_eq!(s.llm.breaker().state(s.clock.now_ms()), BreakerState::Open { until_ms: s.clock.now_ms() + 60_000 });
    s.clock.advance_ms(60_000);
    *s.server.default.lock().expect("lock") = Reply::Valid;
    assert_eq!(s.llm.sentiment("g", TEXT).await.expect("valid").source, Source::Llm);
    assert_eq!(s.llm.breaker().state(s.clock.now_ms()), BreakerState::Closed { failures: 0 });
    assert_eq!(s.llm.metrics().errors.get("server_error"), Some(&4));
}

#[tokio::test]
async fn timeouts_and_429s_count_as_failures() {
    let mut l = limits();
    l.breaker.failure_threshold = 2;
    let mut s = setup(Reply::Slow, l, FlagState::Production, 100).await;
    s.server.script.lock().expect("lock").push_back(Reply::TooMany);
    assert_eq!(s.llm.sentiment("a", TEXT).await.expect("valid").source, Source::Lexicon { reason: "llm_error".into() });
    assert_eq!(s.llm.sentiment("b", TEXT).await.expect("valid").source, Source::Lexicon { reason: "llm_error".into() });
    let m = s.llm.metrics();
    assert_eq!(m.errors.get("rate_limited"), Some(&1));
    assert_eq!(m.errors.get("timeout"), Some(&1));
    assert_eq!(m.error_rate(), 1.0);
    assert!(matches!(s.llm.breaker().state(s.clock.now_ms()), BreakerState::Open { .. }));
}

#[tokio::test]
async fn own_rate_limit_refuses_before_the_api_does() {
    let mut l = limits();
    l.requests_per_minute = 2;
    let mut s = setup(Reply::Valid, l, FlagState::Production, 100).await;
    for key in ["a", "b"] {
        assert_eq!(s.llm.sentiment(key, TEXT).await.expect("valid").source, Source::Llm);
    }
    let third = s.llm.sentiment("c", TEXT).await.expect("valid");
    assert_eq!(third.source, Source::Lexicon { reason: "rate_limited".into() });
    assert_eq!(s.server.hits.load(Ordering::SeqCst), 2);
    s.clock.advance_ms(60_000);
    assert_eq!(s.llm.sentiment("d", TEXT).await.expect("valid").source, Source::Llm);
}

#[tokio::test]
async fn flags_route_traffic_as_configured() {
    let mut s = setup(Reply::Valid, limits(), FlagState::Canary, 30).await;
    let mut expected_llm = 0;
    let probe = {
        let mut f = FeatureFlags::new(Environment::Production);
        f.set(Capability::SentimentAnalysis, FlagState::Canary, 30);
        f
    };
    for i in 0..60 {
        let key = format!("post-{i}");
        let got = s.llm.sentiment(&key, TEXT).await.expect("valid");
        let routed = probe.route(Capability::SentimentAnalysis, &key);
        if routed == Route::Llm {
            expected_llm += 1;
            assert_eq!(got.source, Source::Llm);
        } else {
            assert_eq!(got.source, Source::Lexicon { reason: "flag_off".into() });
        }
    }
    assert_eq!(s.server.hits.load(Ordering::SeqCst), expected_llm);
    assert!((8..=30).contains(&expected_llm), "about 30% of 60: {expected_llm}");
    s.llm.flags_mut().emergency_disable(Capability::SentimentAnalysis);
    for i in 0..20 {
        let got = s.llm.sentiment(&format!("post-{i}"), TEXT).await.expect("valid");
        assert_eq!(got.source, Source::Lexicon { reason: "flag_off".into() });
    }
    assert_eq!(s.server.hits.load(Ordering::SeqCst), expected_llm, "the kill switch sends nothing");
}

#[tokio::test]
async fn bad_text_never_reaches_the_llm() {
    let mut s = setup(Reply::Valid, limits(), FlagState::Production, 100).await;
    assert!(s.llm.sentiment("a", "   ").await.is_err());
    assert_eq!(s.server.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn tokens_per_minute_limit_counts_reported_usage_and_refuses_the_overflow() {
    let mut l = limits();
    // One call reserves its estimate plus max_tokens (about 390), then settles to the 160 reported.
    l.tokens_per_minute = 500;
    let mut s = setup(Reply::Valid, l, FlagState::Production, 100).await;
    assert_eq!(s.llm.sentiment("a", TEXT).await.expect("valid").source, Source::Llm);
    assert_eq!(s.llm.metrics().tokens, 160);
    let second = s.llm.sentiment("b", TEXT).await.expect("valid");
    assert_eq!(second.source, Source::Lexicon { reason: "rate_limited".into() });
    assert_eq!(s.server.hits.load(Ordering::SeqCst), 1);
    s.clock.advance_ms(60_000);
    assert_eq!(s.llm.sentiment("c", TEXT).await.expect("valid").source, Source::Llm);
}
