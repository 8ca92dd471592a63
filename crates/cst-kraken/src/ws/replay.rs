//! Reads recorded WebSocket streams back (our recorder's format and cryptofeed's raw format
//! used by `kraken/ws-v1-capture-2021`) and replays them through the real book code.

use super::feed::{BookFeed, BookOutcome, BookStats};
use super::frame::{Frame, FrameError, Protocol, parse_frame};
use super::recorder::{Direction, MAGIC};
use std::collections::BTreeMap;

/// One recorded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedFrame<'a> {
    /// Connection, sent or received.
    pub direction: Direction,
    /// Local time (ns since the epoch) the frame was received or sent.
    pub local_ns: i64,
    /// Exchange time, when the recorder knew it.
    pub exchange_ns: Option<i64>,
    /// The frame exactly as on the wire.
    pub text: &'a str,
}

/// A recording read into frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording<'a> {
    /// The protocol the frames speak.
    pub protocol: Protocol,
    /// Frames in recorded order.
    pub frames: Vec<RecordedFrame<'a>>,
}

/// Why a recording could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// A line or record that fits neither format.
    #[error("line {line}: {reason}")]
    Format {
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        reason: String,
    },
}

/// Reads either format, recognised by its first line.
pub fn read_recording(text: &str) -> Result<Recording<'_>, ReplayError> {
    if text.starts_with(MAGIC) { read_cst(text) } else { read_cryptofeed(text) }
}

fn format_err(line: usize, reason: impl Into<String>) -> ReplayError {
    ReplayError::Format { line, reason: reason.into() }
}

fn read_cst(text: &str) -> Result<Recording<'_>, ReplayError> {
    let (header, mut rest) = text.split_once('\n').ok_or_else(|| format_err(1, "no header line"))?;
    let protocol = if header.contains("protocol=v1") { Protocol::V1 } else { Protocol::V2 };
    let mut frames = Vec::new();
    let mut line = 2;
    while !rest.is_empty() {
        let (head, after) = rest.split_once('\n').ok_or_else(|| format_err(line, "record header without newline"))?;
        let parts: Vec<&str> = head.split(' ').collect();
        let [tag, local, exchange, len] = parts[..] else {
            return Err(format_err(line, format!("bad record header {head:?}")));
        };
        let direction = Direction::from_tag(tag).ok_or_else(|| format_err(line, format!("bad tag {tag:?}")))?;
        let local_ns = local.parse().map_err(|_| format_err(line, "bad local time"))?;
        let exchange_ns = if exchange == "-" {
            None
        } else {
            Some(exchange.parse().map_err(|_| format_err(line, "bad exchange time"))?)
        };
        let len: usize = len.parse().map_err(|_| format_err(line, "bad length"))?;
        let payload = after.get(..len).ok_or_else(|| format_err(line, "truncated record"))?;
        rest = after[len..].strip_prefix('\n').ok_or_else(|| format_err(line, "record not newline-terminated"))?;
        line += 2 + payload.matches('\n').count();
        frames.push(RecordedFrame { direction, local_ns, exchange_ns, text: payload });
    }
    Ok(Recording { protocol, frames })
}

/// cryptofeed's raw recorder: `<url> <-> <ts>` (connect), `<url> <- <ts>: <json>` (sent),
/// `<ts>: <json>` (received); times are epoch seconds with a fraction.
fn read_cryptofeed(text: &str) -> Result<Recording<'_>, ReplayError> {
    let mut protocol = Protocol::V1;
    let mut frames = Vec::new();
    for (i, l) in text.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
        let err = |r: &str| format_err(i + 1, r);
        let frame = if let Some((url, ts)) = l.split_once(" <-> ") {
            if url.ends_with("/v2") {
                protocol = Protocol::V2;
            }
            RecordedFrame {
                direction: Direction::Connected,
                local_ns: secs_ns(ts).ok_or_else(|| err("bad time"))?,
                exchange_ns: None,
                text: url,
            }
        } else if let Some((_, sent)) = l.split_once(" <- ") {
            let (ts, json) = sent.split_once(": ").ok_or_else(|| err("sent line without ': '"))?;
            RecordedFrame {
                direction: Direction::Sent,
                local_ns: secs_ns(ts).ok_or_else(|| err("bad time"))?,
                exchange_ns: None,
                text: json,
            }
        } else {
            let (ts, json) = l.split_once(": ").ok_or_else(|| err("received line without ': '"))?;
            RecordedFrame {
                direction: Direction::Received,
                local_ns: secs_ns(ts).ok_or_else(|| err("bad time"))?,
                exchange_ns: None,
                text: json,
            }
        };
        frames.push(frame);
    }
    Ok(Recording { protocol, frames })
}

