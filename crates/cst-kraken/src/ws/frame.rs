//! One parsed WebSocket frame, whatever the protocol version: the book driver, the client and
//! the replayer only see these types.

use cst_core::{Price, Qty, Side, Timestamp, Trade};

/// Kraken spot WebSocket protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `wss://ws.kraken.com` (array frames; the format of our real recordings).
    V1,
    /// `wss://ws.kraken.com/v2` (object frames; the current API).
    V2,
}

/// A price level as printed on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelText<'a> {
    /// Price text.
    pub price: &'a str,
    /// Quantity text (`0` deletes the level).
    pub qty: &'a str,
}

/// Whether a book message replaces the book or changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookMessageKind {
    /// A full book for the subscribed depth.
    Snapshot,
    /// Level changes to apply in order.
    Update,
}

/// One book message for one symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookMessage<'a> {
    /// Pair as the feed names it (`XBT/CHF` in v1, `BTC/USD` in v2).
    pub symbol: &'a str,
    /// Snapshot or update.
    pub kind: BookMessageKind,
    /// Subscribed depth when the frame says it (v1 channel name `book-1000`).
    pub depth: Option<usize>,
    /// Ask changes in wire order.
    pub asks: Vec<LevelText<'a>>,
    /// Bid changes in wire order.
    pub bids: Vec<LevelText<'a>>,
    /// The exchange's CRC32 of the top 10 levels after this message (v1 snapshots have none).
    pub checksum: Option<u32>,
    /// Exchange time text: RFC 3339 (v2) or the latest level time in epoch seconds (v1).
    pub exchange_time: Option<&'a str>,
}

impl BookMessage<'_> {
    /// Exchange time in ns since the epoch, when the frame carries one.
    pub fn exchange_ns(&self) -> Option<i64> {
        self.exchange_time.and_then(time_text_ns)
    }
}

/// One public trade as printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradeText<'a> {
    /// Pair as the feed names it.
    pub symbol: &'a str,
    /// Price text.
    pub price: &'a str,
    /// Quantity text.
    pub qty: &'a str,
    /// `buy` / `sell` (v2) or `b` / `s` (v1): the taker side.
    pub side: &'a str,
    /// Trade time text (RFC 3339 or epoch seconds).
    pub time: &'a str,
    /// Kraken's trade id (v2 only).
    pub trade_id: Option<u64>,
}

impl TradeText<'_> {
    /// The exact core trade; refuses texts that are not a valid price, quantity, side or time.
    pub fn to_trade(&self) -> Result<Trade, FrameError> {
        let bad = |what: &str, v: &str| FrameError::Malformed(format!("trade {what} {v:?}"));
        let side = match self.side {
            "b" | "buy" => Side::Buy,
            "s" | "sell" => Side::Sell,
            other => return Err(bad("side", other)),
        };
        Ok(Trade {
            time: Timestamp::from_nanos(time_text_ns(self.time).ok_or_else(|| bad("time", self.time))?),
            price: Price::parse(self.price).map_err(|_| bad("price", self.price))?,
            qty: Qty::parse(self.qty).map_err(|_| bad("qty", self.qty))?,
            side,
            trade_id: self.trade_id,
        })
    }
}

/// Top of book and last trade from the ticker channel, as printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickerText<'a> {
    /// Pair as the feed names it.
    pub symbol: &'a str,
    /// Best bid price.
    pub bid: &'a str,
    /// Quantity at the best bid.
    pub bid_qty: &'a str,
    /// Best ask price.
    pub ask: &'a str,
    /// Quantity at the best ask.
    pub ask_qty: &'a str,
    /// Last trade price.
    pub last: &'a str,
    /// Volume over the last 24 h.
    pub volume: &'a str,
}

/// A reply to a subscribe / unsubscribe request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack<'a> {
    /// `subscribe` or `unsubscribe`.
    pub method: &'a str,
    /// The channel it concerns, when given.
    pub channel: Option<&'a str>,
    /// The symbol it concerns, when given.
    pub symbol: Option<&'a str>,
    /// Whether Kraken accepted the request.
    pub success: bool,
    /// Kraken's error text when it did not.
    pub error: Option<&'a str>,
    /// Our request id, echoed.
    pub req_id: Option<u64>,
}

/// A parsed frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame<'a> {
    /// A book snapshot or update.
    Book(BookMessage<'a>),
    /// Public trades.
    Trades(Vec<TradeText<'a>>),
    /// Ticker updates.
    Ticker(Vec<TickerText<'a>>),
    /// OHLC candles (v2).
    Ohlc(Vec<super::v2::OhlcRow<'a>>),
    /// Instrument reference data (v2).
    Instrument(Box<super::v2::InstrumentData<'a>>),
    /// The exchange's keep-alive.
    Heartbeat,
    /// Exchange status (`online`, `maintenance`, ...).
    Status {
        /// System state.
        system: &'a str,
    },
    /// A subscription reply.
    Ack(Ack<'a>),
    /// Reply to our ping.
    Pong {
        /// Our request id, echoed.
        req_id: Option<u64>,
    },
}

/// Why a frame could not be parsed (the raw text is logged and counted by the caller).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Not JSON, or JSON of the wrong shape for its channel.
    #[error("malformed frame: {0}")]
    Malformed(String),
    /// Well-formed, but a message type we do not know.
    #[error("unknown message: {0}")]
    Unknown(String),
}

/// Parses one received text frame.
pub fn parse_frame(protocol: Protocol, text: &str) -> Result<Frame<'_>, FrameError> {
    match protocol {
        Protocol::V1 => super::v1::parse(text),
        Protocol::V2 => super::v2::parse(text),
    }
}

/// Converts `1618678133.366461` (epoch seconds) or an RFC 3339 text into ns.
pub fn time_text_ns(text: &str) -> Option<i64> {
    if text.contains('T') {
        return Timestamp::parse(text).ok().map(Timestamp::as_nanos);
    }
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    let secs: i64 = secs.parse().ok()?;
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut nanos: i64 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
    for _ in frac.len()..9 {
        nanos *= 10;
    }
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_recorded_v1_trade_becomes_an_exact_core_trade() {
        let text = cst_testdata::read_text("kraken/ws-v1-capture-2021/KRAKEN.ws.48.0.txt.gz");
        let mut n = 0;
        for line in text.lines().filter(|l| !l.starts_with("wss://")) {
            let Some((_, f)) = line.split_once(": ") else { continue };
            if let Ok(Frame::Trades(ts)) = parse_frame(Protocol::V1, f) {
                for t in ts {
                    let trade = t.to_trade().unwrap();
                    assert_eq!(trade.price.value().to_string().trim_end_matches('0'), t.price.trim_end_matches('0'));
                    assert!(trade.time.as_nanos() > 1_618_678_000_000_000_000);
                    n += 1;
                }
            }
        }
        assert_eq!(n, 10, "trades printed during the 30 s capture");
    }

    #[test]
    fn refuses_a_trade_with_an_unknown_side() {
        let t = TradeText { symbol: "X/Y", price: "1", qty: "1", side: "x", time: "1.0", trade_id: None };
        assert!(t.to_trade().is_err());
    }

    #[test]
    fn converts_both_kraken_time_formats_to_ns() {
        assert_eq!(time_text_ns("1618678133.366461"), Some(1_618_678_133_366_461_000));
        assert_eq!(time_text_ns("2023-10-06T17:35:55.440295Z"), Some(1_696_613_755_440_295_000));
        assert_eq!(time_text_ns("abc"), None);
    }
}
