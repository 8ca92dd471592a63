//! Kraken Futures public data: Kraken's published examples and the recorded capture, through
//! the real client against a local replay server.

mod support;

use cst_kraken::futures::{FuturesClient, FuturesError, parse_ticker, parse_ws_ticker};
use rust_decimal::dec;
use support::{Replay, Reply};

const SPEC: &str = "kraken/api-examples/futures-openapi";
const CAPTURE: &str = "kraken/rest-capture-2025/futures";

#[tokio::test]
async fn tickers_carry_funding_open_interest_mark_and_index() {
    let replay = Replay::start().await;
    replay.route_file("/derivatives/api/v3/tickers", &format!("{SPEC}/tickers.response.json"));
    let client = FuturesClient::new(&replay.url()).expect("client");
    let tickers = client.tickers().await.expect("tickers");
    assert_eq!(tickers.len(), 4);
    let perp = tickers.iter().find(|t| t.symbol == "PI_XBTUSD").expect("perpetual");
    assert_eq!(perp.tag.as_deref(), Some("perpetual"));
    assert_eq!(perp.funding_rate, Some(dec!(0.000000118588737106)));
    assert_eq!(perp.funding_rate_prediction, Some(dec!(0.00000011852486794)));
    assert_eq!(
        (perp.open_interest, perp.mark_price, perp.index_price),
        (Some(dec!(149655)), Some(dec!(30209.9)), Some(dec!(21087.8)))
    );
    let month = tickers.iter().find(|t| t.symbol == "FI_XBTUSD_211231").expect("future");
    assert_eq!(month.funding_rate, None, "dated futures have no funding");
    let index = tickers.iter().find(|t| t.symbol == "in_xbtusd").expect("index");
    assert_eq!((index.last, index.mark_price), (Some(dec!(21088)), None));
}

#[test]
fn single_ticker_example_gives_the_basis() {
    let t = parse_ticker(&cst_testdata::read_text(&format!("{SPEC}/ticker_by_symbol.response.json"))).expect("ticker");
    assert_eq!(t.symbol, "pi_xbtusd");
    let basis = t.basis().expect("basis");
    assert_eq!(basis, (dec!(30209.9) - dec!(21087.8)) / dec!(21087.8));
}

#[tokio::test]
async fn historical_funding_rates_are_exact() {
    let replay = Replay::start().await;
    replay.route_file(
        "/derivatives/api/v3/historical-funding-rates",
        &format!("{SPEC}/historical-funding-rates.response.json"),
    );
    let client = FuturesClient::new(&replay.url()).expect("client");
    let rates = client.historical_funding("PI_XBTUSD").await.expect("rates");
    assert_eq!(rates.len(), 3);
    assert_eq!(rates[0].timestamp, "2022-06-28T00:00:00.000Z");
    assert_eq!(rates[0].funding_rate, dec!(-0.000000000815861558));
    assert_eq!(rates[2].relative_funding_rate, dec!(-0.000008521190625));
    assert_eq!(replay.requests()[0].query, "symbol=PI_XBTUSD");
}

#[tokio::test]
async fn mark_and_spot_chart_candles_give_a_basis_series() {
    let replay = Replay::start().await;
    replay.route_file("/api/charts/v1/mark/PI_XBTUSD/1h", &format!("{CAPTURE}/http_futures_candles_mark.json"));
    replay.route_file("/api/charts/v1/spot/PI_XBTUSD/1h", &format!("{CAPTURE}/http_futures_candles_spot.json"));
    let client = FuturesClient::new(&replay.url()).expect("client");
    let mark = client.chart("mark", "PI_XBTUSD", "1h").await.expect("mark");
    let spot = client.chart("spot", "PI_XBTUSD", "1h").await.expect("spot");
    assert_eq!(mark.len(), 3);
    assert_eq!(mark[0].time.as_secs(), 1_731_715_200);
    assert_eq!(mark[0].open, dec!(91126.5834675817));
    assert_eq!(mark.iter().map(|c| c.time).collect::<Vec<_>>(), spot.iter().map(|c| c.time).collect::<Vec<_>>());
}

#[tokio::test]
async fn an_error_result_is_reported_not_parsed_as_empty() {
    let replay = Replay::start().await;
    replay.route(
        "/derivatives/api/v3/tickers",
        vec![Reply::ok(r#"{"result":"error","error":"apiLimitExceeded","serverTime":"2022-06-28T09:29:04.243Z"}"#)],
    );
    let client = FuturesClient::new(&replay.url()).expect("client");
    let err = client.tickers().await.expect_err("error");
    assert!(matches!(err, FuturesError::Api(ref e) if e == "apiLimitExceeded"), "{err}");
}

#[test]
fn websocket_ticker_message_parses_funding_and_open_interest() {
    let t = parse_ws_ticker(&cst_testdata::read_text(&format!("{CAPTURE}/ws_futures_ticker.json"))).expect("ws ticker");
    assert_eq!(t.product_id, "PI_XBTUSD");
    assert_eq!(t.funding_rate, Some(dec!(-0.000000000062604214)));
    assert_eq!(t.relative_funding_rate, Some(dec!(-0.000001380384722222)));
    assert_eq!((t.open_interest, t.index), (Some(dec!(30072580.0)), Some(dec!(21984.54))));
    assert_eq!(t.mark_price, Some(dec!(21979.68641534714)));
    assert_eq!(t.next_funding_rate_time, Some(1_676_394_000_000));
}
