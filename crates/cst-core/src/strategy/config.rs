//! Strategy files (TOML). Parsed and validated once: an unknown key or an out-of-range value is
//! refused with the key's name and the allowed range.

use serde::{Deserialize, Deserializer};

/// Why a strategy file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not TOML, or a value of the wrong type (the message names the key).
    #[error("strategy file: {0}")]
    Syntax(String),
    /// A key no strategy section knows.
    #[error("unknown key `{key}`; allowed keys: {allowed}")]
    UnknownKey {
        /// The dotted key.
        key: String,
        /// The keys this section accepts.
        allowed: String,
    },
    /// A value outside its allowed range.
    #[error("`{key}` = {value} is out of range; allowed: {range}")]
    OutOfRange {
        /// The dotted key.
        key: String,
        /// The value given.
        value: String,
        /// The allowed range.
        range: String,
    },
    /// A strategy name we do not have.
    #[error("unknown strategy `{0}`; built-ins: sma-cross, rsi-reversion, breakout")]
    UnknownStrategy(String),
}

/// A built-in strategy and its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StrategySpec {
    /// `sma-cross`: fast/slow SMA of closes (defaults 10/30).
    SmaCross {
        /// Fast window (2..=1000, < slow).
        fast: usize,
        /// Slow window (3..=5000).
        slow: usize,
    },
    /// `rsi-reversion`: Wilder RSI (defaults 14, enter < 30, exit > 70).
    RsiReversion {
        /// RSI period (2..=500).
        period: usize,
        /// Enter long below this RSI (0..100).
        entry_below: f64,
        /// Exit above this RSI (entry_below..100).
        exit_above: f64,
    },
    /// `breakout`: Donchian channel (defaults 20 entry, 10 exit).
    Breakout {
        /// Entry channel length (2..=1000).
        entry_period: usize,
        /// Exit channel length (2..=1000).
        exit_period: usize,
    },
}

impl StrategySpec {
    /// The built-in with its documented defaults, by name.
    pub fn builtin(name: &str) -> Result<Self, ConfigError> {
        match name {
            "sma-cross" => Ok(StrategySpec::SmaCross { fast: 10, slow: 30 }),
            "rsi-reversion" => Ok(StrategySpec::RsiReversion { period: 14, entry_below: 30.0, exit_above: 70.0 }),
            "breakout" => Ok(StrategySpec::Breakout { entry_period: 20, exit_period: 10 }),
            other => Err(ConfigError::UnknownStrategy(other.to_string())),
        }
    }

    /// The built-in's name.
    pub fn name(&self) -> &'static str {
        match self {
            StrategySpec::SmaCross { .. } => "sma-cross",
            StrategySpec::RsiReversion { .. } => "rsi-reversion",
            StrategySpec::Breakout { .. } => "breakout",
        }
    }
}

fn out_of_range(key: &str, value: impl ToString, range: &str) -> ConfigError {
    ConfigError::OutOfRange { key: key.to_string(), value: value.to_string(), range: range.to_string() }
}

fn int_in(table: &toml::Table, key: &str, default: usize, lo: usize, hi: usize) -> Result<usize, ConfigError> {
    let full = format!("strategy.{key}");
    let Some(v) = table.get(key) else { return Ok(default) };
    let n = v.as_integer().ok_or_else(|| ConfigError::Syntax(format!("`{full}` must be an integer")))?;
    if n < lo as i64 || n > hi as i64 {
        return Err(out_of_range(&full, n, &format!("{lo}..={hi}")));
    }
    Ok(n as usize)
}

fn float_in(table: &toml::Table, key: &str, default: f64, lo: f64, hi: f64) -> Result<f64, ConfigError> {
    let full = format!("strategy.{key}");
    let Some(v) = table.get(key) else { return Ok(default) };
    let x = v
        .as_float()
        .or_else(|| v.as_integer().map(|i| i as f64))
        .ok_or_else(|| ConfigError::Syntax(format!("`{full}` must be a number")))?;
    if !(lo..=hi).contains(&x) {
        return Err(out_of_range(&full, x, &format!("{lo}..={hi}")));
    }
    Ok(x)
}

