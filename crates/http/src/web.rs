//! The web app (SPEC §5.3): one HTML shell for every page and its static assets, embedded
//! from `web/app` at compile time. The app itself runs in the browser and speaks only the
//! native API, like any other client.
//!
//! Release builds carry the files inside the binary; debug builds read them from the source
//! tree, so editing a script and reloading the page is enough during development.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::Embed;

use crate::AppState;

#[derive(Embed)]
#[folder = "../../web/app/"]
struct Assets;

/// Scripts, styles and media only from this origin; nothing from any other host, no inline
/// script, and no framing (the app is never embedded by another site).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; \
    connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// The app's pages, as `web/app/routes.json` lists them for the server and the app alike.
#[derive(serde::Deserialize)]
struct Routes {
    pages: Vec<String>,
    prefix: String,
}

fn routes() -> Routes {
    Assets::get("routes.json")
        .and_then(|file| serde_json::from_slice(&file.data).ok())
        .unwrap_or_else(|| Routes {
            pages: Vec::new(),
            prefix: "i".to_owned(),
        })
}

pub fn router() -> Router<AppState> {
    let Routes { pages, prefix } = routes();
    let mut router = Router::new().route("/", get(shell));
    for page in pages.iter().chain([&prefix]) {
        router = router
            .route(&format!("/{page}"), get(shell))
            .route(&format!("/{page}/{{*rest}}"), get(shell));
    }
    router
        .route("/{screen_name}", get(profile))
        .route("/assets/{*path}", get(asset))
        .route("/favicon.ico", get(favicon))
}

/// Every page is the same shell; the app's router draws the page for the path.
async fn shell() -> Response {
    match Assets::get("index.html") {
        Some(file) => {
            let mut response = (
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    (header::CACHE_CONTROL, "no-cache"),
                ],
                file.data,
            )
                .into_response();
            page_headers(response.headers_mut());
            response
        }
        None => missing("index.html"),
    }
}

/// `/{screen_name}`: a profile page. Anything that cannot be a screen name is not a page.
async fn profile(Path(name): Path<String>) -> Response {
    if postern_core::text::screen_name(&name).is_ok() {
        return shell().await;
    }
    crate::error::plain(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for /{name}"),
        None,
    )
}

fn page_headers(headers: &mut HeaderMap) {
    let fixed = [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ];
    for (name, value) in fixed {
        headers.insert(name, value);
    }
}

/// `/assets/{path}`: revalidated on every use by ETag (the files are not versioned by name,
/// so a long max-age would keep an old script after an upgrade).
async fn asset(Path(path): Path<String>, request: HeaderMap) -> Response {
    // index.html is served only as the shell, with its security headers.
    let Some(file) = Assets::get(&path).filter(|_| path != "index.html") else {
        return missing(&path);
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()));
    let mut response = if crate::range::not_modified(&request, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mime = file.metadata.mimetype();
        ([(header::CONTENT_TYPE, mime)], file.data).into_response()
    };
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    page_headers(headers);
    response
}

async fn favicon(request: HeaderMap) -> Response {
    asset(Path("icon.svg".to_owned()), request).await
}

fn missing(path: &str) -> Response {
    crate::error::plain(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no asset {path}"),
        None,
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
