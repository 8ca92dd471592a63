//! The recorder: every frame sent and received, with local receipt time (ns) and exchange time,
//! in a format that replays byte for byte.
//!
//! ```text
//! #cst-ws-recording 1 protocol=v2 url=wss://ws.kraken.com/v2
//! C 1700000000000000000 - 24
//! wss://ws.kraken.com/v2
//! S 1700000000100000000 - 80
//! {"method":"subscribe",...}
//! R 1700000000200000000 1700000000190000000 123
//! {"channel":"book",...}
//! ```
//!
//! Each record is a header line `<kind> <local_ns> <exchange_ns or -> <byte length>` followed by
//! exactly that many bytes and a newline, so frames may contain any bytes, newlines included.

use super::frame::Protocol;
use std::io::{self, Write};

/// The first line's magic prefix.
pub const MAGIC: &str = "#cst-ws-recording 1";

/// What a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A connection was opened; the payload is the URL.
    Connected,
    /// A frame we sent.
    Sent,
    /// A frame we received.
    Received,
}

impl Direction {
    /// The record's one-letter tag.
    pub fn tag(self) -> char {
        match self {
            Direction::Connected => 'C',
            Direction::Sent => 'S',
            Direction::Received => 'R',
        }
    }

    /// The direction for a tag.
    pub fn from_tag(tag: &str) -> Option<Self> {
        match tag {
            "C" => Some(Direction::Connected),
            "S" => Some(Direction::Sent),
            "R" => Some(Direction::Received),
            _ => None,
        }
    }
}

/// The protocol name written in the header.
pub fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::V1 => "v1",
        Protocol::V2 => "v2",
    }
}

/// Writes a recording.
#[derive(Debug)]
pub struct Recorder<W: Write> {
    out: W,
    frames: u64,
}

impl<W: Write> Recorder<W> {
    /// Starts a recording of a `protocol` stream from `url`.
    pub fn new(mut out: W, protocol: Protocol, url: &str) -> io::Result<Self> {
        writeln!(out, "{MAGIC} protocol={} url={url}", protocol_name(protocol))?;
        Ok(Self { out, frames: 0 })
    }

    /// Appends one record and flushes it, so a crash loses nothing already received.
    pub fn record(
        &mut self,
        dir: Direction,
        local_ns: i64,
        exchange_ns: Option<i64>,
        payload: &[u8],
    ) -> io::Result<()> {
        let exchange = exchange_ns.map_or_else(|| "-".to_string(), |ns| ns.to_string());
        writeln!(self.out, "{} {local_ns} {exchange} {}", dir.tag(), payload.len())?;
        self.out.write_all(payload)?;
        self.out.write_all(b"\n")?;
        self.out.flush()?;
        if dir == Direction::Received {
            self.frames += 1;
        }
        Ok(())
    }

    /// Received frames recorded so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}
