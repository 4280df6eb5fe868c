//! X's v2 webhooks and Account Activity on v2 (`x-api-v2-current.md` §6, §7).
//!
//! - `POST /2/webhooks {"url"}` (after the CRC) → `{"data": {id, url, valid, created_at}}`;
//!   `GET /2/webhooks`; `PUT /2/webhooks/:id` (the CRC now) → `{"data": {"valid": true}}`;
//!   `DELETE /2/webhooks/:id` → `{"data": {"deleted": true}}`; `POST /2/webhooks/replay
//!   {"webhook_id", "from_date", "to_date"}` (UTC `yyyymmddhhmm`) → `{"data": {job_id,
//!   created_at}}`. The app's bearer token, or its owner's user token.
//! - `POST|GET /2/account_activity/webhooks/:id/subscriptions/all` (the subscribing person)
//!   → `{"data": {"subscribed": bool}}`; `GET …/subscriptions/all/list`, `DELETE
//!   …/subscriptions/:user_id/all` and `GET /2/account_activity/subscriptions/count` (the app).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::{DateTime, NaiveDateTime, Utc};
use postern_core::auth::Scope;
use postern_core::{Error, ObjectId, UserId};
use postern_service::account_activity::ActivityWebhook;
use serde::Deserialize;
use serde_json::{Value, json};

use super::V2Result;
use crate::AppState;
use crate::twitter::signed::{Principal, Signed};
use crate::twitter::v1::V1Error;
use crate::twitter::v1::account_activity::path_id;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks", get(list).post(create))
        .route("/webhooks/replay", post(replay))
        .route("/webhooks/{id}", put(validate).delete(remove))
        .route(
            "/account_activity/webhooks/{id}/subscriptions/all",
            get(check).post(subscribe),
        )
        .route(
            "/account_activity/webhooks/{id}/subscriptions/all/list",
            get(subscribers),
        )
        .route(
            "/account_activity/webhooks/{id}/subscriptions/{user_id}/all",
            axum::routing::delete(remove_subscriber),
        )
        .route("/account_activity/subscriptions/count", get(count))
}

/// The app whose webhooks these are: its own bearer token, or its owner acting through it.
async fn managed_app(s: &AppState, req: &Signed) -> Result<ObjectId, Error> {
    match &req.principal {
        Principal::App(app) => Ok(*app),
        Principal::User { user, app, .. } => {
            s.services.require_app_owner(*app, *user).await?;
            Ok(*app)
        }
    }
}

