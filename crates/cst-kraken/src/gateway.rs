//! The live order gateway: approved orders to Kraken, Kraken's state back as core events.
//!
//! The only way in is [`KrakenGateway::place`], which takes an [`ApprovedOrder`]: the risk
//! guard's private constructor makes it impossible to hand the gateway anything the guard has
//! not approved. An order is sent at most once per client order id:
//!
//! - before the first AddOrder of an id, Kraken is asked for an order with its `cl_ord_id`
//!   (open, then closed orders), so a restarted process adopts what it sent before;
//! - an ambiguous AddOrder failure (timeout, 5xx, `EService:Unavailable`) is never re-sent: the
//!   order is looked up by `cl_ord_id`, and while Kraken lists nothing it stays *unknown* and
//!   [`poll`](KrakenGateway::poll) asks again, declaring it rejected after a grace period;
//! - a second `place` of a known id (an engine rebuild) replays that order's events instead;
//! - an id journaled as sent by an earlier start ([`KrakenGateway::remember_sent`]) that Kraken
//!   no longer lists is rejected, not sent again;
//! - an order re-decided while a restarted engine rebuilds its state ([`KrakenGateway::restore`])
//!   is only ever adopted from Kraken, never sent: its moment has passed.
//!
//! [`poll`](KrakenGateway::poll) turns Kraken's view into events: `QueryOrders` for status,
//! `TradesHistory` for executions (each trade booked once, checked against its order), and
//! `Done` once a finished order's executed volume is fully booked. With
//! [`GatewayConfig::validate_only`] every AddOrder carries `validate=true`: Kraken checks the
//! order and places nothing, and the gateway reports it as rejected with Kraken's description.
//!
//! An order intent the guard has not approved does not compile as gateway input:
//!
//! ```compile_fail
//! # async fn send(gateway: &mut cst_kraken::gateway::KrakenGateway, intent: cst_core::order::OrderIntent) {
//! let mut events = Vec::new();
//! gateway.place(intent, &mut events).await; // expected `ApprovedOrder`, found `OrderIntent`
//! # }
//! ```
//!
//! ```compile_fail
//! # fn forge(intent: cst_core::order::OrderIntent) {
//! let forged = cst_core::risk::ApprovedOrder { intent }; // the field is private to the guard
//! # }
//! ```

pub mod fills;
pub mod reject;
pub mod request;

use crate::error::RestError;
use crate::rest::RestClient;
use crate::rest::account::OrderInfo;
use crate::rest::orders::OrderRef;
use cst_core::event::{ClientOrderId, Event, OrderUpdate, Stamp};
use cst_core::instrument::Instrument;
use cst_core::num::Qty;
use cst_core::order::OrderIntent;
use cst_core::risk::ApprovedOrder;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

pub use request::cl_ord_id;

/// How the gateway behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayConfig {
    /// Send every AddOrder with `validate=true` (Kraken checks, places nothing).
    pub validate_only: bool,
    /// How long an order with an unknown outcome may stay unlisted before it counts as not placed.
    pub unknown_grace: Duration,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig { validate_only: false, unknown_grace: Duration::from_secs(30) }
    }
}

/// What the gateway did, for the console, the API and metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GatewayCounts {
    /// AddOrder requests sent.
    pub sent: u64,
    /// Orders Kraken accepted (or that were found already placed).
    pub accepted: u64,
    /// Orders rejected (by Kraken, before sending, or never found after an unknown outcome).
    pub rejected: u64,
    /// Orders whose AddOrder outcome was unknown when it returned.
    pub unknown: u64,
    /// Executions booked.
    pub fills: u64,
    /// Executions refused (wrong pair or side, overfill).
    pub refused_fills: u64,
    /// Cancels Kraken confirmed.
    pub cancels: u64,
    /// Orders finished (closed, cancelled or expired, every execution booked).
    pub done: u64,
}

impl GatewayCounts {
    /// Each count with its metric label.
    pub fn labelled(&self) -> [(&'static str, u64); 8] {
        [
            ("sent", self.sent),
            ("accepted", self.accepted),
            ("rejected", self.rejected),
            ("unknown", self.unknown),
            ("fill", self.fills),
            ("refused-fill", self.refused_fills),
            ("cancel", self.cancels),
            ("done", self.done),
        ]
    }
}

/// Whether an order may be sent, or only adopted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sending {
    Allowed,
    Forbidden,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// AddOrder's outcome is not known; Kraken has not listed the order yet.
    Unknown { cause: String, since: Instant },
    /// Kraken has it and it may still execute.
    Open,
    /// Nothing more will happen.
    Finished,
}

