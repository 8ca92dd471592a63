//! Every ingestion source against a local server (axum on 127.0.0.1) replaying the platform's
//! documented response shapes (fixtures/ingest), including rate-limit and ban responses.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::Response;
use cst_core::time::Timestamp;
use cst_intel::clock::ManualClock;
use cst_intel::http;
use cst_intel::ingest::gate::IngestError;
use cst_intel::ingest::post::Platform;
use cst_intel::ingest::sink::JsonlSink;
use cst_intel::ingest::sources::discord::DiscordSource;
use cst_intel::ingest::sources::reddit::{RedditCredentials, RedditEndpoints, RedditSource};
use cst_intel::ingest::sources::rss::RssSource;
use cst_intel::ingest::sources::telegram::TelegramSource;
use cst_intel::ingest::sources::x::XSource;
use cst_intel::ingest::tos::TosViolation;
use cst_intel::secret::Secret;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const NOW_MS: i64 = 1_710_170_000_000;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/ingest/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[derive(Clone, Debug)]
struct Canned {
    status: u16,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
    body: String,
}

fn json(status: u16, body: String) -> Canned {
    Canned { status, content_type: "application/json; charset=utf-8", headers: vec![], body }
}

fn with_header(mut c: Canned, name: &'static str, value: impl Into<String>) -> Canned {
    c.headers.push((name, value.into()));
    c
}

#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    query: String,
    headers: HashMap<String, String>,
    body: String,
}

/// Path prefix and the replies it gives in order (the last one repeats).
type Routes = Vec<(String, VecDeque<Canned>)>;

