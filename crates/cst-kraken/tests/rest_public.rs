//! Public endpoints: the real client against a local server replaying Kraken's published
//! examples and the recorded 2025 session.

mod support;

use cst_core::interval::Interval;
use cst_core::trade::Side;
use cst_kraken::error::{KrakenError, RestError};
use cst_kraken::rest::RestClient;
use cst_kraken::rest::public::TakerOrderType;
use rust_decimal::dec;
use support::{Replay, query_pairs};

const SPEC: &str = "kraken/api-examples/rest-spot-openapi";
const CAPTURE: &str = "kraken/rest-capture-2025/spot";

async fn client_for(replay: &Replay) -> RestClient {
    RestClient::new(replay.config(), None).expect("client")
}

#[tokio::test]
async fn time_and_system_status_from_the_recorded_session() {
    let replay = Replay::start().await;
    replay.route_file("/0/public/Time", &format!("{CAPTURE}/http_server_time.json"));
    replay.route_file("/0/public/SystemStatus", &format!("{CAPTURE}/http_system_status.json"));
    let client = client_for(&replay).await;
    let t = client.server_time().await.expect("time");
    assert_eq!(t.unixtime, 1_762_820_224);
    assert_eq!(t.rfc1123, "Tue, 11 Nov 25 00:17:04 +0000");
    let s = client.system_status().await.expect("status");
    assert!(s.accepts_orders());
    assert_eq!(s.timestamp, "2025-11-11T00:17:10Z");
}

#[tokio::test]
async fn ohlc_page_keeps_vwap_count_and_the_last_cursor() {
    let replay = Replay::start().await;
    replay.route_file("/0/public/OHLC", &format!("{CAPTURE}/http_ohlc.json"));
    let client = client_for(&replay).await;
    let page = client.ohlc("XBTUSDT", Interval::M1, Some(1_762_777_000)).await.expect("ohlc");
    assert_eq!(page.pair_key, "XBTUSDT");
    assert_eq!(page.bars.len(), 721);
    assert_eq!(page.last, 1_762_820_160);
    let first = &page.bars[0];
    assert_eq!(first.row.time, 1_762_777_020);
    assert_eq!(
        (first.row.open, first.vwap, first.row.volume, first.row.trades),
        (dec!(106038.2), dec!(0.0), dec!(0), 0)
    );
    let q = query_pairs(&replay.requests_to("/0/public/OHLC")[0].query);
    assert_eq!(q["pair"], "XBTUSDT");
    assert_eq!(q["interval"], "1");
    assert_eq!(q["since"], "1762777000");
}

#[tokio::test]
async fn trades_page_has_exact_times_sides_ids_and_string_cursor() {
    let replay = Replay::start().await;
    replay.route_file("/0/public/Trades", &format!("{CAPTURE}/http_trades.json"));
    let client = client_for(&replay).await;
    let page = client.trades("XBTUSDT", Some("1762795433000000000"), Some(1000)).await.expect("trades");
    assert_eq!(page.trades.len(), 1000);
    assert_eq!(page.last, "1762820035982277754");
    let t0 = &page.trades[0];
    assert_eq!(t0.trade.time.as_nanos(), 1_762_795_433_971_744_500);
    assert_eq!(t0.trade.price.value(), dec!(105433.60000));
    assert_eq!(t0.trade.qty.value(), dec!(0.00027625));
    assert_eq!((t0.trade.side, t0.order_type, t0.trade.trade_id), (Side::Buy, TakerOrderType::Limit, Some(10_218_208)));
    let ids: Vec<u64> = page.trades.iter().filter_map(|t| t.trade.trade_id).collect();
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "ids 10218208..10219207 are contiguous");
    let last = &page.trades[999].trade;
    assert_eq!((last.side, last.trade_id), (Side::Sell, Some(10_219_207)));
    assert_eq!(query_pairs(&replay.requests_to("/0/public/Trades")[0].query)["since"], "1762795433000000000");
}

#[tokio::test]
async fn the_ticker_last_trade_equals_the_last_recorded_trade() {
    let replay = Replay::start().await;
    replay.route_file("/0/public/Ticker", &format!("{CAPTURE}/http_ticker.json"));
    replay.route_file("/0/public/Trades", &format!("{CAPTURE}/http_trades.json"));
    let client = client_for(&replay).await;
    let tickers = client.ticker("XBTUSDT").await.expect("ticker");
    let t = &tickers["XBTUSDT"];
    assert_eq!((t.ask.value(), t.bid.value()), (dec!(105944.3), dec!(105944.2)));
    assert_eq!(t.trades, [35, 3276]);
    assert_eq!(t.open, dec!(106021.6));
    let trades = client.trades("XBTUSDT", None, None).await.expect("trades");
    let last = &trades.trades.last().expect("a trade").trade;
    assert_eq!((t.last, t.last_qty), (last.price, last.qty));
}

