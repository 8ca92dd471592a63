//! The versioned JSON API (`/api/v1`): read routes over the shared snapshot, control routes onto
//! the command channel, and the SSE stream of snapshots.

use crate::control::{ControlCommand, ControlRequest};
use crate::error::ApiError;
use crate::snapshot::{MAX_LIST_LEN, SignalOutcome};
use crate::state::SharedState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use cst_core::pair::Pair;
use futures_util::Stream;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

/// Longest operator reason accepted on a control.
pub const MAX_REASON_CHARS: usize = 200;

/// What every handler reads.
#[derive(Debug, Clone)]
pub struct ApiContext {
    /// The latest snapshot.
    pub state: SharedState,
    /// Where controls go.
    pub controls: mpsc::Sender<ControlRequest>,
}

/// Query of list routes; every field optional, unknown fields refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Newest `limit` items (1..=2000).
    pub limit: Option<usize>,
    /// Only this pair (`XBT/USD`).
    pub pair: Option<String>,
    /// Signals only: `accepted`, `gated`, `refused` or `unchanged`.
    pub outcome: Option<SignalOutcome>,
}

/// Validated [`ListQuery`].
struct Filter {
    limit: usize,
    pair: Option<Pair>,
    outcome: Option<SignalOutcome>,
}

impl Filter {
    fn parse(q: Result<Query<ListQuery>, QueryRejection>) -> Result<Self, ApiError> {
        let Query(q) = q?;
        let limit = q.limit.unwrap_or(MAX_LIST_LEN);
        if !(1..=MAX_LIST_LEN).contains(&limit) {
            return Err(ApiError::invalid("invalid-limit", format!("limit must be 1..={MAX_LIST_LEN}, got {limit}")));
        }
        let pair = match q.pair {
            Some(p) => Some(p.parse::<Pair>().map_err(|e| ApiError::invalid("invalid-pair", e.to_string()))?),
            None => None,
        };
        Ok(Filter { limit, pair, outcome: q.outcome })
    }

    fn pair_ok(&self, pair: &Pair) -> bool {
        self.pair.as_ref().is_none_or(|p| p == pair)
    }

    fn pair_name_ok(&self, wsname: &str) -> bool {
        self.pair.as_ref().is_none_or(|p| p.wsname() == wsname)
    }
}

fn newest<T: Clone>(items: impl DoubleEndedIterator<Item = T>, limit: usize) -> Vec<T> {
    let mut v: Vec<T> = items.rev().take(limit).collect();
    v.reverse();
    v
}

fn items<T: serde::Serialize>(items: Vec<T>) -> Json<Value> {
    Json(json!({ "count": items.len(), "items": items }))
}

/// `GET /api/v1/health`: overall status, mode, kill level.
pub async fn health(State(ctx): State<ApiContext>) -> Json<Value> {
    let s = ctx.state.current();
    Json(json!({
        "status": s.health(),
        "mode": s.mode,
        "as_of": s.as_of,
        "kill_level": s.risk.kill_level,
        "paused": s.risk.paused,
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

/// `GET /api/v1/snapshot`: everything at once (the dashboard's first load).
pub async fn snapshot(State(ctx): State<ApiContext>) -> Result<Response, ApiError> {
    json_bytes(ctx.state.current().as_ref())
}

/// Serializes straight from the shared snapshot, without cloning it.
fn json_bytes<T: serde::Serialize>(value: &T) -> Result<Response, ApiError> {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "serialization", e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

/// `GET /api/v1/agents`.
pub async fn agents(State(ctx): State<ApiContext>) -> Json<Value> {
    items(ctx.state.current().agents.clone())
}

/// `GET /api/v1/positions?pair=`.
pub async fn positions(
    State(ctx): State<ApiContext>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let f = Filter::parse(q)?;
    let s = ctx.state.current();
    Ok(items(s.positions.iter().filter(|p| f.pair_ok(&p.pair)).cloned().collect()))
}

/// `GET /api/v1/orders?pair=`: open orders.
pub async fn orders(
    State(ctx): State<ApiContext>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let f = Filter::parse(q)?;
    let s = ctx.state.current();
    Ok(items(s.open_orders.iter().filter(|o| f.pair_ok(&o.pair)).cloned().collect()))
}

/// `GET /api/v1/fills?pair=&limit=`: newest fills, oldest first.
pub async fn fills(
    State(ctx): State<ApiContext>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let f = Filter::parse(q)?;
    let s = ctx.state.current();
    Ok(items(newest(s.fills.iter().filter(|x| f.pair_ok(&x.pair)).cloned(), f.limit)))
}

/// Body of `GET /api/v1/equity`, borrowed from the snapshot.
#[derive(serde::Serialize)]
struct EquityBody<'a> {
    quote_currency: &'a str,
    overview: &'a crate::snapshot::Overview,
    count: usize,
    items: &'a [crate::snapshot::EquityPoint],
}

/// `GET /api/v1/equity?limit=`: the curve plus the overview numbers.
pub async fn equity(
    State(ctx): State<ApiContext>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let f = Filter::parse(q)?;
    let s = ctx.state.current();
    let points = &s.equity[s.equity.len().saturating_sub(f.limit)..];
    json_bytes(&EquityBody {
        quote_currency: &s.quote_currency,
        overview: &s.overview,
        count: points.len(),
        items: points,
    })
}

/// `GET /api/v1/signals?pair=&outcome=&limit=`.
pub async fn signals(
    State(ctx): State<ApiContext>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let f = Filter::parse(q)?;
    let s = ctx.state.current();
    let keep = |x: &&crate::snapshot::SignalView| f.pair_ok(&x.pair) && f.outcome.is_none_or(|o| o == x.outcome);
    Ok(items(newest(s.signals.iter().filter(keep).cloned(), f.limit)))
}

/// `GET /api/v1/risk`.
pub async fn risk(State(ctx): State<ApiContext>) -> Json<Value> {
    let s = ctx.state.current();
    Json(json!(s.risk))
}

/// `GET /api/v1/quality?pair=`: data-quality gate per pair and interval.
pub async fn quality(
    State(ctx): State<ApiContext>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let f = Filter::parse(q)?;
    let s = ctx.state.current();
    Ok(items(s.quality.iter().filter(|x| f.pair_name_ok(&x.pair)).cloned().collect()))
}

/// `GET /api/v1/models`.
pub async fn models(State(ctx): State<ApiContext>) -> Json<Value> {
    items(ctx.state.current().models.clone())
}

/// Body of a control request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlBody {
    /// Why the operator acts (1..=200 characters, no control characters).
    pub reason: String,
}

fn validate_reason(reason: &str) -> Result<String, ApiError> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(ApiError::invalid("invalid-reason", "reason must not be empty"));
    }
    if r.chars().count() > MAX_REASON_CHARS {
        return Err(ApiError::invalid(
            "invalid-reason",
            format!("reason is longer than {MAX_REASON_CHARS} characters"),
        ));
    }
    if r.chars().any(char::is_control) {
        return Err(ApiError::invalid("invalid-reason", "reason must not contain control characters"));
    }
    Ok(r.to_string())
}

fn wall_clock_ns() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)
}

