//! One specification, two backends: every case below runs against embedded SQLite and against
//! the PostgreSQL server on 127.0.0.1:5432 (database `test`). Each PostgreSQL case gets its own
//! schema so cases can run in parallel. Outside CI an unreachable server skips the PostgreSQL
//! half with a printed reason; under CI (`CI` set) it fails.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is the failure report

use cst_core::interval::Interval;
use cst_core::pair::Pair;
use cst_core::time::Timestamp;
use cst_store::import::{ImportError, import_file};
use cst_store::{SeriesInfo, Store, StoreError};
use std::path::{Path, PathBuf};

const Q1_HOURLY: &str = "kraken/ohlcvt/intraday-2023/q1-btc/XBTUSD_60.csv";
const H1_15M_WITH_HEADER: &str = "kraken/ohlcvt/intraday-2023/h1-15m/XBTUSD_15_2023H1_train.csv.gz";

struct Env {
    store: Store,
    dir: tempfile::TempDir,
}

async fn sqlite_env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("cst.sqlite").display());
    Env { store: Store::open(&url).await.unwrap(), dir }
}

fn pg_base_url() -> String {
    std::env::var("CST_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

async fn pg_env(case: &str) -> Option<Env> {
    use sqlx::Connection;
    let base = pg_base_url();
    let mut conn = match sqlx::PgConnection::connect(&base).await {
        Ok(c) => c,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED PostgreSQL case {case}: no server at {base} ({e})");
            return None;
        }
        Err(e) => panic!("CI must run the PostgreSQL suite, but {base} is unreachable: {e}"),
    };
    let schema = format!("cst_test_{case}_{}", std::process::id());
    for sql in [format!("DROP SCHEMA IF EXISTS {schema} CASCADE"), format!("CREATE SCHEMA {schema}")] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
    }
    let url = format!("{base}?options=-c%20search_path%3D{schema}");
    Some(Env { store: Store::open(&url).await.unwrap(), dir: tempfile::tempdir().unwrap() })
}

fn xbt_usd() -> Pair {
    "XBT/USD".parse().unwrap()
}

/// Writes a copy of a real file with one line replaced (or removed/duplicated), keeping its name.
fn altered_copy(dir: &Path, relative: &str, edit: impl FnOnce(&mut Vec<String>)) -> PathBuf {
    let text = cst_testdata::read_text(relative);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    edit(&mut lines);
    let name = Path::new(relative).file_name().unwrap().to_string_lossy().trim_end_matches(".gz").to_string();
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

async fn snapshot(store: &Store) -> (Vec<SeriesInfo>, Vec<cst_core::candle::CandleRow>) {
    let series = store.series().await.unwrap();
    let rows = store.candles(&xbt_usd(), Interval::H1, None, None).await.unwrap();
    (series, rows)
}

async fn imports_real_hourly_file_with_exact_values(env: &Env) {
    let r = import_file(&env.store, &cst_testdata::path(Q1_HOURLY), None, None).await.unwrap();
    assert_eq!((r.pair.as_str(), r.interval, r.rows, r.outcome.inserted), ("XBT/USD", Interval::H1, 2160, 2160));
    let rows = env.store.candles(&xbt_usd(), Interval::H1, None, None).await.unwrap();
    assert_eq!(rows.len(), 2160);
    // The file's first line, exactly: 1672531200,16528.7,16530.0,16505.2,16519.3,96.61968029,803
    let first = &rows[0];
    assert_eq!(first.time, 1_672_531_200);
    assert_eq!(first.open.to_string(), "16528.7");
    assert_eq!(first.high.to_string(), "16530.0");
    assert_eq!(first.volume.to_string(), "96.61968029");
    assert_eq!(first.trades, 803);
    let series = env.store.series().await.unwrap();
    assert_eq!(
        series,
        vec![SeriesInfo {
            pair: "XBT/USD".into(),
            interval: Interval::H1,
            rows: 2160,
            first: "2023-01-01T00:00:00Z".into(),
            last: "2023-03-31T23:00:00Z".into(),
        }]
    );
}

async fn reimporting_the_same_file_changes_nothing(env: &Env) {
    let path = cst_testdata::path(Q1_HOURLY);
    import_file(&env.store, &path, None, None).await.unwrap();
    let before = snapshot(&env.store).await;
    let again = import_file(&env.store, &path, None, None).await.unwrap();
    assert_eq!((again.outcome.inserted, again.outcome.unchanged), (0, 2160));
    assert_eq!(snapshot(&env.store).await, before);
}

async fn reads_header_files_and_time_ranges(env: &Env) {
    let r = import_file(&env.store, &cst_testdata::path(H1_15M_WITH_HEADER), None, None).await.unwrap();
    assert_eq!((r.interval, r.rows), (Interval::M15, 17364));
    let from = Timestamp::parse("2023-03-01").ok();
    let to = Timestamp::parse("2023-03-01T00:45:00Z").ok();
    let rows = env.store.candles(&xbt_usd(), Interval::M15, from, to).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.time).collect::<Vec<_>>(), vec![1677628800, 1677629700, 1677630600, 1677631500]);
}

async fn refuses_a_candle_that_contradicts_the_stored_one(env: &Env) {
    import_file(&env.store, &cst_testdata::path(Q1_HOURLY), None, None).await.unwrap();
    let before = snapshot(&env.store).await;
    // Same file, one more real line appended after changing the close of line 10.
    let path = altered_copy(env.dir.path(), Q1_HOURLY, |lines| {
        let mut f: Vec<String> = lines[9].split(',').map(str::to_string).collect();
        f[4] = f[3].clone(); // close := low, still a consistent candle
        lines[9] = f.join(",");
    });
    let err = import_file(&env.store, &path, None, None).await.unwrap_err();
    assert!(matches!(err, ImportError::Store { source: StoreError::Conflict { .. }, .. }), "{err}");
    assert_eq!(snapshot(&env.store).await, before);
}

