//! When a live candle becomes a bar. Kraken's `ohlc` channel resends the open candle after
//! every trade and sends nothing for an interval without trades, so a candle is *final* only
//! when a message for a later interval arrives, when the REST API returns it as closed, or once
//! its interval ended more than a grace period ago. Everything else is flagged and counted,
//! never repaired: gaps (intervals without a candle — Kraken omits no-trade intervals),
//! duplicates, revisions of a final candle, out-of-order and invalid candles.
//!
//! Pure and synchronous (time comes in as an argument), so the rules are tested here without
//! a network; [`LiveCandles::release`] hands out final candles of all pairs in the order
//! `merge` gives stored bars (time, then pair), so a restart rebuilding from the store replays
//! exactly what the engine saw.

use cst_core::candle::CandleRow;
use cst_core::interval::Interval;
use serde::Serialize;

/// Where a candle observation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The subscription snapshot (may resend candles already final).
    Snapshot,
    /// A live update (the open candle, or a new one).
    Update,
    /// REST OHLC backfill: closed candles only.
    Rest,
}

/// Feed quality counters (cumulative since process start).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FeedQuality {
    /// Candle observations received.
    pub observed: u64,
    /// Candles that became final.
    pub finals: u64,
    /// Final candles that came from the REST backfill.
    pub backfilled: u64,
    /// Places where intervals are missing between two final candles.
    pub gaps: u64,
    /// Intervals missing in those gaps.
    pub missing_intervals: u64,
    /// Updates repeating a final candle unchanged.
    pub duplicates: u64,
    /// Snapshot or backfill candles at or before the last final one (expected after a reconnect).
    pub resent: u64,
    /// Candles differing from the final candle of the same interval (kept: the first final).
    pub revisions: u64,
    /// Updates older than the candle already seen.
    pub out_of_order: u64,
    /// Candles refused as invalid (with the last reason).
    pub rejected: u64,
    /// Last rejection reason.
    pub last_rejection: Option<String>,
    /// Times the feed went silent beyond the stale limit.
    pub stale: u64,
}

/// One pair's candle state.
#[derive(Debug, Clone, Default)]
struct PairCandles {
    pending: Option<CandleRow>,
    last_final: Option<CandleRow>,
}

/// Every pair's candles, the release queue and the counters.
#[derive(Debug, Clone)]
pub struct LiveCandles {
    interval: Interval,
    grace_secs: i64,
    pairs: Vec<PairCandles>,
    queue: Vec<(usize, CandleRow)>,
    /// Quality counters.
    pub quality: FeedQuality,
}

impl LiveCandles {
    /// Candles of `pairs` pairs at `interval`; an open candle is final `grace_secs` after its end.
    pub fn new(pairs: usize, interval: Interval, grace_secs: i64) -> Self {
        Self {
            interval,
            grace_secs,
            pairs: vec![PairCandles::default(); pairs],
            queue: Vec::new(),
            quality: FeedQuality::default(),
        }
    }

    /// Sets a pair's last final candle (from the store after a restart): later gaps are
    /// measured from it and nothing at or before it is accepted again.
    pub fn resume_after(&mut self, pair: usize, last: CandleRow) {
        if let Some(p) = self.pairs.get_mut(pair) {
            p.last_final = Some(last);
        }
    }

    /// The open time of a pair's last final candle.
    pub fn last_final_time(&self, pair: usize) -> Option<i64> {
        self.pairs.get(pair).and_then(|p| p.last_final.as_ref()).map(|r| r.time)
    }

    /// Takes one candle observation of `pair`.
    pub fn observe(&mut self, pair: usize, row: CandleRow, source: Source) {
        self.quality.observed += 1;
        if let Err(e) = row.validate(self.interval) {
            self.reject(format!("candle at {}: {e}", row.time));
            return;
        }
        let Some(state) = self.pairs.get(pair) else { return };
        if let Some(last) = &state.last_final
            && row.time <= last.time
        {
            let q = &mut self.quality;
            match (row.time == last.time, row == *last, source) {
                (true, false, _) => q.revisions += 1,
                (_, _, Source::Snapshot | Source::Rest) => q.resent += 1,
                (true, true, Source::Update) => q.duplicates += 1,
                (false, _, Source::Update) => q.out_of_order += 1,
            }
            return;
        }
        match state.pending.as_ref().map(|p| p.time) {
            Some(open) if row.time < open => self.quality.out_of_order += 1,
            Some(open) if row.time > open => {
                let closed = self.pairs[pair].pending.take();
                if let Some(closed) = closed {
                    self.finalize(pair, closed);
                }
                self.accept(pair, row, source);
            }
            _ => self.accept(pair, row, source),
        }
    }

