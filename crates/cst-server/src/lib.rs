//! HTTP API, web dashboard and Prometheus metrics of CryptoSmartTrader.
//!
//! How the runtime uses it (`cst run`, `cst serve`):
//! 1. build a [`state::SharedState`] and publish a [`snapshot::SystemSnapshot`] after every engine
//!    step (or on a timer);
//! 2. create the control channel with [`control::channel`], hand the receiver to the engine task,
//!    which maps each [`control::ControlRequest`] to a `cst_core` control event;
//! 3. load tokens with [`auth::ApiTokens::from_env_or_file`], install metrics with
//!    [`metrics::install`], JSON logs with [`logging::init_json`];
//! 4. [`serve`] the [`router`] on a listener bound to [`DEFAULT_LISTEN`] unless told otherwise.
//!
//! Mapping onto the engine (`cst_core`, branch `engine`): [`snapshot::KillLevel`] has the same
//! five variants as `cst_core::event::KillLevel` (a `From` impl at merge, or a re-export);
//! [`control::ControlCommand::ReduceOnly`]/`Flatten`/`Halt` become
//! `Control::Kill { level, reason, at_ns }`, the kill switch's `KillTransition` becomes
//! [`snapshot::KillTransitionView`]; `Pause`/`Resume` gate new entries (the risk guard refuses
//! entries with reason `paused` while set). Ledger positions map to [`snapshot::PositionView`],
//! `QualityReport`s to [`snapshot::PairQuality::from_report`].
//!
//! Layout: `snapshot` (the read model), `state` (sharing it), `control` (commands), `auth` and
//! `secret` (tokens), `api` (handlers), `openapi`, `dashboard` (embedded page), `metrics`,
//! `logging`, `error`.

pub mod api;
pub mod auth;
pub mod control;
pub mod dashboard;
pub mod error;
pub mod logging;
pub mod metrics;
pub mod openapi;
pub mod secret;
pub mod snapshot;
pub mod state;

use crate::api::ApiContext;
use crate::auth::{ApiTokens, require_control, require_read};
use crate::control::ControlRequest;
use crate::state::SharedState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::mpsc;

/// Where the server listens unless told otherwise: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Everything the router needs.
#[derive(Debug, Clone)]
pub struct ServerParts {
    /// The published snapshot.
    pub state: SharedState,
    /// The engine's control channel.
    pub controls: mpsc::Sender<ControlRequest>,
    /// Accepted tokens.
    pub tokens: ApiTokens,
    /// Prometheus handle (from [`metrics::install`]).
    pub metrics: PrometheusHandle,
}

fn api_router(ctx: ApiContext, tokens: ApiTokens) -> Router {
    let read = Router::new()
        .route("/health", get(api::health))
        .route("/snapshot", get(api::snapshot))
        .route("/agents", get(api::agents))
        .route("/positions", get(api::positions))
        .route("/orders", get(api::orders))
        .route("/fills", get(api::fills))
        .route("/equity", get(api::equity))
        .route("/signals", get(api::signals))
        .route("/risk", get(api::risk))
        .route("/quality", get(api::quality))
        .route("/models", get(api::models))
        .route("/stream", get(api::stream))
        .route("/openapi.json", get(|| async { axum::Json(openapi::document()) }))
        .layer(from_fn_with_state(tokens.clone(), require_read));
    let control = Router::new()
        .route("/controls/{command}", post(api::control).fallback(api::method_not_allowed))
        .layer(from_fn_with_state(tokens, require_control));
    read.merge(control).fallback(api::not_found).with_state(ctx)
}

async fn render_metrics(state: SharedState, handle: PrometheusHandle) -> Response {
    metrics::observe_snapshot(&state.current());
    let mut resp = handle.render().into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    resp
}

/// The whole HTTP surface: dashboard, `/health`, `/metrics` (open) and `/api/v1` (token).
pub fn router(parts: ServerParts) -> Router {
    let ctx = ApiContext { state: parts.state.clone(), controls: parts.controls };
    let (state, handle) = (parts.state, parts.metrics);
    let health_state = state.clone();
    Router::new()
        .route("/", get(dashboard::index))
        .route("/assets/{*file}", get(dashboard::asset))
        .route(
            "/health",
            get(move || async move { axum::Json(serde_json::json!({"status": health_state.current().health()})) }),
        )
        .route("/metrics", get(move || render_metrics(state.clone(), handle.clone())))
        .nest("/api/v1", api_router(ctx, parts.tokens))
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}
