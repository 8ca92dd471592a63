//! From a strategy target to approved, scheduled orders: gate, sizing, the risk guard, the
//! execution policy. Runs only when a target changes, so it may use decimals freely.

use super::{Action, Engine, InFlight};
use crate::event::{ClientOrderId, PairId};
use crate::num::{Price, Qty, decimal_from_f64};
use crate::order::{OrderIntent, OrderKind};
use crate::risk::{ApprovedOrder, RiskView};
use crate::signal::{GateDecision, SignalOutcome, SignalRecord};
use crate::strategy::Target;
use crate::trade::Side;
use rust_decimal::Decimal;

impl Engine {
    /// Turns a new target into orders (or counted refusals) and records the decision.
    pub(super) fn decide(&mut self, pair: PairId, target: Target, out: &mut Vec<Action>) {
        let outcome = self.decide_outcome(pair, &target, out);
        let record = SignalRecord {
            pair,
            time_ns: self.now_ns,
            target: target.fraction,
            confidence: target.confidence,
            outcome,
        };
        self.signals.push(record);
    }

    fn decide_outcome(&mut self, pair: PairId, target: &Target, out: &mut Vec<Action>) -> SignalOutcome {
        if let GateDecision::Blocked { .. } = self.gate.check(target) {
            return SignalOutcome::Gated;
        }
        let i = pair.index();
        let Some(price) = self.pairs[i].scale.to_price(self.last_close[i]) else { return SignalOutcome::Unchanged };
        self.book_unit_trade(pair, target.fraction.clamp(0.0, 1.0), price);
        // Rule sizing splits the allotted equity evenly across the traded pairs.
        let fraction = self.sizing.equity_fraction(target) / self.pairs.len() as f64;
        let want = decimal_from_f64(self.equity_f64 * fraction / self.close_f64[i]).unwrap_or_default();
        let want = self.lot_floor(i, want.max(Decimal::ZERO)).value();
        let held = self.ledger.position(pair).qty;
        let (side, qty) = if want > held { (Side::Buy, want - held) } else { (Side::Sell, held - want) };
        let qty = if side == Side::Sell && want.is_zero() { held } else { self.lot_floor(i, qty).value() };
        // A pause blocks more exposure only: the earlier decision's orders keep working and exits
        // still go out.
        if self.paused && side == Side::Buy && !qty.is_zero() {
            return SignalOutcome::Paused;
        }
        self.cancel_in_flight(pair, out);
        if qty.is_zero() {
            return SignalOutcome::Unchanged;
        }
        if qty < self.pairs[i].ordermin {
            self.counters.below_minimum += 1;
            return SignalOutcome::BelowMinimum;
        }
        let qty = Qty::new(qty).unwrap_or(Qty::ZERO);
        let kind = self.policy.order_kind(side, price, qty);
        let (mark, held_before) = (out.len(), self.later.len());
        self.submit(pair, side, qty, kind, price, false, out);
        let outcome = out[mark..].iter().find_map(|a| match a {
            Action::Place(_) => Some(SignalOutcome::Traded),
            Action::RiskRefused(r) => Some(SignalOutcome::RiskRefused(r.rule)),
            Action::ExecutionRefused(e) => Some(SignalOutcome::ExecutionRefused(e.reason.clone())),
            _ => None,
        });
        outcome.unwrap_or(if self.later.len() > held_before { SignalOutcome::Traded } else { SignalOutcome::Unchanged })
    }

    /// Pause: TWAP slices that would add exposure are dropped and working entries cancelled.
    pub(super) fn withdraw_entries(&mut self, out: &mut Vec<Action>) {
        let held: Vec<ClientOrderId> =
            self.later.iter().filter(|(_, o)| o.intent().increases_exposure()).map(|(_, o)| o.id()).collect();
        self.later.retain(|(_, o)| !o.intent().increases_exposure());
        for o in self.in_flight.iter().filter(|o| o.intent.increases_exposure() && !held.contains(&o.id)) {
            out.push(Action::Cancel(o.id));
        }
        self.in_flight.retain(|o| !o.intent.increases_exposure());
    }

