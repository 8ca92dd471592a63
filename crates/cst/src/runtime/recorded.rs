//! Recorded WebSocket files (`cst record` output, or cryptofeed's raw captures) as a replay
//! source: their public trades, per pair, aggregated into candles by
//! [`cst_core::aggregate::aggregate_trades`] — but only for intervals the recording certainly
//! saw whole. A recording covers, per connection, the time from its subscription reply (or
//! first received frame) to its last frame; an interval that starts before or ends after that
//! is a *partial edge*: its trades are counted and the interval dropped, never guessed.

use cst_core::aggregate::aggregate_trades;
use cst_core::candle::CandleRow;
use cst_core::interval::Interval;
use cst_core::pair::Pair;
use cst_core::time::Timestamp;
use cst_core::trade::Trade;
use cst_kraken::ws::frame::{Frame, parse_frame};
use cst_kraken::ws::recorder::{Direction, MAGIC};
use cst_kraken::ws::replay::read_recording;

/// Decimals of the vwap `aggregate_trades` computes (not part of a bar).
const VWAP_DECIMALS: u32 = 8;

/// True when `text` is a WebSocket recording (ours or cryptofeed's) rather than OHLCVT.
pub fn is_recording(text: &str) -> bool {
    let first = text.lines().next().unwrap_or_default();
    first.starts_with(MAGIC) || first.contains(" <-> ")
}

/// One stretch of time a recording was connected and subscribed: `[from_ns, to_ns]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    /// Subscription reply (or first received frame) after connecting.
    pub from_ns: i64,
    /// Last frame of the connection.
    pub to_ns: i64,
}

/// A pair's candles from a recording, and what was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairCandles {
    /// The pair.
    pub pair: Pair,
    /// Candles of the complete intervals (intervals without trades have none).
    pub rows: Vec<CandleRow>,
    /// Trades inside those intervals.
    pub trades_used: usize,
    /// Complete intervals (with or without trades).
    pub complete_intervals: usize,
    /// Partial edge intervals dropped: (open time, trades in it).
    pub dropped_edges: Vec<(i64, usize)>,
}

/// Trades and coverage read from recordings.
#[derive(Debug, Clone, Default)]
pub struct RecordedTrades {
    /// Connected stretches, in order.
    pub coverage: Vec<Coverage>,
    /// Trades per symbol as the feed named it, in recorded order.
    pub trades: Vec<(String, Trade)>,
    /// Trade frames that could not be read (with the first reason).
    pub malformed: (usize, Option<String>),
}

