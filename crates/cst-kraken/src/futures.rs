//! Kraken Futures (derivatives) public data for funding and basis signals: tickers (funding
//! rate, open interest, mark and index price), historical funding rates, and mark/spot/trade
//! chart candles.
//!
//! Kraken has announced that the derivatives REST API is being superseded by its unified
//! WebSocket API; everything that touches it lives in this one module so it can be replaced
//! without touching callers. Numbers arrive as JSON floats (`1.18588737106e-07`) and are read
//! from their text, exactly.

use crate::exact::{de_decimal, de_opt_decimal};
use crate::ratelimit::{CounterLimit, DecayingCounter};
use cst_core::time::Timestamp;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::sync::Mutex;
use std::time::Duration;

/// Kraken Futures production root.
pub const FUTURES_URL: &str = "https://futures.kraken.com";

/// Why a futures call failed.
#[derive(Debug, thiserror::Error)]
pub enum FuturesError {
    /// Connection or timeout.
    #[error("transport: {0}")]
    Transport(String),
    /// Kraken Futures answered `"result": "error"`.
    #[error("Kraken Futures: {0}")]
    Api(String),
    /// The body did not have the documented shape.
    #[error("unexpected futures response: {0}")]
    Decode(String),
}

/// One entry of `/derivatives/api/v3/tickers`. Index entries (`in_xbtusd`, `rr_xbtusd`) carry
/// only `last`, so most fields are optional.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FuturesTicker {
    /// Contract symbol (`PI_XBTUSD`).
    pub symbol: String,
    /// `perpetual`, `month`, `quarter`, ...
    #[serde(default)]
    pub tag: Option<String>,
    /// Underlying pair (`XBT:USD`).
    #[serde(default)]
    pub pair: Option<String>,
    /// Mark price.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub mark_price: Option<Decimal>,
    /// Index (spot reference) price.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub index_price: Option<Decimal>,
    /// Best bid.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub bid: Option<Decimal>,
    /// Best ask.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub ask: Option<Decimal>,
    /// Last trade price.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub last: Option<Decimal>,
    /// Open interest in contracts.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub open_interest: Option<Decimal>,
    /// Current funding rate (perpetuals; absolute, per funding period).
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub funding_rate: Option<Decimal>,
    /// Predicted next funding rate.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub funding_rate_prediction: Option<Decimal>,
    /// 24 h volume in contracts.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub vol24h: Option<Decimal>,
    /// Time of the last trade (RFC 3339).
    #[serde(default)]
    pub last_time: Option<String>,
    /// True when trading is suspended.
    #[serde(default)]
    pub suspended: Option<bool>,
}

impl FuturesTicker {
    /// Mark minus index over index (the perpetual's basis), when both are known and index > 0.
    pub fn basis(&self) -> Option<Decimal> {
        let (m, i) = (self.mark_price?, self.index_price?);
        (!i.is_zero()).then(|| (m - i) / i)
    }
}

/// One historical funding rate.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FundingRate {
    /// When it applied (RFC 3339).
    pub timestamp: String,
    /// Absolute funding rate.
    #[serde(deserialize_with = "de_decimal")]
    pub funding_rate: Decimal,
    /// Relative funding rate (fraction of notional per period).
    #[serde(deserialize_with = "de_decimal")]
    pub relative_funding_rate: Decimal,
}

/// One chart candle (`/api/charts/v1/{mark,spot,trade}/<symbol>/<resolution>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartCandle {
    /// Open time.
    pub time: Timestamp,
    /// Open.
    pub open: Decimal,
    /// High.
    pub high: Decimal,
    /// Low.
    pub low: Decimal,
    /// Close.
    pub close: Decimal,
    /// Volume (0 for mark and spot series).
    pub volume: Decimal,
}

#[derive(Deserialize)]
struct WireChartCandle {
    time: i64,
    #[serde(deserialize_with = "de_decimal")]
    open: Decimal,
    #[serde(deserialize_with = "de_decimal")]
    high: Decimal,
    #[serde(deserialize_with = "de_decimal")]
    low: Decimal,
    #[serde(deserialize_with = "de_decimal")]
    close: Decimal,
    #[serde(deserialize_with = "de_decimal")]
    volume: Decimal,
}

