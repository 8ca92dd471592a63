//! One module per command group.

pub mod data;
pub mod features;
pub mod sync;
pub mod ta;