fn refuse_unknown(table: &toml::Table, section: &str, allowed: &[&str]) -> Result<(), ConfigError> {
    match table.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(ConfigError::UnknownKey { key: format!("{section}.{k}"), allowed: allowed.join(", ") }),
        None => Ok(()),
    }
}

/// Parses a `[strategy]` table: `name` plus that strategy's parameters.
pub fn parse_strategy_spec(table: &toml::Table) -> Result<StrategySpec, ConfigError> {
    let name = table.get("name").and_then(|v| v.as_str()).ok_or_else(|| {
        ConfigError::Syntax("`strategy.name` is required (sma-cross, rsi-reversion, breakout)".into())
    })?;
    match StrategySpec::builtin(name)? {
        StrategySpec::SmaCross { fast, slow } => {
            refuse_unknown(table, "strategy", &["name", "fast", "slow"])?;
            let fast = int_in(table, "fast", fast, 2, 1000)?;
            let slow = int_in(table, "slow", slow, 3, 5000)?;
            if fast >= slow {
                return Err(out_of_range("strategy.fast", fast, &format!("2..{slow} (below strategy.slow)")));
            }
            Ok(StrategySpec::SmaCross { fast, slow })
        }
        StrategySpec::RsiReversion { period, entry_below, exit_above } => {
            refuse_unknown(table, "strategy", &["name", "period", "entry_below", "exit_above"])?;
            let period = int_in(table, "period", period, 2, 500)?;
            let entry_below = float_in(table, "entry_below", entry_below, 0.0, 100.0)?;
            let exit_above = float_in(table, "exit_above", exit_above, entry_below, 100.0)?;
            Ok(StrategySpec::RsiReversion { period, entry_below, exit_above })
        }
        StrategySpec::Breakout { entry_period, exit_period } => {
            refuse_unknown(table, "strategy", &["name", "entry_period", "exit_period"])?;
            let entry_period = int_in(table, "entry_period", entry_period, 2, 1000)?;
            let exit_period = int_in(table, "exit_period", exit_period, 2, 1000)?;
            Ok(StrategySpec::Breakout { entry_period, exit_period })
        }
    }
}

/// A whole strategy file: `[strategy]` plus optional `[sizing]`, `[gate]`, `[risk]`,
/// `[execution]` and `[venue]` sections (each key documented on its settings type).
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyFile {
    /// The strategy.
    pub spec: StrategySpec,
    /// Engine settings.
    pub engine: crate::engine::EngineConfig,
    /// Venue settings.
    pub venue: crate::sim_venue::VenueConfig,
}

const SECTIONS: [&str; 6] = ["strategy", "sizing", "gate", "risk", "execution", "venue"];

fn section<T: serde::de::DeserializeOwned + Default>(root: &toml::Table, name: &str) -> Result<T, ConfigError> {
    match root.get(name) {
        None => Ok(T::default()),
        Some(v) => v.clone().try_into().map_err(|e| section_error(name, e)),
    }
}

/// Parses and validates a strategy file; the first problem is reported with its key.
pub fn parse_strategy_file(text: &str) -> Result<StrategyFile, ConfigError> {
    let root: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError::Syntax(e.message().to_string()))?;
    if let Some(k) = root.keys().find(|k| !SECTIONS.contains(&k.as_str())) {
        return Err(ConfigError::UnknownKey { key: k.clone(), allowed: SECTIONS.join(", ") });
    }
    let table = root
        .get("strategy")
        .and_then(|v| v.as_table())
        .ok_or_else(|| ConfigError::Syntax("a [strategy] section with `name` is required".to_string()))?;
    let spec = parse_strategy_spec(table)?;
    let engine = crate::engine::EngineConfig {
        sizing: section(&root, "sizing")?,
        gate: section(&root, "gate")?,
        risk: section(&root, "risk")?,
        execution: section(&root, "execution")?,
    };
    let venue: crate::sim_venue::VenueConfig = section(&root, "venue")?;
    engine.sizing.validate()?;
    check_range("gate.threshold", engine.gate.threshold, 0.5, 1.0)?;
    engine.risk.validate()?;
    engine.execution.validate()?;
    venue.validate()?;
    Ok(StrategyFile { spec, engine, venue })
}

