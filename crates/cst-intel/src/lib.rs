//! Market intelligence: sentiment, governed LLM analysis, news and social ingestion.
