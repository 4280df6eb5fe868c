//! Postern's HTTP surfaces over the service layer.
//!
//! - [`api`]: the native JSON API at `/api/v1`, documented at `/openapi.json`.
//! - [`stream`]: the real-time stream (WebSocket and SSE).
//! - [`ops`]: `/healthz`, `/readyz`, `/metrics`.
//! - [`error`]: the error shape and extractors that reject with it.
//! - [`auth`]: bearer tokens and session cookies with CSRF protection.
//! - [`peer`]: the client's address.
//! - [`site`]: the site's origin as visitors see it (public URL, trusted proxies).
//! - [`web`]: the browser app, served from assets embedded in the binary.
//! - [`twitter`]: the Twitter-compatible surfaces (v1.1 so far), beside `api` over the same
//!   `AppState`.

pub mod api;
pub mod auth;
pub mod error;
mod links;
pub mod ops;
pub mod peer;
pub mod range;
pub mod site;
pub mod stream;
pub mod twitter;
pub mod web;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use metrics_exporter_prometheus::PrometheusHandle;
use postern_service::Services;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    pub metrics: Option<PrometheusHandle>,
    /// The bearer token `/metrics` asks for; without one it answers loopback clients only.
    pub metrics_token: Option<Arc<str>>,
    pub stream: stream::StreamConfig,
    pub site: Arc<site::Site>,
    /// Becomes `true` when the server stops: open streams then close at once, telling
    /// their clients to reconnect (elsewhere), instead of hanging through the grace period.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

/// The whole HTTP application, built apart from `main` so tests can serve it directly.
pub fn app(state: AppState) -> Router {
    state
        .services
        .use_twitter_format(std::sync::Arc::new(twitter::v1::render::Format::new(
            state.site.public_origin(),
        )));
    let (api, openapi) = api::router().merge(stream::router()).split_for_parts();
    let document = api::document::complete(openapi, &state.services.config().limits);
    let document = axum::body::Bytes::from(serde_json::to_vec(&document).unwrap_or_default());
    Router::new()
        .nest("/api/v1", api)
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let body = document.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], body) }
            }),
        )
        .merge(twitter::router())
        .merge(ops::router())
        .merge(links::router())
        .merge(web::router())
        .fallback(not_found)
        // axum's own 405 names the methods the route takes in `Allow` (which HTTP requires);
        // only its empty body is replaced, with the error shape.
        // (tower's map, not axum's middleware: nothing boxed per request.)
        .layer(tower::util::MapResponseLayer::new(method_not_allowed))
        .layer(axum::extract::DefaultBodyLimit::max(error::JSON_BODY_BYTES))
        // No response is sniffed into something runnable, and none is cached unless it says
        // how (the web app's pages and assets, and media, which revalidate by ETag): API
        // responses are data for one person.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
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

async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    error::plain(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {}", uri.path()),
        None,
    )
}

fn method_not_allowed(response: axum::response::Response) -> axum::response::Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut refusal = error::plain(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not accept that method: `Allow` lists those it does".into(),
        None,
    );
    if let Some(allow) = allow {
        refusal.headers_mut().insert(header::ALLOW, allow);
    }
    refusal
}
