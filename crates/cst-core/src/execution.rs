//! The execution policy: chooses the order type, gates on liquidity (spread, depth near the
//! mid, 24h volume), estimates slippage from the book against per-order and per-day budgets, and
//! schedules large orders as TWAP slices or icebergs.

use crate::depth::Depth;
use crate::event::{ClientOrderId, PairId};
use crate::num::{Price, Qty};
use crate::order::OrderKind;
use crate::risk::ApprovedOrder;
use crate::strategy::{ConfigError, check_range};
use crate::trade::Side;
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde::{Deserialize, Serialize};

/// Which order type to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrderStyle {
    /// Market orders.
    Market,
    /// Limit at the decision price.
    Limit,
    /// Post-only limit at the decision price (maker fee, may not fill).
    PostOnly,
    /// Immediate-or-cancel limit at the decision price ± the per-order slippage budget.
    Ioc,
}

/// Execution settings (`[execution]` in a strategy file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExecutionConfig {
    /// Order type.
    pub order_type: OrderStyle,
    /// Refuse when the book's spread is wider (bps); checked when a book is known.
    pub max_spread_bps: f64,
    /// Quote depth required within `depth_band_bps` of the mid on the side we take.
    pub min_depth_quote: f64,
    /// Band for the depth check (bps).
    pub depth_band_bps: f64,
    /// Refuse pairs that traded less than this in the last 24h (quote units).
    pub min_volume_24h_quote: f64,
    /// Largest expected slippage of one order against the book (bps).
    pub slippage_budget_bps: f64,
    /// Largest expected slippage spent per UTC day (quote units).
    pub daily_slippage_budget_quote: f64,
    /// Orders above this notional are sliced (0 = never).
    pub twap_threshold_quote: f64,
    /// Number of TWAP slices.
    pub twap_slices: usize,
    /// Time between TWAP slices.
    pub twap_interval_secs: i64,
    /// Shown fraction of a limit order (iceberg, Kraken `displayvol`); 1 shows everything.
    pub iceberg_display_fraction: f64,
}

impl Default for ExecutionConfig {
    fn default() -> Self {
        Self {
            order_type: OrderStyle::Market,
            max_spread_bps: 50.0,
            min_depth_quote: 0.0,
            depth_band_bps: 50.0,
            min_volume_24h_quote: 0.0,
            slippage_budget_bps: 50.0,
            daily_slippage_budget_quote: f64::MAX,
            twap_threshold_quote: 0.0,
            twap_slices: 4,
            twap_interval_secs: 300,
            iceberg_display_fraction: 1.0,
        }
    }
}

impl ExecutionConfig {
    /// Range checks, naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range("execution.max_spread_bps", self.max_spread_bps, 0.0, 10_000.0)?;
        check_range("execution.min_depth_quote", self.min_depth_quote, 0.0, f64::MAX)?;
        check_range("execution.depth_band_bps", self.depth_band_bps, 0.0, 10_000.0)?;
        check_range("execution.min_volume_24h_quote", self.min_volume_24h_quote, 0.0, f64::MAX)?;
        check_range("execution.slippage_budget_bps", self.slippage_budget_bps, 0.0, 10_000.0)?;
        check_range("execution.daily_slippage_budget_quote", self.daily_slippage_budget_quote, 0.0, f64::MAX)?;
        check_range("execution.twap_threshold_quote", self.twap_threshold_quote, 0.0, f64::MAX)?;
        check_range("execution.twap_slices", self.twap_slices as f64, 1.0, 1000.0)?;
        check_range("execution.twap_interval_secs", self.twap_interval_secs as f64, 1.0, 86_400.0)?;
        check_range("execution.iceberg_display_fraction", self.iceberg_display_fraction, 0.01, 1.0)
    }
}

/// An order the policy would not send, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutionRefusal {
    /// The order's id.
    pub id: ClientOrderId,
    /// The pair.
    pub pair: PairId,
    /// Why.
    pub reason: String,
}

/// Slices to send now and later.
#[derive(Debug, Default)]
pub struct Schedule {
    /// `(release time ns, order)`, in release order; the first is due now.
    pub slices: Vec<(i64, ApprovedOrder)>,
    /// Expected slippage of the whole order (quote), when a book was known.
    pub expected_slippage_quote: Option<Decimal>,
}

/// Rolling 24h traded quote volume of one pair, in a fixed ring of bars.
#[derive(Debug, Clone)]
struct Volume24h {
    ring: Vec<(i64, f64)>,
    pos: usize,
    sum: f64,
}

/// The policy with its running state.
#[derive(Debug, Clone)]
pub struct ExecutionPolicy {
    config: ExecutionConfig,
    volume: Vec<Volume24h>,
    day: i64,
    slippage_today_quote: f64,
    /// Orders refused by the policy.
    pub refused: u64,
}

const DAY_NS: i64 = 86_400_000_000_000;

impl ExecutionPolicy {
    /// A policy for `n_pairs` pairs whose bars are `interval_secs` long.
    pub fn new(config: ExecutionConfig, n_pairs: usize, interval_secs: i64) -> Self {
        let bars = (86_400 / interval_secs.max(1)).max(1) as usize;
        let v = Volume24h { ring: vec![(i64::MIN, 0.0); bars], pos: 0, sum: 0.0 };
        Self { config, volume: vec![v; n_pairs], day: i64::MIN, slippage_today_quote: 0.0, refused: 0 }
    }

    /// The settings.
    pub fn config(&self) -> &ExecutionConfig {
        &self.config
    }

