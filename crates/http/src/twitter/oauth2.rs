//! App-only authentication as Twitter serves it: `POST /oauth2/token` with
//! `grant_type=client_credentials` and the app's consumer key and secret in HTTP Basic
//! authentication answers the app's bearer token (`{"token_type": "bearer", "access_token"}`);
//! `POST /oauth2/invalidate_token` ends one.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use postern_core::Error;
use postern_core::auth::AuthFailure;
use serde_json::json;

use super::v1::{V1Error, V1Result};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/oauth2/token", post(token))
        .route("/oauth2/invalidate_token", post(invalidate))
}

/// The consumer key and secret of HTTP Basic authentication (each percent-encoded, as
/// Twitter's docs have clients send them).
pub(super) fn basic(headers: &HeaderMap) -> Result<(String, String), Error> {
    let malformed = || {
        Error::Unauthorized(AuthFailure::Malformed(
            "Authorization: Basic base64(consumer_key:consumer_secret) is required",
        ))
    };
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(Error::Unauthenticated)?;
    let (scheme, encoded) = value.split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(malformed)?;
    let (key, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let unescape = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| malformed())
    };
    Ok((unescape(key)?, unescape(secret)?))
}

fn form(body: &Bytes, name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `POST /oauth2/token`.
async fn token(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> V1Result<Response> {
    let (key, secret) = basic(&headers)?;
    match form(&body, "grant_type").as_deref() {
        Some("client_credentials") => {}
        _ => {
            return Err(V1Error(Error::invalid(
                "grant_type",
                "must be client_credentials",
            )));
        }
    }
    let bearer = s.services.app_bearer(&key, &secret).await?;
    Ok(Json(json!({"token_type": "bearer", "access_token": bearer})).into_response())
}

/// `POST /oauth2/invalidate_token` (`access_token` in the form or the query).
async fn invalidate(
    State(s): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    body: Bytes,
) -> V1Result<Response> {
    let (key, secret) = basic(&headers)?;
    let token = form(&body, "access_token")
        .or_else(|| {
            uri.query()
                .and_then(|q| form(&Bytes::copy_from_slice(q.as_bytes()), "access_token"))
        })
        .ok_or_else(|| Error::invalid("access_token", "is required"))?;
    s.services
        .invalidate_app_bearer(&key, &secret, &token)
        .await?;
    Ok(Json(json!({"access_token": token})).into_response())
}
