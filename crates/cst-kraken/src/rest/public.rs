//! Public market-data endpoints: wire types exactly as Kraken sends them, parsed into
//! `cst-core` types (prices and sizes exact, times to the nanosecond).

use super::client::{RestClient, decode_error, parse_result};
use crate::error::RestError;
use crate::exact::{self, de_decimal, de_opt_decimal};
use cst_core::candle::CandleRow;
use cst_core::instrument::InstrumentSet;
use cst_core::interval::Interval;
use cst_core::num::{Price, Qty, parse_decimal};
use cst_core::trade::{Side, Trade};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap};

/// Kraken returns at most this many OHLC candles per call, whatever `since` says.
pub const OHLC_MAX_CANDLES: usize = 720;

/// `Time`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerTime {
    /// Unix seconds.
    pub unixtime: i64,
    /// The same time as RFC 1123 text.
    pub rfc1123: String,
}

/// `SystemStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SystemStatus {
    /// `online`, `maintenance`, `cancel_only` or `post_only`.
    pub status: String,
    /// RFC 3339 time of the status.
    pub timestamp: String,
}

impl SystemStatus {
    /// True when new orders are accepted (`online`; `post_only` accepts only post-only limits).
    pub fn accepts_orders(&self) -> bool {
        self.status == "online"
    }
}

/// One entry of `Assets`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AssetInfo {
    /// Asset class (`currency`).
    pub aclass: String,
    /// Alternate name (`XBT`).
    pub altname: String,
    /// Decimals of record keeping.
    pub decimals: u32,
    /// Decimals for display.
    pub display_decimals: u32,
    /// Collateral valuation factor, when given.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub collateral_value: Option<Decimal>,
    /// `enabled`, `deposit_only`, ...
    #[serde(default)]
    pub status: Option<String>,
}

/// One pair's `Ticker` entry, fields named as Kraken abbreviates them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickerInfo {
    /// Best ask price.
    pub ask: Price,
    /// Best bid price.
    pub bid: Price,
    /// Last trade price.
    pub last: Price,
    /// Last trade volume.
    pub last_qty: Qty,
    /// Volume today and over the last 24 h.
    pub volume: [Decimal; 2],
    /// Volume-weighted average price today and over the last 24 h.
    pub vwap: [Decimal; 2],
    /// Trade count today and over the last 24 h.
    pub trades: [i64; 2],
    /// Low today and over the last 24 h.
    pub low: [Decimal; 2],
    /// High today and over the last 24 h.
    pub high: [Decimal; 2],
    /// Today's opening price.
    pub open: Decimal,
}

#[derive(Deserialize)]
struct WireTicker<'a> {
    #[serde(borrow)]
    a: Vec<&'a str>,
    #[serde(borrow)]
    b: Vec<&'a str>,
    #[serde(borrow)]
    c: Vec<&'a str>,
    #[serde(borrow)]
    v: [&'a str; 2],
    #[serde(borrow)]
    p: [&'a str; 2],
    t: [i64; 2],
    #[serde(borrow)]
    l: [&'a str; 2],
    #[serde(borrow)]
    h: [&'a str; 2],
    #[serde(deserialize_with = "de_decimal")]
    o: Decimal,
}

fn dec(text: &str) -> Result<Decimal, String> {
    parse_decimal(text).map_err(|e| e.to_string())
}

fn price(text: &str) -> Result<Price, String> {
    Price::parse(text).map_err(|e| e.to_string())
}

fn qty(text: &str) -> Result<Qty, String> {
    Qty::parse(text).map_err(|e| e.to_string())
}

fn first<'a>(v: &[&'a str], what: &str) -> Result<&'a str, String> {
    v.first().copied().ok_or_else(|| format!("empty {what}"))
}

