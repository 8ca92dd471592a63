//! Recipe options shared by the `walkforward` and `holdout` examples, so a variant chosen on the
//! development folds is measured with exactly the same settings on the reported folds and June.

use cst_ml::calibration::Method;
use cst_ml::pipeline::TrainConfig;

/// The value of `name=value` among the program's arguments.
pub fn arg(name: &str) -> Option<String> {
    std::env::args().find_map(|a| a.strip_prefix(&format!("{name}=")).map(str::to_string))
}

/// Whether the bare word `name` is among the program's arguments.
pub fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// Applies `online=off|platt|intercept`, `window=N`, `prior=X`, `mix=on|off`, `uniq=on|off`,
/// `calib=isotonic|platt` and `per-regime` to `cfg`; without them `cfg` stays the shipped recipe.
pub fn apply(cfg: &mut TrainConfig) {
    match arg("online").as_deref() {
        Some("off") => cfg.online.enabled = false,
        Some("intercept") => cfg.online.fit_slope = false,
        Some("platt") | None => {}
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
    if flag("per-regime") {
        cfg.calibrate_per_regime = true;
    }
}