#[derive(Debug, Clone)]
struct LiveOrder {
    intent: OrderIntent,
    sent: Qty,
    txid: Option<String>,
    state: State,
    booked: Decimal,
    opened_secs: Option<i64>,
    accepted_at: Instant,
    /// Every event reported for the order, replayed to a rebuilt engine.
    history: Vec<Event>,
}

/// The gateway: one REST client (signing, nonce, rate limits), the pairs' instruments by pair
/// id, and the orders it sent.
#[derive(Debug)]
pub struct KrakenGateway {
    client: RestClient,
    instruments: Vec<Instrument>,
    config: GatewayConfig,
    orders: BTreeMap<ClientOrderId, LiveOrder>,
    by_txid: HashMap<String, ClientOrderId>,
    booked: HashSet<String>,
    sent_before: HashSet<ClientOrderId>,
    counts: GatewayCounts,
}

fn now_ns() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i64)
}

fn stamp_now() -> Stamp {
    Stamp::at(now_ns())
}

impl KrakenGateway {
    /// A gateway over `client` (with credentials) for the engine's pairs, in pair-id order.
    pub fn new(client: RestClient, instruments: Vec<Instrument>, config: GatewayConfig) -> Self {
        KrakenGateway {
            client,
            instruments,
            config,
            orders: BTreeMap::new(),
            by_txid: HashMap::new(),
            booked: HashSet::new(),
            sent_before: HashSet::new(),
            counts: GatewayCounts::default(),
        }
    }

    /// Ids an earlier start of the run journaled as sent: never sent again, only adopted when
    /// Kraken still lists them.
    pub fn remember_sent(&mut self, ids: impl IntoIterator<Item = ClientOrderId>) {
        self.sent_before.extend(ids);
    }

    /// Counters so far.
    pub fn counts(&self) -> &GatewayCounts {
        &self.counts
    }

    /// The REST client (its limiter snapshot shows the rate-limit headroom).
    pub fn client(&self) -> &RestClient {
        &self.client
    }

    /// Orders that may still execute or whose outcome is still unknown.
    pub fn working(&self) -> usize {
        self.orders.values().filter(|o| o.state != State::Finished).count()
    }

    /// Sends an approved order (at most once per id) and appends what Kraken answered.
    pub async fn place(&mut self, order: ApprovedOrder, out: &mut Vec<Event>) {
        self.submit(order, Sending::Allowed, out).await;
    }

    /// An order the engine decided again while rebuilding the state of an earlier start: adopted
    /// when this process or Kraken knows it, rejected otherwise; never sent.
    pub async fn restore(&mut self, order: ApprovedOrder, out: &mut Vec<Event>) {
        self.submit(order, Sending::Forbidden, out).await;
    }

