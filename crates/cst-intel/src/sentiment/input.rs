//! Input checks before analysis: empty, oversized, binary or garbled, and unsupported-language texts
//! are refused with a reason, so callers can count rejections instead of scoring noise.

/// Longest text the analyzer accepts, in bytes (a long news article body fits; a dump does not).
pub const MAX_TEXT_BYTES: usize = 20_000;

/// Why a text was not analyzed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing but whitespace.
    #[error("empty text")]
    Empty,
    /// Longer than [`MAX_TEXT_BYTES`].
    #[error("text of {0} bytes exceeds the {MAX_TEXT_BYTES}-byte limit")]
    Oversized(usize),
    /// Not valid UTF-8, or control/replacement characters that mark binary or mis-decoded data.
    #[error("not text: {0}")]
    NotText(&'static str),
    /// Written mostly in a script or language the English lexicon cannot read.
    #[error("unsupported language: {0}")]
    UnsupportedLanguage(&'static str),
}

impl TextError {
    /// A stable reason without sizes or positions, for counting rejections by kind.
    pub fn reason(&self) -> String {
        match self {
            TextError::Oversized(_) => format!("text over {MAX_TEXT_BYTES} bytes"),
            other => other.to_string(),
        }
    }
}

/// Decodes bytes as UTF-8 text, refusing anything else.
pub fn text_from_bytes(bytes: &[u8]) -> Result<&str, TextError> {
    std::str::from_utf8(bytes).map_err(|_| TextError::NotText("invalid UTF-8"))
}

/// Checks that a text is analyzable English-language text.
pub fn check_text(text: &str) -> Result<(), TextError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(TextError::Oversized(text.len()));
    }
    if text.trim().is_empty() {
        return Err(TextError::Empty);
    }
    if text.contains('\u{FFFD}') {
        return Err(TextError::NotText("contains U+FFFD replacement characters (mis-decoded input)"));
    }
    if text.chars().any(|c| ('\u{80}'..='\u{9F}').contains(&c)) {
        return Err(TextError::NotText("contains C1 control characters (UTF-8 decoded as Latin-1: mojibake)"));
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(TextError::NotText("contains control characters"));
    }
    check_language(text)
}

/// English stopwords and the stopwords of the languages most often mistaken for it.
const ENGLISH: &[&str] =
    &["the", "and", "is", "to", "of", "in", "for", "on", "with", "this", "that", "it", "are", "at"];
const OTHER_LATIN: &[&str] = &[
    "el", "la", "los", "las", "que", "y", "es", "por", "para", "con", "une", "le", "les", "et", "est", "des", "pour",
    "dans", "der", "die", "das", "und", "ist", "nicht", "mit", "auf", "ein", "eine", "ich", "é", "não", "uma", "em",
];

fn check_language(text: &str) -> Result<(), TextError> {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let latin =
        text.chars().filter(|c| c.is_alphabetic() && (c.is_ascii() || ('\u{C0}'..='\u{24F}').contains(c))).count();
    // A few foreign words (names, "HODL 🇯🇵") are fine; a text mostly in another script is not.
    if letters >= 8 && latin * 2 < letters {
        return Err(TextError::UnsupportedLanguage("mostly non-Latin script"));
    }
    let (mut english, mut other) = (0, 0);
    for word in text.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_alphabetic())) {
        // Stopwords are short; longer words cannot match.
        if word.is_empty() || word.len() > 6 {
            continue;
        }
        english += usize::from(ENGLISH.iter().any(|s| s.eq_ignore_ascii_case(word)));
        other += usize::from(OTHER_LATIN.iter().any(|s| s.eq_ignore_ascii_case(word)));
    }
    if other >= 3 && other > 2 * english {
        return Err(TextError::UnsupportedLanguage(
            "Latin-script text that reads as Spanish, French, German or Portuguese",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_empty_and_whitespace_only_text() {
        assert_eq!(check_text("   \n\t"), Err(TextError::Empty));
    }

    #[test]
    fn refuses_oversized_text() {
        let long = "moon ".repeat(MAX_TEXT_BYTES);
        assert_eq!(check_text(&long), Err(TextError::Oversized(long.len())));
    }

    #[test]
    fn refuses_binary_and_misdecoded_input() {
        assert!(matches!(text_from_bytes(&[0xff, 0xfe, 0x00]), Err(TextError::NotText(_))));
        assert!(matches!(check_text("bitcoin\u{0}\u{1}"), Err(TextError::NotText(_))));
        assert!(matches!(check_text("bitcoin \u{FFFD}\u{FFFD} up"), Err(TextError::NotText(_))));
    }

    #[test]
    fn refuses_other_scripts_and_other_latin_languages() {
        assert!(matches!(check_text("比特币价格今天大幅上涨了百分之十"), Err(TextError::UnsupportedLanguage(_))));
        assert!(matches!(
            check_text("El precio de bitcoin sube y es para los que no venden"),
            Err(TextError::UnsupportedLanguage(_))
        ));
    }

    #[test]
    fn accepts_short_english_crypto_slang() {
        assert_eq!(check_text("$BTC to the moon 🚀"), Ok(()));
        assert_eq!(check_text("ngmi"), Ok(()));
    }
}
