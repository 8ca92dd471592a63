//! Kraken REST and WebSocket v2 client, signing, rate limiters, recorder.

pub mod error;
pub mod ratelimit;
pub mod sign;
