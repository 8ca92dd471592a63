//! Order entry: AddOrder (validate, cl_ord_id, post-only, reduce-only, time in force),
//! CancelOrder, CancelAll and the CancelAllOrdersAfter dead-man switch.
//!
//! AddOrder is never re-sent blindly. When its outcome is ambiguous (timeout, 5xx,
//! `EService:Unavailable`), the client looks the order up by `cl_ord_id` first; without a
//! `cl_ord_id` it reports the outcome as unknown instead of risking a second order.

use super::account::{OrderInfo, OrderQuery};
use super::client::{Idempotency, RestClient, parse_result};
use super::resilience::EndpointGroup;
use crate::error::RestError;
use crate::ratelimit::OrderAction;
use cst_core::num::{Price, Qty};
use cst_core::pair::Pair;
use cst_core::trade::Side;
use serde::Deserialize;

/// Order types accepted by AddOrder (the ones the system uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderType {
    /// Market order.
    Market,
    /// Limit order at `price`.
    Limit,
}

impl OrderType {
    fn wire(self) -> &'static str {
        match self {
            OrderType::Market => "market",
            OrderType::Limit => "limit",
        }
    }
}

/// Time in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeInForce {
    /// Good till cancelled (Kraken's default).
    Gtc,
    /// Immediate or cancel.
    Ioc,
    /// Fill or kill.
    Fok,
    /// Good till the given unix second.
    Gtd {
        /// Expiry, unix seconds.
        expire_secs: i64,
    },
}

/// An AddOrder request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    /// The pair.
    pub pair: Pair,
    /// Buy or sell.
    pub side: Side,
    /// Market or limit.
    pub order_type: OrderType,
    /// Quantity in base units.
    pub qty: Qty,
    /// Limit price (required for limit orders).
    pub price: Option<Price>,
    /// Client order id (UUID or up to 18 ASCII chars): makes an ambiguous failure checkable.
    pub cl_ord_id: Option<String>,
    /// Post-only (`oflags=post`): never take liquidity.
    pub post_only: bool,
    /// Reduce-only (margin positions).
    pub reduce_only: bool,
    /// Time in force.
    pub time_in_force: TimeInForce,
    /// Validate only: Kraken checks the order and does not place it.
    pub validate: bool,
}

impl OrderRequest {
    /// The form parameters, in Kraken's names.
    pub fn params(&self) -> Result<Vec<(&'static str, String)>, RestError> {
        let mut p = vec![
            ("ordertype", self.order_type.wire().to_string()),
            ("type", if self.side == Side::Buy { "buy" } else { "sell" }.to_string()),
            ("volume", self.qty.to_string()),
            ("pair", self.pair.altname()),
        ];
        match (self.order_type, self.price) {
            (OrderType::Limit, Some(px)) => p.push(("price", px.to_string())),
            (OrderType::Limit, None) => return Err(RestError::InvalidRequest("limit order without price".into())),
            (OrderType::Market, Some(_)) => return Err(RestError::InvalidRequest("market order with a price".into())),
            (OrderType::Market, None) => {}
        }
        if self.post_only && self.order_type != OrderType::Limit {
            return Err(RestError::InvalidRequest("post-only needs a limit order".into()));
        }
        if let Some(id) = &self.cl_ord_id {
            p.push(("cl_ord_id", id.clone()));
        }
        if self.post_only {
            p.push(("oflags", "post".to_string()));
        }
        if self.reduce_only {
            p.push(("reduce_only", "true".to_string()));
        }
        match self.time_in_force {
            TimeInForce::Gtc => {}
            TimeInForce::Ioc => p.push(("timeinforce", "IOC".to_string())),
            TimeInForce::Fok => p.push(("timeinforce", "FOK".to_string())),
            TimeInForce::Gtd { expire_secs } => {
                p.push(("timeinforce", "GTD".to_string()));
                p.push(("expiretm", expire_secs.to_string()));
            }
        }
        if self.validate {
            p.push(("validate", "true".to_string()));
        }
        Ok(p)
    }
}

