//! Schema migrations: numbered SQL files embedded in the binary, applied in order, each in its
//! own transaction and recorded in `schema_migrations`, so a store is upgraded exactly once.

/// One migration step.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Monotonic version number.
    pub version: i64,
    /// Short name.
    pub name: &'static str,
    /// The SQL (one or more statements separated by `;`).
    pub sql: &'static str,
}

/// SQLite migrations, oldest first.
pub const SQLITE: &[Migration] = &[
    Migration { version: 1, name: "candles", sql: include_str!("../migrations/sqlite/0001_candles.sql") },
    Migration { version: 2, name: "models", sql: include_str!("../migrations/sqlite/0002_models.sql") },
    Migration { version: 3, name: "runtime", sql: include_str!("../migrations/sqlite/0003_runtime.sql") },
];

/// PostgreSQL migrations, oldest first.
pub const POSTGRES: &[Migration] = &[
    Migration { version: 1, name: "candles", sql: include_str!("../migrations/postgres/0001_candles.sql") },
    Migration { version: 2, name: "models", sql: include_str!("../migrations/postgres/0002_models.sql") },
    Migration { version: 3, name: "runtime", sql: include_str!("../migrations/postgres/0003_runtime.sql") },
];

/// The bookkeeping table (same DDL on both backends).
pub const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
    version BIGINT PRIMARY KEY, name TEXT NOT NULL)";

/// The statements of a migration: comment lines dropped first (they may contain `;`), then
/// split on `;`.
pub fn statements(sql: &str) -> Vec<String> {
    let code: String = sql.lines().filter(|l| !l.trim_start().starts_with("--")).map(|l| format!("{l}\n")).collect();
    code.split(';').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolons_in_comments_do_not_split_statements() {
        for m in SQLITE.iter().chain(POSTGRES) {
            let stmts = statements(m.sql);
            let tables = match m.version {
                1 => 1,
                2 => 2,
                _ => 7,
            };
            assert_eq!(stmts.len(), tables, "{}", m.name);
            assert!(stmts.iter().all(|s| s.starts_with("CREATE TABLE ")), "{}", m.name);
        }
    }
}
