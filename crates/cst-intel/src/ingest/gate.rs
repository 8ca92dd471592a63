//! The gate every ingestion request passes: the platform's TOS rules and pacing before sending, and
//! ban protection after: 429, 401/403, 5xx and HTML-instead-of-API answers back the source off
//! exponentially with jitter, honouring the platform's own retry hints.

use super::post::Platform;
use super::tos::{PlannedRequest, TosRule, TosViolation, rule};
use crate::llm::rate_limit::RateLimiter;
use serde::Serialize;

const RATE_LIMIT_BASE_MS: i64 = 1_000;
const RATE_LIMIT_CAP_MS: i64 = 3_600_000;
const BAN_BASE_MS: i64 = 900_000;
const BAN_CAP_MS: i64 = 86_400_000;
const SERVER_CAP_MS: i64 = 300_000;

/// Why an ingestion request failed or was not sent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IngestError {
    /// Refused by the TOS rules.
    #[error("{0}")]
    Tos(#[from] TosViolation),
    /// Our pacing says wait.
    #[error("paced: retry in {retry_after_ms} ms")]
    Paced {
        /// Wait.
        retry_after_ms: i64,
    },
    /// Backing off after an earlier 429/403/5xx.
    #[error("backing off until {until_ms}")]
    BackingOff {
        /// End of the back-off (ms since epoch).
        until_ms: i64,
    },
    /// The platform said 429.
    #[error("rate limited by the platform; backing off {backoff_ms} ms")]
    RateLimited {
        /// Back-off chosen.
        backoff_ms: i64,
    },
    /// 401/403 or a ban signal.
    #[error("access refused ({status}{signal}); backing off {backoff_ms} ms")]
    Refused {
        /// HTTP status.
        status: u16,
        /// A ban signal found in the body, with a leading separator.
        signal: String,
        /// Back-off chosen.
        backoff_ms: i64,
    },
    /// Another HTTP error.
    #[error("HTTP {0}")]
    Http(u16),
    /// An HTML page or garbage where the API or a feed was expected.
    #[error("not an API/feed response: {0}")]
    NotApi(String),
    /// Connection failure.
    #[error("transport: {0}")]
    Transport(String),
    /// A 2xx body that does not match the documented shape.
    #[error("unexpected response shape: {0}")]
    Shape(String),
    /// Credentials missing or refused at token exchange.
    #[error("credentials: {0}")]
    Credentials(String),
}

/// Counters of the gate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GateStats {
    /// Requests sent.
    pub sent: u64,
    /// Refused by TOS rules.
    pub refused_tos: u64,
    /// Refused by pacing.
    pub refused_pacing: u64,
    /// Refused while backing off.
    pub refused_backoff: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// 401/403 answers and ban signals.
    pub ban_signals: u64,
    /// HTML or garbage answers.
    pub not_api: u64,
}

