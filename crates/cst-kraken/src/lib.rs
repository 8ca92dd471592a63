//! Kraken REST and WebSocket v2 client, signing, rate limiters, recorder.

pub mod checksum;
pub mod ws;
