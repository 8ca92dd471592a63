//! The simulated Kraken venue for backtest and paper: Kraken's fee schedule by 30-day volume
//! tier (AssetPairs `fees` / `fees_maker`), a seeded latency model (jitter only, never prices),
//! candle fills without lookahead (see [`candle_fill`]), L2 fills by walking the book with
//! partial fills and queue position for resting limits, and Kraken's order checks with its
//! exact error strings.

mod candle_fill;
pub mod checks;
mod l2_fill;

use crate::event::{Bar, ClientOrderId, Event, Fill, Liquidity, OrderUpdate, PriceScale, Stamp};
use crate::instrument::Instrument;
use crate::num::{Money, Price, Qty, decimal_from_f64};
use crate::order::{OrderIntent, OrderKind};
use crate::risk::ApprovedOrder;
use crate::strategy::{ConfigError, check_range};
use crate::trade::Side;
use candle_fill::{Range, candle_price, path_position};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

pub use crate::depth::Depth;

/// Venue settings (`[venue]` in a strategy file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VenueConfig {
    /// Fixed order latency (ms).
    pub latency_ms: u64,
    /// Uniform extra latency 0..=jitter (ms), from a seeded generator.
    pub jitter_ms: u64,
    /// Seed of the latency generator.
    pub seed: u64,
    /// Slippage of candle market/stop fills against us (bps), clamped into the candle's range.
    pub slippage_bps: f64,
    /// Largest share of a candle's volume one order may take.
    pub max_participation: f64,
    /// 30-day volume (quote) before the run, for the starting fee tier.
    pub volume_30d_quote: f64,
}

impl Default for VenueConfig {
    fn default() -> Self {
        Self {
            latency_ms: 50,
            jitter_ms: 50,
            seed: 7,
            slippage_bps: 5.0,
            max_participation: 0.25,
            volume_30d_quote: 0.0,
        }
    }
}

impl VenueConfig {
    /// Range checks, naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range("venue.latency_ms", self.latency_ms as f64, 0.0, 60_000.0)?;
        check_range("venue.jitter_ms", self.jitter_ms as f64, 0.0, 60_000.0)?;
        check_range("venue.slippage_bps", self.slippage_bps, 0.0, 1_000.0)?;
        check_range("venue.max_participation", self.max_participation, 0.0001, 1.0)?;
        check_range("venue.volume_30d_quote", self.volume_30d_quote, 0.0, 1e12)
    }
}

/// A pair the venue trades: Kraken's metadata plus the tick scale of our bars.
#[derive(Debug, Clone, PartialEq)]
pub struct VenuePair {
    /// AssetPairs metadata (precision, minimums, fee tiers, status).
    pub instrument: Instrument,
    /// Price scale of the bars fed for this pair.
    pub scale: PriceScale,
}

/// An order on the venue, not yet done.
#[derive(Debug, Clone)]
struct Working {
    order: OrderIntent,
    remaining: Decimal,
    arrival_ns: i64,
    /// L2 mode: quantity ahead of us at our price level; `None` until it rests on a book.
    queue_ahead: Option<Decimal>,
    /// Taker and maker fee rates (fractions) of the tier when the order was placed.
    fee_percent: (Decimal, Decimal),
}

/// The simulated venue and the account it holds.
#[derive(Debug, Clone)]
pub struct SimVenue {
    config: VenueConfig,
    pairs: Vec<VenuePair>,
    balances: BTreeMap<String, Decimal>,
    working: Vec<Working>,
    books: Vec<Option<Depth>>,
    last_close: Vec<Option<i64>>,
    rng: u64,
    fee_days: VecDeque<(i64, Decimal)>,
    fee_days_sum: Decimal,
    volume_before_quote: Decimal,
    slip: Decimal,
    due: Vec<(Decimal, usize)>,
    finished: Vec<usize>,
    /// Orders rejected with a Kraken error.
    pub rejected: u64,
}

const DAY_NS: i64 = 86_400_000_000_000;

