//! The trading core of the engine agent: the engine and its [`Venue`] (the paper venue, or the
//! live Kraken gateway) stepped bar by bar in exactly the order `cst backtest` uses (venue fills
//! first, then the engine sees the bar, then its actions are carried out until none are left),
//! so a paper replay gives the backtest's ledger. Live, the gateway's reports also arrive
//! between bars ([`Trader::pump_venue`]). Every order reaches the venue only as an
//! [`ApprovedOrder`](cst_core::risk::ApprovedOrder) from the engine's risk guard and execution policy. What happens is recorded into a
//! [`JournalBatch`] from `journal_from` on (earlier events are a rebuild of what is stored).

use super::venue::Venue;
use cst_core::backtest::BacktestSpec;
use cst_core::engine::{Action, Engine, EnginePair};
use cst_core::event::{Bar, Control, Event, Fill, KillLevel, MarketEvent, OrderUpdate};
use cst_core::risk::ApprovedOrder;
use cst_core::sim_venue::{SimVenue, VenuePair};
use cst_core::strategy::Strategy;
use cst_store::journal::{
    ControlRecord, FillRecord, JournalBatch, LedgerRecord, OrderRecord, PositionRecord, RiskRecord,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use std::collections::BTreeMap;

const DAY_NS: i64 = 86_400_000_000_000;

/// What an operator command does to the engine; journaled by its command name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorAction {
    /// Escalate the kill switch.
    Kill(KillLevel),
    /// Stop new entries.
    Pause,
    /// Undo a pause.
    Resume,
}

impl OperatorAction {
    /// The action of a command name as the API and the journal spell it (`halt`, `pause`, …).
    pub fn from_command(command: &str) -> Option<Self> {
        match command {
            "pause" => Some(Self::Pause),
            "resume" => Some(Self::Resume),
            "reduce-only" => Some(Self::Kill(KillLevel::ReduceOnly)),
            "flatten" => Some(Self::Kill(KillLevel::Flatten)),
            "halt" => Some(Self::Kill(KillLevel::Halt)),
            _ => None,
        }
    }
}

/// Builds fresh strategies (one per pair) for each (re)start, for strategies a spec cannot
/// describe (`ml-ensemble`); a restart replays from the first bar, so each start needs new ones.
pub type StrategyFactory = std::sync::Arc<dyn Fn() -> anyhow::Result<Vec<Strategy>> + Send + Sync>;

/// Counters the runtime shows besides the journal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TradeCounts {
    /// Orders placed on the venue.
    pub orders: u64,
    /// Fills booked.
    pub fills: u64,
    /// Orders the risk guard refused.
    pub risk_refused: u64,
    /// Orders the execution policy refused.
    pub execution_refused: u64,
    /// Cancels sent to the venue (pause, flatten, a changed target).
    pub cancels: u64,
}

/// Engine plus venue, with journaling.
pub struct Trader {
    engine: Engine,
    venue: Venue,
    names: Vec<String>,
    events: Vec<Event>,
    actions: Vec<Action>,
    batch: JournalBatch,
    journal_from: usize,
    index: usize,
    fill_seq: i64,
    ledger_seq: i64,
    control_seq: i64,
    day: i64,
    day_start_equity: Decimal,
    last_event_ns: i64,
    taken_events: i64,
    counts: TradeCounts,
}

impl Trader {
    /// A fresh engine and paper venue for `pairs`; events before `journal_from` are not journaled.
    pub fn new(spec: &BacktestSpec, pairs: Vec<VenuePair>, journal_from: usize) -> anyhow::Result<Self> {
        let strategies = pairs.iter().map(|_| Strategy::from_spec(&spec.strategy)).collect::<Result<_, _>>()?;
        Self::build(spec, pairs, journal_from, strategies, None)
    }

    /// Like [`Trader::new`] with strategies built by the caller (`spec.strategy` is not used).
    pub fn with_strategies(
        spec: &BacktestSpec,
        pairs: Vec<VenuePair>,
        journal_from: usize,
        strategies: Vec<Strategy>,
    ) -> anyhow::Result<Self> {
        Self::build(spec, pairs, journal_from, strategies, None)
    }

