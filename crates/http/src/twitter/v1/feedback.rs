//! Customer feedback cards (reference §8): `feedback/create.json`, `feedback/show/:id.json`,
//! `feedback/events.json`, over the service's surveys (one per person a day, answered once).
//!
//! Of Twitter's question variants, 0 is served for each type (with `display_name` in place
//! of the account's name); the others are refused, naming the field.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use postern_core::auth::Scope;
use postern_core::error::Thing;
use postern_core::feedback::{Display, FeedbackRequest, SurveyType};
use postern_core::{Error, ObjectId, UserId};
use postern_service::feedback::SurveyDraft;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::V1Result;
use crate::AppState;
use crate::twitter::signed::Signed;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feedback/create.json", post(create))
        .route("/feedback/show/{id}", get(show))
        .route("/feedback/events.json", get(events))
}

/// `display_name`, at most, as on Twitter.
const DISPLAY_NAME_MAX: usize = 20;
/// `feedback/events` pages: default and most.
const EVENTS_MAX: usize = 100;

/// Twitter's timestamps on these objects.
fn twitter_time(t: DateTime<Utc>) -> String {
    t.format("%a %b %d %H:%M:%S %z %Y").to_string()
}

/// The question variant 0 asks, of `display_name`.
fn question(kind: SurveyType, display_name: &str) -> String {
    match kind {
        SurveyType::Csat => format!("What is your overall satisfaction with {display_name}?"),
        SurveyType::Nps => format!("How likely are you to recommend {display_name} to a friend?"),
    }
}

/// A survey as Twitter's feedback object.
fn feedback(r: &FeedbackRequest, display_name: &str) -> Value {
    let updated = r.response.as_ref().map_or(r.created_at, |a| a.created_at);
    let mut v = json!({
        "id": r.id.to_string(),
        "created_at": twitter_time(r.created_at),
        "updated_at": twitter_time(updated),
        "type": r.kind.as_str(),
        "test": false,
        "dm_id": r.message_id.to_string(),
        "from_user_id": r.account_id.to_string(),
        "to_user_id": r.recipient_id.to_string(),
        "privacy_url": r.privacy_url,
        "question_variant_id": "0",
        "display_name": display_name,
    });
    if let Some(o) = v.as_object_mut() {
        if let Some(e) = &r.external_id {
            o.insert("external_id".into(), json!(e));
        }
        if let Some(a) = &r.response {
            let mut response = Map::new();
            response.insert(
                "score".into(),
                json!({"value": a.score, "created_at": twitter_time(a.created_at)}),
            );
            if let Some(t) = &a.text {
                response.insert(
                    "text".into(),
                    json!({"value": t, "created_at": twitter_time(a.created_at)}),
                );
            }
            o.insert("response".into(), Value::Object(response));
        }
    }
    v
}

#[derive(Deserialize, Default)]
struct CreateBody {
    #[serde(rename = "type")]
    kind: Option<String>,
    to_user_id: Option<super::events::IdValue>,
    message: Option<String>,
    privacy_url: Option<String>,
    external_id: Option<String>,
    question_variant_id: Option<super::events::IdValue>,
    display_name: Option<String>,
}

/// A parameter from a JSON body or, as the docs list them, the query or a form.
fn param(req: &Signed, body: Option<String>, name: &str) -> Option<String> {
    body.or_else(|| req.param(name).map(str::to_owned))
}

