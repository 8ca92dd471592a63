//! The running system (`cst run`): supervised agents wired around one feed and one journal.
//!
//! - `market_data`: replay source → [`feed::Feed`] (an append-only log of bars);
//! - `live_feed`: Kraken's WebSocket `ohlc` channel (final candles only, REST backfill after a
//!   reconnect) → candle store → the same feed, when `cst run` has no replay source;
//! - `engine_agent`: the engine and the paper venue ([`trader::Trader`]), fed from the log;
//! - `persistence`: journal batches → the store, one transaction per batch with its checkpoint;
//! - `gateway` (live only): approved orders → Kraken, Kraken's order state → events
//!   ([`gateway_agent`], behind the trader's [`venue::Venue`]);
//!
//! each under [`supervisor::supervise`] with backoff and a [`health::HealthBoard`] entry. A restart
//! (of an agent, or of the whole process after a crash) rebuilds the engine from the log and
//! journals only what lies beyond the stored checkpoint, so nothing is lost or repeated.

pub mod api;
pub mod cache;
pub mod config;
pub mod engine_agent;
pub mod feed;
pub mod gateway_agent;
pub mod health;
pub mod live_candles;
pub mod live_feed;
pub mod market_data;
pub mod persistence;
pub mod recorded;
pub mod supervisor;
pub mod trader;
pub mod venue;

use cst_core::backtest::BacktestSpec;
use cst_core::sim_venue::VenuePair;
use cst_store::Store;
use cst_store::journal::RunMeta;
use engine_agent::{EngineAgent, EngineStatus, OperatorControl};
use feed::Feed;
use health::HealthBoard;
use market_data::{Pace, Replay};
use persistence::PersistenceAgent;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Duration;
use supervisor::{Backoff, supervise};
use tokio::sync::{mpsc, watch};

/// Journal batches that may wait for the store before the engine waits.
const JOURNAL_QUEUE: usize = 64;

/// Everything `cst run` decided before starting the agents.
pub struct RunPlan {
    /// Engine, venue and strategy settings (those of `cst backtest`).
    pub spec: BacktestSpec,
    /// Strategies the spec cannot describe (`ml-ensemble`); `None`: built from `spec`.
    pub strategies: Option<trader::StrategyFactory>,
    /// Pairs with instruments and price scales.
    pub pairs: Vec<VenuePair>,
    /// The replay (for a live run: no bars, only the pairs' price scales).
    pub replay: Replay,
    /// The quality gate's report on each replayed series (shown by the API).
    pub quality: Vec<cst_server::snapshot::PairQuality>,
    /// The live Kraken feed (`None`: replay only).
    pub live_feed: Option<live_feed::LivePlan>,
    /// Replay speed.
    pub speed: f64,
    /// The store holding the journal.
    pub store: Store,
    /// Run metadata.
    pub meta: RunMeta,
    /// Redis URL of the optional cache (`None`: no cache).
    pub redis: Option<String>,
    /// The API: a bound listener and the accepted tokens (`None`: no API).
    pub api: Option<(std::net::TcpListener, cst_server::auth::ApiTokens)>,
    /// Live trading through the Kraken gateway (`None`: paper trading).
    pub gateway: Option<GatewayPlan>,
}

/// The live side of a run: the gateway and how often it polls Kraken.
pub struct GatewayPlan {
    /// The gateway (REST client with the account's credentials, the pairs' instruments).
    pub gateway: cst_kraken::gateway::KrakenGateway,
    /// Time between polls of order status and executions.
    pub poll_every: Duration,
}

