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

/// Splits one whitespace-free chunk into word, number, emoji and punctuation tokens.
fn split_chunk(raw: &str, out: &mut Vec<Token>) {
    let chars: Vec<char> = raw.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '$' && chars.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic()) {
            let end = scan(&chars, i + 1, |ch| ch.is_ascii_alphanumeric() || ch == '.' || ch == '-');
            let tag: String = chars[i + 1..end].iter().collect::<String>();
            let tag = tag.trim_end_matches(['.', '-']).to_ascii_uppercase();
            out.push(Token { text: tag, kind: TokenKind::Cashtag, shouted: false });
            i = end;
        } else if (c == '+' || c == '-' || c == '\u{2212}') && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit()) {
            i = push_number(&chars, i + 1, if c == '+' { 1.0 } else { -1.0 }, true, out);
        } else if c.is_ascii_digit() {
            i = push_number(&chars, i, 1.0, false, out);
        } else if c.is_alphabetic() {
            let end = scan(&chars, i, is_word_char);
            push_word(&chars[i..end], out);
            i = end;
        } else if is_emoji(c) {
            out.push(Token { text: c.to_string(), kind: TokenKind::Emoji, shouted: false });
            i += 1;
        } else {
            if matches!(c, '.' | ';' | ':' | '?' | '!') {
                out.push(Token { text: c.to_string(), kind: TokenKind::Punct(c), shouted: false });
            }
            i += 1;
        }
    }
}

fn scan(chars: &[char], start: usize, keep: impl Fn(char) -> bool) -> usize {
    let mut end = start;
    while end < chars.len() && keep(chars[end]) {
        end += 1;
    }
    end
}

fn push_number(chars: &[char], start: usize, sign: f64, signed: bool, out: &mut Vec<Token>) -> usize {
    let end = scan(chars, start, |ch| ch.is_ascii_digit() || ch == '.' || ch == ',');
    let digits: String = chars[start..end].iter().filter(|ch| **ch != ',').collect();
    let digits = digits.trim_end_matches('.');
    let percent = chars.get(end) == Some(&'%');
    let value = digits.parse::<f64>().unwrap_or(0.0) * sign;
    out.push(Token { text: digits.to_string(), kind: TokenKind::Number { value, signed, percent }, shouted: false });
    // A unit or suffix glued to the number ("5x", "10k") stays out of the lexicon on purpose.
    let mut next = if percent { end + 1 } else { end };
    while next < chars.len() && chars[next].is_alphanumeric() {
        next += 1;
    }
    next
}

fn push_word(chars: &[char], out: &mut Vec<Token>) {
    let raw: String = chars.iter().collect();
    let word = raw.trim_end_matches(['\'', '\u{2019}']).replace('\u{2019}', "'");
    let letters: Vec<char> = word.chars().filter(|ch| ch.is_alphabetic()).collect();
    let shouted = letters.len() >= 2 && letters.iter().all(|ch| ch.is_uppercase());
    out.push(Token { text: word.to_lowercase(), kind: TokenKind::Word, shouted });
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
