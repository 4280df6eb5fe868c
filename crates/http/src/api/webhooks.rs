//! Native webhooks: `POST/GET /api/v1/webhooks`, `GET/PATCH/DELETE /api/v1/webhooks/{id}`,
//! `GET /api/v1/webhooks/{id}/deliveries` (the log), `POST /api/v1/webhooks/{id}/ping` and
//! `POST /api/v1/webhooks/{id}/replay` (a time range again; `GET …/replays/{replay_id}`).

use axum::extract::State;
use axum::http::StatusCode;
use postern_core::ObjectId;
use postern_service::webhook_replay::Replay;
use postern_service::webhooks::{Delivery, Webhook, WebhookChange};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Json, Path, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, update, delete))
        .routes(routes!(deliveries))
        .routes(routes!(ping))
        .routes(routes!(replay))
        .routes(routes!(replay_state))
}

fn webhook_id(raw: &str) -> Result<ObjectId, postern_core::Error> {
    super::id("id", raw)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// An http(s) URL that reaches a public address (or one the operator allows).
    url: String,
    /// The events to deliver; empty or absent: every one.
    #[serde(default)]
    events: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    url: Option<String>,
    events: Option<Vec<String>>,
    /// Off: no deliveries (events wait in the stream). On again: it carries on from where
    /// it stopped.
    active: Option<bool>,
}

/// A webhook with its signing secret, shown this once.
#[derive(Serialize, ToSchema)]
pub struct WebhookWithSecret {
    webhook: Webhook,
    /// Signs each delivery: `Postern-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
    /// "<t>.<body>">`.
    secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    webhooks: Vec<Webhook>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryList {
    pub(crate) deliveries: Vec<Delivery>,
}

#[derive(Deserialize, IntoParams)]
pub struct DeliveryParams {
    /// 1–100, default 20.
    pub(crate) limit: Option<usize>,
}

/// `POST /api/v1/webhooks`: your events from now on, POSTed to `url`.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", request_body = CreateWebhook,
    responses((status = 201, body = WebhookWithSecret)))]
async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(r): Json<CreateWebhook>,
) -> ApiResult<(StatusCode, Json<WebhookWithSecret>)> {
    let (webhook, secret) = s
        .services
        .create_webhook(c.user_id, &r.url, r.events)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookWithSecret { webhook, secret }),
    ))
}

/// `GET /api/v1/webhooks`: yours, oldest first.
#[utoipa::path(get, path = "/webhooks", tag = "webhooks", responses((status = 200, body = WebhookList)))]
async fn list(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<Json<WebhookList>> {
    Ok(Json(WebhookList {
        webhooks: s.services.webhooks(c.user_id).await?,
    }))
}

/// `GET /api/v1/webhooks/{id}`.
#[utoipa::path(get, path = "/webhooks/{id}", tag = "webhooks", responses((status = 200, body = Webhook)))]
async fn show(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Webhook>> {
    Ok(Json(s.services.webhook(c.user_id, webhook_id(&id)?).await?))
}

/// `PATCH /api/v1/webhooks/{id}`.
#[utoipa::path(patch, path = "/webhooks/{id}", tag = "webhooks", request_body = UpdateWebhook,
    responses((status = 200, body = Webhook)))]
async fn update(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    Json(r): Json<UpdateWebhook>,
) -> ApiResult<Json<Webhook>> {
    let change = WebhookChange {
        url: r.url,
        events: r.events,
        active: r.active,
    };
    Ok(Json(
        s.services
            .update_webhook(c.user_id, webhook_id(&id)?, change)
            .await?,
    ))
}

/// `DELETE /api/v1/webhooks/{id}`.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", responses((status = 204)))]
async fn delete(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.services
        .delete_webhook(c.user_id, webhook_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/webhooks/{id}/deliveries`: the latest attempts first.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks", params(DeliveryParams),
    responses((status = 200, body = DeliveryList)))]
async fn deliveries(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    Query(p): Query<DeliveryParams>,
) -> ApiResult<Json<DeliveryList>> {
    let limit = super::limit(p.limit, 20)?;
    Ok(Json(DeliveryList {
        deliveries: s
            .services
            .webhook_deliveries(c.user_id, webhook_id(&id)?, limit)
            .await?,
    }))
}

/// `POST /api/v1/webhooks/{id}/ping`: a `ping` event delivered now; how it went.
#[utoipa::path(post, path = "/webhooks/{id}/ping", tag = "webhooks",
    responses((status = 200, body = Delivery)))]
async fn ping(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Delivery>> {
    Ok(Json(
        s.services.ping_webhook(c.user_id, webhook_id(&id)?).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// The range's start (RFC 3339), within the last 7 days.
    from: chrono::DateTime<chrono::Utc>,
    /// Its end, excluded; not in the future.
    to: chrono::DateTime<chrono::Utc>,
}

/// `POST /api/v1/webhooks/{id}/replay`: the events stored in `[from, to)` delivered again, in
/// order, with their original ids; runs in the background (follow it with the replay's id).
#[utoipa::path(post, path = "/webhooks/{id}/replay", tag = "webhooks", request_body = ReplayRequest,
    responses((status = 202, body = Replay)))]
async fn replay(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    Json(r): Json<ReplayRequest>,
) -> ApiResult<(StatusCode, Json<Replay>)> {
    let started = s
        .services
        .replay_webhook(c.user_id, webhook_id(&id)?, r.from, r.to)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(started)))
}

/// `GET /api/v1/webhooks/{id}/replays/{replay_id}`: how a replay is going, or how it ended.
#[utoipa::path(get, path = "/webhooks/{id}/replays/{replay_id}", tag = "webhooks",
    responses((status = 200, body = Replay)))]
async fn replay_state(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path((id, replay_id)): Path<(String, String)>,
) -> ApiResult<Json<Replay>> {
    Ok(Json(
        s.services
            .webhook_replay(
                c.user_id,
                webhook_id(&id)?,
                super::id("replay_id", &replay_id)?,
            )
            .await?,
    ))
}
