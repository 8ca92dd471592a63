//! An approved order in Kraken's AddOrder terms: the pair's altname, the volume truncated to the
//! lot and the price snapped to the tick on the side that never trades worse than approved, and
//! a `cl_ord_id` derived from our client order id so the order can be looked up after an
//! ambiguous failure or a restart.

use crate::rest::orders::{OrderRequest, OrderType, TimeInForce};
use cst_core::event::ClientOrderId;
use cst_core::instrument::Instrument;
use cst_core::num::Rounding;
use cst_core::order::OrderKind;
use cst_core::risk::ApprovedOrder;
use cst_core::trade::Side;

/// Our client order id as Kraken's free-text `cl_ord_id`: 16 hex digits (the u64), within
/// Kraken's 18-character limit and the same text the journal stores.
pub fn cl_ord_id(id: ClientOrderId) -> String {
    format!("{:016x}", id.0)
}

/// The AddOrder request for `order` on `inst`, or why it cannot be sent (nothing is sent then).
pub fn order_request(order: &ApprovedOrder, inst: &Instrument, validate: bool) -> Result<OrderRequest, String> {
    let o = order.intent();
    if inst.pair.altname() != inst.altname {
        // OrderRequest sends `pair.altname()`; a pair whose Kraken altname differs would be misnamed.
        return Err(format!("pair {} has Kraken altname {}, not {}", inst.pair, inst.altname, inst.pair.altname()));
    }
    let qty = o.qty.round_to_lot(inst.lot_step()).map_err(|e| format!("volume {}: {e}", o.qty))?;
    if qty.is_zero() || qty < inst.ordermin {
        return Err(format!("volume {qty} is below Kraken's minimum {} for {}", inst.ordermin, inst.altname));
    }
    // Snapping towards the approved side: a buy never pays more, a sell never receives less.
    let rounding = if o.side == Side::Buy { Rounding::Down } else { Rounding::Up };
    let snap =
        |p: cst_core::num::Price| p.round_to_tick(inst.tick_size, rounding).map_err(|e| format!("price {p}: {e}"));
    let (order_type, price, post_only, time_in_force) = match o.kind {
        OrderKind::Market => (OrderType::Market, None, false, TimeInForce::Gtc),
        OrderKind::Limit { price, post_only, display_qty: None } => {
            (OrderType::Limit, Some(snap(price)?), post_only, TimeInForce::Gtc)
        }
        OrderKind::Limit { display_qty: Some(_), .. } => {
            return Err("iceberg (display volume) orders are not sent by the live gateway".into());
        }
        OrderKind::Ioc { price } => (OrderType::Limit, Some(snap(price)?), false, TimeInForce::Ioc),
        OrderKind::StopMarket { .. } => return Err("stop-loss orders are not sent by the live gateway".into()),
    };
    Ok(OrderRequest {
        pair: inst.pair.clone(),
        side: o.side,
        order_type,
        qty,
        price,
        cl_ord_id: Some(cl_ord_id(o.id)),
        post_only,
        // Kraken's reduce_only applies to margin positions; a spot sell can only reduce a holding.
        reduce_only: false,
        time_in_force,
        validate,
    })
}
