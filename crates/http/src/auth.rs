//! The `Auth` extractor: a bearer token (API clients) or the session cookie (browsers). A
//! cookie-authenticated request that changes something must carry the session's CSRF token
//! in `X-CSRF-Token`, so another site cannot make a browser act on its user's behalf. A
//! cookie-authenticated request that names another origin is refused too: WebSocket
//! handshakes are GETs that browsers send cross-site without CORS, and "same site" still
//! includes every port of the host.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum_extra::extract::CookieJar;
use postern_core::Error;
use postern_service::{Caller, Credential};

use crate::AppState;
use crate::error::ApiError;
use crate::peer::Peer;

pub const SESSION_COOKIE: &str = "postern_session";
/// Beside the session cookie, with the same lifetime: no secret, only that a session was
/// started in this browser, so the web app asks who is signed in only when someone may be
/// (and a signed-out page load makes no request that fails).
pub const SIGNED_IN_COOKIE: &str = "postern_signed_in";
pub const CSRF_HEADER: &str = "x-csrf-token";

pub struct Auth(pub Caller);

/// The raw secret presented, for logout.
pub fn presented_secret(headers: &HeaderMap) -> Option<String> {
    if let Some(bearer) = bearer(headers) {
        return Some(bearer.to_owned());
    }
    CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(token) = bearer(&parts.headers) {
            return Ok(Auth(state.services.authenticate_bearer(token).await?));
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let cookie = jar.get(SESSION_COOKIE).ok_or(Error::Unauthenticated)?;
        let caller = state.services.authenticate_cookie(cookie.value()).await?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if let Credential::Cookie { csrf } = &caller.credential {
            let Ok(Peer(peer)) = Peer::from_request_parts(parts, state).await;
            if !state.site.same_origin(&parts.headers, peer) {
                return Err(Error::Forbidden("request from another origin").into());
            }
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if !safe && sent != Some(csrf.as_str()) {
                return Err(Error::Forbidden("missing or wrong X-CSRF-Token header").into());
            }
        }
        Ok(Auth(caller))
    }
}
