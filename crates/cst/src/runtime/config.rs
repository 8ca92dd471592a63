//! `cst run` settings: one TOML file (`--config FILE`, unknown keys refused), overridden by
//! command-line flags and their environment variables, validated once into a [`RunConfig`].
//! Secrets never live here: they come from the environment or a 0600 file (see [`secrets`]).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The `[run]` table of the config file; every key optional, unknown keys refused.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunFile {
    /// Built-in strategy name or strategy TOML file.
    pub strategy: Option<String>,
    /// Pairs (`["XBT/USD"]`).
    pub pairs: Option<Vec<String>>,
    /// Candle interval (`1h`).
    pub interval: Option<String>,
    /// First candle open time.
    pub from: Option<String>,
    /// Last candle open time.
    pub to: Option<String>,
    /// Starting cash (quote), as a decimal string.
    pub cash: Option<String>,
    /// Replay speed (0 = as fast as possible).
    pub speed: Option<f64>,
    /// API listen address.
    pub listen: Option<String>,
    /// Redis URL of the optional cache (`""` disables it).
    pub redis: Option<String>,
    /// Run id (default: derived from the configuration).
    pub run_id: Option<String>,
}

/// The whole config file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Run settings.
    #[serde(default)]
    pub run: RunFile,
}

impl ConfigFile {
    /// Reads and parses a config file, refusing unknown keys.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| anyhow::anyhow!("config {}: {e}", path.display()))
    }

    /// Parses config text.
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }
}

/// The part of the configuration that decides what the run computes: its hash names the run,
/// so a restart with the same arguments resumes the same journal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identity {
    /// Strategy (name, or file contents for a strategy file).
    pub strategy: String,
    /// Pairs.
    pub pairs: Vec<String>,
    /// Interval.
    pub interval: String,
    /// Range start.
    pub from: Option<String>,
    /// Range end.
    pub to: Option<String>,
    /// Starting cash.
    pub cash: String,
    /// Data source (`store` or the replay files).
    pub source: String,
    /// AssetPairs files.
    pub asset_pairs: Vec<PathBuf>,
    /// `paper` or `live`.
    pub mode: String,
}

impl Identity {
    /// Canonical JSON.
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// FNV-1a 64 of the canonical JSON, as 16 hex digits.
    pub fn hash(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.canonical().bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}")
    }
}

/// Secrets for live trading: from the environment or a file only its owner can read.
pub mod secrets {
    use std::path::Path;

    /// Kraken API key and secret, never printed.
    pub struct KrakenKeys {
        /// API key.
        pub key: String,
        /// API secret (base64).
        pub secret: String,
    }

    impl std::fmt::Debug for KrakenKeys {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("KrakenKeys(<redacted>)")
        }
    }

    /// Reads `KRAKEN_API_KEY` / `KRAKEN_API_SECRET`, or a file of `key=...` / `secret=...`
    /// lines that must have mode 0600.
    pub fn kraken_keys(file: Option<&Path>) -> anyhow::Result<KrakenKeys> {
        if let Some(path) = file {
            return from_file(path);
        }
        match (std::env::var("KRAKEN_API_KEY"), std::env::var("KRAKEN_API_SECRET")) {
            (Ok(key), Ok(secret)) if !key.is_empty() && !secret.is_empty() => Ok(KrakenKeys { key, secret }),
            _ => anyhow::bail!("live trading needs KRAKEN_API_KEY and KRAKEN_API_SECRET, or --secret-file FILE (0600)"),
        }
    }

    fn from_file(path: &Path) -> anyhow::Result<KrakenKeys> {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(|e| anyhow::anyhow!("secret file {}: {e}", path.display()))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode != 0o600 {
            anyhow::bail!("secret file {} has mode {mode:o}; it must be 600 (chmod 600 FILE)", path.display());
        }
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("secret file {}: {e}", path.display()))?;
        let value = |name: &str| {
            text.lines().find_map(|l| l.trim().strip_prefix(name).and_then(|r| r.trim_start().strip_prefix('=')))
        };
        match (value("key"), value("secret")) {
            (Some(k), Some(s)) => Ok(KrakenKeys { key: k.trim().to_string(), secret: s.trim().to_string() }),
            _ => anyhow::bail!("secret file {} needs `key = ...` and `secret = ...` lines", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_file_refuses_unknown_keys() {
        let err = ConfigFile::parse("[run]\nstrategy = \"sma-cross\"\nspeeed = 3\n").unwrap_err();
        assert!(err.to_string().contains("speeed"), "{err}");
        assert!(ConfigFile::parse("[risk]\n").is_err());
    }

    #[test]
    fn config_file_reads_every_run_key() {
        let text = "[run]\nstrategy = \"sma-cross\"\npairs = [\"XBT/USD\"]\ninterval = \"1h\"\nfrom = \"2019-01-01T00:00:00Z\"\n\
                    to = \"2019-12-31T23:00:00Z\"\ncash = \"10000\"\nspeed = 0.0\nlisten = \"127.0.0.1:8080\"\n\
                    run_id = \"r1\"\n";
        let c = ConfigFile::parse(text).unwrap().run;
        assert_eq!(c.pairs.as_deref(), Some(&["XBT/USD".to_string()][..]));
        assert_eq!(
            (c.speed, c.listen.as_deref(), c.run_id.as_deref()),
            (Some(0.0), Some("127.0.0.1:8080"), Some("r1"))
        );
    }

    #[test]
    fn identity_hash_changes_with_what_the_run_computes() {
        let a = Identity {
            strategy: "sma-cross".into(),
            pairs: vec!["XBT/USD".into()],
            interval: "1h".into(),
            from: None,
            to: None,
            cash: "10000".into(),
            source: "store".into(),
            asset_pairs: vec![],
            mode: "paper".into(),
        };
        let mut b = a.clone();
        assert_eq!(a.hash(), b.hash());
        b.cash = "10001".into();
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn secret_file_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kraken.keys");
        std::fs::write(&path, "key = abc\nsecret = c2VjcmV0\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = secrets::kraken_keys(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("must be 600"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let keys = secrets::kraken_keys(Some(&path)).unwrap();
        assert_eq!(keys.key, "abc");
        assert_eq!(format!("{keys:?}"), "KrakenKeys(<redacted>)");
    }
}
