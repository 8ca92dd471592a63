//! Discord channel messages through the bot API (`GET /channels/{id}/messages`, `Authorization: Bot`),
//! with the `DiscordBot (url, version)` User-Agent Discord requires. Empty content usually means the
//! bot lacks the message-content intent; such messages are counted, not stored.

use super::Batch;
use crate::clock::Clock;
use crate::ingest::exchange::{Auth, Method, Request, exchange};
use crate::ingest::gate::{Gate, IngestError};
use crate::ingest::post::{Engagement, Platform, RawPost};
use crate::secret::Secret;
use cst_core::time::Timestamp;
use serde::Deserialize;

/// Messages of one channel.
#[derive(Debug)]
pub struct DiscordSource {
    base_url: String,
    token: Secret,
    channel_id: String,
    user_agent: String,
    after: Option<u64>,
    gate: Gate,
}

#[derive(Deserialize)]
struct Message {
    id: String,
    author: Option<Author>,
    #[serde(default)]
    content: String,
    timestamp: String,
    #[serde(default)]
    reactions: Vec<Reaction>,
}

#[derive(Deserialize)]
struct Author {
    username: String,
}

#[derive(Deserialize)]
struct Reaction {
    count: u64,
}

impl DiscordSource {
    /// A source for a channel on `base_url` (normally `https://discord.com`).
    pub fn new(base_url: &str, token: Secret, channel_id: &str, user_agent: &str) -> Self {
        Self {
            base_url: base_url.into(),
            token,
            channel_id: channel_id.into(),
            user_agent: user_agent.into(),
            after: None,
            gate: Gate::new(Platform::Discord),
        }
    }

    /// The gate (for its counters).
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// Fetches messages after the newest one seen.
    pub async fn fetch(&mut self, http: &reqwest::Client, clock: &dyn Clock) -> Result<Batch, IngestError> {
        let mut url = format!("{}/api/v10/channels/{}/messages?limit=100", self.base_url, self.channel_id);
        if let Some(after) = self.after {
            url.push_str(&format!("&after={after}"));
        }
        let req =
            Request { method: Method::Get, url: &url, auth: Auth::Bot(&self.token), user_agent: &self.user_agent };
        let facts = exchange(http, &mut self.gate, clock, req).await?;
        let messages: Vec<Message> =
            serde_json::from_str(&facts.body).map_err(|e| IngestError::Shape(e.to_string()))?;
        let received = Timestamp::from_nanos(clock.now_ms() * 1_000_000);
        let mut empty = 0;
        let mut items = Vec::new();
        for m in messages {
            if let Ok(snowflake) = m.id.parse::<u64>() {
                self.after = Some(self.after.map_or(snowflake, |a| a.max(snowflake)));
            }
            if m.content.trim().is_empty() {
                empty += 1;
                continue;
            }
            items.push(self.raw_message(m));
        }
        let mut batch = Batch::from_raw(Platform::Discord, items, received);
        for _ in 0..empty {
            batch.reject("empty content (bot lacks the message content intent, or an embed-only message)");
        }
        Ok(batch)
    }

    fn raw_message(&self, m: Message) -> RawPost {
        RawPost {
            id: format!("{}:{}", self.channel_id, m.id),
            author: m.author.map(|a| a.username),
            created_at: Timestamp::parse(&m.timestamp).ok(),
            text: m.content,
            url: None,
            engagement: Engagement { likes: m.reactions.iter().map(|r| r.count).sum(), replies: 0, reposts: 0 },
            language: None,
        }
    }
}