fn webhook_json(w: &ActivityWebhook) -> Value {
    json!({
        "id": w.id.to_string(),
        "url": w.url,
        "valid": w.valid,
        "created_at": w.created_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    url: String,
}

/// `POST /2/webhooks`.
async fn create(State(s): State<AppState>, req: Result<Signed, V1Error>) -> V2Result<Response> {
    let req = req?;
    let app = managed_app(&s, &req).await?;
    let body: CreateBody = req.json()?;
    let hook = s.services.create_app_webhook(app, &body.url).await?;
    Ok(Json(json!({"data": webhook_json(&hook)})).into_response())
}

/// `GET /2/webhooks`.
async fn list(State(s): State<AppState>, req: Result<Signed, V1Error>) -> V2Result<Response> {
    let req = req?;
    let app = managed_app(&s, &req).await?;
    let hooks = s.services.app_webhooks(app).await?;
    Ok(Json(json!({
        "data": hooks.iter().map(webhook_json).collect::<Vec<_>>(),
        "meta": {"result_count": hooks.len()},
    }))
    .into_response())
}

/// `PUT /2/webhooks/:id`: the CRC now.
async fn validate(
    State(s): State<AppState>,
    Path(id): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let app = managed_app(&s, &req).await?;
    s.services
        .validate_app_webhook(app, path_id("webhook_id", &id)?)
        .await?;
    Ok(Json(json!({"data": {"valid": true}})).into_response())
}

/// `DELETE /2/webhooks/:id`.
async fn remove(
    State(s): State<AppState>,
    Path(id): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let app = managed_app(&s, &req).await?;
    s.services
        .delete_app_webhook(app, path_id("webhook_id", &id)?)
        .await?;
    Ok(Json(json!({"data": {"deleted": true}})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayBody {
    webhook_id: String,
    from_date: String,
    to_date: String,
}

/// A UTC `yyyymmddhhmm`, as X's replay takes it.
fn minute(field: &str, raw: &str) -> Result<DateTime<Utc>, Error> {
    let well_formed = raw.len() == 12 && raw.bytes().all(|b| b.is_ascii_digit());
    NaiveDateTime::parse_from_str(raw, "%Y%m%d%H%M")
        .ok()
        .filter(|_| well_formed)
        .map(|t| t.and_utc())
        .ok_or_else(|| Error::invalid(field, format!("must be a UTC yyyymmddhhmm, got '{raw}'")))
}

/// `POST /2/webhooks/replay`.
async fn replay(State(s): State<AppState>, req: Result<Signed, V1Error>) -> V2Result<Response> {
    let req = req?;
    let app = managed_app(&s, &req).await?;
    let body: ReplayBody = req.json()?;
    let webhook = path_id("webhook_id", &body.webhook_id)?;
    let (from, to) = (
        minute("from_date", &body.from_date)?,
        minute("to_date", &body.to_date)?,
    );
    let job = s
        .services
        .replay_app_webhook(app, webhook, from, to)
        .await?;
    Ok(Json(json!({"data": {
        "job_id": job.id.to_string(),
        "created_at": job.created_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
    }}))
    .into_response())
}

/// `POST /2/account_activity/webhooks/:id/subscriptions/all`: the person's activity goes to
/// the webhook (an empty JSON body, or none).
async fn subscribe(
    State(s): State<AppState>,
    Path(id): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let me = req.user(Scope::DmRead)?.user_id;
    s.services
        .subscribe_to_webhook(req.app(), path_id("webhook_id", &id)?, me)
        .await?;
    Ok(Json(json!({"data": {"subscribed": true}})).into_response())
}

/// `GET /2/account_activity/webhooks/:id/subscriptions/all`.
async fn check(
    State(s): State<AppState>,
    Path(id): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let me = req.user(Scope::DmRead)?.user_id;
    let subscribed = s
        .services
        .webhook_has_subscriber(req.app(), path_id("webhook_id", &id)?, me)
        .await?;
    Ok(Json(json!({"data": {"subscribed": subscribed}})).into_response())
}

/// `GET /2/account_activity/webhooks/:id/subscriptions/all/list`.
async fn subscribers(
    State(s): State<AppState>,
    Path(id): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let app = req.app();
    let webhook = path_id("webhook_id", &id)?;
    let hook = s.services.app_webhook(app, webhook).await?;
    let users = s.services.webhook_subscribers(app, webhook).await?;
    Ok(Json(json!({"data": {
        "application_id": app.to_string(),
        "webhook_id": webhook.to_string(),
        "webhook_url": hook.url,
        "subscriptions": users.iter().map(|u| json!({"user_id": u.to_string()})).collect::<Vec<_>>(),
    }}))
    .into_response())
}

/// `DELETE /2/account_activity/webhooks/:id/subscriptions/:user_id/all`.
async fn remove_subscriber(
    State(s): State<AppState>,
    Path((id, user)): Path<(String, String)>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let user: UserId = path_id("user_id", &user)?;
    s.services
        .unsubscribe_from_webhook(req.app(), path_id("webhook_id", &id)?, user)
        .await?;
    Ok(Json(json!({"data": {"subscribed": false}})).into_response())
}

/// `GET /2/account_activity/subscriptions/count`: every count a string, as X writes them.
async fn count(State(s): State<AppState>, req: Result<Signed, V1Error>) -> V2Result<Response> {
    let req = req?;
    let app = req.app();
    let n = s.services.activity_subscription_count(app).await?;
    let name = s.services.app_name(app).await?;
    Ok(Json(json!({"data": {
        "account_name": name,
        "provisioned_count": s.services.config().webhook_subscriptions_max.to_string(),
        "subscriptions_count_all": n.to_string(),
        "subscriptions_count_direct_messages": "0",
    }}))
    .into_response())
}
