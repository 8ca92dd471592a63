//! Kraken's CRC32 book checksum (WebSocket v1 and v2 use the same algorithm).
//!
//! Top 10 asks from best (lowest) up, then top 10 bids from best (highest) down; for each
//! level the price and then the quantity as printed at the pair's precision with the decimal
//! point and leading zeros removed; CRC32 (IEEE) of the concatenation. At the book's scale
//! that digit string is exactly the decimal digits of the mantissa, so no text is kept.

use cst_core::book::{Book, BookSide};

/// Levels per side that the checksum covers.
pub const CHECKSUM_LEVELS: usize = 10;

/// Longest input: 20 levels × 2 numbers × 20 digits.
const MAX_INPUT: usize = CHECKSUM_LEVELS * 2 * 2 * 20;

/// The checksum of the book's current top 10 levels per side.
#[inline]
pub fn book_checksum(book: &Book) -> u32 {
    let mut buf = [0u8; MAX_INPUT];
    let mut len = 0;
    for side in [BookSide::Ask, BookSide::Bid] {
        for level in book.raw_levels(side).take(CHECKSUM_LEVELS) {
            len += write_digits(level.price, &mut buf[len..]);
            len += write_digits(level.qty, &mut buf[len..]);
        }
    }
    crc32fast::hash(&buf[..len])
}

/// Writes the decimal digits of `n` (no leading zeros; `0` for zero) at the start of `out`.
#[inline]
fn write_digits(n: u64, out: &mut [u8]) -> usize {
    let mut fmt = itoa::Buffer::new();
    let digits = fmt.format(n).as_bytes();
    out[..digits.len()].copy_from_slice(digits);
    digits.len()
}

/// The checksum input for one printed number: `"0.05005"` → `"5005"`.
pub fn checksum_digits(text: &str) -> String {
    text.chars().filter(|&c| c != '.').skip_while(|&c| c == '0').collect()
}

/// The checksum of levels given as printed texts `(price, qty)`, asks best first then bids
/// best first (only the first 10 of each are used).
pub fn texts_checksum(asks: &[(&str, &str)], bids: &[(&str, &str)]) -> u32 {
    let mut input = String::new();
    for side in [asks, bids] {
        for (price, qty) in side.iter().take(CHECKSUM_LEVELS) {
            input.push_str(&checksum_digits(price));
            input.push_str(&checksum_digits(qty));
        }
    }
    crc32fast::hash(input.as_bytes())
}

#[cfg(test)]
mod tests;