/// `POST /api/v1/controls/{command}` with `{"reason": "..."}`: queues the command for the engine.
pub async fn control(
    State(ctx): State<ApiContext>,
    Path(name): Path<String>,
    body: Result<Json<ControlBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let command: ControlCommand =
        name.parse().map_err(|e: crate::control::UnknownControl| ApiError::not_found(e.to_string()))?;
    let Json(body) = body?;
    let reason = validate_reason(&body.reason)?;
    let request = ControlRequest { command, reason, requested_at_ns: wall_clock_ns() };
    tracing::warn!(command = %command, reason = %request.reason, "operator control");
    match ctx.controls.try_send(request.clone()) {
        Ok(()) => Ok((StatusCode::ACCEPTED, Json(json!({ "accepted": request })))),
        Err(TrySendError::Full(_)) => {
            Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "the engine has too many pending controls"))
        }
        Err(TrySendError::Closed(_)) => {
            Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "engine-unavailable", "the engine is not running"))
        }
    }
}

/// Shortest time between two SSE events of one client: publishes in between are coalesced into
/// the latest snapshot, so a fast engine never floods a dashboard.
pub const SSE_MIN_INTERVAL_MS: u64 = 250;

/// `GET /api/v1/stream`: Server-Sent Events, one `snapshot` event now and after changes (at most
/// one per [`SSE_MIN_INTERVAL_MS`]).
pub async fn stream(State(ctx): State<ApiContext>) -> Sse<impl Stream<Item = Result<Event, axum::Error>>> {
    let mut rx = ctx.state.subscribe();
    rx.mark_changed();
    let updates = futures_util::stream::unfold((rx, true), |(mut rx, first)| async move {
        if !first {
            tokio::time::sleep(std::time::Duration::from_millis(SSE_MIN_INTERVAL_MS)).await;
        }
        rx.changed().await.ok()?;
        let snap = rx.borrow_and_update().clone();
        Some((Event::default().event("snapshot").json_data(&*snap), (rx, false)))
    });
    Sse::new(updates).keep_alive(KeepAlive::default())
}

/// JSON 405 for controls called with another method than POST.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", "controls take POST with {\"reason\": \"...\"}")
}

/// JSON 404 for unknown API paths.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such API route; see /api/v1/openapi.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_trimmed_and_bounded() {
        assert_eq!(validate_reason("  drawdown  ").expect("ok"), "drawdown");
        assert_eq!(validate_reason("   ").expect_err("empty").code, "invalid-reason");
        assert!(validate_reason(&"x".repeat(MAX_REASON_CHARS + 1)).is_err());
        assert!(validate_reason("a\u{7}b").is_err());
    }

    #[test]
    fn newest_keeps_the_last_items_in_order() {
        assert_eq!(newest([1, 2, 3, 4].into_iter(), 2), vec![3, 4]);
        assert_eq!(newest([1, 2].into_iter(), 5), vec![1, 2]);
    }
}
