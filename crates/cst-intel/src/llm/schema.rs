//! The structured results the LLM must return, and their validation: strict JSON (unknown fields
//! refused), enumerated directions, values in range, bounded texts. Output that fails is rejected
//! and counted by the caller, never used.

use crate::sentiment::{Label, Sentiment};
use serde::{Deserialize, Serialize};

/// Longest rationale or summary accepted, in characters.
pub const MAX_RATIONALE_CHARS: usize = 1_000;
/// Most assets one analysis may name.
pub const MAX_ASSETS: usize = 20;

/// Why an LLM answer was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    /// Not JSON, or JSON that does not match the expected fields and types.
    #[error("answer does not match the schema: {0}")]
    Shape(String),
    /// A number outside its range.
    #[error("{field} = {value} is outside [{min}, {max}]")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The value received.
        value: f64,
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// A text field that is empty, too long, or an asset code that is not a ticker.
    #[error("invalid {0}")]
    InvalidText(&'static str),
}

/// Sentiment of a text about crypto assets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentimentAnalysis {
    /// Assets the text is about (tickers, e.g. `BTC`).
    pub assets: Vec<String>,
    /// Expected direction.
    pub direction: Label,
    /// Strength of the expected move, 0 … 1.
    pub magnitude: f64,
    /// Confidence in the direction, 0 … 1.
    pub confidence: f64,
    /// Why, in one or two sentences.
    pub rationale: String,
}

/// What kind of event a news item reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A new exchange listing.
    Listing,
    /// A delisting.
    Delisting,
    /// A hack, exploit or theft.
    Hack,
    /// Regulation, enforcement, court rulings.
    Regulation,
    /// ETF filings, approvals, flows.
    Etf,
    /// Partnerships, integrations, adoption.
    Partnership,
    /// Protocol upgrades, forks, launches.
    Technology,
    /// Macro and monetary news.
    Macro,
    /// Anything else.
    Other,
}

/// Analysis of one news item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewsAnalysis {
    /// One-sentence summary.
    pub summary: String,
    /// The kind of event.
    pub event: EventKind,
    /// Market impact on the named assets.
    pub sentiment: SentimentAnalysis,
}

fn check_unit(field: &'static str, value: f64) -> Result<(), SchemaError> {
    if value.is_finite() && (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(SchemaError::OutOfRange { field, value, min: 0.0, max: 1.0 })
    }
}

fn check_text(field: &'static str, text: &str) -> Result<(), SchemaError> {
    let chars = text.trim().chars().count();
    if chars == 0 || chars > MAX_RATIONALE_CHARS { Err(SchemaError::InvalidText(field)) } else { Ok(()) }
}

impl SentimentAnalysis {
    /// Parses and validates an LLM answer.
    pub fn from_json(text: &str) -> Result<Self, SchemaError> {
        let mut parsed: Self =
            serde_json::from_str(strip_fence(text)).map_err(|e| SchemaError::Shape(e.to_string()))?;
        parsed.validate()?;
        parsed.normalize_assets();
        Ok(parsed)
    }

    /// Renames known tickers to Kraken codes (`BTC` -> `XBT`) so LLM and lexicon results join on
    /// the same asset keys; unknown tickers stay as written.
    pub fn normalize_assets(&mut self) {
        for a in &mut self.assets {
            if let Some(code) = crate::sentiment::asset_code(a) {
                *a = code.to_string();
            }
        }
        let mut seen = std::collections::HashSet::new();
        self.assets.retain(|a| seen.insert(a.clone()));
    }

    /// Checks ranges and texts.
    pub fn validate(&self) -> Result<(), SchemaError> {
        check_unit("magnitude", self.magnitude)?;
        check_unit("confidence", self.confidence)?;
        check_text("rationale", &self.rationale)?;
        let ticker_ok =
            |a: &String| (2..=10).contains(&a.len()) && a.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if self.assets.len() > MAX_ASSETS || !self.assets.iter().all(ticker_ok) {
            return Err(SchemaError::InvalidText("assets (uppercase tickers, at most 20)"));
        }
        Ok(())
    }

