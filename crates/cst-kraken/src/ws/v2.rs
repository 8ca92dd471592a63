//! Kraken WebSocket v2 (`wss://ws.kraken.com/v2`) public messages, exactly as documented:
//! requests carry `method`, `params` and an optional `req_id`; replies echo them with
//! `success` / `error` and `time_in` / `time_out`; channel data come as
//! `{"channel", "type": "snapshot"|"update", "data": [...]}`. Prices and quantities are JSON
//! numbers whose text we keep ([`NumText`]) because the book checksum depends on it.

use super::frame::{Ack, BookMessage, BookMessageKind, Frame, FrameError, LevelText, TickerText, TradeText};
use super::text::NumText;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::fmt;

/// Book depths Kraken accepts on the v2 `book` channel.
pub const BOOK_DEPTHS: [usize; 5] = [10, 25, 100, 500, 1000];

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    channel: Option<&'a str>,
    #[serde(borrow, default, rename = "type")]
    kind: Option<&'a str>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(borrow, default)]
    method: Option<&'a str>,
    #[serde(default)]
    success: Option<bool>,
    #[serde(borrow, default)]
    error: Option<&'a str>,
    #[serde(borrow, default)]
    result: Option<AckResult<'a>>,
    #[serde(default)]
    req_id: Option<u64>,
}

#[derive(Deserialize)]
struct AckResult<'a> {
    #[serde(borrow, default)]
    channel: Option<&'a str>,
    #[serde(borrow, default)]
    symbol: Option<&'a str>,
}

fn malformed(e: impl fmt::Display) -> FrameError {
    FrameError::Malformed(e.to_string())
}

/// Parses one received v2 frame.
pub fn parse(text: &str) -> Result<Frame<'_>, FrameError> {
    let env: Envelope = serde_json::from_str(text).map_err(malformed)?;
    if let Some(method) = env.method {
        return parse_reply(method, env);
    }
    let channel = env.channel.ok_or_else(|| malformed("neither method nor channel"))?;
    if channel == "heartbeat" {
        return Ok(Frame::Heartbeat);
    }
    let data = env.data.ok_or_else(|| malformed(format!("{channel} message without data")))?.get();
    match channel {
        "book" => parse_book(env.kind, data),
        "trade" => parse_rows::<V2Trade>(data).map(|v| Frame::Trades(v.into_iter().map(V2Trade::text).collect())),
        "ticker" => parse_rows::<V2Ticker>(data).map(|v| Frame::Ticker(v.into_iter().map(V2Ticker::text).collect())),
        "ohlc" => parse_rows::<OhlcRow>(data).map(Frame::Ohlc),
        "instrument" => serde_json::from_str(data).map(|d| Frame::Instrument(Box::new(d))).map_err(malformed),
        "status" => {
            let rows: Vec<StatusRow> = serde_json::from_str(data).map_err(malformed)?;
            let system = rows.first().map(|r| r.system).ok_or_else(|| malformed("empty status"))?;
            Ok(Frame::Status { system })
        }
        other => Err(FrameError::Unknown(format!("v2 channel {other:?}"))),
    }
}

fn parse_reply<'a>(method: &'a str, env: Envelope<'a>) -> Result<Frame<'a>, FrameError> {
    match method {
        "pong" => Ok(Frame::Pong { req_id: env.req_id }),
        "subscribe" | "unsubscribe" => Ok(Frame::Ack(Ack {
            method,
            channel: env.result.as_ref().and_then(|r| r.channel),
            symbol: env.result.as_ref().and_then(|r| r.symbol),
            success: env.success.unwrap_or(false),
            error: env.error,
            req_id: env.req_id,
        })),
        other => Err(FrameError::Unknown(format!("v2 method {other:?}"))),
    }
}

fn parse_rows<'a, T: Deserialize<'a>>(data: &'a str) -> Result<Vec<T>, FrameError> {
    serde_json::from_str(data).map_err(malformed)
}

