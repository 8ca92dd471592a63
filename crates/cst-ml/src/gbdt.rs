//! A compact histogram gradient-boosted tree classifier (log loss), written here rather than taken
//! from `forust-ml` so that the model serialises into our own versioned file, has per-prediction
//! contributions, and stays bit-for-bit deterministic under a fixed seed. Features are bucketed into
//! at most `n_bins` quantile bins of the training data; trees grow depth-wise with the XGBoost gain.

use crate::metrics::{logit, sigmoid};
use crate::rng::SplitMix64;
use serde::{Deserialize, Serialize};

/// Boosting hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GbdtParams {
    /// Number of trees.
    pub n_trees: usize,
    /// Maximum depth of each tree.
    pub max_depth: usize,
    /// Shrinkage applied to each tree.
    pub learning_rate: f64,
    /// L2 penalty on leaf values.
    pub l2: f64,
    /// Minimum hessian sum in a child.
    pub min_child_weight: f64,
    /// Fraction of rows drawn (without replacement) for each tree.
    pub subsample: f64,
    /// Maximum histogram bins per feature (≤ 256).
    pub n_bins: usize,
}

/// One tree node; leaves have `left == 0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Split feature.
    pub feature: u32,
    /// Rows with `x <= threshold` go left.
    pub threshold: f64,
    /// Left child index (0 for a leaf).
    pub left: u32,
    /// Right child index.
    pub right: u32,
    /// The node's (shrunk) value; at a leaf the tree's output.
    pub value: f64,
}

/// A regression tree over raw feature values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// Nodes, root first.
    pub nodes: Vec<Node>,
}

impl Tree {
    fn leaf(&self, row: &[f64]) -> usize {
        let mut k = 0;
        while self.nodes[k].left != 0 {
            let n = &self.nodes[k];
            k = if row[n.feature as usize] <= n.threshold { n.left } else { n.right } as usize;
        }
        k
    }
}

/// A fitted booster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gbdt {
    /// Initial log-odds (the weighted base rate).
    pub base_score: f64,
    /// The trees.
    pub trees: Vec<Tree>,
    /// Total split gain per feature (global importance).
    pub gain: Vec<f64>,
}

struct Grow<'a> {
    bins: &'a [Vec<u8>],
    cuts: &'a [Vec<f64>],
    grad: &'a [f64],
    hess: &'a [f64],
    p: &'a GbdtParams,
}

impl Gbdt {
    /// Fits on rows `x` with labels, sample weights and a seed for the row subsampling.
    pub fn fit(x: &[&[f64]], y: &[bool], weight: &[f64], p: &GbdtParams, seed: u64) -> Self {
        let n = x.len();
        let d = x.first().map_or(0, |r| r.len());
        let cuts: Vec<Vec<f64>> = (0..d).map(|j| quantile_cuts(x, j, p.n_bins.clamp(2, 256))).collect();
        let bins: Vec<Vec<u8>> =
            (0..d).map(|j| x.iter().map(|r| cuts[j].partition_point(|&c| c < r[j]) as u8).collect()).collect();
        let wsum: f64 = weight.iter().sum::<f64>().max(1e-12);
        let rate = y.iter().zip(weight).filter(|(y, _)| **y).map(|(_, w)| w).sum::<f64>() / wsum;
        let mut model = Self { base_score: logit(rate), trees: Vec::new(), gain: vec![0.0; d] };
        let mut score = vec![model.base_score; n];
        let mut rng = SplitMix64::new(seed);
        let (mut grad, mut hess) = (vec![0.0; n], vec![0.0; n]);
        for _ in 0..p.n_trees {
            for i in 0..n {
                let q = sigmoid(score[i]);
                grad[i] = weight[i] * (q - f64::from(u8::from(y[i])));
                hess[i] = weight[i] * (q * (1.0 - q)).max(1e-6);
            }
            let rows: Vec<u32> = (0..n as u32).filter(|_| rng.next_f64() < p.subsample).collect();
            let g = Grow { bins: &bins, cuts: &cuts, grad: &grad, hess: &hess, p };
            let tree = g.tree(rows, &mut model.gain);
            for (i, s) in score.iter_mut().enumerate() {
                *s += tree.nodes[tree.leaf(x[i])].value;
            }
            model.trees.push(tree);
        }
        model
    }

