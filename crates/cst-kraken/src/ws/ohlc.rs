//! The v2 `ohlc` channel as a stream of owned candle messages, and one connection speaking it.
//!
//! Kraken resends the open candle on every trade and sends nothing for an interval without
//! trades, so what arrives here is *observations*: deciding when a candle is final, and what a
//! missing interval means, is the caller's policy. This module only connects, subscribes,
//! parses exactly and reports what it got.

use super::frame::time_text_ns;
use super::v2::{OhlcRow, ohlc_subscribe_request};
use cst_core::candle::CandleRow;
use cst_core::num::parse_decimal;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// One candle observation from the `ohlc` channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OhlcCandle {
    /// v2 symbol (`BTC/USD`).
    pub symbol: String,
    /// Candle length in minutes.
    pub interval_min: u32,
    /// Open time, OHLC, volume, trade count (open time in unix seconds).
    pub row: CandleRow,
}

/// Whether a candle message is the subscription's snapshot or a later update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OhlcKind {
    /// Sent once after subscribing: the latest candles.
    Snapshot,
    /// The current candle after a trade, or a new candle.
    Update,
}

/// A message of an `ohlc` connection, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OhlcMessage {
    /// Candles.
    Candles {
        /// Snapshot or update.
        kind: OhlcKind,
        /// The message's `timestamp` (ns), when Kraken sent one.
        sent_ns: Option<i64>,
        /// The candles, in the order sent.
        candles: Vec<OhlcCandle>,
    },
    /// Kraken's heartbeat (about once a second while subscribed).
    Heartbeat,
    /// A subscribe reply.
    Subscribed {
        /// True when Kraken accepted.
        success: bool,
        /// Kraken's error text when refused.
        error: Option<String>,
    },
    /// Any other valid message (status, pong, other channels): not our business here.
    Other,
}

/// Why a frame could not be read as an `ohlc` message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed ohlc frame: {0}")]
pub struct OhlcFrameError(pub String);

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    channel: Option<&'a str>,
    #[serde(borrow, default, rename = "type")]
    kind: Option<&'a str>,
    #[serde(borrow, default)]
    timestamp: Option<&'a str>,
    #[serde(borrow, default)]
    data: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    method: Option<&'a str>,
    #[serde(default)]
    success: Option<bool>,
    #[serde(borrow, default)]
    error: Option<&'a str>,
}

fn bad(e: impl std::fmt::Display) -> OhlcFrameError {
    OhlcFrameError(e.to_string())
}

/// Parses one received v2 frame.
pub fn parse_ohlc_message(text: &str) -> Result<OhlcMessage, OhlcFrameError> {
    let env: Envelope = serde_json::from_str(text).map_err(bad)?;
    if env.method == Some("subscribe") {
        return Ok(OhlcMessage::Subscribed {
            success: env.success.unwrap_or(false),
            error: env.error.map(String::from),
        });
    }
    match env.channel {
        Some("heartbeat") => Ok(OhlcMessage::Heartbeat),
        Some("ohlc") => {
            let kind = match env.kind {
                Some("snapshot") => OhlcKind::Snapshot,
                Some("update") => OhlcKind::Update,
                other => return Err(bad(format!("ohlc type {other:?}"))),
            };
            let sent_ns = match env.timestamp {
                Some(t) => Some(time_text_ns(t).ok_or_else(|| bad(format!("timestamp {t:?}")))?),
                None => None,
            };
            let data = env.data.ok_or_else(|| bad("ohlc message without data"))?;
            let rows: Vec<OhlcRow<'_>> = serde_json::from_str(data.get()).map_err(bad)?;
            let candles = rows.iter().map(candle).collect::<Result<_, _>>()?;
            Ok(OhlcMessage::Candles { kind, sent_ns, candles })
        }
        _ => Ok(OhlcMessage::Other),
    }
}

fn candle(r: &OhlcRow<'_>) -> Result<OhlcCandle, OhlcFrameError> {
    let dec = |what: &str, t: &str| parse_decimal(t).map_err(|e| bad(format!("{} {what}: {e}", r.symbol)));
    let begin_ns =
        time_text_ns(r.interval_begin).ok_or_else(|| bad(format!("interval_begin {:?}", r.interval_begin)))?;
    let row = CandleRow {
        time: begin_ns.div_euclid(1_000_000_000),
        open: dec("open", r.open.as_str())?,
        high: dec("high", r.high.as_str())?,
        low: dec("low", r.low.as_str())?,
        close: dec("close", r.close.as_str())?,
        volume: dec("volume", r.volume.as_str())?,
        trades: i64::try_from(r.trades).map_err(bad)?,
    };
    Ok(OhlcCandle { symbol: r.symbol.to_string(), interval_min: r.interval, row })
}

