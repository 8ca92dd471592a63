//! Typed Kraken errors, from the strings in a response's `error` array, and whether each may be
//! retried. Kraken's strings are `<severity><category>:<message>[:<extra>]`; the ones a client
//! must react to get their own variant, the rest are kept verbatim.

use std::fmt;

/// One error reported by Kraken in a response's `error` array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KrakenError {
    /// `EAPI:Rate limit exceeded`: the REST call counter is full.
    RateLimitExceeded,
    /// `EOrder:Rate limit exceeded`: the per-pair matching-engine counter is full.
    OrderRateLimitExceeded,
    /// `EAPI:Invalid nonce`: the nonce was not larger than the last one Kraken saw for the key.
    InvalidNonce,
    /// `EAPI:Invalid key` / `EAPI:Invalid signature`: credentials are wrong.
    InvalidCredentials(String),
    /// `EGeneral:Permission denied`: the key lacks a permission.
    PermissionDenied,
    /// `EOrder:Insufficient funds`.
    InsufficientFunds,
    /// `EOrder:Unknown order`.
    UnknownOrder,
    /// `EService:Unavailable`: the matching engine or API is offline.
    ServiceUnavailable,
    /// `EService:Busy`: the API is overloaded.
    ServiceBusy,
    /// `EService: Throttled: <unix ts>`: retry after the given time.
    Throttled {
        /// Unix seconds after which Kraken accepts requests again, when it said so.
        until_secs: Option<i64>,
    },
    /// `EGeneral:Temporary lockout`: too many failed calls; wait.
    TemporaryLockout,
    /// `EGeneral:Invalid arguments[:detail]`.
    InvalidArguments(String),
    /// `EQuery:Unknown asset pair`.
    UnknownAssetPair,
    /// `EGeneral:Internal error`.
    InternalError,
    /// Any other error string, verbatim.
    Other(String),
}

impl KrakenError {
    /// Classifies one string of the `error` array.
    pub fn parse(text: &str) -> KrakenError {
        let t = text.trim();
        match t {
            "EAPI:Rate limit exceeded" => return KrakenError::RateLimitExceeded,
            "EOrder:Rate limit exceeded" => return KrakenError::OrderRateLimitExceeded,
            "EAPI:Invalid nonce" => return KrakenError::InvalidNonce,
            "EGeneral:Permission denied" => return KrakenError::PermissionDenied,
            "EOrder:Insufficient funds" => return KrakenError::InsufficientFunds,
            "EOrder:Unknown order" => return KrakenError::UnknownOrder,
            "EService:Unavailable" => return KrakenError::ServiceUnavailable,
            "EService:Busy" => return KrakenError::ServiceBusy,
            "EGeneral:Temporary lockout" => return KrakenError::TemporaryLockout,
            "EQuery:Unknown asset pair" => return KrakenError::UnknownAssetPair,
            "EGeneral:Internal error" => return KrakenError::InternalError,
            "EAPI:Invalid key" | "EAPI:Invalid signature" => return KrakenError::InvalidCredentials(t.to_string()),
            _ => {}
        }
        if let Some(rest) = t.strip_prefix("EGeneral:Invalid arguments") {
            return KrakenError::InvalidArguments(rest.trim_start_matches(':').to_string());
        }
        if let Some(rest) = strip_throttled(t) {
            return KrakenError::Throttled { until_secs: rest.trim().parse().ok() };
        }
        KrakenError::Other(t.to_string())
    }

