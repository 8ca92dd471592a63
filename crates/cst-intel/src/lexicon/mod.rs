//! The weighted sentiment lexicon: financial-news terms, crypto slang and events, emoji, plus the
//! negators, intensifiers and contrast words that modify them. Built once, looked up by first word.

mod crypto;
mod emoji;
mod finance;
mod modifiers;

use std::collections::HashMap;

/// Indicator tags attached to lexicon terms (bit flags).
pub mod tag {
    /// No indicator.
    pub const NONE: u8 = 0;
    /// Fear: crashes, panic, liquidations.
    pub const FEAR: u8 = 1;
    /// Greed: record highs, parabolic moves, money emoji.
    pub const GREED: u8 = 2;
    /// Hype: moon, rockets, listings.
    pub const HYPE: u8 = 4;
    /// Scam risk: rug pulls, ponzi, phishing.
    pub const SCAM: u8 = 8;
    /// Hack risk: exploits, drained wallets, breaches.
    pub const HACK: u8 = 16;
}

/// One lexicon term.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// The words of the phrase (one word for most terms).
    pub words: Vec<String>,
    /// Valence on the VADER scale (about −4 … +4); 0 marks a phrase that only looks like sentiment.
    pub valence: f32,
    /// Indicator tags ([`tag`]).
    pub tags: u8,
}

/// The lexicon, indexed by the first word of each phrase (longest phrase first).
#[derive(Debug, Clone)]
pub struct Lexicon {
    by_first: HashMap<String, Vec<Term>>,
    intensifiers: HashMap<&'static str, f32>,
    len: usize,
}

impl Lexicon {
    /// The built-in crypto + finance + emoji lexicon.
    pub fn builtin() -> Self {
        let mut by_first: HashMap<String, Vec<Term>> = HashMap::new();
        let mut len = 0;
        for (alternatives, valence, tags) in finance::FINANCE.iter().chain(crypto::CRYPTO).chain(emoji::EMOJI) {
            for phrase in alternatives.split('|') {
                let words: Vec<String> = phrase.split_whitespace().map(str::to_string).collect();
                let Some(first) = words.first().cloned() else { continue };
                let entry = by_first.entry(first).or_default();
                // A later table may refine an earlier entry (crypto "pump" over nothing); keep one per phrase.
                entry.retain(|t| t.words != words);
                entry.push(Term { words, valence: *valence, tags: *tags });
                len += 1;
            }
        }
        for terms in by_first.values_mut() {
            terms.sort_by_key(|t| std::cmp::Reverse(t.words.len()));
        }
        let intensifiers = modifiers::INTENSIFIERS.iter().copied().collect();
        Self { by_first, intensifiers, len }
    }

    /// Number of term forms in the lexicon.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the lexicon is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The longest term whose words start at `words[0]`.
    pub fn longest_match(&self, words: &[&str]) -> Option<&Term> {
        let first = words.first()?;
        self.by_first
            .get(*first)?
            .iter()
            .find(|t| t.words.len() <= words.len() && t.words.iter().zip(words).all(|(a, b)| a == b))
    }

    /// The multiplier of an intensifier or dampener word.
    pub fn intensity(&self, word: &str) -> Option<f32> {
        self.intensifiers.get(word).copied()
    }

    /// Whether a word negates what follows.
    pub fn is_negator(word: &str) -> bool {
        word.ends_with("n't") || modifiers::NEGATORS.contains(&word)
    }

    /// Whether a word starts a contrasting clause.
    pub fn is_contrast(word: &str) -> bool {
        modifiers::CONTRASTS.contains(&word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_lexicon_has_at_least_two_hundred_terms() {
        assert!(Lexicon::builtin().len() >= 200, "{}", Lexicon::builtin().len());
    }

    #[test]
    fn longest_phrase_wins_over_its_first_word() {
        let lex = Lexicon::builtin();
        let term = lex.longest_match(&["to", "the", "moon", "soon"]).expect("phrase");
        assert_eq!(term.words, ["to", "the", "moon"]);
        let etf = lex.longest_match(&["etf", "approval", "today"]).expect("phrase");
        assert!(etf.valence > 2.0);
    }

    #[test]
    fn every_required_crypto_term_is_present() {
        let lex = Lexicon::builtin();
        for phrase in ["moon", "rekt", "rug", "fud", "hodl", "ath", "dump", "bullish", "hack", "exploit", "delisting"] {
            assert!(lex.longest_match(&[phrase]).is_some_and(|t| t.valence != 0.0), "{phrase}");
        }
    }
}
