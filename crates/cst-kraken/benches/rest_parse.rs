//! REST message parse speed on Kraken's real recorded payloads: 1,000 trades and 721 OHLC
//! candles (rest-capture-2025), parsed into exact core types; plus trade → candle aggregation.

#![allow(missing_docs)] // criterion_group! generates undocumented functions

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use cst_core::aggregate::aggregate_trades;
use cst_core::interval::Interval;
use cst_kraken::rest::public::{parse_ohlc, parse_trades};
use std::hint::black_box;

fn rest_parse(c: &mut Criterion) {
    let trades = cst_testdata::read_text("kraken/rest-capture-2025/spot/http_trades.json");
    let ohlc = cst_testdata::read_text("kraken/rest-capture-2025/spot/http_ohlc.json");
    let mut g = c.benchmark_group("rest_parse");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("trades_1000", |b| b.iter(|| parse_trades(black_box(&trades)).expect("trades")));
    g.throughput(Throughput::Elements(721));
    g.bench_function("ohlc_721", |b| b.iter(|| parse_ohlc(black_box(&ohlc)).expect("ohlc")));
    let parsed: Vec<_> = parse_trades(&trades).expect("trades").trades.into_iter().map(|t| t.trade).collect();
    g.throughput(Throughput::Elements(1000));
    g.bench_function("aggregate_1000_trades_to_1m", |b| {
        b.iter(|| aggregate_trades(black_box(&parsed), Interval::M1, 1).expect("aggregate"))
    });
    g.finish();
}

criterion_group!(benches, rest_parse);
criterion_main!(benches);
