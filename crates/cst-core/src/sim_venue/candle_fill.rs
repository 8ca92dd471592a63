//! Fills against candles, without lookahead.
//!
//! - An order decided at the close of candle t can fill no earlier than candle t+1 (its open
//!   time must be at or after the decision), and only on a candle that ends after the order
//!   arrived (decision + latency).
//! - Every fill price lies inside the fill candle's `[low, high]`: a price that candle traded.
//! - Market: the candle's open, moved against us by the slippage model, clamped into the range.
//! - Limit: fills only when price trades through the limit (buy: low < limit; sell: high >
//!   limit), at the limit, or at the open when the candle opens beyond it (then taker).
//! - Stop: triggers when the range reaches the trigger; fills at the trigger (or the open when
//!   it gapped through) moved by slippage, clamped into the range.
//! - Path assumption for several orders touched in one candle: a bullish candle (close ≥ open)
//!   goes open → low → high → close, a bearish one open → high → low → close; orders fill in the
//!   order the path reaches their prices.
//! - Participation: at most `max_participation` of the candle's volume fills per candle; the
//!   rest waits for the next candle.

use crate::event::Liquidity;
use crate::order::OrderKind;
use crate::trade::Side;
use rust_decimal::{Decimal, RoundingStrategy};

/// One candle in exact decimals (built only when an order is pending).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Range {
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
}

/// Where on the assumed path a price is first reached (smaller = earlier).
pub(crate) fn path_position(r: &Range, price: Decimal) -> Decimal {
    let bullish = r.close >= r.open;
    let (first_leg_end, second_leg_end) = if bullish { (r.low, r.high) } else { (r.high, r.low) };
    let first_leg = (r.open - first_leg_end).abs();
    let on_first = if bullish { price <= r.open && price >= r.low } else { price >= r.open && price <= r.high };
    if on_first {
        (r.open - price).abs()
    } else {
        first_leg + (price - first_leg_end).abs().min((second_leg_end - first_leg_end).abs())
    }
}

/// The price and liquidity at which `kind` fills on this candle, or `None` when it does not.
/// `arrived_before_open` says whether the order was resting when the candle opened.
pub(crate) fn candle_price(
    kind: &OrderKind,
    side: Side,
    r: &Range,
    slip: Decimal,
    price_dp: u32,
    arrived_before_open: bool,
) -> Option<(Decimal, Liquidity)> {
    // Slipped prices go onto the pair's price grid (against us), then back into the range.
    let against = |p: Decimal| {
        let moved = if side == Side::Buy {
            (p * (Decimal::ONE + slip)).round_dp_with_strategy(price_dp, RoundingStrategy::AwayFromZero)
        } else {
            (p * (Decimal::ONE - slip)).round_dp_with_strategy(price_dp, RoundingStrategy::ToZero)
        };
        clamp(r, moved)
    };
    match *kind {
        OrderKind::Market => Some((against(r.open), Liquidity::Taker)),
        OrderKind::Ioc { price } => {
            let ok = if side == Side::Buy { r.open <= price.value() } else { r.open >= price.value() };
            let p = against(r.open);
            let p = if side == Side::Buy { p.min(price.value()) } else { p.max(price.value()) };
            ok.then_some((p, Liquidity::Taker))
        }
        OrderKind::Limit { price, post_only, .. } => {
            limit_price(side, r, price.value(), post_only, arrived_before_open)
        }
        OrderKind::StopMarket { trigger } => {
            let t = trigger.value();
            let hit = if side == Side::Buy { r.high >= t } else { r.low <= t };
            let gapped = if side == Side::Buy { r.open >= t } else { r.open <= t };
            hit.then(|| (against(if gapped { r.open } else { t }), Liquidity::Taker))
        }
    }
}

fn limit_price(side: Side, r: &Range, limit: Decimal, post_only: bool, resting: bool) -> Option<(Decimal, Liquidity)> {
    let opens_through = if side == Side::Buy { r.open < limit } else { r.open > limit };
    if opens_through {
        // A resting order is filled by the gap at the open; a new one would take liquidity.
        if !resting && post_only {
            return None;
        }
        let liq = if resting { Liquidity::Maker } else { Liquidity::Taker };
        return Some((r.open, liq));
    }
    let trades_through = if side == Side::Buy { r.low < limit } else { r.high > limit };
    trades_through.then_some((limit, Liquidity::Maker))
}

fn clamp(r: &Range, p: Decimal) -> Decimal {
    p.max(r.low).min(r.high)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::Price;
    use rust_decimal::dec;

    /// Kraken XBT/USD 1h, 2014-01-01 02:00 UTC: `1388541600,745.0,752.82196,738.0,750.18709`.
    fn r() -> Range {
        Range { open: dec!(745.0), high: dec!(752.82196), low: dec!(738.0), close: dec!(750.18709) }
    }

    #[test]
    fn limit_buy_fills_only_when_price_trades_through() {
        let at =
            |l: Decimal| OrderKind::Limit { price: Price::new(l).expect("p"), post_only: false, display_qty: None };
        assert_eq!(
            candle_price(&at(dec!(738.0)), Side::Buy, &r(), dec!(0), 1, true),
            None,
            "touching the low is not through"
        );
        assert_eq!(
            candle_price(&at(dec!(738.1)), Side::Buy, &r(), dec!(0), 1, true),
            Some((dec!(738.1), Liquidity::Maker))
        );
        assert_eq!(
            candle_price(&at(dec!(746)), Side::Buy, &r(), dec!(0), 1, true),
            Some((dec!(745.0), Liquidity::Maker))
        );
        assert_eq!(
            candle_price(&at(dec!(746)), Side::Buy, &r(), dec!(0), 1, false),
            Some((dec!(745.0), Liquidity::Taker))
        );
    }

    #[test]
    fn market_slippage_never_leaves_the_candle_range() {
        let (p, _) = candle_price(&OrderKind::Market, Side::Buy, &r(), dec!(0.5), 1, true).expect("fill");
        assert_eq!(p, dec!(752.82196));
        let (p, _) = candle_price(&OrderKind::Market, Side::Buy, &r(), dec!(0.001), 1, true).expect("fill");
        assert_eq!(p, dec!(745.8), "745.745 rounded up onto the 0.1 grid");
    }

    #[test]
    fn bullish_path_reaches_the_low_before_the_high() {
        assert!(path_position(&r(), dec!(739)) < path_position(&r(), dec!(751)));
    }
}
