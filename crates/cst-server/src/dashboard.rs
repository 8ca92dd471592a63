//! The web dashboard, embedded in the binary: HTML, script, style and the vendored uPlot chart
//! library (MIT, `assets/vendor/uPlot.LICENSE`). No build step; the page reads the API with the
//! token given in the URL fragment (`/#token=...`, never sent to the server).

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One embedded file: name under `/assets/`, content type, bytes.
const ASSETS: [(&str, &str, &str); 5] = [
    ("app.js", "text/javascript; charset=utf-8", include_str!("../assets/app.js")),
    ("app.css", "text/css; charset=utf-8", include_str!("../assets/app.css")),
    ("vendor/uPlot.iife.min.js", "text/javascript; charset=utf-8", include_str!("../assets/vendor/uPlot.iife.min.js")),
    ("vendor/uPlot.min.css", "text/css; charset=utf-8", include_str!("../assets/vendor/uPlot.min.css")),
    ("vendor/uPlot.LICENSE", "text/plain; charset=utf-8", include_str!("../assets/vendor/uPlot.LICENSE")),
];

const INDEX_HTML: &str = include_str!("../assets/index.html");

/// Only our own scripts and styles; uPlot sets element styles from script, hence inline styles.
const CSP: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

fn page(content_type: &'static str, body: &'static str) -> Response {
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// `GET /`: the dashboard page.
pub async fn index() -> Response {
    page("text/html; charset=utf-8", INDEX_HTML)
}

/// `GET /assets/{*file}`: an embedded asset.
pub async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => page(content_type, body),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
