//! The dashboard in a real headless Chromium (Debian's `chromium`, driven over the DevTools
//! protocol): the page loads with the token from the URL fragment, shows the positions of a
//! session replayed from real Kraken candles, and a mouse click on HALT sends `Halt` on the
//! control channel; the engine's answer (kill level halt) comes back to the page over SSE.

mod session;

use cst_server::auth::ApiTokens;
use cst_server::control::{self, ControlCommand};
use cst_server::secret::Secret;
use cst_server::snapshot::KillLevel;
use cst_server::state::SharedState;
use cst_server::{ServerParts, metrics, router, serve};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const CONTROL_TOKEN: &str = "browser-control-token-0123456789";
const CHROMIUM: &str = "/usr/bin/chromium";

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
        self.ws.send(Message::text(msg.to_string())).await.expect("send to chromium");
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(20), self.ws.next())
                .await
                .expect("chromium answers within 20 s")
                .expect("open")
                .expect("frame");
            let Message::Text(text) = frame else { continue };
            let v: Value = serde_json::from_str(&text).expect("CDP JSON");
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
        for _ in 0..100 {
            let v = self.eval(expression).await;
            if !(v.is_null() || v == json!(false) || v == json!("")) {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("page never satisfied: {expression}");
    }
}

async fn launch_chromium(profile: &std::path::Path) -> (Child, String) {
    assert!(
        std::path::Path::new(CHROMIUM).exists(),
        "Debian's chromium is needed for the browser test: run `bash ci/chromium.sh` (apt-get install chromium)"
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
            "--window-size=1280,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("chromium starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("stderr line") {
            if let Some(url) = line.strip_prefix("DevTools listening on ") {
                return url.trim().to_string();
            }
        }
        panic!("chromium exited without a DevTools URL");
    })
    .await
    .expect("chromium ready within 30 s");
    // Keep draining stderr so chromium never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url)
}

async fn open_page(browser_ws: &str, url: &str) -> Cdp {
    let (ws, _) = tokio_tungstenite::connect_async(browser_ws).await.expect("DevTools WebSocket");
    let mut cdp = Cdp { ws, next_id: 0, session: None };
    let target = cdp.call("Target.createTarget", json!({"url": "about:blank"})).await;
    let attached = cdp.call("Target.attachToTarget", json!({"targetId": target["targetId"], "flatten": true})).await;
    cdp.session = Some(attached["sessionId"].as_str().expect("session").to_string());
    cdp.call("Page.enable", json!({})).await;
    cdp.call("Page.navigate", json!({"url": url})).await;
    cdp
}

async fn click(cdp: &mut Cdp, selector: &str) {
    let rect = cdp
        .eval(&format!(
            "(() => {{ const e = document.querySelector('{selector}'); e.scrollIntoView(); \
             const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
        ))
        .await;
    let (x, y) = (rect[0].as_f64().expect("x"), rect[1].as_f64().expect("y"));
    for kind in ["mousePressed", "mouseReleased"] {
        let ev = json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1});
        cdp.call("Input.dispatchMouseEvent", ev).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_shows_replayed_positions_and_halt_button_sends_halt() {
    let snapshot = session::replayed_session();
    let state = SharedState::new(snapshot.clone());
    let (tx, mut rx) = control::channel();
    let tokens = ApiTokens::new(Secret::new(CONTROL_TOKEN), None).expect("tokens");
    let parts =
        ServerParts { state: state.clone(), controls: tx, tokens, metrics: metrics::install().expect("metrics") };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, router(parts), async move {
        let _ = stop_rx.await;
    }));

    let profile = std::env::temp_dir().join(format!("cst-chromium-{}", std::process::id()));
    let (mut chromium, browser_ws) = launch_chromium(&profile).await;
    let mut cdp = open_page(&browser_ws, &format!("http://{addr}/#token={CONTROL_TOKEN}")).await;

    cdp.wait_for("document.body.dataset.loaded === 'true'").await;
    let rows = cdp.eval("[...document.querySelectorAll('#positions tr')].map(r => r.innerText)").await;
    let rows: Vec<String> = serde_json::from_value(rows).expect("rows");
    assert_eq!(rows.len(), snapshot.positions.len());
    for p in &snapshot.positions {
        let mark = p.mark_price.expect("mark").to_string();
        assert!(
            rows.iter().any(|r| r.contains(&p.pair.wsname()) && r.contains(&p.qty.to_string()) && r.contains(&mark)),
            "{} {} @ {mark} not shown in {rows:?}",
            p.pair,
            p.qty
        );
    }
    let chart = cdp.eval("document.querySelectorAll('#equity-chart canvas').length").await;
    assert_eq!(chart, json!(1), "uPlot draws the equity curve");
    let hash = cdp.eval("location.hash").await;
    assert_eq!(hash, json!(""), "the token is removed from the address bar");

    click(&mut cdp, "#halt-button").await;
    let got = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("a control within 10 s");
    let request = got.expect("channel open");
    assert_eq!(request.command, ControlCommand::Halt);
    assert_eq!(request.reason, "dashboard operator");
    // What the engine does on Halt, seen by the page through SSE.
    state.update(|s| s.risk.kill_level = KillLevel::Halt);
    cdp.wait_for("document.getElementById('kill-level').textContent === 'halt'").await;
    assert_eq!(cdp.eval("document.getElementById('control-result').textContent").await, json!("halt sent"));

    let shot = cdp.call("Page.captureScreenshot", json!({"format": "png"})).await;
    let png = shot["data"].as_str().expect("png base64");
    assert!(png.len() > 1000, "a real screenshot");
    if let Ok(dir) = std::env::var("CST_SCREENSHOT_DIR") {
        std::fs::write(std::path::Path::new(&dir).join("dashboard.png.b64"), png).expect("write screenshot");
    }

    chromium.kill().await.expect("stop chromium");
    let _ = stop_tx.send(());
    server.await.expect("server task").expect("server");
    let _ = std::fs::remove_dir_all(&profile);
}
