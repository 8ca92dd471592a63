//! Crypto asset extraction from cashtags (`$BTC`), names ("bitcoin"), tickers written in capitals
//! (`ETH`) and pair symbols (`BTC/USD`, `ETHUSDT`). Codes follow Kraken's naming (`XBT` for bitcoin)
//! so they join with `cst_core::pair::Pair` bases.

use super::token::{Token, TokenKind};

/// One asset: its code, tickers people write, names people write, and whether the bare ticker is
/// an ordinary English word (then only a cashtag or a capitalised ticker counts).
struct AssetDef {
    code: &'static str,
    tickers: &'static [&'static str],
    names: &'static [&'static str],
    ambiguous_ticker: bool,
}

const ASSETS: &[AssetDef] = &[
    AssetDef { code: "XBT", tickers: &["BTC", "XBT"], names: &["bitcoin", "bitcoins"], ambiguous_ticker: false },
    AssetDef { code: "ETH", tickers: &["ETH"], names: &["ethereum", "ether"], ambiguous_ticker: false },
    AssetDef { code: "SOL", tickers: &["SOL"], names: &["solana"], ambiguous_ticker: false },
    AssetDef { code: "XRP", tickers: &["XRP"], names: &["ripple"], ambiguous_ticker: false },
    AssetDef { code: "ADA", tickers: &["ADA"], names: &["cardano"], ambiguous_ticker: true },
    AssetDef { code: "XDG", tickers: &["DOGE", "XDG"], names: &["dogecoin"], ambiguous_ticker: false },
    AssetDef { code: "LTC", tickers: &["LTC"], names: &["litecoin"], ambiguous_ticker: false },
    AssetDef { code: "DOT", tickers: &["DOT"], names: &["polkadot"], ambiguous_ticker: true },
    AssetDef { code: "AVAX", tickers: &["AVAX"], names: &["avalanche"], ambiguous_ticker: false },
    AssetDef { code: "LINK", tickers: &["LINK"], names: &["chainlink"], ambiguous_ticker: true },
    AssetDef { code: "MATIC", tickers: &["MATIC", "POL"], names: &["polygon"], ambiguous_ticker: false },
    AssetDef { code: "TRX", tickers: &["TRX"], names: &["tron"], ambiguous_ticker: false },
    AssetDef { code: "XLM", tickers: &["XLM"], names: &["stellar"], ambiguous_ticker: false },
    AssetDef { code: "ATOM", tickers: &["ATOM"], names: &["cosmos"], ambiguous_ticker: true },
    AssetDef { code: "UNI", tickers: &["UNI"], names: &["uniswap"], ambiguous_ticker: true },
    AssetDef { code: "SHIB", tickers: &["SHIB"], names: &["shiba"], ambiguous_ticker: false },
    AssetDef { code: "XMR", tickers: &["XMR"], names: &["monero"], ambiguous_ticker: false },
    AssetDef { code: "BCH", tickers: &["BCH"], names: &[], ambiguous_ticker: false },
    AssetDef { code: "ETC", tickers: &["ETC"], names: &[], ambiguous_ticker: true },
    AssetDef { code: "USDT", tickers: &["USDT"], names: &["tether"], ambiguous_ticker: false },
    AssetDef { code: "USDC", tickers: &["USDC"], names: &[], ambiguous_ticker: false },
    AssetDef { code: "NEAR", tickers: &["NEAR"], names: &[], ambiguous_ticker: true },
    AssetDef { code: "ARB", tickers: &["ARB"], names: &["arbitrum"], ambiguous_ticker: false },
    AssetDef { code: "OP", tickers: &["OP"], names: &[], ambiguous_ticker: true },
    AssetDef { code: "SUI", tickers: &["SUI"], names: &[], ambiguous_ticker: false },
    AssetDef { code: "TON", tickers: &["TON"], names: &["toncoin"], ambiguous_ticker: true },
    AssetDef { code: "PEPE", tickers: &["PEPE"], names: &[], ambiguous_ticker: false },
    AssetDef { code: "APT", tickers: &["APT"], names: &["aptos"], ambiguous_ticker: true },
];

