//! One module per command group.

pub mod backtest;
pub mod data;
