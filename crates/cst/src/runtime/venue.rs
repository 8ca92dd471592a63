//! Where the trader's orders go: the simulated venue (paper trading, the default) or the live
//! Kraken gateway, behind one interface. Either way the only order input is an
//! [`ApprovedOrder`] from the engine's risk guard and execution policy.
//!
//! The live side is a [`LiveLink`]: orders go to the gateway agent over a channel (the gateway
//! speaks HTTP, the trader stays synchronous), and the gateway's events come back over another,
//! drained before every bar and whenever the gateway rings [`LiveLink::wake`].

use cst_core::event::{Bar, ClientOrderId, Event, OrderUpdate, Stamp};
use cst_core::risk::ApprovedOrder;
use cst_core::sim_venue::SimVenue;
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, mpsc};

/// A request to the gateway agent.
#[derive(Debug)]
pub enum GatewayCommand {
    /// Send an approved order.
    Place(ApprovedOrder),
    /// An order decided again while rebuilding an earlier start's state: adopt, never send.
    Restore(ApprovedOrder),
    /// Cancel an order.
    Cancel(ClientOrderId),
}

/// The trader's end of the gateway agent's channels (cloned for every engine restart).
#[derive(Debug, Clone)]
pub struct LiveLink {
    commands: mpsc::UnboundedSender<GatewayCommand>,
    reports: Arc<Mutex<mpsc::UnboundedReceiver<Event>>>,
    wake: Arc<Notify>,
}

/// The gateway agent's end of the channels.
#[derive(Debug)]
pub struct GatewayEnds {
    /// Orders and cancels from the trader.
    pub commands: mpsc::UnboundedReceiver<GatewayCommand>,
    /// Events for the trader.
    pub reports: mpsc::UnboundedSender<Event>,
    /// Rung after reports were sent, so an idle engine picks them up.
    pub wake: Arc<Notify>,
}

/// A connected pair of ends.
pub fn live_link() -> (LiveLink, GatewayEnds) {
    let (commands, commands_rx) = mpsc::unbounded_channel();
    let (reports_tx, reports) = mpsc::unbounded_channel();
    let wake = Arc::new(Notify::new());
    let link = LiveLink { commands, reports: Arc::new(Mutex::new(reports)), wake: wake.clone() };
    (link, GatewayEnds { commands: commands_rx, reports: reports_tx, wake })
}

impl LiveLink {
    /// Rung when the gateway has reported events.
    pub fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    fn drain(&self, out: &mut Vec<Event>) {
        let mut reports = self.reports.lock().unwrap_or_else(|p| p.into_inner());
        while let Ok(e) = reports.try_recv() {
            out.push(e);
        }
    }

    fn send(&self, command: GatewayCommand, now_ns: i64, out: &mut Vec<Event>) {
        if let Err(mpsc::error::SendError(GatewayCommand::Place(order) | GatewayCommand::Restore(order))) =
            self.commands.send(command)
        {
            // The order never left: say so instead of leaving it in flight forever.
            let reason = "live gateway is not running; order not sent".to_string();
            out.push(Event::Order(OrderUpdate::Rejected { id: order.id(), reason, stamp: Stamp::at(now_ns) }));
        }
    }
}

/// The trader's venue.
// One per trader, never moved in a hot loop: boxing the paper venue would only add a pointer
// chase to every simulated fill.
#[allow(clippy::large_enum_variant)]
pub enum Venue {
    /// The simulated Kraken venue (backtest and paper trading).
    Paper(SimVenue),
    /// The Kraken gateway agent.
    Live(LiveLink),
}

impl Venue {
    /// A new bar: the paper venue fills against it; the live venue hands over what Kraken reported.
    pub fn on_bar(&mut self, bar: &Bar, out: &mut Vec<Event>) {
        match self {
            Venue::Paper(v) => v.on_bar(bar, out),
            Venue::Live(l) => l.drain(out),
        }
    }

    /// Submits an approved order.
    pub fn submit(&mut self, order: ApprovedOrder, now_ns: i64, out: &mut Vec<Event>) {
        match self {
            Venue::Paper(v) => v.submit(order, now_ns, out),
            Venue::Live(l) => l.send(GatewayCommand::Place(order), now_ns, out),
        }
    }

    /// Submits an order the engine decided again while rebuilding the state of an earlier start:
    /// the paper venue simulates it as before; the live gateway only adopts what Kraken has.
    pub fn resubmit(&mut self, order: ApprovedOrder, now_ns: i64, out: &mut Vec<Event>) {
        match self {
            Venue::Paper(v) => v.submit(order, now_ns, out),
            Venue::Live(l) => l.send(GatewayCommand::Restore(order), now_ns, out),
        }
    }

    /// Cancels an order.
    pub fn cancel(&mut self, id: ClientOrderId, now_ns: i64, out: &mut Vec<Event>) {
        match self {
            Venue::Paper(v) => v.cancel(id, now_ns, out),
            Venue::Live(l) => l.send(GatewayCommand::Cancel(id), now_ns, out),
        }
    }

    /// Events the live gateway reported since the last call (none for the paper venue, whose
    /// events arise only from bars and orders).
    pub fn drain(&mut self, out: &mut Vec<Event>) {
        if let Venue::Live(l) = self {
            l.drain(out);
        }
    }

    /// What rings when the live gateway has reported events.
    pub fn wake(&self) -> Option<Arc<Notify>> {
        match self {
            Venue::Paper(_) => None,
            Venue::Live(l) => Some(l.wake()),
        }
    }
}
