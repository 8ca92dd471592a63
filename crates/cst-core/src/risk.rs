//! The risk guard: the only way to obtain an [`ApprovedOrder`] (its constructor is private to
//! this module), so no order reaches a venue without passing every rule. A refusal is a value
//! with a rule and a reason, and every refusal is counted.

mod limits;
mod window;

pub use limits::RiskLimits;

use crate::event::{ClientOrderId, KillLevel, PairId};
use crate::kill_switch::{KillSwitch, KillTransition};
use crate::ledger::Position;
use crate::num::{Price, Qty};
use crate::order::OrderIntent;
use crate::pair::Pair;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{HashSet, VecDeque};
use window::ReturnWindow;

/// The rules, for counting and reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// Kill switch at reduce-only, flatten or halt.
    KillSwitch,
    /// Same client order id seen before.
    DuplicateOrderId,
    /// Data too old or the quality gate says the series may not be traded.
    StaleData,
    /// Too many orders in the rate window.
    OrderRate,
    /// Price too far from the book / last price.
    FatFinger,
    /// Position size per pair.
    MaxPositionQty,
    /// Notional per pair.
    MaxPairNotional,
    /// Notional across all pairs.
    MaxTotalNotional,
    /// Exposure to one asset across pairs.
    MaxAssetExposure,
    /// Correlation with held positions.
    Correlation,
    /// Loss since the start of the UTC day.
    DailyLoss,
    /// Drawdown from the equity peak.
    MaxDrawdown,
}

/// Number of rules.
pub const RULE_COUNT: usize = 12;

/// All rules in declaration order.
pub const RULES: [Rule; RULE_COUNT] = [
    Rule::KillSwitch,
    Rule::DuplicateOrderId,
    Rule::StaleData,
    Rule::OrderRate,
    Rule::FatFinger,
    Rule::MaxPositionQty,
    Rule::MaxPairNotional,
    Rule::MaxTotalNotional,
    Rule::MaxAssetExposure,
    Rule::Correlation,
    Rule::DailyLoss,
    Rule::MaxDrawdown,
];

/// A refused order: which rule, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refusal {
    /// The order's id.
    pub id: ClientOrderId,
    /// The pair.
    pub pair: PairId,
    /// The rule that refused it.
    pub rule: Rule,
    /// Why, with the numbers.
    pub reason: String,
}

/// An order the guard approved. Only this module can construct one.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct ApprovedOrder {
    intent: OrderIntent,
}

impl ApprovedOrder {
    /// The approved order.
    pub fn intent(&self) -> &OrderIntent {
        &self.intent
    }

    /// Its id.
    pub fn id(&self) -> ClientOrderId {
        self.intent.id
    }

    /// Splits into `parts` children on the `lot` grid (TWAP/iceberg slices). The children's
    /// quantities sum to the parent's exactly, so the approval still covers them.
    pub fn split(self, parts: usize, lot: Decimal) -> Vec<ApprovedOrder> {
        let total = self.intent.qty.value();
        let parts = parts.max(1);
        let slice = (total / Decimal::from(parts as u64) / lot).floor() * lot;
        if parts == 1 || slice.is_zero() {
            return vec![self];
        }
        let mut out = Vec::with_capacity(parts);
        let mut left = total;
        for k in 0..parts {
            let q = if k + 1 == parts { left } else { slice };
            left -= q;
            let mut intent = self.intent;
            intent.qty = Qty::new(q).unwrap_or(Qty::ZERO);
            intent.id = ClientOrderId(self.intent.id.0 ^ ((k as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)));
            out.push(ApprovedOrder { intent });
        }
        out
    }
}

/// What the guard needs to know about the book of positions when judging an order.
#[derive(Debug, Clone, Copy)]
pub struct RiskView<'a> {
    /// Pair table (index = [`PairId`]).
    pub pairs: &'a [Pair],
    /// Positions, indexed by pair.
    pub positions: &'a [Position],
    /// Last price per pair.
    pub marks: &'a [Option<Price>],
    /// Mid of the current book for the order's pair, when an L2 book is known.
    pub book_mid: Option<Price>,
    /// Current time (ns).
    pub now_ns: i64,
}

