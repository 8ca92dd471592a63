//! Shared steps of the `cst run` acceptance tests: a temporary home with the real Kraken XBT/USD
//! hourly file imported, a `cst run` child process whose output lines are collected, and the
//! journal read back through the store.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)] // test helpers: a panic is the failure report

use cst_store::Store;
use cst_store::journal::{FillRecord, LedgerRecord, OrderRecord, PositionRecord, RiskRecord};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The real hourly file (2013-10 → 2020-09).
pub const XBT_HOURLY: &str = "kraken/ohlcvt/hourly-2013-2020/XBTUSD_60.csv.gz";
/// One year of it keeps debug-mode runs short.
pub const RANGE: [&str; 4] = ["--from", "2019-01-01T00:00:00Z", "--to", "2019-12-31T23:00:00Z"];

/// The control token the tests give `cst run`.
pub const API_TOKEN: &str = "run-test-token-0123456789abcdef";

/// `GET path` with the bearer token over plain HTTP/1.1; returns (status, body).
pub fn http_get(addr: &str, path: &str, token: Option<&str>) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// `POST path` with a JSON body and the bearer token; returns the status.
pub fn http_post(addr: &str, path: &str, token: &str, body: &str) -> u16 {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text.split_whitespace().nth(1).unwrap().parse().unwrap()
}

pub fn cst() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cst"));
    c.env("CST_SHARED_DATA", cst_testdata::shared_data_dir());
    c.env("CST_API_TOKEN", API_TOKEN);
    c
}

/// A temporary data directory; `store` overrides the default SQLite file.
pub struct Home {
    pub dir: tempfile::TempDir,
    pub store: Option<String>,
}

impl Home {
    pub fn sqlite() -> Self {
        Self { dir: tempfile::tempdir().unwrap(), store: None }
    }

    pub fn url(&self) -> String {
        self.store.clone().unwrap_or_else(|| format!("sqlite:{}", self.dir.path().join("cst.sqlite").display()))
    }

    pub fn cmd(&self) -> Command {
        let mut c = cst();
        c.arg("--home").arg(self.dir.path()).arg("--store").arg(self.url());
        c
    }

    /// `cst data import` of the real hourly XBT/USD file.
    pub fn import_xbt(&self) {
        let out = self.cmd().args(["data", "import"]).arg(cst_testdata::path(XBT_HOURLY)).output().unwrap();
        assert!(out.status.success(), "import failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    pub fn run_args(&self, speed: &str) -> Vec<String> {
        let mut a: Vec<String> =
            ["run", "--replay-store", "--pairs", "XBT/USD", "--interval", "1h", "--strategy", "sma-cross", "--speed"]
                .map(String::from)
                .to_vec();
        a.push(speed.to_string());
        a.extend(RANGE.map(String::from));
        a.extend(["--listen", "127.0.0.1:0"].map(String::from));
        a
    }

    pub fn spawn_run(&self, speed: &str) -> Running {
        self.spawn_run_with(speed, &["--redis", ""])
    }

    pub fn spawn_run_with(&self, speed: &str, extra: &[&str]) -> Running {
        let mut args = self.run_args(speed);
        args.extend(extra.iter().map(|a| a.to_string()));
        self.spawn(&args)
    }

    /// `cst run` (or any command) with exactly these arguments.
    pub fn spawn(&self, args: &[String]) -> Running {
        self.spawn_env(args, &[])
    }

    /// Like [`Home::spawn`], with extra environment variables (the child's only).
    pub fn spawn_env(&self, args: &[String], envs: &[(&str, &str)]) -> Running {
        let mut cmd = self.cmd();
        cmd.args(args).envs(envs.iter().copied());
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, lines: rx, seen: Vec::new() }
    }
}

/// A `cst run` child.
pub struct Running {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Running {
    /// Waits (bounded) for a stdout line containing `needle` and returns it.
    pub fn wait_line(&mut self, needle: &str, limit: Duration) -> String {
        let end = Instant::now() + limit;
        loop {
            if let Some(l) = self.seen.iter().find(|l| l.contains(needle)) {
                return l.clone();
            }
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => self.seen.push(l),
                Err(_) => {
                    let _ = self.child.kill();
                    let err = self.child.stderr.take().map(std::io::read_to_string).and_then(Result::ok);
                    panic!("no line with {needle:?} within {limit:?}; stdout {:?}; stderr {err:?}", self.seen);
                }
            }
        }
    }

    /// The API address printed at start.
    pub fn api_addr(&mut self) -> String {
        let line = self.wait_line("listening on http://", Duration::from_secs(120));
        line.trim_start_matches("listening on http://").to_string()
    }

    /// The run id printed at start.
    pub fn run_id(&mut self) -> String {
        let line = self.wait_line("run run-", Duration::from_secs(120));
        line.split_whitespace().nth(1).unwrap().to_string()
    }

    /// SIGTERM, then waits for a clean exit.
    pub fn terminate(mut self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "cst run exited with {status}");
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(l);
        }
        assert!(self.seen.iter().any(|l| l == "stopped"), "{:?}", self.seen);
    }
}

/// Everything journaled for one run.
#[derive(Debug, PartialEq)]
pub struct Journal {
    pub orders: Vec<OrderRecord>,
    pub fills: Vec<FillRecord>,
    pub ledger: Vec<LedgerRecord>,
    pub positions: Vec<PositionRecord>,
    pub risk: Option<RiskRecord>,
}

pub async fn journal(url: &str, run_id: &str) -> Journal {
    let store = Store::open(url).await.unwrap();
    Journal {
        orders: store.journal_orders(run_id).await.unwrap(),
        fills: store.journal_fills(run_id).await.unwrap(),
        ledger: store.journal_ledger(run_id).await.unwrap(),
        positions: store.journal_positions(run_id).await.unwrap(),
        risk: store.journal_risk(run_id).await.unwrap(),
    }
}

/// `cst backtest` over the same data; returns the parsed report.json.
pub fn backtest(home: &Home, report: &Path) -> serde_json::Value {
    let mut args: Vec<String> =
        ["backtest", "--pairs", "XBT/USD", "--interval", "1h", "--strategy", "sma-cross", "--report"]
            .map(String::from)
            .to_vec();
    args.push(report.display().to_string());
    args.extend(RANGE.map(String::from));
    let out = home.cmd().args(args).output().unwrap();
    assert!(out.status.success(), "backtest failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap()).unwrap()
}

pub fn path_of(home: &Home, name: &str) -> PathBuf {
    home.dir.path().join(name)
}