    /// The log-odds of a row.
    pub fn decision(&self, row: &[f64]) -> f64 {
        self.base_score + self.trees.iter().map(|t| t.nodes[t.leaf(row)].value).sum::<f64>()
    }

    /// P(y = 1 | row).
    pub fn predict(&self, row: &[f64]) -> f64 {
        sigmoid(self.decision(row))
    }

    /// Per-feature shares of the log-odds along each tree's decision path (Saabas attribution):
    /// their sum plus the base score and root values equals [`Gbdt::decision`].
    pub fn contributions(&self, row: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.gain.len()];
        for t in &self.trees {
            let mut k = 0;
            while t.nodes[k].left != 0 {
                let n = &t.nodes[k];
                let next = if row[n.feature as usize] <= n.threshold { n.left } else { n.right } as usize;
                out[n.feature as usize] += t.nodes[next].value - n.value;
                k = next;
            }
        }
        out
    }
}

impl Grow<'_> {
    fn tree(&self, rows: Vec<u32>, gain: &mut [f64]) -> Tree {
        let mut nodes = Vec::new();
        let mut stack = vec![(rows, 0usize, 0usize)];
        nodes.push(Node { feature: 0, threshold: 0.0, left: 0, right: 0, value: 0.0 });
        while let Some((rows, at, depth)) = stack.pop() {
            let (g, h) =
                rows.iter().fold((0.0, 0.0), |(g, h), &i| (g + self.grad[i as usize], h + self.hess[i as usize]));
            nodes[at].value = -g / (h + self.p.l2) * self.p.learning_rate;
            if depth >= self.p.max_depth {
                continue;
            }
            let Some((f, b, best)) = self.best_split(&rows, g, h) else { continue };
            gain[f] += best;
            let (l, r): (Vec<u32>, Vec<u32>) = rows.iter().partition(|&&i| self.bins[f][i as usize] as usize <= b);
            let (li, ri) = (nodes.len(), nodes.len() + 1);
            nodes.push(Node { feature: 0, threshold: 0.0, left: 0, right: 0, value: 0.0 });
            nodes.push(Node { feature: 0, threshold: 0.0, left: 0, right: 0, value: 0.0 });
            nodes[at] =
                Node { feature: f as u32, threshold: self.cuts[f][b], left: li as u32, right: ri as u32, ..nodes[at] };
            stack.push((r, ri, depth + 1));
            stack.push((l, li, depth + 1));
        }
        Tree { nodes }
    }

    fn best_split(&self, rows: &[u32], g: f64, h: f64) -> Option<(usize, usize, f64)> {
        let lam = self.p.l2;
        let parent = g * g / (h + lam);
        let mut best: Option<(usize, usize, f64)> = None;
        for (f, cuts) in self.cuts.iter().enumerate() {
            let mut hist = vec![(0.0, 0.0); cuts.len() + 1];
            for &i in rows {
                let e = &mut hist[self.bins[f][i as usize] as usize];
                e.0 += self.grad[i as usize];
                e.1 += self.hess[i as usize];
            }
            let (mut gl, mut hl) = (0.0, 0.0);
            for (b, &(bg, bh)) in hist.iter().enumerate().take(cuts.len()) {
                gl += bg;
                hl += bh;
                let (gr, hr) = (g - gl, h - hl);
                if hl < self.p.min_child_weight || hr < self.p.min_child_weight {
                    continue;
                }
                let gain = gl * gl / (hl + lam) + gr * gr / (hr + lam) - parent;
                if gain > 1e-12 && best.is_none_or(|(_, _, bg)| gain > bg) {
                    best = Some((f, b, gain));
                }
            }
        }
        best
    }
}

fn quantile_cuts(x: &[&[f64]], j: usize, n_bins: usize) -> Vec<f64> {
    let mut v: Vec<f64> = x.iter().map(|r| r[j]).collect();
    if v.is_empty() {
        return Vec::new();
    }
    v.sort_by(f64::total_cmp);
    let mut cuts: Vec<f64> = (1..n_bins).map(|k| v[(k * v.len() / n_bins).min(v.len().saturating_sub(1))]).collect();
    cuts.dedup();
    if cuts.last().is_some_and(|&c| Some(&c) == v.last()) {
        cuts.pop();
    }
    cuts
}
