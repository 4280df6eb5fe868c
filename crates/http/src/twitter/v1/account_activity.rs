//! The Account Activity API as Twitter's v1.1 premium tier served it (reference
//! `twitter-dm-api.md` §10.1): an app's webhook per environment, registered by the app's
//! owner once its URL answers the CRC, and the people who subscribe their activity to it.
//!
//! - `POST all/:env_name/webhooks.json?url=` (the owner's tokens) → the webhook;
//!   `GET all/:env_name/webhooks.json` → the list; `PUT` and `DELETE
//!   all/:env_name/webhooks/:webhook_id.json` → the CRC again, or the end of it (204).
//! - `POST|GET|DELETE all/:env_name/subscriptions.json` (the subscribing person's tokens) →
//!   204 (GET: 204 when subscribed, 404 otherwise).
//! - `GET all/:env_name/subscriptions/list.json`, `DELETE
//!   all/:env_name/subscriptions/:user_id.json` and `GET all/subscriptions/count.json` (the
//!   app's bearer token, or a person's).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use postern_core::auth::Scope;
use postern_core::{Error, UserId};
use postern_service::account_activity::ActivityWebhook;
use serde_json::{Value, json};

use super::{V1Result, no_content};
use crate::AppState;
use crate::twitter::signed::Signed;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/account_activity/all/{env}/webhooks.json",
            get(list_webhooks).post(register),
        )
        .route(
            "/account_activity/all/{env}/webhooks/{id}",
            put(recheck).delete(delete_webhook),
        )
        .route(
            "/account_activity/all/{env}/subscriptions.json",
            get(check).post(subscribe).delete(unsubscribe),
        )
        .route(
            "/account_activity/all/{env}/subscriptions/list.json",
            get(subscribers),
        )
        .route(
            "/account_activity/all/{env}/subscriptions/{user_id}",
            axum::routing::delete(remove_subscriber),
        )
        .route("/account_activity/all/subscriptions/count.json", get(count))
}

/// An id in a path, as Twitter writes it (`123.json`).
pub(crate) fn path_id<T: std::str::FromStr>(field: &str, raw: &str) -> Result<T, Error> {
    let bare = raw.strip_suffix(".json").unwrap_or(raw);
    bare.parse()
        .map_err(|_| Error::invalid(field, format!("'{bare}' is not an id")))
}

fn webhook_json(w: &ActivityWebhook) -> Value {
    json!({
        "id": w.id.to_string(),
        "url": w.url,
        "valid": w.valid,
        "created_at": w.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    })
}

/// `POST all/:env_name/webhooks.json?url=`.
async fn register(
    State(s): State<AppState>,
    Path(env): Path<String>,
    req: Signed,
) -> V1Result<Response> {
    let owner = req.user(Scope::DmRead)?.user_id;
    let url = req.required("url")?.to_owned();
    let hook = s
        .services
        .register_activity_webhook(req.app(), owner, &env, &url)
        .await?;
    Ok(Json(webhook_json(&hook)).into_response())
}

/// `GET all/:env_name/webhooks.json`.
async fn list_webhooks(
    State(s): State<AppState>,
    Path(env): Path<String>,
    req: Signed,
) -> V1Result<Response> {
    let hooks = s.services.activity_webhooks(req.app(), &env).await?;
    Ok(Json(Value::Array(hooks.iter().map(webhook_json).collect())).into_response())
}

/// `PUT all/:env_name/webhooks/:webhook_id.json`: the CRC, now.
async fn recheck(
    State(s): State<AppState>,
    Path((env, id)): Path<(String, String)>,
    req: Signed,
) -> V1Result<Response> {
    let owner = req.user(Scope::DmRead)?.user_id;
    s.services
        .recheck_activity_webhook(req.app(), owner, &env, path_id("webhook_id", &id)?)
        .await?;
    Ok(no_content())
}

/// `DELETE all/:env_name/webhooks/:webhook_id.json`.
async fn delete_webhook(
    State(s): State<AppState>,
    Path((env, id)): Path<(String, String)>,
    req: Signed,
) -> V1Result<Response> {
    let owner = req.user(Scope::DmRead)?.user_id;
    s.services
        .delete_activity_webhook(req.app(), owner, &env, path_id("webhook_id", &id)?)
        .await?;
    Ok(no_content())
}

/// `POST all/:env_name/subscriptions.json`: the person's activity goes to the app's webhook.
async fn subscribe(
    State(s): State<AppState>,
    Path(env): Path<String>,
    req: Signed,
) -> V1Result<Response> {
    let me = req.user(Scope::DmRead)?.user_id;
    s.services.subscribe_activity(req.app(), &env, me).await?;
    Ok(no_content())
}

/// `GET all/:env_name/subscriptions.json`: 204 when subscribed.
async fn check(
    State(s): State<AppState>,
    Path(env): Path<String>,
    req: Signed,
) -> V1Result<Response> {
    let me = req.user(Scope::DmRead)?.user_id;
    if s.services.is_subscribed(req.app(), &env, me).await? {
        Ok(no_content())
    } else {
        Err(Error::NotFound(postern_core::error::Thing::Webhook).into())
    }
}

/// `DELETE all/:env_name/subscriptions.json`: the person's own.
async fn unsubscribe(
    State(s): State<AppState>,
    Path(env): Path<String>,
    req: Signed,
) -> V1Result<Response> {
    let me = req.user(Scope::DmRead)?.user_id;
    s.services.unsubscribe_activity(req.app(), &env, me).await?;
    Ok(no_content())
}

/// `DELETE all/:env_name/subscriptions/:user_id.json`: the app ends someone's.
async fn remove_subscriber(
    State(s): State<AppState>,
    Path((env, user)): Path<(String, String)>,
    req: Signed,
) -> V1Result<Response> {
    let user: UserId = path_id("user_id", &user)?;
    s.services
        .unsubscribe_activity(req.app(), &env, user)
        .await?;
    Ok(no_content())
}

/// `GET all/:env_name/subscriptions/list.json`.
async fn subscribers(
    State(s): State<AppState>,
    Path(env): Path<String>,
    req: Signed,
) -> V1Result<Response> {
    let app = req.app();
    let (webhook, users) = s.services.activity_subscribers(app, &env).await?;
    Ok(Json(json!({
        "environment": env,
        "application_id": app.to_string(),
        "webhook_id": webhook.to_string(),
        "subscriptions": users.iter().map(|u| json!({"user_id": u.to_string()})).collect::<Vec<_>>(),
    }))
    .into_response())
}

/// `GET all/subscriptions/count.json`: over every environment of the app.
async fn count(State(s): State<AppState>, req: Signed) -> V1Result<Response> {
    let n = s.services.activity_subscription_count(req.app()).await?;
    Ok(Json(json!({
        "subscriptions_count": n,
        "subscriptions_count_all": n.to_string(),
        "subscriptions_count_direct_messages": n.to_string(),
        "provisioned_count": s.services.config().webhook_subscriptions_max.to_string(),
    }))
    .into_response())
}
