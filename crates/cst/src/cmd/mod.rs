//! One module per command group.

pub mod book;
pub mod data;
pub mod features;
pub mod sync;
pub mod ta;
pub mod record;
pub mod intel;
pub mod sentiment;
