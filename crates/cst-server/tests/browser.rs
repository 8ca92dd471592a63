//! The dashboard in a real headless Chromium (Debian's `chromium`, driven over the DevTools
//! protocol): the page loads with the token from the URL fragment, shows the positions of a
//! session replayed from real Kraken candles, and a mouse click on HALT sends `Halt` on the
//! control channel; the engine's answer (kill level halt) comes back to the page over SSE.

mod cdp;
mod session;

use cdp::Chromium;
use cst_server::auth::ApiTokens;
use cst_server::control::{self, ControlCommand};
use cst_server::secret::Secret;
use cst_server::snapshot::KillLevel;
use cst_server::state::SharedState;
use cst_server::{ServerParts, metrics, router, serve};
use serde_json::json;
use std::time::Duration;

const CONTROL_TOKEN: &str = "browser-control-token-0123456789";

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
    let chromium = Chromium::launch(&profile);
    let mut cdp = chromium.open(&format!("http://{addr}/#token={CONTROL_TOKEN}")).await;

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

    cdp.click("#halt-button").await;
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

    drop(chromium);
    let _ = stop_tx.send(());
    server.await.expect("server task").expect("server");
    let _ = std::fs::remove_dir_all(&profile);
}
