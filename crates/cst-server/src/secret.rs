//! Secrets that cannot be logged by mistake: [`Secret`] prints `***` in `Debug` and `Display`,
//! and every secret created is registered with the log redactor ([`crate::logging`]) so that
//! even an explicitly exposed value is scrubbed from log lines.

use std::fmt;
use std::sync::{OnceLock, RwLock};

/// What a secret prints as.
pub const REDACTED: &str = "***";

/// Secrets shorter than this are not registered for scrubbing (they would match ordinary text).
const MIN_SCRUB_LEN: usize = 8;

fn registry() -> &'static RwLock<Vec<String>> {
    static SECRETS: OnceLock<RwLock<Vec<String>>> = OnceLock::new();
    SECRETS.get_or_init(|| RwLock::new(Vec::new()))
}

/// An API key, token or signature.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value and registers it for log scrubbing.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        if value.len() >= MIN_SCRUB_LEN
            && let Ok(mut list) = registry().write()
            && !list.contains(&value)
        {
            list.push(value.clone());
        }
        Secret(value)
    }

    /// The value itself, for the one place that must use it (comparison, signing).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Replaces every registered secret and every `Bearer <token>` value in `line` with `***`.
pub fn scrub(line: &str) -> String {
    let mut out = line.to_string();
    if let Ok(list) = registry().read() {
        for s in list.iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
    }
    scrub_bearer(&out)
}

fn scrub_bearer(line: &str) -> String {
    const MARK: &str = "Bearer ";
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(pos) = rest.find(MARK) {
        out.push_str(&rest[..pos + MARK.len()]);
        let after = &rest[pos + MARK.len()..];
        let end = after.find(|c: char| c.is_whitespace() || c == '"' || c == '\\' || c == ',').unwrap_or(after.len());
        if end > 0 {
            out.push_str(REDACTED);
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Constant-time equality, so token checks leak no prefix length through timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_prints_stars_in_debug_and_display() {
        let s = Secret::new("kraken-api-key-ABCDEF123456");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{:?}", Some(&s)), "Some(***)");
    }

    #[test]
    fn scrub_removes_registered_secrets_and_bearer_values() {
        let s = Secret::new("sig-0123456789abcdef");
        let line = format!("signature={} auth=\"Bearer tok_zzz_999\" ok", s.expose());
        assert_eq!(scrub(&line), "signature=*** auth=\"Bearer ***\" ok");
    }

    #[test]
    fn constant_time_eq_compares_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