const QUOTES: &[&str] = &["USDT", "USDC", "USD", "EUR", "GBP"];

/// The assets a tokenized text mentions, deduplicated, in first-mention order.
pub fn extract_assets(tokens: &[Token]) -> Vec<&'static str> {
    let mut found: Vec<&'static str> = Vec::new();
    let mut push = |code: &'static str| {
        if !found.contains(&code) {
            found.push(code);
        }
    };
    for (i, token) in tokens.iter().enumerate() {
        match token.kind {
            TokenKind::Cashtag => match_ticker(&token.text, true).into_iter().for_each(&mut push),
            TokenKind::Word => {
                let next = tokens.get(i + 1).map(|t| t.text.as_str());
                match_word(token, next).into_iter().for_each(&mut push)
            }
            _ => {}
        }
    }
    found
}

/// The Kraken code of a ticker written explicitly (as a cashtag or by an LLM): `BTC` -> `XBT`,
/// `DOGE` -> `XDG`, `ETHUSDT` -> `ETH`; `None` for tickers that are not known crypto assets.
pub fn asset_code(ticker: &str) -> Option<&'static str> {
    match_ticker(&ticker.trim().trim_start_matches('$').to_ascii_uppercase(), true)
}

fn match_ticker(upper: &str, explicit: bool) -> Option<&'static str> {
    ASSETS
        .iter()
        .find(|a| a.tickers.contains(&upper) && (explicit || !a.ambiguous_ticker))
        .map(|a| a.code)
        .or_else(|| pair_base(upper))
}

/// `ETHUSDT` / `XBTUSD` style pair symbols name their base asset.
fn pair_base(upper: &str) -> Option<&'static str> {
    QUOTES.iter().find_map(|q| {
        let base = upper.strip_suffix(q)?;
        ASSETS.iter().find(|a| a.tickers.contains(&base)).map(|a| a.code)
    })
}

fn match_word(token: &Token, next: Option<&str>) -> Option<&'static str> {
    if token.text == "bitcoin" && next == Some("cash") {
        return Some("BCH");
    }
    if token.text == "ethereum" && next == Some("classic") {
        return Some("ETC");
    }
    if let Some(a) = ASSETS.iter().find(|a| a.names.contains(&token.text.as_str())) {
        return Some(a.code);
    }
    // A bare ticker counts only when written in capitals ("ETH", not "eth" inside a sentence).
    if token.shouted {
        return match_ticker(&token.text.to_ascii_uppercase(), false);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::token::tokenize;
    use super::*;

    fn assets(text: &str) -> Vec<&'static str> {
        extract_assets(&tokenize(text))
    }

    #[test]
    fn cashtags_names_and_tickers_map_to_kraken_codes() {
        assert_eq!(assets("$BTC and Ethereum up, SOL flat"), ["XBT", "ETH", "SOL"]);
        assert_eq!(assets("$sol pumps while XBT waits"), ["SOL", "XBT"]);
    }

    #[test]
    fn pair_symbols_name_their_base_asset() {
        assert_eq!(assets("BTC/USD breaks out, ETHUSDT follows"), ["XBT", "ETH"]);
    }

    #[test]
    fn ambiguous_tickers_need_a_cashtag() {
        assert!(assets("I will LINK the DOT report").is_empty());
        assert_eq!(assets("$LINK and $DOT rally"), ["LINK", "DOT"]);
    }

    #[test]
    fn bitcoin_cash_is_not_bitcoin_and_duplicates_collapse() {
        assert_eq!(assets("Bitcoin Cash vs bitcoin vs $BTC"), ["BCH", "XBT"]);
    }

    #[test]
    fn explicit_tickers_map_to_kraken_codes() {
        assert_eq!(asset_code("BTC"), Some("XBT"));
        assert_eq!(asset_code("$doge"), Some("XDG"));
        assert_eq!(asset_code("AAPL"), None);
    }

    #[test]
    fn stock_cashtags_are_not_crypto_assets() {
        assert!(assets("$AAPL beats estimates").is_empty());
    }
}
