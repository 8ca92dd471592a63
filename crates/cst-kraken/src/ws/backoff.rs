//! Reconnect delays: exponential growth with full jitter, capped, so that many clients cut off
//! together do not reconnect together.

use std::time::Duration;

/// Exponential backoff with jitter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry (before jitter).
    pub initial: Duration,
    /// Upper bound of any delay.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { initial: Duration::from_millis(500), max: Duration::from_secs(30) }
    }
}

impl Backoff {
    /// The delay before retry number `attempt` (0-based): uniformly in [cap/2, cap] where
    /// cap = min(max, initial × 2^attempt); `jitter_seed` supplies the randomness.
    pub fn delay(&self, attempt: u32, jitter_seed: u64) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        let cap = self.initial.saturating_mul(factor).min(self.max);
        let fraction = (splitmix64(jitter_seed) >> 11) as f64 / (1u64 << 53) as f64;
        cap.mul_f64(0.5 + 0.5 * fraction)
    }
}

/// A well-mixed 64-bit value from a seed (SplitMix64): enough randomness for jitter without a
/// random-number crate.
fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_exponentially_within_jitter_bounds_and_stop_at_the_cap() {
        let b = Backoff { initial: Duration::from_millis(100), max: Duration::from_secs(2) };
        for attempt in 0..10 {
            let cap = Duration::from_millis(100 * (1 << attempt)).min(Duration::from_secs(2));
            for seed in 0..50 {
                let d = b.delay(attempt, seed);
                assert!(d >= cap / 2 && d <= cap, "attempt {attempt} seed {seed}: {d:?} vs cap {cap:?}");
            }
        }
        assert!(b.delay(200, 1) <= Duration::from_secs(2));
    }

    #[test]
    fn jitter_spreads_clients_apart() {
        let b = Backoff::default();
        let delays: std::collections::BTreeSet<Duration> = (0..20).map(|s| b.delay(3, s)).collect();
        assert!(delays.len() > 15);
    }
}
