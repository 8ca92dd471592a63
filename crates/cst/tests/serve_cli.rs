//! `cst serve` through the real binary: imports a real Kraken file, serves, answers the data-quality
//! gate of the stored series over HTTP with the token from the environment, refuses without it.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};

const TOKEN: &str = "serve-cli-test-token-0123456789";

fn get(addr: &str, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).expect("connect");
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n").expect("write");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("read");
    let (head, body) = text.split_once("\r\n\r\n").expect("http response");
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).expect("status");
    (status, serde_json::from_str(body).expect("JSON body"))
}

/// `cst serve` on a free port with `CST_API_TOKEN` set to `token` (or unset), stdout piped; returns
/// the process, its stdout (kept open: a closed pipe would fail serve's later prints) and the first
/// two lines (the listen address and the dashboard line).
fn spawn_serve(home: &std::path::Path, token: Option<&str>) -> (Child, BufReader<ChildStdout>, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cst"));
    cmd.arg("--home").arg(home).args(["serve", "--listen", "127.0.0.1:0"]);
    match token {
        Some(t) => cmd.env("CST_API_TOKEN", t),
        None => cmd.env_remove("CST_API_TOKEN"),
    };
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("serve starts");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let (mut line, mut dashboard) = (String::new(), String::new());
    out.read_line(&mut line).expect("first line");
    out.read_line(&mut dashboard).expect("second line");
    (child, out, line, dashboard)
}

#[test]
fn serve_reports_the_quality_gate_of_stored_real_data() {
    let home = tempfile::tempdir().expect("tmp");
    let file = cst_testdata::path("kraken/ohlcvt/intraday-2023/h1-15m/XBTUSD_15_2023H1_train.csv.gz");
    let cst = env!("CARGO_BIN_EXE_cst");
    let import = Command::new(cst).arg("--home").arg(home.path()).args(["data", "import"]).arg(&file).output();
    assert!(import.expect("import runs").status.success());

    let (mut child, _out, line, dashboard) = spawn_serve(home.path(), Some(TOKEN));
    assert!(dashboard.contains("token from $CST_API_TOKEN") && !dashboard.contains(TOKEN), "{dashboard}");
    let addr = line.trim().strip_prefix("listening on http://").expect("listen line").to_string();

    let (status, _) = get(&addr, "/api/v1/quality", None);
    assert_eq!(status, 401);
    let (status, body) = get(&addr, "/api/v1/quality", Some(TOKEN));
    assert_eq!(status, 200);
    let q = &body["items"][0];
    assert_eq!(
        (q["pair"].as_str(), q["interval"].as_str(), q["rows"].as_u64()),
        (Some("XBT/USD"), Some("15m"), Some(17364))
    );
    assert_eq!(q["tradable"], false, "2023 data is stale for trading now: {q}");
    assert!(q["reasons"][0].as_str().expect("reason").starts_with("stale"), "{q}");
    let (status, health) = get(&addr, "/health", None);
    assert_eq!((status, health["status"].as_str()), (200, Some("healthy")));
    child.kill().expect("stop serve");
    let _ = child.wait();
}

#[test]
fn a_generated_token_is_not_printed_when_stdout_is_not_a_terminal() {
    // stdout piped, as under systemd, docker or `> serve.log`: the output names the token file and
    // never carries the token itself.
    let home = tempfile::tempdir().expect("tmp");
    let (mut child, _out, line, dashboard) = spawn_serve(home.path(), None);
    let token_file = home.path().join("api-token");
    let token = std::fs::read_to_string(&token_file).expect("token file written");
    assert!(token.trim().len() >= 32, "a generated token");
    assert!(dashboard.contains(&format!("token in {}", token_file.display())), "{dashboard}");
    assert!(!line.contains(token.trim()) && !dashboard.contains(token.trim()), "{line}{dashboard}");
    child.kill().expect("stop serve");
    let _ = child.wait();
}
