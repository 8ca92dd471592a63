//! One HTTP exchange through a gate: rules and pacing before, status, rate headers and retry hints
//! after. The URL never reaches errors or logs (Telegram carries its token in the path).

use super::gate::{Gate, IngestError, ResponseFacts};
use super::tos::PlannedRequest;
use crate::clock::Clock;
use crate::secret::Secret;

/// How a request authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// No credentials (public feeds).
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(&'a Secret),
    /// `Authorization: Bot <token>` (Discord).
    Bot(&'a Secret),
    /// HTTP Basic (Reddit's token exchange).
    Basic(&'a str, &'a Secret),
    /// The token is part of the URL path (Telegram Bot API).
    InPath,
}

/// The request method.
#[derive(Debug, Clone, Copy)]
pub enum Method<'a> {
    /// GET.
    Get,
    /// POST with an urlencoded form.
    PostForm(&'a [(&'a str, &'a str)]),
}

/// One request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Method.
    pub method: Method<'a>,
    /// URL.
    pub url: &'a str,
    /// Credentials.
    pub auth: Auth<'a>,
    /// User-Agent header.
    pub user_agent: &'a str,
}

/// Sends one request through the gate and returns the classified response.
pub async fn exchange(
    http: &reqwest::Client,
    gate: &mut Gate,
    clock: &dyn Clock,
    req: Request<'_>,
) -> Result<ResponseFacts, IngestError> {
    let has_auth = !matches!(req.auth, Auth::None);
    gate.before(clock.now_ms(), &PlannedRequest { url: req.url, has_auth, user_agent: req.user_agent })?;
    let mut builder = match req.method {
        Method::Get => http.get(req.url),
        Method::PostForm(form) => http.post(req.url).form(form),
    };
    builder = builder.header(reqwest::header::USER_AGENT, req.user_agent);
    builder = match req.auth {
        Auth::Bearer(token) => builder.bearer_auth(token.expose()),
        Auth::Bot(token) => builder.header(reqwest::header::AUTHORIZATION, format!("Bot {}", token.expose())),
        Auth::Basic(user, secret) => builder.basic_auth(user, Some(secret.expose())),
        Auth::None | Auth::InPath => builder,
    };
    let response = builder.send().await.map_err(|e| IngestError::Transport(e.without_url().to_string()))?;
    let facts = facts(response, clock.now_ms()).await?;
    gate.after(clock.now_ms(), &facts)?;
    Ok(facts)
}

async fn facts(response: reqwest::Response, now_ms: i64) -> Result<ResponseFacts, IngestError> {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).map(str::to_string);
    let number = |name: &str| header(name).and_then(|v| v.parse::<f64>().ok());
    let content_type = header("content-type").unwrap_or_default().to_ascii_lowercase();
    let remaining = number("x-ratelimit-remaining").or_else(|| number("x-rate-limit-remaining")).map(|v| v as u64);
    // X reports an epoch second; Reddit and Discord report seconds from now.
    let reset_after_secs = number("x-ratelimit-reset-after")
        .or_else(|| number("x-ratelimit-reset"))
        .or_else(|| number("x-rate-limit-reset").map(|epoch| epoch - now_ms as f64 / 1_000.0));
    let body = response.text().await.map_err(|e| IngestError::Transport(e.without_url().to_string()))?;
    let retry_after_secs = number("retry-after").or_else(|| body_retry_hint(&body));
    Ok(ResponseFacts { status, content_type, retry_after_secs, remaining, reset_after_secs, body })
}

/// Discord (`retry_after`) and Telegram (`parameters.retry_after`) put the hint in the JSON body.
fn body_retry_hint(body: &str) -> Option<f64> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    v.get("retry_after").or_else(|| v.get("parameters").and_then(|p| p.get("retry_after"))).and_then(|r| r.as_f64())
}
