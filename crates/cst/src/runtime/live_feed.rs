//! The live market-data agent: Kraken's WebSocket v2 `ohlc` channel → final candles
//! ([`LiveCandles`]) → the candle store → the [`Feed`].
//!
//! Each (re)start of the agent (the supervisor restarts it with backoff after a disconnect)
//! connects and subscribes, then backfills the candles missed since each pair's last final one
//! from REST OHLC through the same rules, and only then reads the stream. Every bar is written
//! to the candle store *before* the engine sees it, so after a process restart
//! [`catch_up`] rebuilds exactly the bars the journal was made from.

use super::feed::Feed;
use super::health::{HealthBoard, HealthState};
use super::live_candles::{FeedQuality, LiveCandles, Source};
use super::supervisor::{Shutdown, stopped};
use cst_core::backtest::bars::merge;
use cst_core::candle::CandleRow;
use cst_core::event::{Bar, PairId, PriceScale, Stamp};
use cst_core::interval::Interval;
use cst_core::pair::Pair;
use cst_kraken::rest::{RestClient, RestConfig};
use cst_kraken::sync::closed_traded_rows;
use cst_kraken::ws::ohlc::{OhlcConnection, OhlcKind, OhlcMessage, OhlcReadError};
use cst_store::Store;
use cst_store::journal::RunRecord;
use rust_decimal::prelude::ToPrimitive;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// Kraken's production WebSocket v2 endpoint.
pub const KRAKEN_WS_URL: &str = "wss://ws.kraken.com/v2";
/// How often open candles are checked against the clock when no message arrives.
const TICK: Duration = Duration::from_millis(250);

/// Where and how to read the live feed.
#[derive(Debug, Clone)]
pub struct LiveSource {
    /// WebSocket v2 URL.
    pub ws_url: String,
    /// REST root for the OHLC backfill.
    pub rest_url: String,
    /// Pairs (pair id = position).
    pub pairs: Vec<Pair>,
    /// Candle interval.
    pub interval: Interval,
    /// Each pair's price scale (its instrument's price decimals).
    pub scales: Vec<PriceScale>,
    /// An open candle is final this long after its interval ended without a later one.
    pub grace_secs: i64,
    /// Silence (no message, heartbeats included) after which the feed is stale.
    pub stale_after: Duration,
    /// Stored bars to publish first (a restarted run rebuilding its engine).
    pub catch_up: Vec<Bar>,
}

/// A live source and where each pair resumes (its last stored final candle after a restart).
#[derive(Debug, Clone)]
pub struct LivePlan {
    /// The source.
    pub source: LiveSource,
    /// Per pair, the last final candle to resume after ([`catch_up`]).
    pub resume: Vec<Option<CandleRow>>,
}

/// State that outlives a connection.
struct LiveState {
    candles: LiveCandles,
    /// Kraken's clock minus ours (ns), from the last message's timestamp.
    offset_ns: i64,
    connections: u64,
    store_refusals: u64,
    /// Counters already exported as metrics.
    reported: FeedQuality,
}

/// The supervised agent (cloned for every restart; the state is shared).
#[derive(Clone)]
pub struct LiveFeedAgent {
    source: Arc<LiveSource>,
    state: Arc<tokio::sync::Mutex<LiveState>>,
    feed: Feed,
    store: Store,
    board: HealthBoard,
    stop: Shutdown,
}

fn now_ns() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// The bar of a stored or live candle at a fixed price scale; `Err` says why it cannot be one.
pub fn bar_of(pair: PairId, row: &CandleRow, interval: Interval, scale: PriceScale) -> Result<Bar, String> {
    row.validate(interval).map_err(|e| e.to_string())?;
    let ticks = [row.open, row.high, row.low, row.close].map(|d| scale.ticks_of(d));
    let [Some(open), Some(high), Some(low), Some(close)] = ticks else {
        return Err(format!("price needs more than {} decimals", scale.decimals()));
    };
    let open_ns = row.time * 1_000_000_000;
    // Stamped at the close like every stored bar, so a rebuild from the store is identical.
    let stamp = Stamp::at(open_ns + interval.secs() * 1_000_000_000);
    Ok(Bar { pair, stamp, open_time_ns: open_ns, open, high, low, close, volume: row.volume.to_f64().unwrap_or(0.0) })
}

