//! Retry timing (exponential backoff with jitter) and a small circuit breaker per endpoint
//! group. Both are pure: time comes in as nanoseconds, randomness as a number in [0, 1).

use std::time::Duration;

/// The endpoint groups that fail together and get one breaker each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndpointGroup {
    /// Public market data.
    Public,
    /// Private account queries (balances, orders, trade history, tokens).
    Account,
    /// Order entry and cancellation.
    Trading,
}

impl EndpointGroup {
    /// All groups.
    pub const ALL: [EndpointGroup; 3] = [EndpointGroup::Public, EndpointGroup::Account, EndpointGroup::Trading];

    /// A short name for errors and metrics.
    pub fn name(self) -> &'static str {
        match self {
            EndpointGroup::Public => "public",
            EndpointGroup::Account => "account",
            EndpointGroup::Trading => "trading",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// How often and how patiently an idempotent request is retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included.
    pub max_attempts: u32,
    /// The delay before the first retry, before jitter.
    pub base_delay: Duration,
    /// The longest delay between attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 5, base_delay: Duration::from_millis(500), max_delay: Duration::from_secs(30) }
    }
}

impl RetryPolicy {
    /// The delay before retry number `retry` (0 = first retry): base·2^retry capped, with
    /// "equal jitter" (half fixed, half random) so many clients do not retry in step.
    pub fn delay(&self, retry: u32, unit_random: f64) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX));
        let capped = exp.min(self.max_delay);
        let half = capped / 2;
        half + half.mul_f64(unit_random.clamp(0.0, 1.0))
    }
}

/// When a breaker opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerConfig {
    /// Consecutive failures that open the breaker.
    pub failures_to_open: u32,
    /// How long it stays open before one probe is let through.
    pub open_for: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig { failures_to_open: 5, open_for: Duration::from_secs(30) }
    }
}

/// The state of one breaker.
#[derive(Debug, Clone, PartialEq)]
pub enum BreakerState {
    /// Calls flow; counts consecutive failures.
    Closed {
        /// Consecutive failures so far.
        failures: u32,
    },
    /// Calls are refused until `until_ns`.
    Open {
        /// When a probe may go.
        until_ns: i64,
        /// The failure that opened it.
        reason: String,
    },
    /// One probe is in flight; its outcome closes or reopens the breaker.
    HalfOpen,
}

/// A circuit breaker: after N consecutive service failures it refuses calls for a while,
/// then lets a single probe through.
#[derive(Debug, Clone, PartialEq)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    state: BreakerState,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> Self {
        CircuitBreaker { config, state: BreakerState::Closed { failures: 0 } }
    }

    /// The current state.
    pub fn state(&self) -> &BreakerState {
        &self.state
    }

    /// May a call go at `now_ns`? Err carries the reason the breaker opened.
    pub fn allow(&mut self, now_ns: i64) -> Result<(), String> {
        match &self.state {
            BreakerState::Closed { .. } => Ok(()),
            BreakerState::HalfOpen => Err("probe in flight".into()),
            BreakerState::Open { until_ns, .. } if now_ns >= *until_ns => {
                self.state = BreakerState::HalfOpen;
                Ok(())
            }
            BreakerState::Open { reason, .. } => Err(reason.clone()),
        }
    }

    /// The call succeeded (or failed for a reason that says nothing about the service).
    pub fn on_success(&mut self) {
        self.state = BreakerState::Closed { failures: 0 };
    }

    /// The service failed (transport, 5xx, EService).
    pub fn on_failure(&mut self, now_ns: i64, reason: &str) {
        let failures = match self.state {
            BreakerState::Closed { failures } => failures + 1,
            BreakerState::HalfOpen | BreakerState::Open { .. } => self.config.failures_to_open,
        };
        self.state = if failures >= self.config.failures_to_open {
            let until_ns = now_ns.saturating_add(self.config.open_for.as_nanos() as i64);
            BreakerState::Open { until_ns, reason: reason.to_string() }
        } else {
            BreakerState::Closed { failures }
        };
    }
}

/// One breaker per endpoint group.
#[derive(Debug, Clone, PartialEq)]
pub struct Breakers([CircuitBreaker; 3]);

impl Breakers {
    /// Three closed breakers.
    pub fn new(config: BreakerConfig) -> Self {
        Breakers([CircuitBreaker::new(config), CircuitBreaker::new(config), CircuitBreaker::new(config)])
    }

    /// The breaker of a group.
    pub fn get_mut(&mut self, group: EndpointGroup) -> &mut CircuitBreaker {
        &mut self.0[group.index()]
    }

    /// The breaker of a group, read-only.
    pub fn get(&self, group: EndpointGroup) -> &CircuitBreaker {
        &self.0[group.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let p =
            RetryPolicy { max_attempts: 6, base_delay: Duration::from_millis(100), max_delay: Duration::from_secs(1) };
        assert_eq!(p.delay(0, 0.0), Duration::from_millis(50));
        assert_eq!(p.delay(0, 1.0), Duration::from_millis(100));
        assert_eq!(p.delay(2, 1.0), Duration::from_millis(400));
        assert_eq!(p.delay(10, 1.0), Duration::from_secs(1));
        assert_eq!(p.delay(10, 0.0), Duration::from_millis(500));
    }

    #[test]
    fn breaker_opens_after_consecutive_failures_and_probes_once() {
        let mut b = CircuitBreaker::new(BreakerConfig { failures_to_open: 3, open_for: Duration::from_secs(10) });
        for _ in 0..2 {
            b.on_failure(0, "EService:Unavailable");
            assert!(b.allow(0).is_ok());
        }
        b.on_failure(0, "EService:Unavailable");
        assert_eq!(b.allow(1_000_000_000), Err("EService:Unavailable".to_string()));
        assert!(b.allow(10_000_000_000).is_ok(), "a probe after the cool-down");
        assert!(b.allow(10_000_000_001).is_err(), "only one probe at a time");
        b.on_failure(10_000_000_002, "EService:Unavailable");
        assert!(b.allow(15_000_000_000).is_err(), "a failed probe reopens");
        assert!(b.allow(20_000_000_002).is_ok());
        b.on_success();
        assert_eq!(b.state(), &BreakerState::Closed { failures: 0 });
    }

    #[test]
    fn a_success_resets_the_failure_count() {
        let mut b = CircuitBreaker::new(BreakerConfig { failures_to_open: 2, open_for: Duration::from_secs(1) });
        b.on_failure(0, "x");
        b.on_success();
        b.on_failure(0, "x");
        assert!(b.allow(0).is_ok());
    }
}
