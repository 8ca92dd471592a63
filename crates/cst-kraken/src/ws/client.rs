//! The reconnecting public WebSocket client (tokio-tungstenite, rustls on ring).
//!
//! One task owns the connection. It subscribes, parses every frame, keeps the books through
//! [`BookFeed`] and reacts to everything that can make a book wrong:
//! - checksum mismatch or unrepresentable level: that book is invalid; unsubscribe and
//!   subscribe again for a fresh snapshot;
//! - no frame (heartbeats included) within `stale_after`: every book is invalid; reconnect;
//! - disconnect or connect failure: every book is invalid; reconnect after exponential backoff
//!   with jitter, then subscribe again.
//!
//! Malformed frames are counted, logged with their raw text and skipped. Every frame, sent and
//! received, can be written to a [`Recorder`].

use super::backoff::Backoff;
use super::feed::{BookFeed, BookOutcome, Invalid};
use super::frame::{Frame, FrameError, Protocol, parse_frame};
use super::recorder::{Direction, Recorder};
use super::{v1, v2};
use futures_util::{SinkExt, StreamExt};
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;

/// One channel subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// `book`, `trade`, `ticker`, ...
    pub channel: String,
    /// Pairs as the protocol names them (`XBT/USD` in v1, `BTC/USD` in v2).
    pub symbols: Vec<String>,
    /// Book depth (book channel only).
    pub depth: Option<usize>,
}

/// Client settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `wss://ws.kraken.com/v2` in production.
    pub url: String,
    /// Protocol spoken at `url`.
    pub protocol: Protocol,
    /// Subscriptions, (re)sent on every connection.
    pub subscriptions: Vec<Subscription>,
    /// The feed is stale when no frame arrives for this long (Kraken heartbeats every second).
    pub stale_after: Duration,
    /// Reconnect delays.
    pub backoff: Backoff,
}

impl ClientConfig {
    /// Production v2 settings for `subscriptions`.
    pub fn kraken_v2(subscriptions: Vec<Subscription>) -> Self {
        Self {
            url: "wss://ws.kraken.com/v2".into(),
            protocol: Protocol::V2,
            subscriptions,
            stale_after: Duration::from_secs(10),
            backoff: Backoff::default(),
        }
    }

    fn book_depth(&self) -> usize {
        self.subscriptions.iter().find(|s| s.channel == "book").and_then(|s| s.depth).unwrap_or(10)
    }
}

/// What the client reports while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEvent {
    /// A connection is open and subscriptions were sent.
    Connected {
        /// 1-based connection count.
        connection: u64,
    },
    /// The connection ended; every book is invalid until its next snapshot.
    Disconnected {
        /// Why.
        reason: String,
    },
    /// A book message was processed.
    Book {
        /// The pair.
        symbol: String,
        /// What it did to the book.
        outcome: BookOutcome,
    },
    /// A book became invalid and a fresh snapshot was requested.
    Resubscribing {
        /// The pair.
        symbol: String,
        /// Why.
        reason: Invalid,
    },
    /// Public trades, exact.
    Trades(Vec<cst_core::Trade>),
    /// A frame could not be parsed; it was skipped.
    Malformed {
        /// The frame as received.
        raw: String,
        /// Why it was refused.
        reason: String,
    },
    /// Kraken refused a subscription.
    SubscriptionError {
        /// Kraken's message.
        error: String,
    },
}

/// Counters observable while the client runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Text frames received.
    pub frames: u64,
    /// Frames that could not be parsed.
    pub malformed: u64,
    /// Connections opened.
    pub connections: u64,
    /// Resubscriptions after an invalid book.
    pub resubscriptions: u64,
    /// Times the feed went stale.
    pub stale: u64,
}

/// The books, shared with readers (trading reads a book only through [`BookFeed::book`]).
pub type SharedBooks = Arc<Mutex<BookFeed>>;

/// A recorder writing to any byte sink.
pub type BoxRecorder = Recorder<Box<dyn Write + Send>>;

/// The client.
pub struct Client {
    config: ClientConfig,
    books: SharedBooks,
    stats: Arc<Mutex<ClientStats>>,
    recorder: Option<BoxRecorder>,
    events: mpsc::Sender<FeedEvent>,
    req_id: u64,
}

fn now_ns() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// How a session ended.
enum SessionEnd {
    Shutdown,
    Lost(String),
}

