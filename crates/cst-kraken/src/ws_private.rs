//! Kraken WebSocket v2, authenticated side: the token, the `executions` and `balances`
//! channels, and the `add_order` / `cancel_order` / `cancel_all` / `cancel_all_orders_after`
//! methods (request building and response parsing; the connection itself is the WS client's).
//!
//! Numbers go out and come in as exact decimal text: requests embed the decimal's own digits
//! as JSON numbers, replies are read from the raw number text.

use crate::exact::{de_decimal, de_opt_decimal};
use crate::rest::account::WsToken;
use cst_core::num::{Price, Qty};
use cst_core::pair::Pair;
use cst_core::trade::Side;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Kraken's private WebSocket v2 endpoint.
pub const WS_AUTH_URL: &str = "wss://ws-auth.kraken.com/v2";

/// Why a private message could not be built or understood.
#[derive(Debug, thiserror::Error)]
pub enum WsPrivateError {
    /// The frame is not the documented shape (the text is kept for the log; it holds no token).
    #[error("malformed private frame ({reason}): {text}")]
    Malformed {
        /// What did not fit.
        reason: String,
        /// The start of the frame.
        text: String,
    },
    /// An order request is invalid before sending.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

fn malformed(text: &str, reason: impl std::fmt::Display) -> WsPrivateError {
    WsPrivateError::Malformed { reason: reason.to_string(), text: text.chars().take(200).collect() }
}

/// A token and when it was obtained; Kraken expires an unused token after `expires` seconds.
#[derive(Debug, Clone)]
pub struct TokenLease {
    /// The token.
    pub token: WsToken,
    /// When it was obtained, unix seconds.
    pub obtained_secs: i64,
}

impl TokenLease {
    /// True when the token can still be used to authenticate a new connection at `now_secs`
    /// (with a safety margin so it does not expire mid-handshake).
    pub fn is_fresh(&self, now_secs: i64, margin_secs: i64) -> bool {
        now_secs + margin_secs < self.obtained_secs + self.token.expires as i64
    }
}

impl TokenLease {
    /// Obtains a fresh token through `GetWebSocketsToken`.
    pub async fn obtain(client: &crate::rest::RestClient, now_secs: i64) -> Result<Self, crate::error::RestError> {
        Ok(TokenLease { token: client.websockets_token().await?, obtained_secs: now_secs })
    }
}

/// A break in a private channel's `sequence`: messages were missed, so the channel must be
/// resubscribed (with snapshots) before its state can be trusted again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequenceGap {
    /// The sequence number that was due.
    pub expected: u64,
    /// The one that arrived.
    pub received: u64,
}

/// Checks that a channel's sequence numbers follow each other without holes or repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SequenceTracker {
    last: Option<u64>,
}

impl SequenceTracker {
    /// Records the next message's sequence; Err when it does not follow the previous one.
    pub fn observe(&mut self, sequence: u64) -> Result<(), SequenceGap> {
        let expected = self.last.map(|l| l + 1);
        self.last = Some(sequence);
        match expected {
            Some(e) if e != sequence => Err(SequenceGap { expected: e, received: sequence }),
            _ => Ok(()),
        }
    }

    /// Forgets the past (after a resubscription; the snapshot starts a new sequence).
    pub fn reset(&mut self) {
        self.last = None;
    }
}

fn number(d: Decimal) -> Result<Box<RawValue>, WsPrivateError> {
    // A decimal's text is a JSON number; this keeps every digit instead of going through f64.
    RawValue::from_string(d.normalize().to_string()).map_err(|e| WsPrivateError::InvalidRequest(e.to_string()))
}

#[derive(Serialize)]
struct Request<'a, P: Serialize> {
    method: &'a str,
    params: P,
    #[serde(skip_serializing_if = "Option::is_none")]
    req_id: Option<u64>,
}

fn to_text<P: Serialize>(method: &str, params: P, req_id: Option<u64>) -> Result<String, WsPrivateError> {
    serde_json::to_string(&Request { method, params, req_id })
        .map_err(|e| WsPrivateError::InvalidRequest(e.to_string()))
}

/// Time in force on the WebSocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsTimeInForce {
    /// Good till cancelled.
    Gtc,
    /// Immediate or cancel.
    Ioc,
    /// Good till the given RFC 3339 time.
    Gtd,
}

/// An `add_order` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsOrder {
    /// Pair (sent as its v2 symbol, `BTC/USD`).
    pub pair: Pair,
    /// Buy or sell.
    pub side: Side,
    /// Quantity.
    pub qty: Qty,
    /// Limit price; None for a market order.
    pub limit_price: Option<Price>,
    /// Client order id.
    pub cl_ord_id: Option<String>,
    /// Numeric user reference.
    pub order_userref: Option<i64>,
    /// Post-only.
    pub post_only: bool,
    /// Reduce-only.
    pub reduce_only: bool,
    /// Time in force (None = Kraken's default, GTC).
    pub time_in_force: Option<WsTimeInForce>,
    /// Expiry for GTD (RFC 3339).
    pub expire_time: Option<String>,
    /// Validate only.
    pub validate: bool,
}