impl SimVenue {
    /// A venue for `pairs` (indexed by pair id) holding `balances`.
    pub fn new(config: VenueConfig, pairs: Vec<VenuePair>, balances: BTreeMap<String, Decimal>) -> Self {
        let n = pairs.len();
        let slip = decimal_from_f64(config.slippage_bps / 10_000.0).unwrap_or_default();
        let start = decimal_from_f64(config.volume_30d_quote).unwrap_or_default();
        Self {
            rng: config.seed ^ 0x9e37_79b9_7f4a_7c15,
            config,
            pairs,
            balances,
            working: Vec::new(),
            books: vec![None; n],
            last_close: vec![None; n],
            fee_days: VecDeque::with_capacity(32),
            fee_days_sum: Decimal::ZERO,
            volume_before_quote: start,
            due: Vec::new(),
            finished: Vec::new(),
            slip,
            rejected: 0,
        }
    }

    /// The pairs this venue trades.
    pub fn pairs(&self) -> &[VenuePair] {
        &self.pairs
    }

    /// The venue's balances.
    pub fn balances(&self) -> &BTreeMap<String, Decimal> {
        &self.balances
    }

    /// Orders still working.
    pub fn working_count(&self) -> usize {
        self.working.len()
    }

    /// 30-day traded volume (quote) that sets the fee tier: the configured outside volume plus
    /// this run's fills of the last 30 UTC days.
    pub fn volume_30d(&self) -> Decimal {
        self.volume_before_quote + self.fee_days_sum
    }

    /// Taker and maker fee percent at the current tier for a pair.
    pub fn fee_percent(&self, inst: &Instrument) -> (Decimal, Decimal) {
        inst.fee_percent(self.volume_30d())
    }

    fn latency_ns(&mut self) -> i64 {
        // SplitMix64: deterministic for a seed; used for latency only, never for prices.
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let jitter = if self.config.jitter_ms == 0 { 0 } else { z % (self.config.jitter_ms + 1) };
        ((self.config.latency_ms + jitter) * 1_000_000) as i64
    }

    /// Submits an approved order decided at `now_ns`; answers are appended to `out`.
    pub fn submit(&mut self, order: ApprovedOrder, now_ns: i64, out: &mut Vec<Event>) {
        let o = *order.intent();
        let stamp = Stamp::at(now_ns);
        if let Err(reason) = self.validate(&o) {
            self.rejected += 1;
            out.push(Event::Order(OrderUpdate::Rejected { id: o.id, reason, stamp }));
            return;
        }
        let arrival_ns = now_ns + self.latency_ns();
        out.push(Event::Order(OrderUpdate::Accepted { id: o.id, stamp: Stamp::at(arrival_ns) }));
        let (taker, maker) = self.fee_percent(&self.pairs[o.pair.index()].instrument);
        // Kept as rates (percent / 100, an exact decimal shift) so fills only multiply.
        let fee_percent = (taker / Decimal::ONE_HUNDRED, maker / Decimal::ONE_HUNDRED);
        self.working.push(Working { order: o, remaining: o.qty.value(), arrival_ns, queue_ahead: None, fee_percent });
    }

    fn validate(&self, o: &OrderIntent) -> Result<(), String> {
        let inst = &self.pairs.get(o.pair.index()).ok_or(checks::UNKNOWN_PAIR)?.instrument;
        let price = o
            .kind
            .limit_price()
            .map(Price::value)
            .or_else(|| self.last_mark(o.pair.index()))
            .unwrap_or(o.decision_price.value());
        checks::check_order(inst, o, price)?;
        let (taker, _) = self.fee_percent(inst);
        let (asset, need) = match o.side {
            Side::Buy => (inst.pair.quote(), o.qty.value() * price * (Decimal::ONE + taker / Decimal::ONE_HUNDRED)),
            Side::Sell => (inst.pair.base(), o.qty.value()),
        };
        if self.available(asset) < need {
            return Err(checks::INSUFFICIENT_FUNDS.to_string());
        }
        Ok(())
    }

