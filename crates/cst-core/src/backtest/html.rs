//! `report.html`: a single self-contained page (no scripts, no network) with equity, drawdown
//! and per-trade PnL charts drawn as inline SVG by this code.

use super::CurvePoint;
use super::report::Report;
use super::trades::RoundTrip;
use rust_decimal::prelude::ToPrimitive;
use std::fmt::Write as _;

const W: f64 = 960.0;
const H: f64 = 220.0;
/// Charts keep at most this many points (every k-th bar), enough for the eye.
const MAX_POINTS: usize = 2_000;

fn polyline(values: &[f64], lo: f64, hi: f64, color: &str) -> String {
    let n = values.len().max(2) as f64 - 1.0;
    let span = if hi > lo { hi - lo } else { 1.0 };
    let mut pts = String::new();
    for (k, v) in values.iter().enumerate() {
        let _ = write!(pts, "{:.1},{:.1} ", k as f64 / n * W, H - (v - lo) / span * H);
    }
    format!("<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.2\" points=\"{}\"/>", pts.trim_end())
}

fn svg(title: &str, body: &str, lo: f64, hi: f64) -> String {
    format!(
        "<h2>{title}</h2><svg viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{title}\">\
         <rect width=\"{W}\" height=\"{H}\" fill=\"#fafafa\" stroke=\"#ccc\"/>{body}\
         <text x=\"4\" y=\"12\" font-size=\"11\">{hi:.2}</text><text x=\"4\" y=\"{}\" font-size=\"11\">{lo:.2}</text></svg>",
        H - 4.0
    )
}

fn sampled(curve: &[CurvePoint]) -> Vec<f64> {
    let step = curve.len().div_ceil(MAX_POINTS).max(1);
    curve.iter().step_by(step).map(|p| p.equity).collect()
}

fn trade_bars(trades: &[RoundTrip]) -> (String, f64, f64) {
    let pnl: Vec<f64> = trades.iter().map(|t| t.pnl.to_f64().unwrap_or(0.0)).collect();
    let hi = pnl.iter().copied().fold(0.0, f64::max);
    let lo = pnl.iter().copied().fold(0.0, f64::min);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let zero = H - (0.0 - lo) / span * H;
    let w = W / pnl.len().max(1) as f64;
    let mut body = format!("<line x1=\"0\" x2=\"{W}\" y1=\"{zero:.1}\" y2=\"{zero:.1}\" stroke=\"#999\"/>");
    for (k, v) in pnl.iter().enumerate() {
        let y = H - (v - lo) / span * H;
        let (top, height) = if *v >= 0.0 { (y, zero - y) } else { (zero, y - zero) };
        let color = if *v >= 0.0 { "#2a9d4b" } else { "#c0392b" };
        let _ = write!(
            body,
            "<rect x=\"{:.2}\" y=\"{top:.1}\" width=\"{:.2}\" height=\"{height:.1}\" fill=\"{color}\"/>",
            k as f64 * w,
            (w * 0.8).max(0.5)
        );
    }
    (body, lo, hi)
}

fn metrics_table(r: &Report) -> String {
    let rows = [
        ("strategy", r.strategy.clone()),
        ("pairs", r.pairs.join(", ")),
        ("period", format!("{} → {} ({} bars, {})", r.from, r.to, r.bars, r.interval)),
        ("equity", format!("{} → {}", r.initial_equity, r.final_equity.round_dp(2))),
        ("total return", format!("{:.2}%", r.total_return * 100.0)),
        ("CAGR", format!("{:.2}%", r.cagr * 100.0)),
        ("Sharpe / Sortino", format!("{:.3} / {:.3}", r.sharpe, r.sortino)),
        ("max drawdown / Calmar", format!("{:.2}% / {:.3}", r.max_drawdown * 100.0, r.calmar)),
        ("trades / win rate", format!("{} / {:.1}%", r.trades, r.win_rate * 100.0)),
        ("profit factor", r.profit_factor.map_or("n/a".into(), |p| format!("{p:.3}"))),
        ("exposure / turnover", format!("{:.1}% / {:.2}", r.exposure * 100.0, r.turnover)),
        ("fees / slippage", format!("{} / {}", r.fees_paid.round_dp(2), r.slippage_cost.round_dp(2))),
        (
            "attribution",
            format!(
                "alpha {} · timing {} · slippage {} · fees {} · sizing {} = {}",
                r.attribution.alpha.round_dp(2),
                r.attribution.timing.round_dp(2),
                r.attribution.slippage.round_dp(2),
                r.attribution.fees.round_dp(2),
                r.attribution.sizing.round_dp(2),
                r.attribution.total.round_dp(2)
            ),
        ),
        ("signal gate", r.gate.clone()),
        ("kill switch", format!("{:?} ({} transitions)", r.risk.kill_level, r.risk.kill_transitions.len())),
    ];
    let mut t = String::from("<table>");
    for (k, v) in rows {
        let _ = write!(t, "<tr><th>{k}</th><td>{}</td></tr>", escape(&v));
    }
    t.push_str("</table>");
    t
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Renders the whole page.
pub(super) fn render(r: &Report, curve: &[CurvePoint], trades: &[RoundTrip]) -> String {
    let eq = sampled(curve);
    let (lo, hi) = (eq.iter().copied().fold(f64::MAX, f64::min), eq.iter().copied().fold(f64::MIN, f64::max));
    let mut peak = f64::MIN;
    let dd: Vec<f64> = eq
        .iter()
        .map(|&e| {
            peak = peak.max(e);
            -(1.0 - e / peak) * 100.0
        })
        .collect();
    let dd_lo = dd.iter().copied().fold(0.0, f64::min);
    let (bars, t_lo, t_hi) = trade_bars(trades);
    let mut page = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>cst backtest</title><style>\
         body{font-family:sans-serif;margin:2em;max-width:1000px}th{text-align:left;padding-right:1em}\
         td,th{border-bottom:1px solid #eee;padding:2px}</style></head><body><h1>Backtest report</h1>",
    );
    page.push_str(&metrics_table(r));
    page.push_str(&svg("Equity", &polyline(&eq, lo, hi, "#1f5fa8"), lo, hi));
    page.push_str(&svg("Drawdown (%)", &polyline(&dd, dd_lo, 0.0, "#c0392b"), dd_lo, 0.0));
    page.push_str(&svg("PnL per trade", &bars, t_lo, t_hi));
    page.push_str("</body></html>\n");
    page
}
