//! Causal sentiment features per asset and interval. A bar `[open, close)` aggregates the posts
//! *received* in it and is stamped `available_at = close`, so a consumer at time `t` only ever sees
//! bars whose posts all arrived before `t`. Baselines use the trailing bars before the bar's open.

use crate::ingest::post::Post;
use crate::sentiment::{Analyzer, Label};
use cst_core::interval::Interval;
use cst_core::time::Timestamp;
use serde::Serialize;

const NANOS_PER_SEC: i64 = 1_000_000_000;
/// Hype indicator level (mean over the bar) that raises the hype flag.
const HYPE_LEVEL: f32 = 0.5;
/// Scam or hack indicator level (any post) that raises the risk flag.
const RISK_LEVEL: f32 = 0.5;
/// A bar with this many times its baseline post volume (and at least 5 posts) is hype too.
const VOLUME_SPIKE: f64 = 3.0;

/// One post reduced to what the features need.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredPost {
    /// Kraken asset code.
    pub asset: String,
    /// Receipt time.
    pub received_at: Timestamp,
    /// Sentiment score in [−1, 1].
    pub score: f32,
    /// Sentiment label.
    pub label: Label,
    /// Hype indicator.
    pub hype: f32,
    /// max(scam risk, hack risk).
    pub risk: f32,
}

impl ScoredPost {
    /// Scores a post once per asset it mentions (posts the analyzer refuses yield nothing).
    pub fn from_post(post: &Post, analyzer: &Analyzer) -> Vec<ScoredPost> {
        let Ok(s) = analyzer.analyze(&post.text) else { return Vec::new() };
        post.assets
            .iter()
            .map(|asset| ScoredPost {
                asset: asset.clone(),
                received_at: post.received_at,
                score: s.score,
                label: s.label,
                hype: s.indicators.hype,
                risk: s.indicators.scam_risk.max(s.indicators.hack_risk),
            })
            .collect()
    }
}

/// The sentiment features of one asset over one bar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentimentBar {
    /// Bar open.
    pub open: Timestamp,
    /// When the bar may be used: its close.
    pub available_at: Timestamp,
    /// Posts received in the bar.
    pub post_count: u64,
    /// Mean score (0 without posts).
    pub mean_score: f64,
    /// Share of bullish posts.
    pub bullish_share: f64,
    /// Share of bearish posts.
    pub bearish_share: f64,
    /// Mean score minus the mean score of the trailing baseline posts (0 if either is empty).
    pub score_change_vs_baseline: f64,
    /// Post count over the trailing baseline's mean count per bar (0 without a baseline).
    pub volume_ratio_vs_baseline: f64,
    /// Hype: high mean hype or a volume spike.
    pub hype_flag: bool,
    /// Scam or hack language in any post.
    pub risk_flag: bool,
}

impl SentimentBar {
    /// Feature names, in the order of [`SentimentBar::values`].
    pub const NAMES: [&'static str; 8] = [
        "sent_mean_score",
        "sent_post_count",
        "sent_bullish_share",
        "sent_bearish_share",
        "sent_score_change_vs_baseline",
        "sent_volume_ratio_vs_baseline",
        "sent_hype_flag",
        "sent_risk_flag",
    ];

    /// The bar as f64 feature values for the feature pipeline (flags as 0/1), to be joined on
    /// `available_at` so a model at time t only sees bars closed by t.
    pub fn values(&self) -> [f64; 8] {
        [
            self.mean_score,
            self.post_count as f64,
            self.bullish_share,
            self.bearish_share,
            self.score_change_vs_baseline,
            self.volume_ratio_vs_baseline,
            f64::from(u8::from(self.hype_flag)),
            f64::from(u8::from(self.risk_flag)),
        ]
    }
}

/// Computes bars `[from, to)` for one asset from posts in any order; `baseline_bars` trailing bars
/// form the baseline.
pub fn sentiment_bars(
    posts: &[ScoredPost],
    asset: &str,
    interval: Interval,
    from: Timestamp,
    to: Timestamp,
    baseline_bars: u32,
) -> Vec<SentimentBar> {
    let len_ns = interval.secs() * NANOS_PER_SEC;
    let mut mine: Vec<&ScoredPost> = posts.iter().filter(|p| p.asset == asset).collect();
    mine.sort_by_key(|p| p.received_at);
    let first_open = interval.floor_secs(from.as_secs()) * NANOS_PER_SEC;
    let mut bars = Vec::new();
    let mut open = first_open;
    while open < to.as_nanos() {
        let in_bar = window(&mine, open, open + len_ns);
        let baseline = window(&mine, open - i64::from(baseline_bars) * len_ns, open);
        bars.push(bar(in_bar, baseline, baseline_bars, open, len_ns));
        open += len_ns;
    }
    bars
}

/// Posts received in `[start_ns, end_ns)` of a list sorted by receipt.
fn window<'a>(sorted: &'a [&'a ScoredPost], start_ns: i64, end_ns: i64) -> &'a [&'a ScoredPost] {
    let lo = sorted.partition_point(|p| p.received_at.as_nanos() < start_ns);
    let hi = sorted.partition_point(|p| p.received_at.as_nanos() < end_ns);
    &sorted[lo..hi.max(lo)]
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0u64), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

fn bar(posts: &[&ScoredPost], baseline: &[&ScoredPost], baseline_bars: u32, open: i64, len_ns: i64) -> SentimentBar {
    let n = posts.len() as u64;
    let share =
        |label: Label| if n == 0 { 0.0 } else { posts.iter().filter(|p| p.label == label).count() as f64 / n as f64 };
    let bar_mean = mean(posts.iter().map(|p| f64::from(p.score)));
    let base_mean = mean(baseline.iter().map(|p| f64::from(p.score)));
    let base_volume = if baseline_bars == 0 { 0.0 } else { baseline.len() as f64 / f64::from(baseline_bars) };
    let volume_ratio = if base_volume > 0.0 { n as f64 / base_volume } else { 0.0 };
    let hype_mean = mean(posts.iter().map(|p| f64::from(p.hype))).unwrap_or(0.0);
    SentimentBar {
        open: Timestamp::from_nanos(open),
        available_at: Timestamp::from_nanos(open + len_ns),
        post_count: n,
        mean_score: bar_mean.unwrap_or(0.0),
        bullish_share: share(Label::Bullish),
        bearish_share: share(Label::Bearish),
        score_change_vs_baseline: match (bar_mean, base_mean) {
            (Some(b), Some(base)) => b - base,
            _ => 0.0,
        },
        volume_ratio_vs_baseline: volume_ratio,
        hype_flag: hype_mean >= f64::from(HYPE_LEVEL) || (n >= 5 && volume_ratio >= VOLUME_SPIKE),
        risk_flag: posts.iter().any(|p| p.risk >= RISK_LEVEL),
    }
}
