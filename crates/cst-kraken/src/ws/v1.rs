//! Kraken WebSocket v1 (`wss://ws.kraken.com`) public frames, exactly as sent: events are
//! objects (`{"event":"heartbeat"}`), channel data are arrays
//! `[channelID, payload..., channelName, pair]`. This is the format of the real recording in
//! `kraken/ws-v1-capture-2021`; v1 is frozen, new work targets [`super::v2`].

use super::frame::{Ack, BookMessage, BookMessageKind, Frame, FrameError, LevelText, TickerText, TradeText};
use serde::Deserialize;
use serde::de::{SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;

/// Parses one received v1 frame.
pub fn parse(text: &str) -> Result<Frame<'_>, FrameError> {
    match text.trim_start().as_bytes().first() {
        Some(b'[') => parse_channel(text),
        Some(b'{') => parse_event(text),
        _ => Err(FrameError::Malformed("neither a JSON array nor an object".into())),
    }
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    event: &'a str,
    #[serde(borrow, default)]
    status: Option<&'a str>,
    #[serde(borrow, default)]
    pair: Option<&'a str>,
    #[serde(borrow, default, rename = "channelName")]
    channel_name: Option<&'a str>,
    #[serde(borrow, default, rename = "errorMessage")]
    error_message: Option<&'a str>,
    #[serde(default)]
    reqid: Option<u64>,
}

fn malformed(e: impl fmt::Display) -> FrameError {
    FrameError::Malformed(e.to_string())
}

fn parse_event(text: &str) -> Result<Frame<'_>, FrameError> {
    let ev: Event = serde_json::from_str(text).map_err(malformed)?;
    match ev.event {
        "heartbeat" => Ok(Frame::Heartbeat),
        "pong" => Ok(Frame::Pong { req_id: ev.reqid }),
        "systemStatus" => Ok(Frame::Status { system: ev.status.unwrap_or("unknown") }),
        "subscriptionStatus" => {
            let status = ev.status.unwrap_or("error");
            let method = if status == "unsubscribed" { "unsubscribe" } else { "subscribe" };
            Ok(Frame::Ack(Ack {
                method,
                channel: ev.channel_name,
                symbol: ev.pair,
                success: status != "error",
                error: ev.error_message,
                req_id: ev.reqid,
            }))
        }
        other => Err(FrameError::Unknown(format!("v1 event {other:?}"))),
    }
}

fn parse_channel(text: &str) -> Result<Frame<'_>, FrameError> {
    let parts: Vec<&RawValue> = serde_json::from_str(text).map_err(malformed)?;
    let n = parts.len();
    if n < 4 {
        return Err(malformed(format!("channel frame with {n} elements")));
    }
    let name: &str = serde_json::from_str(parts[n - 2].get()).map_err(malformed)?;
    let pair: &str = serde_json::from_str(parts[n - 1].get()).map_err(malformed)?;
    let payload = &parts[1..n - 2];
    if let Some(depth) = name.strip_prefix("book") {
        return parse_book(pair, depth, payload);
    }
    match name {
        "trade" => parse_trades(pair, payload[0]),
        "ticker" => parse_ticker(pair, payload[0]),
        other => Err(FrameError::Unknown(format!("v1 channel {other:?}"))),
    }
}

/// `["price", "volume", "timestamp"(, "r")]`: a level, the optional `r` marks a republish.
struct V1Level<'a> {
    price: &'a str,
    qty: &'a str,
    time: &'a str,
}

impl<'de: 'a, 'a> Deserialize<'de> for V1Level<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct LevelVisitor;
        impl<'de> Visitor<'de> for LevelVisitor {
            type Value = V1Level<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("[price, volume, timestamp]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let missing = || serde::de::Error::custom("level needs price, volume and timestamp");
                let price: &str = seq.next_element()?.ok_or_else(missing)?;
                let qty: &str = seq.next_element()?.ok_or_else(missing)?;
                let time: &str = seq.next_element()?.ok_or_else(missing)?;
                while seq.next_element::<&RawValue>()?.is_some() {}
                Ok(V1Level { price, qty, time })
            }
        }
        d.deserialize_seq(LevelVisitor)
    }
}

#[derive(Deserialize)]
struct BookBody<'a> {
    #[serde(borrow, default, rename = "as")]
    snapshot_asks: Option<Vec<V1Level<'a>>>,
    #[serde(borrow, default, rename = "bs")]
    snapshot_bids: Option<Vec<V1Level<'a>>>,
    #[serde(borrow, default)]
    a: Option<Vec<V1Level<'a>>>,
    #[serde(borrow, default)]
    b: Option<Vec<V1Level<'a>>>,
    #[serde(borrow, default)]
    c: Option<&'a str>,
}

