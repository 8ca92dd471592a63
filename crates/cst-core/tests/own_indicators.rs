//! The indicators TA-Lib's C library lacks, each checked against its definition computed the
//! slow, obvious way on real Kraken hourly XBT/USD candles; and their streams against batches.

mod support;

use cst_core::indicators::{Atr, Column, Donchian, Ema, Keltner, Ohlcv, RealizedVol, RollingVwap, SessionVwap, ZScore};

const XBT_HOURLY: &str = "kraken/ohlcvt/hourly-2013-2020/XBTUSD_60.csv.gz";

fn xbt() -> Ohlcv {
    support::candles(XBT_HOURLY)
}

fn assert_close(name: &str, row: usize, ours: Option<f64>, want: Option<f64>) {
    match (ours, want) {
        (None, None) => {}
        (Some(a), Some(b)) => {
            let d = (a - b).abs();
            assert!(d <= 1e-9 * b.abs().max(1e-3), "{name} row {row}: ours {a} definition {b}");
        }
        _ => panic!("{name} row {row}: ours {ours:?} definition {want:?}"),
    }
}

fn typical(c: &Ohlcv, i: usize) -> f64 {
    (c.high[i] + c.low[i] + c.close[i]) / 3.0
}

#[test]
fn donchian_is_highest_high_and_lowest_low_of_the_last_period_bars() {
    let c = xbt();
    let [u, m, l] = Donchian::batch(20, &c).expect("donchian");
    assert_eq!(u.start(), 19);
    for i in 0..c.len() {
        let want = (i >= 19).then(|| {
            let hi = c.high[i - 19..=i].iter().copied().fold(f64::MIN, f64::max);
            let lo = c.low[i - 19..=i].iter().copied().fold(f64::MAX, f64::min);
            (hi, (hi + lo) / 2.0, lo)
        });
        assert_eq!(u.get(i), want.map(|w| w.0), "upper row {i}");
        assert_close("middle", i, m.get(i), want.map(|w| w.1));
        assert_eq!(l.get(i), want.map(|w| w.2), "lower row {i}");
    }
}

#[test]
fn keltner_is_ema_of_typical_price_plus_minus_multiple_of_atr() {
    let c = xbt();
    let [u, m, l] = Keltner::batch(20, 10, 2.0, &c).expect("keltner");
    let tp: Vec<f64> = (0..c.len()).map(|i| typical(&c, i)).collect();
    let ema = Ema::batch(20, &tp).expect("ema");
    assert_eq!(u.start(), 19, "the EMA's lookback, the longer of the two");
    // The engine seeds the ATR on the window ending at the first band bar (TA-Lib's start-index
    // semantics), so the ATR is the one of the series from bar 19 - 10 on.
    let offset = 19 - 10;
    let mut late = Ohlcv::with_capacity(c.len());
    for i in offset..c.len() {
        late.push(c.time[i], c.bar(i));
    }
    let atr = Atr::batch(10, &late).expect("atr");
    for i in 0..c.len() {
        let (e, a) = (ema.get(i), i.checked_sub(offset).and_then(|k| atr.get(k)));
        let want = e.zip(a);
        assert_close("middle", i, m.get(i), want.map(|(e, _)| e));
        assert_close("upper", i, u.get(i), want.map(|(e, a)| e + 2.0 * a));
        assert_close("lower", i, l.get(i), want.map(|(e, a)| e - 2.0 * a));
    }
}

#[test]
fn realized_volatility_is_root_sum_of_squared_log_returns() {
    let c = xbt();
    let n = 24;
    let rv = RealizedVol::batch(n, &c.close).expect("rv");
    assert_eq!(rv.start(), n);
    for i in 0..c.len() {
        let want =
            (i >= n).then(|| (i + 1 - n..=i).map(|k| (c.close[k] / c.close[k - 1]).ln().powi(2)).sum::<f64>().sqrt());
        match (rv.get(i), want) {
            (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-12 + 1e-9 * b, "row {i}: {a} vs {b}"),
            (a, b) => assert_eq!(a, b, "row {i}"),
        }
    }
}

