//! The lexicon sentiment analyzer: deterministic, no network, a few microseconds per tweet.
//! Scoring follows VADER's recipe (sum of term valences, negation, intensifiers, capitals,
//! exclamation marks, "but" clauses, normalised by `s / sqrt(s² + α)`) over a crypto and
//! financial-news lexicon, and adds asset extraction and fear/greed/hype/scam/hack indicators.

use super::assets::extract_assets;
use super::input::{TextError, check_text};
use super::token::{Token, TokenKind, tokenize};
use crate::lexicon::{Lexicon, tag};
use serde::Serialize;

/// VADER's normalisation constant: a sum of ±4 maps to about ±0.72.
const ALPHA: f32 = 15.0;
/// Scores with a smaller magnitude are neutral. Chosen before evaluation: one clear directional
/// term (|valence| ≥ 1, e.g. "falls", "upgrade", "🚀") is enough for a label; a weak one is not.
pub const NEUTRAL_BAND: f32 = 0.25;
/// How a negator scales the term it governs (VADER's −0.74: "not bad" is mildly good).
const NEGATION: f32 = -0.74;
/// How many words back a negator or intensifier reaches.
const SCOPE_WORDS: usize = 3;
/// Extra weight for a term written in capitals inside mixed-case text.
const SHOUT: f32 = 1.25;

/// The direction a text leans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    /// Expects or reports falling prices / bad news.
    Bearish,
    /// Neither.
    Neutral,
    /// Expects or reports rising prices / good news.
    Bullish,
}

impl Label {
    /// All labels in a fixed order (used by confusion matrices).
    pub const ALL: [Label; 3] = [Label::Bearish, Label::Neutral, Label::Bullish];

    /// The label's lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Bearish => "bearish",
            Label::Neutral => "neutral",
            Label::Bullish => "bullish",
        }
    }

    /// Parses `bearish` / `neutral` / `bullish` (any case).
    pub fn parse(text: &str) -> Option<Label> {
        Label::ALL.into_iter().find(|l| l.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// The label of a score in [−1, 1].
    pub fn of_score(score: f32) -> Label {
        if score >= NEUTRAL_BAND {
            Label::Bullish
        } else if score <= -NEUTRAL_BAND {
            Label::Bearish
        } else {
            Label::Neutral
        }
    }
}

/// Emotion and risk indicators, each in [0, 1] (0 = no sign of it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Indicators {
    /// Fear and panic language.
    pub fear: f32,
    /// Greed and euphoria language.
    pub greed: f32,
    /// Hype (moon, rockets, listings).
    pub hype: f32,
    /// Signs of a scam (rug pull, ponzi, phishing).
    pub scam_risk: f32,
    /// Signs of a hack or exploit.
    pub hack_risk: f32,
}

/// The analysis of one text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sentiment {
    /// Score in [−1, 1]; negative is bearish.
    pub score: f32,
    /// The label of the score.
    pub label: Label,
    /// How much to trust the label, in [0, 1]: grows with evidence, shrinks with conflicting terms.
    pub confidence: f32,
    /// Emotion and risk indicators.
    pub indicators: Indicators,
    /// Crypto assets mentioned (Kraken codes, e.g. `XBT`).
    pub assets: Vec<&'static str>,
    /// Number of lexicon terms that matched.
    pub matched_terms: usize,
}

/// One scored lexicon hit before clause weighting.
struct Hit {
    position: usize,
    valence: f32,
}

/// Sums of valences and tags gathered while scanning a text.
#[derive(Default)]
struct Tally {
    hits: Vec<Hit>,
    tag_weight: [f32; 5],
    exclamations: usize,
    contrast_at: Option<usize>,
}

