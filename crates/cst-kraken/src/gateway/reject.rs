//! Kraken's refusals as rejection reasons: Kraken's own text first (what the engine and the
//! journal record, e.g. `EOrder:Insufficient funds`), then what it means for the order. Nothing
//! here quotes a request, so keys and signatures cannot leak into a reason.

use crate::error::{KrakenError, RestError};

/// The reason recorded with `OrderUpdate::Rejected` for a failed order call.
pub fn rejection_reason(e: &RestError) -> String {
    match e {
        RestError::Kraken(errors) if !errors.is_empty() => {
            errors.iter().map(|k| format!("{k} ({})", meaning(k))).collect::<Vec<_>>().join("; ")
        }
        RestError::OrderOutcomeUnknown { cause, .. } => {
            format!("outcome unknown ({cause}) and Kraken lists no such order: not placed")
        }
        other => other.to_string(),
    }
}

/// What a Kraken error means for the order, by variant and, for the rest, by category.
fn meaning(k: &KrakenError) -> &'static str {
    match k {
        KrakenError::InsufficientFunds => "not enough balance for the order",
        KrakenError::OrderRateLimitExceeded => "the pair's matching-engine rate limit is full",
        KrakenError::RateLimitExceeded => "the API call counter is full",
        KrakenError::InvalidNonce => "nonce not above the last one Kraken saw for the key",
        KrakenError::InvalidCredentials(_) => "API key or signature refused",
        KrakenError::PermissionDenied => "the API key lacks the trading permission",
        KrakenError::InvalidArguments(_) => "Kraken refused an order argument",
        KrakenError::UnknownAssetPair => "the pair is not traded on Kraken",
        KrakenError::TemporaryLockout => "the key is locked out after too many failed calls",
        KrakenError::Throttled { .. } | KrakenError::ServiceBusy => "Kraken is throttling requests",
        KrakenError::ServiceUnavailable | KrakenError::InternalError => "Kraken's trading service failed",
        KrakenError::UnknownOrder => "Kraken does not know the order",
        KrakenError::Other(text) => category(text),
    }
}

fn category(text: &str) -> &'static str {
    match text.split(':').next().unwrap_or_default() {
        "EOrder" => "the order was refused",
        "EGeneral" => "the request was refused",
        "EAPI" => "the API call was refused",
        "EService" => "Kraken's service failed",
        "EFunding" => "a funding rule refused it",
        "EQuery" => "the query was refused",
        _ => "unclassified Kraken error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kraken_text_comes_first_then_its_meaning() {
        let e = RestError::Kraken(vec![KrakenError::parse("EOrder:Insufficient funds")]);
        assert_eq!(rejection_reason(&e), "EOrder:Insufficient funds (not enough balance for the order)");
        let e = RestError::Kraken(vec![KrakenError::parse("EGeneral:Invalid arguments:volume minimum not met")]);
        assert_eq!(
            rejection_reason(&e),
            "EGeneral:Invalid arguments:volume minimum not met (Kraken refused an order argument)"
        );
        let e = RestError::Kraken(vec![KrakenError::parse("EAPI:Invalid key")]);
        assert_eq!(rejection_reason(&e), "EAPI:Invalid key (API key or signature refused)");
        let e = RestError::Kraken(vec![KrakenError::parse("EOrder:Order minimum not met")]);
        assert_eq!(rejection_reason(&e), "EOrder:Order minimum not met (the order was refused)");
    }
}
