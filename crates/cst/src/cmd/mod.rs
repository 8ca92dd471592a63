//! One module per command group.

pub mod backtest;
pub mod book;
pub mod data;
pub mod features;
pub mod intel;
pub mod ml;
pub mod ml_shadow;
pub mod ml_strategy;
pub mod record;
pub mod run;
pub mod sentiment;
pub mod serve;
pub mod sync;
pub mod ta;
