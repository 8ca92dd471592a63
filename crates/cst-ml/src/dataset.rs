//! The plain dataset every model and validator works on: named feature columns per decision time,
//! and per horizon a label, its end time (for purging) and a uniqueness weight. Any feature source
//! (this crate's candle features, later `cst_core::features`) only has to fill this struct.

use crate::features;
use crate::labels::{self, Fee, Label, LabelKind, Side};
use crate::series::Series;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What to label and over which decision times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelConfig {
    /// Horizons in candles.
    pub horizons: Vec<usize>,
    /// Round-trip fee model.
    pub fee: Fee,
    /// Trade direction the label scores.
    pub side: Side,
    /// Label rule.
    pub kind: LabelKind,
}

/// Labels of one horizon, aligned with the dataset rows.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// Horizon in candles.
    pub horizon: usize,
    /// The label, `None` where the horizon crosses a gap, the data end or the range end.
    pub y: Vec<Option<bool>>,
    /// Forward log return to the label end (NaN when unlabelled).
    pub log_return: Vec<f64>,
    /// Close time (secs) of the candle ending the label; the decision time when unlabelled.
    pub end_time: Vec<i64>,
    /// Average-uniqueness sample weight (0 when unlabelled).
    pub weight: Vec<f64>,
}

/// Rows sorted by (decision time, pair).
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Feature names, in column order.
    pub feature_names: Vec<String>,
    /// Pair names; `pair_idx` points here.
    pub pairs: Vec<String>,
    /// Pair of each row.
    pub pair_idx: Vec<u16>,
    /// Decision time of each row (close time of its last candle), seconds UTC.
    pub times: Vec<i64>,
    /// Feature rows.
    pub x: Vec<Vec<f64>>,
    /// One target per horizon.
    pub targets: Vec<Target>,
    /// Gaps found in the input series (each one cut runs; no row or label spans it).
    pub gaps: usize,
}

struct Row {
    time: i64,
    pair: u16,
    x: Vec<f64>,
    labels: Vec<Option<(Label, i64, f64)>>,
}

impl Dataset {
    /// Builds candle-feature rows with decision times in `[from, to)` and labels ending by `to`.
    pub fn from_series(series: &[Series], cfg: &LabelConfig, from: i64, to: i64) -> Self {
        let vol_col = features::NAMES.iter().position(|n| *n == features::VOL_FEATURE).unwrap_or(0);
        let mut rows = Vec::new();
        for (p, s) in series.iter().enumerate() {
            rows.extend(series_rows(s, p as u16, cfg, vol_col, from, to));
        }
        rows.sort_by_key(|r| (r.time, r.pair));
        let mut ds = Self {
            feature_names: features::names(),
            pairs: series.iter().map(|s| s.pair.clone()).collect(),
            gaps: series.iter().map(|s| s.gaps).sum(),
            ..Self::default()
        };
        ds.targets = cfg.horizons.iter().map(|&h| Target { horizon: h, ..Target::default() }).collect();
        for r in rows {
            for (t, l) in ds.targets.iter_mut().zip(&r.labels) {
                t.y.push(l.map(|(l, _, _)| l.win));
                t.log_return.push(l.map_or(f64::NAN, |(l, _, _)| l.log_return));
                t.end_time.push(l.map_or(r.time, |(_, end, _)| end));
                t.weight.push(l.map_or(0.0, |(_, _, w)| w));
            }
            ds.times.push(r.time);
            ds.pair_idx.push(r.pair);
            ds.x.push(r.x);
        }
        ds
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Index of a feature by name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.feature_names.iter().position(|n| n == name)
    }

    /// Appends a feature column (used to test the leakage defences with a deliberately bad one).
    pub fn push_column(&mut self, name: &str, values: &[f64]) {
        self.feature_names.push(name.to_string());
        for (row, v) in self.x.iter_mut().zip(values) {
            row.push(*v);
        }
    }

    /// SHA-256 over names, times, pairs, feature bits and labels: identifies the training data.
    pub fn fingerprint(&self, rows: &[usize]) -> String {
        let mut h = Sha256::new();
        for n in &self.feature_names {
            h.update(n.as_bytes());
            h.update([0]);
        }
        for &i in rows {
            h.update(self.times[i].to_le_bytes());
            h.update(self.pairs[self.pair_idx[i] as usize].as_bytes());
            self.x[i].iter().for_each(|v| h.update(v.to_bits().to_le_bytes()));
            self.targets.iter().for_each(|t| h.update([t.y[i].map_or(2, u8::from)]));
        }
        hex(&h.finalize())
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn series_rows(s: &Series, pair: u16, cfg: &LabelConfig, vol_col: usize, from: i64, to: i64) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let mut spans: Vec<Vec<(usize, usize)>> = vec![Vec::new(); cfg.horizons.len()];
    let mut row_of: Vec<Vec<usize>> = vec![Vec::new(); cfg.horizons.len()];
    for i in 0..s.len() {
        let time = s.close_time(i);
        if time < from || time >= to {
            continue;
        }
        let Some(x) = features::row(s, i) else { continue };
        let mut labels_i = Vec::with_capacity(cfg.horizons.len());
        for (k, &h) in cfg.horizons.iter().enumerate() {
            let l = match cfg.kind {
                LabelKind::NetDirection => labels::net_direction(s, i, h, cfg.fee, cfg.side),
                LabelKind::TripleBarrier { width } => {
                    labels::triple_barrier(s, i, h, x[vol_col], width, cfg.fee, cfg.side)
                }
            };
            let l = l.filter(|l| s.close_time(l.end) <= to);
            if let Some(l) = l {
                spans[k].push((i, l.end));
                row_of[k].push(rows.len());
            }
            labels_i.push(l.map(|l| (l, s.close_time(l.end), 0.0)));
        }
        rows.push(Row { time, pair, x, labels: labels_i });
    }
    for k in 0..cfg.horizons.len() {
        let w = labels::average_uniqueness(&spans[k], s.len());
        for (&r, w) in row_of[k].iter().zip(w) {
            if let Some(l) = rows[r].labels[k].as_mut() {
                l.2 = w;
            }
        }
    }
    rows
}