    /// True when sending the same idempotent request again later can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            KrakenError::RateLimitExceeded
                | KrakenError::OrderRateLimitExceeded
                | KrakenError::InvalidNonce
                | KrakenError::ServiceUnavailable
                | KrakenError::ServiceBusy
                | KrakenError::Throttled { .. }
                | KrakenError::TemporaryLockout
                | KrakenError::InternalError
        )
    }

    /// True when Kraken rejected the request before acting on it, so an order was certainly not placed.
    pub fn rejected_before_processing(&self) -> bool {
        matches!(
            self,
            KrakenError::RateLimitExceeded
                | KrakenError::InvalidNonce
                | KrakenError::InvalidCredentials(_)
                | KrakenError::PermissionDenied
                | KrakenError::Throttled { .. }
                | KrakenError::TemporaryLockout
                | KrakenError::InvalidArguments(_)
                | KrakenError::InsufficientFunds
                | KrakenError::OrderRateLimitExceeded
                | KrakenError::UnknownAssetPair
        )
    }
}

fn strip_throttled(t: &str) -> Option<&str> {
    let rest = t.strip_prefix("EService:")?.trim_start();
    let rest = rest.strip_prefix("Throttled")?;
    Some(rest.trim_start_matches(':'))
}

impl fmt::Display for KrakenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KrakenError::RateLimitExceeded => f.write_str("EAPI:Rate limit exceeded"),
            KrakenError::OrderRateLimitExceeded => f.write_str("EOrder:Rate limit exceeded"),
            KrakenError::InvalidNonce => f.write_str("EAPI:Invalid nonce"),
            KrakenError::InvalidCredentials(s) | KrakenError::Other(s) => f.write_str(s),
            KrakenError::PermissionDenied => f.write_str("EGeneral:Permission denied"),
            KrakenError::InsufficientFunds => f.write_str("EOrder:Insufficient funds"),
            KrakenError::UnknownOrder => f.write_str("EOrder:Unknown order"),
            KrakenError::ServiceUnavailable => f.write_str("EService:Unavailable"),
            KrakenError::ServiceBusy => f.write_str("EService:Busy"),
            KrakenError::Throttled { until_secs: Some(t) } => write!(f, "EService: Throttled: {t}"),
            KrakenError::Throttled { until_secs: None } => f.write_str("EService: Throttled"),
            KrakenError::TemporaryLockout => f.write_str("EGeneral:Temporary lockout"),
            KrakenError::InvalidArguments(d) if d.is_empty() => f.write_str("EGeneral:Invalid arguments"),
            KrakenError::InvalidArguments(d) => write!(f, "EGeneral:Invalid arguments:{d}"),
            KrakenError::UnknownAssetPair => f.write_str("EQuery:Unknown asset pair"),
            KrakenError::InternalError => f.write_str("EGeneral:Internal error"),
        }
    }
}

/// Everything that can go wrong with one REST call.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// Kraken answered with one or more errors.
    #[error("Kraken: {}", join(.0))]
    Kraken(Vec<KrakenError>),
    /// The connection failed or timed out (the request may or may not have reached Kraken).
    #[error("transport: {0}")]
    Transport(String),
    /// A non-success HTTP status without a Kraken error body.
    #[error("HTTP status {status}")]
    Status {
        /// The HTTP status code.
        status: u16,
    },
    /// The body did not have the documented shape; the raw text is kept (never contains secrets).
    #[error("unexpected response for {endpoint}: {reason}; body starts {snippet:?}")]
    Decode {
        /// The endpoint path.
        endpoint: String,
        /// What did not fit.
        reason: String,
        /// The start of the body.
        snippet: String,
    },
    /// A private endpoint was called without credentials, or they are unusable.
    #[error("credentials: {0}")]
    Credentials(String),
    /// The circuit breaker of the endpoint group is open.
    #[error("circuit open for {group}: {reason}")]
    CircuitOpen {
        /// The endpoint group.
        group: &'static str,
        /// The failure that opened it.
        reason: String,
    },
    /// An order request is invalid before sending (missing price for a limit order, ...).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// An AddOrder failed ambiguously and could not be confirmed either way; do not resend blindly.
    #[error("order outcome unknown for cl_ord_id {cl_ord_id:?}: {cause}")]
    OrderOutcomeUnknown {
        /// The client order id, when one was set.
        cl_ord_id: Option<String>,
        /// The original failure.
        cause: String,
    },
}