    /// Records a bar's traded quote volume.
    #[inline]
    pub fn on_bar(&mut self, pair: PairId, close_time_ns: i64, quote_volume: f64) {
        if self.config.min_volume_24h_quote <= 0.0 {
            return;
        }
        let Some(v) = self.volume.get_mut(pair.index()) else { return };
        let old = std::mem::replace(&mut v.ring[v.pos], (close_time_ns, quote_volume));
        v.pos = (v.pos + 1) % v.ring.len();
        v.sum += quote_volume - old.1;
    }

    fn volume_24h(&self, pair: PairId, now_ns: i64) -> f64 {
        self.volume
            .get(pair.index())
            .map(|v| v.ring.iter().filter(|(t, _)| *t > now_ns - DAY_NS).map(|(_, q)| q).sum())
            .unwrap_or(0.0)
    }

    /// The order type for a decision at `price` (before the risk guard sees the order).
    pub fn order_kind(&self, side: Side, price: Price, qty: Qty) -> OrderKind {
        let budget = Decimal::from_f64(self.config.slippage_budget_bps / 10_000.0).unwrap_or_default();
        match self.config.order_type {
            OrderStyle::Market => OrderKind::Market,
            OrderStyle::Limit | OrderStyle::PostOnly => OrderKind::Limit {
                price,
                post_only: self.config.order_type == OrderStyle::PostOnly,
                display_qty: self.display_qty(qty),
            },
            OrderStyle::Ioc => {
                let factor = match side {
                    Side::Buy => Decimal::ONE + budget,
                    Side::Sell => Decimal::ONE - budget,
                };
                OrderKind::Ioc { price: Price::new(price.value() * factor).unwrap_or(price) }
            }
        }
    }

    fn display_qty(&self, qty: Qty) -> Option<Qty> {
        let f = self.config.iceberg_display_fraction;
        if f >= 1.0 {
            return None;
        }
        let shown = qty.value() * Decimal::from_f64(f).unwrap_or(Decimal::ONE);
        Qty::new(shown.round_dp(8)).ok()
    }

    /// Gates an approved order on liquidity and slippage, then slices it if it is large.
    pub fn schedule(
        &mut self,
        order: ApprovedOrder,
        book: Option<&Depth>,
        now_ns: i64,
        lot: Decimal,
    ) -> Result<Schedule, ExecutionRefusal> {
        let (id, pair) = (order.id(), order.intent().pair);
        let refuse = |me: &mut Self, reason: String| {
            me.refused += 1;
            Err(ExecutionRefusal { id, pair, reason })
        };
        let day = now_ns.div_euclid(DAY_NS);
        if day != self.day {
            self.day = day;
            self.slippage_today_quote = 0.0;
        }
        if self.config.min_volume_24h_quote > 0.0 {
            let v = self.volume_24h(pair, now_ns);
            if v < self.config.min_volume_24h_quote {
                return refuse(self, format!("24h volume {v:.0} below minimum {}", self.config.min_volume_24h_quote));
            }
        }
        let expected = match book {
            Some(b) => match self.check_book(order.intent(), b) {
                Ok(slip) => Some(slip),
                Err(reason) => return refuse(self, reason),
            },
            None => None,
        };
        let slip_quote = expected.and_then(|d| d.to_f64()).unwrap_or(0.0);
        if self.slippage_today_quote + slip_quote > self.config.daily_slippage_budget_quote {
            return refuse(
                self,
                format!("daily slippage budget {} would be exceeded", self.config.daily_slippage_budget_quote),
            );
        }
        self.slippage_today_quote += slip_quote;
        Ok(Schedule { slices: self.slice(order, now_ns, lot), expected_slippage_quote: expected })
    }

    fn check_book(&self, o: &crate::order::OrderIntent, book: &Depth) -> Result<Decimal, String> {
        let c = &self.config;
        let spread = book.spread_bps().ok_or("book has an empty side")?;
        if spread > Decimal::from_f64(c.max_spread_bps).unwrap_or_default() {
            return Err(format!("spread {} bps above maximum {}", spread.round_dp(2), c.max_spread_bps));
        }
        let depth = book.depth_within_bps(o.side, Decimal::from_f64(c.depth_band_bps).unwrap_or_default());
        if depth < Decimal::from_f64(c.min_depth_quote).unwrap_or_default() {
            return Err(format!(
                "depth {} within {} bps below minimum {}",
                depth.round_dp(2),
                c.depth_band_bps,
                c.min_depth_quote
            ));
        }
        let walk = book.walk(o.side, o.qty.value(), None);
        if walk.filled < o.qty.value() {
            return Err(format!("book holds only {} of {} on the side taken", walk.filled, o.qty));
        }
        let mid = book.mid().ok_or("book has no mid")?.value();
        let slip = (walk.cost - walk.filled * mid).abs();
        let bps = slip / (walk.filled * mid) * Decimal::from(10_000);
        if bps > Decimal::from_f64(c.slippage_budget_bps).unwrap_or_default() {
            return Err(format!("expected slippage {} bps above budget {}", bps.round_dp(2), c.slippage_budget_bps));
        }
        Ok(slip)
    }

    fn slice(&self, order: ApprovedOrder, now_ns: i64, lot: Decimal) -> Vec<(i64, ApprovedOrder)> {
        let o = order.intent();
        let notional = (o.qty.value() * o.decision_price.value()).to_f64().unwrap_or(0.0);
        let c = &self.config;
        if c.twap_threshold_quote <= 0.0 || notional <= c.twap_threshold_quote || c.twap_slices <= 1 {
            return vec![(now_ns, order)];
        }
        let step_ns = c.twap_interval_secs * 1_000_000_000;
        order.split(c.twap_slices, lot).into_iter().enumerate().map(|(k, s)| (now_ns + k as i64 * step_ns, s)).collect()
    }
}
