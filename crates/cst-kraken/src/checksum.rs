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

/// The checksum digits of one side's top levels, contiguous, with where each level starts.
#[derive(Debug, Clone)]
struct SideDigits {
    prices: [u64; CHECKSUM_LEVELS],
    qtys: [u64; CHECKSUM_LEVELS],
    starts: [u16; CHECKSUM_LEVELS + 1],
    n: usize,
    bytes: [u8; MAX_INPUT / 2],
}

impl SideDigits {
    const EMPTY: SideDigits = SideDigits {
        prices: [0; CHECKSUM_LEVELS],
        qtys: [0; CHECKSUM_LEVELS],
        starts: [0; CHECKSUM_LEVELS + 1],
        n: 0,
        bytes: [0; MAX_INPUT / 2],
    };

    fn digits(&self) -> &[u8] {
        &self.bytes[..usize::from(self.starts[self.n])]
    }

    /// Rebuilds from `book`, copying the digits of levels that `old` already formatted (a
    /// level's digits depend only on its price and quantity).
    #[inline]
    fn rebuild(&mut self, side: BookSide, book: &Book, old: &SideDigits) {
        let (mut n, mut j, mut used) = (0, 0, 0usize);
        for level in book.raw_levels(side).take(CHECKSUM_LEVELS) {
            // Both lists run best first: skip old levels that sit before this one.
            while j < old.n && better(side, old.prices[j], level.price) {
                j += 1;
            }
            self.starts[n] = used as u16;
            if j < old.n && old.prices[j] == level.price && old.qtys[j] == level.qty {
                let (from, to) = (usize::from(old.starts[j]), usize::from(old.starts[j + 1]));
                self.bytes[used..used + to - from].copy_from_slice(&old.bytes[from..to]);
                used += to - from;
            } else {
                used += write_digits(level.price, &mut self.bytes[used..]);
                used += write_digits(level.qty, &mut self.bytes[used..]);
            }
            self.prices[n] = level.price;
            self.qtys[n] = level.qty;
            n += 1;
        }
        self.starts[n] = used as u16;
        self.n = n;
    }
}

/// Incremental checksum of one book: a side whose top 10 did not change is not looked at, and
/// on a side that did, only the changed levels are formatted again. Most Kraken messages change
/// one level, so this is what makes a checksum on every message cheap.
#[derive(Debug, Clone)]
pub struct ChecksumCache {
    /// Per side (asks, bids), two generations: `active` holds the current one.
    sides: [[SideDigits; 2]; 2],
    active: [usize; 2],
    versions: [Option<u64>; 2],
    last: Option<u32>,
}

impl Default for ChecksumCache {
    fn default() -> Self {
        Self {
            sides: [[SideDigits::EMPTY, SideDigits::EMPTY], [SideDigits::EMPTY, SideDigits::EMPTY]],
            active: [0; 2],
            versions: [None; 2],
            last: None,
        }
    }
}

impl ChecksumCache {
    /// The checksum of `book` (equal to [`book_checksum`]); keep one cache per book and reset it
    /// when the book is replaced.
    #[inline]
    pub fn checksum(&mut self, book: &Book) -> u32 {
        let mut changed = false;
        for (i, side) in [BookSide::Ask, BookSide::Bid].into_iter().enumerate() {
            let version = book.side_top_version(side);
            if self.versions[i] == Some(version) {
                continue;
            }
            changed = true;
            let a = self.active[i];
            let [g0, g1] = &mut self.sides[i];
            let (old, fresh) = if a == 0 { (&*g0, g1) } else { (&*g1, g0) };
            fresh.rebuild(side, book, old);
            self.active[i] = 1 - a;
            self.versions[i] = Some(version);
        }
        if let Some(sum) = self.last.filter(|_| !changed) {
            return sum;
        }
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(self.sides[0][self.active[0]].digits());
        hasher.update(self.sides[1][self.active[1]].digits());
        let sum = hasher.finalize();
        self.last = Some(sum);
        sum
    }

    /// Forgets which book state the digits belong to (call when the book is replaced).
    pub fn reset(&mut self) {
        self.versions = [None; 2];
        self.last = None;
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
