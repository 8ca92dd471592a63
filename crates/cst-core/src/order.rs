//! Orders before approval: what the engine wants to trade and how.

use crate::event::{ClientOrderId, PairId};
use crate::num::{Price, Qty};
use crate::trade::Side;
use serde::Serialize;

/// Order types the execution policy may choose (Kraken spot order types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrderKind {
    /// Market order: takes liquidity at whatever price is available.
    Market,
    /// Limit order resting until filled; `post_only` refuses to take liquidity.
    Limit {
        /// Limit price.
        price: Price,
        /// Kraken `oflags=post`.
        post_only: bool,
        /// Visible quantity for an iceberg (Kraken `displayvol`); `None` shows all.
        display_qty: Option<Qty>,
    },
    /// Immediate-or-cancel limit.
    Ioc {
        /// Limit price.
        price: Price,
    },
    /// Stop-loss market order triggered when price trades through `trigger`.
    StopMarket {
        /// Trigger price.
        trigger: Price,
    },
}

impl OrderKind {
    /// The price the order names, if any.
    pub fn limit_price(&self) -> Option<Price> {
        match *self {
            OrderKind::Market => None,
            OrderKind::Limit { price, .. } | OrderKind::Ioc { price } => Some(price),
            OrderKind::StopMarket { trigger } => Some(trigger),
        }
    }
}

/// An order the engine wants, before the risk guard has seen it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OrderIntent {
    /// Deterministic id derived from the decision.
    pub id: ClientOrderId,
    /// Which pair.
    pub pair: PairId,
    /// Buy or sell.
    pub side: Side,
    /// Quantity in base units (on the lot grid).
    pub qty: Qty,
    /// How to execute.
    pub kind: OrderKind,
    /// The price when the decision was made (the decision candle's close): timing is measured
    /// from it.
    pub decision_price: Price,
    /// When the decision was made (ns).
    pub decided_ns: i64,
    /// May only reduce exposure (kill-switch flattening).
    pub reduce_only: bool,
}

impl OrderIntent {
    /// True when filling it would add exposure (long/flat spot: a buy).
    pub fn increases_exposure(&self) -> bool {
        self.side == Side::Buy && !self.reduce_only
    }
}
