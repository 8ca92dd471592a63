//! Reddit through its official OAuth API, app-only (`client_credentials`): token from
//! `www.reddit.com/api/v1/access_token`, listings from `oauth.reddit.com/r/<sub>/new`, a User-Agent
//! in Reddit's required format, and the 100-queries-per-minute limit enforced by the gate.

use super::Batch;
use crate::clock::Clock;
use crate::ingest::exchange::{Auth, Method, Request, exchange};
use crate::ingest::gate::{Gate, IngestError};
use crate::ingest::post::{Engagement, Platform, RawPost};
use crate::secret::Secret;
use cst_core::time::Timestamp;
use serde::Deserialize;

/// Reddit app credentials.
#[derive(Debug, Clone)]
pub struct RedditCredentials {
    /// The app's client id.
    pub client_id: String,
    /// The app's secret.
    pub client_secret: Secret,
    /// `<platform>:<app id>:<version> (by /u/<username>)`.
    pub user_agent: String,
}

/// Endpoints (overridable for tests and proxies).
#[derive(Debug, Clone)]
pub struct RedditEndpoints {
    /// Token endpoint base, normally `https://www.reddit.com`.
    pub auth_base: String,
    /// API base, normally `https://oauth.reddit.com`.
    pub api_base: String,
}

impl Default for RedditEndpoints {
    fn default() -> Self {
        Self { auth_base: "https://www.reddit.com".into(), api_base: "https://oauth.reddit.com".into() }
    }
}

/// New posts of one subreddit.
#[derive(Debug)]
pub struct RedditSource {
    creds: RedditCredentials,
    endpoints: RedditEndpoints,
    subreddit: String,
    token: Option<(Secret, i64)>,
    newest: Option<String>,
    gate: Gate,
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    expires_in: i64,
}

#[derive(Deserialize)]
struct Listing {
    data: ListingData,
}

#[derive(Deserialize)]
struct ListingData {
    children: Vec<Thing>,
}

#[derive(Deserialize)]
struct Thing {
    data: Link,
}

#[derive(Deserialize)]
struct Link {
    name: String,
    title: String,
    #[serde(default)]
    selftext: String,
    author: Option<String>,
    created_utc: f64,
    permalink: String,
    #[serde(default)]
    score: i64,
    #[serde(default)]
    num_comments: u64,
}

impl RedditSource {
    /// A source for `/r/<subreddit>/new`.
    pub fn new(creds: RedditCredentials, endpoints: RedditEndpoints, subreddit: &str) -> Self {
        Self {
            creds,
            endpoints,
            subreddit: subreddit.into(),
            token: None,
            newest: None,
            gate: Gate::new(Platform::Reddit),
        }
    }

    /// The gate (for its counters).
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    async fn token(&mut self, http: &reqwest::Client, clock: &dyn Clock) -> Result<Secret, IngestError> {
        if let Some((token, expires_ms)) = &self.token
            && clock.now_ms() < *expires_ms
        {
            return Ok(token.clone());
        }
        let url = format!("{}/api/v1/access_token", self.endpoints.auth_base);
        let form = [("grant_type", "client_credentials")];
        let req = Request {
            method: Method::PostForm(&form),
            url: &url,
            auth: Auth::Basic(&self.creds.client_id, &self.creds.client_secret),
            user_agent: &self.creds.user_agent,
        };
        let facts = exchange(http, &mut self.gate, clock, req).await?;
        let reply: TokenReply = serde_json::from_str(&facts.body)
            .map_err(|_| IngestError::Credentials("token reply without access_token".into()))?;
        // Renew a minute early so a request never goes out with a token that expires in flight.
        let token = Secret::new(reply.access_token);
        self.token = Some((token.clone(), clock.now_ms() + (reply.expires_in - 60).max(0) * 1_000));
        Ok(token)
    }

    /// Fetches posts newer than the last fetch.
    pub async fn fetch(&mut self, http: &reqwest::Client, clock: &dyn Clock) -> Result<Batch, IngestError> {
        let token = self.token(http, clock).await?;
        let mut url = format!("{}/r/{}/new?limit=100&raw_json=1", self.endpoints.api_base, self.subreddit);
        if let Some(before) = &self.newest {
            url.push_str(&format!("&before={before}"));
        }
        let req =
            Request { method: Method::Get, url: &url, auth: Auth::Bearer(&token), user_agent: &self.creds.user_agent };
        let facts = exchange(http, &mut self.gate, clock, req).await?;
        let listing: Listing = serde_json::from_str(&facts.body).map_err(|e| IngestError::Shape(e.to_string()))?;
        if let Some(first) = listing.data.children.first() {
            self.newest = Some(first.data.name.clone());
        }
        let received = Timestamp::from_nanos(clock.now_ms() * 1_000_000);
        let items = listing.data.children.into_iter().map(|t| raw_link(t.data)).collect();
        Ok(Batch::from_raw(Platform::Reddit, items, received))
    }
}

fn raw_link(l: Link) -> RawPost {
    let text = if l.selftext.trim().is_empty() { l.title } else { format!("{}\n{}", l.title, l.selftext) };
    RawPost {
        id: l.name,
        author: l.author.filter(|a| a != "[deleted]"),
        created_at: Some(Timestamp::from_nanos((l.created_utc * 1e9) as i64)),
        text,
        url: Some(format!("https://www.reddit.com{}", l.permalink)),
        engagement: Engagement { likes: l.score.max(0) as u64, replies: l.num_comments, reposts: 0 },
        language: None,
    }
}
