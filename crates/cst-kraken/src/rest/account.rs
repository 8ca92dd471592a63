//! Private account queries: balances, orders, own trades, the WebSocket token. All idempotent,
//! so they are retried on transient errors.

use super::client::{Idempotency, RestClient, parse_result};
use super::resilience::EndpointGroup;
use crate::error::RestError;
use crate::exact::{de_decimal, de_opt_decimal, de_opt_secs_timestamp, de_secs_timestamp};
use cst_core::time::Timestamp;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// One asset of `BalanceEx`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExtendedBalance {
    /// Total balance.
    #[serde(deserialize_with = "de_decimal")]
    pub balance: Decimal,
    /// Held by open orders.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub hold_trade: Option<Decimal>,
    /// Credit line, when the account has one.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub credit: Option<Decimal>,
    /// Credit used.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub credit_used: Option<Decimal>,
}

impl ExtendedBalance {
    /// Balance not held by open orders.
    pub fn available(&self) -> Decimal {
        self.balance - self.hold_trade.unwrap_or_default()
    }
}

/// `TradeBalance` (margin summary in the quote asset), Kraken's abbreviations expanded.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TradeBalance {
    /// `eb`: equivalent balance (all currencies).
    #[serde(rename = "eb", default, deserialize_with = "de_opt_decimal")]
    pub equivalent_balance: Option<Decimal>,
    /// `tb`: trade balance (equity currencies).
    #[serde(rename = "tb", default, deserialize_with = "de_opt_decimal")]
    pub trade_balance: Option<Decimal>,
    /// `m`: margin used by open positions.
    #[serde(rename = "m", default, deserialize_with = "de_opt_decimal")]
    pub margin: Option<Decimal>,
    /// `n`: unrealised net P&L of open positions.
    #[serde(rename = "n", default, deserialize_with = "de_opt_decimal")]
    pub unrealized_pnl: Option<Decimal>,
    /// `c`: cost basis of open positions.
    #[serde(rename = "c", default, deserialize_with = "de_opt_decimal")]
    pub cost_basis: Option<Decimal>,
    /// `v`: floating valuation of open positions.
    #[serde(rename = "v", default, deserialize_with = "de_opt_decimal")]
    pub valuation: Option<Decimal>,
    /// `e`: equity.
    #[serde(rename = "e", default, deserialize_with = "de_opt_decimal")]
    pub equity: Option<Decimal>,
    /// `mf`: free margin.
    #[serde(rename = "mf", default, deserialize_with = "de_opt_decimal")]
    pub free_margin: Option<Decimal>,
    /// `ml`: margin level, percent.
    #[serde(rename = "ml", default, deserialize_with = "de_opt_decimal")]
    pub margin_level: Option<Decimal>,
}

/// An order's description (`descr`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderDescr {
    /// Pair (altname).
    pub pair: String,
    /// `buy` or `sell`.
    #[serde(rename = "type")]
    pub side: String,
    /// `limit`, `market`, `stop-loss-limit`, ...
    pub ordertype: String,
    /// Primary price.
    #[serde(deserialize_with = "de_decimal")]
    pub price: Decimal,
    /// Secondary price.
    #[serde(deserialize_with = "de_decimal")]
    pub price2: Decimal,
    /// Leverage (`none` or `5:1`).
    pub leverage: String,
    /// Human-readable order text.
    pub order: String,
    /// Conditional close text.
    #[serde(default)]
    pub close: String,
}

