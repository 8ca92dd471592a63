//! `cst models shadow` and `cst drift`: the model lifecycle after training. A challenger is scored in
//! shadow beside the champion on exactly the same out-of-sample rows (the `cst evaluate` scoring
//! path, not a copy of it) and promoted only when its Brier skill there beats the champion's by a
//! margin. `cst drift` exports a model's drift alarms over a window with an exit code a scheduler
//! can key a retrain on.

use anyhow::{Context, bail};
use clap::Args;
use cst_core::time::Timestamp;
use cst_ml::drift::{self, BrierDecay};
use cst_ml::evaluation::HorizonReport;
use cst_ml::pipeline::labelled_rows;
use cst_ml::walkforward::WalkForwardConfig;
use cst_store::Store;
use cst_store::models::Promotion;
use serde::Serialize;
use std::collections::HashSet;
use std::process::ExitCode;

use super::ml::{DataArgs, Loaded, block_on, brier_skill, load_for_scoring, now_secs, range, score, score_labelled};
use crate::home::HomeArgs;

/// Exit code of `cst drift` when any alarm is active (a cron or CI job runs `cst train` on it).
pub const DRIFT_EXIT: u8 = 3;
/// Exit code of `cst models shadow --promote` when the challenger is not promoted.
pub const NOT_PROMOTED_EXIT: u8 = 2;

