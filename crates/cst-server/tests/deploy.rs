//! The shipped monitoring files agree with the code: every metric the alerts and the Grafana
//! dashboard use is one `metrics.rs` documents, the dashboard covers every metric, severities are
//! the four agreed ones, and promtool accepts the rules and their unit tests.

use cst_server::metrics;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

fn deploy_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(deploy_dir().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Metric names (`cst_...`) in a text, histogram suffixes removed.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(pos) = rest.find("cst_") {
        let tail = &rest[pos..];
        let end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(tail.len());
        let name = &tail[..end];
        let base = ["_bucket", "_count", "_sum"].iter().fold(name, |n, s| n.strip_suffix(s).unwrap_or(n));
        out.insert(base.to_string());
        rest = &tail[end..];
    }
    out
}

#[test]
fn alerts_and_dashboard_use_only_documented_metrics() {
    let documented: BTreeSet<String> = metrics::ALL.iter().map(|s| s.to_string()).collect();
    for file in ["prometheus/alerts.yml", "prometheus/alerts_test.yml", "grafana/cst.json"] {
        let unknown: Vec<String> = metric_names(&read(file)).difference(&documented).cloned().collect();
        assert!(unknown.is_empty(), "{file} uses undocumented metrics {unknown:?}");
    }
}

#[test]
fn grafana_dashboard_is_json_and_charts_every_metric() {
    let text = read("grafana/cst.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(v["uid"], "cst-overview");
    let used = metric_names(&text);
    let missing: Vec<&str> = metrics::ALL.iter().copied().filter(|m| !used.contains(*m)).collect();
    assert!(missing.is_empty(), "no Grafana panel for {missing:?}");
}

#[test]
fn alerts_carry_one_of_the_four_severities_and_cover_the_required_cases() {
    let text = read("prometheus/alerts.yml");
    let severities: BTreeSet<&str> =
        text.lines().filter_map(|l| l.split("severity: ").nth(1)).map(|s| s.trim_end_matches('}').trim()).collect();
    let allowed: BTreeSet<&str> = ["INFO", "WARNING", "CRITICAL", "EMERGENCY"].into();
    assert_eq!(severities, allowed, "every severity used, none other");
    for alert in ["CstFeedDown", "CstBookDesync", "CstDrawdownNearLimit", "CstKillSwitchHalt", "CstAgentFlapping"] {
        assert!(text.contains(&format!("alert: {alert}\n")), "{alert} missing");
    }
}

#[test]
fn promtool_accepts_the_rules_and_their_unit_tests() {
    let Ok(version) = Command::new("promtool").arg("--version").output() else {
        assert!(std::env::var("CI").is_err(), "CI must install promtool: bash ci/test-tools.sh");
        eprintln!("promtool not installed (apt-get install prometheus): skipped outside CI");
        return;
    };
    assert!(version.status.success());
    let dir = deploy_dir().join("prometheus");
    for args in [["check", "rules", "alerts.yml"], ["test", "rules", "alerts_test.yml"]] {
        let out = Command::new("promtool").args(args).current_dir(&dir).output().expect("promtool runs");
        assert!(
            out.status.success(),
            "promtool {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
