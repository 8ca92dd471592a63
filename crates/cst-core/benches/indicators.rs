//! Indicator, indicator-set and feature-pipeline speed on the real Kraken hourly XBT/USD series
//! (50k candles), through our interface and, for comparison, by calling the ta-lib crate directly.
//! Report ns per candle = time per iteration / candles.
//!
//! Time is the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), not wall time: the
//! machine is shared with other builds (load average ≈ 10 on 2 cores), and wall time measured
//! the scheduler more than the code. Set `CST_BENCH_WALL=1` to measure wall time instead.
#![allow(missing_docs)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use cst_core::features::{FeatureConfig, FeaturePipeline};
use cst_core::indicators::*;
use cst_core::interval::Interval;
use cst_core::ohlcvt::Layout;
use std::hint::black_box;
use std::time::{Duration, Instant};
use ta_lib::{Core, MAType};

/// Runs `f` `iters` times; the thread CPU time it took (or wall time with `CST_BENCH_WALL=1`).
fn timed<R>(iters: u64, mut f: impl FnMut() -> R) -> Duration {
    if std::env::var_os("CST_BENCH_WALL").is_some() {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(f());
        }
        return start.elapsed();
    }
    let start = cpu_time::ThreadTime::now();
    for _ in 0..iters {
        black_box(f());
    }
    start.elapsed()
}

fn candles() -> Ohlcv {
    let text = cst_testdata::read_text("kraken/ohlcvt/hourly-2013-2020/XBTUSD_60.csv.gz");
    let layout = Layout::default();
    let rows: Vec<_> = text.lines().filter(|l| !l.is_empty()).map(|l| layout.parse_line(l).expect("line")).collect();
    Ohlcv::from_rows(&rows)
}

type BatchFn = fn(&Ohlcv) -> usize;

/// Our batch interface, one entry per indicator (the value is only there to be black-boxed).
fn ours() -> Vec<(&'static str, BatchFn)> {
    vec![
        ("sma20", |c| Sma::batch(20, &c.close).map(|x| x.start()).unwrap_or(0)),
        ("ema20", |c| Ema::batch(20, &c.close).map(|x| x.start()).unwrap_or(0)),
        ("wma20", |c| Wma::batch(20, &c.close).map(|x| x.start()).unwrap_or(0)),
        ("dema20", |c| Dema::batch(20, &c.close).map(|x| x.start()).unwrap_or(0)),
        ("tema20", |c| Tema::batch(20, &c.close).map(|x| x.start()).unwrap_or(0)),
        ("kama30", |c| Kama::batch(30, &c.close).map(|x| x.start()).unwrap_or(0)),
        ("rsi14", |c| Rsi::batch(14, &c.close).map(|x| x.start()).unwrap_or(0)),
        ("macd", |c| Macd::batch(12, 26, 9, &c.close).map(|x| x[0].start()).unwrap_or(0)),
        ("bbands20", |c| Bbands::batch(20, 2.0, 2.0, &c.close).map(|x| x[0].start()).unwrap_or(0)),
        ("stddev20", |c| StdDev::batch(20, 1.0, &c.close).map(|x| x.start()).unwrap_or(0)),
        ("atr14", |c| Atr::batch(14, c).map(|x| x.start()).unwrap_or(0)),
        ("natr14", |c| Natr::batch(14, c).map(|x| x.start()).unwrap_or(0)),
        ("adx14", |c| Adx::batch(14, c).map(|x| x.start()).unwrap_or(0)),
        ("plus_di14", |c| PlusDi::batch(14, c).map(|x| x.start()).unwrap_or(0)),
        ("minus_di14", |c| MinusDi::batch(14, c).map(|x| x.start()).unwrap_or(0)),
        ("stoch", |c| Stoch::batch(14, 3, 3, c).map(|x| x[0].start()).unwrap_or(0)),
        ("cci14", |c| Cci::batch(14, c).map(|x| x.start()).unwrap_or(0)),
        ("mfi14", |c| Mfi::batch(14, c).map(|x| x.start()).unwrap_or(0)),
        ("obv", |c| Obv::batch(c).map(|x| x.start()).unwrap_or(0)),
        ("roc10", |c| Roc::batch(10, &c.close).map(|x| x.start()).unwrap_or(0)),
        ("mom10", |c| Mom::batch(10, &c.close).map(|x| x.start()).unwrap_or(0)),
        ("willr14", |c| WillR::batch(14, c).map(|x| x.start()).unwrap_or(0)),
        ("trix15", |c| Trix::batch(15, &c.close).map(|x| x.start()).unwrap_or(0)),
        ("ultosc", |c| UltOsc::batch([7, 14, 28], c).map(|x| x.start()).unwrap_or(0)),
        ("aroon14", |c| Aroon::batch(14, c).map(|x| x[0].start()).unwrap_or(0)),
        ("ad", |c| Ad::batch(c).map(|x| x.start()).unwrap_or(0)),
        ("adosc", |c| AdOsc::batch(3, 10, c).map(|x| x.start()).unwrap_or(0)),
        ("sar", |c| Sar::batch(0.02, 0.2, c).map(|x| x.start()).unwrap_or(0)),
        ("donchian20", |c| Donchian::batch(20, c).map(|x| x[0].start()).unwrap_or(0)),
        ("keltner20", |c| Keltner::batch(20, 10, 2.0, c).map(|x| x[0].start()).unwrap_or(0)),
        ("rolling_vwap24", |c| RollingVwap::batch(24, c).map(|x| x.start()).unwrap_or(0)),
        ("session_vwap", |c| SessionVwap::batch(86_400, c).map(|x| x.start()).unwrap_or(0)),
        ("realized_vol24", |c| RealizedVol::batch(24, &c.close).map(|x| x.start()).unwrap_or(0)),
        ("zscore20", |c| ZScore::batch(20, &c.close).map(|x| x.start()).unwrap_or(0)),
    ]
}

