//! The dashboard of a running engine in a real headless Chromium (Debian's `chromium`, driven
//! over the DevTools protocol): `cst run --replay-store` replays real Kraken XBT/USD hours and
//! keeps serving; the page shows the engine's open position, and a mouse click on HALT reaches
//! the engine: `/api/v1/risk` then reports the engine's kill level as halt, and the halt is in
//! the run's journal with the dashboard's reason.
#![allow(clippy::unwrap_used)]

mod run_support;

use futures_util::{SinkExt, StreamExt};
use run_support::{API_TOKEN, Home, http_get};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const CHROMIUM: &str = "/usr/bin/chromium";

/// sma-cross(10,30) holds XBT/USD from the 2019-12-29T11:00 fill to the 2019-12-30T09:00 exit
/// (`cst backtest`), so a replay ending at midnight leaves a position open.
const RANGE: [&str; 4] = ["--from", "2019-01-01T00:00:00Z", "--to", "2019-12-30T00:00:00Z"];

/// A DevTools-protocol connection to one page.
struct Cdp {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    session: Option<String>,
}

impl Cdp {
    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let mut msg = json!({"id": self.next_id, "method": method, "params": params});
        if let Some(s) = &self.session {
            msg["sessionId"] = json!(s);
        }
        self.ws.send(Message::text(msg.to_string())).await.unwrap();
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(20), self.ws.next()).await.unwrap().unwrap().unwrap();
            let Message::Text(text) = frame else { continue };
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["id"] == self.next_id {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    async fn eval(&mut self, expression: &str) -> Value {
        let r = self.call("Runtime.evaluate", json!({"expression": expression, "returnByValue": true})).await;
        r["result"]["value"].clone()
    }

    /// Polls `expression` until it is truthy.
    async fn wait_for(&mut self, expression: &str) -> Value {
        for _ in 0..150 {
            let v = self.eval(expression).await;
            if !(v.is_null() || v == json!(false) || v == json!("")) {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("page never satisfied: {expression}");
    }

    async fn click(&mut self, selector: &str) {
        let rect = self
            .eval(&format!(
                "(() => {{ const e = document.querySelector('{selector}'); e.scrollIntoView(); \
                 const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
            ))
            .await;
        let (x, y) = (rect[0].as_f64().unwrap(), rect[1].as_f64().unwrap());
        for kind in ["mousePressed", "mouseReleased"] {
            let ev = json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1});
            self.call("Input.dispatchMouseEvent", ev).await;
        }
    }
}

/// Starts headless Chromium; returns it and its DevTools WebSocket URL.
fn launch_chromium(profile: &std::path::Path) -> (Child, String) {
    assert!(
        std::path::Path::new(CHROMIUM).exists(),
        "Debian's chromium is needed for the browser test: run `bash ci/test-tools.sh` (apt-get install chromium)"
    );
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "--window-size=1280,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    // Keeps draining stderr so chromium never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("DevTools listening on ") {
                let _ = tx.send(url.trim().to_string());
            }
        }
    });
    let url = rx.recv_timeout(Duration::from_secs(30)).expect("chromium prints its DevTools URL within 30 s");
    (child, url)
}

async fn open_page(browser_ws: &str, url: &str) -> Cdp {
    let (ws, _) = tokio_tungstenite::connect_async(browser_ws).await.unwrap();
    let mut cdp = Cdp { ws, next_id: 0, session: None };
    let target = cdp.call("Target.createTarget", json!({"url": "about:blank"})).await;
    let attached = cdp.call("Target.attachToTarget", json!({"targetId": target["targetId"], "flatten": true})).await;
    cdp.session = Some(attached["sessionId"].as_str().unwrap().to_string());
    cdp.call("Page.enable", json!({})).await;
    cdp.call("Page.navigate", json!({"url": url})).await;
    cdp
}

fn api(addr: &str, path: &str) -> Value {
    let (status, body) = http_get(addr, path, Some(API_TOKEN));
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_of_a_running_engine_shows_its_positions_and_halt_halts_the_engine() {
    let home = Home::sqlite();
    home.import_xbt();
    let mut args: Vec<String> =
        ["run", "--replay-store", "--pairs", "XBT/USD", "--interval", "1h", "--strategy", "sma-cross", "--speed", "0"]
            .map(String::from)
            .to_vec();
    args.extend(RANGE.map(String::from));
    args.extend(["--listen", "127.0.0.1:0", "--redis", ""].map(String::from));
    let mut run = home.spawn(&args);
    let addr = run.api_addr();
    let run_id = run.run_id();
    run.wait_line("replay finished", Duration::from_secs(300));
    let deadline = Instant::now() + Duration::from_secs(30);
    let positions = loop {
        let p = api(&addr, "/api/v1/positions");
        if p["items"][0]["qty"].as_str().is_some_and(|q| q.parse::<f64>().unwrap() > 0.0) {
            break p;
        }
        assert!(Instant::now() < deadline, "no open position published: {p}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let before = api(&addr, "/api/v1/risk")["kill_level"].clone();
    assert_eq!(before, json!("warn"), "the year's 51 % drawdown raised a warning, nothing more");

    let profile = home.dir.path().join("chromium-profile");
    let (mut chromium, browser_ws) = launch_chromium(&profile);
    let mut cdp = open_page(&browser_ws, &format!("http://{addr}/#token={API_TOKEN}")).await;
    cdp.wait_for("document.body.dataset.loaded === 'true'").await;
    let rows = cdp.eval("[...document.querySelectorAll('#positions tr')].map(r => r.innerText)").await;
    let rows: Vec<String> = serde_json::from_value(rows).unwrap();
    let p = &positions["items"][0];
    let (qty, mark) = (p["qty"].as_str().unwrap(), p["mark_price"].as_str().unwrap());
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains("XBT/USD") && rows[0].contains(qty) && rows[0].contains(mark), "{rows:?} vs {p}");
    let signal = cdp.eval("document.querySelector('#signals tr').innerText").await;
    assert!(signal.as_str().unwrap().contains("sma-cross(10,30)"), "the signal feed shows the engine's: {signal}");

    cdp.click("#halt-button").await;
    cdp.wait_for("document.getElementById('control-result').textContent === 'halt sent'").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while api(&addr, "/api/v1/risk")["kill_level"] != json!("halt") {
        assert!(Instant::now() < deadline, "the engine never reported halt");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let transition = &api(&addr, "/api/v1/risk")["last_transition"];
    assert_eq!((&transition["to"], &transition["trigger"]), (&json!("halt"), &json!("operator")), "{transition}");
    cdp.wait_for("document.getElementById('kill-level').textContent === 'halt'").await;
    if let Ok(dir) = std::env::var("CST_SCREENSHOT_DIR") {
        let shot = cdp.call("Page.captureScreenshot", json!({"format": "png", "captureBeyondViewport": true})).await;
        let png = shot["data"].as_str().unwrap();
        std::fs::write(std::path::Path::new(&dir).join("running-engine.png.b64"), png).unwrap();
    }

    let _ = chromium.kill();
    let _ = chromium.wait();
    run.terminate();
    let store = cst_store::Store::open(&home.url()).await.unwrap();
    let controls = store.journal_controls(&run_id).await.unwrap();
    assert_eq!(controls.len(), 1);
    assert_eq!((controls[0].command.as_str(), controls[0].reason.as_str()), ("halt", "dashboard operator"));
}
