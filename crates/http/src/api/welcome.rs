//! Welcome messages: `/api/v1/welcome_messages[/{id}]`, the default at
//! `/api/v1/welcome_messages/default`, and what a person is greeted with at
//! `/api/v1/users/{id}/welcome_message`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use postern_core::welcome::{MessageData, WelcomeMessage};
use postern_core::{Error, ObjectId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Json, Path, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(set_default, clear_default))
        .routes(routes!(show, update, delete))
        .routes(routes!(greeting))
}

fn welcome_id(raw: &str) -> Result<ObjectId, Error> {
    super::id("id", raw)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWelcome {
    /// Up to 100 characters, one line; for the account's own use.
    name: String,
    message_data: MessageData,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWelcome {
    name: Option<String>,
    /// Replaces the message data whole.
    message_data: Option<MessageData>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultWelcome {
    welcome_message_id: ObjectId,
}

#[derive(Serialize, ToSchema)]
pub struct WelcomeList {
    welcome_messages: Vec<WelcomeMessage>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct GreetingParams {
    /// A deep link's choice, instead of the default.
    welcome_message_id: Option<String>,
}

/// `POST /api/v1/welcome_messages`: needs `allow_dms_from` everyone.
#[utoipa::path(post, path = "/welcome_messages", tag = "business", request_body = CreateWelcome,
    responses((status = 201, body = WelcomeMessage)))]
async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(r): Json<CreateWelcome>,
) -> ApiResult<(StatusCode, Json<WelcomeMessage>)> {
    let created = s
        .services
        .create_welcome(c.user_id, &r.name, r.message_data)
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /api/v1/welcome_messages`: yours, oldest first.
#[utoipa::path(get, path = "/welcome_messages", tag = "business", responses((status = 200, body = WelcomeList)))]
async fn list(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<Json<WelcomeList>> {
    Ok(Json(WelcomeList {
        welcome_messages: s.services.welcomes(c.user_id).await?,
    }))
}

/// `GET /api/v1/welcome_messages/{id}`.
#[utoipa::path(get, path = "/welcome_messages/{id}", tag = "business", responses((status = 200, body = WelcomeMessage)))]
async fn show(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<WelcomeMessage>> {
    Ok(Json(s.services.welcome(c.user_id, welcome_id(&id)?).await?))
}

/// `PATCH /api/v1/welcome_messages/{id}`.
#[utoipa::path(patch, path = "/welcome_messages/{id}", tag = "business", request_body = UpdateWelcome,
    responses((status = 200, body = WelcomeMessage)))]
async fn update(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    Json(r): Json<UpdateWelcome>,
) -> ApiResult<Json<WelcomeMessage>> {
    let id = welcome_id(&id)?;
    Ok(Json(
        s.services
            .update_welcome(c.user_id, id, r.name.as_deref(), r.message_data)
            .await?,
    ))
}

/// `DELETE /api/v1/welcome_messages/{id}`: the default goes with it.
#[utoipa::path(delete, path = "/welcome_messages/{id}", tag = "business", responses((status = 204)))]
async fn delete(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.services
        .delete_welcome(c.user_id, welcome_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/v1/welcome_messages/default`: the one that greets people by default.
#[utoipa::path(put, path = "/welcome_messages/default", tag = "business", request_body = DefaultWelcome,
    responses((status = 200, body = WelcomeMessage)))]
async fn set_default(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(r): Json<DefaultWelcome>,
) -> ApiResult<Json<WelcomeMessage>> {
    Ok(Json(
        s.services
            .set_default_welcome(c.user_id, r.welcome_message_id)
            .await?,
    ))
}

/// `DELETE /api/v1/welcome_messages/default`: no default.
#[utoipa::path(delete, path = "/welcome_messages/default", tag = "business", responses((status = 204)))]
async fn clear_default(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<StatusCode> {
    s.services.clear_default_welcome(c.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/users/{id}/welcome_message`: what you are greeted with on opening a
/// conversation with that account now (200), or nothing (204).
#[utoipa::path(get, path = "/users/{id}/welcome_message", tag = "business", params(GreetingParams),
    responses((status = 200, body = WelcomeMessage), (status = 204, description = "no greeting now")))]
async fn greeting(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    Query(p): Query<GreetingParams>,
) -> ApiResult<Response> {
    let account: UserId = super::id("id", &id)?;
    let chosen = p
        .welcome_message_id
        .as_deref()
        .map(|raw| super::id::<ObjectId>("welcome_message_id", raw))
        .transpose()?;
    Ok(
        match s.services.welcome_for(c.user_id, account, chosen).await? {
            Some(w) => Json(w).into_response(),
            None => StatusCode::NO_CONTENT.into_response(),
        },
    )
}