/// Imports a broken copy of the real file into a store that already holds other data and
/// checks the error names file and line, and that the store is exactly as before.
async fn assert_rejected(env: &Env, line: usize, expect: &str, edit: impl FnOnce(&mut Vec<String>)) {
    import_file(&env.store, &cst_testdata::path(H1_15M_WITH_HEADER), None, None).await.unwrap();
    let before = (env.store.series().await.unwrap(), snapshot(&env.store).await);
    let path = altered_copy(env.dir.path(), Q1_HOURLY, edit);
    let err = import_file(&env.store, &path, None, None).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&format!("XBTUSD_60.csv:{line}:")), "no file:line in {msg}");
    assert!(msg.contains(expect), "expected {expect:?} in {msg}");
    assert_eq!((env.store.series().await.unwrap(), snapshot(&env.store).await), before);
}

fn set_field(lines: &mut [String], line: usize, field: usize, value: &str) {
    let mut f: Vec<String> = lines[line - 1].split(',').map(str::to_string).collect();
    f[field] = value.to_string();
    lines[line - 1] = f.join(",");
}

async fn rejects_non_numeric_field(env: &Env) {
    assert_rejected(env, 7, "not a number", |l| set_field(l, 7, 2, "16530.0x")).await;
}

async fn rejects_nan(env: &Env) {
    assert_rejected(env, 100, "\"NaN\" is not a number", |l| set_field(l, 100, 4, "NaN")).await;
}

async fn rejects_negative_price(env: &Env) {
    assert_rejected(env, 5, "non-positive price", |l| set_field(l, 5, 3, "-16505.2")).await;
}

async fn rejects_high_below_low(env: &Env) {
    assert_rejected(env, 2000, "OHLC inconsistent", |l| set_field(l, 2000, 2, "1.0")).await;
}

async fn rejects_timestamp_out_of_order(env: &Env) {
    assert_rejected(env, 51, "out of order", |l| l.swap(49, 50)).await;
}

async fn rejects_duplicate_timestamp(env: &Env) {
    assert_rejected(env, 31, "duplicate timestamp", |l| {
        let dup = l[29].clone();
        l.insert(30, dup);
    })
    .await;
}

async fn rejects_wrong_column_count(env: &Env) {
    assert_rejected(env, 12, "expected 7 columns", |l| l[11].push_str(",1")).await;
}

async fn unknown_pair_says_how_to_pass_it(env: &Env) {
    let text = cst_testdata::read_text(Q1_HOURLY);
    let path = env.dir.path().join("prices.csv");
    std::fs::write(&path, text).unwrap();
    let err = import_file(&env.store, &path, None, None).await.unwrap_err().to_string();
    assert!(err.contains("--pair XBT/USD"), "{err}");
    assert!(env.store.series().await.unwrap().is_empty());
    let ok = import_file(&env.store, &path, Some(&xbt_usd()), Some(Interval::H1)).await.unwrap();
    assert_eq!(ok.rows, 2160);
}

async fn migrations_apply_once(env: &Env) {
    import_file(&env.store, &cst_testdata::path(Q1_HOURLY), None, None).await.unwrap();
    let url = match &env.store {
        Store::Sqlite(_) => format!("sqlite:{}", env.dir.path().join("cst.sqlite").display()),
        Store::Postgres(_) => return, // the per-case schema URL is not kept; SQLite covers reopen
    };
    let reopened = Store::open(&url).await.unwrap();
    assert_eq!(reopened.series().await.unwrap().len(), 1);
}

/// Several writers at once, as when the live feed stores candles while another task writes: each
/// waits its turn and every candle lands (SQLite used to answer "database is locked" at once to a
/// transaction that had read before writing).
async fn concurrent_writers_of_one_series_all_land(env: &Env) {
    let scratch = sqlite_env().await;
    import_file(&scratch.store, &cst_testdata::path(Q1_HOURLY), None, None).await.unwrap();
    let rows = scratch.store.candles(&xbt_usd(), Interval::H1, None, None).await.unwrap();
    assert_eq!(rows.len(), 2160);
    let writers: Vec<_> = rows
        .chunks(180)
        .map(|chunk| {
            let (store, chunk) = (env.store.clone(), chunk.to_vec());
            tokio::spawn(async move { store.write_candles(&xbt_usd(), Interval::H1, &chunk).await })
        })
        .collect();
    for w in writers {
        assert_eq!(w.await.unwrap().unwrap().inserted, 180);
    }
    assert_eq!(env.store.candles(&xbt_usd(), Interval::H1, None, None).await.unwrap(), rows);
}

macro_rules! suite {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let env = super::sqlite_env().await;
                super::$case(&env).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let Some(env) = super::pg_env(stringify!($case)).await else { return };
                super::$case(&env).await;
            })*
        }
    };
}

suite!(
    imports_real_hourly_file_with_exact_values,
    reimporting_the_same_file_changes_nothing,
    reads_header_files_and_time_ranges,
    refuses_a_candle_that_contradicts_the_stored_one,
    rejects_non_numeric_field,
    rejects_nan,
    rejects_negative_price,
    rejects_high_below_low,
    rejects_timestamp_out_of_order,
    rejects_duplicate_timestamp,
    rejects_wrong_column_count,
    unknown_pair_says_how_to_pass_it,
    migrations_apply_once,
    concurrent_writers_of_one_series_all_land,
);
