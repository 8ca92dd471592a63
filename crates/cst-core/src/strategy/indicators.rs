//! Tiny streaming indicators for the built-in strategies (SMA, Wilder RSI, Donchian).
//! TO BE REPLACED by `cst_core::indicators` (the ta-lib wrapper) at merge; kept minimal on purpose.
//! Fixed-size rings: no allocation after construction, O(1) per bar for SMA and RSI.

/// Simple moving average over a fixed window.
#[derive(Debug, Clone)]
pub(crate) struct Sma {
    ring: Vec<f64>,
    pos: usize,
    filled: usize,
    sum: f64,
}

impl Sma {
    pub(crate) fn new(period: usize) -> Self {
        Self { ring: vec![0.0; period.max(1)], pos: 0, filled: 0, sum: 0.0 }
    }

    /// Adds a value; returns the average once the window is full.
    #[inline]
    pub(crate) fn update(&mut self, x: f64) -> Option<f64> {
        let n = self.ring.len();
        let old = std::mem::replace(&mut self.ring[self.pos], x);
        self.pos = if self.pos + 1 == n { 0 } else { self.pos + 1 };
        if self.filled < n {
            self.filled += 1;
            self.sum += x;
        } else {
            self.sum += x - old;
        }
        (self.filled == n).then(|| self.sum / n as f64)
    }
}

/// Relative strength index with Wilder's smoothing (seeded by the first `period` changes).
#[derive(Debug, Clone)]
pub(crate) struct Rsi {
    period: f64,
    prev: Option<f64>,
    seen: usize,
    avg_gain: f64,
    avg_loss: f64,
    need: usize,
}

impl Rsi {
    pub(crate) fn new(period: usize) -> Self {
        Self { period: period as f64, prev: None, seen: 0, avg_gain: 0.0, avg_loss: 0.0, need: period }
    }

    #[inline]
    pub(crate) fn update(&mut self, x: f64) -> Option<f64> {
        let prev = self.prev.replace(x)?;
        let change = x - prev;
        let (gain, loss) = if change > 0.0 { (change, 0.0) } else { (0.0, -change) };
        self.seen += 1;
        if self.seen <= self.need {
            self.avg_gain += gain / self.period;
            self.avg_loss += loss / self.period;
            if self.seen < self.need {
                return None;
            }
        } else {
            self.avg_gain = (self.avg_gain * (self.period - 1.0) + gain) / self.period;
            self.avg_loss = (self.avg_loss * (self.period - 1.0) + loss) / self.period;
        }
        let total = self.avg_gain + self.avg_loss;
        Some(if total == 0.0 { 50.0 } else { 100.0 * self.avg_gain / total })
    }
}

/// Highest high and lowest low of the previous `period` bars (the current bar excluded).
#[derive(Debug, Clone)]
pub(crate) struct Donchian {
    highs: Vec<f64>,
    lows: Vec<f64>,
    pos: usize,
    filled: usize,
}

impl Donchian {
    pub(crate) fn new(period: usize) -> Self {
        let n = period.max(1);
        Self { highs: vec![0.0; n], lows: vec![0.0; n], pos: 0, filled: 0 }
    }

    /// The channel of the bars before this one, then records this bar.
    #[inline]
    pub(crate) fn update(&mut self, high: f64, low: f64) -> Option<(f64, f64)> {
        let n = self.highs.len();
        let channel = (self.filled == n).then(|| {
            let upper = self.highs.iter().copied().fold(f64::MIN, f64::max);
            let lower = self.lows.iter().copied().fold(f64::MAX, f64::min);
            (upper, lower)
        });
        self.highs[self.pos] = high;
        self.lows[self.pos] = low;
        self.pos = (self.pos + 1) % n;
        self.filled = (self.filled + 1).min(n);
        channel
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closes() -> Vec<f64> {
        let text = cst_testdata::read_text("kraken/ohlcvt/hourly-2013-2020/XBTUSD_60.csv.gz");
        text.lines().take(300).map(|l| l.split(',').nth(4).and_then(|c| c.parse().ok()).expect("close")).collect()
    }

    #[test]
    fn sma_matches_a_direct_window_average_on_real_closes() {
        let c = closes();
        let mut sma = Sma::new(10);
        for (i, &x) in c.iter().enumerate() {
            let got = sma.update(x);
            if i >= 9 {
                let want: f64 = c[i - 9..=i].iter().sum::<f64>() / 10.0;
                assert!((got.expect("full") - want).abs() < 1e-9 * want);
            } else {
                assert!(got.is_none());
            }
        }
    }

    #[test]
    fn rsi_stays_within_bounds_and_donchian_excludes_the_current_bar() {
        let c = closes();
        let mut rsi = Rsi::new(14);
        let values: Vec<f64> = c.iter().filter_map(|&x| rsi.update(x)).collect();
        assert_eq!(values.len(), c.len() - 14);
        assert!(values.iter().all(|v| (0.0..=100.0).contains(v)));
        let mut d = Donchian::new(3);
        for &x in &c[..3] {
            assert!(d.update(x, x).is_none());
        }
        let (upper, lower) = d.update(1e9, 0.0).expect("channel");
        assert_eq!(upper, c[..3].iter().copied().fold(f64::MIN, f64::max));
        assert_eq!(lower, c[..3].iter().copied().fold(f64::MAX, f64::min));
    }
}