    fn accept(&mut self, pair: usize, row: CandleRow, source: Source) {
        if source == Source::Rest {
            self.pairs[pair].pending = None;
            self.quality.backfilled += 1;
            self.finalize(pair, row);
        } else {
            self.pairs[pair].pending = Some(row);
        }
    }

    fn reject(&mut self, reason: String) {
        self.quality.rejected += 1;
        self.quality.last_rejection = Some(reason);
    }

    fn finalize(&mut self, pair: usize, row: CandleRow) {
        let step = self.interval.secs();
        if let Some(last) = &self.pairs[pair].last_final
            && row.time > last.time + step
        {
            self.quality.gaps += 1;
            self.quality.missing_intervals += ((row.time - last.time) / step - 1) as u64;
        }
        self.quality.finals += 1;
        self.pairs[pair].last_final = Some(row.clone());
        self.queue.push((pair, row));
    }

    /// Open candles whose interval ended at least the grace period before `now_secs` become final.
    pub fn close_due(&mut self, now_secs: i64) {
        for pair in 0..self.pairs.len() {
            let due = self.pairs[pair]
                .pending
                .as_ref()
                .is_some_and(|p| p.time + self.interval.secs() + self.grace_secs <= now_secs);
            if due && let Some(row) = self.pairs[pair].pending.take() {
                self.finalize(pair, row);
            }
        }
    }

    /// Every interval opening before this time is settled for `pair` at `now_secs`.
    fn settled_before(&self, pair: usize, now_secs: i64) -> i64 {
        let p = &self.pairs[pair];
        let by_clock =
            self.interval.floor_secs(now_secs - self.grace_secs - self.interval.secs()) + self.interval.secs();
        match &p.pending {
            Some(open) => open.time,
            None => by_clock.max(p.last_final.as_ref().map_or(i64::MIN, |l| l.time + 1)),
        }
    }

