//! Invariants over arbitrary input: the analyzer never panics, its score stays in [−1, 1] and its
//! confidence and indicators in [0, 1]; negating a clear term never makes a text more positive;
//! the feed parser refuses or parses any byte soup without panicking.

use cst_intel::ingest::sources::rss::parse_feed;
use cst_intel::sentiment::{Analyzer, Label};
use proptest::prelude::*;

fn unit(x: f32) -> bool {
    (0.0..=1.0).contains(&x)
}

proptest! {
    #[test]
    fn analysis_of_any_text_is_bounded_or_refused(text in "\\PC{0,400}") {
        let analyzer = Analyzer::new();
        if let Ok(s) = analyzer.analyze(&text) {
            prop_assert!((-1.0..=1.0).contains(&s.score));
            prop_assert!(unit(s.confidence));
            let i = s.indicators;
            prop_assert!(unit(i.fear) && unit(i.greed) && unit(i.hype) && unit(i.scam_risk) && unit(i.hack_risk));
            prop_assert_eq!(s.label, Label::of_score(s.score));
        }
    }

    #[test]
    fn crypto_looking_text_is_bounded(words in prop::collection::vec(
        prop::sample::select(vec!["$BTC", "moon", "not", "very", "rekt", "🚀", "📉", "but", "ETH", "-5%", "up", "12%", "!", "HODL", "rug", "pull"]),
        1..40,
    )) {
        let text = words.join(" ");
        let s = Analyzer::new().analyze(&text).expect("crypto words are valid text");
        prop_assert!((-1.0..=1.0).contains(&s.score));
        prop_assert!(unit(s.confidence));
    }

    #[test]
    fn negation_never_raises_a_positive_term(term in prop::sample::select(vec!["bullish", "surges", "strong", "moon", "rally"])) {
        let analyzer = Analyzer::new();
        let plain = analyzer.analyze(&format!("bitcoin {term}")).expect("valid").score;
        let negated = analyzer.analyze(&format!("bitcoin not {term}")).expect("valid").score;
        prop_assert!(negated < plain);
    }

    #[test]
    fn feed_parser_never_panics(body in "\\PC{0,300}") {
        let _ = parse_feed(&body);
    }
}
