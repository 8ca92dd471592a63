//! Risk limits (`[risk]` in a strategy file). Money limits are exact decimals in quote currency;
//! ratios are fractions. `None` switches a rule off.

use crate::event::KillLevel;
use crate::strategy::{ConfigError, check_range, decimal_from_toml};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    decimal_from_toml(d).map(Some)
}

fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    decimal_from_toml(d)
}

/// Every limit the guard enforces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskLimits {
    /// Largest position per pair, base units.
    #[serde(deserialize_with = "opt_decimal")]
    pub max_position_qty: Option<Decimal>,
    /// Largest notional per pair, quote units.
    #[serde(deserialize_with = "opt_decimal")]
    pub max_pair_notional: Option<Decimal>,
    /// Largest notional across pairs, quote units.
    #[serde(deserialize_with = "opt_decimal")]
    pub max_total_notional: Option<Decimal>,
    /// Largest exposure to one base asset across pairs, quote units.
    #[serde(deserialize_with = "opt_decimal")]
    pub max_asset_exposure: Option<Decimal>,
    /// Refuse adding to a pair whose return correlation with a held pair exceeds this (-1..=1).
    pub correlation_limit: Option<f64>,
    /// Returns kept per pair for the correlation rule (bars).
    pub correlation_window: usize,
    /// Refuse new exposure once the day's loss reaches this fraction of the day's start equity.
    pub daily_loss_limit: Option<f64>,
    /// Refuse new exposure once drawdown from the peak reaches this fraction.
    pub max_drawdown: Option<f64>,
    /// Most orders per rate window (0 = unlimited).
    pub max_orders_per_window: u32,
    /// Rate window length.
    pub order_window_secs: i64,
    /// Largest distance of an order price from the book mid / last price.
    #[serde(deserialize_with = "decimal")]
    pub fat_finger_bps: Decimal,
    /// Oldest market data an order may be based on.
    pub max_data_age_secs: i64,
    /// Drawdown that raises the kill switch to warn.
    pub kill_warn_drawdown: Option<f64>,
    /// Drawdown that raises it to reduce-only.
    pub kill_reduce_only_drawdown: Option<f64>,
    /// Drawdown that raises it to flatten.
    pub kill_flatten_drawdown: Option<f64>,
    /// Drawdown that raises it to halt.
    pub kill_halt_drawdown: Option<f64>,
}

impl Default for RiskLimits {
    /// Permissive defaults: hard position limits off, warn at 25 % drawdown, 10 orders a minute,
    /// a 5 % fat-finger band and data at most two hours old.
    fn default() -> Self {
        Self {
            max_position_qty: None,
            max_pair_notional: None,
            max_total_notional: None,
            max_asset_exposure: None,
            correlation_limit: None,
            correlation_window: 48,
            daily_loss_limit: None,
            max_drawdown: None,
            max_orders_per_window: 10,
            order_window_secs: 60,
            fat_finger_bps: Decimal::from(500),
            max_data_age_secs: 7_200,
            kill_warn_drawdown: Some(0.25),
            kill_reduce_only_drawdown: None,
            kill_flatten_drawdown: None,
            kill_halt_drawdown: None,
        }
    }
}

impl RiskLimits {
    /// Range checks, naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fractions = [
            ("risk.daily_loss_limit", self.daily_loss_limit),
            ("risk.max_drawdown", self.max_drawdown),
            ("risk.kill_warn_drawdown", self.kill_warn_drawdown),
            ("risk.kill_reduce_only_drawdown", self.kill_reduce_only_drawdown),
            ("risk.kill_flatten_drawdown", self.kill_flatten_drawdown),
            ("risk.kill_halt_drawdown", self.kill_halt_drawdown),
        ];
        for (key, v) in fractions {
            if let Some(v) = v {
                check_range(key, v, 0.0, 1.0)?;
            }
        }
        if let Some(c) = self.correlation_limit {
            check_range("risk.correlation_limit", c, -1.0, 1.0)?;
        }
        check_range("risk.correlation_window", self.correlation_window as f64, 2.0, 10_000.0)?;
        check_range("risk.order_window_secs", self.order_window_secs as f64, 1.0, 86_400.0)?;
        check_range("risk.max_data_age_secs", self.max_data_age_secs as f64, 1.0, 31_536_000.0)?;
        let bps = rust_decimal::prelude::ToPrimitive::to_f64(&self.fat_finger_bps).unwrap_or(f64::NAN);
        check_range("risk.fat_finger_bps", bps, 1.0, 10_000.0)
    }

    /// The smallest drawdown that moves the kill switch (∞ when none is set).
    #[inline]
    pub(crate) fn lowest_kill_drawdown(&self) -> f64 {
        [self.kill_warn_drawdown, self.kill_reduce_only_drawdown, self.kill_flatten_drawdown, self.kill_halt_drawdown]
            .into_iter()
            .flatten()
            .fold(f64::INFINITY, f64::min)
    }

    /// The highest kill level whose drawdown threshold `dd` has reached.
    pub(crate) fn kill_level_for(&self, dd: f64) -> Option<KillLevel> {
        let steps = [
            (self.kill_halt_drawdown, KillLevel::Halt),
            (self.kill_flatten_drawdown, KillLevel::Flatten),
            (self.kill_reduce_only_drawdown, KillLevel::ReduceOnly),
            (self.kill_warn_drawdown, KillLevel::Warn),
        ];
        steps.into_iter().find(|(t, _)| t.is_some_and(|t| dd >= t)).map(|(_, l)| l)
    }
}
