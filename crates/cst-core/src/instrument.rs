//! Kraken pair metadata (`AssetPairs`): precision, minimums, status and fee schedules.

use crate::num::{Qty, parse_decimal, step_from_decimals};
use crate::pair::{Pair, UnknownPair, normalize_asset};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Trading status of a pair as Kraken reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairStatus {
    /// Trading normally (also assumed when an older response has no `status`).
    Online,
    /// Only cancels accepted.
    CancelOnly,
    /// Only post-only limit orders accepted.
    PostOnly,
    /// Only limit orders accepted.
    LimitOnly,
    /// Only reducing orders accepted.
    ReduceOnly,
    /// Any status we do not know: treated as not tradable.
    Other,
}

/// One fee tier: from `volume` (30-day, in the fee volume currency) the fee is `percent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeeTier {
    /// 30-day volume from which the tier applies.
    pub volume: Decimal,
    /// Fee in percent of notional.
    pub percent: Decimal,
}

/// A tradable Kraken spot pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instrument {
    /// REST result key (`XXBTZUSD`).
    pub key: String,
    /// Altname (`XBTUSD`).
    pub altname: String,
    /// Canonical pair (`XBT/USD`), from the wsname.
    pub pair: Pair,
    /// Price decimals; the tick size is `10^-pair_decimals` unless `tick_size` says otherwise.
    pub pair_decimals: u32,
    /// Volume decimals (lot step `10^-lot_decimals`).
    pub lot_decimals: u32,
    /// Cost decimals (quote precision of notional), when Kraken states it.
    pub cost_decimals: Option<u32>,
    /// Minimum price increment.
    pub tick_size: Decimal,
    /// Minimum order volume in base units.
    pub ordermin: Qty,
    /// Minimum order cost in quote units, when Kraken states it.
    pub costmin: Option<Decimal>,
    /// Trading status.
    pub status: PairStatus,
    /// Taker fee schedule.
    pub fees: Vec<FeeTier>,
    /// Maker fee schedule (Kraken omits it for some pairs: then maker = taker).
    pub fees_maker: Vec<FeeTier>,
}

/// Why an AssetPairs response could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum InstrumentError {
    /// Not the JSON shape Kraken documents.
    #[error("AssetPairs JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Kraken answered with errors.
    #[error("Kraken returned errors: {0:?}")]
    Kraken(Vec<String>),
    /// One pair entry is malformed.
    #[error("AssetPairs entry {key}: {reason}")]
    Entry {
        /// The result key.
        key: String,
        /// What was wrong.
        reason: String,
    },
}

#[derive(Deserialize)]
struct Envelope {
    error: Vec<String>,
    #[serde(default)]
    result: BTreeMap<String, WirePair>,
}

#[derive(Deserialize)]
struct WirePair {
    altname: String,
    wsname: Option<String>,
    base: String,
    quote: String,
    pair_decimals: u32,
    lot_decimals: u32,
    cost_decimals: Option<u32>,
    tick_size: Option<String>,
    ordermin: Option<String>,
    costmin: Option<String>,
    status: Option<String>,
    #[serde(default)]
    fees: Vec<(Decimal, Decimal)>,
    #[serde(default)]
    fees_maker: Vec<(Decimal, Decimal)>,
}

fn tiers(raw: Vec<(Decimal, Decimal)>) -> Vec<FeeTier> {
    raw.into_iter().map(|(volume, percent)| FeeTier { volume, percent }).collect()
}

fn status(raw: Option<&str>) -> PairStatus {
    match raw {
        None | Some("online") => PairStatus::Online,
        Some("cancel_only") => PairStatus::CancelOnly,
        Some("post_only") => PairStatus::PostOnly,
        Some("limit_only") => PairStatus::LimitOnly,
        Some("reduce_only") => PairStatus::ReduceOnly,
        Some(_) => PairStatus::Other,
    }
}

impl WirePair {
    fn into_instrument(self, key: String) -> Result<Instrument, InstrumentError> {
        let bad = |reason: String| InstrumentError::Entry { key: key.clone(), reason };
        let pair = match &self.wsname {
            Some(ws) => ws.parse::<Pair>(),
            None => Pair::new(&normalize_asset(&self.base), &normalize_asset(&self.quote)),
        }
        .map_err(|e: UnknownPair| bad(e.to_string()))?;
        let dec = |t: &Option<String>| t.as_deref().map(parse_decimal).transpose();
        let tick_size = dec(&self.tick_size)
            .map_err(|e| bad(e.to_string()))?
            .unwrap_or_else(|| step_from_decimals(self.pair_decimals));
        let ordermin = dec(&self.ordermin).map_err(|e| bad(e.to_string()))?.unwrap_or_default();
        let fees = tiers(self.fees);
        let fees_maker = if self.fees_maker.is_empty() { fees.clone() } else { tiers(self.fees_maker) };
        Ok(Instrument {
            pair,
            altname: self.altname,
            pair_decimals: self.pair_decimals,
            lot_decimals: self.lot_decimals,
            cost_decimals: self.cost_decimals,
            tick_size,
            ordermin: Qty::new(ordermin).map_err(|e| bad(e.to_string()))?,
            costmin: dec(&self.costmin).map_err(|e| bad(e.to_string()))?,
            status: status(self.status.as_deref()),
            fees,
            fees_maker,
            key,
        })
    }
}

impl Instrument {
    /// The lot step, `10^-lot_decimals`.
    pub fn lot_step(&self) -> Decimal {
        step_from_decimals(self.lot_decimals)
    }

    /// Taker and maker fee percent for a 30-day volume (the highest tier reached).
    pub fn fee_percent(&self, volume_30d: Decimal) -> (Decimal, Decimal) {
        let pick = |t: &[FeeTier]| {
            t.iter().filter(|f| f.volume <= volume_30d).map(|f| f.percent).next_back().unwrap_or_default()
        };
        (pick(&self.fees), pick(&self.fees_maker))
    }
}

/// All instruments of one AssetPairs response, found by any of Kraken's spellings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InstrumentSet {
    by_pair: BTreeMap<Pair, Instrument>,
}

impl InstrumentSet {
    /// Parses a full `GET /0/public/AssetPairs` response body.
    pub fn from_asset_pairs_json(body: &str) -> Result<Self, InstrumentError> {
        let env: Envelope = serde_json::from_str(body)?;
        if !env.error.is_empty() {
            return Err(InstrumentError::Kraken(env.error));
        }
        let mut by_pair = BTreeMap::new();
        for (key, wire) in env.result {
            // Dark-pool twins (`XXBTZUSD.d`) have no wsname and share the lit pair's name.
            if key.ends_with(".d") {
                continue;
            }
            let inst = wire.into_instrument(key)?;
            by_pair.insert(inst.pair.clone(), inst);
        }
        Ok(Self { by_pair })
    }

    /// Looks up by wsname, altname, REST key or v2 symbol.
    pub fn get(&self, name: &str) -> Option<&Instrument> {
        if let Some(i) = self.by_pair.values().find(|i| i.key == name || i.altname == name) {
            return Some(i);
        }
        name.parse::<Pair>().ok().and_then(|p| self.by_pair.get(&p))
    }

    /// Number of instruments.
    pub fn len(&self) -> usize {
        self.by_pair.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.by_pair.is_empty()
    }

    /// Iterates in pair order.
    pub fn iter(&self) -> impl Iterator<Item = &Instrument> {
        self.by_pair.values()
    }
}
