//! The book maintenance driver: applies book messages in order, verifies Kraken's checksum on
//! every message that carries one, and marks a book invalid (trading on it blocked) on a
//! mismatch, a level it cannot represent, a stale feed or a disconnect. An invalid book stays
//! invalid, and ignores updates, until a fresh snapshot arrives (the client resubscribes).

use super::frame::{BookMessage, BookMessageKind, LevelText};
use crate::checksum::ChecksumCache;
use cst_core::book::{Book, BookError, BookScale, BookSide, LevelUpdate};
use std::collections::HashMap;

/// Why a book cannot be trusted right now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// No snapshot received yet (or since the last invalidation).
    #[error("awaiting snapshot")]
    AwaitingSnapshot,
    /// Our top 10 levels disagree with Kraken's checksum.
    #[error("checksum mismatch: exchange {expected}, ours {computed}")]
    ChecksumMismatch {
        /// Kraken's checksum.
        expected: u32,
        /// Ours after applying the message.
        computed: u32,
    },
    /// A level the book cannot represent exactly.
    #[error("bad level: {0}")]
    BadLevel(String),
    /// No message or heartbeat within the allowed time.
    #[error("feed stale")]
    Stale,
    /// The connection dropped.
    #[error("disconnected")]
    Disconnected,
}

/// Result of the checksum comparison for one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumCheck {
    /// Ours equals Kraken's.
    Matched,
    /// The message carried no checksum (v1 snapshots).
    NotSent,
}

/// What one book message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookOutcome {
    /// A snapshot replaced the book; it is valid.
    Snapshot(ChecksumCheck),
    /// An update was applied; the book is valid.
    Applied(ChecksumCheck),
    /// The book just became invalid: resubscribe for a fresh snapshot.
    Invalidated(Invalid),
    /// The book was already invalid; the update was skipped.
    Skipped,
}

/// Per-symbol counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookStats {
    /// Snapshots loaded.
    pub snapshots: u64,
    /// Update messages applied.
    pub updates_applied: u64,
    /// Level changes applied (snapshots excluded).
    pub levels_applied: u64,
    /// Messages whose checksum matched.
    pub checksums_matched: u64,
    /// Messages whose checksum did not match.
    pub checksums_mismatched: u64,
    /// Messages refused because a level could not be represented.
    pub bad_levels: u64,
    /// Updates skipped while the book was invalid.
    pub skipped: u64,
    /// Times the book was invalidated (any reason).
    pub invalidations: u64,
}

#[derive(Debug)]
struct Tracked {
    book: Option<Book>,
    state: Result<(), Invalid>,
    stats: BookStats,
    /// Incremental checksum state of `book`.
    checksum: ChecksumCache,
}

impl Default for Tracked {
    fn default() -> Self {
        Self {
            book: None,
            state: Err(Invalid::AwaitingSnapshot),
            stats: BookStats::default(),
            checksum: ChecksumCache::default(),
        }
    }
}

/// All books of one feed, keyed by the feed's symbol.
#[derive(Debug)]
pub struct BookFeed {
    depth: usize,
    books: HashMap<String, Tracked>,
    scales: HashMap<String, BookScale>,
    depths: HashMap<String, usize>,
    scratch: Vec<(BookSide, LevelUpdate)>,
}

impl BookFeed {
    /// A feed whose books keep `depth` levels per side unless a frame names its depth.
    pub fn new(depth: usize) -> Self {
        Self { depth, books: HashMap::new(), scales: HashMap::new(), depths: HashMap::new(), scratch: Vec::new() }
    }

    /// Fixes a symbol's decimals (from the instrument channel); otherwise they are read off
    /// the snapshot texts.
    pub fn set_scale(&mut self, symbol: &str, scale: BookScale) {
        self.scales.insert(symbol.to_string(), scale);
    }

    /// Sets a symbol's subscribed depth (v2 frames do not repeat it).
    pub fn set_depth(&mut self, symbol: &str, depth: usize) {
        self.depths.insert(symbol.to_string(), depth);
    }

    /// Applies one book message.
    pub fn on_message(&mut self, msg: &BookMessage<'_>) -> BookOutcome {
        match msg.kind {
            BookMessageKind::Snapshot => self.on_snapshot(msg),
            BookMessageKind::Update => self.on_update(msg),
        }
    }

    fn tracked(&mut self, symbol: &str) -> &mut Tracked {
        self.books.entry(symbol.to_string()).or_default()
    }