#[derive(Serialize)]
struct AddOrderParams<'a> {
    order_type: &'a str,
    side: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit_price: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    order_userref: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cl_ord_id: Option<&'a str>,
    order_qty: Box<RawValue>,
    symbol: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    post_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reduce_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_in_force: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expire_time: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    validate: Option<bool>,
    token: &'a str,
}

/// Builds an `add_order` request frame.
pub fn add_order_request(req_id: u64, token: &WsToken, order: &WsOrder) -> Result<String, WsPrivateError> {
    if order.post_only && order.limit_price.is_none() {
        return Err(WsPrivateError::InvalidRequest("post-only needs a limit price".into()));
    }
    if (order.time_in_force == Some(WsTimeInForce::Gtd)) != order.expire_time.is_some() {
        return Err(WsPrivateError::InvalidRequest("expire_time goes with GTD and only with GTD".into()));
    }
    let params = AddOrderParams {
        order_type: if order.limit_price.is_some() { "limit" } else { "market" },
        side: if order.side == Side::Buy { "buy" } else { "sell" },
        limit_price: order.limit_price.map(|p| number(p.value())).transpose()?,
        order_userref: order.order_userref,
        cl_ord_id: order.cl_ord_id.as_deref(),
        order_qty: number(order.qty.value())?,
        symbol: order.pair.v2_symbol(),
        post_only: order.post_only.then_some(true),
        reduce_only: order.reduce_only.then_some(true),
        time_in_force: order.time_in_force.map(|t| match t {
            WsTimeInForce::Gtc => "gtc",
            WsTimeInForce::Ioc => "ioc",
            WsTimeInForce::Gtd => "gtd",
        }),
        expire_time: order.expire_time.as_deref(),
        validate: order.validate.then_some(true),
        token: token.expose(),
    };
    to_text("add_order", params, Some(req_id))
}

/// Builds a `cancel_order` request for Kraken order ids.
pub fn cancel_order_request(req_id: u64, token: &WsToken, order_ids: &[&str]) -> Result<String, WsPrivateError> {
    #[derive(Serialize)]
    struct P<'a> {
        order_id: &'a [&'a str],
        token: &'a str,
    }
    to_text("cancel_order", P { order_id: order_ids, token: token.expose() }, Some(req_id))
}

/// Builds a `cancel_all` request.
pub fn cancel_all_request(req_id: u64, token: &WsToken) -> Result<String, WsPrivateError> {
    #[derive(Serialize)]
    struct P<'a> {
        token: &'a str,
    }
    to_text("cancel_all", P { token: token.expose() }, Some(req_id))
}

/// Builds a `cancel_all_orders_after` (dead-man switch) request; 0 disarms it.
pub fn cancel_all_orders_after_request(
    req_id: u64,
    token: &WsToken,
    timeout_secs: u32,
) -> Result<String, WsPrivateError> {
    #[derive(Serialize)]
    struct P<'a> {
        timeout: u32,
        token: &'a str,
    }
    to_text("cancel_all_orders_after", P { timeout: timeout_secs, token: token.expose() }, Some(req_id))
}

/// The private channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivateChannel {
    /// Order and fill events.
    Executions,
    /// Balances and ledger events.
    Balances,
}

/// Builds a `subscribe` (or `unsubscribe`) frame for a private channel; executions asks for
/// order and trade snapshots so state is rebuilt after every reconnect.
pub fn subscription_request(
    channel: PrivateChannel,
    token: &WsToken,
    subscribe: bool,
) -> Result<String, WsPrivateError> {
    #[derive(Serialize)]
    struct P<'a> {
        channel: &'a str,
        token: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        snap_orders: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        snap_trades: Option<bool>,
    }
    let (name, snap) = match channel {
        PrivateChannel::Executions => ("executions", subscribe.then_some(true)),
        PrivateChannel::Balances => ("balances", None),
    };
    let params = P { channel: name, token: token.expose(), snap_orders: snap, snap_trades: snap };
    to_text(if subscribe { "subscribe" } else { "unsubscribe" }, params, None)
}

/// One fee of an execution.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExecutionFee {
    /// Fee asset.
    pub asset: String,
    /// Fee amount.
    #[serde(deserialize_with = "de_decimal")]
    pub qty: Decimal,
}