/// The same TA-Lib indicators called on the ta-lib crate directly, output buffers preallocated.
fn direct(name: &str, core: &Core, c: &Ohlcv, o: &mut [Vec<f64>; 3]) -> usize {
    let (n, x, h, l, v) = (c.len() - 1, &c.close[..], &c.high[..], &c.low[..], &c.volume[..]);
    let [a, b, d] = o;
    let r = match name {
        "sma20" => core.sma(0, n, x, 20, a),
        "ema20" => core.ema(0, n, x, 20, a),
        "wma20" => core.wma(0, n, x, 20, a),
        "dema20" => core.dema(0, n, x, 20, a),
        "tema20" => core.tema(0, n, x, 20, a),
        "kama30" => core.kama(0, n, x, 30, a),
        "rsi14" => core.rsi(0, n, x, 14, a),
        "macd" => core.macd(0, n, x, 12, 26, 9, a, b, d),
        "bbands20" => core.bbands(0, n, x, 20, 2.0, 2.0, MAType::SMA, a, b, d),
        "stddev20" => core.stddev(0, n, x, 20, 1.0, a),
        "atr14" => core.atr(0, n, h, l, x, 14, a),
        "natr14" => core.natr(0, n, h, l, x, 14, a),
        "adx14" => core.adx(0, n, h, l, x, 14, a),
        "plus_di14" => core.plus_di(0, n, h, l, x, 14, a),
        "minus_di14" => core.minus_di(0, n, h, l, x, 14, a),
        "stoch" => core.stoch(0, n, h, l, x, 14, 3, MAType::SMA, 3, MAType::SMA, a, b),
        "cci14" => core.cci(0, n, h, l, x, 14, a),
        "mfi14" => core.mfi(0, n, h, l, x, v, 14, a),
        "obv" => core.obv(0, n, x, v, a),
        "roc10" => core.roc(0, n, x, 10, a),
        "mom10" => core.mom(0, n, x, 10, a),
        "willr14" => core.willr(0, n, h, l, x, 14, a),
        "trix15" => core.trix(0, n, x, 15, a),
        "ultosc" => core.ultosc(0, n, h, l, x, 7, 14, 28, a),
        "aroon14" => core.aroon(0, n, h, l, 14, a, b),
        "ad" => core.ad(0, n, h, l, x, v, a),
        "adosc" => core.adosc(0, n, h, l, x, v, 3, 10, a),
        "sar" => core.sar(0, n, h, l, 0.02, 0.2, a),
        "donchian20" => core.donchian(0, n, h, l, 20, a, b, d),
        "keltner20" => core.kc(0, n, h, l, x, 20, 10, 2.0, a, b, d),
        _ => return 0,
    };
    r.map(|r| r.count).unwrap_or(0)
}

fn quick(c: &mut Criterion) -> criterion::BenchmarkGroup<'_, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group("x");
    g.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    g
}

fn each_indicator(c: &mut Criterion) {
    let data = candles();
    let core = Core::new();
    let mut bufs: [Vec<f64>; 3] = std::array::from_fn(|_| vec![0.0; data.len()]);
    let mut g = quick(c);
    g.throughput(Throughput::Elements(data.len() as u64));
    for (name, f) in ours() {
        g.bench_function(BenchmarkId::new("ours_batch", name), |b| {
            b.iter_custom(|n| timed(n, || black_box(f(black_box(&data)))))
        });
        if direct(name, &core, &data, &mut bufs) > 0 {
            g.bench_function(BenchmarkId::new("talib_direct", name), |b| {
                b.iter_custom(|n| timed(n, || black_box(direct(name, &core, black_box(&data), &mut bufs))))
            });
        }
    }
    g.finish();
}

