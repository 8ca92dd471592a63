//! Tokenizer for short financial and crypto texts: words, cashtags, hashtags, signed percentages,
//! emoji and emphasis punctuation. URLs and @mentions carry no sentiment and are dropped.

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// A lowercase word (hashtag contents become words too).
    Word,
    /// A `$TICKER` cashtag, text uppercased without the `$`.
    Cashtag,
    /// A number; `signed` is true when the text carried an explicit `+` or `-`.
    Number {
        /// The value (a percentage keeps its number, e.g. 5 for `5%`).
        value: f64,
        /// Whether the text carried an explicit sign.
        signed: bool,
        /// Whether a `%` followed.
        percent: bool,
    },
    /// One emoji (variation selectors and joiners removed).
    Emoji,
    /// Sentence punctuation: `.`, `;`, `:`, `?` end a negation scope; `!` adds emphasis.
    Punct(char),
}

/// One token of a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Lowercase text of a word, uppercase ticker of a cashtag, the emoji itself, or the raw number.
    pub text: String,
    /// The kind.
    pub kind: TokenKind,
    /// Whether the original word was written in capitals (at least two letters, all upper case).
    pub shouted: bool,
}

/// Whether a character is an emoji we score or show (pictographs, symbols, arrows used as emoji).
pub fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F300..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x1F000..=0x1F2FF | 0x2190..=0x21FF)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '\'' || c == '\u{2019}' || c == '_'
}

/// Splits a text into tokens.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    for raw in text.split_whitespace() {
        if is_dropped(raw) {
            continue;
        }
        split_chunk(raw, &mut tokens);
    }
    tokens
}

fn is_dropped(raw: &str) -> bool {
    let starts = |prefix: &str| raw.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix));
    raw.starts_with('@') || starts("http://") || starts("https://") || starts("www.")
}

/// Splits one whitespace-free chunk into word, number, emoji and punctuation tokens (byte offsets,
/// so no per-chunk character buffer is allocated).
fn split_chunk(raw: &str, out: &mut Vec<Token>) {
    let mut i = 0;
    while let Some(c) = raw[i..].chars().next() {
        let after = i + c.len_utf8();
        let next = raw[after..].chars().next();
        if c == '$' && next.is_some_and(|n| n.is_ascii_alphabetic()) {
            let end = scan(raw, after, |ch| ch.is_ascii_alphanumeric() || ch == '.' || ch == '-');
            let tag = raw[after..end].trim_end_matches(['.', '-']).to_ascii_uppercase();
            out.push(Token { text: tag, kind: TokenKind::Cashtag, shouted: false });
            i = end;
        } else if matches!(c, '+' | '-' | '\u{2212}') && next.is_some_and(|n| n.is_ascii_digit()) {
            i = push_number(raw, after, if c == '+' { 1.0 } else { -1.0 }, true, out);
        } else if c.is_ascii_digit() {
            i = push_number(raw, i, 1.0, false, out);
        } else if c.is_alphabetic() {
            let end = scan(raw, i, is_word_char);
            push_word(&raw[i..end], out);
            i = end;
        } else {
            if is_emoji(c) {
                out.push(Token { text: c.to_string(), kind: TokenKind::Emoji, shouted: false });
            } else if matches!(c, '.' | ';' | ':' | '?' | '!') {
                out.push(Token { text: c.to_string(), kind: TokenKind::Punct(c), shouted: false });
            }
            i = after;
        }
    }
}

/// Byte offset of the first character from `start` that `keep` rejects.
fn scan(raw: &str, start: usize, keep: impl Fn(char) -> bool) -> usize {
    raw[start..].char_indices().find(|(_, ch)| !keep(*ch)).map_or(raw.len(), |(k, _)| start + k)
}

fn push_number(raw: &str, start: usize, sign: f64, signed: bool, out: &mut Vec<Token>) -> usize {
    let end = scan(raw, start, |ch| ch.is_ascii_digit() || ch == '.' || ch == ',');
    let digits: String = raw[start..end].chars().filter(|ch| *ch != ',').collect();
    let digits = digits.trim_end_matches('.');
    let percent = raw[end..].starts_with('%');
    let value = digits.parse::<f64>().unwrap_or(0.0) * sign;
    out.push(Token { text: digits.to_string(), kind: TokenKind::Number { value, signed, percent }, shouted: false });
    // A unit or suffix glued to the number ("5x", "10k") stays out of the lexicon on purpose.
    scan(raw, if percent { end + 1 } else { end }, char::is_alphanumeric)
}

fn push_word(raw: &str, out: &mut Vec<Token>) {
    let word = raw.trim_end_matches(['\'', '\u{2019}']);
    let (letters, upper) = word
        .chars()
        .filter(|ch| ch.is_alphabetic())
        .fold((0, 0), |(l, u), ch| (l + 1, u + usize::from(ch.is_uppercase())));
    let shouted = letters >= 2 && letters == upper;
    let mut text = word.to_lowercase();
    if text.contains('\u{2019}') {
        text = text.replace('\u{2019}', "'");
    }
    out.push(Token { text, kind: TokenKind::Word, shouted });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        tokenize(s).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn drops_urls_and_mentions_and_keeps_cashtags_uppercase() {
        assert_eq!(texts("@trader $btc breaks out https://t.co/abc"), ["BTC", "breaks", "out"]);
    }

    #[test]
    fn hyphenated_words_split_into_phrase_parts() {
        assert_eq!(texts("sell-off all-time"), ["sell", "off", "all", "time"]);
    }

    #[test]
    fn signed_percentages_keep_their_sign() {
        let toks = tokenize("ETH -4.5% today, SOL +12%");
        let nums: Vec<(f64, bool)> = toks
            .iter()
            .filter_map(|t| match t.kind {
                TokenKind::Number { value, percent, .. } => Some((value, percent)),
                _ => None,
            })
            .collect();
        assert_eq!(nums, [(-4.5, true), (12.0, true)]);
    }

    #[test]
    fn emoji_become_single_tokens_and_capitals_are_marked() {
        let toks = tokenize("MOON🚀🚀");
        assert_eq!(toks[0].text, "moon");
        assert!(toks[0].shouted);
        assert_eq!(toks[1].kind, TokenKind::Emoji);
        assert_eq!(toks.len(), 3);
    }

    #[test]
    fn contractions_stay_whole() {
        assert_eq!(texts("isn't won’t"), ["isn't", "won't"]);
    }
}
