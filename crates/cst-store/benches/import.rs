//! Import speed of Kraken's real hourly dumps (XBT/USD 2013–2020, ETH/USD 2015–2020):
//! parsing + validation alone, and the whole import into a fresh SQLite or PostgreSQL store.
#![allow(missing_docs)] // criterion_group! generates an undocumented public fn

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use cst_store::Store;
use cst_store::import::{import_file, read_file};
use std::time::Duration;

const FILES: [&str; 2] =
    ["kraken/ohlcvt/hourly-2013-2020/XBTUSD_60.csv.gz", "kraken/ohlcvt/hourly-2013-2020/ETHUSD_60.csv.gz"];

fn bench_import(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let pg_base = std::env::var("CST_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    for rel in FILES {
        let path = cst_testdata::path(rel);
        let rows = read_file(&path, None, None, Box::new(|_| {})).expect("real file parses").rows.len();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut g = c.benchmark_group(format!("import/{name}"));
        g.throughput(Throughput::Elements(rows as u64)).sample_size(10).measurement_time(Duration::from_secs(10));
        g.bench_function("parse+validate", |b| {
            b.iter(|| read_file(&path, None, None, Box::new(|_| {})).expect("parse"))
        });
        g.bench_function("sqlite", |b| {
            b.iter_batched(
                || {
                    let dir = tempfile::tempdir().expect("tempdir");
                    let url = format!("sqlite:{}", dir.path().join("b.sqlite").display());
                    (dir, rt.block_on(Store::open(&url)).expect("open"))
                },
                |(_dir, store)| rt.block_on(import_file(&store, &path, None, None)).expect("import"),
                BatchSize::PerIteration,
            )
        });
        if fresh_pg_schema(&pg_base) {
            let url = format!("{pg_base}?options=-c%20search_path%3Dcst_bench");
            g.bench_function("postgres", |b| {
                b.iter_batched(
                    || {
                        assert!(fresh_pg_schema(&pg_base), "psql setup");
                        rt.block_on(Store::open(&url)).expect("open")
                    },
                    |store| rt.block_on(import_file(&store, &path, None, None)).expect("import"),
                    BatchSize::PerIteration,
                )
            });
        } else {
            eprintln!("postgres import benchmark skipped: no psql or no server at {pg_base}");
        }
        g.finish();
    }
}

/// Empties the benchmark schema so every sample imports into a fresh PostgreSQL store.
fn fresh_pg_schema(base: &str) -> bool {
    let setup = "DROP SCHEMA IF EXISTS cst_bench CASCADE; CREATE SCHEMA cst_bench";
    let out = std::process::Command::new("psql").args([base, "-q", "-c", setup]).output();
    out.is_ok_and(|o| o.status.success())
}

criterion_group!(benches, bench_import);
criterion_main!(benches);
