//! Requests and tokens per window (a minute by default) over a sliding window. A refusal is a
//! value (the caller falls back to the lexicon); nothing here sleeps.

use std::collections::VecDeque;

const MINUTE_MS: i64 = 60_000;

/// A refusal: which limit and when the window has room again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{limit} limit reached; retry in {retry_after_ms} ms")]
pub struct RateLimited {
    /// `requests_per_minute` or `tokens_per_minute`.
    pub limit: &'static str,
    /// Milliseconds until the oldest entry leaves the window.
    pub retry_after_ms: i64,
}

/// Sliding-window limiter for requests and tokens.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    window_ms: i64,
    requests_per_minute: u32,
    tokens_per_minute: u64,
    window: VecDeque<(i64, u64)>,
}

impl RateLimiter {
    /// A limiter allowing `requests_per_minute` calls and `tokens_per_minute` tokens.
    pub fn new(requests_per_minute: u32, tokens_per_minute: u64) -> Self {
        Self::per_window(MINUTE_MS, requests_per_minute, tokens_per_minute)
    }

    /// A limiter over a window of `window_ms` (platforms publish limits per 10 or 15 minutes too).
    pub fn per_window(window_ms: i64, requests: u32, tokens: u64) -> Self {
        Self { window_ms, requests_per_minute: requests, tokens_per_minute: tokens, window: VecDeque::new() }
    }

    fn expire(&mut self, now_ms: i64) {
        while self.window.front().is_some_and(|(t, _)| now_ms - t >= self.window_ms) {
            self.window.pop_front();
        }
    }

    /// Reserves one request of `tokens` estimated tokens, or says which limit refuses it.
    pub fn try_acquire(&mut self, now_ms: i64, tokens: u64) -> Result<(), RateLimited> {
        self.expire(now_ms);
        let window_ms = self.window_ms;
        let retry = |w: &VecDeque<(i64, u64)>| w.front().map_or(0, |(t, _)| t + window_ms - now_ms);
        if self.window.len() as u64 >= u64::from(self.requests_per_minute) {
            return Err(RateLimited { limit: "requests_per_minute", retry_after_ms: retry(&self.window) });
        }
        let used: u64 = self.window.iter().map(|(_, n)| n).sum();
        if used + tokens > self.tokens_per_minute {
            return Err(RateLimited { limit: "tokens_per_minute", retry_after_ms: retry(&self.window) });
        }
        self.window.push_back((now_ms, tokens));
        Ok(())
    }

    /// Replaces the estimate of the latest reservation with the tokens the API reported.
    pub fn settle_last(&mut self, actual_tokens: u64) {
        if let Some(last) = self.window.back_mut() {
            last.1 = actual_tokens;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_the_request_over_the_per_minute_count_until_the_window_slides() {
        let mut rl = RateLimiter::new(2, 1_000_000);
        assert!(rl.try_acquire(0, 10).is_ok());
        assert!(rl.try_acquire(1_000, 10).is_ok());
        let refused = rl.try_acquire(2_000, 10).expect_err("third request");
        assert_eq!(refused, RateLimited { limit: "requests_per_minute", retry_after_ms: 58_000 });
        assert!(rl.try_acquire(60_000, 10).is_ok());
    }

    #[test]
    fn refuses_when_tokens_would_exceed_the_per_minute_budget() {
        let mut rl = RateLimiter::new(100, 1_000);
        assert!(rl.try_acquire(0, 800).is_ok());
        assert_eq!(rl.try_acquire(10, 300).expect_err("tokens").limit, "tokens_per_minute");
        rl.settle_last(100);
        assert!(rl.try_acquire(20, 300).is_ok());
    }
}
