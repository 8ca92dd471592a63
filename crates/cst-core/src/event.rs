//! Everything the engine reacts to. External events carry both the exchange timestamp and the
//! local receipt timestamp, so the same recorded stream replays identically in every mode.

pub use crate::depth::{Depth, Level};
use crate::num::{Money, Price, Qty};
use crate::trade::Side;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// When something happened at the exchange and when we received it (ns since the Unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Stamp {
    /// Exchange time.
    pub exchange_ns: i64,
    /// Local receipt time (equal to `exchange_ns` in backtests without a latency model).
    pub received_ns: i64,
}

impl Stamp {
    /// A stamp whose receipt time equals its exchange time (recorded candles).
    pub const fn at(exchange_ns: i64) -> Self {
        Self { exchange_ns, received_ns: exchange_ns }
    }
}

/// Index of a pair in the engine's pair table (cheap to copy through the hot path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct PairId(pub u16);

impl PairId {
    /// The table index.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// How many decimals a pair's integer price ticks carry (prices are `ticks * 10^-scale`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PriceScale {
    decimals: u32,
    unit_f64: f64,
}

/// The largest price scale accepted (Kraken quotes at most 10 decimals).
pub const MAX_PRICE_DECIMALS: u32 = 12;

impl PriceScale {
    /// A scale of `decimals` (at most [`MAX_PRICE_DECIMALS`]).
    pub fn new(decimals: u32) -> Option<Self> {
        (decimals <= MAX_PRICE_DECIMALS).then(|| Self { decimals, unit_f64: 10f64.powi(-(decimals as i32)) })
    }
    /// Number of decimals.
    pub fn decimals(self) -> u32 {
        self.decimals
    }
    /// Exact decimal value of `ticks`.
    pub fn to_decimal(self, ticks: i64) -> Decimal {
        Decimal::new(ticks, self.decimals)
    }
    /// Exact price of `ticks`, `None` when not positive.
    pub fn to_price(self, ticks: i64) -> Option<Price> {
        Price::new(self.to_decimal(ticks)).ok()
    }
    /// Float view of `ticks` for features.
    pub fn to_f64(self, ticks: i64) -> f64 {
        ticks as f64 * self.unit_f64
    }
    /// Ticks of an exact decimal, `None` when it has more decimals than the scale or overflows.
    pub fn ticks_of(self, value: Decimal) -> Option<i64> {
        let mut v = value;
        v.rescale(self.decimals);
        if v != value {
            return None;
        }
        i64::try_from(v.mantissa()).ok()
    }
}

/// One closed candle in integer ticks: the compact form the hot path reads.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    /// Which pair.
    pub pair: PairId,
    /// `exchange_ns` is the candle's close time: the instant its values became known.
    pub stamp: Stamp,
    /// Candle open time (ns).
    pub open_time_ns: i64,
    /// Open, in ticks of the pair's price scale.
    pub open: i64,
    /// High, in ticks.
    pub high: i64,
    /// Low, in ticks.
    pub low: i64,
    /// Close, in ticks.
    pub close: i64,
    /// Traded base volume (a feature; fills never create volume).
    pub volume: f64,
}

/// A public trade print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Print {
    /// Which pair.
    pub pair: PairId,
    /// Exchange and receipt time.
    pub stamp: Stamp,
    /// Trade price.
    pub price: Price,
    /// Trade quantity.
    pub qty: Qty,
    /// Taker side.
    pub side: Side,
}

/// Market data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MarketEvent {
    /// A closed candle.
    Bar(Bar),
    /// An L2 book snapshot.
    Depth(Depth),
    /// A public trade.
    Print(Print),
}

/// Deterministic client order id (Kraken's `cl_ord_id` / `userref` space).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ClientOrderId(pub u64);

impl ClientOrderId {
    /// Derives an id from the decision that produced the order (FNV-1a over the fields), so a
    /// replay of the same decision produces the same id and the guard refuses it as a duplicate.
    pub fn derive(pair: PairId, decided_ns: i64, seq: u32) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let bytes = [&pair.0.to_le_bytes()[..], &decided_ns.to_le_bytes()[..], &seq.to_le_bytes()[..]].concat();
        for b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Self(h)
    }
}