#[derive(Deserialize)]
struct V2Level<'a> {
    #[serde(borrow)]
    price: NumText<'a>,
    #[serde(borrow)]
    qty: NumText<'a>,
}

#[derive(Deserialize)]
struct V2Book<'a> {
    #[serde(borrow)]
    symbol: &'a str,
    #[serde(borrow, default)]
    bids: Vec<V2Level<'a>>,
    #[serde(borrow, default)]
    asks: Vec<V2Level<'a>>,
    checksum: u32,
    #[serde(borrow, default)]
    timestamp: Option<&'a str>,
}

fn levels<'a>(v: Vec<V2Level<'a>>) -> Vec<LevelText<'a>> {
    v.into_iter().map(|l| LevelText { price: l.price.as_str(), qty: l.qty.as_str() }).collect()
}

fn parse_book<'a>(kind: Option<&str>, data: &'a str) -> Result<Frame<'a>, FrameError> {
    let kind = match kind {
        Some("snapshot") => BookMessageKind::Snapshot,
        Some("update") => BookMessageKind::Update,
        other => return Err(malformed(format!("book type {other:?}"))),
    };
    let mut books: Vec<V2Book<'a>> = serde_json::from_str(data).map_err(malformed)?;
    // Kraken documents the book element as "always the first and only item".
    let book = match (books.pop(), books.is_empty()) {
        (Some(b), true) => b,
        _ => return Err(malformed("book data must hold exactly one book")),
    };
    Ok(Frame::Book(BookMessage {
        symbol: book.symbol,
        kind,
        depth: None,
        asks: levels(book.asks),
        bids: levels(book.bids),
        checksum: Some(book.checksum),
        exchange_time: book.timestamp,
    }))
}

#[derive(Deserialize)]
struct V2Trade<'a> {
    #[serde(borrow)]
    symbol: &'a str,
    #[serde(borrow)]
    side: &'a str,
    #[serde(borrow)]
    price: NumText<'a>,
    #[serde(borrow)]
    qty: NumText<'a>,
    #[serde(borrow)]
    timestamp: &'a str,
    #[serde(default)]
    trade_id: Option<u64>,
}

impl<'a> V2Trade<'a> {
    fn text(self) -> TradeText<'a> {
        TradeText {
            symbol: self.symbol,
            price: self.price.as_str(),
            qty: self.qty.as_str(),
            side: self.side,
            time: self.timestamp,
            trade_id: self.trade_id,
        }
    }
}

#[derive(Deserialize)]
struct V2Ticker<'a> {
    #[serde(borrow)]
    symbol: &'a str,
    #[serde(borrow)]
    bid: NumText<'a>,
    #[serde(borrow)]
    bid_qty: NumText<'a>,
    #[serde(borrow)]
    ask: NumText<'a>,
    #[serde(borrow)]
    ask_qty: NumText<'a>,
    #[serde(borrow)]
    last: NumText<'a>,
    #[serde(borrow)]
    volume: NumText<'a>,
}

impl<'a> V2Ticker<'a> {
    fn text(self) -> TickerText<'a> {
        TickerText {
            symbol: self.symbol,
            bid: self.bid.as_str(),
            bid_qty: self.bid_qty.as_str(),
            ask: self.ask.as_str(),
            ask_qty: self.ask_qty.as_str(),
            last: self.last.as_str(),
            volume: self.volume.as_str(),
        }
    }
}

/// One candle of the v2 `ohlc` channel, numbers as printed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OhlcRow<'a> {
    /// Pair.
    #[serde(borrow)]
    pub symbol: &'a str,
    /// Open price.
    #[serde(borrow)]
    pub open: NumText<'a>,
    /// High price.
    #[serde(borrow)]
    pub high: NumText<'a>,
    /// Low price.
    #[serde(borrow)]
    pub low: NumText<'a>,
    /// Close price.
    #[serde(borrow)]
    pub close: NumText<'a>,
    /// Number of trades.
    pub trades: u64,
    /// Base volume.
    #[serde(borrow)]
    pub volume: NumText<'a>,
    /// Volume-weighted average price.
    #[serde(borrow)]
    pub vwap: NumText<'a>,
    /// Start of the candle (RFC 3339).
    #[serde(borrow)]
    pub interval_begin: &'a str,
    /// Candle length in minutes.
    pub interval: u32,
}