    async fn submit(&mut self, order: ApprovedOrder, sending: Sending, out: &mut Vec<Event>) {
        let intent = *order.intent();
        if let Some(known) = self.orders.get(&intent.id) {
            out.extend(known.history.iter().cloned());
            return;
        }
        let Some(inst) = self.instruments.get(intent.pair.index()) else {
            let reason = format!("no instrument for pair index {}", intent.pair.0);
            return self.reject(intent, Qty::ZERO, reason, out);
        };
        let request = match request::order_request(&order, inst, self.config.validate_only) {
            Ok(r) => r,
            Err(reason) => return self.reject(intent, Qty::ZERO, reason, out),
        };
        let cl = cl_ord_id(intent.id);
        if self.config.validate_only && sending == Sending::Forbidden {
            let reason = "not sent: decided while rebuilding the state of an earlier start".to_string();
            return self.reject(intent, request.qty, reason, out);
        }
        if !self.config.validate_only {
            match self.client.find_order(&cl).await {
                Ok(Some((txid, info))) => {
                    tracing::info!(cl_ord_id = %cl, %txid, "order already at Kraken: adopted, not re-sent");
                    return self.accept(intent, request.qty, txid, Some(&info), out);
                }
                Ok(None) if self.sent_before.contains(&intent.id) => {
                    let reason =
                        format!("not sent again: an earlier start sent cl_ord_id {cl} and Kraken no longer lists it");
                    return self.reject(intent, request.qty, reason, out);
                }
                Ok(None) if sending == Sending::Forbidden => {
                    let reason = "not sent: decided while rebuilding the state of an earlier start".to_string();
                    return self.reject(intent, request.qty, reason, out);
                }
                Ok(None) => {}
                Err(e) => {
                    let reason = format!("not sent: could not check Kraken for an earlier copy ({e})");
                    return self.reject(intent, request.qty, reason, out);
                }
            }
        }
        self.counts.sent += 1;
        match self.client.add_order_once(&request).await {
            Ok(r) if self.config.validate_only => {
                let reason = format!("validate-only: Kraken validated `{}`; not placed", r.descr.order);
                self.reject(intent, request.qty, reason, out);
            }
            Ok(r) => match r.txid.into_iter().next() {
                Some(txid) => self.accept(intent, request.qty, txid, None, out),
                None => self.track_unknown(intent, request.qty, "AddOrder returned no txid".into()),
            },
            Err(RestError::OrderOutcomeUnknown { cause, .. }) => self.track_unknown(intent, request.qty, cause),
            Err(e) => self.reject(intent, request.qty, reject::rejection_reason(&e), out),
        }
    }

    /// Asks Kraken to cancel an order; its `Done` follows from [`poll`](Self::poll) once Kraken
    /// reports it closed and every execution is booked.
    pub async fn cancel(&mut self, id: ClientOrderId) {
        let Some(o) = self.orders.get(&id) else {
            tracing::warn!(id = id.0, "cancel of an order the gateway never sent");
            return;
        };
        let target = match (&o.state, &o.txid) {
            (State::Finished, _) => return,
            (State::Open, Some(txid)) => OrderRef::Txid(txid.clone()),
            _ => OrderRef::ClOrdId(cl_ord_id(id)),
        };
        let Some(inst) = self.instruments.get(o.intent.pair.index()) else { return };
        let age_secs = o.accepted_at.elapsed().as_secs_f64();
        match self.client.cancel_order(&inst.pair, &target, Some(age_secs)).await {
            Ok(_) => self.counts.cancels += 1,
            Err(e) => tracing::warn!(id = id.0, reason = %reject::rejection_reason(&e), "cancel refused"),
        }
    }

    /// Brings Kraken's view of the working orders in: resolves unknown outcomes, books new
    /// executions and finishes closed orders. A failed query leaves everything for the next poll.
    pub async fn poll(&mut self, out: &mut Vec<Event>) -> Result<(), RestError> {
        self.resolve_unknown(out).await?;
        let open: Vec<String> =
            self.orders.values().filter(|o| o.state == State::Open).filter_map(|o| o.txid.clone()).collect();
        if open.is_empty() {
            return Ok(());
        }
        let mut status: BTreeMap<String, OrderInfo> = BTreeMap::new();
        for chunk in open.chunks(50) {
            let ids: Vec<&str> = chunk.iter().map(String::as_str).collect();
            status.extend(self.client.query_orders(&ids, false).await?);
        }
        for (txid, info) in &status {
            if let Some(o) = self.by_txid.get(txid).and_then(|id| self.orders.get_mut(id)) {
                o.opened_secs = Some(info.opentm.as_secs());
            }
        }
        self.book_trades(out).await?;
        self.finish(&status, out);
        Ok(())
    }

    async fn resolve_unknown(&mut self, out: &mut Vec<Event>) -> Result<(), RestError> {
        let unknown: Vec<ClientOrderId> =
            self.orders.iter().filter(|(_, o)| matches!(o.state, State::Unknown { .. })).map(|(id, _)| *id).collect();
        for id in unknown {
            let found = self.client.find_order(&cl_ord_id(id)).await?;
            let Some(o) = self.orders.get(&id) else { continue };
            let (intent, sent) = (o.intent, o.sent);
            let State::Unknown { cause, since } = o.state.clone() else { continue };
            match found {
                Some((txid, info)) => {
                    self.orders.remove(&id);
                    tracing::info!(cl_ord_id = %cl_ord_id(id), %txid, "order with an unknown outcome is at Kraken");
                    self.accept(intent, sent, txid, Some(&info), out);
                }
                None if since.elapsed() >= self.config.unknown_grace => {
                    self.orders.remove(&id);
                    let e = RestError::OrderOutcomeUnknown { cl_ord_id: Some(cl_ord_id(id)), cause };
                    self.reject(intent, sent, reject::rejection_reason(&e), out);
                }
                None => {}
            }
        }
        Ok(())
    }