/// `POST feedback/create.json`: sends the survey in a DM, `message` before its question.
async fn create(State(s): State<AppState>, req: Signed) -> V1Result<Response> {
    let actor = req.actor(Scope::DmWrite)?;
    let body: CreateBody = if req.body.is_empty() {
        CreateBody::default()
    } else {
        req.json()?
    };
    let kind_raw =
        param(&req, body.kind, "type").ok_or_else(|| Error::invalid("type", "is required"))?;
    let kind = SurveyType::parse(&kind_raw)
        .ok_or_else(|| Error::invalid("type", format!("must be csat or nps, got '{kind_raw}'")))?;
    let to: UserId = match body.to_user_id {
        Some(id) => id.read("to_user_id")?,
        None => req.id("to_user_id")?,
    };
    let message = param(&req, body.message, "message")
        .ok_or_else(|| Error::invalid("message", "is required"))?;
    let privacy_url = param(&req, body.privacy_url, "privacy_url")
        .ok_or_else(|| Error::invalid("privacy_url", "is required"))?;
    let variant = match body.question_variant_id {
        Some(v) => v.read::<u32>("question_variant_id")?,
        None => req.param("question_variant_id").map_or(Ok(0), |v| {
            v.parse::<u32>()
                .map_err(|_| Error::invalid("question_variant_id", "must be a number"))
        })?,
    };
    if variant != 0 {
        return Err(Error::invalid("question_variant_id", "only variant 0 is served here").into());
    }
    let display_name = match param(&req, body.display_name, "display_name") {
        Some(name) => postern_core::text::single_line("display_name", &name, DISPLAY_NAME_MAX)?,
        None => s.services.user(actor.account).await?.name,
    };
    let draft = SurveyDraft {
        kind,
        recipient: to,
        question: Some(question(kind, &display_name)),
        display: match kind {
            SurveyType::Csat => Display::Stars,
            SurveyType::Nps => Display::Numbers,
        },
        privacy_url,
        external_id: param(&req, body.external_id, "external_id"),
        intro: Some(message),
        display_name: Some(display_name.clone()),
    };
    let made = s.services.send_feedback_request(&actor, draft).await?;
    Ok(Json(feedback(&made, &display_name)).into_response())
}

/// The name a survey's question gave the account: the one it was asked with, or (a survey
/// made on the native API) none.
fn display_name_of(r: &FeedbackRequest) -> String {
    r.display_name.clone().unwrap_or_default()
}

/// `GET feedback/show/:id.json`: the account's survey, with its `response` once answered.
async fn show(
    State(s): State<AppState>,
    Path(id): Path<String>,
    req: Signed,
) -> V1Result<Response> {
    let me = req.user(Scope::DmRead)?.user_id;
    let id: ObjectId = id
        .strip_suffix(".json")
        .unwrap_or(&id)
        .parse()
        .map_err(|_| Error::NotFound(Thing::FeedbackRequest))?;
    let r = s.services.feedback_request(me, id).await?;
    if r.account_id != me {
        return Err(Error::NotFound(Thing::FeedbackRequest).into());
    }
    Ok(Json(feedback(&r, &display_name_of(&r))).into_response())
}

/// `GET feedback/events.json?from_time=&to_time=&count=&cursor=`: surveys created
/// (`feedback.created`) or answered (`feedback.updated`) in the period, oldest first.
async fn events(State(s): State<AppState>, req: Signed) -> V1Result<Response> {
    let me = req.user(Scope::DmRead)?.user_id;
    let time = |name: &str| -> Result<i64, Error> {
        req.required(name)?
            .parse()
            .map_err(|_| Error::invalid(name, "must be a time in Unix milliseconds"))
    };
    let (from, to) = (time("from_time")?, time("to_time")?);
    let count = req.bounded("count", EVENTS_MAX, EVENTS_MAX)?;
    let skip: usize = match req.param("cursor") {
        None | Some("") => 0,
        Some(raw) => raw.parse().map_err(|_| {
            Error::invalid("cursor", "must be a next_cursor this endpoint returned")
        })?,
    };
    let found = s
        .services
        .feedback_requests_between(me, from, to, skip, count + 1)
        .await?;
    let more = found.len() > count;
    let events: Vec<Value> = found
        .iter()
        .take(count)
        .map(|r| {
            let (kind, at) = match &r.response {
                Some(a) => ("feedback.updated", a.created_at),
                None => ("feedback.created", r.created_at),
            };
            json!({"event_type": kind, "created_at": twitter_time(at), "feedback": feedback(r, &display_name_of(r))})
        })
        .collect();
    let mut body = json!({"events": events});
    if let (true, Some(o)) = (more, body.as_object_mut()) {
        o.insert("next_cursor".into(), json!((skip + count).to_string()));
    }
    Ok(Json(body).into_response())
}
