//! The ingestion sources, one per platform, each returning a batch of validated posts and counted
//! rejections.

pub mod discord;
pub mod reddit;
pub mod rss;
pub mod telegram;
pub mod x;

use super::post::{Platform, Post, RawPost};
use cst_core::time::Timestamp;
use std::collections::BTreeMap;

/// What one fetch produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// Valid posts.
    pub posts: Vec<Post>,
    /// Items refused, by reason.
    pub rejected: BTreeMap<String, u64>,
}

impl Batch {
    /// Validates raw items into posts, counting refusals.
    pub fn from_raw(platform: Platform, items: Vec<RawPost>, received_at: Timestamp) -> Self {
        let mut batch = Batch::default();
        for raw in items {
            match Post::from_raw(platform, raw, received_at) {
                Ok(post) => batch.posts.push(post),
                Err(e) => batch.reject(&e.reason()),
            }
        }
        batch
    }

    /// Counts one refused item.
    pub fn reject(&mut self, reason: &str) {
        *self.rejected.entry(reason.to_string()).or_default() += 1;
    }
}