    /// A fresh engine trading through the live gateway behind `link`; `strategies` as in
    /// [`Trader::with_strategies`], or `None` for the spec's rule strategy.
    pub fn live(
        spec: &BacktestSpec,
        pairs: Vec<VenuePair>,
        journal_from: usize,
        strategies: Option<Vec<Strategy>>,
        link: super::venue::LiveLink,
    ) -> anyhow::Result<Self> {
        let strategies = match strategies {
            Some(s) => s,
            None => pairs.iter().map(|_| Strategy::from_spec(&spec.strategy)).collect::<Result<_, _>>()?,
        };
        Self::build(spec, pairs, journal_from, strategies, Some(link))
    }

    fn build(
        spec: &BacktestSpec,
        pairs: Vec<VenuePair>,
        journal_from: usize,
        strategies: Vec<Strategy>,
        live: Option<super::venue::LiveLink>,
    ) -> anyhow::Result<Self> {
        let engine_pairs: Vec<EnginePair> =
            pairs.iter().map(|p| EnginePair::from_instrument(&p.instrument, p.scale)).collect();
        let engine = Engine::new(&spec.engine, engine_pairs, strategies, spec.cash, spec.interval.secs())?;
        let names = pairs.iter().map(|p| p.instrument.pair.to_string()).collect();
        let quote = engine.quote().to_string();
        let venue = match live {
            Some(link) => Venue::Live(link),
            None => Venue::Paper(SimVenue::new(spec.venue.clone(), pairs, BTreeMap::from([(quote, spec.cash)]))),
        };
        Ok(Self {
            engine,
            venue,
            names,
            events: Vec::new(),
            actions: Vec::new(),
            batch: JournalBatch::default(),
            journal_from,
            index: 0,
            fill_seq: 0,
            ledger_seq: 0,
            control_seq: 0,
            day: i64::MIN,
            day_start_equity: spec.cash,
            last_event_ns: i64::MIN,
            taken_events: 0,
            counts: TradeCounts::default(),
        })
    }

    /// Market events processed so far.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The engine (for snapshots).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Counters.
    pub fn counts(&self) -> &TradeCounts {
        &self.counts
    }

    /// Pair names by pair id.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Exchange time of the last processed bar.
    pub fn last_event_ns(&self) -> i64 {
        self.last_event_ns
    }

    fn journaling(&self) -> bool {
        self.index >= self.journal_from
    }

    /// One bar, in the backtest's order.
    pub fn step(&mut self, bar: &Bar) {
        let now = bar.stamp.exchange_ns;
        let journaling = self.journaling();
        self.venue.on_bar(bar, &mut self.events);
        if !self.events.is_empty() {
            self.deliver_venue_events();
        }
        self.engine.on_event_into(&Event::Market(MarketEvent::Bar(*bar)), &mut self.actions);
        if !self.actions.is_empty() {
            self.act(now);
        }
        self.last_event_ns = now;
        self.track_day(now);
        self.index += 1;
        if journaling {
            self.batch.last_event_ns = now;
            self.batch.events = self.index as i64;
        }
    }

    /// What rings when the live gateway reported events (`None` for the paper venue).
    pub fn venue_wake(&self) -> Option<std::sync::Arc<tokio::sync::Notify>> {
        self.venue.wake()
    }

    /// Takes in what the live gateway reported since the last bar (fills between bars, or
    /// after the feed ended) and carries out whatever the engine does about it.
    pub fn pump_venue(&mut self) {
        self.venue.drain(&mut self.events);
        if !self.events.is_empty() {
            self.deliver_venue_events();
        }
        if !self.actions.is_empty() {
            self.act(self.last_event_ns.max(0));
        }
    }

    /// An operator control, applied before the next market event; journaled with its position.
    pub fn apply_control(&mut self, action: OperatorAction, command: &str, reason: &str) {
        self.control_seq += 1;
        let at_ns = self.last_event_ns.max(0);
        let reason_text = format!("{command}: {reason}");
        let control = match action {
            OperatorAction::Kill(level) => Control::Kill { level, reason: reason_text, at_ns },
            OperatorAction::Pause => Control::Pause { reason: reason_text, at_ns },
            OperatorAction::Resume => Control::Resume { reason: reason_text, at_ns },
        };
        self.engine.on_event_into(&Event::Control(control), &mut self.actions);
        if !self.actions.is_empty() {
            self.act(at_ns);
        }
        if self.journaling() {
            self.batch.controls.push(ControlRecord {
                seq: self.control_seq,
                at_event: self.index as i64,
                command: command.to_string(),
                reason: reason.to_string(),
            });
            self.batch.risk = Some(self.risk_record());
        }
    }

