//! Telegram through the Bot API `getUpdates` (channels and groups the bot was added to). The token
//! is part of the URL path, so URLs never reach errors or logs.

use super::Batch;
use crate::clock::Clock;
use crate::ingest::exchange::{Auth, Method, Request, exchange};
use crate::ingest::gate::{Gate, IngestError};
use crate::ingest::post::{Platform, RawPost};
use crate::secret::Secret;
use cst_core::time::Timestamp;
use serde::Deserialize;

/// Bot updates.
#[derive(Debug)]
pub struct TelegramSource {
    base_url: String,
    token: Secret,
    user_agent: String,
    offset: i64,
    gate: Gate,
}

#[derive(Deserialize)]
struct Reply {
    ok: bool,
    #[serde(default)]
    result: Vec<Update>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct Update {
    update_id: i64,
    channel_post: Option<Message>,
    message: Option<Message>,
}

#[derive(Deserialize)]
struct Message {
    message_id: i64,
    date: i64,
    chat: Chat,
    text: Option<String>,
    caption: Option<String>,
    author_signature: Option<String>,
    from: Option<User>,
}

#[derive(Deserialize)]
struct Chat {
    id: i64,
    username: Option<String>,
}

#[derive(Deserialize)]
struct User {
    username: Option<String>,
}

impl TelegramSource {
    /// A source on `base_url` (normally `https://api.telegram.org`).
    pub fn new(base_url: &str, token: Secret, user_agent: &str) -> Self {
        Self {
            base_url: base_url.into(),
            token,
            user_agent: user_agent.into(),
            offset: 0,
            gate: Gate::new(Platform::Telegram),
        }
    }

    /// The gate (for its counters).
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// Fetches updates after the last confirmed one.
    pub async fn fetch(&mut self, http: &reqwest::Client, clock: &dyn Clock) -> Result<Batch, IngestError> {
        let url = format!(
            "{}/bot{}/getUpdates?offset={}&timeout=0&allowed_updates=%5B%22channel_post%22%2C%22message%22%5D",
            self.base_url,
            self.token.expose(),
            self.offset
        );
        let req = Request { method: Method::Get, url: &url, auth: Auth::InPath, user_agent: &self.user_agent };
        let facts = exchange(http, &mut self.gate, clock, req).await?;
        let reply: Reply = serde_json::from_str(&facts.body).map_err(|e| IngestError::Shape(e.to_string()))?;
        if !reply.ok {
            return Err(IngestError::Shape(reply.description.unwrap_or_else(|| "ok=false".into())));
        }
        let received = Timestamp::from_nanos(clock.now_ms() * 1_000_000);
        let mut items = Vec::new();
        let mut skipped = 0;
        for update in reply.result {
            self.offset = self.offset.max(update.update_id + 1);
            match update.channel_post.or(update.message) {
                Some(m) => items.push(raw_message(m)),
                None => skipped += 1,
            }
        }
        let mut batch = Batch::from_raw(Platform::Telegram, items, received);
        for _ in 0..skipped {
            batch.reject("update without a message");
        }
        Ok(batch)
    }
}

fn raw_message(m: Message) -> RawPost {
    let url = m.chat.username.as_ref().map(|u| format!("https://t.me/{u}/{}", m.message_id));
    RawPost {
        id: format!("{}:{}", m.chat.id, m.message_id),
        author: m.author_signature.or_else(|| m.from.and_then(|f| f.username)).or(m.chat.username),
        created_at: Timestamp::from_secs(m.date).ok(),
        text: m.text.or(m.caption).unwrap_or_default(),
        url,
        ..Default::default()
    }
}
