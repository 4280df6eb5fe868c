//! Support accounts: `GET/PUT /api/v1/me/support`.

use axum::extract::State;
use postern_core::support::SupportSettings;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Json};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(support, set_support))
}

/// `GET /api/v1/me/support`: your support settings (off until set).
#[utoipa::path(get, path = "/me/support", tag = "business", responses((status = 200, body = SupportSettings)))]
async fn support(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<Json<SupportSettings>> {
    Ok(Json(s.services.support_settings(c.user_id).await?))
}

/// `PUT /api/v1/me/support`: turns support on or off, with opening hours (`null`: always
/// open) and an away message. On opens the account to messages from everyone.
#[utoipa::path(put, path = "/me/support", tag = "business", request_body = SupportSettings,
    responses((status = 200, body = SupportSettings)))]
async fn set_support(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(r): Json<SupportSettings>,
) -> ApiResult<Json<SupportSettings>> {
    Ok(Json(s.services.set_support(c.user_id, r).await?))
}