    fn on_snapshot(&mut self, msg: &BookMessage<'_>) -> BookOutcome {
        let depth = msg.depth.or_else(|| self.depths.get(msg.symbol).copied()).unwrap_or(self.depth);
        let scale = match self.scales.get(msg.symbol) {
            Some(s) => Ok(*s),
            None => BookScale::infer(msg.asks.iter().chain(&msg.bids).map(|l| (l.price, l.qty))),
        };
        let loaded = scale.and_then(|scale| {
            let bids = parse_levels(scale, &msg.bids)?;
            let asks = parse_levels(scale, &msg.asks)?;
            let mut book = Book::new(depth, scale);
            book.load_snapshot(&bids, &asks);
            Ok(book)
        });
        let t = self.tracked(msg.symbol);
        match loaded {
            Ok(book) => {
                t.stats.snapshots += 1;
                t.book = Some(book);
                t.checksum.reset();
                t.state = Ok(());
                verify(t, msg.checksum).map_or_else(BookOutcome::Invalidated, BookOutcome::Snapshot)
            }
            Err(e) => invalidate_bad(t, &e),
        }
    }

    fn on_update(&mut self, msg: &BookMessage<'_>) -> BookOutcome {
        let mut scratch = std::mem::take(&mut self.scratch);
        let t = match self.books.get_mut(msg.symbol) {
            Some(t) => t,
            None => self.tracked(msg.symbol),
        };
        let outcome = apply_update(t, msg, &mut scratch);
        self.scratch = scratch;
        outcome
    }

    /// Marks every book invalid (disconnect, stale feed): trading on them is blocked until
    /// fresh snapshots arrive.
    pub fn invalidate_all(&mut self, reason: &Invalid) {
        for t in self.books.values_mut() {
            if t.state.is_ok() {
                t.stats.invalidations += 1;
            }
            t.book = None;
            t.checksum.reset();
            t.state = Err(reason.clone());
        }
    }

    /// The book of `symbol` only while it is proven in sync.
    pub fn book(&self, symbol: &str) -> Result<&Book, Invalid> {
        let t = self.books.get(symbol).ok_or(Invalid::AwaitingSnapshot)?;
        t.state.clone()?;
        t.book.as_ref().ok_or(Invalid::AwaitingSnapshot)
    }

    /// Counters of one symbol.
    pub fn stats(&self, symbol: &str) -> Option<&BookStats> {
        self.books.get(symbol).map(|t| &t.stats)
    }

    /// Symbols seen so far, sorted.
    pub fn symbols(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.books.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }
}

fn parse_levels(scale: BookScale, levels: &[LevelText<'_>]) -> Result<Vec<LevelUpdate>, BookError> {
    levels.iter().map(|l| scale.parse_level(l.price, l.qty)).collect()
}

fn apply_update(t: &mut Tracked, msg: &BookMessage<'_>, scratch: &mut Vec<(BookSide, LevelUpdate)>) -> BookOutcome {
    let Some(book) = t.book.as_mut().filter(|_| t.state.is_ok()) else {
        t.stats.skipped += 1;
        return BookOutcome::Skipped;
    };
    // Parse the whole message before touching the book: a bad level must not half-apply it.
    scratch.clear();
    let scale = book.scale();
    let sides = [(BookSide::Ask, &msg.asks), (BookSide::Bid, &msg.bids)];
    for (side, levels) in sides {
        for l in levels.iter() {
            match scale.parse_level(l.price, l.qty) {
                Ok(u) => scratch.push((side, u)),
                Err(e) => return invalidate_bad(t, &e),
            }
        }
    }
    book.apply_message(scratch);
    t.stats.updates_applied += 1;
    t.stats.levels_applied += scratch.len() as u64;
    verify(t, msg.checksum).map_or_else(BookOutcome::Invalidated, BookOutcome::Applied)
}

fn verify(t: &mut Tracked, expected: Option<u32>) -> Result<ChecksumCheck, Invalid> {
    let (Some(expected), Some(book)) = (expected, t.book.as_ref()) else {
        return Ok(ChecksumCheck::NotSent);
    };
    let computed = t.checksum.checksum(book);
    if computed == expected {
        t.stats.checksums_matched += 1;
        return Ok(ChecksumCheck::Matched);
    }
    t.stats.checksums_mismatched += 1;
    let reason = Invalid::ChecksumMismatch { expected, computed };
    invalidate(t, reason.clone());
    Err(reason)
}

fn invalidate(t: &mut Tracked, reason: Invalid) {
    t.stats.invalidations += 1;
    t.book = None;
    t.checksum.reset();
    t.state = Err(reason);
}

fn invalidate_bad(t: &mut Tracked, e: &BookError) -> BookOutcome {
    t.stats.bad_levels += 1;
    let reason = Invalid::BadLevel(e.to_string());
    invalidate(t, reason.clone());
    BookOutcome::Invalidated(reason)
}

#[cfg(test)]
mod tests;
