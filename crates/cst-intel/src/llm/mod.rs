//! Governed LLM analysis over an OpenAI-compatible chat-completions API: schema-validated results,
//! rate limits, cost control with a hard daily budget, a circuit breaker, feature flags with
//! percentage rollout, lexicon fallback, and an evaluator exposing metrics.

pub mod breaker;
pub mod client;
pub mod config;
pub mod cost;
pub mod evaluator;
pub mod flags;
pub mod governed;
pub mod rate_limit;
pub mod schema;

pub use governed::{Governed, GovernedLlm, Limits, Source};