    /// Balance minus what working orders already hold.
    fn available(&self, asset: &str) -> Decimal {
        let held: Decimal = self
            .working
            .iter()
            .filter_map(|w| {
                let pair = &self.pairs[w.order.pair.index()].instrument.pair;
                let price = w.order.kind.limit_price().map(Price::value).unwrap_or(w.order.decision_price.value());
                match w.order.side {
                    Side::Buy if pair.quote() == asset => Some(w.remaining * price),
                    Side::Sell if pair.base() == asset => Some(w.remaining),
                    _ => None,
                }
            })
            .sum();
        self.balances.get(asset).copied().unwrap_or_default() - held
    }

    /// Cancels a working order.
    pub fn cancel(&mut self, id: ClientOrderId, now_ns: i64, out: &mut Vec<Event>) {
        if let Some(k) = self.working.iter().position(|w| w.order.id == id) {
            self.working.remove(k);
            out.push(Event::Order(OrderUpdate::Done { id, stamp: Stamp::at(now_ns) }));
        }
    }

    /// A closed candle: fills working orders that this candle may fill (never the decision
    /// candle itself). Cheap when nothing is working.
    #[inline]
    pub fn on_bar(&mut self, bar: &Bar, out: &mut Vec<Event>) {
        let i = bar.pair.index();
        if let Some(c) = self.last_close.get_mut(i) {
            *c = Some(bar.close);
        }
        if self.working.is_empty() {
            return;
        }
        let Some(scale) = self.pairs.get(i).map(|p| p.scale) else { return };
        let r = Range {
            open: scale.to_decimal(bar.open),
            high: scale.to_decimal(bar.high),
            low: scale.to_decimal(bar.low),
            close: scale.to_decimal(bar.close),
        };
        let mut due = std::mem::take(&mut self.due);
        due.clear();
        let working = &self.working;
        due.extend(
            (0..working.len())
                .filter(|&k| {
                    let w = &working[k];
                    w.order.pair == bar.pair
                        && w.queue_ahead.is_none()
                        && bar.open_time_ns >= w.order.decided_ns
                        && bar.stamp.exchange_ns > w.arrival_ns
                })
                .map(|k| {
                    (working[k].order.kind.limit_price().map_or(Decimal::ZERO, |p| path_position(&r, p.value())), k)
                }),
        );
        due.sort();
        let mut finished = std::mem::take(&mut self.finished);
        finished.clear();
        for &(_, k) in &due {
            if self.fill_on_candle(k, bar, &r, out) {
                finished.push(k);
            }
        }
        finished.sort_unstable();
        for &k in finished.iter().rev() {
            self.working.remove(k);
        }
        (self.due, self.finished) = (due, finished);
    }

    /// Last known price of a pair: best mid of its book, else the last candle close.
    fn last_mark(&self, i: usize) -> Option<Decimal> {
        if let Some(mid) = self.books.get(i).and_then(|b| b.as_ref()).and_then(Depth::mid) {
            return Some(mid.value());
        }
        let scale = self.pairs.get(i)?.scale;
        self.last_close.get(i).copied().flatten().map(|t| scale.to_decimal(t))
    }

