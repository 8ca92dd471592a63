//! Sentiment features are causal: the bar available at time t is computed only from posts received
//! before t. Texts are the real labelled financial tweets (scored by the analyzer, keyed by their
//! first cashtag); the dataset has no times, so each row gets a fixed arrival schedule (row i arrives
//! at 2023-01-02T00:00Z + 97 s × i), which is test scaffolding, not market data.

use cst_core::interval::Interval;
use cst_core::time::Timestamp;
use cst_intel::features::{ScoredPost, SentimentBar, sentiment_bars};
use cst_intel::sentiment::{Analyzer, Label, TokenKind, tokenize};
use std::collections::HashMap;

const START_SECS: i64 = 1_672_617_600;
const ARRIVAL_STEP_SECS: i64 = 97;

fn real_scored_posts() -> Vec<ScoredPost> {
    let text = cst_testdata::read_text("sentiment/financial-tweets/sent_valid.csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let analyzer = Analyzer::new();
    let mut posts = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.expect("csv row");
        let tweet = row.get(0).expect("text");
        let Ok(s) = analyzer.analyze(tweet) else { continue };
        let Some(tag) = tokenize(tweet).into_iter().find(|t| t.kind == TokenKind::Cashtag) else { continue };
        posts.push(ScoredPost {
            asset: tag.text,
            received_at: Timestamp::from_secs(START_SECS + ARRIVAL_STEP_SECS * i as i64).expect("time"),
            score: s.score,
            label: s.label,
            hype: s.indicators.hype,
            risk: s.indicators.scam_risk.max(s.indicators.hack_risk),
        });
    }
    posts
}

fn busiest_asset(posts: &[ScoredPost]) -> String {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for p in posts {
        *counts.entry(&p.asset).or_default() += 1;
    }
    let (asset, _) = counts.into_iter().max_by_key(|(a, n)| (*n, std::cmp::Reverse(*a))).expect("assets");
    asset.to_string()
}

fn bars(posts: &[ScoredPost], asset: &str) -> Vec<SentimentBar> {
    let from = Timestamp::from_secs(START_SECS).expect("time");
    let to = Timestamp::from_secs(START_SECS + ARRIVAL_STEP_SECS * 2_400).expect("time");
    sentiment_bars(posts, asset, Interval::H1, from, to, 6)
}

#[test]
fn features_at_time_t_use_only_posts_received_before_t() {
    let posts = real_scored_posts();
    let mut assets: Vec<&str> = posts.iter().map(|p| p.asset.as_str()).collect();
    assets.sort_unstable();
    assets.dedup();
    let mut populated = 0;
    for asset in assets {
        for bar in bars(&posts, asset) {
            populated += usize::from(bar.post_count > 0);
            let known: Vec<ScoredPost> = posts.iter().filter(|p| p.received_at < bar.available_at).cloned().collect();
            let recomputed = bars(&known, asset).into_iter().find(|b| b.open == bar.open).expect("same bar");
            assert_eq!(recomputed, bar, "{asset} bar at {} changed when later posts were removed", bar.open);
        }
    }
    assert!(populated >= 100, "populated bars checked: {populated}");
}

#[test]
fn a_post_received_exactly_at_the_close_belongs_to_the_next_bar() {
    let posts = real_scored_posts();
    let asset = busiest_asset(&posts);
    let full = bars(&posts, &asset);
    let target = full.iter().find(|b| b.post_count > 0).expect("a populated bar");
    let mut with_late = posts.clone();
    with_late.push(ScoredPost {
        asset: asset.clone(),
        received_at: target.available_at,
        score: -1.0,
        label: Label::Bearish,
        hype: 1.0,
        risk: 1.0,
    });
    let again = bars(&with_late, &asset);
    let same = again.iter().find(|b| b.open == target.open).expect("bar");
    assert_eq!(same, target);
    let next = again.iter().find(|b| b.open == target.available_at).expect("next bar");
    assert!(next.risk_flag);
}

#[test]
fn bars_aggregate_scores_shares_and_baseline_change() {
    let posts = real_scored_posts();
    let asset = busiest_asset(&posts);
    for bar in bars(&posts, &asset) {
        assert!((-1.0..=1.0).contains(&bar.mean_score));
        assert!(bar.bullish_share + bar.bearish_share <= 1.0 + 1e-12);
        assert_eq!(bar.available_at.as_nanos() - bar.open.as_nanos(), 3_600_000_000_000);
        let values = bar.values();
        assert_eq!(values.len(), SentimentBar::NAMES.len());
        assert_eq!(values[1], bar.post_count as f64);
        if bar.post_count == 0 {
            assert_eq!((bar.mean_score, bar.score_change_vs_baseline), (0.0, 0.0));
        }
    }
}
