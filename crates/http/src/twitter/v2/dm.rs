//! Direct messages on v2 (reference §13): `POST /2/dm_conversations/with/:participant_id/messages`,
//! `POST /2/dm_conversations` (a group), `POST /2/dm_conversations/:id/messages`; lookups
//! `GET /2/dm_events`, `…/with/:participant_id/dm_events`, `…/:id/dm_events`,
//! `GET /2/dm_events/:id`; `DELETE /2/dm_events/:id`.

use std::collections::BTreeSet;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use postern_core::auth::Scope;
use postern_core::model::ConversationEvent;
use postern_core::{ConversationId, Error, EventId, MediaId, UserId};
use postern_service::direct_messages::Reach;
use postern_service::messages::Draft;
use postern_store::HistoryDirection;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::V2Result;
use super::render::{self, DM_EVENT_FIELDS, EXPANSIONS, MEDIA_FIELDS, USER_FIELDS};
use crate::AppState;
use crate::twitter::Origin;
use crate::twitter::signed::Signed;
use crate::twitter::v1::V1Error;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/dm_conversations/with/{participant_id}/messages",
            post(send_to_participant),
        )
        .route("/dm_conversations", post(create_group))
        .route(
            "/dm_conversations/{id}/messages",
            post(send_in_conversation),
        )
        .route("/dm_events", get(all_events))
        .route(
            "/dm_conversations/with/{participant_id}/dm_events",
            get(with_participant),
        )
        .route("/dm_conversations/{id}/dm_events", get(in_conversation))
        .route("/dm_events/{event_id}", get(one_event).delete(delete_event))
}

/// `max_results`: default and range, as v2 has them.
const MAX_RESULTS_DEFAULT: usize = 100;
const MAX_RESULTS_MAX: usize = 100;
/// How far back `GET /2/dm_events` reaches.
const LOOKUP_DAYS: i64 = 30;

#[derive(Deserialize)]
struct Attachment {
    media_id: Option<String>,
}

#[derive(Deserialize)]
struct MessageIn {
    text: Option<String>,
    attachments: Option<Vec<Attachment>>,
}

impl MessageIn {
    fn draft(self, at: &str) -> Result<Draft, Error> {
        let attachments = self.attachments.unwrap_or_default();
        if attachments.len() > 1 {
            return Err(Error::invalid(
                format!("{at}attachments"),
                "at most 1 attachment",
            ));
        }
        let media_id = attachments
            .into_iter()
            .next()
            .map(|a| {
                let raw = a.media_id.unwrap_or_default();
                raw.parse::<MediaId>().map_err(|_| {
                    Error::invalid(
                        format!("{at}attachments.media_id"),
                        format!("'{raw}' is not a media id"),
                    )
                })
            })
            .transpose()?;
        if self.text.as_deref().is_none_or(str::is_empty) && media_id.is_none() {
            return Err(Error::invalid(
                format!("{at}text"),
                "text or attachments is required",
            ));
        }
        Ok(Draft {
            text: self.text.unwrap_or_default(),
            media_id,
            ..Draft::default()
        })
    }
}

fn created(conversation: &ConversationId, event: EventId) -> Response {
    (
        StatusCode::CREATED,
        Json(json!({"data": {"dm_conversation_id": conversation.as_str(), "dm_event_id": event.to_string()}})),
    )
        .into_response()
}

fn user_id(field: &str, raw: &str) -> Result<UserId, Error> {
    raw.parse()
        .map_err(|_| Error::invalid(field, format!("'{raw}' is not a user id")))
}

fn conversation_id(raw: &str) -> Result<ConversationId, Error> {
    ConversationId::read("dm_conversation_id", raw)
}

/// `POST /2/dm_conversations/with/:participant_id/messages`: the one-to-one conversation,
/// made on first contact.
async fn send_to_participant(
    State(s): State<AppState>,
    Path(participant): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let actor = req.actor(Scope::DmWrite)?;
    let draft = req.json::<MessageIn>()?.draft("")?;
    let to = user_id("participant_id", &participant)?;
    let sent = s.services.send_to_user(&actor, to, draft).await?;
    Ok(created(&sent.message.conversation_id, sent.message.id))
}

#[derive(Deserialize)]
struct NewGroup {
    conversation_type: Option<String>,
    participant_ids: Option<Vec<String>>,
    message: Option<MessageIn>,
}

