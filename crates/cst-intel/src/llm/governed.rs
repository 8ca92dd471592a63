//! The governed LLM: every request passes the feature flag, the circuit breaker, the daily budget
//! and the rate limits before it is sent; the answer is schema-validated before it is used; any
//! refusal or failure falls back to the lexicon analyzer, and every outcome is counted.

use super::breaker::{BreakerConfig, CircuitBreaker};
use super::client::{ChatAnswer, ChatClient};
use super::cost::{Budget, BudgetError, PriceTable};
use super::evaluator::LlmMetrics;
use super::flags::{Capability, FeatureFlags, Route};
use super::rate_limit::RateLimiter;
use super::schema::{EventKind, NEWS_SCHEMA_PROMPT, NewsAnalysis, SENTIMENT_SCHEMA_PROMPT, SentimentAnalysis};
use crate::clock::Clock;
use crate::sentiment::{Analyzer, Sentiment, TextError};
use cst_core::num::Money;
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;

/// Where a result came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A schema-valid LLM answer.
    Llm,
    /// The lexicon analyzer, and why the LLM was not used.
    Lexicon {
        /// The fallback reason (`flag_off`, `circuit_open`, `budget_exhausted`, ...).
        reason: String,
    },
}

/// A result with its source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Governed<T> {
    /// The result.
    pub result: T,
    /// Where it came from.
    pub source: Source,
}

/// Limits the governance enforces.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Completion token cap per call.
    pub max_tokens: u32,
    /// Requests per minute.
    pub requests_per_minute: u32,
    /// Tokens per minute.
    pub tokens_per_minute: u64,
    /// Hard daily budget (USD).
    pub daily_budget: Money,
    /// Circuit-breaker settings.
    pub breaker: BreakerConfig,
}

/// The governed LLM analyzer.
#[derive(Debug)]
pub struct GovernedLlm {
    client: ChatClient,
    clock: Arc<dyn Clock>,
    flags: FeatureFlags,
    limiter: RateLimiter,
    budget: Budget,
    breaker: CircuitBreaker,
    metrics: LlmMetrics,
    lexicon: Analyzer,
    max_tokens: u32,
}

const SENTIMENT_SYSTEM: &str = "You rate the market sentiment of a crypto-related text for traders.";
const NEWS_SYSTEM: &str = "You analyse one crypto news item for traders: what happened and its market impact.";

impl GovernedLlm {
    /// Assembles the governed analyzer.
    pub fn new(
        client: ChatClient,
        clock: Arc<dyn Clock>,
        flags: FeatureFlags,
        prices: PriceTable,
        limits: Limits,
    ) -> Self {
        Self {
            client,
            clock,
            flags,
            limiter: RateLimiter::new(limits.requests_per_minute, limits.tokens_per_minute),
            budget: Budget::new(limits.daily_budget, prices),
            breaker: CircuitBreaker::new(limits.breaker),
            metrics: LlmMetrics::default(),
            lexicon: Analyzer::new(),
            max_tokens: limits.max_tokens,
        }
    }

    /// The metrics so far.
    pub fn metrics(&self) -> &LlmMetrics {
        &self.metrics
    }

    /// The feature flags (to change states at run time, e.g. the kill switch).
    pub fn flags_mut(&mut self) -> &mut FeatureFlags {
        &mut self.flags
    }