impl TryFrom<WireTicker<'_>> for TickerInfo {
    type Error = String;
    fn try_from(w: WireTicker<'_>) -> Result<Self, String> {
        let pair = |a: [&str; 2]| -> Result<[Decimal; 2], String> { Ok([dec(a[0])?, dec(a[1])?]) };
        Ok(TickerInfo {
            ask: price(first(&w.a, "ask")?)?,
            bid: price(first(&w.b, "bid")?)?,
            last: price(first(&w.c, "last trade")?)?,
            last_qty: qty(w.c.get(1).copied().ok_or("last trade volume missing")?)?,
            volume: pair(w.v)?,
            vwap: pair(w.p)?,
            trades: w.t,
            low: pair(w.l)?,
            high: pair(w.h)?,
            open: w.o,
        })
    }
}

/// One OHLC candle as Kraken's REST API gives it: the row plus Kraken's `vwap`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OhlcBar {
    /// Open time, OHLC, volume, trade count.
    pub row: CandleRow,
    /// Volume-weighted average price (`0.0` in a minute without trades).
    pub vwap: Decimal,
}

/// An `OHLC` response page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OhlcPage {
    /// The pair key Kraken answered with (`XXBTZUSD`).
    pub pair_key: String,
    /// Candles, oldest first; the last one is the current, still open candle.
    pub bars: Vec<OhlcBar>,
    /// Cursor: pass as `since` to get candles after it.
    pub last: i64,
}

#[derive(Deserialize)]
struct WireOhlc<'a>(i64, &'a str, &'a str, &'a str, &'a str, &'a str, &'a str, i64);

impl TryFrom<WireOhlc<'_>> for OhlcBar {
    type Error = String;
    fn try_from(w: WireOhlc<'_>) -> Result<Self, String> {
        let row = CandleRow {
            time: w.0,
            open: dec(w.1)?,
            high: dec(w.2)?,
            low: dec(w.3)?,
            close: dec(w.4)?,
            volume: dec(w.6)?,
            trades: w.7,
        };
        Ok(OhlcBar { row, vwap: dec(w.5)? })
    }
}

/// How a public trade's taker order was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakerOrderType {
    /// `m`.
    Market,
    /// `l`.
    Limit,
}

/// A public trade with Kraken's extra columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicTrade {
    /// Time, price, qty, taker side and trade id.
    pub trade: Trade,
    /// Market or limit.
    pub order_type: TakerOrderType,
    /// Kraken's `misc` column.
    pub misc: String,
}

/// A `Trades` response page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradesPage {
    /// The pair key Kraken answered with.
    pub pair_key: String,
    /// Trades, oldest first.
    pub trades: Vec<PublicTrade>,
    /// Cursor (nanosecond text): pass as `since` for the next page.
    pub last: String,
}

#[derive(Deserialize)]
struct WireTrade<'a>(
    &'a str,
    &'a str,
    #[serde(borrow)] &'a RawValue,
    &'a str,
    &'a str,
    &'a str,
    #[serde(default)] Option<u64>,
);

impl TryFrom<WireTrade<'_>> for PublicTrade {
    type Error = String;
    fn try_from(w: WireTrade<'_>) -> Result<Self, String> {
        let side = match w.3 {
            "b" => Side::Buy,
            "s" => Side::Sell,
            other => return Err(format!("unknown side {other:?}")),
        };
        let order_type = match w.4 {
            "m" => TakerOrderType::Market,
            "l" => TakerOrderType::Limit,
            other => return Err(format!("unknown order type {other:?}")),
        };
        let time = exact::timestamp_from_secs_text(exact::raw_text(w.2))?;
        let trade = Trade { time, price: price(w.0)?, qty: qty(w.1)?, side, trade_id: w.6 };
        Ok(PublicTrade { trade, order_type, misc: w.5.to_string() })
    }
}

/// One order-book level from `Depth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepthLevel {
    /// Price.
    pub price: Price,
    /// Volume.
    pub qty: Qty,
    /// Last update of the level, unix seconds.
    pub time_secs: i64,
}

/// A `Depth` snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepthSnapshot {
    /// The pair key Kraken answered with.
    pub pair_key: String,
    /// Asks, best (lowest) first.
    pub asks: Vec<DepthLevel>,
    /// Bids, best (highest) first.
    pub bids: Vec<DepthLevel>,
}

#[derive(Deserialize)]
struct WireLevel<'a>(&'a str, &'a str, i64);