    /// The alpha leg of attribution: a unit position that follows the signal at decision prices.
    fn book_unit_trade(&mut self, pair: PairId, fraction: f64, price: Price) {
        let i = pair.index();
        let delta = fraction - self.unit_fraction[i];
        if delta == 0.0 {
            return;
        }
        self.unit_fraction[i] = fraction;
        let units = decimal_from_f64(delta).unwrap_or_default() * self.unit_notional / price.value();
        self.attribution.on_unit_trade(pair, units.round_dp(8), price);
    }

    /// Orders from an earlier decision for this pair that are still working are cancelled.
    fn cancel_in_flight(&mut self, pair: PairId, out: &mut Vec<Action>) {
        let held: Vec<ClientOrderId> =
            self.later.iter().filter(|(_, o)| o.intent().pair == pair).map(|(_, o)| o.id()).collect();
        self.later.retain(|(_, o)| o.intent().pair != pair);
        for o in self.in_flight.iter().filter(|o| o.pair == pair && !held.contains(&o.id)) {
            out.push(Action::Cancel(o.id));
        }
        self.in_flight.retain(|o| o.pair != pair);
    }

    /// Builds the intent, asks the guard, then the execution policy; emits actions.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn submit(
        &mut self,
        pair: PairId,
        side: Side,
        qty: Qty,
        kind: OrderKind,
        price: Price,
        reduce_only: bool,
        out: &mut Vec<Action>,
    ) {
        self.seq = self.seq.wrapping_add(1);
        let id = ClientOrderId::derive(pair, self.now_ns, self.seq);
        let intent =
            OrderIntent { id, pair, side, qty, kind, decision_price: price, decided_ns: self.now_ns, reduce_only };
        let marks = self.marks();
        let book = self.books[pair.index()].as_ref();
        let view = RiskView {
            pairs: self.ledger.pairs(),
            positions: self.ledger.positions(),
            marks: &marks,
            book_mid: book.and_then(|b| b.mid()),
            now_ns: self.now_ns,
        };
        let approved = match self.guard.approve(intent, &view) {
            Ok(a) => a,
            Err(r) => return out.push(Action::RiskRefused(r)),
        };
        let lot = self.pairs[pair.index()].lot_step;
        match self.policy.schedule(approved, book, self.now_ns, lot) {
            Err(r) => out.push(Action::ExecutionRefused(r)),
            Ok(schedule) => {
                for (at, order) in schedule.slices {
                    let intent = *order.intent();
                    self.in_flight.push(InFlight {
                        id: order.id(),
                        pair,
                        intent,
                        accepted: false,
                        filled: Decimal::ZERO,
                    });
                    self.place_or_hold(at, order, out);
                }
            }
        }
    }

    fn place_or_hold(&mut self, at: i64, order: ApprovedOrder, out: &mut Vec<Action>) {
        if at <= self.now_ns {
            self.counters.orders += 1;
            out.push(Action::Place(order));
        } else {
            self.later.push((at, order));
        }
    }

    /// Kill switch at flatten: close every position with reduce-only market orders.
    pub(super) fn flatten(&mut self, out: &mut Vec<Action>) {
        let held: Vec<ClientOrderId> = self.later.iter().map(|(_, o)| o.id()).collect();
        self.later.clear();
        for o in self.in_flight.iter().filter(|o| !held.contains(&o.id)) {
            out.push(Action::Cancel(o.id));
        }
        self.in_flight.clear();
        for i in 0..self.pairs.len() {
            let held = self.ledger.positions()[i].qty;
            let Some(price) = self.pairs[i].scale.to_price(self.last_close[i]) else { continue };
            if held.is_zero() {
                continue;
            }
            let qty = Qty::new(held).unwrap_or(Qty::ZERO);
            self.submit(PairId(i as u16), Side::Sell, qty, OrderKind::Market, price, true, out);
        }
    }
}
