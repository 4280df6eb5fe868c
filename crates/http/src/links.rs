//! Buttons' counting links (`tco_url`): `GET /l/{link}` counts one click on the button and
//! redirects to where it goes, re-checking a web address on the way out.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use postern_service::interactive::ClickTarget;

use crate::AppState;
use crate::error::ApiResult;

pub fn router() -> Router<AppState> {
    Router::new().route("/l/{link}", get(click))
}

async fn click(State(s): State<AppState>, Path(link): Path<String>) -> ApiResult<Response> {
    let target = match s.services.click(&link).await? {
        ClickTarget::Local(path) | ClickTarget::Web(path) => path,
    };
    let mut response = StatusCode::FOUND.into_response();
    let h = response.headers_mut();
    // A link that cannot be a header value was refused when the button was made; if one
    // slips through it is not followed.
    let location = HeaderValue::from_str(&target).map_err(postern_core::Error::internal)?;
    h.insert(header::LOCATION, location);
    // Each click is counted, so none may be answered from a cache; the page the person came
    // from (a conversation) is not told to the site they go to.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}