#[derive(Deserialize)]
struct WireDepth<'a> {
    #[serde(borrow)]
    asks: Vec<WireLevel<'a>>,
    #[serde(borrow)]
    bids: Vec<WireLevel<'a>>,
}

fn levels(wire: Vec<WireLevel<'_>>) -> Result<Vec<DepthLevel>, String> {
    wire.into_iter().map(|l| Ok(DepthLevel { price: price(l.0)?, qty: qty(l.1)?, time_secs: l.2 })).collect()
}

/// One `Spread` entry: the best bid and ask at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpreadEntry {
    /// Unix seconds.
    pub time_secs: i64,
    /// Best bid.
    pub bid: Price,
    /// Best ask.
    pub ask: Price,
}

/// A `Spread` response page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpreadPage {
    /// The pair key Kraken answered with.
    pub pair_key: String,
    /// Entries, oldest first.
    pub entries: Vec<SpreadEntry>,
    /// Cursor for `since`.
    pub last: i64,
}

#[derive(Deserialize)]
struct WireSpread<'a>(i64, &'a str, &'a str);

/// Splits a `{ "<PAIR>": [...], "last": ... }` result into the pair entry and the cursor.
fn pair_and_last<'a>(endpoint: &str, body: &'a str) -> Result<(String, &'a RawValue, &'a RawValue), RestError> {
    let map: HashMap<String, &'a RawValue> = parse_result(endpoint, body)?;
    let last = *map.get("last").ok_or_else(|| decode_error(endpoint, body, "no `last` cursor"))?;
    let mut pairs = map.iter().filter(|(k, _)| k.as_str() != "last");
    let (key, raw) = pairs.next().ok_or_else(|| decode_error(endpoint, body, "no pair in result"))?;
    if pairs.next().is_some() {
        return Err(decode_error(endpoint, body, "more than one pair in result"));
    }
    Ok((key.clone(), *raw, last))
}

fn rows<'a, W: Deserialize<'a>, T: TryFrom<W, Error = String>>(
    endpoint: &str,
    body: &str,
    raw: &'a RawValue,
) -> Result<Vec<T>, RestError> {
    let wire: Vec<W> = serde_json::from_str(raw.get()).map_err(|e| decode_error(endpoint, body, e))?;
    wire.into_iter().map(|w| T::try_from(w).map_err(|e| decode_error(endpoint, body, e))).collect()
}

/// Parses an `OHLC` body.
pub fn parse_ohlc(body: &str) -> Result<OhlcPage, RestError> {
    let (pair_key, raw, last) = pair_and_last("OHLC", body)?;
    let bars = rows::<WireOhlc<'_>, OhlcBar>("OHLC", body, raw)?;
    let last = exact::raw_text(last).parse().map_err(|e| decode_error("OHLC", body, e))?;
    Ok(OhlcPage { pair_key, bars, last })
}

/// Parses a `Trades` body.
pub fn parse_trades(body: &str) -> Result<TradesPage, RestError> {
    let (pair_key, raw, last) = pair_and_last("Trades", body)?;
    let trades = rows::<WireTrade<'_>, PublicTrade>("Trades", body, raw)?;
    Ok(TradesPage { pair_key, trades, last: exact::raw_text(last).to_string() })
}

/// Parses a `Spread` body.
pub fn parse_spread(body: &str) -> Result<SpreadPage, RestError> {
    let (pair_key, raw, last) = pair_and_last("Spread", body)?;
    let wire: Vec<WireSpread<'_>> = serde_json::from_str(raw.get()).map_err(|e| decode_error("Spread", body, e))?;
    let entries = wire
        .into_iter()
        .map(|w| Ok(SpreadEntry { time_secs: w.0, bid: price(w.1)?, ask: price(w.2)? }))
        .collect::<Result<Vec<_>, String>>()
        .map_err(|e| decode_error("Spread", body, e))?;
    let last = exact::raw_text(last).parse().map_err(|e| decode_error("Spread", body, e))?;
    Ok(SpreadPage { pair_key, entries, last })
}

