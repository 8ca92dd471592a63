//! `cst run`: the running system. Paper trading on Kraken's live candle feed, or on replayed real
//! data (candles from the store with `--replay-store`; Kraken OHLCVT files or recorded WebSocket
//! files with `--replay`), through the same engine, risk guard, execution policy and simulated
//! venue as `cst backtest`, with every order, fill and ledger movement journaled so a restart
//! after a crash resumes without loss or repeats.

use crate::cmd::backtest::{default_asset_pairs, instruments, parse_time, read_text};
use crate::home::HomeArgs;
use crate::runtime::config::{ConfigFile, Identity, RunFile, secrets};
use crate::runtime::live_feed::{self, LivePlan, LiveSource};
use crate::runtime::market_data::Replay;
use crate::runtime::recorded;
use crate::runtime::{self, GatewayPlan, RunPlan};
use anyhow::{Context, bail};
use clap::Args;
use cst_core::backtest::BacktestSpec;
use cst_core::backtest::bars::parse_ohlcvt;
use cst_core::candle::CandleRow;
use cst_core::event::ClientOrderId;
use cst_core::interval::Interval;
use cst_core::pair::Pair;
use cst_core::quality::{GateMode, assess};
use cst_core::sim_venue::VenuePair;
use cst_core::time::Timestamp;
use cst_kraken::gateway::{GatewayConfig, KrakenGateway};
use cst_kraken::rest::client::KRAKEN_REST_URL;
use cst_kraken::rest::{RestClient, RestConfig};
use cst_kraken::sign::Credentials;
use cst_server::auth::ApiTokens;
use cst_server::snapshot::PairQuality;
use cst_store::Store;
use cst_store::import::{expand_paths, import_file};
use cst_store::journal::RunMeta;
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `cst run` (each may also come from the `--config` file's `[run]` table).
#[derive(Debug, Args)]
pub struct RunArgs {
    /// TOML config file (`[run]` table; unknown keys are refused). Flags override it.
    #[arg(long, env = "CST_RUN_CONFIG")]
    config: Option<PathBuf>,
    /// Built-in strategy (`sma-cross`, `rsi-reversion`, `breakout`), a strategy TOML file, or
    /// `ml-ensemble` with `--model ID`.
    #[arg(long, env = "CST_RUN_STRATEGY")]
    strategy: Option<String>,
    #[command(flatten)]
    ml: crate::cmd::ml_strategy::MlStrategyArgs,
    /// Pairs, comma-separated (`XBT/USD,ETH/USD`).
    #[arg(long, value_delimiter = ',', env = "CST_RUN_PAIRS")]
    pairs: Vec<Pair>,
    /// Candle interval (`1h`).
    #[arg(long, env = "CST_RUN_INTERVAL")]
    interval: Option<Interval>,
    /// First candle open time (RFC 3339 or unix seconds).
    #[arg(long, env = "CST_RUN_FROM")]
    from: Option<String>,
    /// Last candle open time (RFC 3339 or unix seconds).
    #[arg(long, env = "CST_RUN_TO")]
    to: Option<String>,
    /// Starting cash in the quote currency (default 10000).
    #[arg(long, env = "CST_RUN_CASH")]
    cash: Option<Decimal>,
    /// Replay the store's candles for `--pairs` / `--interval` / `--from` / `--to`.
    #[arg(long)]
    replay_store: bool,
    /// Replay Kraken OHLCVT files (one per pair, `.csv` or `.csv.gz`) or recorded WebSocket files (`cst record`
    /// output or cryptofeed raw captures; their trades become candles of the complete intervals).
    #[arg(long, value_delimiter = ',')]
    replay: Vec<PathBuf>,
    /// Import Kraken OHLCVT files or folders into the store first (idempotent).
    #[arg(long, value_delimiter = ',')]
    import: Vec<PathBuf>,
    /// Replay speed: times real time by candle timestamps; 0 = as fast as possible.
    #[arg(long, env = "CST_RUN_SPEED")]
    speed: Option<f64>,
    /// API listen address.
    #[arg(long, env = "CST_LISTEN")]
    listen: Option<String>,
    /// Redis URL of the optional cache of tickers and state (`""` disables it).
    #[arg(long, env = "CST_REDIS_URL")]
    redis: Option<String>,
    /// Run id (default: derived from the configuration, so the same arguments resume the run).
    #[arg(long, env = "CST_RUN_ID")]
    run_id: Option<String>,
    /// Kraken AssetPairs files for pair precision and fees (default: the shared captures).
    #[arg(long, value_delimiter = ',')]
    asset_pairs: Vec<PathBuf>,
    /// Trade real money on Kraken (needs keys and --i-accept-live-trading-risk).
    #[arg(long)]
    live: bool,
    /// Confirms that live trading can lose real money.
    #[arg(long)]
    i_accept_live_trading_risk: bool,
    /// File with `key = ...` and `secret = ...` (mode 0600) instead of KRAKEN_API_KEY/SECRET.
    #[arg(long)]
    secret_file: Option<PathBuf>,
    /// Live: send every order with Kraken's `validate=true` (Kraken checks it, places nothing).
    #[arg(long)]
    validate_orders: bool,
    /// Kraken REST root for the live gateway (tests point it at a local server).
    #[arg(long, hide = true, env = "CST_KRAKEN_REST_URL")]
    kraken_rest_url: Option<String>,
    /// Live: seconds between polls of Kraken's order status and executions.
    #[arg(long, hide = true, default_value_t = 2.0)]
    live_poll_secs: f64,
    /// Kraken WebSocket v2 URL of the live feed (a local server in tests).
    #[arg(long, hide = true, env = "CST_KRAKEN_WS_URL", default_value = live_feed::KRAKEN_WS_URL)]
    ws_url: String,
    /// Kraken REST root for the live feed's OHLC backfill (a local server in tests).
    #[arg(long, hide = true, env = "CST_KRAKEN_URL", default_value = cst_kraken::rest::client::KRAKEN_REST_URL)]
    rest_url: String,
    /// Seconds after its interval's end at which an open live candle is final without a later one.
    #[arg(long, hide = true, default_value_t = 10)]
    feed_grace_secs: i64,
    /// Seconds without any message (Kraken heartbeats every second) before the live feed is stale.
    #[arg(long, hide = true, default_value_t = 10)]
    feed_stale_secs: u64,
}

/// Settings after merging file, environment and flags.
struct Settings {
    strategy: String,
    pairs: Vec<Pair>,
    interval: Interval,
    from: Option<String>,
    to: Option<String>,
    cash: Decimal,
    speed: f64,
    run_id: Option<String>,
    listen: String,
    redis: Option<String>,
}

fn merge(a: &RunArgs, file: RunFile) -> anyhow::Result<Settings> {
    let pairs = if a.pairs.is_empty() {
        let names = file.pairs.unwrap_or_default();
        names
            .iter()
            .map(|p| p.parse::<Pair>().map_err(|e| anyhow::anyhow!("pair {p}: {e}")))
            .collect::<Result<_, _>>()?
    } else {
        a.pairs.clone()
    };
    if pairs.is_empty() {
        bail!("no pairs: pass --pairs XBT/USD (or `pairs` in the config file)");
    }
    let interval = match (a.interval, file.interval) {
        (Some(i), _) => i,
        (None, Some(text)) => text.parse().map_err(|e| anyhow::anyhow!("interval {text:?}: {e}"))?,
        (None, None) => bail!("no interval: pass --interval 1h (or `interval` in the config file)"),
    };
    let cash = match (a.cash, file.cash) {
        (Some(c), _) => c,
        (None, Some(text)) => text.parse().map_err(|e| anyhow::anyhow!("cash {text:?}: {e}"))?,
        (None, None) => Decimal::from(10_000),
    };
    let speed = a.speed.or(file.speed).unwrap_or(0.0);
    if !speed.is_finite() || speed < 0.0 {
        bail!("--speed must be 0 (as fast as possible) or a positive factor, not {speed}");
    }
    if cash <= Decimal::ZERO {
        bail!("--cash must be positive");
    }
    let strategy = a.strategy.clone().or(file.strategy).context("no strategy: pass --strategy sma-cross")?;
    Ok(Settings {
        strategy,
        pairs,
        interval,
        from: a.from.clone().or(file.from),
        to: a.to.clone().or(file.to),
        cash,
        speed,
        run_id: a.run_id.clone().or(file.run_id),
        redis: Some(a.redis.clone().or(file.redis).unwrap_or_else(|| "redis://127.0.0.1:6379".to_string()))
            .filter(|u| !u.is_empty()),
        listen: a.listen.clone().or(file.listen).unwrap_or_else(|| cst_server::DEFAULT_LISTEN.to_string()),
    })
}

/// What live trading needs once every condition holds.
struct LiveSetup {
    credentials: Credentials,
    rest_url: String,
    validate_only: bool,
    poll_every: std::time::Duration,
}

/// Refuses live trading unless every condition holds: the confirmation flag, then keys from the
/// environment or a 0600 file. Nothing is sent to Kraken before all of them pass.
fn live_setup(a: &RunArgs) -> anyhow::Result<Option<LiveSetup>> {
    if !a.live {
        if a.validate_orders {
            bail!("--validate-orders applies to live trading: add --live");
        }
        return Ok(None);
    }
    if !a.i_accept_live_trading_risk {
        bail!("--live trades real money: add --i-accept-live-trading-risk to confirm");
    }
    let keys = secrets::kraken_keys(a.secret_file.as_deref())?;
    // The error names no part of the secret.
    let credentials =
        Credentials::new(&keys.key, &keys.secret).map_err(|e| anyhow::anyhow!("Kraken API secret: {e}"))?;
    if !a.live_poll_secs.is_finite() || a.live_poll_secs <= 0.0 {
        bail!("--live-poll-secs must be positive");
    }
    Ok(Some(LiveSetup {
        credentials,
        rest_url: a.kraken_rest_url.clone().unwrap_or_else(|| KRAKEN_REST_URL.to_string()),
        validate_only: a.validate_orders,
        poll_every: std::time::Duration::from_secs_f64(a.live_poll_secs),
    }))
}

/// The gateway for the run's pairs, told which orders earlier starts of the run sent.
async fn gateway_plan(
    setup: LiveSetup,
    pairs: &[VenuePair],
    store: &Store,
    run_id: &str,
) -> anyhow::Result<GatewayPlan> {
    let config = RestConfig { base_url: setup.rest_url.trim_end_matches('/').to_string(), ..RestConfig::default() };
    let client = RestClient::new(config, Some(setup.credentials)).context("building the Kraken REST client")?;
    let instruments = pairs.iter().map(|p| p.instrument.clone()).collect();
    let gateway_config = GatewayConfig { validate_only: setup.validate_only, ..GatewayConfig::default() };
    println!(
        "LIVE trading on Kraken at {} ({}); orders go out only after the risk guard approves them",
        setup.rest_url,
        if setup.validate_only { "validate-only: Kraken checks orders and places none" } else { "orders are real" }
    );
    let mut gateway = KrakenGateway::new(client, instruments, gateway_config);
    let journaled = store.journal_orders(run_id).await.context("reading the journaled orders")?;
    let sent = journaled
        .iter()
        .map(|o| u64::from_str_radix(&o.client_order_id, 16).map(ClientOrderId))
        .collect::<Result<Vec<_>, _>>()
        .context("a journaled client order id is not 16 hex digits")?;
    gateway.remember_sent(sent);
    Ok(GatewayPlan { gateway, poll_every: setup.poll_every })
}

async fn rows_from_store(store: &Store, s: &Settings) -> anyhow::Result<Vec<Vec<CandleRow>>> {
    let from = s.from.as_deref().map(parse_time).transpose()?;
    let to = s.to.as_deref().map(parse_time).transpose()?;
    let mut out = Vec::new();
    for pair in &s.pairs {
        let rows = store.candles(pair, s.interval, from, to).await.with_context(|| format!("reading {pair}"))?;
        if rows.is_empty() {
            bail!(
                "no {pair} {} candles in the store for that range (import them with --import or `cst data import`)",
                s.interval
            );
        }
        out.push(rows);
    }
    Ok(out)
}

/// Candles from recorded WebSocket files: every pair's trades from all files, complete
/// intervals only; says what was used and what was dropped.
fn rows_from_recordings(texts: &[(PathBuf, String)], s: &Settings) -> anyhow::Result<Vec<Vec<CandleRow>>> {
    let lo = s.from.as_deref().map(parse_time).transpose()?.map_or(i64::MIN, |t| t.as_secs());
    let hi = s.to.as_deref().map(parse_time).transpose()?.map_or(i64::MAX, |t| t.as_secs());
    let mut all = recorded::RecordedTrades::default();
    for (f, text) in texts {
        let rec = recorded::read_trades(text).with_context(|| format!("reading recording {}", f.display()))?;
        println!("{}: recording {}, {} trades", f.display(), recorded::describe_coverage(&rec), rec.trades.len());
        if let (n @ 1.., Some(reason)) = &rec.malformed {
            eprintln!("{}: {n} trades refused (first: {reason})", f.display());
        }
        all.coverage.extend(rec.coverage);
        all.trades.extend(rec.trades);
    }
    let mut out = Vec::new();
    for pair in &s.pairs {
        let c = recorded::pair_candles(&all, pair, s.interval)?;
        println!("{}", recorded::describe(&c, s.interval));
        if c.rows.is_empty() {
            bail!(
                "{pair}: the recordings hold no complete {} interval with trades ({}); nothing to replay",
                s.interval,
                recorded::describe_coverage(&all)
            );
        }
        out.push(c.rows.into_iter().filter(|r| r.time >= lo && r.time <= hi).collect());
    }
    Ok(out)
}

fn rows_from_files(files: &[PathBuf], s: &Settings) -> anyhow::Result<Vec<Vec<CandleRow>>> {
    let texts = files.iter().map(|f| Ok((f.clone(), read_text(f)?))).collect::<anyhow::Result<Vec<_>>>()?;
    if texts.iter().any(|(_, t)| recorded::is_recording(t)) {
        return rows_from_recordings(&texts, s);
    }
    if files.len() != s.pairs.len() {
        bail!("--replay needs one file per pair ({} pairs, {} files)", s.pairs.len(), files.len());
    }
    let lo = s.from.as_deref().map(parse_time).transpose()?.map_or(i64::MIN, |t| t.as_secs());
    let hi = s.to.as_deref().map(parse_time).transpose()?.map_or(i64::MAX, |t| t.as_secs());
    let mut out = Vec::new();
    for (f, text) in &texts {
        let (rows, bad) = parse_ohlcvt(text);
        if rows.is_empty() {
            bail!("{}: no Kraken OHLCVT candles ({} lines refused)", f.display(), bad.len());
        }
        if let Some(b) = bad.first() {
            eprintln!("{}: {} malformed lines refused (first: line {}: {})", f.display(), bad.len(), b.line, b.reason);
        }
        out.push(rows.into_iter().filter(|r| r.time >= lo && r.time <= hi).collect());
    }
    Ok(out)
}

async fn import(store: &Store, paths: &[PathBuf]) -> anyhow::Result<()> {
    for file in expand_paths(paths).context("listing --import paths")? {
        let r = import_file(store, &file, None, None).await?;
        println!("imported {}: {} {} candles ({} new)", file.display(), r.pair, r.rows, r.outcome.inserted);
    }
    Ok(())
}

fn identity(a: &RunArgs, s: &Settings, asset_files: &[PathBuf]) -> anyhow::Result<Identity> {
    // A validate-only run places nothing, so its journal must not be resumed as a real one.
    let mode = match (a.live, a.validate_orders) {
        (true, true) => "live-validate",
        (true, false) => "live",
        (false, _) => "paper",
    };
    let strategy = if s.strategy.ends_with(".toml") {
        std::fs::read_to_string(&s.strategy).with_context(|| format!("reading {}", s.strategy))?
    } else if s.strategy == crate::cmd::ml_strategy::NAME {
        // The model and gate are part of what the run is: another model must not resume it.
        format!("{} {:?} {:?} {:?}", s.strategy, a.ml.model, a.ml.horizon, a.ml.threshold)
    } else {
        s.strategy.clone()
    };
    let source = match (a.replay.is_empty(), a.replay_store) {
        (false, _) => format!("{:?}", a.replay),
        (true, true) => "store".to_string(),
        (true, false) => "kraken-live".to_string(),
    };
    Ok(Identity {
        strategy,
        pairs: s.pairs.iter().map(Pair::to_string).collect(),
        interval: s.interval.to_string(),
        from: s.from.clone(),
        to: s.to.clone(),
        cash: s.cash.to_string(),
        source,
        asset_pairs: asset_files.to_vec(),
        mode: mode.into(),
    })
}

async fn plan(home: &HomeArgs, a: &RunArgs, s: &Settings, live: Option<LiveSetup>) -> anyhow::Result<RunPlan> {
    let url = home.store_url()?;
    let store = Store::open(&url).await.with_context(|| format!("opening store {url}"))?;
    import(&store, &a.import).await?;
    let is_live = a.replay.is_empty() && !a.replay_store;
    let asset_files = if a.asset_pairs.is_empty() { default_asset_pairs()? } else { a.asset_pairs.clone() };
    let insts = instruments(&asset_files, &s.pairs)?;
    let (replay, quality) = if is_live {
        let scales = insts.iter().map(|i| live_scale(i.pair_decimals)).collect::<anyhow::Result<Vec<_>>>()?;
        // The live feed's own checks (gaps, duplicates, staleness) report its quality as it runs.
        (Replay { bars: Vec::new(), refused: vec![(0, None); scales.len()], scales }, Vec::new())
    } else {
        let rows = if a.replay.is_empty() { rows_from_store(&store, s).await? } else { rows_from_files(&a.replay, s)? };
        (Replay::from_rows(&rows, s.interval), assess_quality(&s.pairs, s.interval, &rows))
    };
    for (pair, (n, first)) in s.pairs.iter().zip(&replay.refused) {
        if let Some(reason) = first {
            eprintln!("{pair}: {n} candles refused (first: {reason})");
        }
    }
    let (file, strategies) = crate::cmd::ml_strategy::for_run(
        &store,
        &a.ml,
        &s.strategy,
        &s.pairs,
        s.interval,
        s.from.as_deref(),
        &replay.scales,
    )
    .await?;
    let pairs: Vec<VenuePair> =
        insts.into_iter().zip(&replay.scales).map(|(instrument, &scale)| VenuePair { instrument, scale }).collect();
    let id = identity(a, s, &asset_files)?;
    let hash = id.hash();
    let run_id = s.run_id.clone().unwrap_or_else(|| format!("run-{hash}"));
    let gateway = match live {
        Some(setup) => Some(gateway_plan(setup, &pairs, &store, &run_id).await?),
        None => None,
    };
    let meta = RunMeta {
        run_id,
        strategy: if strategies.is_some() { s.strategy.clone() } else { file.spec.name().to_string() },
        config_hash: hash,
        config: id.canonical(),
        mode: id.mode.clone(),
        models: serde_json::json!(a.ml.model.iter().collect::<Vec<_>>()).to_string(),
    };
    let spec = BacktestSpec {
        strategy: file.spec,
        engine: file.engine,
        venue: file.venue,
        cash: s.cash,
        interval: s.interval,
        record_curve: false,
    };
    let live_feed = if is_live { Some(feed_plan(a, s, &store, &replay, &meta.run_id).await?) } else { None };
    let api = api_listener(home, s)?;
    Ok(RunPlan {
        spec,
        strategies,
        pairs,
        replay,
        quality,
        speed: s.speed,
        store,
        meta,
        api,
        redis: s.redis.clone(),
        live_feed,
        gateway,
    })
}

/// The quality gate on each replayed series, as `cst data check` runs it: research mode, since
/// a replay is historical by design (its age is reported against the wall clock, not blocking).
fn assess_quality(pairs: &[Pair], interval: Interval, rows: &[Vec<CandleRow>]) -> Vec<PairQuality> {
    let now = Timestamp::from_nanos(chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX));
    pairs
        .iter()
        .zip(rows)
        .map(|(pair, rows)| {
            let report = assess(&pair.wsname(), interval, rows, Some(now), GateMode::Research);
            PairQuality::from_report(&report, GateMode::Research)
        })
        .collect()
}