/// One report of the `executions` channel (order state change or fill).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExecutionReport {
    /// Kraken order id.
    pub order_id: String,
    /// `pending_new`, `new`, `trade`, `filled`, `canceled`, `expired`, `amended`, `restated`, `status`.
    pub exec_type: String,
    /// Order status after this event.
    #[serde(default)]
    pub order_status: Option<String>,
    /// v2 symbol.
    #[serde(default)]
    pub symbol: Option<String>,
    /// `buy` or `sell`.
    #[serde(default)]
    pub side: Option<String>,
    /// Order type.
    #[serde(default)]
    pub order_type: Option<String>,
    /// Client order id.
    #[serde(default)]
    pub cl_ord_id: Option<String>,
    /// User reference.
    #[serde(default)]
    pub order_userref: Option<i64>,
    /// Order quantity.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub order_qty: Option<Decimal>,
    /// Limit price.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub limit_price: Option<Decimal>,
    /// Filled quantity so far.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub cum_qty: Option<Decimal>,
    /// Filled cost so far.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub cum_cost: Option<Decimal>,
    /// Fill id (trade events).
    #[serde(default)]
    pub exec_id: Option<String>,
    /// Public trade id (trade events).
    #[serde(default)]
    pub trade_id: Option<u64>,
    /// This fill's quantity.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub last_qty: Option<Decimal>,
    /// This fill's price.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub last_price: Option<Decimal>,
    /// `t` taker or `m` maker.
    #[serde(default)]
    pub liquidity_ind: Option<String>,
    /// Fees of this fill.
    #[serde(default)]
    pub fees: Option<Vec<ExecutionFee>>,
    /// Fee in USD.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub fee_usd_equiv: Option<Decimal>,
    /// Time in force.
    #[serde(default)]
    pub time_in_force: Option<String>,
    /// Event time (RFC 3339).
    pub timestamp: String,
}

/// A wallet inside a balances snapshot entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Wallet {
    /// `spot`, `earn`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Wallet id (`main`, `flex`).
    pub id: String,
    /// Balance in the wallet.
    #[serde(deserialize_with = "de_decimal")]
    pub balance: Decimal,
}

/// One entry of the `balances` channel: a snapshot balance or a ledger update.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BalanceEntry {
    /// Asset (v2 name, `BTC`).
    pub asset: String,
    /// Asset class.
    #[serde(default)]
    pub asset_class: Option<String>,
    /// Balance after this entry.
    #[serde(deserialize_with = "de_decimal")]
    pub balance: Decimal,
    /// Wallets (snapshot only).
    #[serde(default)]
    pub wallets: Option<Vec<Wallet>>,
    /// Ledger id (update only).
    #[serde(default)]
    pub ledger_id: Option<String>,
    /// Ledger type (`deposit`, `trade`, ...; update only).
    #[serde(rename = "type", default)]
    pub ledger_type: Option<String>,
    /// Amount moved (update only).
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub amount: Option<Decimal>,
    /// Fee (update only).
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub fee: Option<Decimal>,
    /// Time (update only).
    #[serde(default)]
    pub timestamp: Option<String>,
}

/// A channel data message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChannelMessage<T> {
    /// `snapshot` or `update`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The entries.
    pub data: Vec<T>,
    /// Per-channel sequence number (a gap means missed messages: resubscribe).
    #[serde(default)]
    pub sequence: Option<u64>,
}

/// A method response (`add_order`, `cancel_order`, `subscribe`, ...).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MethodResponse {
    /// The method answered.
    pub method: String,
    /// Our request id, echoed.
    #[serde(default)]
    pub req_id: Option<u64>,
    /// Success flag.
    pub success: bool,
    /// Result object on success.
    #[serde(default)]
    pub result: Option<serde_json::Value>,
    /// Error text on failure.
    #[serde(default)]
    pub error: Option<String>,
    /// Time Kraken received the request.
    #[serde(default)]
    pub time_in: Option<String>,
    /// Time Kraken answered.
    #[serde(default)]
    pub time_out: Option<String>,
}

impl MethodResponse {
    /// `count` of a cancel response.
    pub fn cancelled_count(&self) -> Option<u64> {
        self.result.as_ref()?.get("count")?.as_u64()
    }

    /// `order_id` of an `add_order` response.
    pub fn order_id(&self) -> Option<&str> {
        self.result.as_ref()?.get("order_id")?.as_str()
    }
}

/// Any message of the private connection.
#[derive(Debug, Clone, PartialEq)]
pub enum PrivateMessage {
    /// `executions` channel data.
    Executions(ChannelMessage<ExecutionReport>),
    /// `balances` channel data.
    Balances(ChannelMessage<BalanceEntry>),
    /// A method response.
    Response(MethodResponse),
    /// `heartbeat`.
    Heartbeat,
    /// Another channel (`status`, ...), left to the caller.
    OtherChannel(String),
}

#[derive(Deserialize)]
struct Peek<'a> {
    #[serde(borrow, default)]
    channel: Option<&'a str>,
    #[serde(borrow, default)]
    method: Option<&'a str>,
}

/// Parses one frame of the private connection.
pub fn parse_private(text: &str) -> Result<PrivateMessage, WsPrivateError> {
    let peek: Peek<'_> = serde_json::from_str(text).map_err(|e| malformed(text, e))?;
    match (peek.method, peek.channel) {
        (Some(_), _) => serde_json::from_str(text).map(PrivateMessage::Response).map_err(|e| malformed(text, e)),
        (None, Some("executions")) => {
            serde_json::from_str(text).map(PrivateMessage::Executions).map_err(|e| malformed(text, e))
        }
        (None, Some("balances")) => {
            serde_json::from_str(text).map(PrivateMessage::Balances).map_err(|e| malformed(text, e))
        }
        (None, Some("heartbeat")) => Ok(PrivateMessage::Heartbeat),
        (None, Some(other)) => Ok(PrivateMessage::OtherChannel(other.to_string())),
        (None, None) => Err(malformed(text, "neither method nor channel")),
    }
}