#[derive(Deserialize)]
struct Status {
    #[serde(default)]
    result: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct TickersBody {
    tickers: Vec<FuturesTicker>,
}

#[derive(Deserialize)]
struct FundingBody {
    rates: Vec<FundingRate>,
}

#[derive(Deserialize)]
struct ChartBody {
    candles: Vec<WireChartCandle>,
}

fn check_status(body: &str) -> Result<(), FuturesError> {
    let s: Status = serde_json::from_str(body).map_err(|e| FuturesError::Decode(e.to_string()))?;
    match (s.result.as_deref(), s.error) {
        (Some("error"), e) => Err(FuturesError::Api(e.unwrap_or_else(|| "unspecified".into()))),
        _ => Ok(()),
    }
}

/// Parses a `tickers` body (`/derivatives/api/v3/tickers`).
pub fn parse_tickers(body: &str) -> Result<Vec<FuturesTicker>, FuturesError> {
    check_status(body)?;
    let b: TickersBody = serde_json::from_str(body).map_err(|e| FuturesError::Decode(e.to_string()))?;
    Ok(b.tickers)
}

/// Parses a single-ticker body (`/derivatives/api/v3/tickers/<symbol>`).
pub fn parse_ticker(body: &str) -> Result<FuturesTicker, FuturesError> {
    #[derive(Deserialize)]
    struct One {
        ticker: FuturesTicker,
    }
    check_status(body)?;
    serde_json::from_str::<One>(body).map(|o| o.ticker).map_err(|e| FuturesError::Decode(e.to_string()))
}

/// Parses a `historical-funding-rates` body.
pub fn parse_funding(body: &str) -> Result<Vec<FundingRate>, FuturesError> {
    check_status(body)?;
    let b: FundingBody = serde_json::from_str(body).map_err(|e| FuturesError::Decode(e.to_string()))?;
    Ok(b.rates)
}

/// Parses a charts body.
pub fn parse_chart(body: &str) -> Result<Vec<ChartCandle>, FuturesError> {
    let b: ChartBody = serde_json::from_str(body).map_err(|e| FuturesError::Decode(e.to_string()))?;
    Ok(b.candles
        .into_iter()
        .map(|c| ChartCandle {
            time: Timestamp::from_nanos(c.time.saturating_mul(1_000_000)),
            open: c.open,
            high: c.high,
            low: c.low,
            close: c.close,
            volume: c.volume,
        })
        .collect())
}

/// The futures WebSocket v1 `ticker` feed message (funding, open interest, mark, index).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FuturesWsTicker {
    /// Exchange time, ms.
    pub time: i64,
    /// Contract.
    pub product_id: String,
    /// Absolute funding rate.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub funding_rate: Option<Decimal>,
    /// Relative funding rate.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub relative_funding_rate: Option<Decimal>,
    /// Next funding time, ms.
    #[serde(default)]
    pub next_funding_rate_time: Option<i64>,
    /// Index price.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub index: Option<Decimal>,
    /// Mark price.
    #[serde(rename = "markPrice", default, deserialize_with = "de_opt_decimal")]
    pub mark_price: Option<Decimal>,
    /// Open interest.
    #[serde(rename = "openInterest", default, deserialize_with = "de_opt_decimal")]
    pub open_interest: Option<Decimal>,
    /// Last trade price.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub last: Option<Decimal>,
}

/// Parses one futures WS `ticker` message.
pub fn parse_ws_ticker(text: &str) -> Result<FuturesWsTicker, FuturesError> {
    serde_json::from_str(text).map_err(|e| FuturesError::Decode(e.to_string()))
}

/// A small client for the public futures endpoints, paced conservatively.
#[derive(Debug)]
pub struct FuturesClient {
    http: reqwest::Client,
    base_url: String,
    pacing: Mutex<DecayingCounter>,
    origin: tokio::time::Instant,
}

impl FuturesClient {
    /// A client for `base_url` (use [`FUTURES_URL`] in production).
    pub fn new(base_url: &str) -> Result<Self, FuturesError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| FuturesError::Transport(e.to_string()))?;
        // Public derivatives endpoints are limited per IP; one call per second is well inside.
        let pacing = Mutex::new(DecayingCounter::new(CounterLimit { max: 2.0, decay_per_sec: 1.0 }));
        Ok(FuturesClient { http, base_url: base_url.to_string(), pacing, origin: tokio::time::Instant::now() })
    }

    async fn get(&self, path: &str) -> Result<String, FuturesError> {
        loop {
            let now = self.origin.elapsed().as_nanos() as i64;
            let wait = {
                let mut c = self.pacing.lock().unwrap_or_else(|p| p.into_inner());
                c.try_add(1.0, 2.0, now).err()
            };
            match wait {
                Some(ns) => tokio::time::sleep(Duration::from_nanos(ns.max(1) as u64)).await,
                None => break,
            }
        }
        let url = format!("{}{path}", self.base_url);
        let resp = self.http.get(&url).send().await.map_err(|e| FuturesError::Transport(e.to_string()))?;
        resp.text().await.map_err(|e| FuturesError::Transport(e.to_string()))
    }

    /// All tickers.
    pub async fn tickers(&self) -> Result<Vec<FuturesTicker>, FuturesError> {
        parse_tickers(&self.get("/derivatives/api/v3/tickers").await?)
    }

    /// Historical funding rates of one perpetual (`PI_XBTUSD`, `PF_XBTUSD`).
    pub async fn historical_funding(&self, symbol: &str) -> Result<Vec<FundingRate>, FuturesError> {
        parse_funding(&self.get(&format!("/derivatives/api/v3/historical-funding-rates?symbol={symbol}")).await?)
    }

    /// Chart candles: `series` is `mark`, `spot` or `trade`; `resolution` like `1h`.
    pub async fn chart(&self, series: &str, symbol: &str, resolution: &str) -> Result<Vec<ChartCandle>, FuturesError> {
        parse_chart(&self.get(&format!("/api/charts/v1/{series}/{symbol}/{resolution}")).await?)
    }
}
