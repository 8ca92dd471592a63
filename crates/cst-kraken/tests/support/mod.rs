//! A local HTTP/1.1 server on 127.0.0.1 (random port) that replays recorded Kraken payloads to
//! the real client and logs every request it receives.

#![allow(dead_code)]

use cst_kraken::ratelimit::{CounterLimit, LimiterConfig, Tier};
use cst_kraken::rest::{BreakerConfig, RestConfig, RetryPolicy};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HashMap<String, String>,
    pub body: String,
    pub at: Instant,
}

/// A canned reply.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    pub fn ok(body: impl Into<String>) -> Self {
        Reply { status: 200, body: body.into() }
    }

    pub fn kraken_error(error: &str) -> Self {
        Reply { status: 200, body: format!(r#"{{"error":["{error}"]}}"#) }
    }
}

type Routes = Arc<Mutex<HashMap<String, VecDeque<Reply>>>>;

/// The replay server.
pub struct Replay {
    pub addr: SocketAddr,
    routes: Routes,
    log: Arc<Mutex<Vec<Received>>>,
    delays: Delays,
}

type Delays = Arc<Mutex<HashMap<String, Duration>>>;

impl Replay {
    pub async fn start() -> Replay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let routes: Routes = Arc::default();
        let log: Arc<Mutex<Vec<Received>>> = Arc::default();
        let delays: Delays = Arc::default();
        let (r, l, d) = (routes.clone(), log.clone(), delays.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, r.clone(), l.clone(), d.clone()));
            }
        });
        Replay { addr, routes, log, delays }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replies for `path` in order; the last one repeats.
    pub fn route(&self, path: &str, replies: Vec<Reply>) {
        self.routes.lock().expect("routes").insert(path.to_string(), replies.into());
    }

    /// Serves a shared data file for `path`.
    pub fn route_file(&self, path: &str, data_file: &str) {
        self.route(path, vec![Reply::ok(cst_testdata::read_text(data_file))]);
    }

    /// Holds every reply for `path` back by `delay` (the request is logged on arrival).
    pub fn delay(&self, path: &str, delay: Duration) {
        self.delays.lock().expect("delays").insert(path.to_string(), delay);
    }

    pub fn requests(&self) -> Vec<Received> {
        self.log.lock().expect("log").clone()
    }

    pub fn requests_to(&self, path: &str) -> Vec<Received> {
        self.requests().into_iter().filter(|r| r.path == path).collect()
    }

    /// A client config pointed at this server: fast retries, limits that do not slow tests.
    pub fn config(&self) -> RestConfig {
        RestConfig {
            base_url: self.url(),
            timeout: Duration::from_secs(5),
            retry: RetryPolicy {
                max_attempts: 4,
                base_delay: Duration::from_millis(40),
                max_delay: Duration::from_secs(1),
            },
            limits: LimiterConfig {
                rest: Tier::Pro.rest_limit(),
                engine: Tier::Pro.engine_limit(),
                public: CounterLimit { max: 1000.0, decay_per_sec: 1000.0 },
            },
            breaker: BreakerConfig { failures_to_open: 5, open_for: Duration::from_secs(60) },
        }
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let len = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            let mut body = buf[end + 4..].to_vec();
            while body.len() < len {
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                body.extend_from_slice(&chunk[..n]);
            }
            return Some((head, body));
        }
    }
}

async fn serve(mut stream: TcpStream, routes: Routes, log: Arc<Mutex<Vec<Received>>>, delays: Delays) {
    let Some((head, body)) = read_request(&mut stream).await else { return };
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or_default().split_whitespace();
    let method = first.next().unwrap_or_default().to_string();
    let target = first.next().unwrap_or_default().to_string();
    let (path, query) = target.split_once('?').map_or((target.clone(), String::new()), |(p, q)| (p.into(), q.into()));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let received = Received {
        method,
        path: path.clone(),
        query,
        headers,
        body: String::from_utf8_lossy(&body).into(),
        at: Instant::now(),
    };
    log.lock().expect("log").push(received);
    let reply = {
        let mut r = routes.lock().expect("routes");
        match r.get_mut(&path) {
            Some(q) if q.len() > 1 => q.pop_front(),
            Some(q) => q.front().cloned(),
            None => None,
        }
    }
    .unwrap_or(Reply { status: 404, body: "not found".into() });
    let delay = delays.lock().expect("delays").get(&path).copied();
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let response = format!(
        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        reply.status,
        reply.body.len(),
        reply.body
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Query-string pairs, decoded.
pub fn query_pairs(q: &str) -> HashMap<String, String> {
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}
