//! Fills against L2 books: market and marketable orders walk the opposite side level by level
//! (one fill per level, exact prices), consumed liquidity stays consumed until the next book
//! event, and a resting limit waits behind the quantity that was at its level when it arrived;
//! trades at its price eat that queue first, trades through its price fill it.

use super::{SimVenue, checks};
use crate::depth::{Depth, within};
use crate::event::{Event, Liquidity, OrderUpdate, Print, Stamp};
use crate::num::{Price, Qty};
use crate::order::OrderKind;
use crate::trade::Side;
use rust_decimal::Decimal;

impl SimVenue {
    /// A new book snapshot for a pair: replaces the last one (refilling liquidity), then lets
    /// arrived orders take from it and rest on it.
    pub fn on_depth(&mut self, depth: &Depth, out: &mut Vec<Event>) {
        let i = depth.pair.index();
        if i >= self.books.len() {
            return;
        }
        self.books[i] = Some(depth.clone());
        let now = depth.stamp.exchange_ns;
        let mut k = 0;
        while k < self.working.len() {
            let w = &self.working[k];
            if w.order.pair != depth.pair || w.arrival_ns > now || w.queue_ahead.is_some() {
                k += 1;
                continue;
            }
            if self.take_from_book(k, now, out) {
                self.working.remove(k);
            } else {
                k += 1;
            }
        }
    }

    /// Takes what the order may take from the current book; true when the order is done.
    fn take_from_book(&mut self, k: usize, now: i64, out: &mut Vec<Event>) -> bool {
        let o = self.working[k].order;
        let Some(book) = self.books[o.pair.index()].as_mut() else { return false };
        let limit = match o.kind {
            OrderKind::Market => None,
            OrderKind::Limit { price, .. } | OrderKind::Ioc { price } => Some(price),
            OrderKind::StopMarket { trigger } => {
                let touched = match (o.side, book.best()) {
                    (Side::Buy, Some((_, ask))) => ask >= trigger,
                    (Side::Sell, Some((bid, _))) => bid <= trigger,
                    _ => false,
                };
                if !touched {
                    return false;
                }
                None
            }
        };
        let levels = match o.side {
            Side::Buy => &mut book.asks,
            Side::Sell => &mut book.bids,
        };
        let crosses = levels.first().is_some_and(|l| within(o.side, l.price, limit));
        if crosses && matches!(o.kind, OrderKind::Limit { post_only: true, .. }) {
            self.rejected += 1;
            let reason = checks::POST_ONLY_WOULD_TAKE.to_string();
            out.push(Event::Order(OrderUpdate::Rejected { id: o.id, reason, stamp: Stamp::at(now) }));
            return true;
        }
        let Some(reference) = levels.first().map(|l| l.price) else { return false };
        let mut takes = Vec::new();
        let mut left = self.working[k].remaining;
        for level in levels.iter_mut() {
            if left.is_zero() || !within(o.side, level.price, limit) {
                break;
            }
            let q = left.min(level.qty.value());
            level.qty = Qty::new(level.qty.value() - q).unwrap_or(Qty::ZERO);
            left -= q;
            takes.push((q, level.price.value()));
        }
        levels.retain(|l| !l.qty.is_zero());
        for (q, p) in takes {
            self.execute(k, q, p, Liquidity::Taker, reference, Stamp::at(now), out);
        }
        self.after_take(k, now, out)
    }

    /// Decides what happens to the remainder after taking: done, rest on the book, or wait.
    fn after_take(&mut self, k: usize, now: i64, out: &mut Vec<Event>) -> bool {
        let w = &self.working[k];
        let o = w.order;
        if w.remaining.is_zero() || matches!(o.kind, OrderKind::Ioc { .. }) {
            out.push(Event::Order(OrderUpdate::Done { id: o.id, stamp: Stamp::at(now) }));
            return true;
        }
        if let OrderKind::Limit { price, .. } = o.kind {
            let ahead = self.books[o.pair.index()].as_ref().map_or(Decimal::ZERO, |b| queue_at(b, o.side, price));
            self.working[k].queue_ahead = Some(ahead);
        }
        false
    }

    /// A public trade: advances the queue of resting limits at its price and fills those it
    /// reaches or trades through.
    pub fn on_print(&mut self, print: &Print, out: &mut Vec<Event>) {
        let mut k = 0;
        while k < self.working.len() {
            let w = &self.working[k];
            let (Some(ahead), OrderKind::Limit { price, .. }) = (w.queue_ahead, w.order.kind) else {
                k += 1;
                continue;
            };
            // Only sellers hit our bid and only buyers lift our ask.
            if w.order.pair != print.pair || print.side == w.order.side {
                k += 1;
                continue;
            }
            let through = match w.order.side {
                Side::Buy => print.price < price,
                Side::Sell => print.price > price,
            };
            let available = if through {
                print.qty.value()
            } else if print.price == price {
                (print.qty.value() - ahead).max(Decimal::ZERO)
            } else {
                Decimal::ZERO
            };
            if print.price == price || through {
                self.working[k].queue_ahead = Some((ahead - print.qty.value()).max(Decimal::ZERO));
            }
            let q = available.min(self.working[k].remaining);
            if !q.is_zero() {
                self.execute(k, q, price.value(), Liquidity::Maker, price, print.stamp, out);
            }
            if self.working[k].remaining.is_zero() {
                out.push(Event::Order(OrderUpdate::Done { id: self.working[k].order.id, stamp: print.stamp }));
                self.working.remove(k);
            } else {
                k += 1;
            }
        }
    }
}

/// Quantity already resting at `price` on our own side of the book.
fn queue_at(book: &Depth, side: Side, price: Price) -> Decimal {
    let own = match side {
        Side::Buy => &book.bids,
        Side::Sell => &book.asks,
    };
    own.iter().find(|l| l.price == price).map_or(Decimal::ZERO, |l| l.qty.value())
}
