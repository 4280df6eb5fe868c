//! Custom profiles: `POST/GET /api/v1/custom_profiles`, `GET/DELETE /api/v1/custom_profiles/{id}`.

use axum::extract::State;
use axum::http::StatusCode;
use postern_core::parts::CustomProfile;
use postern_core::{Error, MediaId, ObjectId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Json, Path};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, delete))
}

fn profile_id(raw: &str) -> Result<ObjectId, Error> {
    super::id("id", raw)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProfile {
    /// Up to 48 characters, one line: what recipients see as the sender.
    name: String,
    /// One of your finished image uploads: its middle square is the picture.
    media_id: Option<MediaId>,
}

#[derive(Serialize, ToSchema)]
pub struct ProfileList {
    custom_profiles: Vec<CustomProfile>,
}

/// `POST /api/v1/custom_profiles`.
#[utoipa::path(post, path = "/custom_profiles", tag = "business", request_body = CreateProfile,
    responses((status = 201, body = CustomProfile)))]
async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(r): Json<CreateProfile>,
) -> ApiResult<(StatusCode, Json<CustomProfile>)> {
    let created = s
        .services
        .create_custom_profile(c.user_id, &r.name, r.media_id)
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /api/v1/custom_profiles`: yours, oldest first.
#[utoipa::path(get, path = "/custom_profiles", tag = "business", responses((status = 200, body = ProfileList)))]
async fn list(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<Json<ProfileList>> {
    Ok(Json(ProfileList {
        custom_profiles: s.services.custom_profiles(c.user_id).await?,
    }))
}

/// `GET /api/v1/custom_profiles/{id}`.
#[utoipa::path(get, path = "/custom_profiles/{id}", tag = "business", responses((status = 200, body = CustomProfile)))]
async fn show(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CustomProfile>> {
    Ok(Json(
        s.services
            .custom_profile(c.user_id, profile_id(&id)?)
            .await?,
    ))
}

/// `DELETE /api/v1/custom_profiles/{id}`: no more sends as it; messages sent as it keep it.
#[utoipa::path(delete, path = "/custom_profiles/{id}", tag = "business", responses((status = 204)))]
async fn delete(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.services
        .delete_custom_profile(c.user_id, profile_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