    fn track_day(&mut self, now_ns: i64) {
        let day = now_ns.div_euclid(DAY_NS);
        if day != self.day {
            self.day = day;
            self.day_start_equity = self.equity();
        }
    }

    /// Equity at the start of the current UTC day (the daily loss limit's base).
    pub fn day_start_equity(&self) -> Decimal {
        self.day_start_equity
    }

    /// Exact equity at the last closes.
    pub fn equity(&self) -> Decimal {
        self.engine.ledger().equity(self.engine.quote(), &self.engine.marks()).value()
    }

    fn deliver_venue_events(&mut self) {
        let events = std::mem::take(&mut self.events);
        for e in &events {
            let before = self.fill_balances(e);
            self.engine.on_event_into(e, &mut self.actions);
            self.record_event(e, before);
        }
        self.events = events;
        self.events.clear();
    }

    /// Carries out engine actions until none are left (fills can trigger kill-switch orders).
    fn act(&mut self, now_ns: i64) {
        while !self.actions.is_empty() {
            let actions = std::mem::take(&mut self.actions);
            for a in actions {
                match a {
                    Action::Place(order) => {
                        self.counts.orders += 1;
                        self.record_order(&order);
                        if self.journaling() {
                            self.venue.submit(order, now_ns, &mut self.events);
                        } else {
                            // A rebuild: live, this order's moment has passed (see Venue::resubmit).
                            self.venue.resubmit(order, now_ns, &mut self.events);
                        }
                    }
                    Action::Cancel(id) => {
                        self.counts.cancels += 1;
                        self.venue.cancel(id, now_ns, &mut self.events);
                    }
                    Action::RiskRefused(_) => self.counts.risk_refused += 1,
                    Action::ExecutionRefused(_) => self.counts.execution_refused += 1,
                    Action::Kill(_) => {
                        if self.journaling() {
                            self.batch.risk = Some(self.risk_record());
                        }
                    }
                }
            }
            self.deliver_venue_events();
        }
    }

    fn fill_balances(&self, e: &Event) -> Option<(Decimal, Decimal)> {
        let Event::Fill(f) = e else { return None };
        let pair = self.engine.ledger().pairs().get(f.pair.index())?;
        let ledger = self.engine.ledger();
        Some((ledger.balance(pair.base()), ledger.balance(pair.quote())))
    }

    fn record_order(&mut self, order: &ApprovedOrder) {
        if !self.journaling() {
            return;
        }
        let o = order.intent();
        self.batch.orders.push(OrderRecord {
            client_order_id: id_text(o.id.0),
            pair: self.names[o.pair.index()].clone(),
            side: side_text(o.side),
            qty: o.qty.value(),
            kind: serde_json::to_string(&o.kind).unwrap_or_default(),
            decision_price: o.decision_price.value(),
            decided_ns: o.decided_ns,
            reduce_only: o.reduce_only,
            status: "sent".into(),
        });
    }

    fn record_event(&mut self, e: &Event, before: Option<(Decimal, Decimal)>) {
        if let Event::Fill(f) = e {
            // Sequence numbers advance during a rebuild too, so resumed records continue them.
            self.fill_seq += 1;
            self.counts.fills += 1;
            if self.journaling() {
                self.record_slippage(f);
            }
            if let (true, Some(before)) = (self.journaling(), before) {
                self.record_fill(f, before);
            } else {
                self.ledger_seq += 2;
            }
            return;
        }
        if !self.journaling() {
            return;
        }
        let status = match e {
            Event::Order(OrderUpdate::Accepted { id, .. }) => (id, "accepted".to_string()),
            Event::Order(OrderUpdate::Rejected { id, reason, .. }) => (id, format!("rejected: {reason}")),
            Event::Order(OrderUpdate::Done { id, .. }) => (id, "done".to_string()),
            _ => return,
        };
        self.batch.statuses.push((id_text(status.0.0), status.1));
    }