/// How reading the next message ended without one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OhlcReadError {
    /// Nothing at all (not even a heartbeat) arrived in time.
    #[error("no message for {0:?}")]
    Silent(Duration),
    /// The connection is gone.
    #[error("connection lost: {0}")]
    Lost(String),
    /// A frame arrived that is not a valid message (the connection is still usable).
    #[error("{raw}: {reason}")]
    Malformed {
        /// The frame as received.
        raw: String,
        /// Why.
        reason: String,
    },
}

type Stream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One WebSocket connection subscribed to `ohlc` candles.
pub struct OhlcConnection {
    ws: Stream,
}

impl OhlcConnection {
    /// Connects to `url` (`wss://ws.kraken.com/v2`) and subscribes `symbols` (v2 names) to
    /// candles of `interval_min` minutes.
    pub async fn open(url: &str, symbols: &[String], interval_min: u32) -> Result<Self, OhlcReadError> {
        // The TLS stack is built without a default provider; rustls needs one process-wide.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let (mut ws, _) =
            tokio_tungstenite::connect_async(url).await.map_err(|e| OhlcReadError::Lost(format!("connect: {e}")))?;
        let req = ohlc_subscribe_request(symbols, interval_min, 1);
        ws.send(Message::text(req)).await.map_err(|e| OhlcReadError::Lost(format!("send: {e}")))?;
        Ok(Self { ws })
    }

    /// The next message, waiting at most `silence`.
    pub async fn next(&mut self, silence: Duration) -> Result<OhlcMessage, OhlcReadError> {
        loop {
            let msg = match tokio::time::timeout(silence, self.ws.next()).await {
                Err(_) => return Err(OhlcReadError::Silent(silence)),
                Ok(None) => return Err(OhlcReadError::Lost("closed by server".into())),
                Ok(Some(Err(e))) => return Err(OhlcReadError::Lost(format!("read: {e}"))),
                Ok(Some(Ok(m))) => m,
            };
            let text = match msg {
                Message::Text(t) => t,
                Message::Close(_) => return Err(OhlcReadError::Lost("close frame".into())),
                Message::Binary(b) => {
                    let raw = String::from_utf8_lossy(&b).into_owned();
                    return Err(OhlcReadError::Malformed { raw, reason: "binary frame".into() });
                }
                _ => continue,
            };
            return parse_ohlc_message(text.as_str())
                .map_err(|e| OhlcReadError::Malformed { raw: text.to_string(), reason: e.0 });
        }
    }

    /// Closes the connection politely.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn parses_kraken_documented_ohlc_snapshot_exactly() {
        let text = cst_testdata::read_text("kraken/api-examples/ws-v2-docs/ohlc_snapshot.json");
        let OhlcMessage::Candles { kind, sent_ns, candles } = parse_ohlc_message(&text).unwrap() else {
            panic!("not candles")
        };
        assert_eq!(kind, OhlcKind::Snapshot);
        assert_eq!(sent_ns, time_text_ns("2023-10-04T16:26:01.806315597Z"));
        assert_eq!(candles.len(), 2);
        let c = &candles[1];
        assert_eq!((c.symbol.as_str(), c.interval_min), ("ALGO/USD", 5));
        assert_eq!(c.row.time, 1_696_433_400); // 2023-10-04T15:30:00Z
        assert_eq!(c.row.high, "0.0988".parse::<Decimal>().unwrap());
        assert_eq!(c.row.volume, "16255.46368".parse::<Decimal>().unwrap());
        assert_eq!(c.row.trades, 13);
    }

    #[test]
    fn heartbeat_and_subscribe_replies_are_recognised() {
        let hb = cst_testdata::read_text("kraken/api-examples/ws-v2-docs/heartbeat.json");
        assert_eq!(parse_ohlc_message(&hb).unwrap(), OhlcMessage::Heartbeat);
        let refused = r#"{"method":"subscribe","success":false,"error":"Currency pair not supported","req_id":1}"#;
        assert_eq!(
            parse_ohlc_message(refused).unwrap(),
            OhlcMessage::Subscribed { success: false, error: Some("Currency pair not supported".into()) }
        );
    }

    #[test]
    fn refuses_a_candle_with_a_broken_number() {
        let text = cst_testdata::read_text("kraken/api-examples/ws-v2-docs/ohlc_snapshot.json").replacen(
            "\"open\": 0.09875",
            "\"open\": \"abc\"",
            1,
        );
        assert!(parse_ohlc_message(&text).is_err());
    }
}
