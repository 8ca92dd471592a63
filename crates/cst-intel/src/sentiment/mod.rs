//! Lexicon sentiment analysis: tokenizer, input checks, asset extraction and the analyzer.

mod analyzer;
mod assets;
mod input;
mod token;

#[cfg(test)]
mod tests;

pub use analyzer::{Analyzer, Indicators, Label, NEUTRAL_BAND, Sentiment};
pub use assets::{asset_code, extract_assets};
pub use input::{MAX_TEXT_BYTES, TextError, check_text, text_from_bytes};
pub use token::{Token, TokenKind, tokenize};
