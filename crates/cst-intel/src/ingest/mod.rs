//! News and social ingestion: the standardized post, deduplication, the per-platform TOS rules and
//! ban protection enforced before every request, the sources, and a JSONL post sink.

pub mod credentials;
pub mod exchange;
pub mod gate;
pub mod post;
pub mod sink;
pub mod sources;
pub mod tos;
