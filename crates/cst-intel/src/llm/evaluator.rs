//! The LLM evaluator: latency, error rate, schema-violation rate, fallbacks by reason, agreement with
//! the lexicon, tokens and cost, as a snapshot and as Prometheus text exposition.

use cst_core::num::Money;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Latency histogram bucket bounds in milliseconds.
const LATENCY_BUCKETS_MS: [u64; 8] = [50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

/// Running metrics of the governed LLM.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LlmMetrics {
    /// Calls sent to the API.
    pub calls: u64,
    /// Calls that returned a schema-valid answer.
    pub valid: u64,
    /// Calls that failed (timeout, HTTP error, transport), by kind.
    pub errors: BTreeMap<String, u64>,
    /// Answers refused by schema validation.
    pub schema_violations: u64,
    /// Requests answered by the lexicon instead, by reason.
    pub fallbacks: BTreeMap<String, u64>,
    /// Valid answers compared with the lexicon.
    pub compared: u64,
    /// Of those, answers with the same direction as the lexicon.
    pub agreed: u64,
    /// Prompt plus completion tokens reported by the API.
    pub tokens: u64,
    /// Money spent (USD).
    pub cost: Money,
    /// Sum of call latencies.
    pub latency_sum_ms: u64,
    /// Calls per latency bucket (cumulative counts are derived on export).
    pub latency_buckets: [u64; 9],
}

impl LlmMetrics {
    /// Records one call's latency.
    pub fn observe_latency(&mut self, ms: u64) {
        self.latency_sum_ms += ms;
        let i = LATENCY_BUCKETS_MS.iter().position(|b| ms <= *b).unwrap_or(LATENCY_BUCKETS_MS.len());
        self.latency_buckets[i] += 1;
    }

    /// Records an error by kind.
    pub fn error(&mut self, kind: &str) {
        *self.errors.entry(kind.to_string()).or_default() += 1;
    }

    /// Records a fallback by reason.
    pub fn fallback(&mut self, reason: &str) {
        *self.fallbacks.entry(reason.to_string()).or_default() += 1;
    }

    /// Share of calls that failed.
    pub fn error_rate(&self) -> f64 {
        ratio(self.errors.values().sum(), self.calls)
    }

    /// Share of calls whose answer broke the schema.
    pub fn schema_violation_rate(&self) -> f64 {
        ratio(self.schema_violations, self.calls)
    }

    /// Share of valid answers agreeing with the lexicon's direction.
    pub fn agreement_rate(&self) -> f64 {
        ratio(self.agreed, self.compared)
    }

    /// Prometheus text exposition of the metrics.
    pub fn to_prometheus(&self) -> String {
        let mut out = String::new();
        let mut line = |name: &str, labels: &str, value: String| {
            let _ = writeln!(out, "cst_llm_{name}{labels} {value}");
        };
        line("calls_total", "", self.calls.to_string());
        line("valid_total", "", self.valid.to_string());
        line("schema_violations_total", "", self.schema_violations.to_string());
        for (kind, n) in &self.errors {
            line("errors_total", &format!("{{kind=\"{kind}\"}}"), n.to_string());
        }
        for (reason, n) in &self.fallbacks {
            line("fallbacks_total", &format!("{{reason=\"{reason}\"}}"), n.to_string());
        }
        line("error_rate", "", self.error_rate().to_string());
        line("schema_violation_rate", "", self.schema_violation_rate().to_string());
        line("lexicon_agreement_rate", "", self.agreement_rate().to_string());
        line("tokens_total", "", self.tokens.to_string());
        line("cost_usd_total", "", self.cost.value().to_string());
        let mut cumulative = 0;
        for (bound, n) in
            LATENCY_BUCKETS_MS.iter().map(|b| b.to_string()).chain(["+Inf".into()]).zip(self.latency_buckets)
        {
            cumulative += n;
            line("latency_ms_bucket", &format!("{{le=\"{bound}\"}}"), cumulative.to_string());
        }
        line("latency_ms_sum", "", self.latency_sum_ms.to_string());
        line("latency_ms_count", "", cumulative.to_string());
        out
    }
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 { 0.0 } else { num as f64 / den as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_export_has_cumulative_latency_buckets_and_rates() {
        let mut m = LlmMetrics { calls: 4, schema_violations: 1, ..Default::default() };
        m.observe_latency(40);
        m.observe_latency(700);
        m.observe_latency(20_000);
        m.error("timeout");
        let text = m.to_prometheus();
        assert!(text.contains("cst_llm_latency_ms_bucket{le=\"50\"} 1"));
        assert!(text.contains("cst_llm_latency_ms_bucket{le=\"1000\"} 2"));
        assert!(text.contains("cst_llm_latency_ms_bucket{le=\"+Inf\"} 3"));
        assert!(text.contains("cst_llm_schema_violation_rate 0.25"));
        assert!(text.contains("cst_llm_errors_total{kind=\"timeout\"} 1"));
    }
}
