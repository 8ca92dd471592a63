//! `cst record`: subscribes to Kraken's public WebSocket and writes every frame, with local
//! receipt time (ns) and exchange time, to a file that `cst book verify` replays byte for byte.

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use cst_core::Pair;
use cst_kraken::ws::Protocol;
use cst_kraken::ws::backoff::Backoff;
use cst_kraken::ws::client::{Client, ClientConfig, FeedEvent, Subscription};
use cst_kraken::ws::recorder::Recorder;
use cst_kraken::ws::v2::BOOK_DEPTHS;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// WebSocket protocol version to record.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProtocolArg {
    /// Kraken WebSocket v2 (default).
    V2,
    /// Kraken WebSocket v1 (legacy).
    V1,
}

/// Options of `cst record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Pairs, comma separated (`XBT/USD,ETH/USD`; any Kraken spelling).
    #[arg(long, value_delimiter = ',', required = true)]
    pairs: Vec<String>,
    /// Channels, comma separated: book, trade, ticker.
    #[arg(long, value_delimiter = ',', default_value = "book,trade,ticker")]
    channels: Vec<String>,
    /// Book depth: 10, 25, 100, 500 or 1000.
    #[arg(long, default_value_t = 25)]
    depth: usize,
    /// Output file (created or truncated).
    #[arg(long)]
    out: PathBuf,
    /// Protocol version.
    #[arg(long, value_enum, default_value_t = ProtocolArg::V2)]
    protocol: ProtocolArg,
    /// Endpoint (default: Kraken's production URL for the protocol).
    #[arg(long)]
    url: Option<String>,
    /// Stop after this many seconds (default: until Ctrl-C).
    #[arg(long)]
    duration_secs: Option<u64>,
    /// Seconds without any frame after which the feed counts as stale and is reconnected.
    #[arg(long, default_value_t = 10)]
    stale_secs: u64,
}

fn config(args: &RecordArgs) -> anyhow::Result<ClientConfig> {
    if !BOOK_DEPTHS.contains(&args.depth) {
        bail!("--depth must be one of {BOOK_DEPTHS:?}, got {}", args.depth);
    }
    let (protocol, default_url) = match args.protocol {
        ProtocolArg::V2 => (Protocol::V2, "wss://ws.kraken.com/v2"),
        ProtocolArg::V1 => (Protocol::V1, "wss://ws.kraken.com"),
    };
    let pairs: Vec<Pair> = args.pairs.iter().map(|p| p.parse::<Pair>()).collect::<Result<_, _>>()?;
    let symbols: Vec<String> = pairs
        .iter()
        .map(|p| match protocol {
            Protocol::V2 => p.v2_symbol(),
            Protocol::V1 => p.wsname(),
        })
        .collect();
    let mut subscriptions = Vec::new();
    if protocol == Protocol::V2 && args.channels.iter().any(|c| c == "book") {
        // Pair precisions fix how Kraken prints book levels, so the checksum and the replay need them.
        subscriptions.push(Subscription { channel: "instrument".into(), symbols: Vec::new(), depth: None });
    }
    for channel in &args.channels {
        if !matches!(channel.as_str(), "book" | "trade" | "ticker") {
            bail!("unsupported channel {channel:?}: use book, trade, ticker");
        }
        let depth = (channel == "book").then_some(args.depth);
        subscriptions.push(Subscription { channel: channel.clone(), symbols: symbols.clone(), depth });
    }
    Ok(ClientConfig {
        url: args.url.clone().unwrap_or_else(|| default_url.to_string()),
        protocol,
        subscriptions,
        stale_after: Duration::from_secs(args.stale_secs),
        backoff: Backoff::default(),
    })
}

/// Runs `cst record`.
pub fn run(args: RecordArgs) -> anyhow::Result<ExitCode> {
    let config = config(&args)?;
    let file = std::fs::File::create(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let sink: Box<dyn Write + Send> = Box::new(BufWriter::new(file));
    let recorder = Recorder::new(sink, config.protocol, &config.url)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let frames = runtime.block_on(record(config, recorder, args.duration_secs))?;
    eprintln!("recorded {frames} frames to {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}

async fn record(
    config: ClientConfig,
    recorder: Recorder<Box<dyn Write + Send>>,
    secs: Option<u64>,
) -> anyhow::Result<u64> {
    let (tx, mut events) = mpsc::channel(1024);
    let client = Client::new(config, tx, Some(recorder));
    let stats = client.stats();
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(client.run(stop_rx));
    let deadline = async {
        match secs {
            Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => break,
            _ = tokio::signal::ctrl_c() => break,
            e = events.recv() => match e {
                Some(e) => report(&e),
                None => break,
            },
        }
    }
    stop.send(true).ok();
    let recorder = task.await.context("client task failed")?;
    let frames = recorder.as_ref().map_or(0, Recorder::frames);
    if let Some(rec) = recorder {
        rec.into_inner().flush()?;
    }
    let s = stats.lock().map(|s| s.clone()).unwrap_or_default();
    eprintln!(
        "connections {}, malformed {}, resubscriptions {}, stale {}",
        s.connections, s.malformed, s.resubscriptions, s.stale
    );
    Ok(frames)
}

fn report(e: &FeedEvent) {
    match e {
        FeedEvent::Connected { connection } => eprintln!("connected (#{connection})"),
        FeedEvent::Disconnected { reason } => eprintln!("disconnected: {reason}"),
        FeedEvent::Resubscribing { symbol, reason } => eprintln!("{symbol}: {reason}; resubscribing"),
        FeedEvent::Malformed { raw, reason } => eprintln!("malformed frame ({reason}): {raw}"),
        FeedEvent::SubscriptionError { error } => eprintln!("subscription refused: {error}"),
        FeedEvent::Book { .. } | FeedEvent::Trades(_) => {}
    }
}