    /// Final candles every pair has settled by `now_secs`, in (time, pair) order; the rest wait
    /// so that a pair finishing an interval early cannot overtake a slower one.
    pub fn release(&mut self, now_secs: i64) -> Vec<(usize, CandleRow)> {
        self.close_due(now_secs);
        let watermark = (0..self.pairs.len()).map(|p| self.settled_before(p, now_secs)).min().unwrap_or(i64::MIN);
        self.queue.sort_by_key(|(pair, row)| (row.time, *pair));
        let ready = self.queue.iter().take_while(|(_, row)| row.time < watermark).count();
        self.queue.drain(..ready).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cst_kraken::rest::public::parse_ohlc;

    /// Kraken's real XBT/USDT 1-minute candles of 2025-11-10 (REST capture), oldest first.
    fn real_minutes() -> Vec<CandleRow> {
        let page = parse_ohlc(&cst_testdata::read_text("kraken/rest-capture-2025/spot/http_ohlc.json")).unwrap();
        page.bars.into_iter().map(|b| b.row).collect()
    }

    /// The real minutes with trades: what Kraken's `ohlc` channel would have sent.
    fn traded() -> Vec<CandleRow> {
        real_minutes().into_iter().filter(|r| r.trades > 0).collect()
    }

    fn released(c: &mut LiveCandles, now: i64) -> Vec<CandleRow> {
        c.release(now).into_iter().map(|(_, r)| r).collect()
    }

    #[test]
    fn a_candle_is_final_only_once_a_later_interval_arrives() {
        let rows = traded();
        let mut c = LiveCandles::new(1, Interval::M1, 5);
        c.observe(0, rows[0].clone(), Source::Update);
        c.observe(0, rows[0].clone(), Source::Update); // Kraken resends the open candle
        assert!(released(&mut c, rows[0].time).is_empty(), "the open candle is not a bar");
        c.observe(0, rows[1].clone(), Source::Update);
        assert_eq!(released(&mut c, rows[1].time), [rows[0].clone()]);
        assert_eq!((c.quality.finals, c.quality.duplicates), (1, 0));
    }

    #[test]
    fn an_open_candle_becomes_final_after_its_end_plus_grace() {
        let rows = traded();
        let mut c = LiveCandles::new(1, Interval::M1, 5);
        c.observe(0, rows[0].clone(), Source::Update);
        assert!(released(&mut c, rows[0].time + 60 + 4).is_empty());
        assert_eq!(released(&mut c, rows[0].time + 60 + 5), [rows[0].clone()]);
        // A resend after that is a duplicate, counted and dropped.
        c.observe(0, rows[0].clone(), Source::Update);
        assert_eq!(c.quality.duplicates, 1);
        assert!(released(&mut c, rows[0].time + 120).is_empty());
    }

    #[test]
    fn missing_intervals_are_reported_as_gaps_never_filled() {
        let rows = traded();
        let all = real_minutes();
        let mut c = LiveCandles::new(1, Interval::M1, 5);
        for r in &rows {
            c.observe(0, r.clone(), Source::Update);
        }
        let last = rows.last().unwrap().time;
        let out = released(&mut c, last + 3600);
        assert_eq!(out, rows, "exactly the real traded candles, none invented");
        // Independently: runs of zero-trade minutes between the first and the last traded one.
        let inner: Vec<&CandleRow> = all.iter().filter(|r| r.time >= rows[0].time && r.time <= last).collect();
        let missing = inner.iter().filter(|r| r.trades == 0).count() as u64;
        let runs = inner.windows(2).filter(|w| w[0].trades > 0 && w[1].trades == 0).count() as u64;
        assert!(missing > 0, "the real capture has no-trade minutes");
        assert_eq!((c.quality.gaps, c.quality.missing_intervals), (runs, missing));
    }

    #[test]
    fn out_of_order_revised_and_invalid_candles_are_counted_and_dropped() {
        let rows = traded();
        let mut c = LiveCandles::new(1, Interval::M1, 5);
        c.observe(0, rows[0].clone(), Source::Update);
        c.observe(0, rows[1].clone(), Source::Update);
        c.observe(0, rows[2].clone(), Source::Update);
        c.observe(0, rows[0].clone(), Source::Update); // older than the final rows[1]
        let mut revised = rows[1].clone();
        revised.close = revised.high;
        c.observe(0, revised, Source::Update);
        let mut broken = rows[3].clone();
        broken.low = broken.high + rust_decimal::Decimal::ONE;
        c.observe(0, broken, Source::Update);
        let q = &c.quality;
        assert_eq!((q.out_of_order, q.revisions, q.rejected), (1, 1, 1));
        assert!(q.last_rejection.as_deref().unwrap_or("").contains("candle at"), "{q:?}");
        assert_eq!(released(&mut c, rows[2].time), rows[..2]);
    }

    #[test]
    fn backfilled_closed_candles_are_final_at_once_and_resends_are_not_anomalies() {
        let rows = traded();
        let mut c = LiveCandles::new(1, Interval::M1, 5);
        c.observe(0, rows[0].clone(), Source::Update); // open when the connection dropped
        for r in &rows[..4] {
            c.observe(0, r.clone(), Source::Rest);
        }
        assert_eq!(released(&mut c, rows[3].time + 1), rows[..4]);
        c.observe(0, rows[3].clone(), Source::Snapshot);
        c.observe(0, rows[4].clone(), Source::Snapshot);
        let q = &c.quality;
        assert_eq!((q.backfilled, q.resent, q.duplicates, q.finals), (4, 1, 0, 4));
    }

    #[test]
    fn pairs_are_released_in_time_then_pair_order() {
        let rows = traded();
        let mut c = LiveCandles::new(2, Interval::M1, 5);
        c.observe(1, rows[0].clone(), Source::Update);
        c.observe(1, rows[1].clone(), Source::Update);
        // Pair 0 has not settled rows[0]'s interval yet: nothing may go out.
        assert!(c.release(rows[0].time + 61).is_empty());
        c.observe(0, rows[0].clone(), Source::Update);
        c.observe(0, rows[1].clone(), Source::Update);
        let out = c.release(rows[0].time + 61);
        assert_eq!(out, [(0, rows[0].clone()), (1, rows[0].clone())]);
    }
}