#[derive(Clone, Default)]
struct Replay {
    routes: Arc<Mutex<Routes>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Replay {
    fn route(&self, prefix: &str, replies: Vec<Canned>) {
        self.routes.lock().expect("lock").push((prefix.to_string(), replies.into()));
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

async fn replay(State(r): State<Replay>, req: Request) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = String::from_utf8_lossy(&to_bytes(body, 1 << 20).await.expect("body")).to_string();
    let headers = parts.headers.iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string())).collect();
    let path = parts.uri.path().to_string();
    r.seen.lock().expect("lock").push(Seen {
        method: parts.method.to_string(),
        path: path.clone(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers,
        body,
    });
    let mut routes = r.routes.lock().expect("lock");
    let Some((_, queue)) = routes.iter_mut().find(|(p, _)| path.starts_with(p.as_str())) else {
        return Response::builder().status(404).body(Body::from("no route")).expect("response");
    };
    let canned = if queue.len() > 1 { queue.pop_front().expect("reply") } else { queue[0].clone() };
    let mut builder = Response::builder().status(canned.status).header("content-type", canned.content_type);
    for (k, v) in canned.headers {
        builder = builder.header(k, v);
    }
    builder.body(Body::from(canned.body)).expect("response")
}

async fn start() -> (String, Replay) {
    let state = Replay::default();
    let app = Router::new().fallback(replay).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (format!("http://{addr}"), state)
}

fn client() -> reqwest::Client {
    http::client("cst-intel-test/0.1 (+https://example.org/cst)", Duration::from_secs(5)).expect("client")
}

fn ts(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("time")
}

// ---------------------------------------------------------------- RSS / Atom

#[tokio::test]
async fn rss_items_become_posts_and_an_empty_item_is_counted() {
    let (base, server) = start().await;
    server.route(
        "/rss",
        vec![Canned { status: 200, content_type: "application/rss+xml", headers: vec![], body: fixture("rss2.xml") }],
    );
    let clock = ManualClock::new(NOW_MS);
    let mut src = RssSource::new(&format!("{base}/rss"), "cst-intel/0.1 (+https://example.org/cst)");
    let batch = src.fetch(&client(), clock.as_ref()).await.expect("feed");
    assert_eq!(batch.posts.len(), 2);
    assert_eq!(batch.rejected.get("empty text"), Some(&1));
    let first = &batch.posts[0];
    assert_eq!(first.id, "news-example-1001");
    assert_eq!(first.author.as_deref(), Some("Jane Reporter"));
    assert_eq!(first.created_at, ts("2024-03-11T14:05:00Z"));
    assert_eq!(first.received_at.as_nanos(), NOW_MS * 1_000_000);
    assert!(first.text.contains("on strong demand") && !first.text.contains("<p>"), "{}", first.text);
    assert_eq!(first.assets, ["XBT"]);
    assert_eq!(batch.posts[1].assets, ["ETH"]);
    assert_eq!(
        server.seen()[0].headers.get("user-agent").map(String::as_str),
        Some("cst-intel/0.1 (+https://example.org/cst)")
    );
}

#[tokio::test]
async fn atom_entries_use_the_alternate_link_and_published_time() {
    let (base, server) = start().await;
    server.route(
        "/atom",
        vec![Canned { status: 200, content_type: "application/atom+xml", headers: vec![], body: fixture("atom.xml") }],
    );
    // Received a day after publication (the feed's entry is dated 2024-03-12).
    let clock = ManualClock::new(ts("2024-03-13T00:00:00Z").as_nanos() / 1_000_000);
    let batch =
        RssSource::new(&format!("{base}/atom"), "cst-intel/0.1").fetch(&client(), clock.as_ref()).await.expect("feed");
    assert_eq!(batch.posts.len(), 1);
    let post = &batch.posts[0];
    assert_eq!(post.url.as_deref(), Some("https://blog.example.org/solana-upgrade"));
    assert_eq!(post.created_at, ts("2024-03-12T08:30:00Z"));
    assert_eq!(post.assets, ["SOL"]);
}

#[tokio::test]
async fn a_feed_that_returns_html_or_garbage_is_refused_whole() {
    let (base, server) = start().await;
    server.route(
        "/html",
        vec![Canned { status: 200, content_type: "text/html", headers: vec![], body: fixture("html_page.html") }],
    );
    server.route(
        "/garbage",
        vec![Canned { status: 200, content_type: "application/xml", headers: vec![], body: "}{ not xml".into() }],
    );
    let clock = ManualClock::new(NOW_MS);
    let html = RssSource::new(&format!("{base}/html"), "cst-intel/0.1").fetch(&client(), clock.as_ref()).await;
    assert!(matches!(html, Err(IngestError::NotApi(m)) if m.contains("HTML")));
    let garbage = RssSource::new(&format!("{base}/garbage"), "cst-intel/0.1").fetch(&client(), clock.as_ref()).await;
    assert!(matches!(garbage, Err(IngestError::NotApi(m)) if m.contains("not XML")));
}

#[tokio::test]
async fn feeds_are_paced_and_a_429_backs_off_for_at_least_retry_after() {
    let (base, server) = start().await;
    let limited = with_header(
        Canned { status: 429, content_type: "text/plain", headers: vec![], body: "slow down".into() },
        "retry-after",
        "600",
    );
    server.route(
        "/rss",
        vec![
            Canned { status: 200, content_type: "application/rss+xml", headers: vec![], body: fixture("rss2.xml") },
            limited,
        ],
    );
    let clock = ManualClock::new(NOW_MS);
    let mut src = RssSource::new(&format!("{base}/rss"), "cst-intel/0.1");
    let http = client();
    assert!(src.fetch(&http, clock.as_ref()).await.is_ok());
    assert!(
        matches!(src.fetch(&http, clock.as_ref()).await, Err(IngestError::Paced { .. })),
        "5 minutes between fetches"
    );
    clock.advance_ms(300_000);
    let Err(IngestError::RateLimited { backoff_ms }) = src.fetch(&http, clock.as_ref()).await else { panic!("429") };
    assert!((600_000..=750_000).contains(&backoff_ms), "{backoff_ms}");
    clock.advance_ms(300_000);
    assert!(matches!(src.fetch(&http, clock.as_ref()).await, Err(IngestError::BackingOff { .. })));
    assert_eq!(server.seen().len(), 2, "paced and backed-off fetches never reach the server");
}

// ---------------------------------------------------------------- Reddit

const REDDIT_UA: &str = "linux:cst-intel:0.1.0 (by /u/cst_bot)";

fn reddit(base: &str, ua: &str) -> RedditSource {
    let creds = RedditCredentials {
        client_id: "app-id".into(),
        client_secret: Secret::new("app-secret"),
        user_agent: ua.into(),
    };
    RedditSource::new(creds, RedditEndpoints { auth_base: base.into(), api_base: base.into() }, "CryptoCurrency")
}

#[tokio::test]
async fn reddit_exchanges_an_app_only_token_then_reads_new_posts() {
    let (base, server) = start().await;
    server.route("/api/v1/access_token", vec![json(200, fixture("reddit_token.json"))]);
    server.route(
        "/r/CryptoCurrency/new",
        vec![with_header(json(200, fixture("reddit_new.json")), "x-ratelimit-remaining", "99.0")],
    );
    let clock = ManualClock::new(NOW_MS);
    let mut src = reddit(&base, REDDIT_UA);
    let http = client();
    let batch = src.fetch(&http, clock.as_ref()).await.expect("listing");
    assert_eq!(batch.posts.len(), 2);
    let p = &batch.posts[0];
    assert_eq!((p.source, p.id.as_str()), (Platform::Reddit, "t3_1b2c3d5"));
    assert_eq!((p.engagement.likes, p.engagement.replies), (152, 48));
    assert_eq!(p.created_at, Timestamp::from_secs(1_710_166_800).expect("t"));
    assert_eq!(p.assets, ["ETH"]);
    assert_eq!(batch.posts[1].author, None, "[deleted] authors are not kept");
    clock.advance_ms(1_000);
    src.fetch(&http, clock.as_ref()).await.expect("second listing");
    let seen = server.seen();
    assert_eq!(seen.len(), 3, "the token is reused");
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].body, "grant_type=client_credentials");
    assert_eq!(seen[0].headers["authorization"], "Basic YXBwLWlkOmFwcC1zZWNyZXQ=");
    assert!(seen[1].headers["authorization"].starts_with("Bearer eyJ"));
    assert_eq!(seen[1].headers["user-agent"], REDDIT_UA);
    assert!(seen[2].query.contains("before=t3_1b2c3d5"));
}