/// AddOrder's `descr`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AddOrderDescr {
    /// Order text (`buy 1.45 XBTUSD @ limit 27500.0`).
    pub order: String,
    /// Conditional close text.
    #[serde(default)]
    pub close: Option<String>,
}

/// AddOrder's result.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AddOrderResult {
    /// Description.
    pub descr: AddOrderDescr,
    /// Order ids (absent with `validate=true`).
    #[serde(default)]
    pub txid: Vec<String>,
}

/// CancelOrder's result.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CancelResult {
    /// Orders cancelled.
    pub count: u64,
    /// True when the cancel is pending.
    #[serde(default)]
    pub pending: Option<bool>,
}

/// CancelAllOrdersAfter's result.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeadManSwitch {
    /// Kraken's time when the request was handled (RFC 3339).
    #[serde(rename = "currentTime")]
    pub current_time: String,
    /// When all orders will be cancelled, or `0` when the switch is off.
    #[serde(rename = "triggerTime")]
    pub trigger_time: String,
}

/// Which order to cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRef {
    /// Kraken's order id.
    Txid(String),
    /// Our client order id.
    ClOrdId(String),
}

impl RestClient {
    async fn trading<T: for<'a> Deserialize<'a>>(
        &self,
        endpoint: &str,
        params: &[(&str, String)],
        idempotency: Idempotency,
    ) -> Result<T, RestError> {
        let body = self.private(EndpointGroup::Trading, endpoint, params, idempotency).await?;
        parse_result(endpoint, &body)
    }

    /// AddOrder. Waits for matching-engine headroom on the pair first. On an ambiguous failure,
    /// looks the order up by `cl_ord_id` and returns it if Kraken has it; re-sends only once the
    /// lookup shows it is absent, and never without a `cl_ord_id`.
    pub async fn add_order(&self, order: &OrderRequest) -> Result<AddOrderResult, RestError> {
        let params = order.params()?;
        let pair_key = order.pair.to_string();
        let attempts = self.config().retry.max_attempts.max(1);
        let mut last_err = None;
        for attempt in 0..attempts {
            if !order.validate {
                self.limiter().acquire_order(&pair_key, OrderAction::Add).await;
            }
            let err = match self.trading("AddOrder", &params, Idempotency::NotIdempotent).await {
                Ok(r) => return Ok(r),
                Err(e) => e,
            };
            if matches!(&err, RestError::Kraken(v) if v.contains(&crate::error::KrakenError::OrderRateLimitExceeded)) {
                self.limiter().on_order_rate_limit_error(&pair_key);
            }
            if !err.is_retryable() || attempt + 1 == attempts {
                return self.settle_failed_add(order, err).await;
            }
            if !err.order_certainly_not_placed() {
                let Some(found) = self.find_by_cl_ord_id(order).await? else {
                    last_err = Some(err);
                    tokio::time::sleep(self.config().retry.delay(attempt, fastrand::f64())).await;
                    continue;
                };
                return Ok(found);
            }
            last_err = Some(err);
            tokio::time::sleep(self.config().retry.delay(attempt, fastrand::f64())).await;
        }
        Err(last_err.unwrap_or_else(|| RestError::InvalidRequest("no attempt made".into())))
    }

    /// After the last failed attempt: a certain rejection is returned as is; an ambiguous one is
    /// resolved by looking the order up when it has a `cl_ord_id`, else reported as unknown.
    async fn settle_failed_add(&self, order: &OrderRequest, err: RestError) -> Result<AddOrderResult, RestError> {
        if err.order_certainly_not_placed() || order.validate {
            return Err(err);
        }
        match self.find_by_cl_ord_id(order).await? {
            Some(found) => {
                tracing::info!(txid = ?found.txid, error = %err, "order placed despite an ambiguous AddOrder failure");
                Ok(found)
            }
            None => Err(RestError::OrderOutcomeUnknown { cl_ord_id: order.cl_ord_id.clone(), cause: err.to_string() }),
        }
    }