/// `cst models shadow`.
#[derive(Debug, Clone, Args)]
pub struct ShadowArgs {
    /// Registry id of the challenger.
    #[arg(long)]
    challenger: String,
    /// Registry id of the champion (default: the champion of the challenger's slot).
    #[arg(long)]
    champion: Option<String>,
    #[command(flatten)]
    data: DataArgs,
    /// Required Brier-skill improvement over the champion on the shadow rows.
    #[arg(long, default_value_t = 0.002)]
    margin: f64,
    /// Promote the challenger when it beats the champion by the margin.
    #[arg(long)]
    promote: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `cst drift`.
#[derive(Debug, Clone, Args)]
pub struct DriftArgs {
    /// Registry id.
    #[arg(long)]
    model: String,
    #[command(flatten)]
    data: DataArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// One model's side of a shadow run.
#[derive(Debug, Serialize)]
struct Contender {
    id: String,
    /// Mean Brier skill over the compared horizons (the promotion score, on the shadow rows).
    score: f64,
    horizons: Vec<HorizonReport>,
}

/// The shadow verdict.
#[derive(Debug, Serialize)]
struct Shadow {
    from: Option<String>,
    to: Option<String>,
    champion: Contender,
    challenger: Contender,
    margin: f64,
    /// The challenger's score beats the champion's by at least the margin.
    challenger_wins: bool,
    promoted: bool,
    reason: String,
}

/// Runs `cst models shadow` (exit [`NOT_PROMOTED_EXIT`] when `--promote` did not promote).
pub async fn shadow(store: &Store, a: ShadowArgs) -> anyhow::Result<ExitCode> {
    if a.data.from.is_none() || a.data.to.is_none() {
        bail!("a shadow run needs --from and --to (a period after both models' training data)");
    }
    let champion = match &a.champion {
        Some(id) => id.clone(),
        None => {
            let (c, _) = store.model(&a.challenger).await?;
            store
                .champion(&c.slot)
                .await?
                .with_context(|| format!("slot {} has no champion: pass --champion or promote one first", c.slot))?
        }
    };
    if champion == a.challenger {
        bail!("{champion} is both champion and challenger");
    }
    refuse_overlap(store, &[&champion, &a.challenger], &a.data).await?;
    let champ = load_for_scoring(store, &champion, &a.data).await?;
    let chall = load_for_scoring(store, &a.challenger, &a.data).await?;
    let (cl, hl) = (&champ.file.body.model.config.labels, &chall.file.body.model.config.labels);
    if (cl.side, &cl.kind, &cl.fee) != (hl.side, &hl.kind, &hl.fee) {
        bail!(
            "the models label different outcomes (side, label rule or fee differ): their Brier scores do not compare"
        );
    }
    let common: Vec<(usize, usize)> = cl
        .horizons
        .iter()
        .enumerate()
        .filter_map(|(k, h)| hl.horizons.iter().position(|x| x == h).map(|j| (k, j)))
        .collect();
    if common.is_empty() {
        bail!("the models share no horizon ({:?} vs {:?})", cl.horizons, hl.horizons);
    }
    let (mut champ_reports, mut chall_reports) = (Vec::new(), Vec::new());
    for &(k, j) in &common {
        // The same (pair, decision time) rows for both: labelled for this horizon in both datasets.
        let (rc, rh) =
            (labelled_rows(&champ.ds, k, &champ.scored_rows), labelled_rows(&chall.ds, j, &chall.scored_rows));
        let (kc, kh) = (keys(&champ, &rc), keys(&chall, &rh));
        let rc: Vec<usize> = rc.into_iter().filter(|&i| kh.contains(&key(&champ, i))).collect();
        let rh: Vec<usize> = rh.into_iter().filter(|&i| kc.contains(&key(&chall, i))).collect();
        champ_reports.push(score_labelled(&champ, k, &rc));
        chall_reports.push(score_labelled(&chall, j, &rh));
    }
    let champion = Contender { id: champion, score: brier_skill(&champ_reports), horizons: champ_reports };
    let challenger =
        Contender { id: a.challenger.clone(), score: brier_skill(&chall_reports), horizons: chall_reports };
    let challenger_wins = challenger.score >= champion.score + a.margin;
    let comparison = format!(
        "shadow {}..{}: Brier skill {:.5} vs champion {} {:.5}, margin {}",
        a.data.from.as_deref().unwrap_or_default(),
        a.data.to.as_deref().unwrap_or_default(),
        challenger.score,
        champion.id,
        champion.score,
        a.margin
    );
    let (promoted, reason) = if !challenger_wins {
        (false, format!("not better by the margin: {comparison}"))
    } else if !a.promote {
        (false, format!("better by the margin (pass --promote to promote): {comparison}"))
    } else {
        match store.record_promotion(&challenger.id, &format!("beats on {comparison}"), now_secs()).await? {
            Promotion::Promoted { .. } => (true, format!("promoted: {comparison}")),
            Promotion::Refused { reason } => (false, reason),
        }
    };
    let out = Shadow {
        from: a.data.from.clone(),
        to: a.data.to.clone(),
        champion,
        challenger,
        margin: a.margin,
        challenger_wins,
        promoted,
        reason,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_shadow(&out);
    }
    Ok(if a.promote && !out.promoted { ExitCode::from(NOT_PROMOTED_EXIT) } else { ExitCode::SUCCESS })
}

/// Refuses a period that overlaps any model's training data range: the comparison must be out of
/// sample for both.
async fn refuse_overlap(store: &Store, ids: &[&str], d: &DataArgs) -> anyhow::Result<()> {
    let (from, to) = range(d)?;
    for id in ids {
        let (m, _) = store.model(id).await?;
        if from < m.train_to && m.train_from < to {
            bail!(
                "the period {}..{} overlaps the training data of {id} ({}..{}): shadow runs are out of sample only",
                day(from),
                day(to),
                day(m.train_from),
                day(m.train_to)
            );
        }
    }
    Ok(())
}

fn day(secs: i64) -> String {
    Timestamp::from_secs(secs).map(|t| t.to_rfc3339()).unwrap_or_else(|_| secs.to_string())
}

fn key(l: &Loaded, i: usize) -> (String, i64) {
    (l.ds.pairs[l.ds.pair_idx[i] as usize].clone(), l.ds.times[i])
}

fn keys(l: &Loaded, rows: &[usize]) -> HashSet<(String, i64)> {
    rows.iter().map(|&i| key(l, i)).collect()
}

fn print_shadow(s: &Shadow) {
    println!(
        "{:<11} {:<18} {:>3} {:>7} {:>7} {:>8} {:>7} {:>6}",
        "role", "model", "h", "n", "brier", "logloss", "ece", "auc"
    );
    for (role, side) in [("champion", &s.champion), ("challenger", &s.challenger)] {
        for h in &side.horizons {
            println!(
                "{role:<11} {:<18} {:>3} {:>7} {:>7.4} {:>8.4} {:>7.4} {:>6.3}",
                side.id, h.horizon, h.n, h.brier, h.log_loss, h.ece, h.auc
            );
        }
    }
    println!("{}", s.reason);
}

/// One feature's drift over the window.
#[derive(Debug, Serialize)]
struct FeatureDrift {
    name: String,
    psi: f64,
    ks: f64,
    /// The largest PSI of any window inside the training period (the alarm needs more, and the floor).
    null_psi: Option<f64>,
    null_ks: Option<f64>,
    psi_alarm: bool,
    ks_alarm: bool,
}

/// One horizon's rolling Brier at the window's end.
#[derive(Debug, Serialize)]
struct BrierDrift {
    horizon: usize,
    /// Resolved predictions in the window.
    resolved: usize,
    /// Rolling Brier over the last `brier_window` of them (`None` when fewer resolved).
    rolling: Option<f64>,
    /// The model's held-out Brier.
    reference: f64,
    alarm: Option<String>,
}

/// `cst drift`'s report.
#[derive(Debug, Serialize)]
struct DriftReport {
    model_id: String,
    from: String,
    to: String,
    rows: usize,
    features: Vec<FeatureDrift>,
    brier: Vec<BrierDrift>,
    /// Every active alarm (`psi:feature=..`, `ks:feature=..`, `brier_decay:h=..`).
    alarms: Vec<String>,
    active: bool,
}

/// Runs `cst drift`: exit 0 when no alarm is active, [`DRIFT_EXIT`] when any is.
pub fn drift(home: &HomeArgs, a: DriftArgs) -> anyhow::Result<ExitCode> {
    block_on(home, async |store| {
        let l = load_for_scoring(store, &a.model, &a.data).await?;
        let m = &l.file.body.model;
        let limits = m.config.drift;
        // Without --from the window is the drift window the gate judges: the last days of the data.
        let rows: Vec<usize> = match &a.data.from {
            Some(_) => l.scored_rows.clone(),
            None => {
                let last = l.scored_rows.last().map_or(0, |&i| l.ds.times[i]);
                let lo = last - WalkForwardConfig::default().drift_window_days * 86_400;
                l.scored_rows.iter().copied().filter(|&i| l.ds.times[i] > lo).collect()
            }
        };
        let x: Vec<&[f64]> = rows.iter().map(|&i| l.ds.x[i].as_slice()).collect();
        let features: Vec<FeatureDrift> = m
            .drift_refs
            .iter()
            .enumerate()
            .map(|(j, r)| {
                let col: Vec<f64> = x.iter().map(|row| row[j]).collect();
                let (psi, ks) = (drift::psi(r, &col), drift::ks(r, &col));
                FeatureDrift {
                    name: r.name.clone(),
                    psi,
                    ks,
                    null_psi: r.null_psi,
                    null_ks: r.null_ks,
                    psi_alarm: r.psi_alarm(psi, limits),
                    ks_alarm: r.ks_alarm(ks, limits),
                }
            })
            .collect();
        // The same alarm strings the gate uses, from the same function.
        let mut alarms = drift::feature_alarms(&m.drift_refs, &x, limits);
        let mut brier = Vec::new();
        for (k, hm) in m.horizons.iter().enumerate() {
            let labelled = labelled_rows(&l.ds, k, &rows);
            let scored = score(&l, k, &labelled);
            // Resolved outcomes in the order they resolved, as the gate's decay sees them.
            let t = &l.ds.targets[k];
            let mut resolved: Vec<(i64, f64, bool)> =
                scored.iter().map(|s| (t.end_time[s.row], s.prediction.p, t.y[s.row].unwrap_or(false))).collect();
            resolved.sort_by_key(|r| r.0);
            let mut decay = BrierDecay::with_null(hm.holdout_brier, hm.holdout_brier_null_ratio, limits);
            resolved.iter().for_each(|&(_, p, y)| decay.push(p, y));
            let alarm = decay.alarm().map(|s| format!("brier_decay:h={}:{s}", hm.horizon));
            alarms.extend(alarm.clone());
            brier.push(BrierDrift {
                horizon: hm.horizon,
                resolved: resolved.len(),
                rolling: decay.rolling(),
                reference: hm.holdout_brier,
                alarm,
            });
        }
        let (from, to) = match (rows.first(), rows.last()) {
            (Some(&f), Some(&t)) => (l.ds.times[f], l.ds.times[t] + a.data.interval.secs()),
            _ => bail!("no rows in the window"),
        };
        let report = DriftReport {
            model_id: a.model.clone(),
            from: day(from),
            to: day(to),
            rows: rows.len(),
            features,
            brier,
            active: !alarms.is_empty(),
            alarms,
        };
        if a.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print_drift(&report);
        }
        Ok(if report.active { ExitCode::from(DRIFT_EXIT) } else { ExitCode::SUCCESS })
    })
}

fn print_drift(r: &DriftReport) {
    println!("{} drift over {}..{} ({} rows)", r.model_id, r.from, r.to, r.rows);
    println!("{:<16} {:>7} {:>7} {:>7} {:>7}  alarm", "feature", "psi", "null", "ks", "null");
    for f in &r.features {
        let null = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
        let alarm = match (f.psi_alarm, f.ks_alarm) {
            (true, true) => "psi,ks",
            (true, false) => "psi",
            (false, true) => "ks",
            (false, false) => "",
        };
        println!("{:<16} {:>7.3} {:>7} {:>7.3} {:>7}  {alarm}", f.name, f.psi, null(f.null_psi), f.ks, null(f.null_ks));
    }
    for b in &r.brier {
        let rolling = b.rolling.map_or("-".to_string(), |v| format!("{v:.4}"));
        println!(
            "h={:<3} resolved={} rolling_brier={rolling} reference={:.4} {}",
            b.horizon,
            b.resolved,
            b.reference,
            b.alarm.as_deref().unwrap_or("")
        );
    }
    if r.active {
        println!("{} alarm(s) active: {} (exit {DRIFT_EXIT})", r.alarms.len(), r.alarms.join(" "));
    } else {
        println!("no alarm active");
    }
}
