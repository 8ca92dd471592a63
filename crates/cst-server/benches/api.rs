//! Per-request cost of the state routes, in process (router + auth + JSON), over the session
//! replayed from real Kraken candles: `cargo bench -p cst-server --bench api`.

#[path = "../tests/session/mod.rs"]
mod session;

use axum::body::Body;
use axum::http::{Request, header};
use criterion::{Criterion, criterion_main};
use cst_server::auth::ApiTokens;
use cst_server::secret::Secret;
use cst_server::state::SharedState;
use cst_server::{ServerParts, control, metrics, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

const TOKEN: &str = "bench-token-0123456789abcdef";

fn state_routes(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (tx, _rx) = control::channel();
    let parts = ServerParts {
        state: SharedState::new(session::replayed_session()),
        controls: tx,
        tokens: ApiTokens::new(Secret::new(TOKEN), None).expect("tokens"),
        metrics: metrics::install().expect("metrics"),
    };
    let app = router(parts);
    let mut group = c.benchmark_group("api");
    for path in ["/api/v1/positions", "/api/v1/risk", "/api/v1/equity?limit=100", "/api/v1/snapshot", "/metrics"] {
        group.bench_function(path, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let req = Request::get(path)
                        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
                        .body(Body::empty())
                        .expect("request");
                    let resp = app.clone().oneshot(req).await.expect("response");
                    assert!(resp.status().is_success());
                    resp.into_body().collect().await.expect("body").to_bytes().len()
                })
            })
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(3))
}

fn benches() {
    let mut c = config().configure_from_args();
    state_routes(&mut c);
}
criterion_main!(benches);
