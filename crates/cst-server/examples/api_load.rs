//! Bounded open-loop load against a running server on 127.0.0.1: `CST_LOAD_RATE` requests per
//! second (default 1000) for `CST_LOAD_COUNT` requests (default 20000) over 4 keep-alive
//! connections, rotating over the state routes; prints p50/p90/p99/max latency.
//!
//! `CST_API_TOKEN=... cargo run --release -p cst-server --example api_load -- 127.0.0.1:8088`

use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const ROUTES: [&str; 7] = [
    "/api/v1/positions",
    "/api/v1/orders",
    "/api/v1/risk",
    "/api/v1/quality",
    "/api/v1/fills?limit=50",
    "/api/v1/equity?limit=100",
    "/api/v1/agents",
];
const CONNECTIONS: usize = 4;

async fn one(conn: &mut BufReader<TcpStream>, addr: &str, path: &str, token: &str) -> std::io::Result<()> {
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n");
    conn.get_mut().write_all(req.as_bytes()).await?;
    let (mut line, mut len) = (String::new(), 0usize);
    conn.read_line(&mut line).await?;
    assert!(line.starts_with("HTTP/1.1 200"), "{path}: {line}");
    loop {
        line.clear();
        conn.read_line(&mut line).await?;
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; len];
    conn.read_exact(&mut body).await?;
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8088".into());
    let token = std::env::var("CST_API_TOKEN")?;
    let env_num = |k: &str, d: u64| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    let (rate, count) = (env_num("CST_LOAD_RATE", 1000), env_num("CST_LOAD_COUNT", 20_000) as usize);
    let per_conn = count / CONNECTIONS;
    let interval = Duration::from_secs_f64(CONNECTIONS as f64 / rate as f64);
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS {
        let (addr, token) = (addr.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = BufReader::new(TcpStream::connect(&addr).await.expect("connect"));
            let start = Instant::now();
            let mut lat = Vec::with_capacity(per_conn);
            for i in 0..per_conn {
                // Open loop: latency counts from the scheduled send time, so a stall is not hidden.
                let due = start + interval * i as u32;
                tokio::time::sleep_until(due.into()).await;
                one(&mut conn, &addr, ROUTES[(i + c) % ROUTES.len()], &token).await.expect("request");
                lat.push(due.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await?);
    }
    all.sort();
    let q = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    println!(
        "requests {} at {rate}/s: p50 {:?} p90 {:?} p99 {:?} max {:?}",
        all.len(),
        q(0.50),
        q(0.90),
        q(0.99),
        all[all.len() - 1]
    );
    Ok(())
}
