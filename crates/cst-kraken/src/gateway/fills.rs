//! Kraken's report of one of our executions (`TradesHistory`) as a core [`Fill`], after checking
//! that it belongs to the order it names: same pair, same side, and no more than was sent. A
//! trade that fails a check is refused with the reason and never booked.

use crate::rest::account::OwnTrade;
use cst_core::event::{Fill, Liquidity, Stamp};
use cst_core::instrument::Instrument;
use cst_core::num::{Money, Price, Qty};
use cst_core::order::OrderIntent;
use cst_core::trade::Side;
use rust_decimal::Decimal;

/// The fill for trade `trade_id` of the order `intent` (sent with volume `sent`, of which
/// `booked` is already booked), received at `received_ns`.
pub fn fill_of(
    trade_id: &str,
    t: &OwnTrade,
    intent: &OrderIntent,
    inst: &Instrument,
    (sent, booked): (Qty, Decimal),
    received_ns: i64,
) -> Result<Fill, String> {
    if t.pair != inst.key && t.pair != inst.altname {
        return Err(format!("trade {trade_id} is for {}, its order for {}", t.pair, inst.key));
    }
    let side = match t.side.as_str() {
        "buy" => Side::Buy,
        "sell" => Side::Sell,
        other => return Err(format!("trade {trade_id} has side {other:?}")),
    };
    if side != intent.side {
        return Err(format!("trade {trade_id} is a {} of an order to {:?}", t.side, intent.side));
    }
    let qty = Qty::new(t.vol).map_err(|e| format!("trade {trade_id} volume: {e}"))?;
    if qty.is_zero() || booked + qty.value() > sent.value() {
        return Err(format!("trade {trade_id} of {qty} would fill more than the {sent} sent ({booked} booked)"));
    }
    let price = Price::new(t.price).map_err(|e| format!("trade {trade_id} price: {e}"))?;
    if t.fee < Decimal::ZERO {
        return Err(format!("trade {trade_id} has a negative fee {}", t.fee));
    }
    Ok(Fill {
        id: intent.id,
        pair: intent.pair,
        side,
        qty,
        price,
        fee: Money::new(t.fee),
        liquidity: if t.maker == Some(true) { Liquidity::Maker } else { Liquidity::Taker },
        // Live slippage is measured from the decision price: the arrival quote is not known here.
        reference_price: intent.decision_price,
        stamp: Stamp { exchange_ns: t.time.as_nanos(), received_ns },
    })
}