/// What a restarted live run rebuilds from the store: the bars it journaled (`events` of them,
/// the last closing at `last_event_ns`) and those published after, plus each pair's last
/// stored candle to resume from. A fresh run starts empty.
pub async fn catch_up(
    store: &Store,
    source: &LiveSource,
    record: Option<&RunRecord>,
) -> anyhow::Result<(Vec<Bar>, Vec<Option<CandleRow>>)> {
    let Some(record) = record.filter(|r| r.events > 0) else {
        return Ok((Vec::new(), vec![None; source.pairs.len()]));
    };
    let mut series = Vec::new();
    for (k, pair) in source.pairs.iter().enumerate() {
        let rows = store.candles(pair, source.interval, None, None).await?;
        let bars: Vec<Bar> =
            rows.iter().filter_map(|r| bar_of(PairId(k as u16), r, source.interval, source.scales[k]).ok()).collect();
        series.push(bars);
    }
    let all = merge(&series.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let journaled = all.iter().take_while(|b| b.stamp.exchange_ns <= record.last_event_ns).count();
    let events = usize::try_from(record.events).unwrap_or(usize::MAX);
    if journaled < events {
        anyhow::bail!(
            "the run journaled {events} live bars but the store holds only {journaled} up to its last event; \
             cannot rebuild the engine"
        );
    }
    let bars = all[journaled - events..].to_vec();
    let first = bars.first().map_or(i64::MAX, |b| b.open_time_ns / 1_000_000_000);
    let mut last = Vec::new();
    for pair in &source.pairs {
        let rows = store.candles(pair, source.interval, None, None).await?;
        last.push(rows.into_iter().rfind(|r| r.time >= first));
    }
    Ok((bars, last))
}

impl LiveFeedAgent {
    /// The agent for `plan`.
    pub fn new(plan: LivePlan, feed: Feed, store: Store, board: HealthBoard, stop: Shutdown) -> Self {
        let LivePlan { source, resume } = plan;
        let mut candles = LiveCandles::new(source.pairs.len(), source.interval, source.grace_secs);
        for (k, last) in resume.into_iter().enumerate() {
            if let Some(row) = last {
                candles.resume_after(k, row);
            }
        }
        let state =
            LiveState { candles, offset_ns: 0, connections: 0, store_refusals: 0, reported: FeedQuality::default() };
        Self { source: Arc::new(source), state: Arc::new(tokio::sync::Mutex::new(state)), feed, store, board, stop }
    }

    /// One connection's life: catch up, connect, backfill, stream. Returns `Err` when the
    /// connection is lost so that the supervisor reconnects after its backoff.
    pub async fn run(self) -> anyhow::Result<()> {
        let mut state = self.state.lock().await;
        if self.feed.published() < self.source.catch_up.len() {
            self.feed.push(&self.source.catch_up[self.feed.published()..]);
        }
        let symbols: Vec<String> = self.source.pairs.iter().map(Pair::v2_symbol).collect();
        let url = &self.source.ws_url;
        let mut conn = OhlcConnection::open(url, &symbols, self.source.interval.minutes()).await.inspect_err(|_| {
            cst_server::metrics::set_feed_connected("kraken-ws", false);
        })?;
        state.connections += 1;
        cst_server::metrics::set_feed_connected("kraken-ws", true);
        let detail = format!("connected to {url} (connection {})", state.connections);
        println!("market-data: {detail}");
        self.board.set("market-data", HealthState::Healthy, detail);
        let outcome = self.backfill(&mut state).await;
        let outcome = match outcome {
            Ok(()) => self.stream(&mut state, &mut conn).await,
            Err(e) => Err(e),
        };
        cst_server::metrics::set_feed_connected("kraken-ws", false);
        conn.close().await;
        outcome
    }

    /// Closed candles since each pair's last final one, from REST OHLC.
    async fn backfill(&self, state: &mut LiveState) -> anyhow::Result<()> {
        let config =
            RestConfig { base_url: self.source.rest_url.trim_end_matches('/').to_string(), ..Default::default() };
        let client = RestClient::new(config, None)?;
        for (k, pair) in self.source.pairs.iter().enumerate() {
            let Some(since) = state.candles.last_final_time(k) else { continue };
            let page = client
                .ohlc(&pair.altname(), self.source.interval, Some(since))
                .await
                .map_err(|e| anyhow::anyhow!("backfilling {pair} from REST OHLC: {e}"))?;
            let (rows, _, _) = closed_traded_rows(&page, self.source.interval, now_ns().div_euclid(1_000_000_000));
            for row in rows {
                state.candles.observe(k, row, Source::Rest);
            }
        }
        let published = self.publish(state).await;
        report_metrics(state);
        published
    }

    async fn stream(&self, state: &mut LiveState, conn: &mut OhlcConnection) -> anyhow::Result<()> {
        let mut stop = self.stop.clone();
        let mut last_message = Instant::now();
        let mut degraded = false;
        loop {
            let next = tokio::select! {
                n = conn.next(TICK) => n,
                _ = stopped(&mut stop) => return Ok(()),
            };
            match next {
                Ok(msg) => {
                    last_message = Instant::now();
                    if degraded {
                        degraded = false;
                        self.board.set("market-data", HealthState::Healthy, "feed resumed");
                    }
                    self.on_message(state, msg)?;
                }
                Err(OhlcReadError::Silent(_)) => {
                    let silent = last_message.elapsed();
                    if silent >= self.source.stale_after * 2 {
                        anyhow::bail!("stale feed: no message for {silent:?}; reconnecting");
                    }
                    if silent >= self.source.stale_after && !degraded {
                        degraded = true;
                        state.candles.quality.stale += 1;
                        let detail = format!("stale feed: no message for {silent:?}");
                        self.board.set("market-data", HealthState::Degraded, detail);
                    }
                }
                Err(OhlcReadError::Malformed { raw, reason }) => {
                    state.candles.quality.rejected += 1;
                    state.candles.quality.last_rejection = Some(format!("malformed frame: {reason}"));
                    eprintln!("market-data: malformed frame skipped ({reason}): {raw}");
                }
                Err(e @ OhlcReadError::Lost(_)) => anyhow::bail!("{e}"),
            }
            // While the feed is silent an open candle may still be trading: no clock-based closing.
            if !degraded {
                self.publish(state).await?;
            }
            report_metrics(state);
        }
    }

    fn on_message(&self, state: &mut LiveState, msg: OhlcMessage) -> anyhow::Result<()> {
        let local_ns = now_ns();
        match msg {
            OhlcMessage::Candles { kind, sent_ns, candles } => {
                if let Some(sent) = sent_ns {
                    state.offset_ns = sent - local_ns;
                }
                let lag_secs = sent_ns.map_or(0.0, |s| (local_ns - s) as f64 / 1e9);
                let source = if kind == OhlcKind::Snapshot { Source::Snapshot } else { Source::Update };
                for c in candles {
                    let pair = self.source.pairs.iter().position(|p| p.v2_symbol() == c.symbol);
                    let Some(k) = pair.filter(|_| c.interval_min == self.source.interval.minutes()) else {
                        continue;
                    };
                    cst_server::metrics::record_feed_message(&self.source.pairs[k].wsname(), "ohlc", lag_secs);
                    state.candles.observe(k, c.row, source);
                }
                Ok(())
            }
            OhlcMessage::Subscribed { success: false, error } => {
                anyhow::bail!("Kraken refused the ohlc subscription: {}", error.unwrap_or_default())
            }
            _ => Ok(()),
        }
    }

    /// Final candles → store → feed, in release order.
    async fn publish(&self, state: &mut LiveState) -> anyhow::Result<()> {
        let exchange_now = (now_ns() + state.offset_ns).div_euclid(1_000_000_000);
        let ready = state.candles.release(exchange_now);
        if ready.is_empty() {
            return Ok(());
        }
        let mut bars = Vec::with_capacity(ready.len());
        for (k, row) in ready {
            match bar_of(PairId(k as u16), &row, self.source.interval, self.source.scales[k]) {
                Ok(bar) => bars.push((row, bar)),
                Err(reason) => {
                    state.candles.quality.rejected += 1;
                    state.candles.quality.last_rejection = Some(format!("candle at {}: {reason}", row.time));
                }
            }
        }
        let mut stored = vec![true; bars.len()];
        for (k, pair) in self.source.pairs.iter().enumerate() {
            let idx: Vec<usize> = (0..bars.len()).filter(|&i| bars[i].1.pair.index() == k).collect();
            let rows: Vec<CandleRow> = idx.iter().map(|&i| bars[i].0.clone()).collect();
            if rows.is_empty() || self.store_rows(pair, &rows).await? {
                continue;
            }
            // The batch contradicts a stored candle: find which, one by one.
            for &i in &idx {
                stored[i] = self.store_rows(pair, std::slice::from_ref(&bars[i].0)).await?;
                if !stored[i] {
                    state.store_refusals += 1;
                }
            }
        }
        let bars: Vec<Bar> = bars.into_iter().zip(stored).filter(|(_, ok)| *ok).map(|((_, bar), _)| bar).collect();
        self.feed.push(&bars);
        report_metrics(state);
        let detail = summary(state, self.feed.published());
        println!("market-data: {detail}");
        self.board.set("market-data", HealthState::Healthy, detail);
        Ok(())
    }

    /// Writes candles to the store before anyone trades on them. `Ok(false)`: the store refuses
    /// them because they contradict stored candles, so they are not published (the engine only
    /// ever sees bars a restart can rebuild from the store). Other errors (a busy database) are
    /// retried with backoff until they pass or the process stops.
    async fn store_rows(&self, pair: &Pair, rows: &[CandleRow]) -> anyhow::Result<bool> {
        let mut pause = Duration::from_millis(20);
        loop {
            match self.store.write_candles(pair, self.source.interval, rows).await {
                Ok(_) => return Ok(true),
                Err(e @ cst_store::StoreError::Conflict { .. }) => {
                    eprintln!("market-data: {pair} candles not stored, so not traded on: {e}");
                    return Ok(false);
                }
                Err(e) => {
                    if *self.stop.borrow() {
                        anyhow::bail!("storing {pair} candles at shutdown: {e}");
                    }
                    self.board.set("market-data", HealthState::Degraded, format!("storing candles: {e}; retrying"));
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
            }
        }
    }
}

/// Exports the counters' growth since the last call as `cst_feed_candle_anomalies_total`.
fn report_metrics(state: &mut LiveState) {
    let (now, was) = (&state.candles.quality, &state.reported);
    let kinds = [
        ("gap", now.gaps - was.gaps),
        ("missing_interval", now.missing_intervals - was.missing_intervals),
        ("duplicate", now.duplicates - was.duplicates),
        ("revision", now.revisions - was.revisions),
        ("out_of_order", now.out_of_order - was.out_of_order),
        ("rejected", now.rejected - was.rejected),
        ("stale", now.stale - was.stale),
    ];
    for (kind, n) in kinds.into_iter().filter(|(_, n)| *n > 0) {
        cst_server::metrics::record_feed_anomalies(kind, n);
    }
    state.reported = state.candles.quality.clone();
}

fn summary(state: &LiveState, bars: usize) -> String {
    let q = &state.candles.quality;
    format!(
        "live: {} bars, {} gaps ({} missing intervals), {} duplicates, {} resent, {} revisions, {} out of order, \
         {} rejected, {} backfilled, {} stale, {} store refusals, connection {}",
        bars,
        q.gaps,
        q.missing_intervals,
        q.duplicates,
        q.resent,
        q.revisions,
        q.out_of_order,
        q.rejected,
        q.backfilled,
        q.stale,
        state.store_refusals,
        state.connections
    )
}