/// The venue's answer about an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderUpdate {
    /// Acknowledged (after the latency model).
    Accepted {
        /// Order id.
        id: ClientOrderId,
        /// When.
        stamp: Stamp,
    },
    /// Refused by the venue with Kraken's error string.
    Rejected {
        /// Order id.
        id: ClientOrderId,
        /// Kraken's error, e.g. `EOrder:Order minimum not met`.
        reason: String,
        /// When.
        stamp: Stamp,
    },
    /// Nothing more will fill (cancelled, expired, IOC remainder).
    Done {
        /// Order id.
        id: ClientOrderId,
        /// When.
        stamp: Stamp,
    },
}

/// Maker or taker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Liquidity {
    /// Rested on the book.
    Maker,
    /// Took liquidity.
    Taker,
}

/// One execution of our order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    /// Order id.
    pub id: ClientOrderId,
    /// Which pair.
    pub pair: PairId,
    /// Our side.
    pub side: Side,
    /// Executed quantity.
    pub qty: Qty,
    /// Execution price.
    pub price: Price,
    /// Fee charged, in quote currency.
    pub fee: Money,
    /// Maker or taker.
    pub liquidity: Liquidity,
    /// The quote the order met on arrival (candle open or best opposite level): slippage is
    /// measured from it.
    pub reference_price: Price,
    /// Exchange and receipt time.
    pub stamp: Stamp,
}

/// A clock tick delivered as data (paper/live); the engine has no clock of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    /// Current time (ns).
    pub now_ns: i64,
}

/// Kill-switch levels, in escalation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KillLevel {
    /// Trading normally.
    Normal,
    /// Trading, with an alert raised.
    Warn,
    /// Only orders that reduce exposure.
    ReduceOnly,
    /// Closing every position, nothing else.
    Flatten,
    /// Nothing at all.
    Halt,
}

/// Operator and supervisor commands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Control {
    /// Escalate the kill switch (never de-escalates).
    Kill {
        /// Target level.
        level: KillLevel,
        /// Why.
        reason: String,
        /// When.
        at_ns: i64,
    },
    /// Back to normal, explicitly.
    ResetKill {
        /// Why.
        reason: String,
        /// When.
        at_ns: i64,
    },
    /// Stop strategy targets from opening or increasing positions (exits, fills and the kill
    /// switch keep working); entries still waiting to be sent are withdrawn.
    Pause {
        /// Why.
        reason: String,
        /// When.
        at_ns: i64,
    },
    /// Undo a pause: the next strategy target trades normally (the kill switch is unchanged).
    Resume {
        /// Why.
        reason: String,
        /// When.
        at_ns: i64,
    },
    /// The data-quality gate's verdict for a pair (see [`crate::quality`]).
    DataQuality {
        /// Which pair.
        pair: PairId,
        /// May this pair be traded?
        tradable: bool,
        /// The gate's blocking reasons, joined.
        reason: String,
    },
}

/// Everything the engine can be fed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// Market data.
    Market(MarketEvent),
    /// Venue answers about orders.
    Order(OrderUpdate),
    /// Our executions.
    Fill(Fill),
    /// Time passing.
    Timer(Timer),
    /// Operator commands.
    Control(Control),
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn price_scale_round_trips_exact_decimals() {
        let s = PriceScale::new(2).expect("scale");
        assert_eq!(s.ticks_of(dec!(123.61)), Some(12361));
        assert_eq!(s.to_decimal(12361), dec!(123.61));
        assert_eq!(s.ticks_of(dec!(123.611)), None);
    }

    #[test]
    fn client_order_ids_are_deterministic_and_distinct() {
        let a = ClientOrderId::derive(PairId(0), 1_000, 1);
        assert_eq!(a, ClientOrderId::derive(PairId(0), 1_000, 1));
        assert_ne!(a, ClientOrderId::derive(PairId(0), 1_000, 2));
        assert_ne!(a, ClientOrderId::derive(PairId(1), 1_000, 1));
    }
}
