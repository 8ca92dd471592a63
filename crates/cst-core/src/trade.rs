//! Public trades (prints) and the side of an order or trade.

use crate::num::{Price, Qty};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Buy or sell; for a public trade, the taker's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Buy (bid).
    Buy,
    /// Sell (ask).
    Sell,
}

impl Side {
    /// The other side.
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }

    /// +1 for buy, −1 for sell.
    pub fn sign(self) -> i32 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }
}

/// One public trade print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    /// Exchange time of the trade.
    pub time: Timestamp,
    /// Execution price.
    pub price: Price,
    /// Executed quantity.
    pub qty: Qty,
    /// Taker side.
    pub side: Side,
    /// Exchange trade id, when the venue gives one.
    pub trade_id: Option<u64>,
}
