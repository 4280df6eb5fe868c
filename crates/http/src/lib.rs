//! Postern's HTTP surfaces over the service layer.
//!
//! - [`api`]: the native JSON API at `/api/v1`, documented at `/openapi.json`.
//! - [`stream`]: the real-time stream (WebSocket and SSE).
//! - [`ops`]: `/healthz`, `/readyz`, `/metrics`.
//! - [`error`]: the error shape and extractors that reject with it.
//! - [`auth`]: bearer tokens and session cookies with CSRF protection.
//! - [`peer`]: the client's address.
//! - [`web`]: the browser app, served from assets embedded in the binary.
//!
//! More surfaces (the Twitter v1.1 and v2 adapters) mount beside `api` in [`app`] over the
//! same `AppState`.

pub mod api;
pub mod auth;
pub mod error;
pub mod ops;
pub mod peer;
pub mod range;
pub mod stream;
pub mod web;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use metrics_exporter_prometheus::PrometheusHandle;
use postern_service::Services;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    pub metrics: Option<PrometheusHandle>,
    /// The bearer token `/metrics` asks for; without one it answers loopback clients only.
    pub metrics_token: Option<Arc<str>>,
    pub stream: stream::StreamConfig,
    /// Becomes `true` when the server stops: open streams then close at once, telling
    /// their clients to reconnect (elsewhere), instead of hanging through the grace period.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

/// The whole HTTP application, built apart from `main` so tests can serve it directly.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    let openapi = Arc::new(openapi);
    Router::new()
        .nest("/api/v1", api.merge(stream::router()))
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .merge(ops::router())
        .merge(web::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(error::JSON_BODY_BYTES))
        .layer(axum::middleware::from_fn(api_headers))
        .layer(CatchPanicLayer::custom(|_| {
            error::plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "something went wrong on our side".into(),
                None,
            )
        }))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// No response is sniffed into something runnable, and an API response, data for one
/// person, is never cached by a browser or proxy (media, which revalidates by ETag, says so
/// itself; the web app's assets have their own rules).
async fn api_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if api {
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    error::plain(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {}", uri.path()),
        None,
    )
}

async fn method_not_allowed() -> axum::response::Response {
    error::plain(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not accept that method".into(),
        None,
    )
}