/// Parses a `Depth` body.
pub fn parse_depth(body: &str) -> Result<DepthSnapshot, RestError> {
    let map: HashMap<String, WireDepth<'_>> = parse_result("Depth", body)?;
    let (pair_key, wire) = map.into_iter().next().ok_or_else(|| decode_error("Depth", body, "no pair"))?;
    let asks = levels(wire.asks).map_err(|e| decode_error("Depth", body, e))?;
    let bids = levels(wire.bids).map_err(|e| decode_error("Depth", body, e))?;
    Ok(DepthSnapshot { pair_key, asks, bids })
}

/// Parses a `Ticker` body.
pub fn parse_ticker(body: &str) -> Result<BTreeMap<String, TickerInfo>, RestError> {
    let map: HashMap<String, WireTicker<'_>> = parse_result("Ticker", body)?;
    map.into_iter()
        .map(|(k, w)| TickerInfo::try_from(w).map(|t| (k, t)).map_err(|e| decode_error("Ticker", body, e)))
        .collect()
}

impl RestClient {
    /// `Time`: Kraken's clock.
    pub async fn server_time(&self) -> Result<ServerTime, RestError> {
        let body = self.public("Time", &[]).await?;
        parse_result("Time", &body)
    }

    /// `SystemStatus`.
    pub async fn system_status(&self) -> Result<SystemStatus, RestError> {
        let body = self.public("SystemStatus", &[]).await?;
        parse_result("SystemStatus", &body)
    }

    /// `Assets`.
    pub async fn assets(&self) -> Result<BTreeMap<String, AssetInfo>, RestError> {
        let body = self.public("Assets", &[]).await?;
        parse_result("Assets", &body)
    }

    /// `AssetPairs`, parsed into instruments (tick, lot, minimums, fees).
    pub async fn asset_pairs(&self) -> Result<InstrumentSet, RestError> {
        let body = self.public("AssetPairs", &[]).await?;
        InstrumentSet::from_asset_pairs_json(&body).map_err(|e| decode_error("AssetPairs", &body, e))
    }

    /// `Ticker` for one or more pairs (REST pair names, comma separated: `XBTUSD,ETHUSD`).
    pub async fn ticker(&self, pairs: &str) -> Result<BTreeMap<String, TickerInfo>, RestError> {
        let body = self.public("Ticker", &[("pair", pairs.to_string())]).await?;
        parse_ticker(&body)
    }

    /// `OHLC`: at most [`OHLC_MAX_CANDLES`] candles ending now, after `since` (unix seconds) if given.
    pub async fn ohlc(&self, pair: &str, interval: Interval, since: Option<i64>) -> Result<OhlcPage, RestError> {
        let mut q = vec![("pair", pair.to_string()), ("interval", interval.minutes().to_string())];
        if let Some(s) = since {
            q.push(("since", s.to_string()));
        }
        let body = self.public("OHLC", &q).await?;
        parse_ohlc(&body)
    }

    /// `Trades`: up to 1000 trades after the `since` cursor (ns text from a previous page's `last`).
    pub async fn trades(&self, pair: &str, since: Option<&str>, count: Option<u32>) -> Result<TradesPage, RestError> {
        let mut q = vec![("pair", pair.to_string())];
        if let Some(s) = since {
            q.push(("since", s.to_string()));
        }
        if let Some(c) = count {
            q.push(("count", c.to_string()));
        }
        let body = self.public("Trades", &q).await?;
        parse_trades(&body)
    }

    /// `Depth`: the order book, `count` levels per side.
    pub async fn depth(&self, pair: &str, count: Option<u32>) -> Result<DepthSnapshot, RestError> {
        let mut q = vec![("pair", pair.to_string())];
        if let Some(c) = count {
            q.push(("count", c.to_string()));
        }
        let body = self.public("Depth", &q).await?;
        parse_depth(&body)
    }

    /// `Spread`: recent best bid/ask, after `since` if given.
    pub async fn spread(&self, pair: &str, since: Option<i64>) -> Result<SpreadPage, RestError> {
        let mut q = vec![("pair", pair.to_string())];
        if let Some(s) = since {
            q.push(("since", s.to_string()));
        }
        let body = self.public("Spread", &q).await?;
        parse_spread(&body)
    }
}