/// Handles the running system exposes to the API.
pub struct Running {
    /// Agent health.
    pub board: HealthBoard,
    /// Engine status.
    pub status: watch::Receiver<EngineStatus>,
    /// Operator controls to the engine.
    pub controls: mpsc::Sender<OperatorControl>,
    /// Events whose journal is committed.
    pub persisted: Arc<AtomicI64>,
    stop: watch::Sender<bool>,
    tasks: Vec<(&'static str, tokio::task::JoinHandle<()>)>,
}

/// Starts the agents; returns once they run.
pub async fn start(plan: RunPlan) -> anyhow::Result<Running> {
    let run = plan.store.begin_run(&plan.meta).await?;
    let run_id = plan.meta.run_id.clone();
    let applied = plan.store.journal_controls(&run_id).await?;
    println!(
        "run {run_id} ({}, {} store): start #{}, {} events journaled, {} replay bars",
        plan.meta.strategy,
        plan.store.backend(),
        run.starts,
        run.events,
        plan.replay.bars.len()
    );
    let (stop_tx, stop) = watch::channel(false);
    let board = HealthBoard::default();
    let feed = Feed::default();
    let persisted = Arc::new(AtomicI64::new(run.events));
    let (journal_tx, journal_rx) = mpsc::channel(JOURNAL_QUEUE);
    let (controls_tx, controls_rx) = mpsc::channel(64);
    let (status_tx, status_rx) = watch::channel(EngineStatus::default());
    let backoff = Backoff::default();
    let mut tasks = Vec::new();
    let quote = plan.pairs.first().map(|p| p.instrument.pair.quote().to_string()).unwrap_or_default();

    if let Some(live) = plan.live_feed {
        let agent = live_feed::LiveFeedAgent::new(live, feed.clone(), plan.store.clone(), board.clone(), stop.clone());
        let task = supervise("market-data", board.clone(), backoff, stop.clone(), move || agent.clone().run());
        tasks.push(("market-data", tokio::spawn(task)));
    } else {
        let replay = Arc::new(plan.replay);
        let pace = Pace { speed: plan.speed, catch_up: usize::try_from(run.events).unwrap_or(0) };
        let (f, b, s) = (feed.clone(), board.clone(), stop.clone());
        tasks.push((
            "market-data",
            tokio::spawn(supervise("market-data", board.clone(), backoff, stop.clone(), move || {
                let (replay, feed, board, stop) = (replay.clone(), f.clone(), b.clone(), s.clone());
                async move {
                    market_data::run_replay(&replay, &feed, pace, &board, &stop).await;
                    Ok(())
                }
            })),
        ));
    }
    let live = plan.gateway.map(|live| {
        let (link, ends) = venue::live_link();
        let agent = gateway_agent::GatewayAgent::new(live.gateway, ends, live.poll_every, board.clone(), stop.clone());
        let task = supervise("gateway", board.clone(), backoff, stop.clone(), move || agent.clone().run());
        tasks.push(("gateway", tokio::spawn(task)));
        link
    });
    let engine = EngineAgent {
        spec: plan.spec,
        strategies: plan.strategies,
        pairs: plan.pairs,
        feed,
        journal: journal_tx,
        persisted: persisted.clone(),
        applied: Arc::new(std::sync::Mutex::new(applied)),
        controls: Arc::new(tokio::sync::Mutex::new(controls_rx)),
        status: status_tx,
        board: board.clone(),
        stop: stop.clone(),
        live,
    };
    tasks.push((
        "engine",
        tokio::spawn(supervise("engine", board.clone(), backoff, stop.clone(), move || engine.clone().run())),
    ));
    let persistence = PersistenceAgent {
        store: plan.store,
        run_id,
        batches: Arc::new(tokio::sync::Mutex::new(journal_rx)),
        persisted: persisted.clone(),
        board: board.clone(),
        stop: stop.clone(),
    };
    tasks.push((
        "persistence",
        tokio::spawn(supervise("persistence", board.clone(), backoff, stop.clone(), move || persistence.clone().run())),
    ));
    if let Some(url) = plan.redis {
        let agent = cache::CacheAgent {
            url,
            run_id: plan.meta.run_id.clone(),
            status: status_rx.clone(),
            board: board.clone(),
            stop: stop.clone(),
        };
        let task = supervise("cache", board.clone(), backoff, stop.clone(), move || agent.clone().run());
        tasks.push(("cache", tokio::spawn(task)));
    }
    if let Some((listener, tokens)) = plan.api {
        let state = cst_server::state::SharedState::new(cst_server::snapshot::SystemSnapshot::default());
        let (requests_tx, requests_rx) = cst_server::control::channel();
        tokio::spawn(api::bridge(requests_rx, controls_tx.clone()));
        let facts = api::RunFacts { quote, quality: plan.quality };
        tokio::spawn(api::publish(status_rx.clone(), board.clone(), state.clone(), facts, stop.clone()));
        let metrics = cst_server::metrics::install()?;
        let agent = api::ApiAgent {
            listener: Arc::new(listener),
            parts: cst_server::ServerParts { state, controls: requests_tx, tokens, metrics },
            board: board.clone(),
            stop: stop.clone(),
        };
        tasks.push((
            "api",
            tokio::spawn(supervise("api", board.clone(), backoff, stop.clone(), move || agent.clone().run())),
        ));
    }
    Ok(Running { board, status: status_rx, controls: controls_tx, persisted, stop: stop_tx, tasks })
}

impl Running {
    /// Waits until the replay is processed and its journal committed; returns the final status.
    pub async fn replay_journaled(&self) -> Option<EngineStatus> {
        let mut status = self.status.clone();
        let events = status.wait_for(|s| s.replay_done).await.ok()?.events as i64;
        while self.persisted.load(std::sync::atomic::Ordering::SeqCst) < events {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let done = status.borrow().clone();
        Some(done)
    }

    /// Graceful stop: agents stop, the engine's last batch is journaled, then this returns.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        drop(self.controls);
        for (name, task) in self.tasks {
            if tokio::time::timeout(Duration::from_secs(15), task).await.is_err() {
                eprintln!("agent {name} did not stop within 15 s");
            }
        }
    }
}

/// Waits for SIGINT or SIGTERM.
pub async fn stop_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}
