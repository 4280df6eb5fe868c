//! The Twitter-compatible surfaces (issue 17): v1.1 and v2 over the same service layer as the
//! native API.
//!
//! - [`oauth1`]: OAuth 1.0a signatures as the v1.1 API checks them.
//! - [`signed`]: authenticating a request (OAuth 1.0a, OAuth 2.0 and app-only bearer tokens)
//!   and reading its parameters.
//! - [`oauth2`]: app-only bearer tokens by client credentials.
//! - [`three_legged`]: OAuth 1.0a's request token, consent and access token.
//! - [`pkce`]: OAuth 2.0's authorization code with PKCE, refresh and revocation.
//! - [`rate`]: Twitter's per-route windows and their `x-rate-limit-*` headers.
//! - [`v1`]: the v1.1 API at `/1.1`.
//! - [`v2`]: the v2 API at `/2`.

pub mod oauth1;
pub mod oauth2;
pub mod pkce;
pub mod rate;
pub mod signed;
pub mod three_legged;
pub mod v1;
pub mod v2;

#[cfg(test)]
mod snapshots;

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};

use crate::AppState;
use crate::peer::Peer;

/// Every Twitter-compatible route, each with its rate-limit headers.
pub fn router() -> Router<AppState> {
    let windows = Arc::new(rate::Windows::default());
    Router::new()
        .nest("/1.1", v1::router())
        .nest("/2", v2::router())
        .merge(oauth2::router())
        .merge(three_legged::router())
        .merge(pkce::router())
        .layer(axum::middleware::from_fn_with_state(windows, rate::headers))
}

/// The site's origin as this request reached it (`https://host:port`), for links in
/// responses; empty if it cannot be told.
pub struct Origin(pub String);

impl FromRequestParts<AppState> for Origin {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(Origin(
            request_origin(parts, state).await.unwrap_or_default(),
        ))
    }
}

/// The origin a request was sent to: the `Host` header, or over HTTP/2 (which has none)
/// the URI's authority, as the site reads it ([`crate::site`]). Worked out once per request
/// (the signature check and the links in the response both need it).
pub async fn request_origin(parts: &mut Parts, state: &AppState) -> Option<String> {
    #[derive(Clone)]
    struct Known(Option<String>);
    if let Some(Known(origin)) = parts.extensions.get::<Known>() {
        return origin.clone();
    }
    let Ok(Peer(peer)) = Peer::from_request_parts(parts, state).await;
    let origin = if parts.headers.contains_key(header::HOST) {
        state.site.origin(&parts.headers, peer)
    } else {
        let mut headers = parts.headers.clone();
        parts
            .uri
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
            .and_then(|host| {
                headers.insert(header::HOST, host);
                state.site.origin(&headers, peer)
            })
    };
    parts.extensions.insert(Known(origin.clone()));
    origin
}

/// A redirect to one of the web app's pages (a consent page), with the request's query.
pub fn to_web_page(page: &str, uri: &axum::http::Uri) -> axum::response::Redirect {
    match uri.query() {
        Some(q) => axum::response::Redirect::to(&format!("{page}?{q}")),
        None => axum::response::Redirect::to(page),
    }
}

/// A `media_category` as Twitter's clients name it: `dm_image` (v1.1's docs), `DmImage`
/// (twitter-api-v2 sends these), `tweet_image` and `amplify_video` (a post's media is a DM's
/// here: Postern's uploads serve both), in any case, with or without underscores.
pub fn media_category(
    raw: &str,
) -> Result<postern_core::media::MediaCategory, postern_core::Error> {
    use postern_core::media::MediaCategory;
    let folded: String = raw
        .chars()
        .filter(|c| *c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match folded.as_str() {
        "dmimage" | "tweetimage" => Ok(MediaCategory::DmImage),
        "dmgif" | "tweetgif" => Ok(MediaCategory::DmGif),
        "dmvideo" | "tweetvideo" | "amplifyvideo" => Ok(MediaCategory::DmVideo),
        _ => Err(postern_core::Error::invalid(
            "media_category",
            "must be one of dm_image, dm_gif, dm_video (or tweet_image, tweet_gif, \
             tweet_video, amplify_video; DmImage and the like too)",
        )),
    }
}