/// Deserializes a decimal written as a TOML integer, float or string (money limits).
pub(crate) fn decimal_from_toml<'de, D: Deserializer<'de>>(d: D) -> Result<rust_decimal::Decimal, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        I(i64),
        F(f64),
        S(String),
    }
    let text = match Raw::deserialize(d)? {
        Raw::I(i) => i.to_string(),
        Raw::F(f) => f.to_string(),
        Raw::S(s) => s,
    };
    crate::num::parse_decimal(&text).map_err(serde::de::Error::custom)
}

/// Checks that `value` lies in `lo..=hi`, naming the key otherwise.
pub(crate) fn check_range(key: &str, value: f64, lo: f64, hi: f64) -> Result<(), ConfigError> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(out_of_range(key, value, &format!("{lo}..={hi}")))
    }
}

/// Maps a serde error of a section to [`ConfigError`] (unknown fields keep serde's key list).
pub(crate) fn section_error(section: &str, e: impl std::fmt::Display) -> ConfigError {
    let msg = e.to_string();
    if let Some(rest) = msg.split("unknown field `").nth(1) {
        let key = rest.split('`').next().unwrap_or_default();
        let allowed = msg.split("expected ").nth(1).unwrap_or_default().trim().to_string();
        return ConfigError::UnknownKey { key: format!("{section}.{key}"), allowed };
    }
    ConfigError::Syntax(format!("[{section}]: {msg}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        text.parse::<toml::Table>().expect("toml")
    }

    #[test]
    fn refuses_unknown_risk_key_and_out_of_range_risk_value() {
        let err = parse_strategy_file("[strategy]\nname = 'breakout'\n[risk]\nmax_drawdwn = 0.2").expect_err("unknown");
        assert!(err.to_string().starts_with("unknown key `risk.max_drawdwn`; allowed keys:"), "{err}");
        let err = parse_strategy_file("[strategy]\nname = 'breakout'\n[risk]\nmax_drawdown = 1.5").expect_err("range");
        assert_eq!(err.to_string(), "`risk.max_drawdown` = 1.5 is out of range; allowed: 0..=1");
    }

    #[test]
    fn parses_a_full_strategy_file() {
        let text = "[strategy]\nname = 'sma-cross'\nfast = 5\nslow = 20\n[risk]\nmax_pair_notional = '5000.50'\n\
                    [venue]\nlatency_ms = 120\n[execution]\norder_type = 'post-only'";
        let f = parse_strategy_file(text).expect("valid");
        assert_eq!(f.spec, StrategySpec::SmaCross { fast: 5, slow: 20 });
        assert_eq!(f.engine.risk.max_pair_notional, Some(rust_decimal::dec!(5000.50)));
        assert_eq!(f.venue.latency_ms, 120);
    }

    #[test]
    fn sma_cross_defaults_are_10_30() {
        assert_eq!(
            parse_strategy_spec(&table("name = 'sma-cross'")),
            Ok(StrategySpec::SmaCross { fast: 10, slow: 30 })
        );
    }

    #[test]
    fn refuses_unknown_key_naming_it_and_the_allowed_keys() {
        let err = parse_strategy_spec(&table("name = 'sma-cross'\nfsat = 5")).expect_err("unknown");
        assert_eq!(err.to_string(), "unknown key `strategy.fsat`; allowed keys: name, fast, slow");
    }

    #[test]
    fn refuses_out_of_range_value_naming_key_and_range() {
        let err = parse_strategy_spec(&table("name = 'rsi-reversion'\nperiod = 1")).expect_err("range");
        assert_eq!(err.to_string(), "`strategy.period` = 1 is out of range; allowed: 2..=500");
        let err = parse_strategy_spec(&table("name = 'sma-cross'\nfast = 40")).expect_err("fast >= slow");
        assert!(err.to_string().contains("strategy.fast"), "{err}");
    }
}