impl Client {
    /// A client reporting to `events`, recording to `recorder` when given.
    pub fn new(config: ClientConfig, events: mpsc::Sender<FeedEvent>, recorder: Option<BoxRecorder>) -> Self {
        let books = Arc::new(Mutex::new(BookFeed::new(config.book_depth())));
        Self { config, books, stats: Arc::default(), recorder, events, req_id: 0 }
    }

    /// The shared books.
    pub fn books(&self) -> SharedBooks {
        Arc::clone(&self.books)
    }

    /// The shared counters.
    pub fn stats(&self) -> Arc<Mutex<ClientStats>> {
        Arc::clone(&self.stats)
    }

    fn bump(&self, f: impl FnOnce(&mut ClientStats)) {
        f(&mut self.stats.lock().unwrap_or_else(PoisonError::into_inner));
    }

    fn invalidate_all(&self, reason: &Invalid) {
        self.books.lock().unwrap_or_else(PoisonError::into_inner).invalidate_all(reason);
    }

    /// Runs until `shutdown` turns true, reconnecting as needed; returns the recorder.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) -> Option<BoxRecorder> {
        let mut failures: u32 = 0;
        while !*shutdown.borrow() {
            match self.session(&mut shutdown).await {
                SessionEnd::Shutdown => break,
                SessionEnd::Lost(reason) => {
                    tracing::warn!(%reason, "websocket session ended");
                    self.invalidate_all(&Invalid::Disconnected);
                    let _ = self.events.send(FeedEvent::Disconnected { reason }).await;
                }
            }
            let delay = self.config.backoff.delay(failures, now_ns().unsigned_abs());
            failures = failures.saturating_add(1);
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.changed() => break,
            }
        }
        self.recorder
    }

    async fn session(&mut self, shutdown: &mut watch::Receiver<bool>) -> SessionEnd {
        let connected = tokio::select! {
            c = tokio_tungstenite::connect_async(self.config.url.as_str()) => c,
            _ = shutdown.changed() => return SessionEnd::Shutdown,
        };
        let mut ws = match connected {
            Ok((ws, _)) => ws,
            Err(e) => return SessionEnd::Lost(format!("connect: {e}")),
        };
        self.record(Direction::Connected, None, self.config.url.clone().as_bytes());
        self.bump(|s| s.connections += 1);
        for sub in self.config.subscriptions.clone() {
            let req = self.request(true, &sub);
            if let Err(e) = self.send(&mut ws, req).await {
                return SessionEnd::Lost(e);
            }
        }
        let connection = self.stats.lock().unwrap_or_else(PoisonError::into_inner).connections;
        let _ = self.events.send(FeedEvent::Connected { connection }).await;
        loop {
            let next = tokio::select! {
                n = tokio::time::timeout(self.config.stale_after, ws.next()) => n,
                _ = shutdown.changed() => {
                    let _ = ws.close(None).await;
                    return SessionEnd::Shutdown;
                }
            };
            let msg = match next {
                Err(_) => {
                    self.bump(|s| s.stale += 1);
                    self.invalidate_all(&Invalid::Stale);
                    return SessionEnd::Lost(format!("stale: no frame for {:?}", self.config.stale_after));
                }
                Ok(None) => return SessionEnd::Lost("closed by server".into()),
                Ok(Some(Err(e))) => return SessionEnd::Lost(format!("read: {e}")),
                Ok(Some(Ok(m))) => m,
            };
            let text = match msg {
                Message::Text(t) => t,
                Message::Close(_) => return SessionEnd::Lost("close frame".into()),
                Message::Binary(b) => {
                    self.record(Direction::Received, None, &b);
                    self.malformed(String::from_utf8_lossy(&b).into_owned(), "binary frame".into()).await;
                    continue;
                }
                _ => continue,
            };
            if let Err(e) = self.on_text(&mut ws, text.as_str()).await {
                return SessionEnd::Lost(e);
            }
        }
    }

    fn request(&mut self, subscribe: bool, sub: &Subscription) -> String {
        self.req_id += 1;
        let (channel, symbols, depth, id) = (sub.channel.as_str(), sub.symbols.as_slice(), sub.depth, self.req_id);
        match (self.config.protocol, subscribe) {
            (Protocol::V1, true) => v1::subscribe_request(channel, symbols, depth, id),
            (Protocol::V1, false) => v1::unsubscribe_request(channel, symbols, depth, id),
            (Protocol::V2, true) => v2::subscribe_request(channel, symbols, depth, id),
            (Protocol::V2, false) => v2::unsubscribe_request(channel, symbols, depth, id),
        }
    }

    async fn send<S>(&mut self, ws: &mut S, text: String) -> Result<(), String>
    where
        S: SinkExt<Message> + Unpin,
        S::Error: std::fmt::Display,
    {
        self.record(Direction::Sent, None, text.as_bytes());
        ws.send(Message::text(text)).await.map_err(|e| format!("send: {e}"))
    }

    fn record(&mut self, dir: Direction, exchange_ns: Option<i64>, payload: &[u8]) {
        if let Some(rec) = self.recorder.as_mut()
            && let Err(e) = rec.record(dir, now_ns(), exchange_ns, payload)
        {
            tracing::error!(error = %e, "recorder write failed; recording stopped");
            self.recorder = None;
        }
    }

    async fn malformed(&mut self, raw: String, reason: String) {
        self.bump(|s| s.malformed += 1);
        tracing::warn!(%reason, raw = %raw, "malformed frame skipped");
        let _ = self.events.send(FeedEvent::Malformed { raw, reason }).await;
    }

    async fn on_text<S>(&mut self, ws: &mut S, text: &str) -> Result<(), String>
    where
        S: SinkExt<Message> + Unpin,
        S::Error: std::fmt::Display,
    {
        let local_ns = now_ns();
        self.bump(|s| s.frames += 1);
        let parsed = parse_frame(self.config.protocol, text);
        let exchange_ns = match &parsed {
            Ok(Frame::Book(m)) => m.exchange_ns(),
            Ok(Frame::Trades(t)) => t.first().and_then(|t| super::frame::time_text_ns(t.time)),
            _ => None,
        };
        if let Some(rec) = self.recorder.as_mut()
            && let Err(e) = rec.record(Direction::Received, local_ns, exchange_ns, text.as_bytes())
        {
            tracing::error!(error = %e, "recorder write failed; recording stopped");
            self.recorder = None;
        }
        match parsed {
            Ok(Frame::Book(msg)) => {
                let outcome = self.books.lock().unwrap_or_else(PoisonError::into_inner).on_message(&msg);
                let symbol = msg.symbol.to_string();
                let invalid = match &outcome {
                    BookOutcome::Invalidated(reason) => Some(reason.clone()),
                    _ => None,
                };
                let _ = self.events.send(FeedEvent::Book { symbol: symbol.clone(), outcome }).await;
                if let Some(reason) = invalid {
                    self.resubscribe(ws, &symbol, reason).await?;
                }
            }
            Ok(Frame::Trades(texts)) => match texts.iter().map(|t| t.to_trade()).collect::<Result<Vec<_>, _>>() {
                Ok(trades) => {
                    let _ = self.events.send(FeedEvent::Trades(trades)).await;
                }
                Err(e) => self.malformed(text.to_string(), e.to_string()).await,
            },
            Ok(Frame::Instrument(data)) => {
                let mut books = self.books.lock().unwrap_or_else(PoisonError::into_inner);
                for pair in &data.pairs {
                    if let Some(scale) = v2::book_scale(pair) {
                        books.set_scale(pair.symbol, scale);
                    }
                }
            }
            Ok(Frame::Ack(a)) if !a.success => {
                let error = format!("{} {:?}: {}", a.method, a.symbol, a.error.unwrap_or("refused"));
                tracing::error!(%error, "subscription refused");
                let _ = self.events.send(FeedEvent::SubscriptionError { error }).await;
            }
            Ok(_) | Err(FrameError::Unknown(_)) => {}
            Err(e) => self.malformed(text.to_string(), e.to_string()).await,
        }
        Ok(())
    }

    async fn resubscribe<S>(&mut self, ws: &mut S, symbol: &str, reason: Invalid) -> Result<(), String>
    where
        S: SinkExt<Message> + Unpin,
        S::Error: std::fmt::Display,
    {
        tracing::warn!(symbol, %reason, "book invalid; resubscribing for a fresh snapshot");
        self.bump(|s| s.resubscriptions += 1);
        let depth = Some(self.config.book_depth());
        let sub = Subscription { channel: "book".into(), symbols: vec![symbol.to_string()], depth };
        let unsub = self.request(false, &sub);
        self.send(ws, unsub).await?;
        let resub = self.request(true, &sub);
        self.send(ws, resub).await?;
        let _ = self.events.send(FeedEvent::Resubscribing { symbol: symbol.to_string(), reason }).await;
        Ok(())
    }
}
