//! Feature flags per LLM capability: lifecycle states and a deterministic percentage rollout
//! (the same key always lands in the same bucket, so a text is routed the same way every time).

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A governed LLM capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Sentiment of a post or headline.
    SentimentAnalysis,
    /// Structured analysis of a news item.
    NewsAnalysis,
}

/// Where the process runs; lower flag states only route LLM traffic in matching environments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// A developer's machine.
    Development,
    /// A test or staging deployment.
    Testing,
    /// Live trading.
    Production,
}

/// A capability's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagState {
    /// Off everywhere.
    Disabled,
    /// On only in development.
    Development,
    /// On in development and testing.
    Testing,
    /// On for `rollout_percent` of keys in every environment.
    Canary,
    /// On for `rollout_percent` of keys (normally 100) in every environment.
    Production,
    /// Off everywhere, overriding any rollout (the kill switch).
    EmergencyDisabled,
}

/// One capability's flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// Lifecycle state.
    pub state: FlagState,
    /// Share of keys routed to the LLM in canary and production, 0 … 100.
    pub rollout_percent: u8,
}

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// To the LLM (still subject to budget, rate limits and the breaker).
    Llm,
    /// To the lexicon analyzer.
    Lexicon,
}

/// Flags for all capabilities; a capability without a flag is disabled.
#[derive(Debug, Clone, Default)]
pub struct FeatureFlags {
    environment: Option<Environment>,
    flags: HashMap<Capability, Flag>,
}

impl FeatureFlags {
    /// Flags evaluated in `environment`.
    pub fn new(environment: Environment) -> Self {
        Self { environment: Some(environment), flags: HashMap::new() }
    }

    /// Reads `CST_ENVIRONMENT` (development/testing/production, default production) and per capability
    /// `CST_LLM_FLAG_SENTIMENT` / `CST_LLM_FLAG_NEWS` (a state name, default disabled) with
    /// `CST_LLM_ROLLOUT_PERCENT` (default 100). Unknown names are errors, not silently off.
    pub fn from_env() -> Result<Self, String> {
        let parse = |var: &str, default: &str| -> Result<serde_json::Value, String> {
            let v = std::env::var(var).unwrap_or_else(|_| default.to_string());
            Ok(serde_json::Value::String(v.trim().to_ascii_lowercase()))
        };
        let environment: Environment = serde_json::from_value(parse("CST_ENVIRONMENT", "production")?)
            .map_err(|_| "CST_ENVIRONMENT must be development, testing or production".to_string())?;
        let percent = std::env::var("CST_LLM_ROLLOUT_PERCENT").ok().map_or(Ok(100), |v| {
            v.trim().parse::<u8>().map_err(|_| format!("CST_LLM_ROLLOUT_PERCENT={v:?} is not 0-100"))
        })?;
        let mut flags = Self::new(environment);
        for (capability, var) in
            [(Capability::SentimentAnalysis, "CST_LLM_FLAG_SENTIMENT"), (Capability::NewsAnalysis, "CST_LLM_FLAG_NEWS")]
        {
            let state: FlagState = serde_json::from_value(parse(var, "disabled")?).map_err(|_| {
                format!("{var} must be one of disabled, development, testing, canary, production, emergency_disabled")
            })?;
            flags.set(capability, state, percent);
        }
        Ok(flags)
    }

    /// Sets a capability's flag (percent above 100 is treated as 100).
    pub fn set(&mut self, capability: Capability, state: FlagState, rollout_percent: u8) {
        self.flags.insert(capability, Flag { state, rollout_percent: rollout_percent.min(100) });
    }

    /// The kill switch: disables a capability at once.
    pub fn emergency_disable(&mut self, capability: Capability) {
        let percent = self.flags.get(&capability).map_or(0, |f| f.rollout_percent);
        self.set(capability, FlagState::EmergencyDisabled, percent);
    }

    /// Routes one request, identified by `key` (e.g. a post id), for a capability.
    pub fn route(&self, capability: Capability, key: &str) -> Route {
        let Some(flag) = self.flags.get(&capability) else { return Route::Lexicon };
        let env = self.environment.unwrap_or(Environment::Production);
        let on = match flag.state {
            FlagState::Disabled | FlagState::EmergencyDisabled => false,
            FlagState::Development => env == Environment::Development,
            FlagState::Testing => matches!(env, Environment::Development | Environment::Testing),
            FlagState::Canary | FlagState::Production => bucket(capability, key) < u32::from(flag.rollout_percent),
        };
        if on { Route::Llm } else { Route::Lexicon }
    }
}

/// A stable bucket 0 … 99 from FNV-1a over the capability and key.
fn bucket(capability: Capability, key: &str) -> u32 {
    let salt: &[u8] = match capability {
        Capability::SentimentAnalysis => b"sentiment:",
        Capability::NewsAnalysis => b"news:",
    };
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in salt.iter().chain(key.as_bytes()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (hash % 100) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_states_route_by_environment() {
        let mut dev = FeatureFlags::new(Environment::Development);
        let mut prod = FeatureFlags::new(Environment::Production);
        for f in [&mut dev, &mut prod] {
            f.set(Capability::SentimentAnalysis, FlagState::Development, 100);
            f.set(Capability::NewsAnalysis, FlagState::Testing, 100);
        }
        assert_eq!(dev.route(Capability::SentimentAnalysis, "a"), Route::Llm);
        assert_eq!(prod.route(Capability::SentimentAnalysis, "a"), Route::Lexicon);
        assert_eq!(dev.route(Capability::NewsAnalysis, "a"), Route::Llm);
        assert_eq!(prod.route(Capability::NewsAnalysis, "a"), Route::Lexicon);
    }

    #[test]
    fn canary_routes_about_its_percentage_and_the_same_key_the_same_way() {
        let mut flags = FeatureFlags::new(Environment::Production);
        flags.set(Capability::SentimentAnalysis, FlagState::Canary, 10);
        let keys: Vec<String> = (0..5_000).map(|i| format!("post-{i}")).collect();
        let to_llm = keys.iter().filter(|k| flags.route(Capability::SentimentAnalysis, k) == Route::Llm).count();
        assert!((400..=600).contains(&to_llm), "{to_llm} of 5000");
        assert!(keys.iter().all(|k| flags.route(Capability::SentimentAnalysis, k) == flags.route(Capability::SentimentAnalysis, k)));
    }

    #[test]
    fn emergency_disable_overrides_production_and_missing_flags_are_off() {
        let mut flags = FeatureFlags::new(Environment::Production);
        assert_eq!(flags.route(Capability::NewsAnalysis, "x"), Route::Lexicon);
        flags.set(Capability::NewsAnalysis, FlagState::Production, 100);
        assert_eq!(flags.route(Capability::NewsAnalysis, "x"), Route::Llm);
        flags.emergency_disable(Capability::NewsAnalysis);
        assert_eq!(flags.route(Capability::NewsAnalysis, "x"), Route::Lexicon);
    }
}