    /// Fills one working order on a candle; true when the order is done.
    fn fill_on_candle(&mut self, k: usize, bar: &Bar, r: &Range, out: &mut Vec<Event>) -> bool {
        let w = &self.working[k];
        let (order, remaining, arrival_ns) = (w.order, w.remaining, w.arrival_ns);
        let w = Working { order, remaining, arrival_ns, queue_ahead: None, fee_percent: w.fee_percent };
        let resting = w.arrival_ns <= bar.open_time_ns;
        let dp = self.pairs[bar.pair.index()].instrument.pair_decimals;
        let Some((price, liq)) = candle_price(&w.order.kind, w.order.side, r, self.slip, dp, resting) else {
            let ioc = matches!(w.order.kind, OrderKind::Ioc { .. });
            let post_cross = matches!(w.order.kind, OrderKind::Limit { post_only: true, .. }) && !resting;
            if ioc || post_cross {
                out.push(Event::Order(OrderUpdate::Done { id: w.order.id, stamp: Stamp::at(bar.open_time_ns) }));
            }
            return ioc || post_cross;
        };
        // The participation cap in whole lots, computed in f64 then made exact (volume is a feature).
        let lot_dp = self.pairs[bar.pair.index()].instrument.lot_decimals;
        let cap_lots = (bar.volume * self.config.max_participation * 10f64.powi(lot_dp as i32)).floor();
        let cap = Decimal::new(cap_lots.clamp(0.0, i64::MAX as f64) as i64, lot_dp);
        let qty = w.remaining.min(cap);
        let reference = Price::new(r.open).ok();
        let stamp = Stamp::at(bar.open_time_ns.max(w.arrival_ns));
        if let (false, Some(reference)) = (qty.is_zero(), reference) {
            self.execute(k, qty, price, liq, reference, stamp, out);
        }
        let done = self.working[k].remaining.is_zero() || matches!(w.order.kind, OrderKind::Ioc { .. });
        if done {
            out.push(Event::Order(OrderUpdate::Done { id: w.order.id, stamp }));
        }
        done
    }

    /// Books one execution: fee at the tier of the order's placement, balances, 30-day volume; emits the fill.
    #[allow(clippy::too_many_arguments)]
    fn execute(
        &mut self,
        k: usize,
        qty: Decimal,
        price: Decimal,
        liq: Liquidity,
        reference: Price,
        stamp: Stamp,
        out: &mut Vec<Event>,
    ) {
        let (o, (taker, maker)) = (self.working[k].order, self.working[k].fee_percent);
        let inst = &self.pairs[o.pair.index()].instrument;
        let pct = if liq == Liquidity::Maker { maker } else { taker };
        let fee_dp = inst.cost_decimals.unwrap_or(8);
        let fee_of = |q: Decimal| (q * price * pct).round_dp(fee_dp);
        let (base, quote) = (inst.pair.base(), inst.pair.quote());
        let mut qty = qty;
        if o.side == Side::Buy {
            // Funds are checked at placement; if price moved against us, fill what the cash covers.
            let cash = self.balances.get(quote).copied().unwrap_or_default();
            if qty * price + fee_of(qty) > cash {
                let per_unit = price * (Decimal::ONE + pct);
                qty = ((cash / per_unit) / inst.lot_step()).floor() * inst.lot_step();
                self.working[k].remaining = qty;
            }
        }
        let (Ok(q), Ok(p)) = (Qty::new(qty), Price::new(price)) else { return };
        if q.is_zero() {
            return;
        }
        let fee = fee_of(qty);
        let gross = qty * price;
        let signed = if o.side == Side::Buy { Decimal::ONE } else { Decimal::NEGATIVE_ONE };
        add_to(&mut self.balances, base, signed * qty);
        add_to(&mut self.balances, quote, -signed * gross - fee);
        self.working[k].remaining -= qty;
        self.add_volume(stamp.exchange_ns, gross);
        let fill = Fill {
            id: o.id,
            pair: o.pair,
            side: o.side,
            qty: q,
            price: p,
            fee: Money::new(fee),
            liquidity: liq,
            reference_price: reference,
            stamp,
        };
        out.push(Event::Fill(fill));
    }

    fn add_volume(&mut self, now_ns: i64, notional: Decimal) {
        let day = now_ns.div_euclid(DAY_NS);
        while let Some(&(d, v)) = self.fee_days.front() {
            if d > day - 30 {
                break;
            }
            self.fee_days_sum -= v;
            self.fee_days.pop_front();
        }
        self.fee_days_sum += notional;
        match self.fee_days.back_mut() {
            Some((d, v)) if *d == day => *v += notional,
            _ => self.fee_days.push_back((day, notional)),
        }
    }
}

/// Adds to a balance without allocating when the asset is already held.
fn add_to(balances: &mut BTreeMap<String, Decimal>, asset: &str, delta: Decimal) {
    match balances.get_mut(asset) {
        Some(b) => *b += delta,
        None => {
            balances.insert(asset.to_string(), delta);
        }
    }
}
