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

/// One level's checksum digits (price then quantity), kept for reuse.
#[derive(Debug, Clone, Copy)]
struct Digits {
    price: u64,
    qty: u64,
    len: u8,
    bytes: [u8; 40],
}

impl Digits {
    const EMPTY: Digits = Digits { price: 0, qty: 0, len: 0, bytes: [0; 40] };

    #[inline]
    fn of(price: u64, qty: u64) -> Self {
        let mut d = Digits { price, qty, len: 0, bytes: [0; 40] };
        let n = write_digits(price, &mut d.bytes);
        let m = write_digits(qty, &mut d.bytes[n..]);
        d.len = (n + m) as u8;
        d
    }
}

/// Incremental checksum of one book: formats only the top levels that changed since the last
/// call and skips the work entirely while the book's top 10 is unchanged. Most Kraken messages
/// change one level, so this is what makes a checksum on every message cheap.
#[derive(Debug, Clone)]
pub struct ChecksumCache {
    sides: [([Digits; CHECKSUM_LEVELS], usize); 2],
    last: Option<(u64, u32)>,
}

impl Default for ChecksumCache {
    fn default() -> Self {
        Self { sides: [([Digits::EMPTY; CHECKSUM_LEVELS], 0); 2], last: None }
    }
}

impl ChecksumCache {
    /// The checksum of `book` (equal to [`book_checksum`]); keep one cache per book and reset it
    /// when the book is replaced.
    #[inline]
    pub fn checksum(&mut self, book: &Book) -> u32 {
        let version = book.top_version();
        if let Some((v, sum)) = self.last
            && v == version
        {
            return sum;
        }
        let mut buf = [0u8; MAX_INPUT];
        let mut len = 0;
        for (i, side) in [BookSide::Ask, BookSide::Bid].into_iter().enumerate() {
            let (old, old_n) = self.sides[i];
            let mut fresh = [Digits::EMPTY; CHECKSUM_LEVELS];
            let (mut n, mut j) = (0, 0);
            for level in book.raw_levels(side).take(CHECKSUM_LEVELS) {
                // Both lists run best first: skip old levels that sit before this one.
                while j < old_n && better(side, old[j].price, level.price) {
                    j += 1;
                }
                let d = match old.get(j) {
                    Some(o) if j < old_n && o.price == level.price && o.qty == level.qty => *o,
                    _ => Digits::of(level.price, level.qty),
                };
                let l = usize::from(d.len);
                buf[len..len + l].copy_from_slice(&d.bytes[..l]);
                len += l;
                fresh[n] = d;
                n += 1;
            }
            self.sides[i] = (fresh, n);
        }
        let sum = crc32fast::hash(&buf[..len]);
        self.last = Some((version, sum));
        sum
    }

    /// Forgets everything (call when the book is replaced or dropped).
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[inline]
fn better(side: BookSide, a: u64, b: u64) -> bool {
    match side {
        BookSide::Ask => a < b,
        BookSide::Bid => a > b,
    }
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
