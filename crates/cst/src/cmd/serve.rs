//! `cst serve`: the API, dashboard and metrics over the stored data alone (no engine yet): the
//! data-quality gate per stored series is real; positions, orders and signals stay empty until
//! `cst run` publishes them. Controls are applied to the displayed risk state, with the
//! kill switch's rule that only an explicit reset lowers it.

use crate::cmd::data::{ModeArg, quality_reports};
use crate::home::HomeArgs;
use anyhow::Context;
use clap::Args;
use cst_core::quality::GateMode;
use cst_core::time::Timestamp;
use cst_server::auth::{ApiTokens, TokenOrigin};
use cst_server::control::{self, ControlCommand, ControlRequest};
use cst_server::snapshot::{
    AgentHealth, AgentStatus, KillLevel, KillTransitionView, PairQuality, RiskView, SystemSnapshot,
};
use cst_server::state::SharedState;
use cst_server::{DEFAULT_LISTEN, ServerParts, logging, metrics, router, serve};
use cst_store::Store;
use std::net::SocketAddr;
use std::process::ExitCode;

/// `cst serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback by default; port 0 picks a free one).
    #[arg(long, default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Gate mode of the data-quality panel: production blocks stale series.
    #[arg(long, value_enum, default_value = "production")]
    pub gate: ModeArg,
}

/// Runs the server until Ctrl-C.
pub fn run(home: &HomeArgs, args: ServeArgs) -> anyhow::Result<ExitCode> {
    logging::init_json();
    let url = home.store_url()?;
    let token_file = home.dir().join("api-token");
    let (tokens, origin) = ApiTokens::from_env_or_file(&token_file)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let store = Store::open(&url).await.with_context(|| format!("opening store {url}"))?;
        let state = SharedState::new(initial_snapshot(&store, args.gate).await?);
        let (tx, rx) = control::channel();
        tokio::spawn(apply_controls(state.clone(), rx));
        let listener =
            tokio::net::TcpListener::bind(args.listen).await.with_context(|| format!("binding {}", args.listen))?;
        let addr = listener.local_addr()?;
        announce(addr, &tokens, origin, &token_file);
        let parts = ServerParts { state, controls: tx, tokens, metrics: metrics::install()? };
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        serve(listener, router(parts), shutdown).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Prints the API address and how to open the dashboard (`cst serve` and `cst run`). A newly
/// generated token is shown once, and only when stdout is a terminal: redirected to a file or a
/// log collector, the output names the token file instead, so the token never lands in a log.
pub(crate) fn announce(addr: SocketAddr, tokens: &ApiTokens, origin: TokenOrigin, token_file: &std::path::Path) {
    use std::io::IsTerminal;
    println!("listening on http://{addr}");
    match origin {
        TokenOrigin::Generated if std::io::stdout().is_terminal() => {
            println!("API token (stored in {}, mode 0600): {}", token_file.display(), tokens.control().expose());
            println!("dashboard: http://{addr}/#token={}", tokens.control().expose());
        }
        TokenOrigin::Generated | TokenOrigin::File => {
            println!("dashboard: http://{addr}/ (token in {})", token_file.display());
        }
        TokenOrigin::Env => println!("dashboard: http://{addr}/ (token from $CST_API_TOKEN)"),
    }
}

fn now() -> Timestamp {
    Timestamp::from_nanos(chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX))
}

async fn initial_snapshot(store: &Store, gate: ModeArg) -> anyhow::Result<SystemSnapshot> {
    let mode = match gate {
        ModeArg::Research => GateMode::Research,
        ModeArg::Production => GateMode::Production,
    };
    let reports = quality_reports(store, None, None, Some(now()), mode).await?;
    Ok(SystemSnapshot {
        quote_currency: "USD".into(),
        agents: vec![AgentStatus {
            name: "api".into(),
            health: AgentHealth::Healthy,
            restarts: 0,
            last_error: None,
            since: Some(now().to_rfc3339()),
        }],
        quality: reports.iter().map(|r| PairQuality::from_report(r, mode)).collect(),
        ..SystemSnapshot::default()
    })
}

async fn apply_controls(state: SharedState, mut rx: tokio::sync::mpsc::Receiver<ControlRequest>) {
    while let Some(req) = rx.recv().await {
        state.update(|s| apply(&mut s.risk, &req, now().to_rfc3339()));
    }
}

/// Pause and resume toggle entries; the other commands escalate the kill switch, never lower it.
fn apply(risk: &mut RiskView, req: &ControlRequest, at: String) {
    let to = match req.command {
        ControlCommand::Pause => return risk.paused = true,
        ControlCommand::Resume => return risk.paused = false,
        ControlCommand::ReduceOnly => KillLevel::ReduceOnly,
        ControlCommand::Flatten => KillLevel::Flatten,
        ControlCommand::Halt => KillLevel::Halt,
    };
    if to > risk.kill_level {
        let from = risk.kill_level;
        risk.kill_level = to;
        risk.last_transition =
            Some(KillTransitionView { from, to, trigger: "operator".into(), reason: req.reason.clone(), at });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(command: ControlCommand) -> ControlRequest {
        ControlRequest { command, reason: "drill".into(), requested_at_ns: 1 }
    }

    #[test]
    fn kill_switch_only_escalates_and_pause_toggles() {
        let mut risk = RiskView::default();
        apply(&mut risk, &req(ControlCommand::Halt), "t1".into());
        apply(&mut risk, &req(ControlCommand::ReduceOnly), "t2".into());
        assert_eq!(risk.kill_level, KillLevel::Halt);
        assert_eq!(risk.last_transition.as_ref().map(|t| t.at.as_str()), Some("t1"));
        apply(&mut risk, &req(ControlCommand::Pause), "t3".into());
        assert!(risk.paused);
        apply(&mut risk, &req(ControlCommand::Resume), "t4".into());
        assert!(!risk.paused);
    }
}