    /// AddOrder sent exactly once: an ambiguous failure is resolved by looking the order up by
    /// its `cl_ord_id` (found: its result; absent: [`RestError::OrderOutcomeUnknown`]), and the
    /// order is never re-sent here. For callers (the live gateway) that settle unknown outcomes
    /// later, because a market order that filled at once frees its `cl_ord_id` and a re-send
    /// would then be accepted as a second order.
    pub async fn add_order_once(&self, order: &OrderRequest) -> Result<AddOrderResult, RestError> {
        let params = order.params()?;
        if !order.validate {
            self.limiter().acquire_order(&order.pair.to_string(), OrderAction::Add).await;
        }
        match self.trading("AddOrder", &params, Idempotency::NotIdempotent).await {
            Ok(r) => Ok(r),
            Err(err) => {
                if matches!(&err, RestError::Kraken(v) if v.contains(&crate::error::KrakenError::OrderRateLimitExceeded))
                {
                    self.limiter().on_order_rate_limit_error(&order.pair.to_string());
                }
                self.settle_failed_add(order, err).await
            }
        }
    }

    /// Looks an order up by its `cl_ord_id` among open, then closed orders (first page):
    /// its txid and state, or `None` when Kraken lists no order with that id.
    pub async fn find_order(&self, cl_ord_id: &str) -> Result<Option<(String, OrderInfo)>, RestError> {
        let query = OrderQuery { cl_ord_id: Some(cl_ord_id.to_string()), ..OrderQuery::default() };
        let open = self.open_orders(&query).await?;
        if let Some(found) = pick_info(open.open, cl_ord_id) {
            return Ok(Some(found));
        }
        let closed = self.closed_orders(&query).await?;
        Ok(pick_info(closed.closed, cl_ord_id))
    }

    /// Looks an order up by its `cl_ord_id` among open, then closed orders. Without a
    /// `cl_ord_id` it cannot know, and says so with an error.
    async fn find_by_cl_ord_id(&self, order: &OrderRequest) -> Result<Option<AddOrderResult>, RestError> {
        let Some(id) = order.cl_ord_id.clone() else {
            return Err(RestError::OrderOutcomeUnknown {
                cl_ord_id: None,
                cause: "AddOrder failed ambiguously and has no cl_ord_id to look it up".into(),
            });
        };
        Ok(self.find_order(&id).await?.map(|(txid, o)| AddOrderResult {
            descr: AddOrderDescr { order: o.descr.order, close: Some(o.descr.close).filter(|c| !c.is_empty()) },
            txid: vec![txid],
        }))
    }

    /// CancelOrder (by txid or cl_ord_id). `age_secs` is how long the order has rested, for the
    /// matching-engine penalty (unknown → the worst case is assumed).
    pub async fn cancel_order(
        &self,
        pair: &Pair,
        order: &OrderRef,
        age_secs: Option<f64>,
    ) -> Result<CancelResult, RestError> {
        let age_secs = age_secs.unwrap_or(0.0);
        self.limiter().acquire_order(&pair.to_string(), OrderAction::Cancel { age_secs }).await;
        let params = match order {
            OrderRef::Txid(t) => vec![("txid", t.clone())],
            OrderRef::ClOrdId(c) => vec![("cl_ord_id", c.clone())],
        };
        self.trading("CancelOrder", &params, Idempotency::Idempotent).await
    }

    /// CancelAll: cancels every open order.
    pub async fn cancel_all(&self) -> Result<CancelResult, RestError> {
        self.trading("CancelAll", &[], Idempotency::Idempotent).await
    }

    /// CancelAllOrdersAfter: arms (timeout > 0) or disarms (0) the dead-man switch.
    pub async fn cancel_all_orders_after(&self, timeout_secs: u32) -> Result<DeadManSwitch, RestError> {
        self.trading("CancelAllOrdersAfter", &[("timeout", timeout_secs.to_string())], Idempotency::Idempotent).await
    }
}

fn pick_info(orders: std::collections::BTreeMap<String, OrderInfo>, cl_ord_id: &str) -> Option<(String, OrderInfo)> {
    orders.into_iter().find(|(_, o)| o.cl_ord_id.as_deref() == Some(cl_ord_id))
}
