//! Credentials from the environment or from a secret file named by `<VAR>_FILE` (Docker/Kubernetes
//! style). A `Secret` never prints its value: `Debug` and `Display` show only that it is set.

use std::fmt;

/// A credential value that does not reach logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that sends it (an HTTP header).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads `var` from the environment, else the file named by `var_FILE`; empty values count as unset.
    pub fn from_env(var: &str) -> Option<Self> {
        if let Ok(v) = std::env::var(var) {
            let v = v.trim().to_string();
            if !v.is_empty() {
                return Some(Self(v));
            }
        }
        let path = std::env::var(format!("{var}_FILE")).ok()?;
        let v = std::fs::read_to_string(path).ok()?.trim().to_string();
        if v.is_empty() { None } else { Some(Self(v)) }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_format_their_value() {
        let s = Secret::new("sk-live-123");
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
        assert_eq!(s.expose(), "sk-live-123");
    }
}
