//! The X Activity API (`x-api-v2-current.md` §8): an app's subscriptions to people's events,
//! and its stream of them.
//!
//! - `POST /2/activity/subscriptions {"event_type", "filter": {"user_id", "direction"?},
//!   "tag"?, "webhook_id"?}` → `{"data": {"subscription": {…}}, "meta": {"total_subscriptions"}}`;
//!   `GET /2/activity/subscriptions?max_results=&pagination_token=`; `PUT
//!   /2/activity/subscriptions/:id {"tag"?, "webhook_id"?}`; `DELETE
//!   /2/activity/subscriptions/:id` and `DELETE /2/activity/subscriptions?ids=`.
//! - `GET /2/activity/stream?backfill_minutes=` (app-only bearer): one envelope per line,
//!   `\r\n` after each, a blank line every 20 s to keep it open; at most 2 per app.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use futures::StreamExt;
use postern_core::auth::Scope;
use postern_core::{Error, ObjectId};
use postern_service::activity::{ActivitySubscription, NewSubscription};
use serde::Deserialize;
use serde_json::{Value, json};

use super::V2Result;
use crate::AppState;
use crate::twitter::signed::{Principal, Signed};
use crate::twitter::v1::V1Error;
use crate::twitter::v1::account_activity::path_id;

/// How often the stream says it is alive when nothing happens (X: at least every 20 s).
const KEEP_ALIVE: Duration = Duration::from_secs(20);

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/activity/subscriptions",
            get(list).post(create).delete(delete_many),
        )
        .route(
            "/activity/subscriptions/{id}",
            put(update).delete(delete_one),
        )
        .route("/activity/stream", get(stream))
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn subscription_json(s: &ActivitySubscription) -> Value {
    let mut v = json!({
        "subscription_id": s.id.to_string(),
        "event_type": s.event_type,
        "filter": s.filter(),
        "created_at": time(s.created_at),
        "updated_at": time(s.updated_at),
    });
    if let Some(o) = v.as_object_mut() {
        if let Some(tag) = &s.tag {
            o.insert("tag".into(), json!(tag));
        }
        if let Some(w) = s.webhook_id {
            o.insert("webhook_id".into(), json!(w.to_string()));
        }
    }
    v
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Filter {
    user_id: Option<String>,
    direction: Option<String>,
    /// X's keyword filter is for `news.new`, which Postern has not: refused by name.
    keyword: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    event_type: String,
    filter: Filter,
    tag: Option<String>,
    webhook_id: Option<String>,
}

/// The scope a person's token needs for an event type (spec-2.167's rule, for the scopes
/// Postern has).
fn scope_for(event_type: &str) -> Scope {
    if event_type.starts_with("dm.") {
        Scope::DmRead
    } else {
        Scope::TweetRead
    }
}

/// `POST /2/activity/subscriptions`.
async fn create(State(s): State<AppState>, req: Result<Signed, V1Error>) -> V2Result<Response> {
    let req = req?;
    let body: CreateBody = req.json()?;
    if body.filter.keyword.is_some() {
        return Err(Error::invalid(
            "filter.keyword",
            "keyword filters are for news.new, which this server does not deliver",
        )
        .into());
    }
    let acting = match &req.principal {
        Principal::App(_) => None,
        Principal::User { .. } => Some(req.user(scope_for(&body.event_type))?.user_id),
    };
    let user = body
        .filter
        .user_id
        .as_deref()
        .ok_or_else(|| Error::invalid("filter.user_id", "is required"))?;
    let new = NewSubscription {
        event_type: body.event_type,
        user_id: path_id("filter.user_id", user)?,
        direction: body.filter.direction,
        tag: body.tag,
        webhook_id: body
            .webhook_id
            .map(|w| path_id::<ObjectId>("webhook_id", &w))
            .transpose()?,
    };
    let app = req.app();
    let made = s
        .services
        .create_activity_subscription(app, acting, new)
        .await?;
    let total = s.services.activity_subscriptions(app).await?.len();
    Ok(Json(json!({
        "data": {"subscription": subscription_json(&made)},
        "meta": {"total_subscriptions": total},
    }))
    .into_response())
}

/// `GET /2/activity/subscriptions`: the app's, oldest first, `max_results` (1–1000, 100 by
/// default) a page, `meta.next_token` when more.
async fn list(State(s): State<AppState>, req: Result<Signed, V1Error>) -> V2Result<Response> {
    let req = req?;
    let max = req.bounded("max_results", 100, 1_000)?;
    let after: Option<ObjectId> = match req.param("pagination_token") {
        None | Some("") => None,
        Some(_) => Some(req.id("pagination_token")?),
    };
    let all = s.services.activity_subscriptions(req.app()).await?;
    let total = all.len();
    let rest: Vec<&ActivitySubscription> = all
        .iter()
        .filter(|x| after.is_none_or(|a| x.id > a))
        .collect();
    let page: Vec<Value> = rest
        .iter()
        .take(max)
        .map(|x| subscription_json(x))
        .collect();
    let mut meta = json!({"result_count": page.len(), "total_subscriptions": total});
    if rest.len() > max
        && let (Some(last), Some(o)) = (rest.get(max - 1), meta.as_object_mut())
    {
        o.insert("next_token".into(), json!(last.id.to_string()));
    }
    Ok(Json(json!({"data": page, "meta": meta})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    #[serde(default, deserialize_with = "present")]
    tag: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    webhook_id: Option<Option<String>>,
}

/// A field that may be absent (leave it), `null` (clear it) or set.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// `PUT /2/activity/subscriptions/:id`: its tag or webhook.
async fn update(
    State(s): State<AppState>,
    Path(id): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let body: UpdateBody = req.json()?;
    let webhook = match body.webhook_id {
        None => None,
        Some(None) => Some(None),
        Some(Some(w)) => Some(Some(path_id::<ObjectId>("webhook_id", &w)?)),
    };
    let app = req.app();
    let changed = s
        .services
        .update_activity_subscription(app, path_id("subscription_id", &id)?, body.tag, webhook)
        .await?;
    let total = s.services.activity_subscriptions(app).await?.len();
    Ok(Json(json!({
        "data": {"subscription": subscription_json(&changed), "total_subscriptions": total},
        "meta": {"total_subscriptions": total},
    }))
    .into_response())
}

/// `DELETE /2/activity/subscriptions/:id`.
async fn delete_one(
    State(s): State<AppState>,
    Path(id): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let app = req.app();
    s.services
        .delete_activity_subscription(app, path_id("subscription_id", &id)?)
        .await?;
    let total = s.services.activity_subscriptions(app).await?.len();
    Ok(
        Json(json!({"data": {"deleted": true}, "meta": {"total_subscriptions": total}}))
            .into_response(),
    )
}

/// `DELETE /2/activity/subscriptions?ids=1,2,3` (1–100): each deleted, or why not.
async fn delete_many(
    State(s): State<AppState>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let ids: Vec<&str> = req
        .required("ids")?
        .split(',')
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .collect();
    if ids.is_empty() || ids.len() > 100 {
        return Err(
            Error::invalid("ids", format!("must list 1 to 100 ids, got {}", ids.len())).into(),
        );
    }
    let app = req.app();
    let (mut deleted, mut errors) = (Vec::new(), Vec::new());
    for raw in ids {
        let outcome = match path_id::<ObjectId>("ids", raw) {
            Ok(id) => s.services.delete_activity_subscription(app, id).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => deleted.push(json!({"subscription_id": raw, "deleted": true})),
            Err(e) => errors.push(json!({
                "subscription_id": raw,
                "reason": if matches!(e, Error::NotFound(_)) { "SubscriptionNotFound" } else { "InvalidSubscriptionId" },
                "message": e.to_string(),
            })),
        }
    }
    let total = s.services.activity_subscriptions(app).await?.len();
    let mut out = json!({"data": deleted, "meta": {"total_subscriptions": total}});
    if let (false, Some(o)) = (errors.is_empty(), out.as_object_mut()) {
        o.insert("errors".into(), Value::Array(errors));
    }
    Ok(Json(out).into_response())
}

/// `GET /2/activity/stream`: the app's own bearer token only.
async fn stream(State(s): State<AppState>, req: Result<Signed, V1Error>) -> V2Result<Response> {
    let req = req?;
    let Principal::App(app) = req.principal else {
        return Err(
            Error::Forbidden("the activity stream takes the app's own bearer token").into(),
        );
    };
    let backfill = match req.param("backfill_minutes") {
        None | Some("") => 0,
        Some(raw) => raw.parse::<u32>().ok().filter(|m| *m <= 5).ok_or_else(|| {
            Error::invalid("backfill_minutes", format!("must be 0 to 5, got '{raw}'"))
        })?,
    };
    let events = s.services.activity_stream(app, backfill).await?;
    let lines = events.map(|line| format!("{line}\r\n"));
    // A blank line every 20 s, so clients (which reconnect after 20 s of silence) stay.
    // A blank line when nothing else was sent for a while, so clients know it is alive.
    let alive = futures::stream::unfold((), |()| async {
        tokio::time::sleep(KEEP_ALIVE).await;
        Some(("\r\n".to_owned(), ()))
    });
    let body = futures::stream::select(lines, alive).map(Ok::<_, std::convert::Infallible>);
    let mut response = Body::from_stream(body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}