    /// The circuit breaker (read-only).
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }

    /// Sentiment of a text; `key` (e.g. the post id) decides the rollout bucket.
    pub async fn sentiment(&mut self, key: &str, text: &str) -> Result<Governed<SentimentAnalysis>, TextError> {
        let lexicon = self.lexicon.analyze(text)?;
        let system = format!("{SENTIMENT_SYSTEM}\n{SENTIMENT_SCHEMA_PROMPT}");
        let outcome = match self.call(Capability::SentimentAnalysis, key, &system, text).await {
            Ok(answer) => SentimentAnalysis::from_json(&answer.content).map_err(|_| "schema_violation"),
            Err(reason) => Err(reason),
        };
        Ok(self.settle(outcome, &lexicon, |s| s, SentimentAnalysis::from_lexicon))
    }

    /// Structured analysis of a news item.
    pub async fn news(&mut self, key: &str, text: &str) -> Result<Governed<NewsAnalysis>, TextError> {
        let lexicon = self.lexicon.analyze(text)?;
        let system = format!("{NEWS_SYSTEM}\n{NEWS_SCHEMA_PROMPT}");
        let outcome = match self.call(Capability::NewsAnalysis, key, &system, text).await {
            Ok(answer) => NewsAnalysis::from_json(&answer.content).map_err(|_| "schema_violation"),
            Err(reason) => Err(reason),
        };
        Ok(self.settle(outcome, &lexicon, |n| &n.sentiment, news_from_lexicon(text)))
    }

    /// Counts the outcome, compares a valid answer with the lexicon, or falls back to it.
    fn settle<T>(
        &mut self,
        outcome: Result<T, &'static str>,
        lexicon: &Sentiment,
        sentiment_of: impl Fn(&T) -> &SentimentAnalysis,
        fallback: impl Fn(&Sentiment, &str) -> T,
    ) -> Governed<T> {
        match outcome {
            Ok(result) => {
                self.metrics.valid += 1;
                self.metrics.compared += 1;
                if sentiment_of(&result).direction == lexicon.label {
                    self.metrics.agreed += 1;
                }
                Governed { result, source: Source::Llm }
            }
            Err(reason) => {
                if reason == "schema_violation" {
                    self.metrics.schema_violations += 1;
                }
                self.metrics.fallback(reason);
                Governed { result: fallback(lexicon, reason), source: Source::Lexicon { reason: reason.to_string() } }
            }
        }
    }

    /// Runs the gates in order and sends the request; the error is the fallback reason.
    async fn call(
        &mut self,
        capability: Capability,
        key: &str,
        system: &str,
        user: &str,
    ) -> Result<ChatAnswer, &'static str> {
        if self.flags.route(capability, key) == Route::Lexicon {
            return Err("flag_off");
        }
        let now = self.clock.now_ms();
        if !self.breaker.allow(now) {
            return Err("circuit_open");
        }
        let estimate = estimate_tokens(system) + estimate_tokens(user);
        let model = self.client.model().to_string();
        if let Err(e) = self.budget.check(now, &model, estimate, u64::from(self.max_tokens)) {
            self.release_trial_if_half_open();
            return Err(match e {
                BudgetError::UnknownModel(_) => "unpriced_model",
                BudgetError::Exhausted { .. } => "budget_exhausted",
            });
        }
        if self.limiter.try_acquire(now, estimate + u64::from(self.max_tokens)).is_err() {
            self.release_trial_if_half_open();
            return Err("rate_limited");
        }
        self.send(&model, system, user).await
    }

    async fn send(&mut self, model: &str, system: &str, user: &str) -> Result<ChatAnswer, &'static str> {
        self.metrics.calls += 1;
        let started = Instant::now();
        let result = self.client.complete(system, user, self.max_tokens).await;
        self.metrics.observe_latency(started.elapsed().as_millis() as u64);
        let now = self.clock.now_ms();
        match result {
            Ok(answer) => {
                self.breaker.on_success();
                let cost = self.budget.record(now, model, answer.prompt_tokens, answer.completion_tokens);
                let tokens = answer.prompt_tokens + answer.completion_tokens;
                self.limiter.settle_last(tokens);
                self.metrics.tokens += tokens;
                self.metrics.cost = self.metrics.cost + cost;
                Ok(answer)
            }
            Err(e) => {
                self.metrics.error(e.kind());
                if e.trips_breaker() {
                    self.breaker.on_failure(now);
                }
                Err("llm_error")
            }
        }
    }

    /// A half-open trial that never went out must not leave the breaker waiting for a result.
    fn release_trial_if_half_open(&mut self) {
        self.breaker.cancel_trial(self.clock.now_ms());
    }
}

/// About four characters per token for English text, plus the chat framing.
fn estimate_tokens(text: &str) -> u64 {
    (text.len() as u64).div_ceil(4) + 8
}

fn news_from_lexicon(text: &str) -> impl Fn(&Sentiment, &str) -> NewsAnalysis + '_ {
    move |s, reason| {
        let event = if s.indicators.hack_risk > 0.5 { EventKind::Hack } else { EventKind::Other };
        NewsAnalysis {
            summary: text.chars().take(200).collect(),
            event,
            sentiment: SentimentAnalysis::from_lexicon(s, reason),
        }
    }
}