#[tokio::test]
async fn depth_levels_are_sorted_and_timestamped() {
    let replay = Replay::start().await;
    replay.route_file("/0/public/Depth", &format!("{CAPTURE}/http_order_book.json"));
    let client = client_for(&replay).await;
    let book = client.depth("XBTUSDT", Some(5)).await.expect("depth");
    assert_eq!((book.asks.len(), book.bids.len()), (5, 5));
    assert!(book.asks.windows(2).all(|w| w[0].price < w[1].price));
    assert!(book.bids.windows(2).all(|w| w[0].price > w[1].price));
    assert!(book.bids[0].price < book.asks[0].price);
    assert_eq!(book.asks[0].time_secs, 1_762_820_248);
    assert_eq!(book.asks[0].qty.value(), dec!(0.136));
}

#[tokio::test]
async fn spec_examples_for_every_public_endpoint_parse() {
    let replay = Replay::start().await;
    for (path, file) in [
        ("Time", "public_Time"),
        ("SystemStatus", "public_SystemStatus"),
        ("Assets", "public_Assets"),
        ("AssetPairs", "public_AssetPairs"),
        ("Ticker", "public_Ticker"),
        ("OHLC", "public_OHLC"),
        ("Trades", "public_Trades"),
        ("Depth", "public_Depth"),
        ("Spread", "public_Spread"),
    ] {
        replay.route_file(&format!("/0/public/{path}"), &format!("{SPEC}/{file}.response.json"));
    }
    let c = client_for(&replay).await;
    assert_eq!(c.server_time().await.expect("time").unixtime, 1_688_669_448);
    assert_eq!(c.system_status().await.expect("status").status, "online");
    assert_eq!(c.assets().await.expect("assets")["XXBT"].decimals, 10);
    assert!(c.asset_pairs().await.expect("pairs").get("ETH/XBT").is_some());
    assert_eq!(c.ticker("XBTUSD").await.expect("ticker")["XXBTZUSD"].trades, [34_619, 38_907]);
    let ohlc = c.ohlc("XBTUSD", Interval::M1, None).await.expect("ohlc");
    assert_eq!((ohlc.bars.len(), ohlc.last, ohlc.bars[3].row.trades), (4, 1_688_672_160, 9));
    let trades = c.trades("XBTUSD", None, None).await.expect("trades");
    assert_eq!(trades.trades[2].trade.time.as_nanos(), 1_688_669_602_698_379_000);
    assert_eq!(trades.last, "1688671969993150842");
    assert_eq!(c.depth("XBTUSD", None).await.expect("depth").bids[2].qty.value(), dec!(5.001));
    let spread = c.spread("XBTUSD", None).await.expect("spread");
    assert_eq!((spread.entries.len(), spread.last), (3, 1_688_672_106));
    assert_eq!(spread.entries[0].ask.value(), dec!(30297.5));
}

#[tokio::test]
async fn kraken_error_in_a_public_reply_is_typed_and_not_retried_when_permanent() {
    let replay = Replay::start().await;
    replay.route("/0/public/OHLC", vec![support::Reply::kraken_error("EQuery:Unknown asset pair")]);
    let client = client_for(&replay).await;
    let err = client.ohlc("NOPE", Interval::H1, None).await.expect_err("unknown pair");
    assert!(matches!(err, RestError::Kraken(ref v) if v == &[KrakenError::UnknownAssetPair]), "{err}");
    assert_eq!(replay.requests_to("/0/public/OHLC").len(), 1);
}

#[tokio::test]
async fn a_malformed_row_is_rejected_with_the_reason_not_guessed() {
    let replay = Replay::start().await;
    let body = cst_testdata::read_text(&format!("{SPEC}/public_Trades.response.json")).replace("\"b\"", "\"x\"");
    replay.route("/0/public/Trades", vec![support::Reply::ok(body)]);
    let client = client_for(&replay).await;
    let err = client.trades("XBTUSD", None, None).await.expect_err("bad side");
    assert!(err.to_string().contains("unknown side \"x\""), "{err}");
}
