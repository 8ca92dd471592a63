//! The market-data agent: turns a source into bars on the [`Feed`]. Replay sources (candles from
//! the store, a Kraken OHLCVT file) are read once and converted exactly as `cst backtest` does
//! (same validation, same tick scale, same cross-pair merge), then published at the chosen speed.

use super::feed::Feed;
use super::health::{HealthBoard, HealthState};
use super::supervisor::Shutdown;
use cst_core::backtest::bars::{BarSeries, merge, to_bars};
use cst_core::candle::CandleRow;
use cst_core::event::{Bar, PairId, PriceScale};
use cst_core::interval::Interval;
use std::time::Duration;
use tokio::time::Instant;

/// Bars published per step when replaying as fast as possible.
const BURST_BARS: usize = 256;

/// A replay prepared for publishing: every bar in time order and each pair's price scale.
#[derive(Debug, Clone)]
pub struct Replay {
    /// Bars in time order across pairs.
    pub bars: Vec<Bar>,
    /// Price scale per pair id.
    pub scales: Vec<PriceScale>,
    /// Rows refused per pair (reason of the first one).
    pub refused: Vec<(usize, Option<String>)>,
}

impl Replay {
    /// Builds the replay from each pair's candle rows (pair id = position).
    pub fn from_rows(rows: &[Vec<CandleRow>], interval: Interval) -> Self {
        let series: Vec<BarSeries> =
            rows.iter().enumerate().map(|(k, r)| to_bars(PairId(k as u16), r, interval)).collect();
        let bars = merge(&series.iter().map(|s| s.bars.as_slice()).collect::<Vec<_>>());
        let refused = series.iter().map(|s| (s.rejected.len(), s.rejected.first().map(|r| r.reason.clone()))).collect();
        Self { bars, scales: series.iter().map(|s| s.scale).collect(), refused }
    }
}

/// Publishing pace: `speed` times real time (by bar timestamps); 0 = as fast as possible.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Speed factor.
    pub speed: f64,
    /// Bars before this index are published without pause (a restart catching up).
    pub catch_up: usize,
}

/// Publishes `replay` onto `feed` from where the feed ends, then closes it.
pub async fn run_replay(replay: &Replay, feed: &Feed, pace: Pace, board: &HealthBoard, stop: &Shutdown) {
    board.set("market-data", HealthState::Healthy, format!("replaying {} bars", replay.bars.len()));
    let start = feed.published();
    let (t0, wall0) = (replay.bars.get(start.max(pace.catch_up)).map(|b| b.stamp.exchange_ns), Instant::now());
    let mut k = start;
    while k < replay.bars.len() {
        if *stop.borrow() {
            return;
        }
        let end = if pace.speed <= 0.0 || k < pace.catch_up {
            (k + BURST_BARS).min(replay.bars.len())
        } else {
            let bar_ns = replay.bars[k].stamp.exchange_ns;
            let offset_ns = (bar_ns - t0.unwrap_or(bar_ns)) as f64 / pace.speed;
            tokio::time::sleep_until(wall0 + Duration::from_nanos(offset_ns.max(0.0) as u64)).await;
            // Every bar of the same close time goes out together.
            k + replay.bars[k..].iter().take_while(|b| b.stamp.exchange_ns == bar_ns).count()
        };
        feed.push(&replay.bars[k..end]);
        k = end;
        tokio::task::yield_now().await;
    }
    feed.close();
    board.set("market-data", HealthState::Healthy, format!("replay complete: {} bars", replay.bars.len()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use cst_core::backtest::bars::parse_ohlcvt;

    fn q1_rows() -> Vec<CandleRow> {
        parse_ohlcvt(&cst_testdata::read_text("kraken/ohlcvt/intraday-2023/q1-btc/XBTUSD_60.csv")).0
    }

    #[tokio::test]
    async fn replay_publishes_every_real_bar_once_in_order_then_closes() {
        let replay = Replay::from_rows(&[q1_rows()], Interval::H1);
        assert_eq!(replay.bars.len(), 2160);
        let (feed, board) = (Feed::default(), HealthBoard::default());
        let (_tx, stop) = tokio::sync::watch::channel(false);
        run_replay(&replay, &feed, Pace { speed: 0.0, catch_up: 0 }, &board, &stop).await;
        assert!(feed.is_closed());
        let mut out = Vec::new();
        feed.read(0, usize::MAX, &mut out);
        assert_eq!(out, replay.bars);
    }

    #[tokio::test]
    async fn restarted_replay_continues_where_the_feed_ends() {
        let replay = Replay::from_rows(&[q1_rows()], Interval::H1);
        let (feed, board) = (Feed::default(), HealthBoard::default());
        feed.push(&replay.bars[..1000]);
        let (_tx, stop) = tokio::sync::watch::channel(false);
        run_replay(&replay, &feed, Pace { speed: 0.0, catch_up: 0 }, &board, &stop).await;
        let mut out = Vec::new();
        feed.read(0, usize::MAX, &mut out);
        assert_eq!(out, replay.bars);
    }
}