/// The response facts the gate needs.
#[derive(Debug, Clone, Default)]
pub struct ResponseFacts {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`, lowercase.
    pub content_type: String,
    /// Retry hint in seconds (Retry-After header, Discord/Telegram body fields).
    pub retry_after_secs: Option<f64>,
    /// Remaining requests in the platform's window, if reported.
    pub remaining: Option<u64>,
    /// Seconds until the platform's window resets, if reported.
    pub reset_after_secs: Option<f64>,
    /// The body.
    pub body: String,
}

/// One platform's gate.
#[derive(Debug, Clone)]
pub struct Gate {
    rule: &'static TosRule,
    pacing: RateLimiter,
    backoff_until_ms: i64,
    strikes: u32,
    /// Counters.
    pub stats: GateStats,
}

impl Gate {
    /// The gate of a platform, paced by its rule.
    pub fn new(platform: Platform) -> Self {
        let rule = rule(platform);
        let pacing = RateLimiter::per_window(rule.window_secs * 1_000, rule.requests_per_window, u64::MAX);
        Self { rule, pacing, backoff_until_ms: i64::MIN, strikes: 0, stats: GateStats::default() }
    }

    /// The platform's rule.
    pub fn rule(&self) -> &'static TosRule {
        self.rule
    }

    /// Checks rules, back-off and pacing; on success the request counts as sent.
    pub fn before(&mut self, now_ms: i64, req: &PlannedRequest<'_>) -> Result<(), IngestError> {
        if let Err(v) = self.rule.check(req) {
            self.stats.refused_tos += 1;
            return Err(v.into());
        }
        if now_ms < self.backoff_until_ms {
            self.stats.refused_backoff += 1;
            return Err(IngestError::BackingOff { until_ms: self.backoff_until_ms });
        }
        if let Err(limited) = self.pacing.try_acquire(now_ms, 0) {
            self.stats.refused_pacing += 1;
            return Err(IngestError::Paced { retry_after_ms: limited.retry_after_ms });
        }
        self.stats.sent += 1;
        Ok(())
    }

    /// Classifies a response; errors set the back-off.
    pub fn after(&mut self, now_ms: i64, r: &ResponseFacts) -> Result<(), IngestError> {
        match r.status {
            200..=299 if self.rule.platform != Platform::Rss && r.content_type.contains("text/html") => {
                self.stats.not_api += 1;
                self.stats.ban_signals += 1;
                let backoff_ms = self.back_off(now_ms, BAN_BASE_MS, BAN_CAP_MS, None);
                Err(IngestError::Refused { status: r.status, signal: ": HTML page instead of API".into(), backoff_ms })
            }
            200..=299 => {
                self.strikes = 0;
                if let (Some(0), Some(reset)) = (r.remaining, r.reset_after_secs) {
                    self.backoff_until_ms = now_ms + (reset * 1_000.0).ceil() as i64;
                }
                Ok(())
            }
            429 => {
                self.stats.rate_limited += 1;
                let hint = r.retry_after_secs.or(r.reset_after_secs);
                let backoff_ms = self.back_off(now_ms, RATE_LIMIT_BASE_MS, RATE_LIMIT_CAP_MS, hint);
                Err(IngestError::RateLimited { backoff_ms })
            }
            401 | 403 => {
                self.stats.ban_signals += 1;
                let backoff_ms = self.back_off(now_ms, BAN_BASE_MS, BAN_CAP_MS, None);
                Err(IngestError::Refused { status: r.status, signal: ban_signal(&r.body), backoff_ms })
            }
            500..=599 => {
                self.back_off(now_ms, RATE_LIMIT_BASE_MS, SERVER_CAP_MS, r.retry_after_secs);
                Err(IngestError::Http(r.status))
            }
            s => Err(IngestError::Http(s)),
        }
    }

    /// Sets the back-off: max(hint, base × 2^(strikes − 1)) capped, plus up to 25 % jitter.
    fn back_off(&mut self, now_ms: i64, base_ms: i64, cap_ms: i64, hint_secs: Option<f64>) -> i64 {
        self.strikes += 1;
        let exponential = base_ms.saturating_mul(1 << self.strikes.saturating_sub(1).min(20)).min(cap_ms);
        let hinted = hint_secs.map_or(0, |s| (s.max(0.0) * 1_000.0).ceil() as i64);
        let wait = exponential.max(hinted);
        let total = wait + jitter_ms(self.rule.platform, now_ms, self.strikes, wait / 4);
        self.backoff_until_ms = now_ms + total;
        total
    }
}

/// Deterministic jitter in `[0, max_ms]` from the platform, time and attempt, so many instances do
/// not retry in lockstep while tests stay reproducible.
fn jitter_ms(platform: Platform, now_ms: i64, strikes: u32, max_ms: i64) -> i64 {
    if max_ms <= 0 {
        return 0;
    }
    let mut x = (now_ms as u64) ^ (u64::from(strikes) << 48) ^ (platform as u64) << 56;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x % (max_ms as u64 + 1)) as i64
}

/// Words platforms use when an account or bot is banned, blocked or suspended.
fn ban_signal(body: &str) -> String {
    let lower = body.to_ascii_lowercase();
    ["suspended", "banned", "blocked", "kicked", "forbidden", "unauthorized", "invalid token", "client-not-enrolled"]
        .iter()
        .find(|w| lower.contains(*w))
        .map_or(String::new(), |w| format!(": {w}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(status: u16) -> ResponseFacts {
        ResponseFacts { status, content_type: "application/json".into(), ..Default::default() }
    }

    fn planned() -> PlannedRequest<'static> {
        PlannedRequest {
            url: "https://api.x.com/2/tweets/search/recent?query=btc",
            has_auth: true,
            user_agent: "cst/0.1",
        }
    }

    #[test]
    fn rate_limit_answers_back_off_at_least_the_hint_and_grow_exponentially() {
        let mut g = Gate::new(Platform::X);
        let mut r = facts(429);
        r.retry_after_secs = Some(30.0);
        let Err(IngestError::RateLimited { backoff_ms }) = g.after(0, &r) else { panic!("429") };
        assert!((30_000..=37_500).contains(&backoff_ms), "{backoff_ms}");
        assert!(matches!(g.before(1_000, &planned()), Err(IngestError::BackingOff { .. })));
        let Err(IngestError::RateLimited { backoff_ms: second }) = g.after(40_000, &facts(429)) else { panic!() };
        assert!((2_000..=2_500).contains(&second), "second strike without hint: 2 s plus jitter, got {second}");
    }

    #[test]
    fn forbidden_answers_are_ban_signals_with_long_backoff() {
        let mut g = Gate::new(Platform::Discord);
        let mut r = facts(403);
        r.body = r#"{"message": "Missing Access", "code": 50001}"#.into();
        assert!(
            matches!(g.after(0, &r), Err(IngestError::Refused { status: 403, backoff_ms, .. }) if backoff_ms >= 900_000)
        );
        assert_eq!(g.stats.ban_signals, 1);
    }

    #[test]
    fn html_from_an_api_is_treated_as_a_ban_signal() {
        let mut g = Gate::new(Platform::Reddit);
        let mut r = facts(200);
        r.content_type = "text/html; charset=utf-8".into();
        assert!(matches!(g.after(0, &r), Err(IngestError::Refused { .. })));
        assert_eq!(g.stats.not_api, 1);
    }

    #[test]
    fn exhausted_window_reported_by_headers_pauses_until_reset() {
        let mut g = Gate::new(Platform::X);
        let mut r = facts(200);
        r.remaining = Some(0);
        r.reset_after_secs = Some(120.0);
        assert!(g.after(0, &r).is_ok());
        assert!(matches!(g.before(119_000, &planned()), Err(IngestError::BackingOff { until_ms: 120_000 })));
        assert!(g.before(120_000, &planned()).is_ok());
    }

    #[test]
    fn pacing_never_exceeds_the_published_rate() {
        let mut g = Gate::new(Platform::X);
        for i in 0..60 {
            assert!(g.before(i, &planned()).is_ok());
        }
        assert!(matches!(g.before(61, &planned()), Err(IngestError::Paced { .. })));
        assert!(g.before(900_000, &planned()).is_ok());
    }
}
