//! Circuit breaker: after `failure_threshold` consecutive failures (timeouts, 5xx, 429) the circuit
//! opens for a cool-down that doubles on each re-open (capped); after the cool-down one trial call is
//! let through (half-open); success closes the circuit, failure re-opens it.

/// The breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls flow; counts consecutive failures.
    Closed {
        /// Consecutive failures so far.
        failures: u32,
    },
    /// Calls are refused until `until_ms`.
    Open {
        /// When the cool-down ends.
        until_ms: i64,
    },
    /// One trial call is in flight.
    HalfOpen,
}

/// Breaker settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive failures that open the circuit.
    pub failure_threshold: u32,
    /// First cool-down.
    pub base_cooldown_ms: i64,
    /// Longest cool-down.
    pub max_cooldown_ms: i64,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self { failure_threshold: 3, base_cooldown_ms: 30_000, max_cooldown_ms: 600_000 }
    }
}

/// The circuit breaker.
#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    state: BreakerState,
    consecutive_opens: u32,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> Self {
        Self { config, state: BreakerState::Closed { failures: 0 }, consecutive_opens: 0 }
    }

    /// The state, moving Open to HalfOpen when the cool-down has passed.
    pub fn state(&self, now_ms: i64) -> BreakerState {
        match self.state {
            BreakerState::Open { until_ms } if now_ms >= until_ms => BreakerState::HalfOpen,
            s => s,
        }
    }

    /// Whether a call may go out now (a half-open breaker lets exactly one through).
    pub fn allow(&mut self, now_ms: i64) -> bool {
        match self.state(now_ms) {
            BreakerState::Closed { .. } => true,
            BreakerState::Open { .. } => false,
            BreakerState::HalfOpen => {
                if self.state == BreakerState::HalfOpen {
                    return false;
                }
                self.state = BreakerState::HalfOpen;
                true
            }
        }
    }

    /// Gives back a half-open trial slot that was not used (the call was stopped by another gate).
    pub fn cancel_trial(&mut self, now_ms: i64) {
        if self.state == BreakerState::HalfOpen {
            self.state = BreakerState::Open { until_ms: now_ms };
        }
    }

    /// Records a successful call.
    pub fn on_success(&mut self) {
        self.state = BreakerState::Closed { failures: 0 };
        self.consecutive_opens = 0;
    }

    /// Records a failed call.
    pub fn on_failure(&mut self, now_ms: i64) {
        let failures = match self.state {
            BreakerState::Closed { failures } => failures + 1,
            _ => self.config.failure_threshold,
        };
        if failures >= self.config.failure_threshold {
            self.consecutive_opens += 1;
            self.state = BreakerState::Open { until_ms: now_ms + self.cooldown_ms() };
        } else {
            self.state = BreakerState::Closed { failures };
        }
    }

    /// The cool-down of the current opening: base × 2^(opens − 1), capped.
    pub fn cooldown_ms(&self) -> i64 {
        let exponent = self.consecutive_opens.saturating_sub(1).min(30);
        self.config.base_cooldown_ms.saturating_mul(1 << exponent).min(self.config.max_cooldown_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> CircuitBreaker {
        CircuitBreaker::new(BreakerConfig { failure_threshold: 2, base_cooldown_ms: 1_000, max_cooldown_ms: 3_000 })
    }

    #[test]
    fn opens_after_the_threshold_and_half_opens_after_the_cooldown() {
        let mut b = breaker();
        b.on_failure(0);
        assert!(b.allow(0));
        b.on_failure(0);
        assert_eq!(b.state(0), BreakerState::Open { until_ms: 1_000 });
        assert!(!b.allow(999));
        assert!(b.allow(1_000), "one trial call after the cool-down");
        assert!(!b.allow(1_000), "only one trial call while half-open");
        b.on_success();
        assert!(b.allow(1_001));
    }

    #[test]
    fn cooldown_doubles_on_each_reopen_up_to_the_cap() {
        let mut b = breaker();
        b.on_failure(0);
        b.on_failure(0);
        assert!(b.allow(1_000));
        b.on_failure(1_000);
        assert_eq!(b.state(1_000), BreakerState::Open { until_ms: 3_000 });
        assert!(b.allow(3_000));
        b.on_failure(3_000);
        assert_eq!(b.state(3_000), BreakerState::Open { until_ms: 6_000 }, "capped at 3 s");
    }
}