#[tokio::test]
async fn reddit_user_agent_rule_is_enforced_before_any_request() {
    let (base, server) = start().await;
    let clock = ManualClock::new(NOW_MS);
    let err = reddit(&base, "python-requests/2.31").fetch(&client(), clock.as_ref()).await.expect_err("bad UA");
    assert!(matches!(err, IngestError::Tos(TosViolation::UserAgent(..))));
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn reddit_rate_limit_and_forbidden_answers_back_off() {
    let (base, server) = start().await;
    server.route("/api/v1/access_token", vec![json(200, fixture("reddit_token.json"))]);
    let limited = with_header(
        with_header(
            json(429, r#"{"message": "Too Many Requests", "error": 429}"#.into()),
            "x-ratelimit-remaining",
            "0",
        ),
        "x-ratelimit-reset",
        "42",
    );
    let forbidden = json(403, r#"{"message": "Forbidden", "error": 403}"#.into());
    server.route("/r/CryptoCurrency/new", vec![limited, forbidden]);
    let clock = ManualClock::new(NOW_MS);
    let mut src = reddit(&base, REDDIT_UA);
    let http = client();
    let Err(IngestError::RateLimited { backoff_ms }) = src.fetch(&http, clock.as_ref()).await else { panic!("429") };
    assert!((42_000..=52_500).contains(&backoff_ms), "{backoff_ms}");
    clock.advance_ms(backoff_ms);
    let Err(IngestError::Refused { status: 403, signal, backoff_ms }) = src.fetch(&http, clock.as_ref()).await else {
        panic!("403")
    };
    assert!(signal.contains("forbidden"));
    assert!(backoff_ms >= 1_800_000, "second strike of a ban signal: 30 min or more, got {backoff_ms}");
    assert_eq!(src.gate().stats.ban_signals, 1);
    assert_eq!(src.gate().stats.rate_limited, 1);
}

#[tokio::test]
async fn reddit_serving_html_is_a_ban_signal() {
    let (base, server) = start().await;
    server.route("/api/v1/access_token", vec![json(200, fixture("reddit_token.json"))]);
    server.route(
        "/r/",
        vec![Canned {
            status: 200,
            content_type: "text/html; charset=utf-8",
            headers: vec![],
            body: fixture("html_page.html"),
        }],
    );
    let clock = ManualClock::new(NOW_MS);
    let mut src = reddit(&base, REDDIT_UA);
    assert!(matches!(src.fetch(&client(), clock.as_ref()).await, Err(IngestError::Refused { .. })));
    assert_eq!(src.gate().stats.not_api, 1);
}

// ---------------------------------------------------------------- Telegram

const BOT_TOKEN: &str = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";

#[tokio::test]
async fn telegram_get_updates_reads_channel_posts_and_captions_and_advances_the_offset() {
    let (base, server) = start().await;
    server.route("/bot", vec![json(200, fixture("telegram_updates.json"))]);
    let clock = ManualClock::new(NOW_MS);
    let mut src = TelegramSource::new(&base, Secret::new(BOT_TOKEN), "cst-intel/0.1");
    let http = client();
    let batch = src.fetch(&http, clock.as_ref()).await.expect("updates");
    assert_eq!(batch.posts.len(), 2);
    assert_eq!(batch.rejected.get("update without a message"), Some(&1));
    let channel = &batch.posts[0];
    assert_eq!(channel.id, "-1001234567890:2041");
    assert_eq!(channel.url.as_deref(), Some("https://t.me/examplecryptoalerts/2041"));
    assert_eq!(channel.author.as_deref(), Some("Desk"));
    assert_eq!(channel.assets, ["XRP"]);
    assert_eq!(batch.posts[1].text, "BTC to the moon 🚀");
    clock.advance_ms(1_000);
    src.fetch(&http, clock.as_ref()).await.expect("again");
    let seen = server.seen();
    assert_eq!(seen[0].path, format!("/bot{BOT_TOKEN}/getUpdates"));
    assert!(seen[1].query.contains("offset=815000104"));
}

#[tokio::test]
async fn telegram_429_and_kicked_bot_back_off_without_leaking_the_token() {
    let (base, server) = start().await;
    server.route("/bot", vec![json(429, fixture("telegram_429.json")), json(403, fixture("telegram_403.json"))]);
    let clock = ManualClock::new(NOW_MS);
    let mut src = TelegramSource::new(&base, Secret::new(BOT_TOKEN), "cst-intel/0.1");
    let http = client();
    let Err(IngestError::RateLimited { backoff_ms }) = src.fetch(&http, clock.as_ref()).await else { panic!("429") };
    assert!((5_000..=6_250).contains(&backoff_ms), "retry_after 5 s from the body, got {backoff_ms}");
    clock.advance_ms(backoff_ms);
    let err = src.fetch(&http, clock.as_ref()).await.expect_err("403");
    assert!(matches!(&err, IngestError::Refused { status: 403, signal, .. } if signal.contains("kicked")));
    assert!(!format!("{err} {err:?}").contains("ABC-DEF"));
}

// ---------------------------------------------------------------- X

#[tokio::test]
async fn x_recent_search_keeps_english_tweets_and_counts_other_languages() {
    let (base, server) = start().await;
    server.route(
        "/2/tweets/search/recent",
        vec![with_header(json(200, fixture("x_recent.json")), "x-rate-limit-remaining", "59")],
    );
    let clock = ManualClock::new(NOW_MS);
    let mut src =
        XSource::new(&base, Secret::new("AAAA-bearer"), "(bitcoin OR $BTC) -is:retweet lang:en", "cst-intel/0.1");
    let http = client();
    let batch = src.fetch(&http, clock.as_ref()).await.expect("search");
    assert_eq!(batch.posts.len(), 1);
    assert_eq!(batch.rejected.get("unsupported language: es"), Some(&1));
    let t = &batch.posts[0];
    assert_eq!((t.engagement.likes, t.engagement.replies, t.engagement.reposts), (96, 4, 14));
    assert_eq!(t.language.as_deref(), Some("en"));
    assert_eq!(t.created_at, ts("2024-03-11T14:10:01Z"));
    assert_eq!(t.assets, ["SOL"]);
    src.fetch(&http, clock.as_ref()).await.expect("again");
    let seen = server.seen();
    assert_eq!(seen[0].headers["authorization"], "Bearer AAAA-bearer");
    assert!(seen[0].query.contains("tweet.fields=created_at%2Cauthor_id%2Cpublic_metrics%2Clang"));
    assert!(seen[1].query.contains("since_id=1767321470120300545"));
}

#[tokio::test]
async fn x_429_waits_for_the_window_reset_and_403_is_a_ban_signal() {
    let (base, server) = start().await;
    let reset_epoch = (NOW_MS / 1_000 + 900).to_string();
    let limited = with_header(
        with_header(json(429, fixture("x_429.json")), "x-rate-limit-remaining", "0"),
        "x-rate-limit-reset",
        reset_epoch,
    );
    server.route("/2/tweets/search/recent", vec![limited, json(403, fixture("x_403.json"))]);
    let clock = ManualClock::new(NOW_MS);
    let mut src = XSource::new(&base, Secret::new("AAAA-bearer"), "bitcoin", "cst-intel/0.1");
    let http = client();
    let Err(IngestError::RateLimited { backoff_ms }) = src.fetch(&http, clock.as_ref()).await else { panic!("429") };
    assert!((900_000..=1_125_000).contains(&backoff_ms), "{backoff_ms}");
    clock.advance_ms(backoff_ms);
    assert!(matches!(src.fetch(&http, clock.as_ref()).await, Err(IngestError::Refused { status: 403, .. })));
    assert!(matches!(src.fetch(&http, clock.as_ref()).await, Err(IngestError::BackingOff { .. })));
    assert_eq!(server.seen().len(), 2);
}

// ---------------------------------------------------------------- Discord

const DISCORD_UA: &str = "DiscordBot (https://example.org/cst, 0.1.0)";

#[tokio::test]
async fn discord_reads_channel_messages_as_a_bot_and_counts_empty_content() {
    let (base, server) = start().await;
    server.route("/api/v10/channels/", vec![json(200, fixture("discord_messages.json"))]);
    let clock = ManualClock::new(NOW_MS);
    let mut src = DiscordSource::new(&base, Secret::new("bot-token"), "1100000000000000001", DISCORD_UA);
    let http = client();
    let batch = src.fetch(&http, clock.as_ref()).await.expect("messages");
    assert_eq!(batch.posts.len(), 1);
    assert_eq!(batch.rejected.values().sum::<u64>(), 1);
    let m = &batch.posts[0];
    assert_eq!(m.id, "1100000000000000001:1216789012345678902");
    assert_eq!(m.engagement.likes, 5);
    assert_eq!(m.created_at, ts("2024-03-11T14:20:11.123Z"));
    assert_eq!(m.assets, ["ETH"]);
    clock.advance_ms(1_000);
    src.fetch(&http, clock.as_ref()).await.expect("again");
    let seen = server.seen();
    assert_eq!(seen[0].headers["authorization"], "Bot bot-token");
    assert_eq!(seen[0].headers["user-agent"], DISCORD_UA);
    assert!(seen[1].query.contains("after=1216789012345678902"));
}

#[tokio::test]
async fn discord_rate_limit_and_missing_access_back_off_and_self_bot_agents_are_refused() {
    let (base, server) = start().await;
    let missing_access = json(403, r#"{"message": "Missing Access", "code": 50001}"#.into());
    server.route("/api/v10/channels/", vec![json(429, fixture("discord_429.json")), missing_access]);
    let clock = ManualClock::new(NOW_MS);
    let mut src = DiscordSource::new(&base, Secret::new("bot-token"), "1", DISCORD_UA);
    let http = client();
    let Err(IngestError::RateLimited { backoff_ms }) = src.fetch(&http, clock.as_ref()).await else { panic!("429") };
    assert!((64_570..=80_713).contains(&backoff_ms), "{backoff_ms}");
    clock.advance_ms(backoff_ms);
    let Err(IngestError::Refused { status: 403, backoff_ms, .. }) = src.fetch(&http, clock.as_ref()).await else {
        panic!("403")
    };
    assert!(backoff_ms >= 1_800_000, "second strike, ban signal: at least 30 min, got {backoff_ms}");
    let mut browser = DiscordSource::new(&base, Secret::new("user-token"), "1", "Mozilla/5.0");
    let refused = browser.fetch(&http, clock.as_ref()).await;
    assert!(matches!(refused, Err(IngestError::Tos(TosViolation::UserAgent(..)))));
    assert_eq!(server.seen().len(), 2, "the self-bot request never left");
}

// ---------------------------------------------------------------- storage

#[tokio::test]
async fn jsonl_sink_stores_each_post_once_across_restarts() {
    let (base, server) = start().await;
    server.route(
        "/rss",
        vec![Canned { status: 200, content_type: "application/rss+xml", headers: vec![], body: fixture("rss2.xml") }],
    );
    let clock = ManualClock::new(NOW_MS);
    let batch =
        RssSource::new(&format!("{base}/rss"), "cst-intel/0.1").fetch(&client(), clock.as_ref()).await.expect("feed");
    let dir = std::env::temp_dir().join(format!("cst-intel-sink-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("posts.jsonl");
    let _ = std::fs::remove_file(&path);
    let mut sink = JsonlSink::open(&path).expect("open");
    assert_eq!(sink.write(&batch.posts).expect("write"), 2);
    assert_eq!(sink.write(&batch.posts).expect("write"), 0);
    drop(sink);
    let mut reopened = JsonlSink::open(&path).expect("reopen");
    assert_eq!(reopened.write(&batch.posts).expect("write"), 0);
    let stored: Vec<cst_intel::ingest::post::Post> =
        std::fs::read_to_string(&path).expect("read").lines().map(|l| serde_json::from_str(l).expect("post")).collect();
    assert_eq!(stored, batch.posts);
    // RSS posts may be kept 365 days from receipt: one day short keeps them, the day after drops them.
    let received = batch.posts[0].received_at;
    assert_eq!(JsonlSink::enforce_retention(&path, received.add_secs(364 * 86_400)).expect("retain"), 0);
    assert_eq!(JsonlSink::enforce_retention(&path, received.add_secs(365 * 86_400)).expect("retain"), 2);
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "");
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