/// Per-pair state the guard tracks from market data.
#[derive(Debug, Clone)]
struct PairRisk {
    last_bar_ns: Option<i64>,
    quality_block: Option<String>,
    returns: ReturnWindow,
    last_close: f64,
}

/// The guard.
#[derive(Debug, Clone)]
pub struct RiskGuard {
    limits: RiskLimits,
    kill: KillSwitch,
    pairs: Vec<PairRisk>,
    seen_ids: HashSet<ClientOrderId>,
    recent_orders_ns: VecDeque<i64>,
    peak_equity: f64,
    equity: f64,
    day: i64,
    day_start_equity: f64,
    refusals: [u64; RULE_COUNT],
    approved: u64,
}

const DAY_NS: i64 = 86_400_000_000_000;

impl RiskGuard {
    /// A guard for `n_pairs` pairs.
    pub fn new(limits: RiskLimits, n_pairs: usize) -> Self {
        let window = limits.correlation_window;
        let pair =
            PairRisk { last_bar_ns: None, quality_block: None, returns: ReturnWindow::new(window), last_close: 0.0 };
        Self {
            recent_orders_ns: VecDeque::with_capacity(limits.max_orders_per_window as usize + 1),
            limits,
            kill: KillSwitch::default(),
            pairs: vec![pair; n_pairs],
            seen_ids: HashSet::new(),
            peak_equity: 0.0,
            equity: 0.0,
            day: i64::MIN,
            day_start_equity: 0.0,
            refusals: [0; RULE_COUNT],
            approved: 0,
        }
    }

    /// The configured limits.
    pub fn limits(&self) -> &RiskLimits {
        &self.limits
    }

    /// Records a closed bar: freshness and the return series for the correlation rule.
    #[inline]
    pub fn on_bar(&mut self, pair: PairId, close_time_ns: i64, close: f64) {
        let Some(p) = self.pairs.get_mut(pair.index()) else { return };
        p.last_bar_ns = Some(close_time_ns);
        if self.limits.correlation_limit.is_some() && p.last_close > 0.0 {
            p.returns.push(close_time_ns, close / p.last_close - 1.0);
        }
        p.last_close = close;
    }

    /// Records the data-quality verdict for a pair.
    pub fn set_quality(&mut self, pair: PairId, tradable: bool, reason: &str) {
        if let Some(p) = self.pairs.get_mut(pair.index()) {
            p.quality_block = (!tradable).then(|| reason.to_string());
        }
    }

    /// Marks equity; tracks peak and daily start, and escalates the kill switch on drawdown.
    #[inline]
    pub fn on_equity(&mut self, now_ns: i64, equity: f64) -> Option<KillTransition> {
        self.equity = equity;
        if equity > self.peak_equity {
            self.peak_equity = equity;
        }
        let day = now_ns.div_euclid(DAY_NS);
        if day != self.day {
            self.day = day;
            self.day_start_equity = equity;
        }
        let dd = self.drawdown();
        if dd < self.limits.lowest_kill_drawdown() {
            return None;
        }
        let level = self.limits.kill_level_for(dd)?;
        if level <= self.kill.level() {
            return None;
        }
        let reason = format!("drawdown {:.4} from peak {:.2}", dd, self.peak_equity);
        self.kill.escalate(level, "drawdown", reason, now_ns)
    }

    /// Current drawdown from the equity peak, as a fraction.
    pub fn drawdown(&self) -> f64 {
        if self.peak_equity > 0.0 { 1.0 - self.equity / self.peak_equity } else { 0.0 }
    }

    /// Escalates the kill switch (operator or supervisor).
    pub fn escalate(&mut self, level: KillLevel, trigger: &str, reason: String, at_ns: i64) -> Option<KillTransition> {
        self.kill.escalate(level, trigger, reason, at_ns)
    }

    /// Explicit reset to normal.
    pub fn reset_kill(&mut self, reason: String, at_ns: i64) -> Option<KillTransition> {
        self.kill.reset(reason, at_ns)
    }

