//! X (Twitter) API v2 recent search with the user's bearer token; `since_id` keeps fetches
//! incremental. The platform's `lang` field is kept and non-English tweets are refused by `Post`.

use super::Batch;
use crate::clock::Clock;
use crate::ingest::exchange::{Auth, Method, Request, exchange};
use crate::ingest::gate::{Gate, IngestError};
use crate::ingest::post::{Engagement, Platform, RawPost};
use crate::secret::Secret;
use cst_core::time::Timestamp;
use serde::Deserialize;

/// Recent search for one query.
#[derive(Debug)]
pub struct XSource {
    base_url: String,
    bearer: Secret,
    query: String,
    user_agent: String,
    since_id: Option<String>,
    gate: Gate,
}

#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    data: Vec<Tweet>,
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct Meta {
    newest_id: Option<String>,
}

#[derive(Deserialize)]
struct Tweet {
    id: String,
    text: String,
    author_id: Option<String>,
    created_at: Option<String>,
    lang: Option<String>,
    public_metrics: Option<Metrics>,
}

#[derive(Deserialize)]
struct Metrics {
    #[serde(default)]
    retweet_count: u64,
    #[serde(default)]
    reply_count: u64,
    #[serde(default)]
    like_count: u64,
    #[serde(default)]
    quote_count: u64,
}

impl XSource {
    /// A search for `query` on `base_url` (normally `https://api.x.com`).
    pub fn new(base_url: &str, bearer: Secret, query: &str, user_agent: &str) -> Self {
        Self {
            base_url: base_url.into(),
            bearer,
            query: query.into(),
            user_agent: user_agent.into(),
            since_id: None,
            gate: Gate::new(Platform::X),
        }
    }

    /// The gate (for its counters).
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// Fetches tweets newer than the last fetch.
    pub async fn fetch(&mut self, http: &reqwest::Client, clock: &dyn Clock) -> Result<Batch, IngestError> {
        let mut url = reqwest::Url::parse(&format!("{}/2/tweets/search/recent", self.base_url))
            .map_err(|_| IngestError::Shape("bad base URL".into()))?;
        url.query_pairs_mut()
            .append_pair("query", &self.query)
            .append_pair("max_results", "100")
            .append_pair("tweet.fields", "created_at,author_id,public_metrics,lang");
        if let Some(id) = &self.since_id {
            url.query_pairs_mut().append_pair("since_id", id);
        }
        let req = Request {
            method: Method::Get,
            url: url.as_str(),
            auth: Auth::Bearer(&self.bearer),
            user_agent: &self.user_agent,
        };
        let facts = exchange(http, &mut self.gate, clock, req).await?;
        let reply: Reply = serde_json::from_str(&facts.body).map_err(|e| IngestError::Shape(e.to_string()))?;
        if let Some(newest) = reply.meta.and_then(|m| m.newest_id) {
            self.since_id = Some(newest);
        }
        let received = Timestamp::from_nanos(clock.now_ms() * 1_000_000);
        let items = reply.data.into_iter().map(raw_tweet).collect();
        Ok(Batch::from_raw(Platform::X, items, received))
    }
}

fn raw_tweet(t: Tweet) -> RawPost {
    let m = t.public_metrics.unwrap_or(Metrics { retweet_count: 0, reply_count: 0, like_count: 0, quote_count: 0 });
    RawPost {
        url: Some(format!("https://x.com/i/web/status/{}", t.id)),
        id: t.id,
        author: t.author_id,
        created_at: t.created_at.and_then(|c| Timestamp::parse(&c).ok()),
        text: t.text,
        engagement: Engagement {
            likes: m.like_count,
            replies: m.reply_count,
            reposts: m.retweet_count + m.quote_count,
        },
        language: t.lang,
    }
}
