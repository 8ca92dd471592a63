//! The REST transport: one `reqwest` client, signing, the rate limiter, retries for idempotent
//! calls and one circuit breaker per endpoint group. Endpoint modules build parameters and
//! parse results; everything about *how* a call is made lives here.

use super::resilience::{BreakerConfig, Breakers, EndpointGroup, RetryPolicy};
use crate::error::{KrakenError, RestError};
use crate::ratelimit::{CallKind, LimiterConfig, RateLimiter, Tier, rest_call_cost};
use crate::sign::Credentials;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Kraken's production REST root.
pub const KRAKEN_REST_URL: &str = "https://api.kraken.com";

/// Client settings.
#[derive(Debug, Clone)]
pub struct RestConfig {
    /// Root URL without a trailing slash (`https://api.kraken.com`, or a local replay server).
    pub base_url: String,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries of idempotent requests.
    pub retry: RetryPolicy,
    /// Rate limits (the account's tier).
    pub limits: LimiterConfig,
    /// Circuit breakers.
    pub breaker: BreakerConfig,
}

impl Default for RestConfig {
    fn default() -> Self {
        RestConfig {
            base_url: KRAKEN_REST_URL.to_string(),
            timeout: Duration::from_secs(15),
            retry: RetryPolicy::default(),
            limits: LimiterConfig::for_tier(Tier::Starter),
            breaker: BreakerConfig::default(),
        }
    }
}

/// Whether a request may be sent twice with the same effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Reads, cancels, dead-man switch: safe to repeat.
    Idempotent,
    /// AddOrder: a repeat could place a second order.
    NotIdempotent,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default)]
    error: Vec<String>,
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
}

/// A Kraken REST client (public and, with credentials, private endpoints).
#[derive(Debug)]
pub struct RestClient {
    http: reqwest::Client,
    config: RestConfig,
    credentials: Option<Credentials>,
    limiter: Arc<RateLimiter>,
    breakers: Mutex<Breakers>,
    origin: tokio::time::Instant,
}