fn secs_ns(ts: &str) -> Option<i64> {
    super::frame::time_text_ns(ts.trim())
}

#[derive(serde::Deserialize)]
struct SentRequest {
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    params: Option<SentParams>,
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    pair: Vec<String>,
    #[serde(default)]
    subscription: Option<SentParams>,
}

#[derive(serde::Deserialize)]
struct SentParams {
    #[serde(default, alias = "name")]
    channel: String,
    #[serde(default)]
    symbol: Vec<String>,
    #[serde(default)]
    depth: Option<usize>,
}

/// The `(symbol, depth)` pairs a recorded book subscribe request asked for (v1 or v2).
fn subscribed_book_depths(text: &str) -> Vec<(String, usize)> {
    let Ok(req) = serde_json::from_str::<SentRequest>(text) else { return Vec::new() };
    let subscribe = req.method.as_deref() == Some("subscribe") || req.event.as_deref() == Some("subscribe");
    let (params, symbols) = match (req.params, req.subscription) {
        (Some(p), _) => {
            let symbols = p.symbol.clone();
            (p, symbols)
        }
        (None, Some(p)) => (p, req.pair),
        (None, None) => return Vec::new(),
    };
    match (subscribe && params.channel == "book", params.depth) {
        (true, Some(depth)) => symbols.into_iter().map(|s| (s, depth)).collect(),
        _ => Vec::new(),
    }
}

/// What replaying a recording through the books found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Counters per pair.
    pub pairs: BTreeMap<String, BookStats>,
    /// Received frames replayed.
    pub frames: u64,
    /// Frames that could not be parsed.
    pub malformed: u64,
    /// The first few malformed frames' raw text and reason.
    pub malformed_samples: Vec<(String, String)>,
}

impl VerifyReport {
    /// True when every checksummed message matched and nothing was refused.
    pub fn all_matched(&self) -> bool {
        let sums: u64 = self.pairs.values().map(|s| s.checksums_matched).sum();
        sums > 0 && self.pairs.values().all(|s| s.checksums_mismatched == 0 && s.bad_levels == 0 && s.skipped == 0)
    }
}

/// Replays every received frame of `rec` through a [`BookFeed`] of `depth` levels (frames that
/// name their depth, like v1 `book-1000`, use theirs).
pub fn verify_books(rec: &Recording<'_>, depth: usize) -> VerifyReport {
    let mut feed = BookFeed::new(depth);
    let mut report = VerifyReport::default();
    for f in &rec.frames {
        if f.direction == Direction::Sent {
            for (symbol, depth) in subscribed_book_depths(f.text) {
                feed.set_depth(&symbol, depth);
            }
            continue;
        }
        if f.direction != Direction::Received {
            continue;
        }
        report.frames += 1;
        match parse_frame(rec.protocol, f.text) {
            Ok(Frame::Book(msg)) => {
                if let BookOutcome::Invalidated(reason) = feed.on_message(&msg) {
                    tracing::warn!(symbol = msg.symbol, %reason, "book invalidated during replay");
                }
            }
            Ok(Frame::Instrument(data)) => {
                for pair in &data.pairs {
                    if let Some(scale) = super::v2::book_scale(pair) {
                        feed.set_scale(pair.symbol, scale);
                    }
                }
            }
            Ok(_) | Err(FrameError::Unknown(_)) => {}
            Err(e) => {
                report.malformed += 1;
                if report.malformed_samples.len() < 5 {
                    report.malformed_samples.push((f.text.to_string(), e.to_string()));
                }
            }
        }
    }
    for symbol in feed.symbols() {
        if let Some(stats) = feed.stats(symbol) {
            report.pairs.insert(symbol.to_string(), stats.clone());
        }
    }
    report
}

#[cfg(test)]
mod tests;
