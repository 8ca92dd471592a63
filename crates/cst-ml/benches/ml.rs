//! Criterion benchmarks of cst-ml (filled in below).
fn main() {}