    /// The kill switch.
    pub fn kill_switch(&self) -> &KillSwitch {
        &self.kill
    }

    /// Refusal counts per rule.
    pub fn refusal_counts(&self) -> Vec<(Rule, u64)> {
        RULES.iter().map(|&r| (r, self.refusals[r as usize])).collect()
    }

    /// Orders approved so far.
    pub fn approved_count(&self) -> u64 {
        self.approved
    }

    /// Judges an order. The only way to obtain an [`ApprovedOrder`].
    pub fn approve(&mut self, intent: OrderIntent, view: &RiskView<'_>) -> Result<ApprovedOrder, Refusal> {
        if let Err((rule, reason)) = self.check(&intent, view) {
            self.refusals[rule as usize] += 1;
            return Err(Refusal { id: intent.id, pair: intent.pair, rule, reason });
        }
        self.seen_ids.insert(intent.id);
        if self.recent_orders_ns.len() == self.limits.max_orders_per_window as usize {
            self.recent_orders_ns.pop_front();
        }
        self.recent_orders_ns.push_back(view.now_ns);
        self.approved += 1;
        Ok(ApprovedOrder { intent })
    }

    fn check(&self, o: &OrderIntent, view: &RiskView<'_>) -> Result<(), (Rule, String)> {
        self.check_kill(o)?;
        if self.seen_ids.contains(&o.id) {
            return Err((Rule::DuplicateOrderId, format!("client order id {} was already used", o.id.0)));
        }
        self.check_data(o, view.now_ns)?;
        self.check_rate(view.now_ns)?;
        self.check_fat_finger(o, view)?;
        if o.increases_exposure() {
            self.check_exposure(o, view)?;
            self.check_correlation(o, view)?;
            self.check_losses()?;
        }
        Ok(())
    }

    fn check_kill(&self, o: &OrderIntent) -> Result<(), (Rule, String)> {
        let level = self.kill.level();
        let refuse = match level {
            KillLevel::Normal | KillLevel::Warn => false,
            KillLevel::ReduceOnly | KillLevel::Flatten => o.increases_exposure(),
            KillLevel::Halt => true,
        };
        if !refuse {
            return Ok(());
        }
        let why = self.kill.history().last().map(|t| t.reason.clone()).unwrap_or_default();
        Err((Rule::KillSwitch, format!("kill switch at {level:?}: {why}")))
    }

    fn check_data(&self, o: &OrderIntent, now_ns: i64) -> Result<(), (Rule, String)> {
        let Some(p) = self.pairs.get(o.pair.index()) else {
            return Err((Rule::StaleData, format!("no market data for pair index {}", o.pair.0)));
        };
        if let Some(reason) = &p.quality_block {
            return Err((Rule::StaleData, format!("data-quality gate blocks the pair: {reason}")));
        }
        let Some(last) = p.last_bar_ns else {
            return Err((Rule::StaleData, "no market data seen for the pair yet".to_string()));
        };
        let age_secs = (now_ns - last) / 1_000_000_000;
        if age_secs > self.limits.max_data_age_secs {
            return Err((
                Rule::StaleData,
                format!("last data {age_secs}s old, limit {}s", self.limits.max_data_age_secs),
            ));
        }
        Ok(())
    }

    fn check_rate(&self, now_ns: i64) -> Result<(), (Rule, String)> {
        let max = self.limits.max_orders_per_window as usize;
        let window_ns = self.limits.order_window_secs * 1_000_000_000;
        if max == 0 || self.recent_orders_ns.len() < max {
            return Ok(());
        }
        let oldest = self.recent_orders_ns.front().copied().unwrap_or(i64::MIN);
        if now_ns - oldest < window_ns {
            return Err((
                Rule::OrderRate,
                format!("{max} orders within {}s already (limit {max})", self.limits.order_window_secs),
            ));
        }
        Ok(())
    }

