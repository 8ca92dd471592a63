//! Candle download for the store: Kraken's OHLC endpoint gives only the latest 720 candles of
//! an interval, so history before that window is rebuilt from public trades (paged with the
//! `last` cursor) with the same aggregation Kraken uses. Everything passes the data-quality gate
//! before it is returned; nothing is filled in.
//!
//! Rules: REST OHLC repeats the previous close in intervals without trades (volume 0); those
//! rows are dropped, as in Kraken's own CSV dumps. The newest OHLC candle is still open and is
//! dropped until it closes. Where trade-built candles and Kraken's OHLC cover the same interval
//! they must agree exactly, or the sync fails.

use crate::error::RestError;
use crate::rest::RestClient;
use crate::rest::public::{OHLC_MAX_CANDLES, OhlcPage, PublicTrade};
use cst_core::aggregate::{AggregateError, aggregate_trades};
use cst_core::candle::CandleRow;
use cst_core::interval::Interval;
use cst_core::pair::Pair;
use cst_core::quality::{GateMode, QualityReport, assess};
use cst_core::time::Timestamp;
use cst_core::trade::Trade;
use std::collections::BTreeMap;

/// What to sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRequest {
    /// The pair.
    pub pair: Pair,
    /// The candle interval.
    pub interval: Interval,
    /// Rebuild history from this unix second (aligned down to the interval) when it is older
    /// than the OHLC window; None = the OHLC window only.
    pub since_secs: Option<i64>,
    /// At most this many Trades pages (1000 trades each) per pair.
    pub max_trade_pages: usize,
}

/// The validated result of one pair's sync.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncOutcome {
    /// Candles, ascending, validated by the gate.
    pub rows: Vec<CandleRow>,
    /// Rows taken from Kraken's OHLC.
    pub from_ohlc: usize,
    /// Rows built from trades (before the OHLC window).
    pub from_trades: usize,
    /// OHLC rows without trades (dropped).
    pub dropped_no_trade: usize,
    /// The still-open newest candle (dropped), if any.
    pub dropped_open: usize,
    /// Intervals where trade-built and OHLC candles were both available and compared.
    pub overlap_compared: usize,
    /// Trades pages fetched.
    pub trade_pages: usize,
    /// The data-quality report of `rows`.
    pub report: QualityReport,
}

/// Why a sync failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The REST client failed.
    #[error(transparent)]
    Rest(#[from] RestError),
    /// The trades could not be aggregated (out of order, duplicate).
    #[error("trades: {0}")]
    Aggregate(#[from] AggregateError),
    /// Trade-built candles disagree with Kraken's OHLC for the same interval.
    #[error("trade-built candle at {time} disagrees with Kraken's OHLC: built {built:?}, kraken {kraken:?}")]
    Disagreement {
        /// Open time, unix seconds.
        time: i64,
        /// Ours.
        built: Box<CandleRow>,
        /// Kraken's.
        kraken: Box<CandleRow>,
    },
    /// The data-quality gate refused the result.
    #[error("data-quality gate failed: {}", .0.join("; "))]
    Gate(Vec<String>),
}

/// OHLC rows worth storing: closed and with at least one trade. Kraken documents the last
/// entry as the current, uncommitted frame, so it is never stored, whatever the local clock
/// says; any other entry not closed by `now_secs` is dropped too.
/// Returns (rows, dropped_no_trade, dropped_open).
pub fn closed_traded_rows(page: &OhlcPage, interval: Interval, now_secs: i64) -> (Vec<CandleRow>, usize, usize) {
    let (mut rows, mut no_trade, mut open) = (Vec::new(), 0, 0);
    let last = page.bars.len().saturating_sub(1);
    for (i, bar) in page.bars.iter().enumerate() {
        if i == last || bar.row.time + interval.secs() > now_secs {
            open += 1;
        } else if bar.row.trades == 0 {
            no_trade += 1;
        } else {
            rows.push(bar.row.clone());
        }
    }
    (rows, no_trade, open)
}

/// Trades fetched from `since_ns` on, and how far they certainly cover (ns, exclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TradeHistory {
    /// Trades in exchange order, none before `since_ns`.
    pub trades: Vec<Trade>,
    /// Every trade before this time is in `trades` (the end of the last page, or the latest
    /// trade when Kraken had nothing newer).
    pub covered_until_ns: i64,
    /// Pages fetched.
    pub pages: usize,
}

/// Pages through `Trades` from `since_ns` until `until_ns` is passed, Kraken has nothing newer,
/// or `max_pages` is reached.
pub async fn fetch_trades(
    client: &RestClient,
    rest_pair: &str,
    since_ns: i64,
    until_ns: i64,
    max_pages: usize,
) -> Result<TradeHistory, RestError> {
    let mut history = TradeHistory { covered_until_ns: since_ns, ..TradeHistory::default() };
    let mut cursor = since_ns.to_string();
    while history.pages < max_pages {
        let page = client.trades(rest_pair, Some(&cursor), Some(1000)).await?;
        history.pages += 1;
        let last_seen = history.trades.last().map(|t| t.time.as_nanos()).unwrap_or(i64::MIN);
        let fresh: Vec<Trade> = page
            .trades
            .into_iter()
            .map(|t: PublicTrade| t.trade)
            .filter(|t| t.time.as_nanos() >= since_ns && t.time.as_nanos() > last_seen)
            .collect();
        let exhausted = fresh.is_empty() || page.last == cursor;
        if let Some(t) = fresh.last() {
            history.covered_until_ns = t.time.as_nanos();
        }
        history.trades.extend(fresh);
        if exhausted || history.covered_until_ns >= until_ns {
            break;
        }
        cursor = page.last;
    }
    Ok(history)
}