/// `POST /2/dm_conversations`: a new group and its first message.
async fn create_group(
    State(s): State<AppState>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let actor = req.actor(Scope::DmWrite)?;
    let body: NewGroup = req.json()?;
    if body.conversation_type.as_deref() != Some("Group") {
        return Err(Error::invalid("conversation_type", "must be Group").into());
    }
    let ids = body
        .participant_ids
        .ok_or_else(|| Error::invalid("participant_ids", "is required"))?
        .iter()
        .map(|raw| user_id("participant_ids", raw))
        .collect::<Result<Vec<_>, _>>()?;
    let draft = body
        .message
        .ok_or_else(|| Error::invalid("message", "is required"))?
        .draft("message.")?;
    let group = s.services.create_group(actor.account, ids, None).await?;
    let sent = s
        .services
        .send_to_conversation(&actor, &group.id, draft)
        .await?;
    Ok(created(&group.id, sent.message.id))
}

/// `POST /2/dm_conversations/:id/messages`.
async fn send_in_conversation(
    State(s): State<AppState>,
    Path(id): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let actor = req.actor(Scope::DmWrite)?;
    let draft = req.json::<MessageIn>()?.draft("")?;
    let id = conversation_id(&id)?;
    let sent = s.services.send_to_conversation(&actor, &id, draft).await?;
    Ok(created(&id, sent.message.id))
}

/// What a lookup asks to see.
struct Asked {
    events: BTreeSet<&'static str>,
    expansions: BTreeSet<&'static str>,
    users: BTreeSet<&'static str>,
    media: BTreeSet<&'static str>,
    kinds: BTreeSet<&'static str>,
    max_results: usize,
    before: Option<EventId>,
}

impl Asked {
    fn of(req: &Signed) -> Result<Asked, Error> {
        let max_results = req.bounded("max_results", MAX_RESULTS_DEFAULT, MAX_RESULTS_MAX)?;
        let before = match req.param("pagination_token") {
            None | Some("") => None,
            Some(raw) => Some(raw.parse::<EventId>().map_err(|_| {
                Error::invalid(
                    "pagination_token",
                    "must be a next_token this endpoint returned",
                )
            })?),
        };
        let kinds = render::fields(
            "event_types",
            req.param("event_types"),
            &["MessageCreate", "ParticipantsJoin", "ParticipantsLeave"],
        )?;
        Ok(Asked {
            events: render::fields(
                "dm_event.fields",
                req.param("dm_event.fields"),
                DM_EVENT_FIELDS,
            )?,
            expansions: render::fields("expansions", req.param("expansions"), EXPANSIONS)?,
            users: render::fields("user.fields", req.param("user.fields"), USER_FIELDS)?,
            media: render::fields("media.fields", req.param("media.fields"), MEDIA_FIELDS)?,
            kinds,
            max_results,
            before,
        })
    }

    fn wants(&self, e: &ConversationEvent) -> bool {
        let kind = match e {
            ConversationEvent::Message(_) => "MessageCreate",
            ConversationEvent::ParticipantsJoin(_) => "ParticipantsJoin",
            ConversationEvent::ParticipantsLeave(_) => "ParticipantsLeave",
        };
        self.kinds.is_empty() || self.kinds.contains(kind)
    }
}

/// The `data` and `includes` a list of events makes, as asked.
async fn shaped(
    s: &AppState,
    origin: &str,
    asked: &Asked,
    events: &[ConversationEvent],
) -> (Vec<Value>, Map<String, Value>) {
    let data: Vec<Value> = events
        .iter()
        .map(|e| render::dm_event(e, &asked.events))
        .collect();
    let mut includes = Map::new();
    let ids = render::expanded_users(events, &asked.expansions);
    if !ids.is_empty() {
        let mut users = Vec::new();
        for id in ids {
            if let Ok(u) = s.services.user(id).await {
                users.push(render::user(&u, &asked.users, origin));
            }
        }
        includes.insert("users".into(), Value::Array(users));
    }
    if asked.expansions.contains("attachments.media_keys") {
        let media = render::expanded_media(events, &asked.media);
        if !media.is_empty() {
            includes.insert("media".into(), Value::Array(media));
        }
    }
    (data, includes)
}

