//! Decimal text to scaled integers and back, exactly: `"0.05005"` at 5 decimals is `5005`.
//!
//! The book keeps prices and quantities as `u64` mantissas at a fixed number of decimals per
//! book. That keeps comparisons and the checksum's digit strings cheap and still exact: a text
//! that does not fit the scale is refused, never rounded.

use rust_decimal::Decimal;

/// Why a price or quantity text could not become a scaled integer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScaleError {
    /// Not a plain non-negative decimal number.
    #[error("not a non-negative decimal number: {0:?}")]
    NotANumber(String),
    /// More significant decimals than the book's scale allows.
    #[error("{text:?} has more than {decimals} significant decimals")]
    TooPrecise {
        /// The offending text.
        text: String,
        /// The book's scale.
        decimals: u8,
    },
    /// The value does not fit in 64 bits at this scale.
    #[error("{0:?} is too large for the book's scale")]
    Overflow(String),
}

/// The largest scale a book accepts; 10^19 no longer fits a `u64`.
pub const MAX_DECIMALS: u8 = 18;

/// Number of digits after the decimal point as written (`"0.10000000"` → 8, `"5"` → 0).
pub fn decimals_in(text: &str) -> u8 {
    match text.split_once('.') {
        Some((_, frac)) => {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            u8::try_from(digits).unwrap_or(u8::MAX)
        }
        None => 0,
    }
}

/// Parses `text` as a mantissa at `decimals` places: pads shorter fractions with zeros and
/// accepts longer ones only when the extra digits are zeros.
#[inline]
pub fn parse_scaled(text: &str, decimals: u8) -> Result<u64, ScaleError> {
    let bytes = text.as_bytes();
    let mut value: u64 = 0;
    let mut i = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        value = push_digit(value, bytes[i], text)?;
        i += 1;
    }
    let int_digits = i;
    let mut frac_digits: u8 = 0;
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            if frac_digits < decimals {
                value = push_digit(value, bytes[i], text)?;
                frac_digits += 1;
            } else if bytes[i] != b'0' {
                return Err(ScaleError::TooPrecise { text: text.to_string(), decimals });
            }
            i += 1;
        }
    }
    if i != bytes.len() || (int_digits == 0 && frac_digits == 0) {
        return Err(ScaleError::NotANumber(text.to_string()));
    }
    scale_up(value, decimals - frac_digits, text)
}

#[inline]
fn push_digit(value: u64, digit: u8, text: &str) -> Result<u64, ScaleError> {
    value
        .checked_mul(10)
        .and_then(|v| v.checked_add(u64::from(digit - b'0')))
        .ok_or_else(|| ScaleError::Overflow(text.to_string()))
}

#[inline]
fn scale_up(value: u64, missing: u8, text: &str) -> Result<u64, ScaleError> {
    if missing == 0 {
        return Ok(value);
    }
    10u64
        .checked_pow(u32::from(missing))
        .and_then(|f| value.checked_mul(f))
        .ok_or_else(|| ScaleError::Overflow(text.to_string()))
}

/// The exact decimal value of a mantissa at `decimals` places.
pub fn to_decimal(mantissa: u64, decimals: u8) -> Decimal {
    Decimal::from_i128_with_scale(i128::from(mantissa), u32::from(decimals))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pads_short_fractions_to_the_book_scale() {
        assert_eq!(parse_scaled("0.566", 4), Ok(5660));
        assert_eq!(parse_scaled("18097.1547", 8), Ok(1_809_715_470_000));
        assert_eq!(parse_scaled("45283", 1), Ok(452_830));
    }

    #[test]
    fn keeps_kraken_v1_texts_exact() {
        assert_eq!(parse_scaled("0.000022900", 9), Ok(22_900));
        assert_eq!(parse_scaled("354.12000000", 8), Ok(35_412_000_000));
        assert_eq!(parse_scaled("0.00000000", 8), Ok(0));
    }

    #[test]
    fn refuses_digits_beyond_the_scale_unless_they_are_zeros() {
        assert_eq!(parse_scaled("1.2300", 2), Ok(123));
        assert!(matches!(parse_scaled("1.234", 2), Err(ScaleError::TooPrecise { .. })));
    }

    #[test]
    fn refuses_garbage_signs_and_overflow() {
        for bad in ["", ".", "-1", "1e5", "1.2.3", "NaN", " 1", "1,5"] {
            assert!(matches!(parse_scaled(bad, 4), Err(ScaleError::NotANumber(_))), "{bad:?}");
        }
        assert!(matches!(parse_scaled("184467440737.09551616", 8), Err(ScaleError::Overflow(_))));
    }

    #[test]
    fn counts_written_decimals() {
        assert_eq!(decimals_in("0.10000000"), 8);
        assert_eq!(decimals_in("105944.20"), 2);
        assert_eq!(decimals_in("7"), 0);
    }

    #[test]
    fn converts_back_to_the_exact_decimal() {
        assert_eq!(to_decimal(5005, 5).to_string(), "0.05005");
    }
}