fn live_scale(decimals: u32) -> anyhow::Result<cst_core::event::PriceScale> {
    cst_core::event::PriceScale::new(decimals).with_context(|| format!("instrument price decimals {decimals}"))
}

/// The live feed's settings and, for a restarted run, the stored bars that rebuild its engine.
async fn feed_plan(
    a: &RunArgs,
    s: &Settings,
    store: &Store,
    replay: &Replay,
    run_id: &str,
) -> anyhow::Result<LivePlan> {
    if s.from.is_some() || s.to.is_some() {
        bail!("--from/--to select replayed data; the live feed starts now (pass --replay-store or --replay FILE)");
    }
    let mut source = LiveSource {
        ws_url: a.ws_url.clone(),
        rest_url: a.rest_url.clone(),
        pairs: s.pairs.clone(),
        interval: s.interval,
        scales: replay.scales.clone(),
        grace_secs: a.feed_grace_secs.max(0),
        stale_after: std::time::Duration::from_secs(a.feed_stale_secs.max(1)),
        catch_up: Vec::new(),
    };
    let record = store.run(run_id).await?;
    let (bars, resume) = live_feed::catch_up(store, &source, record.as_ref()).await?;
    println!("live feed {} ({} interval): {} stored bars to rebuild from", source.ws_url, s.interval, bars.len());
    source.catch_up = bars;
    Ok(LivePlan { source, resume })
}