fn install_crypto_provider() {
    // reqwest is built without a default provider; rustls needs one process-wide (ring: no C build).
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl RestClient {
    /// A client; without credentials only public endpoints work.
    pub fn new(config: RestConfig, credentials: Option<Credentials>) -> Result<Self, RestError> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("cst/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RestError::Transport(e.to_string()))?;
        // Private calls count per API key, so clients of one key share a limiter; a public-only
        // client gets its own.
        let limiter = match &credentials {
            Some(c) => RateLimiter::shared_for_key(c.api_key(), config.limits),
            None => Arc::new(RateLimiter::new(config.limits)),
        };
        let breakers = Mutex::new(Breakers::new(config.breaker));
        Ok(RestClient { http, config, credentials, limiter, breakers, origin: tokio::time::Instant::now() })
    }

    /// The rate limiter (its snapshot gives the current counter values).
    pub fn limiter(&self) -> &Arc<RateLimiter> {
        &self.limiter
    }

    /// The client settings.
    pub fn config(&self) -> &RestConfig {
        &self.config
    }

    /// The state of a group's circuit breaker.
    pub fn breaker_state(&self, group: EndpointGroup) -> super::resilience::BreakerState {
        self.lock_breakers().get(group).state().clone()
    }

    fn lock_breakers(&self) -> std::sync::MutexGuard<'_, Breakers> {
        self.breakers.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn now_ns(&self) -> i64 {
        self.origin.elapsed().as_nanos() as i64
    }

    /// GETs a public endpoint (`/0/public/<endpoint>`) and returns the response body.
    pub async fn public(&self, endpoint: &str, query: &[(&str, String)]) -> Result<String, RestError> {
        let mut url = format!("{}/0/public/{endpoint}", self.config.base_url);
        if !query.is_empty() {
            let mut q = form_urlencoded::Serializer::new(String::new());
            for (k, v) in query {
                q.append_pair(k, v);
            }
            url.push('?');
            url.push_str(&q.finish());
        }
        self.call(EndpointGroup::Public, endpoint, CallKind::Public, Idempotency::Idempotent, None, || {
            Ok(self.http.get(&url))
        })
        .await
    }

    /// POSTs a signed private endpoint (`/0/private/<endpoint>`) and returns the response body.
    pub async fn private(
        &self,
        group: EndpointGroup,
        endpoint: &str,
        params: &[(&str, String)],
        idempotency: Idempotency,
    ) -> Result<String, RestError> {
        let creds = self.credentials.as_ref().ok_or_else(|| RestError::Credentials("no API key configured".into()))?;
        let path = format!("/0/private/{endpoint}");
        let url = format!("{}{path}", self.config.base_url);
        let kind = CallKind::Private(rest_call_cost(endpoint));
        self.call(group, endpoint, kind, idempotency, Some(creds.nonce_source().send_lock()), || {
            // A fresh nonce per attempt: a retried request must not reuse the old one.
            let nonce = creds.nonce_source().next().to_string();
            let body = form_body(&nonce, params);
            let sign = creds.sign(&path, &nonce, &body).map_err(|e| RestError::Credentials(e.to_string()))?;
            Ok(self
                .http
                .post(&url)
                .header("API-Key", creds.api_key())
                .header("API-Sign", sign)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body))
        })
        .await
    }

    async fn call<F>(
        &self,
        group: EndpointGroup,
        endpoint: &str,
        kind: CallKind,
        idempotency: Idempotency,
        order_lock: Option<&tokio::sync::Mutex<()>>,
        build: F,
    ) -> Result<String, RestError>
    where
        F: Fn() -> Result<reqwest::RequestBuilder, RestError>,
    {
        let mut attempt = 0u32;
        loop {
            self.check_breaker(group)?;
            self.limiter.acquire_call(kind).await;
            let result = match order_lock {
                Some(lock) => {
                    let _in_order = lock.lock().await;
                    self.send_once(build()?, endpoint).await
                }
                None => self.send_once(build()?, endpoint).await,
            };
            self.record(group, kind, &result);
            let err = match result {
                Ok(body) => return Ok(body),
                Err(e) => e,
            };
            attempt += 1;
            let may_retry = idempotency == Idempotency::Idempotent && err.is_retryable();
            if !may_retry || attempt >= self.config.retry.max_attempts {
                return Err(err);
            }
            let delay = self.retry_delay(&err, attempt - 1);
            tracing::warn!(endpoint, attempt, delay_ms = delay.as_millis() as u64, error = %err, "retrying Kraken call");
            tokio::time::sleep(delay).await;
        }
    }

    fn retry_delay(&self, err: &RestError, retry: u32) -> Duration {
        let backoff = self.config.retry.delay(retry, fastrand::f64());
        let throttle = err.throttled_until_secs().map(|until| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            Duration::from_secs(u64::try_from(until).unwrap_or(0)).saturating_sub(now)
        });
        backoff.max(throttle.unwrap_or_default())
    }

    fn check_breaker(&self, group: EndpointGroup) -> Result<(), RestError> {
        let now = self.now_ns();
        self.lock_breakers()
            .get_mut(group)
            .allow(now)
            .map_err(|reason| RestError::CircuitOpen { group: group.name(), reason })
    }

    fn record(&self, group: EndpointGroup, kind: CallKind, result: &Result<String, RestError>) {
        let now = self.now_ns();
        let mut breakers = self.lock_breakers();
        let breaker = breakers.get_mut(group);
        match result {
            Err(e) if e.is_rate_limit() => {
                self.limiter.on_rate_limit_error(kind);
                breaker.on_success();
            }
            Err(e) if is_service_failure(e) => breaker.on_failure(now, &e.to_string()),
            _ => breaker.on_success(),
        }
    }

    async fn send_once(&self, request: reqwest::RequestBuilder, endpoint: &str) -> Result<String, RestError> {
        let response = request.send().await.map_err(|e| RestError::Transport(e.without_url().to_string()))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| RestError::Transport(e.without_url().to_string()))?;
        check_envelope(endpoint, status.as_u16(), &body)?;
        Ok(body)
    }
}

fn is_service_failure(e: &RestError) -> bool {
    match e {
        RestError::Transport(_) => true,
        RestError::Status { status } => *status >= 500,
        RestError::Kraken(errors) => errors.iter().any(|k| {
            matches!(
                k,
                KrakenError::ServiceUnavailable
                    | KrakenError::ServiceBusy
                    | KrakenError::InternalError
                    | KrakenError::Throttled { .. }
            )
        }),
        _ => false,
    }
}

