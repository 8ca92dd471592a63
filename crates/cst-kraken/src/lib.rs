//! Kraken REST and WebSocket v2 client, signing, rate limiters, recorder.

pub mod checksum;
pub mod error;
pub mod exact;
pub mod futures;
pub mod gateway;
pub mod ratelimit;
pub mod rest;
pub mod sign;
pub mod sync;
pub mod ws;
pub mod ws_private;
