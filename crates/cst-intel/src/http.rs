//! The shared HTTP client setup: rustls on the `ring` provider (no C build), a timeout, a User-Agent.

use std::time::Duration;

/// Builds a reqwest client with rustls/ring, the given User-Agent and overall request timeout.
pub fn client(user_agent: &str, timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    // Installing fails only when a provider is already installed, which is what we want anyway.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().user_agent(user_agent).timeout(timeout).build()
}
