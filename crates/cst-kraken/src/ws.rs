//! Kraken spot WebSocket: wire types (v2, plus the v1 format of our real recordings), the
//! checksummed book driver, the reconnecting client, the recorder and the replayer.
//!
//! Numbers keep their exact decimal text from the wire to the book, because Kraken's book
//! checksum is computed on that text.

pub mod backoff;
pub mod client;
pub mod feed;
pub mod frame;
pub mod ohlc;
pub mod recorder;
pub mod replay;
pub mod text;
pub mod v1;
pub mod v2;

pub use feed::{BookFeed, BookOutcome, BookStats, ChecksumCheck, Invalid};
pub use frame::{BookMessage, BookMessageKind, Frame, FrameError, LevelText, Protocol};