#[test]
fn z_score_is_distance_from_window_mean_in_population_deviations() {
    let c = xbt();
    let n = 20;
    let z = ZScore::batch(n, &c.close).expect("z");
    let mut flat = 0;
    for i in 0..c.len() {
        let want = (i + 1 >= n).then(|| {
            let w = &c.close[i + 1 - n..=i];
            let mean = w.iter().sum::<f64>() / n as f64;
            let sd = (w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
            (sd > 0.0).then(|| (c.close[i] - mean) / sd)
        });
        let want = want.flatten();
        flat += usize::from(i + 1 >= n && want.is_none());
        match (z.get(i), want) {
            (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-7 * b.abs().max(1.0), "row {i}: {a} vs {b}"),
            (a, b) => assert_eq!(a, b, "row {i}"),
        }
    }
    assert!(flat < c.len() / 100, "flat windows are rare on real data: {flat}");
}

#[test]
fn session_vwap_restarts_each_utc_day() {
    let c = xbt();
    let v = SessionVwap::batch(86_400, &c).expect("vwap");
    let (mut day, mut pv, mut vol) = (i64::MIN, 0.0, 0.0);
    for i in 0..c.len() {
        if c.time[i].div_euclid(86_400) != day {
            (day, pv, vol) = (c.time[i].div_euclid(86_400), 0.0, 0.0);
        }
        pv += typical(&c, i) * c.volume[i];
        vol += c.volume[i];
        assert_close("session vwap", i, v.get(i), (vol > 0.0).then(|| pv / vol));
    }
}

#[test]
fn rolling_vwap_weights_typical_price_by_volume_over_last_period_bars() {
    let c = xbt();
    let n = 24;
    let v = RollingVwap::batch(n, &c).expect("vwap");
    for i in 0..c.len() {
        let want = (i + 1 >= n).then_some(()).and_then(|_| {
            let (pv, vol) =
                (i + 1 - n..=i).fold((0.0, 0.0), |(pv, vol), k| (pv + typical(&c, k) * c.volume[k], vol + c.volume[k]));
            (vol > 0.0).then(|| pv / vol)
        });
        assert_close("rolling vwap", i, v.get(i), want);
    }
}

fn assert_same(name: &str, batch: &Column, stream: &[Option<f64>]) {
    for (i, s) in stream.iter().enumerate() {
        assert_eq!(s.map(f64::to_bits), batch.get(i).map(f64::to_bits), "{name} row {i}");
    }
}

#[test]
fn own_and_channel_streams_equal_their_batches_bit_for_bit() {
    let c = xbt();
    let (mut d, mut k) = (Donchian::new(20).expect("d"), Keltner::new(20, 10, 2.0).expect("k"));
    let (mut rv, mut z) = (RealizedVol::new(24).expect("rv"), ZScore::new(20).expect("z"));
    let (mut sv, mut rw) = (SessionVwap::new(86_400).expect("sv"), RollingVwap::new(24).expect("rw"));
    let mut got: [Vec<Option<f64>>; 6] = Default::default();
    for i in 0..c.len() {
        let b = c.bar(i);
        got[0].push(d.update(b).map(|x| x.upper));
        got[1].push(k.update(b).map(|x| x.lower));
        got[2].push(rv.update(b.close));
        got[3].push(z.update(b.close));
        got[4].push(sv.update(c.time[i], b));
        got[5].push(rw.update(b));
    }
    assert_same("donchian upper", &Donchian::batch(20, &c).expect("d")[0], &got[0]);
    assert_same("keltner lower", &Keltner::batch(20, 10, 2.0, &c).expect("k")[2], &got[1]);
    assert_same("realized vol", &RealizedVol::batch(24, &c.close).expect("rv"), &got[2]);
    assert_same("z-score", &ZScore::batch(20, &c.close).expect("z"), &got[3]);
    assert_same("session vwap", &SessionVwap::batch(86_400, &c).expect("sv"), &got[4]);
    assert_same("rolling vwap", &RollingVwap::batch(24, &c).expect("rw"), &got[5]);
}

#[test]
fn streams_refuse_non_finite_input_without_changing_state() {
    let c = xbt();
    let mut a = cst_core::indicators::Sma::new(3).expect("sma");
    let mut b = a.clone();
    for i in 0..10 {
        assert_eq!(a.update(f64::NAN), None);
        assert_eq!(a.update(c.close[i]), b.update(c.close[i]));
    }
    assert!(cst_core::indicators::Sma::new(0).is_err(), "TA-Lib refuses period 0");
}
