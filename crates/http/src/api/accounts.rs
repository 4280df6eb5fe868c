//! Accounts, sessions, profile, settings and tokens.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{DateTime, Utc};
use postern_core::ObjectId;
use postern_core::model::{AllowDmsFrom, Settings, User};
use postern_service::Credential;
use postern_service::accounts::Registration;
use postern_service::auth::Issued;
use postern_store::{SettingsPatch, TokenRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::{Auth, SESSION_COOKIE, SIGNED_IN_COOKIE, presented_secret};
use crate::error::{ApiResult, Json, Path};
use crate::peer::Peer;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(current_session, logout))
        .routes(routes!(me, update_me))
        .routes(routes!(settings, update_settings))
        .routes(routes!(create_token, list_tokens))
        .routes(routes!(delete_token))
}

#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    screen_name: String,
    password: String,
    name: Option<String>,
    /// `true` for a browser session: an HttpOnly cookie plus a CSRF token.
    #[serde(default)]
    session: bool,
}

#[derive(Serialize, ToSchema)]
pub struct SessionResponse {
    user: User,
    /// Bearer token for API clients (absent for browser sessions, which use the cookie).
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    /// For browser sessions: send it back in `X-CSRF-Token` on changing requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    csrf_token: Option<String>,
}

/// `POST /api/v1/accounts`: register; returns the user and a bearer token (or, with
/// `session`, sets the session cookie and returns a CSRF token).
#[utoipa::path(post, path = "/accounts", tag = "accounts", request_body = RegisterRequest,
    responses((status = 201, body = SessionResponse), (status = 400, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn register(
    State(s): State<AppState>,
    Peer(from): Peer,
    headers: HeaderMap,
    jar: CookieJar,
    Json(r): Json<RegisterRequest>,
) -> ApiResult<Response> {
    let secure = s.site.is_https(&headers, from);
    let (user, issued) = s
        .services
        .register(Registration {
            screen_name: r.screen_name,
            password: r.password,
            name: r.name,
            verified: false,
            session: r.session,
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        signed_in(&s, jar, user, issued, r.session, secure),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    screen_name: String,
    password: String,
    /// `true` for a browser session: an HttpOnly cookie plus a CSRF token.
    #[serde(default)]
    session: bool,
}

/// `POST /api/v1/sessions`: log in.
#[utoipa::path(post, path = "/sessions", tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = SessionResponse), (status = 401, body = crate::error::ErrorBody),
        (status = 429, description = "too many failed logins for the account or from the address: wait Retry-After seconds", body = crate::error::ErrorBody)))]
async fn login(
    State(s): State<AppState>,
    Peer(from): Peer,
    headers: HeaderMap,
    jar: CookieJar,
    Json(r): Json<LoginRequest>,
) -> ApiResult<Response> {
    let secure = s.site.is_https(&headers, from);
    let (user, issued) = s
        .services
        .login(&r.screen_name, r.password, r.session, from)
        .await?;
    Ok(signed_in(&s, jar, user, issued, r.session, secure))
}

/// The response to a registration or login: a bearer token in the body, or for a browser
/// session an HttpOnly cookie (JavaScript cannot read it; `Secure` when the site is served
/// over HTTPS, so it never travels in the clear) and the CSRF token to send back.
fn signed_in(
    s: &AppState,
    jar: CookieJar,
    user: User,
    issued: Issued,
    session: bool,
    secure: bool,
) -> Response {
    if !session {
        let body = SessionResponse {
            user,
            token: Some(issued.secret),
            csrf_token: None,
        };
        return Json(body).into_response();
    }
    let lifetime = cookie::time::Duration::days(s.services.config().session_days);
    let cookie = Cookie::build((SESSION_COOKIE, issued.secret))
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(lifetime)
        .build();
    let hint = Cookie::build((SIGNED_IN_COOKIE, "1"))
        .secure(secure)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(lifetime)
        .build();
    let body = SessionResponse {
        user,
        token: None,
        csrf_token: issued.record.csrf,
    };
    (jar.add(cookie).add(hint), Json(body)).into_response()
}

/// `GET /api/v1/sessions/current`: who is signed in. For a browser session it returns the
/// CSRF token again, so a reloaded page can keep making changes.
#[utoipa::path(get, path = "/sessions/current", tag = "accounts", responses((status = 200, body = SessionResponse), (status = 401, body = crate::error::ErrorBody)))]
async fn current_session(
    State(s): State<AppState>,
    Auth(c): Auth,
) -> ApiResult<Json<SessionResponse>> {
    let csrf_token = match c.credential {
        Credential::Cookie { csrf } => Some(csrf),
        Credential::Bearer | Credential::App { .. } => None,
    };
    Ok(Json(SessionResponse {
        user: s.services.user(c.user_id).await?,
        token: None,
        csrf_token,
    }))
}

/// `DELETE /api/v1/sessions/current`: log out (revokes the presented token or cookie).
#[utoipa::path(delete, path = "/sessions/current", tag = "accounts", responses((status = 204)))]
async fn logout(
    State(s): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    jar: CookieJar,
) -> ApiResult<Response> {
    if let Some(secret) = presented_secret(&headers) {
        s.services.revoke_secret(caller.user_id, &secret).await?;
    }
    Ok((
        jar.remove(Cookie::build(SESSION_COOKIE).path("/"))
            .remove(Cookie::build(SIGNED_IN_COOKIE).path("/")),
        StatusCode::NO_CONTENT,
    )
        .into_response())
}

/// `GET /api/v1/me`.
#[utoipa::path(get, path = "/me", tag = "accounts", responses((status = 200, body = User)))]
async fn me(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<Json<User>> {
    Ok(Json(s.services.user(c.user_id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct ProfileRequest {
    name: Option<String>,
    description: Option<String>,
}

/// `PATCH /api/v1/me`: name and description.
#[utoipa::path(patch, path = "/me", tag = "accounts", request_body = ProfileRequest, responses((status = 200, body = User)))]
async fn update_me(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(r): Json<ProfileRequest>,
) -> ApiResult<Json<User>> {
    Ok(Json(
        s.services
            .update_profile(c.user_id, r.name, r.description)
            .await?,
    ))
}

/// `GET /api/v1/me/settings`.
#[utoipa::path(get, path = "/me/settings", tag = "accounts", responses((status = 200, body = Settings)))]
async fn settings(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<Json<Settings>> {
    Ok(Json(s.services.settings(c.user_id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsRequest {
    allow_dms_from: Option<AllowDmsFrom>,
    read_receipts: Option<bool>,
    quality_filter: Option<bool>,
}

/// `PATCH /api/v1/me/settings`.
#[utoipa::path(patch, path = "/me/settings", tag = "accounts", request_body = SettingsRequest, responses((status = 200, body = Settings)))]
async fn update_settings(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(r): Json<SettingsRequest>,
) -> ApiResult<Json<Settings>> {
    let patch = SettingsPatch {
        allow_dms_from: r.allow_dms_from,
        read_receipts: r.read_receipts,
        quality_filter: r.quality_filter,
    };
    Ok(Json(s.services.update_settings(c.user_id, patch).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenInfo {
    id: ObjectId,
    name: Option<String>,
    created_at: DateTime<Utc>,
    /// Only in the response that created it; never shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

/// `POST /api/v1/me/tokens`: a new personal access token.
#[utoipa::path(post, path = "/me/tokens", tag = "accounts", request_body = TokenRequest, responses((status = 201, body = TokenInfo)))]
async fn create_token(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(r): Json<TokenRequest>,
) -> ApiResult<Response> {
    let issued = s.services.create_personal_token(c.user_id, r.name).await?;
    let info = TokenInfo {
        token: Some(issued.secret),
        ..TokenInfo::from(issued.record)
    };
    Ok((StatusCode::CREATED, Json(info)).into_response())
}

impl From<TokenRecord> for TokenInfo {
    fn from(t: TokenRecord) -> Self {
        TokenInfo {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            token: None,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TokenList {
    tokens: Vec<TokenInfo>,
}

/// `GET /api/v1/me/tokens`.
#[utoipa::path(get, path = "/me/tokens", tag = "accounts", responses((status = 200, body = TokenList)))]
async fn list_tokens(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<Json<TokenList>> {
    let tokens = s.services.personal_tokens(c.user_id).await?;
    let tokens = tokens.into_iter().map(TokenInfo::from).collect();
    Ok(Json(TokenList { tokens }))
}

/// `DELETE /api/v1/me/tokens/{id}`.
#[utoipa::path(delete, path = "/me/tokens/{id}", tag = "accounts", responses((status = 204)))]
async fn delete_token(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: ObjectId = super::id("id", &id)?;
    s.services.revoke_token(c.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
