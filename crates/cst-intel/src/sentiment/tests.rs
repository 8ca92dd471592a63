//! Specification tests of the analyzer: direction, negation, intensifiers, emoji, indicators.

use super::*;

fn analyze(text: &str) -> Sentiment {
    Analyzer::new().analyze(text).expect("valid text")
}

#[test]
fn crypto_slang_reads_in_the_right_direction() {
    assert_eq!(analyze("$BTC to the moon, HODL").label, Label::Bullish);
    assert_eq!(analyze("got rekt on that rug pull").label, Label::Bearish);
    assert_eq!(analyze("Spot bitcoin ETF approval expected this week").label, Label::Bullish);
    assert_eq!(analyze("Exchange announces delisting of the token").label, Label::Bearish);
}

#[test]
fn plain_news_without_sentiment_terms_is_neutral() {
    let s = analyze("Bitcoin developers meet in Lisbon to discuss the roadmap");
    assert_eq!(s.label, Label::Neutral);
    assert_eq!(s.matched_terms, 0);
}

#[test]
fn negation_flips_and_weakens_the_following_term() {
    let plain = analyze("the rally is strong");
    let negated = analyze("the rally is not strong");
    assert!(negated.score < plain.score);
    let not_bullish = analyze("I am not bullish on ETH");
    assert!(not_bullish.score < 0.0, "{}", not_bullish.score);
    assert!(analyze("this isn't a crash").score > analyze("this is a crash").score);
}

#[test]
fn negation_does_not_cross_a_sentence_boundary() {
    let s = analyze("No doubt. Bitcoin surges");
    assert_eq!(s.label, Label::Bullish);
}

#[test]
fn negated_scam_words_do_not_raise_scam_risk() {
    assert!(analyze("this project is a scam").indicators.scam_risk > 0.5);
    assert_eq!(analyze("this project is not a scam").indicators.scam_risk, 0.0);
}

#[test]
fn intensifiers_strengthen_and_dampeners_weaken() {
    let base = analyze("ETH rallies").score;
    assert!(analyze("ETH rallies very strongly, extremely bullish").score > base);
    assert!(analyze("ETH extremely bullish").score > analyze("ETH bullish").score);
    assert!(analyze("ETH slightly bullish").score < analyze("ETH bullish").score);
}

#[test]
fn capitals_and_exclamation_marks_add_emphasis() {
    assert!(analyze("bitcoin is BULLISH").score > analyze("bitcoin is bullish").score);
    assert!(analyze("bitcoin is bullish!!!").score > analyze("bitcoin is bullish").score);
}

#[test]
fn all_caps_headlines_are_not_treated_as_shouting() {
    let caps = analyze("BREAKING: BITCOIN FALLS AFTER EXCHANGE NEWS").score;
    let normal = analyze("Breaking: bitcoin falls after exchange news").score;
    assert!((caps - normal).abs() < 1e-6);
}

#[test]
fn emoji_carry_sentiment_and_hype() {
    let rockets = analyze("$SOL 🚀🚀🚀");
    assert_eq!(rockets.label, Label::Bullish);
    assert!(rockets.indicators.hype > 0.5);
    assert_eq!(analyze("my portfolio 📉💀").label, Label::Bearish);
    assert_eq!(analyze("⚠️ ETH").label, Label::Bearish);
}

#[test]
fn percentage_moves_count_with_their_sign() {
    assert_eq!(analyze("$TSLA up 7% premarket").label, Label::Bullish);
    assert_eq!(analyze("$ETH -12% this week").label, Label::Bearish);
}

#[test]
fn the_clause_after_but_dominates() {
    let s = analyze("earnings were strong but the stock plunges on weak guidance");
    assert_eq!(s.label, Label::Bearish);
}

#[test]
fn hacks_raise_hack_risk_and_read_bearish() {
    let s = analyze("Bridge exploited, $100M drained from the protocol");
    assert_eq!(s.label, Label::Bearish);
    assert!(s.indicators.hack_risk > 0.8);
    assert!(s.indicators.scam_risk < 0.01);
}

#[test]
fn score_stays_in_range_and_confidence_is_a_probability() {
    let s = analyze(&"🚀 moon bullish surge ".repeat(200));
    assert!(s.score <= 1.0 && s.score > 0.99);
    assert!((0.0..=1.0).contains(&s.confidence));
}

#[test]
fn conflicting_terms_lower_confidence() {
    let clean = analyze("bitcoin surges to a record high");
    let mixed = analyze("bitcoin surges, then crashes, then rebounds");
    assert!(clean.confidence > mixed.confidence);
}

#[test]
fn analysis_is_deterministic() {
    let a = Analyzer::new();
    let text = "$BTC dumps 8% as whales sell, FUD everywhere 😱";
    assert_eq!(a.analyze(text), a.analyze(text));
    assert_eq!(a.analyze(text).expect("valid").assets, ["XBT"]);
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    let a = Analyzer::new();
    assert_eq!(a.analyze(""), Err(TextError::Empty));
    assert!(matches!(a.analyze("\u{0}\u{0}"), Err(TextError::NotText(_))));
    assert!(matches!(a.analyze("ビットコインが急騰しています今日は"), Err(TextError::UnsupportedLanguage(_))));
}
