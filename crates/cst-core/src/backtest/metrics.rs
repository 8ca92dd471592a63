//! Streaming performance statistics over the equity series: O(1) memory per run, so a sweep or
//! a long series costs no more memory than a short one.

use serde::Serialize;

/// Seconds in a Julian year, for CAGR.
const YEAR_SECS: f64 = 365.25 * 86_400.0;

/// Running sums of the per-bar equity series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EquityStats {
    bars: u64,
    exposed_bars: u64,
    returns: u64,
    sum: f64,
    sum_sq: f64,
    down_sq: f64,
    first: Option<(i64, f64)>,
    last: (i64, f64),
    peak: f64,
    max_drawdown: f64,
}

/// The summary statistics (fractions, not percent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Final / initial equity − 1.
    pub total_return: f64,
    /// Compound annual growth rate.
    pub cagr: f64,
    /// Annualised mean / standard deviation of bar returns.
    pub sharpe: f64,
    /// Annualised mean / downside deviation of bar returns.
    pub sortino: f64,
    /// Largest peak-to-trough fall of equity.
    pub max_drawdown: f64,
    /// CAGR / max drawdown.
    pub calmar: f64,
    /// Share of bars with an open position.
    pub exposure: f64,
}

impl EquityStats {
    /// Records equity after a bar.
    #[inline]
    pub fn on_bar(&mut self, time_ns: i64, equity: f64, exposed: bool) {
        self.bars += 1;
        self.exposed_bars += u64::from(exposed);
        match self.first {
            None => self.first = Some((time_ns, equity)),
            Some(_) => {
                let r = equity / self.last.1 - 1.0;
                self.returns += 1;
                self.sum += r;
                self.sum_sq += r * r;
                if r < 0.0 {
                    self.down_sq += r * r;
                }
            }
        }
        self.last = (time_ns, equity);
        if equity > self.peak {
            self.peak = equity;
        }
        let dd = 1.0 - equity / self.peak;
        if dd > self.max_drawdown {
            self.max_drawdown = dd;
        }
    }

    /// Bars recorded.
    pub fn bars(&self) -> u64 {
        self.bars
    }

    /// Time of the last recorded point.
    pub fn last_time_ns(&self) -> Option<i64> {
        self.first.map(|_| self.last.0)
    }

    /// The statistics, annualising with `periods_per_year` bars; `initial` is the starting equity.
    pub fn summary(&self, initial: f64, periods_per_year: f64) -> Summary {
        let n = self.returns as f64;
        let total_return = self.last.1 / initial - 1.0;
        let years = self.first.map_or(0.0, |(t0, _)| (self.last.0 - t0) as f64 / 1e9 / YEAR_SECS);
        let cagr = if years > 0.0 { (self.last.1 / initial).powf(1.0 / years) - 1.0 } else { 0.0 };
        let mean = if n > 0.0 { self.sum / n } else { 0.0 };
        let var = if n > 1.0 { (self.sum_sq - n * mean * mean) / (n - 1.0) } else { 0.0 };
        let annual = periods_per_year.sqrt();
        let sharpe = if var > 0.0 { mean / var.sqrt() * annual } else { 0.0 };
        let down = if n > 0.0 { (self.down_sq / n).sqrt() } else { 0.0 };
        let sortino = if down > 0.0 { mean / down * annual } else { 0.0 };
        let calmar = if self.max_drawdown > 0.0 { cagr / self.max_drawdown } else { 0.0 };
        let exposure = if self.bars > 0 { self.exposed_bars as f64 / self.bars as f64 } else { 0.0 };
        Summary { total_return, cagr, sharpe, sortino, max_drawdown: self.max_drawdown, calmar, exposure }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawdown_and_total_return_follow_the_equity_path() {
        let mut s = EquityStats::default();
        let hour = 3_600_000_000_000;
        for (k, e) in [100.0, 120.0, 90.0, 110.0].into_iter().enumerate() {
            s.on_bar(k as i64 * hour, e, k > 0);
        }
        let sum = s.summary(100.0, 8766.0);
        assert!((sum.max_drawdown - 0.25).abs() < 1e-12);
        assert!((sum.total_return - 0.10).abs() < 1e-12);
        assert!((sum.exposure - 0.75).abs() < 1e-12);
    }
}