    fn check_fat_finger(&self, o: &OrderIntent, view: &RiskView<'_>) -> Result<(), (Rule, String)> {
        let Some(price) = o.kind.limit_price() else { return Ok(()) };
        let reference = view.book_mid.or(view.marks.get(o.pair.index()).copied().flatten());
        let Some(reference) = reference else {
            return Err((Rule::FatFinger, "no reference price to check the order price against".to_string()));
        };
        let dev = ((price.value() - reference.value()) / reference.value()).abs() * Decimal::from(10_000);
        if dev > self.limits.fat_finger_bps {
            return Err((
                Rule::FatFinger,
                format!(
                    "price {price} is {} bps from reference {reference} (band {} bps)",
                    dev.round_dp(1),
                    self.limits.fat_finger_bps
                ),
            ));
        }
        Ok(())
    }

    fn check_exposure(&self, o: &OrderIntent, view: &RiskView<'_>) -> Result<(), (Rule, String)> {
        let i = o.pair.index();
        let price = o.kind.limit_price().unwrap_or(o.decision_price).value();
        let held = view.positions.get(i).map(|p| p.qty).unwrap_or_default();
        let new_qty = held + o.qty.value();
        let l = &self.limits;
        if let Some(max) = l.max_position_qty
            && new_qty > max
        {
            return Err((Rule::MaxPositionQty, format!("position would be {new_qty}, limit {max}")));
        }
        let new_notional = new_qty * price;
        if let Some(max) = l.max_pair_notional
            && new_notional > max
        {
            return Err((
                Rule::MaxPairNotional,
                format!("pair notional would be {}, limit {max}", new_notional.round_dp(2)),
            ));
        }
        let value_of = |j: usize| -> Decimal {
            let qty = view.positions.get(j).map(|p| p.qty).unwrap_or_default();
            let mark = view.marks.get(j).copied().flatten().map(|m| m.value()).unwrap_or_default();
            if j == i { new_notional } else { qty * mark }
        };
        let total: Decimal = (0..view.pairs.len().max(i + 1)).map(value_of).sum();
        if let Some(max) = l.max_total_notional
            && total > max
        {
            return Err((
                Rule::MaxTotalNotional,
                format!("total notional would be {}, limit {max}", total.round_dp(2)),
            ));
        }
        let base = view.pairs.get(i).map(|p| p.base()).unwrap_or_default();
        let asset: Decimal =
            view.pairs.iter().enumerate().filter(|(j, p)| *j == i || p.base() == base).map(|(j, _)| value_of(j)).sum();
        if let Some(max) = l.max_asset_exposure
            && asset > max
        {
            return Err((
                Rule::MaxAssetExposure,
                format!("{base} exposure would be {}, limit {max}", asset.round_dp(2)),
            ));
        }
        Ok(())
    }

    fn check_correlation(&self, o: &OrderIntent, view: &RiskView<'_>) -> Result<(), (Rule, String)> {
        let Some(limit) = self.limits.correlation_limit else { return Ok(()) };
        let Some(me) = self.pairs.get(o.pair.index()) else { return Ok(()) };
        for (j, pos) in view.positions.iter().enumerate() {
            if j == o.pair.index() || pos.qty.is_zero() {
                continue;
            }
            let Some(rho) = me.returns.correlation(&self.pairs[j].returns) else { continue };
            if rho > limit {
                let name = view.pairs.get(j).map(Pair::to_string).unwrap_or_default();
                return Err((
                    Rule::Correlation,
                    format!("return correlation {rho:.3} with held {name} exceeds {limit}"),
                ));
            }
        }
        Ok(())
    }

    fn check_losses(&self) -> Result<(), (Rule, String)> {
        if let Some(limit) = self.limits.daily_loss_limit
            && self.day_start_equity > 0.0
        {
            let loss = 1.0 - self.equity / self.day_start_equity;
            if loss >= limit {
                return Err((Rule::DailyLoss, format!("daily loss {loss:.4} reached limit {limit}")));
            }
        }
        if let Some(limit) = self.limits.max_drawdown {
            let dd = self.drawdown();
            if dd >= limit {
                return Err((Rule::MaxDrawdown, format!("drawdown {dd:.4} reached limit {limit}")));
            }
        }
        Ok(())
    }
}