/// The v2 `instrument` channel payload (the fields the book and orders need).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InstrumentData<'a> {
    /// Tradeable pairs.
    #[serde(borrow)]
    pub pairs: Vec<InstrumentPair<'a>>,
}

/// One pair's reference data from the v2 `instrument` channel.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InstrumentPair<'a> {
    /// v2 symbol (`BTC/USD`).
    #[serde(borrow)]
    pub symbol: &'a str,
    /// `online`, `cancel_only`, ...
    #[serde(borrow)]
    pub status: &'a str,
    /// Decimals of prices: the book checksum prints prices at this precision.
    pub price_precision: u8,
    /// Decimals of quantities: the book checksum prints quantities at this precision.
    pub qty_precision: u8,
    /// Smallest price step.
    #[serde(borrow)]
    pub price_increment: NumText<'a>,
    /// Smallest quantity step.
    #[serde(borrow)]
    pub qty_increment: NumText<'a>,
    /// Minimum order quantity.
    #[serde(borrow)]
    pub qty_min: NumText<'a>,
}

#[derive(Deserialize)]
struct StatusRow<'a> {
    #[serde(borrow)]
    system: &'a str,
}

#[derive(Serialize)]
struct Request<'a> {
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<Params<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    req_id: Option<u64>,
}

#[derive(Serialize)]
struct Params<'a> {
    channel: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    symbol: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    depth: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    interval: Option<u32>,
}

fn request(method: &str, channel: &str, symbols: &[String], depth: Option<usize>, req_id: u64) -> String {
    let symbol = (!symbols.is_empty()).then_some(symbols);
    let depth = depth.filter(|_| channel == "book");
    let snapshot = (method == "subscribe" && channel != "instrument").then_some(true);
    let params = Params { channel, symbol, depth, snapshot, interval: None };
    let req = Request { method, params: Some(params), req_id: Some(req_id) };
    serde_json::to_string(&req).unwrap_or_default()
}

/// The subscribe request for `symbols` on `channel` (`book` takes a depth from [`BOOK_DEPTHS`]).
pub fn subscribe_request(channel: &str, symbols: &[String], depth: Option<usize>, req_id: u64) -> String {
    request("subscribe", channel, symbols, depth, req_id)
}

/// The unsubscribe request.
pub fn unsubscribe_request(channel: &str, symbols: &[String], depth: Option<usize>, req_id: u64) -> String {
    request("unsubscribe", channel, symbols, depth, req_id)
}

/// The `ohlc` subscribe request for candles of `interval_min` minutes.
pub fn ohlc_subscribe_request(symbols: &[String], interval_min: u32, req_id: u64) -> String {
    let params = Params {
        channel: "ohlc",
        symbol: Some(symbols),
        depth: None,
        snapshot: Some(true),
        interval: Some(interval_min),
    };
    serde_json::to_string(&Request { method: "subscribe", params: Some(params), req_id: Some(req_id) })
        .unwrap_or_default()
}

/// The book scale Kraken prints a pair's levels at (`price_precision`, `qty_precision`).
pub fn book_scale(pair: &InstrumentPair<'_>) -> Option<cst_core::book::BookScale> {
    cst_core::book::BookScale::new(pair.price_precision, pair.qty_precision).ok()
}

/// The application-level ping.
pub fn ping_request(req_id: u64) -> String {
    serde_json::to_string(&Request { method: "ping", params: None, req_id: Some(req_id) }).unwrap_or_default()
}

#[cfg(test)]
mod tests;
