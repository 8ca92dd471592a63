//! Exact decimal text of a JSON value, whether Kraken sent it as a string (v1, `"0.05005"`)
//! or as a number (v2, `0.05005`): the checksum depends on the characters, not the value.

use serde::Deserialize;
use serde_json::value::RawValue;

/// The text of a JSON number or string, without quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumText<'a>(pub &'a str);

impl<'a> NumText<'a> {
    /// The decimal text.
    pub fn as_str(self) -> &'a str {
        self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for NumText<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: &'de RawValue = Deserialize::deserialize(d)?;
        number_text(raw).map(NumText).ok_or_else(|| serde::de::Error::custom(format!("not a number: {}", raw.get())))
    }
}

/// The text inside a raw JSON number or string holding a number (`"1.5"` → `1.5`).
pub fn number_text(raw: &RawValue) -> Option<&str> {
    let t = raw.get();
    let inner = t.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(t);
    let ok =
        !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'e' | b'E' | b'+'));
    ok.then_some(inner)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keeps_trailing_zeros_of_numbers_and_strings() {
        let v: Vec<NumText> = serde_json::from_str(r#"[0.10000000, "45283.5", 105944.20]"#).unwrap();
        assert_eq!(v, [NumText("0.10000000"), NumText("45283.5"), NumText("105944.20")]);
    }

    #[test]
    fn refuses_non_numbers() {
        assert!(serde_json::from_str::<Vec<NumText>>(r#"["abc"]"#).is_err());
        assert!(serde_json::from_str::<Vec<NumText>>(r#"[null]"#).is_err());
    }
}