/// Binds the API address and loads (or generates) the API token; prints the dashboard URL.
fn api_listener(home: &HomeArgs, s: &Settings) -> anyhow::Result<Option<(std::net::TcpListener, ApiTokens)>> {
    let listener = std::net::TcpListener::bind(&s.listen).with_context(|| format!("binding --listen {}", s.listen))?;
    let addr = listener.local_addr()?;
    let token_file = home.dir().join("api-token");
    std::fs::create_dir_all(home.dir())?;
    let (tokens, origin) = ApiTokens::from_env_or_file(&token_file)?;
    super::serve::announce(addr, &tokens, origin, &token_file);
    Ok(Some((listener, tokens)))
}

/// Runs `cst run` until SIGINT/SIGTERM.
pub fn run(home: &HomeArgs, a: RunArgs) -> anyhow::Result<ExitCode> {
    let file = a.config.as_deref().map(ConfigFile::load).transpose()?.unwrap_or_default();
    let settings = merge(&a, file.run)?;
    let live = live_setup(&a)?;
    let replayed = a.replay_store || !a.replay.is_empty();
    if let Some(l) = live.as_ref().filter(|l| replayed && !l.validate_only && l.rest_url == KRAKEN_REST_URL) {
        // Real orders on Kraken decided on recorded candles would trade real money on old prices.
        bail!(
            "live orders on Kraken ({}) need live market data, not a replay: drop --replay/--replay-store \
             (the live feed), or use --validate-orders (Kraken checks each order, places none)",
            l.rest_url
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async {
        let plan = plan(home, &a, &settings, live).await?;
        let running = runtime::start(plan).await?;
        let running = std::sync::Arc::new(running);
        let watcher = running.clone();
        let report = tokio::spawn(async move {
            if let Some(s) = watcher.replay_journaled().await {
                println!(
                    "replay finished: {} events, equity {} (cash {}), {} orders, {} fills, kill switch {}",
                    s.events, s.equity, s.cash, s.counts.orders, s.counts.fills, s.kill_level
                );
                for a in watcher.board.all() {
                    println!("agent {}: {:?}, {} restarts, {}", a.name, a.state, a.restarts, a.detail);
                }
                println!("still serving; stop with Ctrl-C (SIGINT) or SIGTERM");
            }
        });
        runtime::stop_signal().await;
        println!("stopping");
        report.abort();
        let _ = report.await;
        match std::sync::Arc::try_unwrap(running) {
            Ok(running) => running.stop().await,
            Err(_) => bail!("runtime still shared at shutdown"),
        }
        println!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}
