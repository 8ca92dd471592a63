//! LLM settings from the environment: endpoint, model, key, limits and budget. Works with OpenAI and
//! with local OpenAI-compatible servers (Ollama, llama.cpp), which need no key.

use crate::secret::Secret;
use rust_decimal::Decimal;
use std::str::FromStr;

/// Settings of the governed LLM.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// Base URL up to and including `/v1` (e.g. `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`).
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// API key (optional for local servers).
    pub api_key: Option<Secret>,
    /// Per-call timeout.
    pub timeout_ms: u64,
    /// Completion token cap per call.
    pub max_tokens: u32,
    /// Requests per minute.
    pub requests_per_minute: u32,
    /// Tokens per minute.
    pub tokens_per_minute: u64,
    /// Hard daily budget in USD.
    pub daily_budget_usd: Decimal,
}

/// A setting that did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {var}={value:?} is not a valid {expected}")]
pub struct ConfigError {
    /// The variable.
    pub var: &'static str,
    /// Its value.
    pub value: String,
    /// What was expected.
    pub expected: &'static str,
}

fn env_or<T: FromStr>(var: &'static str, default: T, expected: &'static str) -> Result<T, ConfigError> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().map_err(|_| ConfigError { var, value: v, expected }),
        _ => Ok(default),
    }
}

impl LlmConfig {
    /// Reads `CST_LLM_BASE_URL`, `CST_LLM_MODEL`, `CST_LLM_API_KEY` (or `_FILE`, or `OPENAI_API_KEY`),
    /// `CST_LLM_TIMEOUT_MS`, `CST_LLM_MAX_TOKENS`, `CST_LLM_RPM`, `CST_LLM_TPM`, `CST_LLM_DAILY_BUDGET_USD`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            base_url: env_or("CST_LLM_BASE_URL", "https://api.openai.com/v1".to_string(), "URL")?,
            model: env_or("CST_LLM_MODEL", "gpt-4o-mini".to_string(), "model name")?,
            api_key: Secret::from_env("CST_LLM_API_KEY").or_else(|| Secret::from_env("OPENAI_API_KEY")),
            timeout_ms: env_or("CST_LLM_TIMEOUT_MS", 20_000, "number of milliseconds")?,
            max_tokens: env_or("CST_LLM_MAX_TOKENS", 300, "token count")?,
            requests_per_minute: env_or("CST_LLM_RPM", 60, "requests per minute")?,
            tokens_per_minute: env_or("CST_LLM_TPM", 60_000, "tokens per minute")?,
            daily_budget_usd: env_or("CST_LLM_DAILY_BUDGET_USD", Decimal::ONE, "decimal USD amount")?,
        })
    }
}