    /// The fill's price against the quote it met on arrival, in bps that cost us (positive when a
    /// buy paid more or a sell got less), next to the execution policy's per-order budget.
    fn record_slippage(&self, f: &Fill) {
        let (price, reference) = (f.price.value(), f.reference_price.value());
        if reference.is_zero() {
            return;
        }
        let sign = match f.side {
            cst_core::trade::Side::Buy => Decimal::ONE,
            cst_core::trade::Side::Sell => -Decimal::ONE,
        };
        let bps = ((price - reference) / reference * sign * Decimal::from(10_000)).to_f64().unwrap_or(0.0);
        let budget = self.engine.policy().config().slippage_budget_bps;
        cst_server::metrics::record_slippage(&self.names[f.pair.index()], bps, budget);
    }

    fn record_fill(&mut self, f: &Fill, (base_before, quote_before): (Decimal, Decimal)) {
        let i = f.pair.index();
        let id = id_text(f.id.0);
        let t = f.stamp.exchange_ns;
        self.batch.fills.push(FillRecord {
            seq: self.fill_seq,
            client_order_id: id.clone(),
            pair: self.names[i].clone(),
            side: side_text(f.side),
            qty: f.qty.value(),
            price: f.price.value(),
            fee: f.fee.value(),
            liquidity: serde_json::to_value(f.liquidity)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            reference_price: f.reference_price.value(),
            time_ns: t,
        });
        let ledger = self.engine.ledger();
        let pair = &ledger.pairs()[i];
        for (asset, before) in [(pair.base(), base_before), (pair.quote(), quote_before)] {
            let balance = ledger.balance(asset);
            self.ledger_seq += 1;
            self.batch.ledger.push(LedgerRecord {
                seq: self.ledger_seq,
                time_ns: t,
                asset: asset.to_string(),
                delta: balance - before,
                balance,
                client_order_id: id.clone(),
            });
        }
        let p = ledger.position(f.pair);
        let position = PositionRecord {
            pair: self.names[i].clone(),
            qty: p.qty,
            cost_basis: p.cost_basis,
            realized_pnl: p.realized_pnl,
            fees: p.fees,
            time_ns: t,
        };
        self.batch.positions.retain(|q| q.pair != position.pair);
        self.batch.positions.push(position);
    }

    /// The risk state now.
    pub fn risk_record(&self) -> RiskRecord {
        let kill = self.engine.guard().kill_switch();
        let equity = self.equity();
        RiskRecord {
            kill_level: level_text(kill.level()),
            kill_reason: kill.history().last().map(|t| t.reason.clone()).unwrap_or_default(),
            equity,
            daily_loss: (self.day_start_equity - equity).max(Decimal::ZERO),
            time_ns: self.last_event_ns,
        }
    }

    /// Takes the records gathered since the last call (with the risk state), if any.
    pub fn take_batch(&mut self) -> Option<JournalBatch> {
        // Live fills and order updates can arrive between bars; paper ones only come with a bar.
        let venue_news =
            !self.batch.fills.is_empty() || !self.batch.statuses.is_empty() || !self.batch.orders.is_empty();
        let fresh = self.batch.events > self.taken_events || !self.batch.controls.is_empty() || venue_news;
        if !self.journaling() || !fresh {
            return None;
        }
        self.taken_events = self.batch.events;
        let mut batch = std::mem::take(&mut self.batch);
        batch.risk = Some(self.risk_record());
        self.batch.events = batch.events;
        self.batch.last_event_ns = batch.last_event_ns;
        Some(batch)
    }
}

/// Client order ids as 16 hex digits (they are u64; SQL integers are signed).
pub fn id_text(id: u64) -> String {
    format!("{id:016x}")
}

fn side_text(side: cst_core::trade::Side) -> String {
    match side {
        cst_core::trade::Side::Buy => "buy".into(),
        cst_core::trade::Side::Sell => "sell".into(),
    }
}