fn streaming(c: &mut Criterion) {
    let data = candles();
    let bars: Vec<Bar> = (0..data.len()).map(|i| data.bar(i)).collect();
    let mut g = quick(c);
    g.throughput(Throughput::Elements(data.len() as u64));
    g.bench_function("stream/sma20", |b| {
        b.iter_custom(|n| {
            timed(n, || {
                let mut s = Sma::new(20).expect("sma");
                data.close.iter().fold(0.0, |acc, x| acc + s.update(*x).unwrap_or(0.0))
            })
        })
    });
    g.bench_function("stream/rsi14", |b| {
        b.iter_custom(|n| {
            timed(n, || {
                let mut s = Rsi::new(14).expect("rsi");
                data.close.iter().fold(0.0, |acc, x| acc + s.update(*x).unwrap_or(0.0))
            })
        })
    });
    g.bench_function("stream/atr14", |b| {
        b.iter_custom(|n| {
            timed(n, || {
                let mut s = Atr::new(14).expect("atr");
                bars.iter().fold(0.0, |acc, x| acc + s.update(*x).unwrap_or(0.0))
            })
        })
    });
    g.bench_function("stream/standard_set", |b| {
        b.iter_custom(|n| {
            timed(n, || {
                let mut s = StandardSet::new().expect("set");
                let mut row = [None; 34];
                bars.iter().fold(0.0, |acc, x| {
                    s.update(*x, &mut row);
                    acc + row[6].unwrap_or(0.0)
                })
            })
        })
    });
    g.bench_function("batch/standard_set", |b| {
        b.iter_custom(|n| timed(n, || standard_columns(black_box(&data)).map(|v| v.len())))
    });
    g.bench_function("stream/feature_pipeline_1h_with_4h_1d", |b| {
        b.iter_custom(|n| {
            timed(n, || {
                let mut p = FeaturePipeline::new(FeatureConfig::default_for(Interval::H1)).expect("pipeline");
                let mut row = vec![None; p.names().len()];
                bars.iter().zip(&data.time).fold(0.0, |acc, (x, t)| {
                    p.update(*t, *x, &mut row).ok();
                    acc + row[7].unwrap_or(0.0)
                })
            })
        })
    });
    g.finish();
}

/// RSI, EMA, MACD, BBANDS and ATR: five ta-lib calls one after the other (the baseline a fused
/// pass would have to beat), and the same five through our batch interface.
fn five_together(c: &mut Criterion) {
    let data = candles();
    let core = Core::new();
    let mut bufs: [Vec<f64>; 3] = std::array::from_fn(|_| vec![0.0; data.len()]);
    let mut g = quick(c);
    g.throughput(Throughput::Elements(data.len() as u64));
    g.bench_function("five/talib_direct_sequential", |b| {
        b.iter_custom(|n| {
            timed(n, || {
                ["rsi14", "ema20", "macd", "bbands20", "atr14"]
                    .iter()
                    .map(|n| direct(n, &core, black_box(&data), &mut bufs))
                    .sum::<usize>()
            })
        })
    });
    g.bench_function("five/ours_batch_sequential", |b| {
        b.iter_custom(|n| {
            timed(n, || {
                let d = black_box(&data);
                Rsi::batch(14, &d.close).map(|x| x.start()).unwrap_or(0)
                    + Ema::batch(20, &d.close).map(|x| x.start()).unwrap_or(0)
                    + Macd::batch(12, 26, 9, &d.close).map(|x| x[0].start()).unwrap_or(0)
                    + Bbands::batch(20, 2.0, 2.0, &d.close).map(|x| x[0].start()).unwrap_or(0)
                    + Atr::batch(14, d).map(|x| x.start()).unwrap_or(0)
            })
        })
    });
    g.finish();
}

/// The one-period indicators writing into a reused column (no allocation per call).
fn into_reused_column(c: &mut Criterion) {
    let data = candles();
    let mut col = Column::default();
    let mut g = quick(c);
    g.throughput(Throughput::Elements(data.len() as u64));
    type IntoFn = fn(&Ohlcv, &mut Column) -> Result<(), IndicatorError>;
    let cases: [(&str, IntoFn); 14] = [
        ("sma20", |d, c| Sma::batch_into(20, &d.close, c)),
        ("ema20", |d, c| Ema::batch_into(20, &d.close, c)),
        ("wma20", |d, c| Wma::batch_into(20, &d.close, c)),
        ("kama30", |d, c| Kama::batch_into(30, &d.close, c)),
        ("rsi14", |d, c| Rsi::batch_into(14, &d.close, c)),
        ("roc10", |d, c| Roc::batch_into(10, &d.close, c)),
        ("mom10", |d, c| Mom::batch_into(10, &d.close, c)),
        ("trix15", |d, c| Trix::batch_into(15, &d.close, c)),
        ("atr14", |d, c| Atr::batch_into(14, d, c)),
        ("natr14", |d, c| Natr::batch_into(14, d, c)),
        ("adx14", |d, c| Adx::batch_into(14, d, c)),
        ("cci14", |d, c| Cci::batch_into(14, d, c)),
        ("willr14", |d, c| WillR::batch_into(14, d, c)),
        ("plus_di14", |d, c| PlusDi::batch_into(14, d, c)),
    ];
    for (name, f) in cases {
        g.bench_function(BenchmarkId::new("ours_batch_into", name), |b| {
            b.iter_custom(|n| timed(n, || f(black_box(&data), &mut col).is_ok()))
        });
    }
    g.finish();
}

criterion_group!(benches, each_indicator, streaming, five_together, into_reused_column);
criterion_main!(benches);
