//! Conversation control (hand-over): `GET/PUT /api/v1/conversations/{id}/control`.

use axum::extract::State;
use postern_core::stream::ControlState;
use postern_service::control::ControlAction;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::conversation_id;
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Json, Path};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show, change))
}

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum ControlMove {
    /// Take control: a person always may (from the web app); a bot only when its side holds it.
    Take,
    /// Hand it to the other side (a person resolving gives it back to the bots).
    Pass,
    /// Ask the side holding it for it.
    Request,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ControlChange {
    action: ControlMove,
    /// Why (≤ 1,000 characters): shown to the account's people and its webhooks.
    note: Option<String>,
}

/// `GET /api/v1/conversations/{id}/control`: who speaks for your support account in this
/// conversation now, its bots or a person.
#[utoipa::path(get, path = "/conversations/{id}/control", tag = "conversations",
    responses((status = 200, body = ControlState)))]
async fn show(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ControlState>> {
    Ok(Json(
        s.services
            .control(&c.actor(), &conversation_id(&id)?)
            .await?,
    ))
}

/// `PUT /api/v1/conversations/{id}/control`: take, pass or request control. Who acts decides
/// the side: the web app is a person; a token or an app is a bot.
#[utoipa::path(put, path = "/conversations/{id}/control", tag = "conversations",
    request_body = ControlChange, responses((status = 200, body = ControlState)))]
async fn change(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    Json(r): Json<ControlChange>,
) -> ApiResult<Json<ControlState>> {
    let action = match r.action {
        ControlMove::Take => ControlAction::Take,
        ControlMove::Pass => ControlAction::Pass,
        ControlMove::Request => ControlAction::Request,
    };
    Ok(Json(
        s.services
            .change_control(&c.actor(), &conversation_id(&id)?, action, r.note)
            .await?,
    ))
}
