//! `cst data sync`: downloads Kraken candles (the OHLC window, and trade-built history before
//! it when `--since` asks for it) through the REST client and the data-quality gate into the store.

use anyhow::Context;
use clap::Args;
use cst_core::interval::Interval;
use cst_core::pair::Pair;
use cst_core::time::Timestamp;
use cst_kraken::rest::{RestClient, RestConfig};
use cst_kraken::sync::{SyncOutcome, SyncRequest, sync_pair};
use cst_store::Store;
use std::process::ExitCode;

/// `cst data sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Pairs, comma separated (`XBT/USD,ETH/USD`).
    #[arg(long, value_delimiter = ',', required = true)]
    pairs: Vec<Pair>,
    /// Candle interval (`1m`, `1h`, `1d`, ...).
    #[arg(long)]
    interval: Interval,
    /// Rebuild history from this time (RFC 3339 or date) out of trades when it is older than
    /// Kraken's 720-candle OHLC window.
    #[arg(long)]
    since: Option<String>,
    /// At most this many Trades pages (1000 trades each) per pair.
    #[arg(long, default_value_t = 200)]
    max_trade_pages: usize,
    /// Kraken REST root (a local replay server in tests).
    #[arg(long, env = "CST_KRAKEN_URL", default_value = cst_kraken::rest::client::KRAKEN_REST_URL)]
    kraken_url: String,
    /// Download and check, but do not write to the store.
    #[arg(long)]
    dry_run: bool,
}

fn parse_since(text: &str) -> anyhow::Result<i64> {
    if let Ok(secs) = text.parse::<i64>() {
        return Ok(secs);
    }
    let full = if text.len() == 10 { format!("{text}T00:00:00Z") } else { text.to_string() };
    Ok(Timestamp::parse(&full).with_context(|| format!("--since {text:?}"))?.as_secs())
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn print_outcome(pair: &Pair, interval: Interval, o: &SyncOutcome, written: Option<(usize, usize)>) {
    let c = &o.report.completeness;
    let written = written.map_or("dry run".to_string(), |(new, same)| format!("{new} new, {same} unchanged"));
    println!(
        "{pair:<9} {interval:<4} {:>6} rows ({} OHLC, {} from trades in {} pages; {} overlap checked; dropped {} without trades, {} open)  {} gaps  {written}",
        o.rows.len(),
        o.from_ohlc,
        o.from_trades,
        o.trade_pages,
        o.overlap_compared,
        o.dropped_no_trade,
        o.dropped_open,
        c.gap_count,
    );
}

/// Runs `cst data sync` against an open store.
pub async fn run(store: &Store, a: SyncArgs) -> anyhow::Result<ExitCode> {
    let config = RestConfig { base_url: a.kraken_url.trim_end_matches('/').to_string(), ..RestConfig::default() };
    let client = RestClient::new(config, None)?;
    let since_secs = a.since.as_deref().map(parse_since).transpose()?;
    let mut failures = 0usize;
    for pair in &a.pairs {
        let req =
            SyncRequest { pair: pair.clone(), interval: a.interval, since_secs, max_trade_pages: a.max_trade_pages };
        match sync_pair(&client, &req, now_secs()).await {
            Ok(outcome) => {
                let written = if a.dry_run {
                    None
                } else {
                    let w = store.write_candles(pair, a.interval, &outcome.rows).await?;
                    Some((w.inserted, w.unchanged))
                };
                print_outcome(pair, a.interval, &outcome, written);
            }
            Err(e) => {
                failures += 1;
                eprintln!("error: {pair} {}: {e}", a.interval);
            }
        }
    }
    Ok(if failures == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
