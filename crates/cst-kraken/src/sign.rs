//! Kraken spot REST request signing and the per-key nonce.
//!
//! `API-Sign = base64(HMAC-SHA512(base64decode(secret), path + SHA256(nonce + postdata)))`.
//! Kraken rejects a nonce that is not larger than the last one it saw for the key, so every
//! caller in the process that uses a key draws from one shared, strictly increasing counter.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256, Sha512};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Why a credential could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The API secret is not valid base64 (the message never contains the secret).
    #[error("API secret is not valid base64")]
    SecretNotBase64,
    /// The HMAC key was rejected.
    #[error("API secret cannot be used as an HMAC key")]
    BadKey,
}

/// Decoded API secret bytes; never printed, not even in `Debug`.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Decodes Kraken's base64 private key.
    pub fn from_base64(text: &str) -> Result<Self, SignError> {
        STANDARD.decode(text.trim()).map(Secret).map_err(|_| SignError::SecretNotBase64)
    }

    /// Wraps raw secret bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Secret(bytes)
    }

    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// An API key pair: the public key (sent as `API-Key`) and its secret.
#[derive(Clone)]
pub struct Credentials {
    key: String,
    secret: Secret,
    nonce: Arc<NonceSource>,
}

impl Credentials {
    /// Builds credentials; the nonce counter is shared with every other holder of the same key.
    pub fn new(key: &str, secret_base64: &str) -> Result<Self, SignError> {
        let secret = Secret::from_base64(secret_base64)?;
        Ok(Credentials { key: key.to_string(), secret, nonce: NonceSource::for_key(key) })
    }

    /// The public API key (sent in a header; Kraken does not treat it as secret, we still do not log it).
    pub fn api_key(&self) -> &str {
        &self.key
    }

    /// The process-wide nonce source of this key.
    pub fn nonce_source(&self) -> &Arc<NonceSource> {
        &self.nonce
    }

    /// Signs one request.
    pub fn sign(&self, uri_path: &str, nonce: &str, post_data: &str) -> Result<String, SignError> {
        api_sign(&self.secret, uri_path, nonce, post_data)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("key", &"<redacted>").field("secret", &self.secret).finish()
    }
}

/// Computes Kraken's `API-Sign` header value.
pub fn api_sign(secret: &Secret, uri_path: &str, nonce: &str, post_data: &str) -> Result<String, SignError> {
    let mut sha = Sha256::new();
    sha.update(nonce.as_bytes());
    sha.update(post_data.as_bytes());
    let inner = sha.finalize();
    let mut mac = Hmac::<Sha512>::new_from_slice(secret.bytes()).map_err(|_| SignError::BadKey)?;
    mac.update(uri_path.as_bytes());
    mac.update(&inner);
    Ok(STANDARD.encode(mac.finalize().into_bytes()))
}

/// A strictly increasing nonce (microseconds since the epoch, bumped when the clock stalls or
/// steps back), and the lock that keeps requests of one key in nonce order on the wire.
#[derive(Debug, Default)]
pub struct NonceSource {
    last: AtomicU64,
    send_lock: tokio::sync::Mutex<()>,
}

impl NonceSource {
    /// A fresh source not shared with anyone (tests, or a key used by one caller only).
    pub fn new() -> Self {
        NonceSource { last: AtomicU64::new(0), send_lock: tokio::sync::Mutex::new(()) }
    }

    /// Held from drawing a nonce until the request is answered: Kraken rejects a nonce smaller
    /// than one it already saw, so two requests of one key must not overtake each other.
    pub fn send_lock(&self) -> &tokio::sync::Mutex<()> {
        &self.send_lock
    }

    /// The process-wide source for `api_key`: every caller with that key gets the same one.
    pub fn for_key(api_key: &str) -> Arc<NonceSource> {
        static REGISTRY: OnceLock<Mutex<HashMap<String, Arc<NonceSource>>>> = OnceLock::new();
        let registry = REGISTRY.get_or_init(|| Mutex::new(HashMap::new()));
        let mut map = registry.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(api_key.to_string()).or_insert_with(|| Arc::new(NonceSource::new())).clone()
    }

    /// The next nonce given the clock reading `now_micros`: max(now, last + 1), atomically.
    pub fn next_at(&self, now_micros: u64) -> u64 {
        let mut prev = self.last.load(Ordering::Relaxed);
        loop {
            let candidate = now_micros.max(prev + 1);
            match self.last.compare_exchange_weak(prev, candidate, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return candidate,
                Err(actual) => prev = actual,
            }
        }
    }

    /// The next nonce from the system clock.
    pub fn next(&self) -> u64 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(0);
        self.next_at(now)
    }

    /// The last nonce handed out (0 before the first).
    pub fn last(&self) -> u64 {
        self.last.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_and_credentials_never_print_their_bytes() {
        let c = Credentials::new("my-public-key", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=").expect("valid");
        let shown = format!("{c:?}");
        assert!(!shown.contains("AQEB"), "{shown}");
        assert!(!shown.contains("my-public-key"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn rejects_secret_that_is_not_base64() {
        assert_eq!(Secret::from_base64("not base64!").err(), Some(SignError::SecretNotBase64));
    }

    #[test]
    fn nonce_moves_forward_even_when_the_clock_steps_back() {
        let n = NonceSource::new();
        assert_eq!(n.next_at(1_000), 1_000);
        assert_eq!(n.next_at(1_000), 1_001);
        assert_eq!(n.next_at(500), 1_002);
        assert_eq!(n.next_at(5_000), 5_000);
    }

    #[test]
    fn the_same_key_shares_one_nonce_source() {
        let a = NonceSource::for_key("shared-key-test");
        let b = NonceSource::for_key("shared-key-test");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &NonceSource::for_key("other-key-test")));
    }
}