fn join(errors: &[KrakenError]) -> String {
    errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", ")
}

impl RestError {
    /// True when an idempotent request may be sent again after a backoff.
    pub fn is_retryable(&self) -> bool {
        match self {
            RestError::Kraken(errors) => !errors.is_empty() && errors.iter().all(KrakenError::is_retryable),
            RestError::Transport(_) => true,
            RestError::Status { status } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// True when the REST call counter was reported full.
    pub fn is_rate_limit(&self) -> bool {
        match self {
            RestError::Kraken(errors) => errors.contains(&KrakenError::RateLimitExceeded),
            RestError::Status { status } => *status == 429,
            _ => false,
        }
    }

    /// The earliest unix second Kraken said to wait until (`EService: Throttled: <ts>`).
    pub fn throttled_until_secs(&self) -> Option<i64> {
        match self {
            RestError::Kraken(errors) => errors.iter().find_map(|e| match e {
                KrakenError::Throttled { until_secs } => *until_secs,
                _ => None,
            }),
            _ => None,
        }
    }

    /// True when a failed AddOrder certainly did not place an order.
    pub fn order_certainly_not_placed(&self) -> bool {
        match self {
            RestError::Kraken(errors) => {
                !errors.is_empty() && errors.iter().all(KrakenError::rejected_before_processing)
            }
            RestError::Credentials(_) | RestError::CircuitOpen { .. } | RestError::InvalidRequest(_) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_errors_kraken_documents() {
        assert_eq!(KrakenError::parse("EAPI:Rate limit exceeded"), KrakenError::RateLimitExceeded);
        assert_eq!(KrakenError::parse("EAPI:Invalid nonce"), KrakenError::InvalidNonce);
        assert_eq!(KrakenError::parse("EOrder:Insufficient funds"), KrakenError::InsufficientFunds);
        assert_eq!(KrakenError::parse("EService:Unavailable"), KrakenError::ServiceUnavailable);
        assert_eq!(
            KrakenError::parse("EService: Throttled: 1762820224"),
            KrakenError::Throttled { until_secs: Some(1_762_820_224) }
        );
        assert_eq!(
            KrakenError::parse("EGeneral:Invalid arguments:volume minimum not met"),
            KrakenError::InvalidArguments("volume minimum not met".into())
        );
        assert_eq!(KrakenError::parse("EGeneral:Invalid arguments"), KrakenError::InvalidArguments(String::new()));
        assert_eq!(KrakenError::parse("EFunding:Unknown asset"), KrakenError::Other("EFunding:Unknown asset".into()));
    }

    #[test]
    fn display_gives_back_kraken_text() {
        for s in ["EAPI:Rate limit exceeded", "EService: Throttled: 1762820224", "EGeneral:Invalid arguments:x"] {
            assert_eq!(KrakenError::parse(s).to_string(), s);
        }
    }

    #[test]
    fn only_transient_errors_are_retryable() {
        assert!(KrakenError::RateLimitExceeded.is_retryable());
        assert!(KrakenError::ServiceUnavailable.is_retryable());
        assert!(!KrakenError::InsufficientFunds.is_retryable());
        assert!(!KrakenError::InvalidArguments(String::new()).is_retryable());
        assert!(
            !RestError::Kraken(vec![KrakenError::RateLimitExceeded, KrakenError::InsufficientFunds]).is_retryable()
        );
        assert!(RestError::Status { status: 502 }.is_retryable());
        assert!(!RestError::Status { status: 404 }.is_retryable());
    }

    #[test]
    fn an_unavailable_service_leaves_the_order_outcome_open() {
        assert!(!RestError::Kraken(vec![KrakenError::ServiceUnavailable]).order_certainly_not_placed());
        assert!(!RestError::Transport("timeout".into()).order_certainly_not_placed());
        assert!(RestError::Kraken(vec![KrakenError::InvalidNonce]).order_certainly_not_placed());
    }
}
