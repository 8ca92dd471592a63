//! L2-regularised logistic regression fitted by iteratively reweighted least squares (Newton's
//! method) on standardised features. Deterministic: no randomness, a fixed iteration order.

use crate::metrics::sigmoid;
use serde::{Deserialize, Serialize};

/// A fitted logistic model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    /// Feature means used for standardisation.
    pub mean: Vec<f64>,
    /// Feature standard deviations (1 where a column is constant).
    pub scale: Vec<f64>,
    /// Coefficients on standardised features.
    pub coef: Vec<f64>,
    /// Intercept.
    pub intercept: f64,
}

impl Logistic {
    /// Fits with penalty `l2` (on coefficients, not the intercept) and sample weights.
    pub fn fit(x: &[&[f64]], y: &[bool], weight: &[f64], l2: f64) -> Self {
        let d = x.first().map_or(0, |r| r.len());
        let (mean, scale) = standardiser(x, weight, d);
        let z: Vec<Vec<f64>> = x.iter().map(|r| (0..d).map(|j| (r[j] - mean[j]) / scale[j]).collect()).collect();
        let mut beta = vec![0.0; d + 1];
        let wsum: f64 = weight.iter().sum::<f64>().max(1e-12);
        for _ in 0..25 {
            let (grad, hess) = newton_terms(&z, y, weight, &beta, l2 * wsum / x.len().max(1) as f64);
            let Some(step) = solve(hess, grad) else { break };
            let change: f64 = step.iter().map(|s| s.abs()).sum();
            beta.iter_mut().zip(&step).for_each(|(b, s)| *b -= s);
            if change < 1e-9 {
                break;
            }
        }
        Self { mean, scale, coef: beta[1..].to_vec(), intercept: beta[0] }
    }

    /// The log-odds of a row.
    pub fn decision(&self, row: &[f64]) -> f64 {
        self.intercept + self.contributions(row).iter().sum::<f64>()
    }

    /// P(y = 1 | row).
    pub fn predict(&self, row: &[f64]) -> f64 {
        sigmoid(self.decision(row))
    }

    /// Each feature's additive share of the log-odds (coefficient × standardised value).
    pub fn contributions(&self, row: &[f64]) -> Vec<f64> {
        self.coef.iter().enumerate().map(|(j, c)| c * (row[j] - self.mean[j]) / self.scale[j]).collect()
    }
}

fn standardiser(x: &[&[f64]], weight: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let wsum: f64 = weight.iter().sum::<f64>().max(1e-12);
    let mut mean = vec![0.0; d];
    let mut var = vec![0.0; d];
    for (r, w) in x.iter().zip(weight) {
        (0..d).for_each(|j| mean[j] += w * r[j] / wsum);
    }
    for (r, w) in x.iter().zip(weight) {
        (0..d).for_each(|j| var[j] += w * (r[j] - mean[j]).powi(2) / wsum);
    }
    let scale = var.iter().map(|v| if *v > 1e-24 { v.sqrt() } else { 1.0 }).collect();
    (mean, scale)
}

fn newton_terms(z: &[Vec<f64>], y: &[bool], weight: &[f64], beta: &[f64], l2: f64) -> (Vec<f64>, Vec<Vec<f64>>) {
    let k = beta.len();
    let mut grad = vec![0.0; k];
    let mut hess = vec![vec![0.0; k]; k];
    for ((r, &y), &w) in z.iter().zip(y).zip(weight) {
        let eta = beta[0] + r.iter().zip(&beta[1..]).map(|(a, b)| a * b).sum::<f64>();
        let p = sigmoid(eta);
        let g = w * (p - f64::from(u8::from(y)));
        let h = w * p * (1.0 - p);
        let xi = |j: usize| if j == 0 { 1.0 } else { r[j - 1] };
        for (a, row) in hess.iter_mut().enumerate() {
            grad[a] += g * xi(a);
            for (b, cell) in row.iter_mut().enumerate().take(a + 1) {
                *cell += h * xi(a) * xi(b);
            }
        }
    }
    for a in 0..k {
        let lower: Vec<f64> = hess[a][..a].to_vec();
        lower.iter().enumerate().for_each(|(b, v)| hess[b][a] = *v);
        if a > 0 {
            grad[a] += l2 * beta[a];
            hess[a][a] += l2;
        }
        hess[a][a] += 1e-9;
    }
    (grad, hess)
}

/// Solves the symmetric positive definite system `a x = b` by Cholesky; `None` if not SPD.
pub fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for j in 0..n {
        let d = a[j][j] - (0..j).map(|k| a[j][k] * a[j][k]).sum::<f64>();
        if d <= 0.0 {
            return None;
        }
        a[j][j] = d.sqrt();
        for i in j + 1..n {
            a[i][j] = (a[i][j] - (0..j).map(|k| a[i][k] * a[j][k]).sum::<f64>()) / a[j][j];
        }
    }
    for i in 0..n {
        b[i] = (b[i] - (0..i).map(|k| a[i][k] * b[k]).sum::<f64>()) / a[i][i];
    }
    for i in (0..n).rev() {
        b[i] = (b[i] - (i + 1..n).map(|k| a[k][i] * b[k]).sum::<f64>()) / a[i][i];
    }
    Some(b)
}
