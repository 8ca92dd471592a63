//! The gateway agent (live trading): carries the trader's approved orders and cancels to the
//! [`KrakenGateway`], polls Kraken for order status and executions, and hands the resulting
//! events back to the trader. The gateway lives across restarts of this agent (it remembers
//! what it sent, so a restart never re-sends).

use super::health::{HealthBoard, HealthState};
use super::supervisor::{Shutdown, stopped};
use super::venue::{GatewayCommand, GatewayEnds};
use cst_kraken::gateway::KrakenGateway;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Notify, mpsc};

/// Everything the gateway agent needs; cloned for every (re)start.
#[derive(Clone)]
pub struct GatewayAgent {
    /// The gateway.
    pub gateway: Arc<Mutex<KrakenGateway>>,
    /// Orders and cancels from the trader.
    pub commands: Arc<Mutex<mpsc::UnboundedReceiver<GatewayCommand>>>,
    /// Events to the trader.
    pub reports: mpsc::UnboundedSender<cst_core::event::Event>,
    /// Rung after reporting.
    pub wake: Arc<Notify>,
    /// Time between polls of Kraken's order state.
    pub poll_every: Duration,
    /// Health board.
    pub board: HealthBoard,
    /// Shutdown signal.
    pub stop: Shutdown,
}

impl GatewayAgent {
    /// The agent over `gateway` and the gateway's ends of the trader's link.
    pub fn new(
        gateway: KrakenGateway,
        ends: GatewayEnds,
        poll_every: Duration,
        board: HealthBoard,
        stop: Shutdown,
    ) -> Self {
        GatewayAgent {
            gateway: Arc::new(Mutex::new(gateway)),
            commands: Arc::new(Mutex::new(ends.commands)),
            reports: ends.reports,
            wake: ends.wake,
            poll_every,
            board,
            stop,
        }
    }

    /// Runs until shutdown or until the trader's side is gone.
    pub async fn run(self) -> anyhow::Result<()> {
        let mut gateway = self.gateway.lock().await;
        let mut commands = self.commands.lock().await;
        let mut stop = self.stop.clone();
        let mut tick = tokio::time::interval(self.poll_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        self.board.set("gateway", HealthState::Healthy, "live: waiting for orders");
        loop {
            let mut events = Vec::new();
            tokio::select! {
                c = commands.recv() => match c {
                    Some(GatewayCommand::Place(order)) => gateway.place(order, &mut events).await,
                    Some(GatewayCommand::Restore(order)) => gateway.restore(order, &mut events).await,
                    Some(GatewayCommand::Cancel(id)) => gateway.cancel(id).await,
                    None => return Ok(()),
                },
                _ = tick.tick() => match gateway.poll(&mut events).await {
                    Ok(()) => self.healthy(&gateway),
                    Err(e) => self.board.set("gateway", HealthState::Degraded, format!("polling Kraken failed: {e}")),
                },
                _ = stopped(&mut stop) => return Ok(()),
            }
            publish_metrics(&gateway);
            if !events.is_empty() {
                for e in events {
                    self.reports.send(e).map_err(|_| anyhow::anyhow!("the engine is gone"))?;
                }
                self.wake.notify_one();
            }
        }
    }

    fn healthy(&self, gateway: &KrakenGateway) {
        let c = gateway.counts();
        let detail = format!(
            "live: {} sent, {} accepted, {} rejected, {} unknown, {} fills, {} working",
            c.sent,
            c.accepted,
            c.rejected,
            c.unknown,
            c.fills,
            gateway.working()
        );
        self.board.set("gateway", HealthState::Healthy, detail);
    }
}

/// The gateway's counts, working orders and the private REST limiter's headroom, to /metrics.
fn publish_metrics(gateway: &KrakenGateway) {
    cst_server::metrics::set_gateway(&gateway.counts().labelled(), gateway.working());
    let limits = gateway.client().limiter().snapshot();
    if limits.rest_max > 0.0 {
        cst_server::metrics::set_rate_limiter_headroom("rest-private", 1.0 - limits.rest_level / limits.rest_max);
    }
}
