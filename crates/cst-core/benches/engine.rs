//! Engine throughput on Kraken's real XBT/USD hourly series (2013–2020, 50,378 candles):
//! candles per second through the whole event-driven path (features, gate, sizing, risk,
//! execution policy, simulated venue, ledger, streaming statistics) on one core, and parameter
//! sweeps (backtests per second) on all cores.
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use cst_core::backtest::bars::{BarSeries, parse_ohlcvt, to_bars};
use cst_core::backtest::{Backtest, BacktestSpec, with_fee_schedule};
use cst_core::engine::EngineConfig;
use cst_core::event::PairId;
use cst_core::instrument::{Instrument, InstrumentSet};
use cst_core::interval::Interval;
use cst_core::sim_venue::{VenueConfig, VenuePair};
use cst_core::strategy::StrategySpec;
use rust_decimal::dec;
use std::hint::black_box;

/// Thread CPU time instead of wall time: the build machine is shared (load average ≈ 11 on 2
/// cores while these numbers were taken), and CPU time is what the engine itself costs.
/// Values are nanoseconds, formatted like wall time.
struct ThreadCpuTime(WallTime);

impl Measurement for ThreadCpuTime {
    type Intermediate = cpu_time::ThreadTime;
    type Value = u64;

    fn start(&self) -> Self::Intermediate {
        cpu_time::ThreadTime::now()
    }

    fn end(&self, start: Self::Intermediate) -> u64 {
        start.elapsed().as_nanos() as u64
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        self.0.formatter()
    }
}

/// Process CPU time (all threads): a sweep's cost in core-seconds, independent of how many
/// other jobs share the machine.
struct ProcessCpuTime(WallTime);

impl Measurement for ProcessCpuTime {
    type Intermediate = cpu_time::ProcessTime;
    type Value = u64;

    fn start(&self) -> Self::Intermediate {
        cpu_time::ProcessTime::now()
    }

    fn end(&self, start: Self::Intermediate) -> u64 {
        start.elapsed().as_nanos() as u64
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        self.0.formatter()
    }
}

fn cpu_criterion() -> Criterion<ThreadCpuTime> {
    Criterion::default().with_measurement(ThreadCpuTime(WallTime))
}

fn instrument() -> Instrument {
    let y2025 = InstrumentSet::from_asset_pairs_json(&cst_testdata::read_text(
        "kraken/rest-capture-2025/spot/http_asset_pairs.json",
    ))
    .expect("2025 AssetPairs");
    let text = cst_testdata::read_text("kraken/ws-v1-capture-2021/KRAKEN.0.txt.gz");
    let body = text.lines().next().and_then(|l| l.split_once(": ")).expect("REST log line").1;
    let mut v: serde_json::Value = serde_json::from_str(body).expect("json");
    v["result"].as_object_mut().expect("result").retain(|k, _| k == "XXBTZUSD");
    let y2021 = InstrumentSet::from_asset_pairs_json(&v.to_string()).expect("2021 AssetPairs");
    with_fee_schedule(y2021.get("XBT/USD").expect("XBT/USD"), y2025.get("XBT/USDT").expect("XBT/USDT"))
}

fn series() -> BarSeries {
    let text = cst_testdata::read_text("kraken/ohlcvt/hourly-2013-2020/XBTUSD_60.csv.gz");
    let (rows, _) = parse_ohlcvt(&text);
    to_bars(PairId(0), &rows, Interval::H1)
}

fn spec(fast: usize, slow: usize) -> BacktestSpec {
    BacktestSpec {
        strategy: StrategySpec::SmaCross { fast, slow },
        engine: EngineConfig::default(),
        venue: VenueConfig::default(),
        cash: dec!(10000),
        interval: Interval::H1,
        record_curve: false,
    }
}

fn run(s: &BarSeries, inst: &Instrument, fast: usize, slow: usize) -> f64 {
    run_spec(s, inst, spec(fast, slow))
}

fn run_spec(s: &BarSeries, inst: &Instrument, spec: BacktestSpec) -> f64 {
    let pair = VenuePair { instrument: inst.clone(), scale: s.scale };
    let mut bt = Backtest::new(spec, vec![pair]).expect("backtest");
    bt.run(&s.bars);
    bt.engine().equity_f64()
}

/// The peers' setting: whole order filled at the next candle's open, fees on, no slippage,
/// no latency, no participation cap.
fn peer_spec() -> BacktestSpec {
    let venue = VenueConfig {
        latency_ms: 0,
        jitter_ms: 0,
        slippage_bps: 0.0,
        max_participation: 1.0,
        ..VenueConfig::default()
    };
    BacktestSpec { venue, ..spec(10, 30) }
}

/// RSI reversion that never enters (RSI is never below 0): the per-candle floor of the path.
fn floor_spec() -> BacktestSpec {
    let strategy = StrategySpec::RsiReversion { period: 14, entry_below: 0.0, exit_above: 70.0 };
    BacktestSpec { strategy, ..spec(10, 30) }
}

fn single_core(c: &mut Criterion<ThreadCpuTime>) {
    let (s, inst) = (series(), instrument());
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(s.bars.len() as u64));
    g.sample_size(30);
    g.bench_function("sma_cross_10_30_xbtusd_1h_full_engine", |b| b.iter(|| black_box(run(&s, &inst, 10, 30))));
    g.bench_function("sma_cross_10_30_xbtusd_1h_peer_fill_model", |b| {
        b.iter(|| black_box(run_spec(&s, &inst, peer_spec())))
    });
    g.bench_function("per_candle_floor_no_orders", |b| b.iter(|| black_box(run_spec(&s, &inst, floor_spec()))));
    g.finish();
}

/// Every (fast, slow) with 2 ≤ fast < slow, fast ≤ 17, slow ≤ 40 stepping 2: 136 configurations.
fn grid() -> Vec<(usize, usize)> {
    let mut g = Vec::new();
    for fast in (2..=17).step_by(1) {
        for slow in (fast + 2..=40).step_by(2) {
            g.push((fast, slow));
        }
    }
    g.truncate(136);
    g
}

fn sweep(c: &mut Criterion<ProcessCpuTime>) {
    let (s, inst) = (series(), instrument());
    let configs = grid();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut g = c.benchmark_group("sweep");
    g.throughput(Throughput::Elements(configs.len() as u64));
    g.sample_size(10);
    g.bench_function(format!("sma_cross_grid_{}_configs_{threads}_threads", configs.len()), |b| {
        b.iter(|| {
            std::thread::scope(|scope| {
                let chunks: Vec<_> = configs.chunks(configs.len().div_ceil(threads)).collect();
                let handles: Vec<_> = chunks
                    .into_iter()
                    .map(|chunk| {
                        let (s, inst) = (&s, &inst);
                        scope.spawn(move || chunk.iter().map(|&(f, sl)| run(s, inst, f, sl)).sum::<f64>())
                    })
                    .collect();
                black_box(handles.into_iter().map(|h| h.join().expect("thread")).sum::<f64>())
            })
        })
    });
    g.finish();
}

criterion_group! {
    name = cpu;
    config = cpu_criterion();
    targets = single_core
}
criterion_group! {
    name = sweeps;
    config = Criterion::default().with_measurement(ProcessCpuTime(WallTime));
    targets = sweep
}
criterion_main!(cpu, sweeps);
