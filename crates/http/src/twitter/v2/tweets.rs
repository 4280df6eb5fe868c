//! Posts on v2, as X's tweets: `POST /2/tweets`, `DELETE /2/tweets/:id`, `GET /2/tweets/:id`,
//! `GET /2/tweets?ids=`, and `GET /2/users/:id/mentions` (the caller's own), over the
//! service's posts (the same rules: 280 characters, blocks, replies).

use std::collections::BTreeSet;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use postern_core::auth::Scope;
use postern_core::posts::Post;
use postern_core::{Error, MediaId, ObjectId, UserId};
use postern_service::posts::PostDraft;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::V2Result;
use super::render;
use crate::AppState;
use crate::twitter::signed::Signed;
use crate::twitter::v1::V1Error;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tweets", post(create).get(by_ids))
        .route("/tweets/{id}", get(by_id).delete(delete))
        .route("/users/{id}/mentions", get(mentions))
}

pub const TWEET_FIELDS: &[&str] = &[
    "attachments",
    "author_id",
    "created_at",
    "entities",
    "id",
    "in_reply_to_user_id",
    "referenced_tweets",
    "text",
];

/// A post as a tweet, with the fields asked for (`id` and `text` always).
pub(crate) fn tweet(p: &Post, asked: &BTreeSet<&str>) -> Value {
    let mut v = Map::new();
    v.insert("id".into(), json!(p.id.to_string()));
    v.insert("text".into(), json!(p.text));
    if asked.contains("author_id") {
        v.insert("author_id".into(), json!(p.author_id.to_string()));
    }
    if asked.contains("created_at") {
        v.insert(
            "created_at".into(),
            json!(p.created_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
        );
    }
    if asked.contains("in_reply_to_user_id")
        && let Some(u) = p.in_reply_to_user_id
    {
        v.insert("in_reply_to_user_id".into(), json!(u.to_string()));
    }
    if asked.contains("referenced_tweets")
        && let Some(r) = p.reply_to_id
    {
        v.insert(
            "referenced_tweets".into(),
            json!([{"type": "replied_to", "id": r.to_string()}]),
        );
    }
    if asked.contains("attachments")
        && let Some(m) = &p.media
    {
        v.insert(
            "attachments".into(),
            json!({"media_keys": [render::media_key(m.id)]}),
        );
    }
    if asked.contains("entities") {
        v.insert("entities".into(), render::entities(&p.entities));
    }
    Value::Object(v)
}

fn asked(req: &Signed) -> Result<BTreeSet<&'static str>, Error> {
    render::fields("tweet.fields", req.param("tweet.fields"), TWEET_FIELDS)
}

fn post_id(field: &str, raw: &str) -> Result<ObjectId, Error> {
    raw.parse()
        .map_err(|_| Error::invalid(field, format!("'{raw}' is not a tweet id")))
}

#[derive(Deserialize)]
struct Reply {
    in_reply_to_tweet_id: Option<String>,
}

#[derive(Deserialize)]
struct MediaIn {
    media_ids: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct NewTweet {
    text: Option<String>,
    reply: Option<Reply>,
    media: Option<MediaIn>,
}

/// `POST /2/tweets`: 201 `{"data": {"id", "text"}}`.
async fn create(State(s): State<AppState>, req: Result<Signed, V1Error>) -> V2Result<Response> {
    let req = req?;
    let actor = req.actor(Scope::TweetWrite)?;
    let body: NewTweet = req.json()?;
    let reply_to_id = body
        .reply
        .and_then(|r| r.in_reply_to_tweet_id)
        .map(|id| post_id("reply.in_reply_to_tweet_id", &id))
        .transpose()?;
    let media = body.media.and_then(|m| m.media_ids).unwrap_or_default();
    if media.len() > 1 {
        return Err(Error::invalid("media.media_ids", "at most 1 media item per post here").into());
    }
    let media_id = media
        .first()
        .map(|raw| {
            raw.parse::<MediaId>().map_err(|_| {
                Error::invalid("media.media_ids", format!("'{raw}' is not a media id"))
            })
        })
        .transpose()?;
    let made = s
        .services
        .create_post(
            &actor,
            PostDraft {
                text: body.text.unwrap_or_default(),
                reply_to_id,
                media_id,
                ..PostDraft::default()
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"data": {"id": made.id.to_string(), "text": made.text}})),
    )
        .into_response())
}

