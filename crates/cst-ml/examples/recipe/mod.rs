//! Recipe options shared by the `walkforward` and `holdout` examples, so a variant chosen on the
//! development folds is measured with exactly the same settings on the reported folds and June.

use cst_ml::calibration::Method;
use cst_ml::pipeline::TrainConfig;
use cst_ml::recalibration::OnlineConfig;

/// The five pairs of the 2023 H1 15-minute set: (pair, file stem in `intraday-2023/h1-15m/`).
pub const PAIRS: [(&str, &str); 5] = [
    ("XBT/USD", "XBTUSD"),
    ("ETH/USD", "ETHUSD"),
    ("SOL/USD", "SOLUSD"),
    ("DOT/USD", "DOTUSD"),
    ("AVAX/USD", "AVAXUSD"),
];

/// The value of `name=value` among the program's arguments.
pub fn arg(name: &str) -> Option<String> {
    std::env::args().find_map(|a| a.strip_prefix(&format!("{name}=")).map(str::to_string))
}

/// Whether the bare word `name` is among the program's arguments.
pub fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// Applies `online=off|platt|intercept` (on with the default settings, or off), `window=N`,
/// `prior=X`, `mix=on|off`, `uniq=on|off` (these four tune an enabled online correction),
/// `calib=isotonic|platt`, `calib-on=oof|block` and `per-regime` to `cfg`; without them `cfg` stays
/// the shipped recipe (`TrainConfig::full`).
pub fn apply(cfg: &mut TrainConfig) {
    match arg("online").as_deref() {
        Some("off") => cfg.online.enabled = false,
        Some("platt") => cfg.online = OnlineConfig::default(),
        Some("intercept") => cfg.online = OnlineConfig { fit_slope: false, ..OnlineConfig::default() },
        None => {}
        Some(o) => panic!("online={o}?"),
    }
    if let Some(w) = arg("window") {
        cfg.online.window = w.parse().expect("window");
    }
    match arg("mix").as_deref() {
        Some("off") => cfg.online.mix_with_static = false,
        Some("on") => cfg.online.mix_with_static = true,
        None => {}
        Some(o) => panic!("mix={o}?"),
    }
    match arg("uniq").as_deref() {
        Some("off") => cfg.online.uniqueness_weighting = false,
        Some("on") => cfg.online.uniqueness_weighting = true,
        None => {}
        Some(o) => panic!("uniq={o}?"),
    }
    if let Some(p) = arg("prior") {
        cfg.online.prior = p.parse().expect("prior");
    }
    match arg("calib").as_deref() {
        Some("platt") => cfg.calibration = Method::Platt,
        Some("isotonic") => cfg.calibration = Method::Isotonic,
        None => {}
        Some(o) => panic!("calib={o}?"),
    }
    match arg("calib-on").as_deref() {
        Some("oof") => cfg.calibrate_out_of_fold = true,
        Some("block") => cfg.calibrate_out_of_fold = false,
        None => {}
        Some(o) => panic!("calib-on={o}?"),
    }
    if flag("per-regime") {
        cfg.calibrate_per_regime = true;
    }
}