    async fn book_trades(&mut self, out: &mut Vec<Event>) -> Result<(), RestError> {
        let start = self.orders.values().filter(|o| o.state == State::Open).filter_map(|o| o.opened_secs).min();
        let history = self.client.trades_history(start.map(|s| s - 1), None).await?;
        let mut trades: Vec<_> = history.trades.into_iter().collect();
        trades.sort_by(|a, b| (a.1.time, &a.0).cmp(&(b.1.time, &b.0)));
        let received_ns = now_ns();
        for (trade_id, t) in trades {
            let Some(id) = self.by_txid.get(&t.ordertxid).copied() else { continue };
            if !self.booked.insert(trade_id.clone()) {
                continue;
            }
            let Some(o) = self.orders.get_mut(&id) else { continue };
            let Some(inst) = self.instruments.get(o.intent.pair.index()) else { continue };
            match fills::fill_of(&trade_id, &t, &o.intent, inst, (o.sent, o.booked), received_ns) {
                Ok(fill) => {
                    o.booked += fill.qty.value();
                    o.history.push(Event::Fill(fill));
                    out.push(Event::Fill(fill));
                    self.counts.fills += 1;
                }
                Err(reason) => {
                    self.counts.refused_fills += 1;
                    tracing::error!(%reason, "execution refused, not booked");
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self, status: &BTreeMap<String, OrderInfo>, out: &mut Vec<Event>) {
        for (txid, info) in status {
            if info.is_live() {
                continue;
            }
            let Some(o) = self.by_txid.get(txid).and_then(|id| self.orders.get_mut(id)) else { continue };
            // Kraken may list an execution a moment after the order closes: wait for it.
            if o.state != State::Open || o.booked < info.vol_exec {
                continue;
            }
            o.state = State::Finished;
            let done = Event::Order(OrderUpdate::Done { id: o.intent.id, stamp: stamp_now() });
            o.history.push(done.clone());
            out.push(done);
            self.counts.done += 1;
        }
    }

    fn accept(&mut self, intent: OrderIntent, sent: Qty, txid: String, info: Option<&OrderInfo>, out: &mut Vec<Event>) {
        self.counts.accepted += 1;
        let accepted = Event::Order(OrderUpdate::Accepted { id: intent.id, stamp: stamp_now() });
        out.push(accepted.clone());
        self.by_txid.insert(txid.clone(), intent.id);
        let order = LiveOrder {
            intent,
            sent,
            txid: Some(txid),
            state: State::Open,
            booked: Decimal::ZERO,
            opened_secs: info.map(|i| i.opentm.as_secs()),
            accepted_at: Instant::now(),
            history: vec![accepted],
        };
        self.orders.insert(intent.id, order);
    }

    fn reject(&mut self, intent: OrderIntent, sent: Qty, reason: String, out: &mut Vec<Event>) {
        self.counts.rejected += 1;
        tracing::warn!(cl_ord_id = %cl_ord_id(intent.id), %reason, "order rejected");
        let rejected = Event::Order(OrderUpdate::Rejected { id: intent.id, reason, stamp: stamp_now() });
        out.push(rejected.clone());
        let order = LiveOrder {
            intent,
            sent,
            txid: None,
            state: State::Finished,
            booked: Decimal::ZERO,
            opened_secs: None,
            accepted_at: Instant::now(),
            history: vec![rejected],
        };
        self.orders.insert(intent.id, order);
    }

    fn track_unknown(&mut self, intent: OrderIntent, sent: Qty, cause: String) {
        self.counts.unknown += 1;
        tracing::warn!(cl_ord_id = %cl_ord_id(intent.id), %cause, "AddOrder outcome unknown: will look it up, not re-send");
        let order = LiveOrder {
            intent,
            sent,
            txid: None,
            state: State::Unknown { cause, since: Instant::now() },
            booked: Decimal::ZERO,
            opened_secs: None,
            accepted_at: Instant::now(),
            history: Vec::new(),
        };
        self.orders.insert(intent.id, order);
    }
}
