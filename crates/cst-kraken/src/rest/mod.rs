//! Kraken spot REST: the transport ([`client`]), resilience ([`resilience`]), public market
//! data ([`public`]), account queries ([`account`]) and order entry ([`orders`]).

pub mod account;
pub mod client;
pub mod orders;
pub mod public;
pub mod resilience;

pub use client::{Idempotency, RestClient, RestConfig};
pub use resilience::{BreakerConfig, EndpointGroup, RetryPolicy};
