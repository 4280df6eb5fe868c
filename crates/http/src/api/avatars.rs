//! Avatars: setting and removing your own, and serving anyone's by key.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use postern_core::avatar::{AVATAR_DEFAULT_SIDE, AVATAR_SIDES, Avatar};
use postern_core::error::Thing;
use postern_core::model::User;
use postern_core::{Error, MediaId};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Json, Path, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(set_avatar, remove_avatar))
        .routes(routes!(avatar))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvatarRequest {
    /// One of your finished image uploads (JPEG, PNG, WebP, or a GIF's first frame). Its
    /// middle square becomes the picture.
    media_id: MediaId,
}

/// `PUT /api/v1/me/avatar`: your picture, cut square from an image you uploaded.
#[utoipa::path(put, path = "/me/avatar", tag = "accounts", request_body = AvatarRequest,
    responses((status = 200, body = User)))]
async fn set_avatar(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(r): Json<AvatarRequest>,
) -> ApiResult<Json<User>> {
    Ok(Json(s.services.set_avatar(c.user_id, r.media_id).await?))
}

/// `DELETE /api/v1/me/avatar`: no picture (clients draw initials).
#[utoipa::path(delete, path = "/me/avatar", tag = "accounts", responses((status = 200, body = User)))]
async fn remove_avatar(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<Json<User>> {
    Ok(Json(s.services.remove_avatar(c.user_id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AvatarParams {
    /// The side in pixels: 48, 96, 200 or 400 (the default).
    size: Option<u32>,
}

/// `GET /api/v1/avatars/{key}`: a square JPEG, for anyone (the URL is a user's `avatar_url`;
/// its key is unguessable and changes with the picture, so it is cached for good).
#[utoipa::path(get, path = "/avatars/{key}", tag = "accounts", params(AvatarParams),
    responses((status = 200, description = "a square JPEG"), (status = 404, body = crate::error::ErrorBody)))]
async fn avatar(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(key): Path<String>,
    Query(p): Query<AvatarParams>,
) -> ApiResult<Response> {
    let side = p.size.unwrap_or(AVATAR_DEFAULT_SIDE);
    if !Avatar::is_side(side) {
        let sides = AVATAR_SIDES.map(|s| s.to_string()).join(", ");
        return Err(Error::invalid("size", format!("must be one of {sides}, got {side}")).into());
    }
    let avatar = Avatar::parse(&key).ok_or(Error::NotFound(Thing::Avatar))?;
    let etag = format!("\"{key}-{side}\"");
    if crate::range::not_modified(&headers, &etag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        image_headers(response.headers_mut(), &etag);
        return Ok(response);
    }
    let stored = s.services.avatar_bytes(&avatar, side).await?;
    let length = stored.total;
    let mut response = Body::from_stream(stored.body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    image_headers(h, &etag);
    Ok(response)
}

/// Public and never changing, never sniffed as another type, never run as a document.
fn image_headers(h: &mut HeaderMap, etag: &str) {
    let fixed = [
        (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CONTENT_DISPOSITION, "inline"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ),
    ];
    for (name, value) in fixed {
        h.insert(name, HeaderValue::from_static(value));
    }
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
}
