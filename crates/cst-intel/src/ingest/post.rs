//! The standardized `Post` every source produces, its validated constructor, and deduplication by
//! platform id and by normalized text (the same headline syndicated across feeds counts once).

use crate::sentiment::{TextError, check_text, extract_assets, tokenize};
use cst_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Where a post came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// An RSS or Atom news feed.
    Rss,
    /// Reddit (official OAuth API).
    Reddit,
    /// Telegram Bot API.
    Telegram,
    /// X (Twitter) API v2.
    X,
    /// Discord bot API.
    Discord,
}

impl Platform {
    /// Every platform.
    pub const ALL: [Platform; 5] =
        [Platform::Rss, Platform::Reddit, Platform::Telegram, Platform::X, Platform::Discord];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Rss => "rss",
            Platform::Reddit => "reddit",
            Platform::Telegram => "telegram",
            Platform::X => "x",
            Platform::Discord => "discord",
        }
    }
}

/// Engagement counters as the platform reports them (absent counters are 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engagement {
    /// Likes, upvotes, reactions.
    pub likes: u64,
    /// Replies or comments.
    pub replies: u64,
    /// Reposts, retweets, quotes, forwards.
    pub reposts: u64,
}

/// One post, article or message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    /// The platform.
    pub source: Platform,
    /// The platform's id (feed guid, Reddit fullname, tweet id, `chat:message` ...).
    pub id: String,
    /// Author name or id, when the platform gives one.
    pub author: Option<String>,
    /// When the author published it (platform time).
    pub created_at: Timestamp,
    /// When we received it; features use this, so a backtest never sees a post before it existed.
    pub received_at: Timestamp,
    /// The text (title and body for articles).
    pub text: String,
    /// Link to the original.
    pub url: Option<String>,
    /// Crypto assets mentioned (Kraken codes).
    pub assets: Vec<String>,
    /// Engagement counters.
    pub engagement: Engagement,
    /// Language code the platform reports (e.g. `en`), if any.
    pub language: Option<String>,
}

/// Why a platform item did not become a post.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// No id.
    #[error("item has no id")]
    MissingId,
    /// The text failed the input checks.
    #[error("{0}")]
    Text(#[from] TextError),
    /// The platform declares a language the lexicon cannot read.
    #[error("unsupported language: {0}")]
    Language(String),
}

impl PostError {
    /// A stable reason for counting rejections.
    pub fn reason(&self) -> String {
        match self {
            PostError::Text(e) => e.reason(),
            other => other.to_string(),
        }
    }
}

/// Platform language codes the English lexicon reads (`und`/`zxx`/`qme`: undetermined, no text, media).
const READABLE_LANGUAGES: &[&str] = &["en", "und", "zxx", "qme", "qht", "art"];

/// The platform-side fields of a post, before validation.
#[derive(Debug, Clone, Default)]
pub struct RawPost {
    /// Platform id.
    pub id: String,
    /// Author.
    pub author: Option<String>,
    /// Publication time.
    pub created_at: Option<Timestamp>,
    /// Text.
    pub text: String,
    /// Link.
    pub url: Option<String>,
    /// Engagement.
    pub engagement: Engagement,
    /// Language.
    pub language: Option<String>,
}

impl Post {
    /// Validates a raw item into a post received at `received_at`; a missing publication time is the
    /// receipt time (it cannot have been published later than we saw it).
    pub fn from_raw(source: Platform, raw: RawPost, received_at: Timestamp) -> Result<Post, PostError> {
        if raw.id.trim().is_empty() {
            return Err(PostError::MissingId);
        }
        if let Some(lang) = raw.language.as_deref().filter(|l| !READABLE_LANGUAGES.contains(l)) {
            return Err(PostError::Language(lang.to_string()));
        }
        let text = raw.text.trim().to_string();
        check_text(&text)?;
        let assets = extract_assets(&tokenize(&text)).into_iter().map(str::to_string).collect();
        Ok(Post {
            source,
            id: raw.id,
            author: raw.author.filter(|a| !a.is_empty()),
            created_at: raw.created_at.unwrap_or(received_at).min(received_at),
            received_at,
            text,
            url: raw.url,
            assets,
            engagement: raw.engagement,
            language: raw.language,
        })
    }
}

/// Drops posts seen before, by (platform, id) and by normalized text.
#[derive(Debug, Default)]
pub struct Deduplicator {
    ids: HashSet<(Platform, String)>,
    texts: HashSet<u64>,
    /// Duplicates dropped so far.
    pub dropped: u64,
}

impl Deduplicator {
    /// An empty deduplicator.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when the post is new (and remembers it); false for a duplicate.
    pub fn admit(&mut self, post: &Post) -> bool {
        let id_new = !self.ids.contains(&(post.source, post.id.clone()));
        let text_new = !self.texts.contains(&text_key(&post.text));
        if id_new && text_new {
            self.ids.insert((post.source, post.id.clone()));
            self.texts.insert(text_key(&post.text));
            true
        } else {
            self.dropped += 1;
            false
        }
    }
}

/// FNV-1a of the lowercase alphanumeric words, so case, punctuation and links do not hide a repeat.
fn text_key(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let words = text.split_whitespace().filter(|w| !w.starts_with("http"));
    for c in words.flat_map(|w| w.chars().chain([' '])).filter(|c| c.is_alphanumeric() || *c == ' ') {
        for b in c.to_lowercase().to_string().bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(id: &str, text: &str) -> RawPost {
        RawPost { id: id.into(), text: text.into(), ..Default::default() }
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_secs(secs).expect("time")
    }

    #[test]
    fn posts_carry_assets_and_never_claim_publication_after_receipt() {
        let mut r = raw("1", "$ETH breaks out while Bitcoin waits");
        r.created_at = Some(at(2_000));
        let post = Post::from_raw(Platform::X, r, at(1_000)).expect("post");
        assert_eq!(post.assets, ["ETH", "XBT"]);
        assert_eq!(post.created_at, at(1_000));
    }

    #[test]
    fn refuses_items_without_id_or_usable_text() {
        assert_eq!(Post::from_raw(Platform::Rss, raw("", "text"), at(0)), Err(PostError::MissingId));
        assert_eq!(Post::from_raw(Platform::Rss, raw("1", "  "), at(0)), Err(PostError::Text(TextError::Empty)));
    }

    #[test]
    fn duplicates_by_id_or_by_normalized_text_are_dropped() {
        let mut d = Deduplicator::new();
        let a = Post::from_raw(Platform::Rss, raw("a", "Bitcoin hits $100k https://t.co/x"), at(0)).expect("post");
        let same_id = Post::from_raw(Platform::Rss, raw("a", "other text"), at(1)).expect("post");
        let same_text = Post::from_raw(Platform::Reddit, raw("b", "bitcoin hits $100K!"), at(2)).expect("post");
        let other = Post::from_raw(Platform::Reddit, raw("c", "ETH upgrade ships"), at(3)).expect("post");
        assert!(d.admit(&a));
        assert!(!d.admit(&same_id));
        assert!(!d.admit(&same_text));
        assert!(d.admit(&other));
        assert_eq!(d.dropped, 2);
    }
}
