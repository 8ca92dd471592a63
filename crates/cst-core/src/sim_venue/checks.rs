//! Order checks exactly as Kraken's AddOrder rejects them, with Kraken's error strings.

use crate::instrument::{Instrument, PairStatus};
use crate::order::{OrderIntent, OrderKind};
use rust_decimal::Decimal;

/// Kraken: volume with more decimals than `lot_decimals`.
pub const INVALID_VOLUME: &str = "EGeneral:Invalid arguments:volume";
/// Kraken: volume below `ordermin`.
pub const ORDER_MINIMUM: &str = "EOrder:Order minimum not met";
/// Kraken: notional below `costmin`.
pub const COST_MINIMUM: &str = "EOrder:Cost minimum not met";
/// Kraken: not enough balance for the order.
pub const INSUFFICIENT_FUNDS: &str = "EOrder:Insufficient funds";
/// Kraken: unknown pair.
pub const UNKNOWN_PAIR: &str = "EQuery:Unknown asset pair";
/// Kraken: a post-only order that would take liquidity is cancelled.
pub const POST_ONLY_WOULD_TAKE: &str = "EOrder:Post only order";

/// Kraken's message for a price off the pair's precision.
pub fn invalid_price(inst: &Instrument) -> String {
    format!("EOrder:Invalid price:{} price can only be specified up to {} decimals.", inst.key, inst.pair_decimals)
}

/// Kraken's message for a pair not in a state that accepts the order.
fn market_mode(mode: &str) -> String {
    format!("EService:Market in {mode} mode")
}

/// Static checks: status, lot precision, ordermin, tick precision, costmin at `price`.
pub fn check_order(inst: &Instrument, o: &OrderIntent, price: Decimal) -> Result<(), String> {
    match (inst.status, o.kind) {
        (PairStatus::Online, _) => {}
        (PairStatus::CancelOnly, _) => return Err(market_mode("cancel_only")),
        (PairStatus::PostOnly, OrderKind::Limit { post_only: true, .. }) => {}
        (PairStatus::PostOnly, _) => return Err(market_mode("post_only")),
        (PairStatus::LimitOnly, OrderKind::Limit { .. }) => {}
        (PairStatus::LimitOnly, _) => return Err(market_mode("limit_only")),
        (PairStatus::ReduceOnly, _) if o.reduce_only => {}
        (PairStatus::ReduceOnly, _) => return Err(market_mode("reduce_only")),
        (PairStatus::Other, _) => return Err(market_mode("cancel_only")),
    }
    let qty = o.qty.value();
    if qty.is_zero() || !o.qty.is_on_lot(inst.lot_step()) {
        return Err(INVALID_VOLUME.to_string());
    }
    if qty < inst.ordermin.value() {
        return Err(ORDER_MINIMUM.to_string());
    }
    if let Some(p) = o.kind.limit_price()
        && !p.is_on_tick(inst.tick_size)
    {
        return Err(invalid_price(inst));
    }
    if let Some(costmin) = inst.costmin
        && qty * price < costmin
    {
        return Err(COST_MINIMUM.to_string());
    }
    Ok(())
}