/// Candles built from trades for the intervals the trades fully cover: from `from_secs`
/// (where fetching started) to the interval holding `covered_until_ns` (exclusive).
pub fn trade_candles(
    history: &TradeHistory,
    interval: Interval,
    from_secs: i64,
) -> Result<BTreeMap<i64, CandleRow>, AggregateError> {
    let end = interval.floor_secs(history.covered_until_ns.div_euclid(1_000_000_000));
    let built = aggregate_trades(&history.trades, interval, 8)?;
    Ok(built.into_iter().filter(|c| c.row.time >= from_secs && c.row.time < end).map(|c| (c.row.time, c.row)).collect())
}

/// Joins trade-built history (before the OHLC window) with the OHLC rows, checking that both
/// agree wherever both exist. Returns (rows ascending, from_trades, compared).
pub fn merge(
    ohlc_rows: &[CandleRow],
    ohlc_first_secs: Option<i64>,
    built: &BTreeMap<i64, CandleRow>,
) -> Result<(Vec<CandleRow>, usize, usize), SyncError> {
    let window_start = ohlc_first_secs.unwrap_or(i64::MAX);
    let by_time: BTreeMap<i64, &CandleRow> = ohlc_rows.iter().map(|r| (r.time, r)).collect();
    let mut compared = 0;
    for (t, b) in built.range(window_start..) {
        compared += 1;
        match by_time.get(t) {
            Some(k) if *k == b => {}
            other => {
                let kraken = other.map(|k| (*k).clone()).unwrap_or_else(|| CandleRow { trades: 0, ..b.clone() });
                return Err(SyncError::Disagreement { time: *t, built: Box::new(b.clone()), kraken: Box::new(kraken) });
            }
        }
    }
    let history: Vec<CandleRow> = built.range(..window_start).map(|(_, r)| r.clone()).collect();
    let from_trades = history.len();
    let mut rows = history;
    rows.extend(ohlc_rows.iter().cloned());
    Ok((rows, from_trades, compared))
}

/// Writes trade-built prices with the digits Kraken's OHLC uses for the pair (trades carry
/// `105410.10000`, OHLC `105410.1`), so stored text is uniform; never drops a significant digit.
pub fn match_price_scale(rows: &mut BTreeMap<i64, CandleRow>, price_scale: u32) {
    let fit = |d: &mut rust_decimal::Decimal| {
        if d.scale() > price_scale && d.round_dp(price_scale) == *d {
            d.rescale(price_scale);
        }
    };
    for r in rows.values_mut() {
        for d in [&mut r.open, &mut r.high, &mut r.low, &mut r.close] {
            fit(d);
        }
    }
}

/// Syncs one pair: OHLC window, trade-built history before it, overlap check, quality gate.
pub async fn sync_pair(client: &RestClient, req: &SyncRequest, now_secs: i64) -> Result<SyncOutcome, SyncError> {
    let rest_pair = req.pair.altname();
    let page = client.ohlc(&rest_pair, req.interval, None).await?;
    if page.bars.len() > OHLC_MAX_CANDLES + 1 {
        tracing::warn!(bars = page.bars.len(), "OHLC returned more candles than documented");
    }
    let (ohlc_rows, dropped_no_trade, dropped_open) = closed_traded_rows(&page, req.interval, now_secs);
    let window_start = page.bars.first().map(|b| b.row.time);
    let mut built = BTreeMap::new();
    let mut trade_pages = 0;
    if let (Some(since), Some(start)) = (req.since_secs, window_start) {
        let from = req.interval.floor_secs(since);
        if from < start {
            let until_ns = (now_secs.min(start + req.interval.secs() * OHLC_MAX_CANDLES as i64)) * 1_000_000_000;
            let history = fetch_trades(client, &rest_pair, from * 1_000_000_000, until_ns, req.max_trade_pages).await?;
            trade_pages = history.pages;
            built = trade_candles(&history, req.interval, from)?;
            if let Some(scale) = page.bars.iter().map(|b| b.row.open.scale()).max() {
                match_price_scale(&mut built, scale);
            }
        }
    }
    let (rows, from_trades, overlap_compared) = merge(&ohlc_rows, window_start, &built)?;
    let now = Timestamp::from_secs(now_secs).ok();
    let report = assess(&req.pair.wsname(), req.interval, &rows, now, GateMode::Research);
    if !report.is_tradable() {
        return Err(SyncError::Gate(report.blocking_reasons(GateMode::Research)));
    }
    Ok(SyncOutcome {
        from_ohlc: ohlc_rows.len(),
        rows,
        from_trades,
        dropped_no_trade,
        dropped_open,
        overlap_compared,
        trade_pages,
        report,
    })
}