/// The kill level as its kebab-case name.
pub fn level_text(level: KillLevel) -> String {
    serde_json::to_value(level).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::backtest::{instruments, strategy};
    use crate::runtime::market_data::Replay;
    use cst_core::backtest::bars::parse_ohlcvt;
    use cst_core::interval::Interval;

    fn setup() -> (BacktestSpec, Vec<VenuePair>, Replay) {
        let text = cst_testdata::read_text("kraken/ohlcvt/intraday-2023/q1-btc/XBTUSD_60.csv");
        let replay = Replay::from_rows(&[parse_ohlcvt(&text).0], Interval::H1);
        let pair: cst_core::pair::Pair = "XBT/USD".parse().unwrap();
        let files = [
            cst_testdata::path("kraken/rest-capture-2025/spot/http_asset_pairs.json"),
            cst_testdata::path("kraken/ws-v1-capture-2021/KRAKEN.0.txt.gz"),
        ];
        let inst = instruments(&files, std::slice::from_ref(&pair)).unwrap();
        let pairs = vec![VenuePair { instrument: inst[0].clone(), scale: replay.scales[0] }];
        let file = strategy("sma-cross").unwrap();
        let spec = BacktestSpec {
            strategy: file.spec,
            engine: file.engine,
            venue: file.venue,
            cash: Decimal::from(10_000),
            interval: Interval::H1,
            record_curve: false,
        };
        (spec, pairs, replay)
    }

    fn run(journal_from: usize, chunk: usize) -> (Vec<JournalBatch>, Decimal) {
        let (spec, pairs, replay) = setup();
        let mut t = Trader::new(&spec, pairs, journal_from).unwrap();
        let mut batches = Vec::new();
        for part in replay.bars.chunks(chunk) {
            for bar in part {
                t.step(bar);
            }
            batches.extend(t.take_batch());
        }
        (batches, t.equity())
    }

    #[test]
    fn rebuild_from_a_checkpoint_journals_exactly_the_tail_of_a_full_run() {
        let (full, equity) = run(0, 100);
        let (tail, rebuilt_equity) = run(1_000, 100);
        assert_eq!(equity, rebuilt_equity);
        let orders = |b: &[JournalBatch]| b.iter().flat_map(|b| b.orders.clone()).collect::<Vec<_>>();
        let fills = |b: &[JournalBatch]| b.iter().flat_map(|b| b.fills.clone()).collect::<Vec<_>>();
        let ledger = |b: &[JournalBatch]| b.iter().flat_map(|b| b.ledger.clone()).collect::<Vec<_>>();
        assert!(!orders(&tail).is_empty(), "sma-cross trades in Q1 2023 after the checkpoint");
        let full_orders = orders(&full);
        let tail_orders = orders(&tail);
        assert_eq!(tail_orders, full_orders[full_orders.len() - tail_orders.len()..], "the same orders, same ids");
        let full_fills = fills(&full);
        let k = full_fills.iter().position(|f| f.seq == fills(&tail)[0].seq).unwrap();
        assert_eq!(fills(&tail), full_fills[k..], "same fills with the same sequence numbers");
        let full_ledger = ledger(&full);
        let j = full_ledger.iter().position(|l| l.seq == ledger(&tail)[0].seq).unwrap();
        assert_eq!(ledger(&tail), full_ledger[j..]);
        assert!(tail.iter().all(|b| b.events > 1_000), "nothing before the checkpoint is journaled again");
        assert_eq!(tail.last().unwrap().events, 2160);
    }

    /// A run with operator controls applied before the bar at each given index, as the engine
    /// agent applies live and journaled controls.
    fn run_with(journal_from: usize, controls: &[(usize, &str)]) -> (Vec<JournalBatch>, Decimal, u64) {
        let (spec, pairs, replay) = setup();
        let mut t = Trader::new(&spec, pairs, journal_from).unwrap();
        let mut batches = Vec::new();
        for (k, bar) in replay.bars.iter().enumerate() {
            for (_, command) in controls.iter().filter(|(at, _)| *at == k) {
                t.apply_control(OperatorAction::from_command(command).unwrap(), command, "drill");
            }
            t.step(bar);
            if k % 100 == 99 {
                batches.extend(t.take_batch());
            }
        }
        batches.extend(t.take_batch());
        (batches, t.equity(), t.engine().signals().total())
    }

    #[test]
    fn pausing_with_a_buy_working_cancels_it_and_counts_the_cancel() {
        let (spec, pairs, replay) = setup();
        let mut t = Trader::new(&spec, pairs, 0).unwrap();
        let mut bars = replay.bars.iter();
        // Step until the engine has an entry working (decided on a bar, fills on the next one).
        for bar in bars.by_ref() {
            t.step(bar);
            if !t.engine().working_orders().is_empty() {
                break;
            }
        }
        assert!(!t.engine().working_orders().is_empty(), "sma-cross enters somewhere in Q1 2023");
        assert_eq!(t.counts().cancels, 0);
        t.apply_control(OperatorAction::Pause, "pause", "drill");
        if let Some(bar) = bars.next() {
            t.step(bar);
        }
        assert_eq!(t.counts().cancels, 1, "the working entry was cancelled, not filled");
        assert!(t.engine().working_orders().is_empty());
        assert!(t.engine().ledger().positions()[0].qty.is_zero(), "the cancelled entry never filled");
    }

    #[test]
    fn pause_and_resume_are_journaled_where_they_happened_and_a_rebuild_reapplies_them() {
        let controls = [(300, "pause"), (1_200, "resume")];
        let (full, equity, signals) = run_with(0, &controls);
        let journaled: Vec<(i64, String)> =
            full.iter().flat_map(|b| b.controls.iter().map(|c| (c.at_event, c.command.clone()))).collect();
        assert_eq!(journaled, [(300, "pause".to_string()), (1_200, "resume".to_string())]);
        let (plain, plain_equity, _) = run_with(0, &[]);
        let orders = |b: &[JournalBatch]| b.iter().flat_map(|b| b.orders.clone()).collect::<Vec<_>>();
        assert_ne!(orders(&full), orders(&plain), "the pause kept sma-cross out of at least one entry");
        assert_ne!(equity, plain_equity);
        let (tail, rebuilt_equity, rebuilt_signals) = run_with(1_000, &controls);
        assert_eq!((rebuilt_equity, rebuilt_signals), (equity, signals), "the rebuild re-applied the pause in place");
        let (full_orders, tail_orders) = (orders(&full), orders(&tail));
        assert_eq!(tail_orders, full_orders[full_orders.len() - tail_orders.len()..]);
    }

    #[test]
    fn operator_commands_map_to_engine_actions() {
        assert_eq!(OperatorAction::from_command("pause"), Some(OperatorAction::Pause));
        assert_eq!(OperatorAction::from_command("resume"), Some(OperatorAction::Resume));
        assert_eq!(OperatorAction::from_command("halt"), Some(OperatorAction::Kill(KillLevel::Halt)));
        assert_eq!(OperatorAction::from_command("pause-everything"), None);
    }

    #[test]
    fn live_orders_go_to_the_gateway_and_its_fills_are_booked_between_bars() {
        use crate::runtime::venue::{GatewayCommand, live_link};
        use cst_core::event::{Liquidity, Stamp};
        use cst_core::num::{Money, Price};
        let (spec, pairs, replay) = setup();
        let (link, mut gateway) = live_link();
        let mut t = Trader::live(&spec, pairs, 0, None, link).unwrap();
        let mut bars = replay.bars.iter();
        let order = loop {
            t.step(bars.next().expect("sma-cross orders within Q1 2023"));
            if let Ok(GatewayCommand::Place(order)) = gateway.commands.try_recv() {
                break order;
            }
        };
        let batch = t.take_batch().unwrap();
        assert_eq!(batch.orders.len(), 1, "journaled as sent");
        assert!(batch.fills.is_empty(), "nothing fills until Kraken says so");
        let o = *order.intent();
        let fill = Fill {
            id: o.id,
            pair: o.pair,
            side: o.side,
            qty: o.qty,
            price: o.decision_price,
            fee: Money::new(Decimal::ZERO),
            liquidity: Liquidity::Taker,
            reference_price: o.decision_price,
            stamp: Stamp::at(t.last_event_ns() + 1),
        };
        gateway.reports.send(Event::Fill(fill)).unwrap();
        assert!(t.venue_wake().is_some());
        t.pump_venue();
        let batch = t.take_batch().expect("a fill between bars is journaled without waiting for a bar");
        assert_eq!(batch.fills.len(), 1);
        assert_eq!(batch.fills[0].qty, o.qty.value());
        assert_eq!(t.engine().ledger().position(o.pair).qty, o.qty.value());
        assert_eq!(Price::new(batch.fills[0].price).unwrap(), o.decision_price);
    }

    #[test]
    fn chunking_does_not_change_what_is_journaled() {
        let (a, ea) = run(0, 1);
        let (b, eb) = run(0, 512);
        assert_eq!(ea, eb);
        let fills = |b: &[JournalBatch]| b.iter().flat_map(|b| b.fills.clone()).collect::<Vec<_>>();
        assert_eq!(fills(&a), fills(&b));
    }
}