/// A page of events as v2 answers a lookup: `data`, `includes`, `meta` (no `data` when
/// empty).
async fn page(
    s: &AppState,
    origin: &str,
    asked: &Asked,
    events: &[ConversationEvent],
    next: Option<EventId>,
) -> Response {
    let (data, includes) = shaped(s, origin, asked, events).await;
    let mut body = Map::new();
    if !data.is_empty() {
        body.insert("data".into(), Value::Array(data));
    }
    if !includes.is_empty() {
        body.insert("includes".into(), Value::Object(includes));
    }
    let mut meta = json!({"result_count": events.len()});
    if let (Some(next), Some(m)) = (next, meta.as_object_mut()) {
        m.insert("next_token".into(), json!(next.to_string()));
    }
    body.insert("meta".into(), meta);
    Json(Value::Object(body)).into_response()
}

/// `GET /2/dm_events`: every conversation's events of the last 30 days, newest first.
async fn all_events(
    State(s): State<AppState>,
    origin: Origin,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let me = req.user(Scope::DmRead)?.user_id;
    let asked = Asked::of(&req)?;
    let since = chrono::Utc::now() - chrono::Duration::days(LOOKUP_DAYS);
    let found = s
        .services
        .recent_events(
            me,
            Reach::Everything,
            since,
            asked.before,
            asked.max_results,
        )
        .await?;
    let events: Vec<ConversationEvent> = found
        .events
        .into_iter()
        .filter(|e| asked.wants(e))
        .collect();
    Ok(page(&s, &origin.0, &asked, &events, found.next_before).await)
}

/// A conversation's events, newest first, from `asked.before`.
async fn history(
    s: &AppState,
    origin: &str,
    me: UserId,
    id: &ConversationId,
    asked: &Asked,
) -> Result<Response, Error> {
    let found = s
        .services
        .history(
            me,
            id,
            HistoryDirection::Before(asked.before),
            asked.max_results,
        )
        .await?;
    let next = found.next_cursor.and_then(|c| {
        c.strip_prefix('b')
            .and_then(|id| id.parse::<EventId>().ok())
    });
    let events: Vec<ConversationEvent> = found
        .events
        .into_iter()
        .filter(|e| asked.wants(e) && !matches!(e, ConversationEvent::Message(m) if m.deleted))
        .collect();
    Ok(page(s, origin, asked, &events, next).await)
}

/// `GET /2/dm_conversations/with/:participant_id/dm_events`.
async fn with_participant(
    State(s): State<AppState>,
    origin: Origin,
    Path(participant): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let me = req.user(Scope::DmRead)?.user_id;
    let other = user_id("participant_id", &participant)?;
    let asked = Asked::of(&req)?;
    Ok(history(
        &s,
        &origin.0,
        me,
        &ConversationId::one_to_one(me, other),
        &asked,
    )
    .await?)
}

/// `GET /2/dm_conversations/:id/dm_events`.
async fn in_conversation(
    State(s): State<AppState>,
    origin: Origin,
    Path(id): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let me = req.user(Scope::DmRead)?.user_id;
    let asked = Asked::of(&req)?;
    Ok(history(&s, &origin.0, me, &conversation_id(&id)?, &asked).await?)
}

fn event_id(raw: &str) -> Result<EventId, Error> {
    raw.parse()
        .map_err(|_| Error::invalid("event_id", format!("'{raw}' is not an id")))
}

/// `GET /2/dm_events/:event_id`: `{"data": event}`.
async fn one_event(
    State(s): State<AppState>,
    origin: Origin,
    Path(id): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let me = req.user(Scope::DmRead)?.user_id;
    let asked = Asked::of(&req)?;
    let (_, message) = s.services.direct_message(me, event_id(&id)?).await?;
    let events = [ConversationEvent::Message(message)];
    let (mut data, includes) = shaped(&s, &origin.0, &asked, &events).await;
    // One event: `data` is the object itself, and there is no `meta`.
    let mut body = Map::new();
    body.insert("data".into(), data.pop().unwrap_or_default());
    if !includes.is_empty() {
        body.insert("includes".into(), Value::Object(includes));
    }
    Ok(Json(Value::Object(body)).into_response())
}

/// `DELETE /2/dm_events/:event_id`: gone from the caller's view.
async fn delete_event(
    State(s): State<AppState>,
    Path(id): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let actor = req.actor(Scope::DmWrite)?;
    let id = event_id(&id)?;
    let (conversation, _) = s.services.direct_message(actor.account, id).await?;
    s.services
        .delete_message(&actor, &conversation, id, false)
        .await?;
    Ok(Json(json!({"data": {"deleted": true}})).into_response())
}