fn parse_book<'a>(pair: &'a str, depth: &str, payload: &[&'a RawValue]) -> Result<Frame<'a>, FrameError> {
    let depth = depth.strip_prefix('-').and_then(|d| d.parse().ok());
    let mut msg = BookMessage {
        symbol: pair,
        kind: BookMessageKind::Update,
        depth,
        asks: Vec::new(),
        bids: Vec::new(),
        checksum: None,
        exchange_time: None,
    };
    let mut latest: Option<&'a str> = None;
    let mut push = |dst: &mut Vec<LevelText<'a>>, levels: Vec<V1Level<'a>>| {
        for l in levels {
            if latest.is_none_or(|t| (l.time.len(), l.time) > (t.len(), t)) {
                latest = Some(l.time);
            }
            dst.push(LevelText { price: l.price, qty: l.qty });
        }
    };
    for raw in payload {
        let body: BookBody<'a> = serde_json::from_str(raw.get()).map_err(malformed)?;
        if body.snapshot_asks.is_some() || body.snapshot_bids.is_some() {
            msg.kind = BookMessageKind::Snapshot;
        }
        for levels in [body.snapshot_asks, body.a] {
            push(&mut msg.asks, levels.unwrap_or_default());
        }
        for levels in [body.snapshot_bids, body.b] {
            push(&mut msg.bids, levels.unwrap_or_default());
        }
        if let Some(c) = body.c {
            msg.checksum = Some(c.parse().map_err(|_| malformed(format!("checksum {c:?}")))?);
        }
    }
    if msg.asks.is_empty() && msg.bids.is_empty() && msg.kind == BookMessageKind::Update {
        return Err(malformed("book update without levels"));
    }
    msg.exchange_time = latest;
    Ok(Frame::Book(msg))
}

fn parse_trades<'a>(pair: &'a str, payload: &'a RawValue) -> Result<Frame<'a>, FrameError> {
    let rows: Vec<Vec<&'a str>> = serde_json::from_str(payload.get()).map_err(malformed)?;
    rows.iter()
        .map(|r| match r.as_slice() {
            [price, qty, time, side, ..] => Ok(TradeText { symbol: pair, price, qty, side, time, trade_id: None }),
            _ => Err(malformed("trade needs price, volume, time, side")),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Frame::Trades)
}

#[derive(Deserialize)]
struct V1Ticker<'a> {
    #[serde(borrow)]
    a: (&'a str, &'a RawValue, &'a str),
    #[serde(borrow)]
    b: (&'a str, &'a RawValue, &'a str),
    #[serde(borrow)]
    c: (&'a str, &'a str),
    #[serde(borrow)]
    v: (&'a str, &'a str),
}

fn parse_ticker<'a>(pair: &'a str, payload: &'a RawValue) -> Result<Frame<'a>, FrameError> {
    let t: V1Ticker<'a> = serde_json::from_str(payload.get()).map_err(malformed)?;
    Ok(Frame::Ticker(vec![TickerText {
        symbol: pair,
        bid: t.b.0,
        bid_qty: t.b.2,
        ask: t.a.0,
        ask_qty: t.a.2,
        last: t.c.0,
        volume: t.v.1,
    }]))
}

/// The v1 subscribe request for `pairs` on `channel` (`book` takes a depth).
pub fn subscribe_request(channel: &str, pairs: &[String], depth: Option<usize>, req_id: u64) -> String {
    request("subscribe", channel, pairs, depth, req_id)
}

/// The v1 unsubscribe request.
pub fn unsubscribe_request(channel: &str, pairs: &[String], depth: Option<usize>, req_id: u64) -> String {
    request("unsubscribe", channel, pairs, depth, req_id)
}

fn request(event: &str, channel: &str, pairs: &[String], depth: Option<usize>, req_id: u64) -> String {
    let subscription = match depth {
        Some(d) if channel == "book" => serde_json::json!({ "name": channel, "depth": d }),
        _ => serde_json::json!({ "name": channel }),
    };
    serde_json::json!({ "event": event, "reqid": req_id, "pair": pairs, "subscription": subscription }).to_string()
}

/// The v1 ping request.
pub fn ping_request(req_id: u64) -> String {
    serde_json::json!({ "event": "ping", "reqid": req_id }).to_string()
}

#[cfg(test)]
mod tests;