/// An order as `OpenOrders`, `ClosedOrders` and `QueryOrders` return it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderInfo {
    /// Referral order id (Kraken's spec example writes "None"; live it is null).
    #[serde(default)]
    pub refid: Option<String>,
    /// User reference.
    #[serde(default)]
    pub userref: Option<i64>,
    /// Client order id, when set.
    #[serde(default)]
    pub cl_ord_id: Option<String>,
    /// `pending`, `open`, `closed`, `canceled`, `expired`.
    pub status: String,
    /// Why it closed, when it did.
    #[serde(default)]
    pub reason: Option<String>,
    /// Open time.
    #[serde(deserialize_with = "de_secs_timestamp")]
    pub opentm: Timestamp,
    /// Close time, when closed.
    #[serde(default, deserialize_with = "de_opt_secs_timestamp")]
    pub closetm: Option<Timestamp>,
    /// Scheduled start (None when immediate).
    #[serde(default, deserialize_with = "de_opt_secs_timestamp")]
    pub starttm: Option<Timestamp>,
    /// Expiry (None when none).
    #[serde(default, deserialize_with = "de_opt_secs_timestamp")]
    pub expiretm: Option<Timestamp>,
    /// Description.
    pub descr: OrderDescr,
    /// Order volume.
    #[serde(deserialize_with = "de_decimal")]
    pub vol: Decimal,
    /// Executed volume.
    #[serde(deserialize_with = "de_decimal")]
    pub vol_exec: Decimal,
    /// Executed cost (quote).
    #[serde(deserialize_with = "de_decimal")]
    pub cost: Decimal,
    /// Fee (quote).
    #[serde(deserialize_with = "de_decimal")]
    pub fee: Decimal,
    /// Average execution price.
    #[serde(deserialize_with = "de_decimal")]
    pub price: Decimal,
    /// Stop price.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub stopprice: Option<Decimal>,
    /// Triggered limit price.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub limitprice: Option<Decimal>,
    /// Comma-separated misc flags.
    #[serde(default)]
    pub misc: String,
    /// Comma-separated order flags (`post`, `fciq`, ...).
    #[serde(default)]
    pub oflags: String,
    /// Trade ids, when requested with `trades=true`.
    #[serde(default)]
    pub trades: Option<Vec<String>>,
}

impl OrderInfo {
    /// True while the order can still fill.
    pub fn is_live(&self) -> bool {
        matches!(self.status.as_str(), "pending" | "open")
    }
}

/// `OpenOrders`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OpenOrders {
    /// Orders by txid.
    pub open: BTreeMap<String, OrderInfo>,
}

/// `ClosedOrders`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ClosedOrders {
    /// Orders by txid.
    pub closed: BTreeMap<String, OrderInfo>,
    /// Total matching orders (for paging with `ofs`).
    #[serde(default)]
    pub count: Option<u64>,
}

/// One of our own fills from `TradesHistory`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OwnTrade {
    /// The order that traded.
    pub ordertxid: String,
    /// Position id.
    #[serde(default)]
    pub postxid: Option<String>,
    /// Pair key (`XXBTZUSD`).
    pub pair: String,
    /// Execution time.
    #[serde(deserialize_with = "de_secs_timestamp")]
    pub time: Timestamp,
    /// `buy` or `sell`.
    #[serde(rename = "type")]
    pub side: String,
    /// Order type.
    pub ordertype: String,
    /// Execution price.
    #[serde(deserialize_with = "de_decimal")]
    pub price: Decimal,
    /// Cost (quote).
    #[serde(deserialize_with = "de_decimal")]
    pub cost: Decimal,
    /// Fee (quote).
    #[serde(deserialize_with = "de_decimal")]
    pub fee: Decimal,
    /// Volume (base).
    #[serde(deserialize_with = "de_decimal")]
    pub vol: Decimal,
    /// Margin used.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub margin: Option<Decimal>,
    /// Misc flags.
    #[serde(default)]
    pub misc: String,
    /// Public trade id.
    #[serde(default)]
    pub trade_id: Option<u64>,
    /// True when we were the maker.
    #[serde(default)]
    pub maker: Option<bool>,
}

/// `TradesHistory`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TradesHistory {
    /// Fills by trade txid.
    pub trades: BTreeMap<String, OwnTrade>,
    /// Total matching fills.
    #[serde(default)]
    pub count: Option<u64>,
}

/// A WebSocket authentication token; like a secret, never printed.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct WsToken {
    token: String,
    /// Seconds the token stays valid if unused.
    pub expires: u64,
}

impl WsToken {
    /// The token text, to put in a WebSocket request.
    pub fn expose(&self) -> &str {
        &self.token
    }

