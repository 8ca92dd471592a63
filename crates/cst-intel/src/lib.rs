//! Market intelligence for CryptoSmartTrader: a lexicon sentiment analyzer for crypto and financial
//! text, its evaluation against labelled data, governed LLM analysis, news and social ingestion, and
//! causal sentiment features.
//!
//! Layout: [`lexicon`] (weighted terms), [`sentiment`] (tokenizer, input checks, assets, analyzer),
//! [`evaluation`] (accuracy, macro-F1, confusion matrix over a labelled CSV), [`llm`] (governed LLM
//! analysis), [`ingest`] (posts, TOS rules, ban protection, sources, JSONL sink), [`features`] (causal
//! per-asset sentiment bars), [`clock`], [`secret`] and [`http`] (shared shell pieces).

pub mod clock;
pub mod evaluation;
pub mod features;
pub mod http;
pub mod ingest;
pub mod lexicon;
pub mod llm;
pub mod secret;
pub mod sentiment;
