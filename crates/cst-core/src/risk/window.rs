//! A fixed-size window of recent bar returns per pair, for the correlation rule. Returns are
//! matched by bar time, so pairs with missing bars (Kraken omits hours without trades) are
//! compared only where both traded.

/// Recent `(close time, simple return)` pairs, oldest first.
#[derive(Debug, Clone)]
pub(super) struct ReturnWindow {
    times_ns: Vec<i64>,
    returns: Vec<f64>,
    start: usize,
    len: usize,
}

/// Fewer matched returns than this give no correlation.
const MIN_MATCHED: usize = 10;

impl ReturnWindow {
    pub(super) fn new(capacity: usize) -> Self {
        let n = capacity.max(2);
        Self { times_ns: vec![0; n], returns: vec![0.0; n], start: 0, len: 0 }
    }

    #[inline]
    pub(super) fn push(&mut self, time_ns: i64, ret: f64) {
        let n = self.times_ns.len();
        let slot = (self.start + self.len) % n;
        self.times_ns[slot] = time_ns;
        self.returns[slot] = ret;
        if self.len < n {
            self.len += 1;
        } else {
            self.start = (self.start + 1) % n;
        }
    }

    fn get(&self, k: usize) -> (i64, f64) {
        let slot = (self.start + k) % self.times_ns.len();
        (self.times_ns[slot], self.returns[slot])
    }

    /// Pearson correlation over the bar times both windows share.
    pub(super) fn correlation(&self, other: &ReturnWindow) -> Option<f64> {
        let (mut i, mut j) = (0, 0);
        let (mut n, mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0usize, 0.0, 0.0, 0.0, 0.0, 0.0);
        while i < self.len && j < other.len {
            let ((ta, a), (tb, b)) = (self.get(i), other.get(j));
            if ta < tb {
                i += 1;
            } else if tb < ta {
                j += 1;
            } else {
                n += 1;
                (sx, sy, sxx, syy, sxy) = (sx + a, sy + b, sxx + a * a, syy + b * b, sxy + a * b);
                i += 1;
                j += 1;
            }
        }
        if n < MIN_MATCHED {
            return None;
        }
        let nf = n as f64;
        let cov = sxy - sx * sy / nf;
        let (vx, vy) = (sxx - sx * sx / nf, syy - sy * sy / nf);
        (vx > 0.0 && vy > 0.0).then(|| cov / (vx * vy).sqrt())
    }
}