    /// A token from text (tests, or one obtained elsewhere).
    pub fn new(token: &str, expires: u64) -> Self {
        WsToken { token: token.to_string(), expires }
    }
}

impl fmt::Debug for WsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsToken").field("token", &"<redacted>").field("expires", &self.expires).finish()
    }
}

/// Filters for `OpenOrders` / `ClosedOrders`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderQuery {
    /// Include trade ids.
    pub trades: bool,
    /// Only orders with this client order id.
    pub cl_ord_id: Option<String>,
    /// Only orders with this user reference.
    pub userref: Option<i64>,
    /// Closed orders from this unix second (ClosedOrders only).
    pub start: Option<i64>,
    /// Closed orders up to this unix second (ClosedOrders only).
    pub end: Option<i64>,
}

impl OrderQuery {
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        if self.trades {
            p.push(("trades", "true".to_string()));
        }
        if let Some(c) = &self.cl_ord_id {
            p.push(("cl_ord_id", c.clone()));
        }
        if let Some(u) = self.userref {
            p.push(("userref", u.to_string()));
        }
        if let Some(s) = self.start {
            p.push(("start", s.to_string()));
        }
        if let Some(e) = self.end {
            p.push(("end", e.to_string()));
        }
        p
    }
}

impl RestClient {
    async fn account<T: for<'a> Deserialize<'a>>(
        &self,
        endpoint: &str,
        params: &[(&str, String)],
    ) -> Result<T, RestError> {
        let body = self.private(EndpointGroup::Account, endpoint, params, Idempotency::Idempotent).await?;
        parse_result(endpoint, &body)
    }

    /// `Balance`: total per asset (Kraken asset codes).
    pub async fn balance(&self) -> Result<BTreeMap<String, Decimal>, RestError> {
        let raw: BTreeMap<String, String> = self.account("Balance", &[]).await?;
        raw.into_iter()
            .map(|(k, v)| {
                cst_core::num::parse_decimal(&v)
                    .map(|d| (k, d))
                    .map_err(|e| super::client::decode_error("Balance", &v, e))
            })
            .collect()
    }

    /// `BalanceEx`: balance and amount held by open orders per asset.
    pub async fn balance_ex(&self) -> Result<BTreeMap<String, ExtendedBalance>, RestError> {
        self.account("BalanceEx", &[]).await
    }

    /// `TradeBalance` in `asset` (default ZUSD).
    pub async fn trade_balance(&self, asset: Option<&str>) -> Result<TradeBalance, RestError> {
        let params: Vec<(&str, String)> = asset.map(|a| vec![("asset", a.to_string())]).unwrap_or_default();
        self.account("TradeBalance", &params).await
    }

    /// `OpenOrders`.
    pub async fn open_orders(&self, query: &OrderQuery) -> Result<OpenOrders, RestError> {
        self.account("OpenOrders", &query.params()).await
    }

    /// `ClosedOrders` (first page of 50).
    pub async fn closed_orders(&self, query: &OrderQuery) -> Result<ClosedOrders, RestError> {
        self.account("ClosedOrders", &query.params()).await
    }

    /// `QueryOrders` for up to 50 txids.
    pub async fn query_orders(&self, txids: &[&str], trades: bool) -> Result<BTreeMap<String, OrderInfo>, RestError> {
        let mut params = vec![("txid", txids.join(","))];
        if trades {
            params.push(("trades", "true".to_string()));
        }
        self.account("QueryOrders", &params).await
    }

    /// `TradesHistory` (costs 2 on the REST counter), optionally from/to unix seconds.
    pub async fn trades_history(&self, start: Option<i64>, end: Option<i64>) -> Result<TradesHistory, RestError> {
        let mut params = Vec::new();
        if let Some(s) = start {
            params.push(("start", s.to_string()));
        }
        if let Some(e) = end {
            params.push(("end", e.to_string()));
        }
        self.account("TradesHistory", &params).await
    }

    /// `GetWebSocketsToken`: a token for the private WebSocket.
    pub async fn websockets_token(&self) -> Result<WsToken, RestError> {
        self.account("GetWebSocketsToken", &[]).await
    }
}
