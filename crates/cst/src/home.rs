//! Where cst keeps its data (`--home` / `CST_HOME`, default `./cst-data`) and which store it
//! uses (`--store` / `CST_STORE`, default SQLite in the home directory).

use clap::Args;
use std::path::PathBuf;

/// Global options naming the data directory and the store.
#[derive(Debug, Clone, Args)]
pub struct HomeArgs {
    /// Data directory (default: ./cst-data).
    #[arg(long, global = true, env = "CST_HOME")]
    pub home: Option<PathBuf>,
    /// Store URL: `sqlite:PATH` or `postgres://...` (default: SQLite in the data directory).
    #[arg(long, global = true, env = "CST_STORE")]
    pub store: Option<String>,
}

impl HomeArgs {
    /// The data directory.
    pub fn dir(&self) -> PathBuf {
        self.home.clone().unwrap_or_else(|| PathBuf::from("cst-data"))
    }

    /// The store URL, creating the data directory for the default SQLite file.
    pub fn store_url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.store {
            return Ok(url.clone());
        }
        let dir = self.dir();
        std::fs::create_dir_all(&dir)
            .map_err(|e| anyhow::anyhow!("cannot create data directory {}: {e}", dir.display()))?;
        Ok(format!("sqlite:{}", dir.join("cst.sqlite").display()))
    }
}
