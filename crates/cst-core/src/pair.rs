//! Kraken's asset and pair naming, handled once.
//!
//! Kraken writes the same market several ways: `XXBTZUSD` (REST key, legacy X/Z prefixes),
//! `XBTUSD` (altname, also the OHLCVT file names), `XBT/USD` (wsname, WS v1) and `BTC/USD`
//! (WS v2 symbol). We keep one canonical form, the wsname with Kraken's asset altnames
//! (`XBT/USD`), and convert at the edges.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Legacy four-letter asset codes and their altnames (Kraken's `Assets` endpoint).
const LEGACY_ASSETS: &[(&str, &str)] = &[
    ("XXBT", "XBT"),
    ("XETH", "ETH"),
    ("XLTC", "LTC"),
    ("XXRP", "XRP"),
    ("XXLM", "XLM"),
    ("XXMR", "XMR"),
    ("XZEC", "ZEC"),
    ("XETC", "ETC"),
    ("XREP", "REP"),
    ("XMLN", "MLN"),
    ("XXDG", "XDG"),
    ("XDAO", "DAO"),
    ("XICN", "ICN"),
    ("XNMC", "NMC"),
    ("XXVN", "XVN"),
    ("ZUSD", "USD"),
    ("ZEUR", "EUR"),
    ("ZGBP", "GBP"),
    ("ZJPY", "JPY"),
    ("ZCAD", "CAD"),
    ("ZAUD", "AUD"),
];

/// Common names that Kraken spells differently (its altname on the right).
const ALIASES: &[(&str, &str)] = &[("BTC", "XBT"), ("DOGE", "XDG")];

/// Quote currencies tried, longest first, when a pair is written without a separator.
const QUOTES: &[&str] =
    &["USDT", "USDC", "PYUSD", "USD", "EUR", "GBP", "JPY", "CAD", "CHF", "AUD", "DAI", "XBT", "BTC", "ETH", "DOT"];

/// Normalizes one asset code to Kraken's altname (`XXBT` → `XBT`, `BTC` → `XBT`).
pub fn normalize_asset(code: &str) -> String {
    let upper = code.trim().to_ascii_uppercase();
    if let Some((_, alt)) = LEGACY_ASSETS.iter().find(|(legacy, _)| *legacy == upper) {
        return (*alt).to_string();
    }
    if let Some((_, alt)) = ALIASES.iter().find(|(common, _)| *common == upper) {
        return (*alt).to_string();
    }
    upper
}

/// The WS v2 symbol form of an asset (`XBT` → `BTC`, `XDG` → `DOGE`).
pub fn v2_asset(altname: &str) -> &str {
    ALIASES.iter().find(|(_, alt)| *alt == altname).map(|(common, _)| *common).unwrap_or(altname)
}

/// A pair name that could not be split into base and quote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown pair {0:?}: cannot tell base from quote; pass it explicitly as BASE/QUOTE, e.g. --pair XBT/USD")]
pub struct UnknownPair(pub String);

/// A spot market: base asset priced in quote asset, both as Kraken altnames.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Pair {
    base: String,
    quote: String,
}

impl Pair {
    /// Builds a pair from two asset codes (normalized).
    pub fn new(base: &str, quote: &str) -> Result<Self, UnknownPair> {
        let (b, q) = (normalize_asset(base), normalize_asset(quote));
        // Kraken asset codes are alphanumeric, with `.` in staked/margin variants (`ETH2.S`).
        let valid = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '.');
        if !valid(&b) || !valid(&q) {
            return Err(UnknownPair(format!("{base}/{quote}")));
        }
        Ok(Self { base: b, quote: q })
    }

    /// Base asset altname (`XBT`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Quote asset altname (`USD`).
    pub fn quote(&self) -> &str {
        &self.quote
    }

    /// Kraken wsname, our canonical form (`XBT/USD`).
    pub fn wsname(&self) -> String {
        format!("{}/{}", self.base, self.quote)
    }

    /// Kraken altname (`XBTUSD`), as in OHLCVT file names and REST `pair=` parameters.
    pub fn altname(&self) -> String {
        format!("{}{}", self.base, self.quote)
    }

    /// WS v2 symbol (`BTC/USD`).
    pub fn v2_symbol(&self) -> String {
        format!("{}/{}", v2_asset(&self.base), v2_asset(&self.quote))
    }

    fn split_joined(upper: &str) -> Option<Self> {
        if upper.len() == 8 {
            let (b, q) = upper.split_at(4);
            let legacy = |s: &str| LEGACY_ASSETS.iter().any(|(l, _)| *l == s);
            if legacy(b) && legacy(q) {
                return Self::new(b, q).ok();
            }
        }
        QUOTES.iter().find_map(|quote| {
            let base = upper.strip_suffix(quote)?;
            let base = base.strip_suffix('Z').filter(|b| b.len() == 4).unwrap_or(base);
            (!base.is_empty()).then(|| Self::new(base, quote).ok()).flatten()
        })
    }
}

impl FromStr for Pair {
    type Err = UnknownPair;
    /// Accepts `XBT/USD`, `BTC/USD`, `XBTUSD`, `XXBTZUSD`, `xbt-usd`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        if let Some((b, q)) = upper.split_once(['/', '-', '_']) {
            return Self::new(b, q).map_err(|_| UnknownPair(s.to_string()));
        }
        Self::split_joined(&upper).ok_or_else(|| UnknownPair(s.to_string()))
    }
}

impl TryFrom<String> for Pair {
    type Error = UnknownPair;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Pair> for String {
    fn from(p: Pair) -> String {
        p.wsname()
    }
}

impl fmt::Display for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.quote)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        s.parse::<Pair>().map(|p| p.wsname()).unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn every_kraken_spelling_of_bitcoin_dollar_is_one_pair() {
        for s in ["XBT/USD", "BTC/USD", "XBTUSD", "BTCUSD", "XXBTZUSD", "xbt-usd"] {
            assert_eq!(p(s), "XBT/USD", "{s}");
        }
    }

    #[test]
    fn splits_altnames_with_long_quotes_first() {
        assert_eq!(p("XBTUSDT"), "XBT/USDT");
        assert_eq!(p("ETHUSDC"), "ETH/USDC");
        assert_eq!(p("XETHZEUR"), "ETH/EUR");
        assert_eq!(p("AVAXUSD"), "AVAX/USD");
        assert_eq!(p("ADAXBT"), "ADA/XBT");
    }

    #[test]
    fn v2_symbols_use_btc_and_doge() {
        assert_eq!("XBT/USD".parse::<Pair>().unwrap().v2_symbol(), "BTC/USD");
        assert_eq!("XDGUSD".parse::<Pair>().unwrap().v2_symbol(), "DOGE/USD");
    }

    #[test]
    fn unknown_pair_says_how_to_pass_it() {
        let err = "FOOBAR".parse::<Pair>().unwrap_err().to_string();
        assert!(err.contains("--pair XBT/USD"), "{err}");
    }
}