    /// The lexicon's view of a text, in the same shape (used as fallback and for agreement).
    pub fn from_lexicon(s: &Sentiment, reason: &str) -> Self {
        Self {
            assets: s.assets.iter().map(|a| a.to_string()).collect(),
            direction: s.label,
            magnitude: f64::from(s.score.abs()),
            confidence: f64::from(s.confidence),
            rationale: format!("lexicon analyzer ({reason}); {} matching terms", s.matched_terms),
        }
    }
}

impl NewsAnalysis {
    /// Parses and validates an LLM answer.
    pub fn from_json(text: &str) -> Result<Self, SchemaError> {
        let mut parsed: Self =
            serde_json::from_str(strip_fence(text)).map_err(|e| SchemaError::Shape(e.to_string()))?;
        check_text("summary", &parsed.summary)?;
        parsed.sentiment.validate()?;
        parsed.sentiment.normalize_assets();
        Ok(parsed)
    }
}

/// Some models wrap JSON in a Markdown code fence even when asked not to; accept exactly that wrap.
fn strip_fence(text: &str) -> &str {
    let t = text.trim();
    t.strip_prefix("```json").or_else(|| t.strip_prefix("```")).and_then(|r| r.strip_suffix("```")).map_or(t, str::trim)
}

/// The JSON shape the model is asked for, quoted in the system prompt.
pub const SENTIMENT_SCHEMA_PROMPT: &str = r#"Answer with one JSON object only, no prose:
{"assets": ["BTC", ...], "direction": "bullish" | "bearish" | "neutral", "magnitude": 0.0-1.0, "confidence": 0.0-1.0, "rationale": "one or two sentences"}"#;

/// The JSON shape of a news analysis, quoted in the system prompt.
pub const NEWS_SCHEMA_PROMPT: &str = r#"Answer with one JSON object only, no prose:
{"summary": "one sentence", "event": "listing" | "delisting" | "hack" | "regulation" | "etf" | "partnership" | "technology" | "macro" | "other", "sentiment": {"assets": ["BTC", ...], "direction": "bullish" | "bearish" | "neutral", "magnitude": 0.0-1.0, "confidence": 0.0-1.0, "rationale": "one or two sentences"}}"#;

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str =
        r#"{"assets":["BTC"],"direction":"bullish","magnitude":0.6,"confidence":0.8,"rationale":"ETF inflows"}"#;

    #[test]
    fn accepts_a_valid_answer_even_inside_a_code_fence() {
        let parsed = SentimentAnalysis::from_json(VALID).expect("valid");
        assert_eq!(parsed.direction, Label::Bullish);
        assert_eq!(parsed.assets, ["XBT"], "tickers become Kraken codes");
        let both = SentimentAnalysis::from_json(&VALID.replace(r#"["BTC"]"#, r#"["BTC","ETH","XBT"]"#)).expect("valid");
        assert_eq!(both.assets, ["XBT", "ETH"]);
        let fenced = format!("```json\n{VALID}\n```");
        assert!(SentimentAnalysis::from_json(&fenced).is_ok());
    }

    #[test]
    fn rejects_out_of_range_values() {
        let bad = VALID.replace("0.8", "1.7");
        assert!(matches!(SentimentAnalysis::from_json(&bad), Err(SchemaError::OutOfRange { field: "confidence", .. })));
    }

    #[test]
    fn rejects_unknown_directions_fields_and_prose() {
        assert!(SentimentAnalysis::from_json(&VALID.replace("bullish", "up")).is_err());
        assert!(SentimentAnalysis::from_json(&VALID.replace("}", r#","extra":1}"#)).is_err());
        assert!(SentimentAnalysis::from_json("I think bitcoin will rise").is_err());
    }

    #[test]
    fn rejects_empty_rationale_and_bad_tickers() {
        assert!(SentimentAnalysis::from_json(&VALID.replace("ETF inflows", " ")).is_err());
        assert!(SentimentAnalysis::from_json(&VALID.replace("BTC", "bitcoin!")).is_err());
    }

    #[test]
    fn news_analysis_validates_its_nested_sentiment() {
        let ok = format!(r#"{{"summary":"SEC approves spot ETF","event":"etf","sentiment":{VALID}}}"#);
        assert_eq!(NewsAnalysis::from_json(&ok).expect("valid").event, EventKind::Etf);
        let bad = ok.replace("0.6", "-0.1");
        assert!(NewsAnalysis::from_json(&bad).is_err());
    }
}
