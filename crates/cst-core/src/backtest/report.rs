//! The backtest report: `report.json` (metrics, attribution, risk and venue counters),
//! `trades.csv`, `equity.csv`. Built only from deterministic state, so the same inputs give
//! byte-identical files.

use super::Backtest;
use crate::risk::Rule;
use crate::time::Timestamp;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Attribution in quote currency and as fractions of the initial equity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributionReport {
    /// Signal at decision prices, unit size.
    pub alpha: Decimal,
    /// Decision-to-arrival price move.
    pub timing: Decimal,
    /// Fill versus the quote met.
    pub slippage: Decimal,
    /// Fees (negative).
    pub fees: Decimal,
    /// Actual versus unit size.
    pub sizing: Decimal,
    /// Sum of the parts (equals final − initial equity exactly).
    pub total: Decimal,
    /// The parts as fractions of initial equity, same keys.
    pub returns: BTreeMap<String, f64>,
    /// Unit notional of the alpha leg.
    pub unit_notional: Decimal,
}

/// Risk guard outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskReport {
    /// Orders approved.
    pub approved: u64,
    /// Refusals per rule.
    pub refusals: BTreeMap<Rule, u64>,
    /// Final kill-switch level and its history.
    pub kill_level: crate::event::KillLevel,
    /// Every kill-switch move.
    pub kill_transitions: Vec<crate::kill_switch::KillTransition>,
}

/// `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Strategy name and parameters.
    pub strategy: String,
    /// Pairs traded.
    pub pairs: Vec<String>,
    /// Bar interval.
    pub interval: String,
    /// First bar close (RFC 3339).
    pub from: String,
    /// Last bar close (RFC 3339).
    pub to: String,
    /// Bars processed.
    pub bars: u64,
    /// Starting equity (quote).
    pub initial_equity: Decimal,
    /// Final equity at last closes (quote, exact).
    pub final_equity: Decimal,
    /// Final / initial − 1.
    pub total_return: f64,
    /// Compound annual growth rate.
    pub cagr: f64,
    /// Annualised Sharpe ratio of bar returns.
    pub sharpe: f64,
    /// Annualised Sortino ratio.
    pub sortino: f64,
    /// Largest drawdown (fraction).
    pub max_drawdown: f64,
    /// CAGR / max drawdown.
    pub calmar: f64,
    /// Closed round trips.
    pub trades: usize,
    /// Share of winning round trips.
    pub win_rate: f64,
    /// Gross profit / gross loss (null when nothing was lost).
    pub profit_factor: Option<f64>,
    /// Share of bars with a position.
    pub exposure: f64,
    /// Traded notional / initial equity.
    pub turnover: f64,
    /// Fees paid (quote).
    pub fees_paid: Decimal,
    /// Cost of fills versus the quotes met (quote; positive = cost).
    pub slippage_cost: Decimal,
    /// Return attribution.
    pub attribution: AttributionReport,
    /// "gate: not applicable" for rule strategies.
    pub gate: String,
    /// Risk guard outcome.
    pub risk: RiskReport,
    /// Approved orders the execution policy refused.
    pub execution_refused: u64,
    /// Orders the venue rejected with a Kraken error.
    pub venue_rejected: u64,
    /// Fee tier at the end: taker and maker percent.
    pub final_fee_percent: (Decimal, Decimal),
    /// Engine counters.
    pub counters: crate::engine::EngineCounters,
}

fn ratio(num: Decimal, den: Decimal) -> f64 {
    if den.is_zero() { 0.0 } else { (num / den).to_f64().unwrap_or(0.0) }
}

pub(super) fn build(bt: &Backtest) -> Report {
    let e = &bt.engine;
    let marks = e.marks();
    let initial = bt.spec.cash;
    let final_equity = e.ledger().equity(e.quote(), &marks).value();
    let periods = 365.0 * 86_400.0 / bt.spec.interval.secs() as f64;
    let s = bt.stats.summary(initial.to_f64().unwrap_or(1.0), periods);
    let parts = e.attribution().parts(&marks);
    let returns = [
        ("alpha", parts.alpha),
        ("timing", parts.timing),
        ("slippage", parts.slippage),
        ("fees", parts.fees),
        ("sizing", parts.sizing),
        ("total", parts.total()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), ratio(v, initial)))
    .collect();
    let inst = bt.venue.pairs().first().map(|p| &p.instrument);
    let time = |ns: Option<i64>| ns.map(|t| Timestamp::from_nanos(t).to_rfc3339()).unwrap_or_default();
    Report {
        strategy: e.strategy_names().first().cloned().unwrap_or_default(),
        pairs: e.pairs().iter().map(|p| p.pair.to_string()).collect(),
        interval: bt.spec.interval.name().to_string(),
        from: time(bt.first_ns),
        to: time(bt.first_ns.map(|_| bt.last_ns)),
        bars: bt.stats.bars(),
        initial_equity: initial,
        final_equity,
        total_return: ratio(final_equity - initial, initial),
        cagr: s.cagr,
        sharpe: s.sharpe,
        sortino: s.sortino,
        max_drawdown: s.max_drawdown,
        calmar: s.calmar,
        trades: bt.trades.closed().len(),
        win_rate: bt.trades.win_rate(),
        profit_factor: bt.trades.profit_factor(),
        exposure: s.exposure,
        turnover: ratio(bt.traded_notional, initial),
        fees_paid: e.ledger().fees_paid().values().copied().sum(),
        slippage_cost: -parts.slippage,
        attribution: AttributionReport {
            alpha: parts.alpha,
            timing: parts.timing,
            slippage: parts.slippage,
            fees: parts.fees,
            sizing: parts.sizing,
            total: parts.total(),
            returns,
            unit_notional: e.unit_notional(),
        },
        gate: e.gate().summary(),
        risk: RiskReport {
            approved: e.guard().approved_count(),
            refusals: e.guard().refusal_counts().into_iter().collect(),
            kill_level: e.guard().kill_switch().level(),
            kill_transitions: e.guard().kill_switch().history().to_vec(),
        },
        execution_refused: e.policy().refused,
        venue_rejected: bt.venue.rejected,
        final_fee_percent: inst.map(|i| bt.venue.fee_percent(i)).unwrap_or_default(),
        counters: e.counters().clone(),
    }
}

impl Report {
    /// `report.json`, pretty-printed with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }
}

impl Backtest {
    /// `trades.csv`: one row per closed round trip.
    pub fn trades_csv(&self) -> String {
        let mut s = String::from("pair,entry_time,exit_time,qty,bought,sold,fees,pnl\n");
        for t in self.trades.closed() {
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{},{}",
                t.pair, t.entry_time, t.exit_time, t.qty, t.bought, t.sold, t.fees, t.pnl
            );
        }
        s
    }

    /// `equity.csv`: bar close time and equity.
    pub fn equity_csv(&self) -> String {
        let mut s = String::with_capacity(self.curve.len() * 36);
        s.push_str("time,equity\n");
        for p in &self.curve {
            let _ = writeln!(s, "{},{:.2}", Timestamp::from_nanos(p.time_ns).to_rfc3339(), p.equity);
        }
        s
    }

    /// `report.html`: equity, drawdown and per-trade charts as inline SVG (opens offline).
    pub fn html(&self, report: &Report) -> String {
        super::html::render(report, &self.curve, self.trades.closed())
    }
}