/// `nonce=<n>&k=v...`, the exact text that is signed and sent.
pub fn form_body(nonce: &str, params: &[(&str, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("nonce", nonce);
    for (k, v) in params {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Endpoints whose replies carry a secret (the WebSocket token): never quoted in errors or logs.
const SECRET_BEARING_ENDPOINTS: [&str; 1] = ["GetWebSocketsToken"];

fn snippet(endpoint: &str, body: &str) -> String {
    if SECRET_BEARING_ENDPOINTS.contains(&endpoint) {
        return "<redacted>".to_string();
    }
    body.chars().take(200).collect()
}

/// Checks Kraken's `{"error": [...], "result": ...}` envelope; `E...` strings are errors,
/// `W...` strings are warnings (logged, not fatal).
pub fn check_envelope(endpoint: &str, status: u16, body: &str) -> Result<(), RestError> {
    let envelope: Envelope<'_> = match serde_json::from_str(body) {
        Ok(e) => e,
        Err(_) if !(200..300).contains(&status) => return Err(RestError::Status { status }),
        Err(e) => {
            return Err(RestError::Decode {
                endpoint: endpoint.into(),
                reason: e.to_string(),
                snippet: snippet(endpoint, body),
            });
        }
    };
    let errors: Vec<KrakenError> =
        envelope.error.iter().filter(|e| !e.starts_with('W')).map(|e| KrakenError::parse(e)).collect();
    for warning in envelope.error.iter().filter(|e| e.starts_with('W')) {
        tracing::warn!(endpoint, warning = %warning, "Kraken warning");
    }
    if !errors.is_empty() {
        return Err(RestError::Kraken(errors));
    }
    if !(200..300).contains(&status) {
        return Err(RestError::Status { status });
    }
    if envelope.result.is_none() {
        return Err(RestError::Decode {
            endpoint: endpoint.into(),
            reason: "no result".into(),
            snippet: snippet(endpoint, body),
        });
    }
    Ok(())
}

#[derive(Deserialize)]
struct TypedEnvelope<T> {
    #[serde(default)]
    error: Vec<String>,
    result: Option<T>,
}

/// Parses the `result` of a body into `T` in one pass (errors in the body are reported too).
pub fn parse_result<'a, T: Deserialize<'a>>(endpoint: &str, body: &'a str) -> Result<T, RestError> {
    let envelope: TypedEnvelope<T> = serde_json::from_str(body).map_err(|e| decode_error(endpoint, body, e))?;
    let errors: Vec<KrakenError> =
        envelope.error.iter().filter(|e| !e.starts_with('W')).map(|e| KrakenError::parse(e)).collect();
    if !errors.is_empty() {
        return Err(RestError::Kraken(errors));
    }
    envelope.result.ok_or_else(|| RestError::Decode {
        endpoint: endpoint.into(),
        reason: "no result".into(),
        snippet: snippet(endpoint, body),
    })
}

/// A decode failure with the start of the offending body.
pub fn decode_error(endpoint: &str, body: &str, e: impl std::fmt::Display) -> RestError {
    RestError::Decode { endpoint: endpoint.into(), reason: e.to_string(), snippet: snippet(endpoint, body) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_body_starts_with_the_nonce_and_encodes_values() {
        let body = form_body("1616492376594", &[("ordertype", "limit".into()), ("cl_ord_id", "a b/c".into())]);
        assert_eq!(body, "nonce=1616492376594&ordertype=limit&cl_ord_id=a+b%2Fc");
    }

    #[test]
    fn envelope_errors_become_typed_and_warnings_do_not_fail() {
        let e = check_envelope("Balance", 200, r#"{"error":["EAPI:Invalid nonce"]}"#).expect_err("error");
        assert!(matches!(e, RestError::Kraken(ref v) if v == &[KrakenError::InvalidNonce]));
        assert!(check_envelope("Time", 200, r#"{"error":["WGeneral:Something"],"result":{}}"#).is_ok());
        assert!(matches!(
            check_envelope("Time", 502, "<html>bad gateway</html>"),
            Err(RestError::Status { status: 502 })
        ));
        assert!(matches!(check_envelope("Time", 200, "{not json"), Err(RestError::Decode { .. })));
    }

    #[test]
    fn a_garbled_token_reply_is_never_quoted() {
        let body = r#"{"error":[],"result":{"token":"1Dwc4lzSwNWOAwkMdqhssNNFhs1ed606d1WcF3XfEMw","expires":"#;
        let err = check_envelope("GetWebSocketsToken", 200, body).expect_err("garbled");
        assert!(!err.to_string().contains("1Dwc4"), "{err}");
        let err = decode_error("GetWebSocketsToken", body, "bad");
        assert!(!err.to_string().contains("1Dwc4"), "{err}");
    }
}
