//! The bot builder: `GET/POST /api/v1/flows`, `GET/PUT/DELETE /api/v1/flows/{id}`.

use axum::extract::State;
use axum::http::StatusCode;
use postern_core::ObjectId;
use postern_core::flows::FlowDraft;
use postern_service::flows::Flow;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Json, Path};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, replace, delete))
}

fn flow_id(raw: &str) -> Result<ObjectId, postern_core::Error> {
    super::id("id", raw)
}

#[derive(Serialize, ToSchema)]
pub struct FlowList {
    /// In the order they are tried.
    flows: Vec<Flow>,
}

/// `GET /api/v1/flows`: your bot's flows, in the order a message tries them.
#[utoipa::path(get, path = "/flows", tag = "flows", responses((status = 200, body = FlowList)))]
async fn list(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<Json<FlowList>> {
    Ok(Json(FlowList {
        flows: s.services.flows(c.user_id).await?,
    }))
}

/// `POST /api/v1/flows`: a flow (a trigger and up to 20 steps), tried after the others.
#[utoipa::path(post, path = "/flows", tag = "flows", request_body = FlowDraft,
    responses((status = 201, body = Flow)))]
async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(draft): Json<FlowDraft>,
) -> ApiResult<(StatusCode, Json<Flow>)> {
    let flow = s.services.create_flow(c.user_id, draft).await?;
    Ok((StatusCode::CREATED, Json(flow)))
}

/// `GET /api/v1/flows/{id}`.
#[utoipa::path(get, path = "/flows/{id}", tag = "flows", responses((status = 200, body = Flow)))]
async fn show(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Flow>> {
    Ok(Json(s.services.flow(c.user_id, flow_id(&id)?).await?))
}

/// `PUT /api/v1/flows/{id}`: the flow rewritten whole.
#[utoipa::path(put, path = "/flows/{id}", tag = "flows", request_body = FlowDraft,
    responses((status = 200, body = Flow)))]
async fn replace(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    Json(draft): Json<FlowDraft>,
) -> ApiResult<Json<Flow>> {
    Ok(Json(
        s.services
            .replace_flow(c.user_id, flow_id(&id)?, draft)
            .await?,
    ))
}

/// `DELETE /api/v1/flows/{id}`.
#[utoipa::path(delete, path = "/flows/{id}", tag = "flows", responses((status = 204)))]
async fn delete(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.services.delete_flow(c.user_id, flow_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
