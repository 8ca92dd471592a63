//! Minimal OpenAI-compatible chat-completions client: one system and one user message, JSON answer
//! requested, temperature 0, token usage read from the `usage` field.

use crate::secret::Secret;
use serde::Deserialize;
use serde_json::json;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// No answer within the timeout.
    #[error("timeout")]
    Timeout,
    /// HTTP 5xx.
    #[error("server error {0}")]
    Server(u16),
    /// HTTP 429.
    #[error("rate limited by the API")]
    RateLimited,
    /// Other HTTP 4xx (bad key, bad model).
    #[error("client error {0}")]
    Client(u16),
    /// Connection failures.
    #[error("transport: {0}")]
    Transport(String),
    /// 200 with a body that is not a chat-completions envelope.
    #[error("malformed response envelope: {0}")]
    Envelope(String),
}

impl CallError {
    /// Whether the failure says the service is unhealthy (counts toward the circuit breaker).
    pub fn trips_breaker(&self) -> bool {
        matches!(self, CallError::Timeout | CallError::Server(_) | CallError::RateLimited | CallError::Transport(_))
    }

    /// A short metric label.
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::Timeout => "timeout",
            CallError::Server(_) => "server_error",
            CallError::RateLimited => "rate_limited",
            CallError::Client(_) => "client_error",
            CallError::Transport(_) => "transport",
            CallError::Envelope(_) => "envelope",
        }
    }
}

/// The model's answer and the tokens billed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatAnswer {
    /// The message content (expected to be JSON).
    pub content: String,
    /// Prompt tokens from `usage`.
    pub prompt_tokens: u64,
    /// Completion tokens from `usage`.
    pub completion_tokens: u64,
}

#[derive(Deserialize)]
struct Envelope {
    choices: Vec<Choice>,
    usage: Usage,
}

#[derive(Deserialize)]
struct Choice {
    message: Message,
}

#[derive(Deserialize)]
struct Message {
    content: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    prompt_tokens: u64,
    completion_tokens: u64,
}

/// The chat-completions client.
#[derive(Debug, Clone)]
pub struct ChatClient {
    http: reqwest::Client,
    url: String,
    model: String,
    api_key: Option<Secret>,
}

impl ChatClient {
    /// A client for `{base_url}/chat/completions`.
    pub fn new(http: reqwest::Client, base_url: &str, model: &str, api_key: Option<Secret>) -> Self {
        let url = format!("{}/chat/completions", base_url.trim_end_matches('/'));
        Self { http, url, model: model.to_string(), api_key }
    }

    /// The model name.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Sends one request.
    pub async fn complete(&self, system: &str, user: &str, max_tokens: u32) -> Result<ChatAnswer, CallError> {
        let body = json!({
            "model": self.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "temperature": 0,
            "max_tokens": max_tokens,
            "response_format": {"type": "json_object"},
        });
        let mut req = self.http.post(&self.url).json(&body);
        if let Some(key) = &self.api_key {
            req = req.bearer_auth(key.expose());
        }
        let resp = req.send().await.map_err(transport_error)?;
        let status = resp.status().as_u16();
        match status {
            200..=299 => {}
            429 => return Err(CallError::RateLimited),
            500..=599 => return Err(CallError::Server(status)),
            _ => return Err(CallError::Client(status)),
        }
        let envelope: Envelope = resp
            .json()
            .await
            .map_err(|e| if e.is_timeout() { CallError::Timeout } else { CallError::Envelope(e.to_string()) })?;
        let content = envelope.choices.into_iter().next().and_then(|c| c.message.content);
        let content = content.ok_or_else(|| CallError::Envelope("no choices[0].message.content".into()))?;
        Ok(ChatAnswer {
            content,
            prompt_tokens: envelope.usage.prompt_tokens,
            completion_tokens: envelope.usage.completion_tokens,
        })
    }
}

fn transport_error(e: reqwest::Error) -> CallError {
    if e.is_timeout() {
        CallError::Timeout
    } else {
        // Without the URL: query strings may carry tokens on some platforms.
        CallError::Transport(e.without_url().to_string())
    }
}