/// The lexicon analyzer.
#[derive(Debug, Clone)]
pub struct Analyzer {
    lexicon: Lexicon,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl Analyzer {
    /// An analyzer over the built-in lexicon.
    pub fn new() -> Self {
        Self { lexicon: Lexicon::builtin() }
    }

    /// The lexicon in use.
    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    /// Analyzes one text, refusing empty, oversized, binary and unsupported-language input.
    pub fn analyze(&self, text: &str) -> Result<Sentiment, TextError> {
        check_text(text)?;
        let tokens = tokenize(text);
        let whole_text_shouted = is_whole_text_shouted(&tokens);
        let tally = self.scan(&tokens, whole_text_shouted);
        Ok(summarize(&tally, extract_assets(&tokens)))
    }

    fn scan(&self, tokens: &[Token], whole_text_shouted: bool) -> Tally {
        let mut tally = Tally::default();
        let mut i = 0;
        while i < tokens.len() {
            let token = &tokens[i];
            match token.kind {
                TokenKind::Punct('!') => tally.exclamations += 1,
                TokenKind::Word if Lexicon::is_contrast(&token.text) => tally.contrast_at = Some(i),
                TokenKind::Number { value, percent: true, signed: true } => {
                    tally.hits.push(Hit { position: i, valence: percent_valence(value) });
                }
                TokenKind::Word if matches!(token.text.as_str(), "up" | "down") => {
                    if let Some(v) = self.directional_move(tokens, i) {
                        tally.hits.push(Hit { position: i, valence: v });
                        i += 2;
                        continue;
                    }
                }
                _ => {}
            }
            i += self.score_term(tokens, i, whole_text_shouted, &mut tally).max(1);
        }
        tally
    }

    /// "up 5%" / "down 3%": a move with its size, stronger than the bare word.
    fn directional_move(&self, tokens: &[Token], i: usize) -> Option<f32> {
        let TokenKind::Number { value, percent: true, .. } = tokens.get(i + 1)?.kind else { return None };
        let sign = if tokens[i].text == "up" { 1.0 } else { -1.0 };
        Some(percent_valence(sign * value.abs()))
    }

    /// Scores the lexicon term starting at `i` (if any); returns how many tokens it covered.
    fn score_term(&self, tokens: &[Token], i: usize, whole_text_shouted: bool, tally: &mut Tally) -> usize {
        let mut words = [""; 4];
        let mut n = 0;
        for t in tokens[i..].iter().take(4).take_while(|t| is_lexical(t)) {
            words[n] = t.text.as_str();
            n += 1;
        }
        let Some(term) = self.lexicon.longest_match(&words[..n]) else { return 1 };
        let width = term.words.len();
        if term.valence == 0.0 {
            return width;
        }
        let mut valence = term.valence * self.intensity_before(tokens, i);
        if tokens[i].shouted && !whole_text_shouted {
            valence *= SHOUT;
        }
        let negated = negated_before(tokens, i);
        if negated {
            valence *= NEGATION;
        } else {
            add_tags(&mut tally.tag_weight, term.tags, term.valence.abs());
        }
        tally.hits.push(Hit { position: i, valence });
        width
    }

    fn intensity_before(&self, tokens: &[Token], i: usize) -> f32 {
        let start = i.saturating_sub(2);
        tokens[start..i]
            .iter()
            .filter(|t| t.kind == TokenKind::Word)
            .filter_map(|t| self.lexicon.intensity(&t.text))
            .product()
    }
}

fn is_lexical(token: &Token) -> bool {
    matches!(token.kind, TokenKind::Word | TokenKind::Emoji)
}

fn is_whole_text_shouted(tokens: &[Token]) -> bool {
    let (words, shouted) = tokens
        .iter()
        .filter(|t| t.kind == TokenKind::Word && t.text.len() > 1)
        .fold((0, 0), |(w, s), t| (w + 1, s + usize::from(t.shouted)));
    words > 0 && shouted * 2 > words
}

/// A negator within the scope words before `i`, not across sentence punctuation or a contrast word.
fn negated_before(tokens: &[Token], i: usize) -> bool {
    let mut seen = 0;
    for t in tokens[..i].iter().rev() {
        match t.kind {
            TokenKind::Punct(_) => return false,
            TokenKind::Word if Lexicon::is_contrast(&t.text) => return false,
            TokenKind::Word if Lexicon::is_negator(&t.text) => return true,
            _ => {}
        }
        seen += 1;
        if seen >= SCOPE_WORDS {
            return false;
        }
    }
    false
}

/// A reported percentage move: ±1.2 for small moves growing to ±3 for 20 % and more.
fn percent_valence(value: f64) -> f32 {
    let magnitude = (1.2 + value.abs() / 10.0).min(3.0) as f32;
    if value >= 0.0 { magnitude } else { -magnitude }
}

fn add_tags(weights: &mut [f32; 5], tags: u8, weight: f32) {
    for (bit, slot) in [tag::FEAR, tag::GREED, tag::HYPE, tag::SCAM, tag::HACK].into_iter().zip(weights.iter_mut()) {
        if tags & bit != 0 {
            *slot += weight;
        }
    }
}

fn summarize(tally: &Tally, assets: Vec<&'static str>) -> Sentiment {
    let weighted: Vec<f32> = tally
        .hits
        .iter()
        .map(|h| match tally.contrast_at {
            Some(c) if h.position < c => h.valence * 0.5,
            Some(_) => h.valence * 1.5,
            None => h.valence,
        })
        .collect();
    let mut sum: f32 = weighted.iter().sum();
    if sum != 0.0 {
        sum *= 1.0 + 0.1 * tally.exclamations.min(3) as f32;
    }
    let score = (sum / (sum * sum + ALPHA).sqrt()).clamp(-1.0, 1.0);
    let label = Label::of_score(score);
    Sentiment {
        score,
        label,
        confidence: confidence(&weighted, score, label),
        indicators: indicators(&tally.tag_weight),
        assets,
        matched_terms: tally.hits.len(),
    }
}

/// Evidence (total absolute valence) raises confidence; terms pulling the other way lower it.
fn confidence(weighted: &[f32], score: f32, label: Label) -> f32 {
    let positive: f32 = weighted.iter().filter(|v| **v > 0.0).sum();
    let negative: f32 = -weighted.iter().filter(|v| **v < 0.0).sum::<f32>();
    let evidence = positive + negative;
    let conflict = if evidence > 0.0 { positive.min(negative) / positive.max(negative) } else { 0.0 };
    let strength = 1.0 - (-evidence / 3.0).exp();
    let value = match label {
        // No sentiment terms at all is weak evidence of neutrality, not certainty.
        Label::Neutral if evidence == 0.0 => 0.5,
        Label::Neutral => 0.5 * (1.0 - score.abs() / NEUTRAL_BAND) + 0.3 * conflict,
        _ => 0.3 + 0.7 * strength * (1.0 - conflict),
    };
    value.clamp(0.0, 1.0)
}

fn indicators(weights: &[f32; 5]) -> Indicators {
    let level = |w: f32| 1.0 - (-w / 3.0).exp();
    Indicators {
        fear: level(weights[0]),
        greed: level(weights[1]),
        hype: level(weights[2]),
        scam_risk: level(weights[3]),
        hack_risk: level(weights[4]),
    }
}