/// `DELETE /2/tweets/:id`: one's own.
async fn delete(
    State(s): State<AppState>,
    Path(id): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let actor = req.actor(Scope::TweetWrite)?;
    s.services.delete_post(&actor, post_id("id", &id)?).await?;
    Ok(Json(json!({"data": {"deleted": true}})).into_response())
}

/// Who reads: a person with `tweet.read`, or an app on its own (posts are public), seen as
/// no one in particular.
fn viewer(req: &Signed) -> Result<UserId, Error> {
    match req.principal {
        crate::twitter::signed::Principal::App(_) => Ok(UserId(0)),
        crate::twitter::signed::Principal::User { .. } => Ok(req.user(Scope::TweetRead)?.user_id),
    }
}

/// `GET /2/tweets/:id`.
async fn by_id(
    State(s): State<AppState>,
    Path(id): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let me = viewer(&req)?;
    let asked = asked(&req)?;
    let p = s.services.post(me, post_id("id", &id)?).await?;
    Ok(Json(json!({"data": tweet(&p, &asked)})).into_response())
}

/// `GET /2/tweets?ids=`: those found in `data`, the rest as `errors`.
async fn by_ids(State(s): State<AppState>, req: Result<Signed, V1Error>) -> V2Result<Response> {
    let req = req?;
    let me = viewer(&req)?;
    let asked = asked(&req)?;
    let ids: Vec<&str> = req
        .required("ids")?
        .split(',')
        .filter(|v| !v.is_empty())
        .collect();
    if ids.is_empty() || ids.len() > 100 {
        return Err(Error::invalid("ids", "must list 1 to 100").into());
    }
    let mut data = Vec::new();
    let mut errors = Vec::new();
    for raw in ids {
        let found = match raw.parse::<ObjectId>() {
            Ok(id) => s.services.post(me, id).await,
            Err(_) => Err(Error::NotFound(postern_core::error::Thing::Post)),
        };
        match found {
            Ok(p) => data.push(tweet(&p, &asked)),
            Err(Error::NotFound(_)) => errors.push(json!({
                "value": raw, "detail": format!("Could not find tweet with ids: [{raw}]."),
                "title": "Not Found Error", "resource_type": "tweet", "parameter": "ids",
                "resource_id": raw, "type": "https://api.twitter.com/2/problems/resource-not-found",
            })),
            Err(e) => return Err(e.into()),
        }
    }
    let mut body = Map::new();
    if !data.is_empty() {
        body.insert("data".into(), Value::Array(data));
    }
    if !errors.is_empty() {
        body.insert("errors".into(), Value::Array(errors));
    }
    Ok(Json(Value::Object(body)).into_response())
}

/// `GET /2/users/:id/mentions`: posts that mention or answer the caller, newest first
/// (`max_results` 5–100, `pagination_token`); Postern shows each person only their own.
async fn mentions(
    State(s): State<AppState>,
    Path(id): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let me = req.user(Scope::TweetRead)?.user_id;
    let whose: UserId = id
        .parse()
        .map_err(|_| Error::invalid("id", format!("'{id}' is not a user id")))?;
    if whose != me {
        return Err(Error::Forbidden("mentions are shown to the account mentioned only").into());
    }
    let asked = asked(&req)?;
    let limit = req.bounded("max_results", 10, 100)?;
    if limit < 5 {
        return Err(Error::invalid("max_results", "must be 5 to 100").into());
    }
    let page = s
        .services
        .mentions(me, req.param("pagination_token").map(str::to_owned), limit)
        .await?;
    let mut body = Map::new();
    let mut meta = json!({"result_count": page.items.len()});
    if let (Some(first), Some(last), Some(m)) =
        (page.items.first(), page.items.last(), meta.as_object_mut())
    {
        m.insert("newest_id".into(), json!(first.id.to_string()));
        m.insert("oldest_id".into(), json!(last.id.to_string()));
    }
    if let (Some(next), Some(m)) = (page.next_cursor, meta.as_object_mut()) {
        m.insert("next_token".into(), json!(next));
    }
    if !page.items.is_empty() {
        body.insert(
            "data".into(),
            Value::Array(page.items.iter().map(|p| tweet(p, &asked)).collect()),
        );
    }
    body.insert("meta".into(), meta);
    Ok(Json(Value::Object(body)).into_response())
}
