//! Import speed of Kraken's real hourly dumps (XBT/USD 2013–2020, ETH/USD 2015–2020):
//! parsing + validation alone, and the whole import into a fresh SQLite or PostgreSQL store.

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
        let pg_ok = rt.block_on(Store::open(&format!("{pg_base}?options=-c%20search_path%3Dcst_bench"))).is_ok();
        if pg_ok {
            g.bench_function("postgres", |b| {
                b.iter_batched(
                    || {
                        let setup = "DROP SCHEMA IF EXISTS cst_bench CASCADE; CREATE SCHEMA cst_bench";
                        std::process::Command::new("psql")
                            .args([pg_base.as_str(), "-q", "-c", setup])
                            .status()
                            .expect("psql");
                        rt.block_on(Store::open(&format!("{pg_base}?options=-c%20search_path%3Dcst_bench")))
                            .expect("open")
                    },
                    |store| rt.block_on(import_file(&store, &path, None, None)).expect("import"),
                    BatchSize::PerIteration,
                )
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench_import);
criterion_main!(benches);