/// Reads one recording's trades and coverage.
pub fn read_trades(text: &str) -> anyhow::Result<RecordedTrades> {
    let rec = read_recording(text)?;
    let mut out = RecordedTrades::default();
    let mut current: Option<Coverage> = None;
    let mut traded_in_segment = false;
    for f in &rec.frames {
        match f.direction {
            Direction::Connected => {
                out.coverage.extend(current.take());
                traded_in_segment = false;
            }
            Direction::Sent => {}
            Direction::Received => {
                let seg = current.get_or_insert(Coverage { from_ns: f.local_ns, to_ns: f.local_ns });
                seg.to_ns = f.local_ns;
                match parse_frame(rec.protocol, f.text) {
                    // Trades can only follow the subscription reply: coverage starts there.
                    Ok(Frame::Ack(a)) if a.success && !traded_in_segment => seg.from_ns = f.local_ns,
                    Ok(Frame::Trades(texts)) => {
                        traded_in_segment = true;
                        for t in texts {
                            match t.to_trade() {
                                Ok(trade) => out.trades.push((t.symbol.to_string(), trade)),
                                Err(e) => {
                                    out.malformed.0 += 1;
                                    out.malformed.1.get_or_insert_with(|| e.to_string());
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out.coverage.extend(current);
    Ok(out)
}

fn covered(coverage: &[Coverage], open_secs: i64, interval: Interval) -> bool {
    let (from, to) = (open_secs * 1_000_000_000, (open_secs + interval.secs()) * 1_000_000_000);
    coverage.iter().any(|c| c.from_ns <= from && to <= c.to_ns)
}

/// Intervals fully inside some coverage stretch.
fn complete_intervals(coverage: &[Coverage], interval: Interval) -> usize {
    let step = interval.secs();
    coverage
        .iter()
        .map(|c| {
            let first = interval.floor_secs(c.from_ns.div_euclid(1_000_000_000) + step - 1);
            let mut n = 0;
            let mut t = first;
            while covered(std::slice::from_ref(c), t, interval) {
                n += 1;
                t += step;
            }
            n
        })
        .sum()
}

/// `pair`'s candles at `interval` from recorded trades: complete intervals only.
pub fn pair_candles(rec: &RecordedTrades, pair: &Pair, interval: Interval) -> anyhow::Result<PairCandles> {
    let trades: Vec<Trade> = rec
        .trades
        .iter()
        .filter(|(s, _)| s.parse::<Pair>().is_ok_and(|p| p == *pair))
        .map(|(_, t)| t.clone())
        .collect();
    let open_of = |t: &Trade| interval.floor_secs(t.time.as_nanos().div_euclid(1_000_000_000));
    let (inside, outside): (Vec<Trade>, Vec<Trade>) =
        trades.into_iter().partition(|t| covered(&rec.coverage, open_of(t), interval));
    let mut dropped_edges: Vec<(i64, usize)> = Vec::new();
    for t in &outside {
        match dropped_edges.last_mut() {
            Some((open, n)) if *open == open_of(t) => *n += 1,
            _ => dropped_edges.push((open_of(t), 1)),
        }
    }
    let candles = aggregate_trades(&inside, interval, VWAP_DECIMALS)
        .map_err(|e| anyhow::anyhow!("{pair}: recorded trades cannot be aggregated: {e}"))?;
    Ok(PairCandles {
        pair: pair.clone(),
        rows: candles.into_iter().map(|c| c.row).collect(),
        trades_used: inside.len(),
        complete_intervals: complete_intervals(&rec.coverage, interval),
        dropped_edges,
    })
}

/// A one-line account of what a recording gave for a pair.
pub fn describe(c: &PairCandles, interval: Interval) -> String {
    let edges: Vec<String> = c
        .dropped_edges
        .iter()
        .map(|(open, n)| {
            format!("{} ({n} trades)", Timestamp::from_secs(*open).map(|t| t.to_rfc3339()).unwrap_or_default())
        })
        .collect();
    format!(
        "{}: {} trades in {} complete {interval} intervals → {} bars; partial edge intervals dropped: {}",
        c.pair,
        c.trades_used,
        c.complete_intervals,
        c.rows.len(),
        if edges.is_empty() { "none".to_string() } else { edges.join(", ") }
    )
}

/// The recording's connected time, for messages.
pub fn describe_coverage(rec: &RecordedTrades) -> String {
    let t = |ns: i64| Timestamp::from_nanos(ns).to_rfc3339();
    rec.coverage.iter().map(|c| format!("{} → {}", t(c.from_ns), t(c.to_ns))).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPTURE: &str = "kraken/ws-v1-capture-2021/KRAKEN.ws.48.0.txt.gz";

    #[test]
    fn the_real_2021_trade_capture_holds_30_seconds_and_no_complete_minute() {
        let rec = read_trades(&cst_testdata::read_text(CAPTURE)).unwrap();
        assert!(is_recording(&cst_testdata::read_text(CAPTURE)));
        assert_eq!(rec.coverage.len(), 1);
        let span_ns = rec.coverage[0].to_ns - rec.coverage[0].from_ns;
        assert!((29_000_000_000..31_000_000_000).contains(&span_ns), "{span_ns}");
        let xmr: Pair = "XMR/USD".parse().unwrap();
        let c = pair_candles(&rec, &xmr, Interval::M1).unwrap();
        assert_eq!((c.rows.len(), c.complete_intervals, c.trades_used), (0, 0, 0));
        let dropped: usize = c.dropped_edges.iter().map(|(_, n)| n).sum();
        assert_eq!(dropped, rec.trades.iter().filter(|(s, _)| s == "XMR/USD").count());
        assert!(dropped > 0);
    }

    /// Kraken's real XBT/USDT trades (REST capture, contiguous ids) written by our recorder as
    /// v2 trade frames at their trade times, with the connection lost between trade `cut.0`
    /// and trade `cut.1` (the trades in between are simply not in the file).
    fn recording_with_a_disconnect(cut: (usize, usize)) -> (String, Vec<Trade>) {
        use cst_kraken::ws::Protocol;
        use cst_kraken::ws::recorder::Recorder;
        let text = cst_testdata::read_text("kraken/rest-capture-2025/spot/http_trades.json");
        let trades: Vec<Trade> =
            cst_kraken::rest::public::parse_trades(&text).unwrap().trades.into_iter().map(|p| p.trade).collect();
        let mut rec = Recorder::new(Vec::new(), Protocol::V2, "local").unwrap();
        for (k, t) in trades.iter().enumerate() {
            if (cut.0 + 1..cut.1).contains(&k) {
                continue;
            }
            let ns = t.time.as_nanos();
            if k == 0 || k == cut.1 {
                rec.record(Direction::Connected, ns, None, b"local").unwrap();
            }
            let side = if t.side == cst_core::trade::Side::Buy { "buy" } else { "sell" };
            let frame = format!(
                r#"{{"channel":"trade","type":"update","data":[{{"symbol":"BTC/USDT","side":"{side}","price":{},"qty":{},"trade_id":{},"timestamp":"{}"}}]}}"#,
                t.price.value(),
                t.qty.value(),
                t.trade_id.unwrap_or_default(),
                t.time.to_rfc3339()
            );
            rec.record(Direction::Received, ns, Some(ns), frame.as_bytes()).unwrap();
        }
        (String::from_utf8(rec.into_inner()).unwrap(), trades)
    }

    #[test]
    fn intervals_across_a_lost_connection_are_dropped_not_guessed() {
        let (text, trades) = recording_with_a_disconnect((400, 520));
        let rec = read_trades(&text).unwrap();
        assert_eq!(rec.coverage.len(), 2);
        assert_eq!(rec.trades.len(), trades.len() - 119);
        let pair: Pair = "XBT/USDT".parse().unwrap();
        let c = pair_candles(&rec, &pair, Interval::M1).unwrap();
        // Expected: the aggregate of each connected stretch's own fully covered minutes.
        let mut expected = Vec::new();
        for part in [&trades[..=400], &trades[520..]] {
            let (from, to) = cst_core::aggregate::fully_covered_buckets(part, Interval::M1).unwrap();
            let rows = aggregate_trades(part, Interval::M1, VWAP_DECIMALS).unwrap();
            expected.extend(rows.into_iter().map(|c| c.row).filter(|r| r.time >= from && r.time < to));
        }
        assert_eq!(c.rows, expected);
        let edges: Vec<i64> = c.dropped_edges.iter().map(|(open, _)| *open).collect();
        let minute = |t: &Trade| Interval::M1.floor_secs(t.time.as_secs());
        assert_eq!(edges, [minute(&trades[0]), minute(&trades[400]), minute(&trades[520]), minute(&trades[999])]);
        assert_eq!(c.trades_used + c.dropped_edges.iter().map(|(_, n)| n).sum::<usize>(), rec.trades.len());
    }

    #[test]
    fn ohlcvt_files_are_not_recordings() {
        assert!(!is_recording("1381095000,123.61,123.61,123.61,123.61,0.1,1\n"));
    }
}
