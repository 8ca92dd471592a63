//! Headless Debian `chromium` driven over the DevTools protocol, for the dashboard tests. One
//! copy for both browser tests: `cst-server/tests/browser.rs` (the dashboard over a replayed
//! session) and `cst/tests/run_browser.rs` (over a running engine), which includes this file by
//! path.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const CHROMIUM: &str = "/usr/bin/chromium";

/// A running headless Chromium; killed when dropped, so a failing test leaves no browser behind.
pub struct Chromium {
    child: Child,
    /// The browser's DevTools WebSocket URL.
    pub devtools_ws: String,
}

impl Chromium {
    /// Starts Chromium with its own profile directory and waits for its DevTools URL.
    pub fn launch(profile: &Path) -> Self {
        assert!(
            Path::new(CHROMIUM).exists(),
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
            .expect("chromium starts");
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().expect("chromium stderr");
        // Keeps draining stderr so chromium never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let devtools_ws =
            rx.recv_timeout(Duration::from_secs(30)).expect("chromium prints its DevTools URL within 30 s");
        Self { child, devtools_ws }
    }

    /// A new page attached over a flat DevTools session, navigating to `url`.
    pub async fn open(&self, url: &str) -> Cdp {
        let (ws, _) = tokio_tungstenite::connect_async(self.devtools_ws.as_str()).await.expect("DevTools WebSocket");
        let mut cdp = Cdp { ws, next_id: 0, session: None };
        let target = cdp.call("Target.createTarget", json!({"url": "about:blank"})).await;
        let attached =
            cdp.call("Target.attachToTarget", json!({"targetId": target["targetId"], "flatten": true})).await;
        cdp.session = Some(attached["sessionId"].as_str().expect("session id").to_string());
        cdp.call("Page.enable", json!({})).await;
        cdp.call("Page.navigate", json!({"url": url})).await;
        cdp
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A DevTools-protocol connection to one page.
pub struct Cdp {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    session: Option<String>,
}

impl Cdp {
    /// Sends one command and returns its result (a protocol error fails the test).
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
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
                .expect("DevTools connection open")
                .expect("DevTools frame");
            let Message::Text(text) = frame else { continue };
            let v: Value = serde_json::from_str(&text).expect("DevTools JSON");
            if v["id"] == self.next_id {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    /// The value of a JavaScript expression in the page.
    pub async fn eval(&mut self, expression: &str) -> Value {
        let r = self.call("Runtime.evaluate", json!({"expression": expression, "returnByValue": true})).await;
        r["result"]["value"].clone()
    }

    /// Polls `expression` until it is truthy (for up to 15 s).
    pub async fn wait_for(&mut self, expression: &str) -> Value {
        for _ in 0..150 {
            let v = self.eval(expression).await;
            if !(v.is_null() || v == json!(false) || v == json!("")) {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("page never satisfied: {expression}");
    }

    /// A real mouse click (press and release) at the centre of the element `selector` matches.
    pub async fn click(&mut self, selector: &str) {
        let rect = self
            .eval(&format!(
                "(() => {{ const e = document.querySelector('{selector}'); e.scrollIntoView(); \
                 const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
            ))
            .await;
        let (x, y) = (rect[0].as_f64().expect("x"), rect[1].as_f64().expect("y"));
        for kind in ["mousePressed", "mouseReleased"] {
            let ev = json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1});
            self.call("Input.dispatchMouseEvent", ev).await;
        }
    }
}
