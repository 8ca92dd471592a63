//! `cst run` with its journal (and the replayed candles) in PostgreSQL: the same real-data run
//! as the SQLite parity test, in a schema of its own on the server at 127.0.0.1:5432, gives the
//! backtest's equity and fees, and a restart resumes the stored run. Outside CI an unreachable
//! server skips the test with a printed reason; under CI (`CI` set) it fails.
#![allow(clippy::unwrap_used)]

mod run_support;

use run_support::{Home, backtest, journal, path_of};
use rust_decimal::Decimal;
use std::time::Duration;

async fn pg_schema_url(case: &str) -> Option<String> {
    use sqlx::Connection;
    let base = std::env::var("CST_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let mut conn = match sqlx::PgConnection::connect(&base).await {
        Ok(c) => c,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED PostgreSQL case {case}: no server at {base} ({e})");
            return None;
        }
        Err(e) => panic!("CI must run the PostgreSQL case, but {base} is unreachable: {e}"),
    };
    let schema = format!("cst_run_{case}_{}", std::process::id());
    for sql in [format!("DROP SCHEMA IF EXISTS {schema} CASCADE"), format!("CREATE SCHEMA {schema}")] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
    }
    Some(format!("{base}?options=-c%20search_path%3D{schema}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_journal_holds_the_same_run_as_the_backtest_and_resumes_it() {
    let Some(url) = pg_schema_url("parity").await else { return };
    let home = Home { dir: tempfile::tempdir().unwrap(), store: Some(url.clone()) };
    home.import_xbt();
    let mut run = home.spawn_run("0");
    let run_id = run.run_id();
    assert!(run.wait_line("run run-", Duration::from_secs(60)).contains("postgres store"));
    run.wait_line("replay finished", Duration::from_secs(300));
    run.terminate();
    let j = journal(&url, &run_id).await;

    let report = backtest(&home, &path_of(&home, "report"));
    let want = |k: &str| report[k].as_str().unwrap().parse::<Decimal>().unwrap();
    assert_eq!(j.risk.as_ref().unwrap().equity, want("final_equity"));
    assert_eq!(j.fills.iter().map(|f| f.fee).sum::<Decimal>(), want("fees_paid"));
    assert_eq!(j.orders.len() as u64, report["counters"]["orders"].as_u64().unwrap());

    // A second start with the same arguments resumes the finished run and adds nothing.
    let mut again = home.spawn_run("0");
    again.wait_line("start #2, 8757 events journaled", Duration::from_secs(60));
    again.wait_line("replay finished", Duration::from_secs(300));
    again.terminate();
    assert_eq!(journal(&url, &run_id).await, j);
}
