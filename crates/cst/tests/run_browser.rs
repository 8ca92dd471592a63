//! The dashboard of a running engine in a real headless Chromium (Debian's `chromium`, driven
//! over the DevTools protocol): `cst run --replay-store` replays real Kraken XBT/USD hours and
//! keeps serving; the page shows the engine's open position, and a mouse click on HALT reaches
//! the engine: `/api/v1/risk` then reports the engine's kill level as halt, and the halt is in
//! the run's journal with the dashboard's reason.
#![allow(clippy::unwrap_used)]

// The DevTools driver shared with cst-server's dashboard test.
#[path = "../../cst-server/tests/cdp/mod.rs"]
mod cdp;
mod run_support;

use cdp::Chromium;
use run_support::{API_TOKEN, Home, http_get};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// sma-cross(10,30) holds XBT/USD from the 2019-12-29T11:00 fill to the 2019-12-30T09:00 exit
/// (`cst backtest`), so a replay ending at midnight leaves a position open.
const RANGE: [&str; 4] = ["--from", "2019-01-01T00:00:00Z", "--to", "2019-12-30T00:00:00Z"];

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
    let chromium = Chromium::launch(&profile);
    let mut cdp = chromium.open(&format!("http://{addr}/#token={API_TOKEN}")).await;
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

    drop(chromium);
    run.terminate();
    let store = cst_store::Store::open(&home.url()).await.unwrap();
    let controls = store.journal_controls(&run_id).await.unwrap();
    assert_eq!(controls.len(), 1);
    assert_eq!((controls[0].command.as_str(), controls[0].reason.as_str()), ("halt", "dashboard operator"));
}
