//! Direct-message events (reference §2, §4): `direct_messages/events/new|show|list|destroy`,
//! `indicate_typing`, `mark_read`. One-to-one conversations only, as v1.1 has them.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use postern_core::auth::Scope;
use postern_core::parts::{Cta, QuickReply, QuickReplyOption, QuickReplyResponse};
use postern_core::{ConversationId, Error, EventId, MediaId, ObjectId, UserId};
use postern_service::direct_messages::{self, Reach};
use postern_service::interactive::Interactive;
use postern_service::messages::Draft;
use serde::Deserialize;
use serde_json::{Value, json};

use super::render;
use super::{V1Result, no_content};
use crate::AppState;
use crate::twitter::Origin;
use crate::twitter::signed::Signed;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/direct_messages/events/new.json", post(new))
        .route("/direct_messages/events/show.json", get(show))
        .route("/direct_messages/events/list.json", get(list))
        .route("/direct_messages/events/destroy.json", delete(destroy))
        .route("/direct_messages/indicate_typing.json", post(typing))
        .route("/direct_messages/mark_read.json", post(mark_read))
}

/// How far back `events/list` reaches, as on Twitter.
const LIST_DAYS: i64 = 30;

#[derive(Deserialize)]
struct NewEvent {
    event: Option<EventBody>,
}

#[derive(Deserialize)]
struct EventBody {
    #[serde(rename = "type")]
    kind: Option<String>,
    message_create: Option<MessageCreate>,
}

#[derive(Deserialize)]
struct MessageCreate {
    target: Option<Target>,
    message_data: Option<MessageData>,
    custom_profile_id: Option<IdValue>,
}

#[derive(Deserialize)]
struct Target {
    recipient_id: Option<IdValue>,
}

/// An id as a string or, as tweepy sends `recipient_id`, a number.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum IdValue {
    Text(String),
    Number(u64),
}

impl IdValue {
    pub fn read<T: std::str::FromStr>(&self, field: &str) -> Result<T, Error> {
        let raw = match self {
            IdValue::Text(s) => s.clone(),
            IdValue::Number(n) => n.to_string(),
        };
        raw.parse()
            .map_err(|_| Error::invalid(field, format!("'{raw}' is not an id")))
    }
}

/// `message_data`, as v1.1 sends it in messages and welcome messages.
#[derive(Deserialize)]
pub struct MessageData {
    text: Option<String>,
    quick_reply: Option<QuickReplyIn>,
    quick_reply_response: Option<QuickReplyResponseIn>,
    attachment: Option<Attachment>,
    ctas: Option<Vec<CtaIn>>,
}

#[derive(Deserialize)]
struct QuickReplyIn {
    #[serde(rename = "type")]
    kind: Option<String>,
    options: Option<Vec<QuickReplyOption>>,
}

#[derive(Deserialize)]
struct QuickReplyResponseIn {
    #[serde(rename = "type")]
    kind: Option<String>,
    metadata: Option<String>,
}

#[derive(Deserialize)]
struct Attachment {
    #[serde(rename = "type")]
    kind: Option<String>,
    media: Option<AttachedMedia>,
}

#[derive(Deserialize)]
struct AttachedMedia {
    id: Option<IdValue>,
}

#[derive(Deserialize)]
struct CtaIn {
    #[serde(rename = "type")]
    kind: Option<String>,
    label: Option<String>,
    url: Option<String>,
}

fn required<T>(value: Option<T>, field: &str) -> Result<T, Error> {
    value.ok_or_else(|| Error::invalid(field, "is required"))
}

impl MessageData {
    /// A draft from `message_data`, fields named by their path under `at`.
    pub fn draft(self, at: &str) -> Result<Draft, Error> {
        let field = |name: &str| format!("{at}.{name}");
        let media_id = match self.attachment {
            None => None,
            Some(a) => {
                if a.kind.as_deref() != Some("media") {
                    return Err(Error::invalid(
                        field("attachment.type"),
                        "must be media (locations are not supported)",
                    ));
                }
                let media = required(a.media, &field("attachment.media"))?;
                let id = required(media.id, &field("attachment.media.id"))?;
                Some(id.read::<MediaId>("media_id")?)
            }
        };
        let quick_reply = match self.quick_reply {
            None => None,
            Some(q) => {
                if q.kind.as_deref() != Some("options") {
                    return Err(Error::invalid(field("quick_reply.type"), "must be options"));
                }
                Some(QuickReply {
                    kind: "options".into(),
                    options: required(q.options, &field("quick_reply.options"))?,
                    open: false,
                })
            }
        };
        let quick_reply_response = match self.quick_reply_response {
            None => None,
            Some(r) => {
                if r.kind.as_deref() != Some("options") {
                    return Err(Error::invalid(
                        field("quick_reply_response.type"),
                        "must be options",
                    ));
                }
                Some(QuickReplyResponse {
                    kind: "options".into(),
                    metadata: required(r.metadata, &field("quick_reply_response.metadata"))?,
                })
            }
        };
        let ctas = self
            .ctas
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                if c.kind.as_deref() != Some("web_url") {
                    return Err(Error::invalid(
                        field(&format!("ctas[{i}].type")),
                        "must be web_url",
                    ));
                }
                Ok(Cta::Url {
                    label: required(c.label, &field(&format!("ctas[{i}].label")))?,
                    url: required(c.url, &field(&format!("ctas[{i}].url")))?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Draft {
            text: self.text.unwrap_or_default(),
            media_id,
            interactive: Interactive {
                quick_reply,
                quick_reply_response,
                ctas,
                ..Interactive::default()
            },
            ..Draft::default()
        })
    }
}

/// `POST direct_messages/events/new.json`: sends a message; answers `{"event": …}`.
async fn new(State(s): State<AppState>, origin: Origin, req: Signed) -> V1Result<Response> {
    let actor = req.actor(Scope::DmWrite)?;
    let body: NewEvent = req.json()?;
    let event = required(body.event, "event")?;
    if event.kind.as_deref() != Some("message_create") {
        return Err(Error::invalid("event.type", "must be message_create").into());
    }
    let create = required(event.message_create, "event.message_create")?;
    let target = required(create.target, "event.message_create.target")?;
    let recipient: UserId = required(
        target.recipient_id,
        "event.message_create.target.recipient_id",
    )?
    .read("event.message_create.target.recipient_id")?;
    let profile = create
        .custom_profile_id
        .map(|p| p.read::<ObjectId>("custom_profile_id"))
        .transpose()?;
    let draft = required(create.message_data, "event.message_create.message_data")?
        .draft("event.message_create.message_data")?;
    let sent = s
        .services
        .send_to_user(&actor.speaking_as(profile), recipient, draft)
        .await?;
    Ok(Json(json!({"event": render::event(&sent.message, &origin.0)})).into_response())
}

/// `GET direct_messages/events/show.json?id=`.
async fn show(State(s): State<AppState>, origin: Origin, req: Signed) -> V1Result<Response> {
    let me = req.user(Scope::DmRead)?.user_id;
    let id = req.id::<EventId>("id")?;
    let (conversation, message) = s.services.direct_message(me, id).await?;
    if conversation.is_group() {
        return Err(Error::NotFound(postern_core::error::Thing::Message).into());
    }
    let mut event = render::event(&message, &origin.0);
    let apps = source_apps(
        &s,
        me,
        std::slice::from_ref(&message),
        std::slice::from_mut(&mut event),
    )
    .await?;
    let mut body = json!({"event": event});
    if let (Some(apps), Some(o)) = (apps, body.as_object_mut()) {
        o.insert("apps".into(), apps);
    }
    Ok(Json(body).into_response())
}

/// `GET direct_messages/events/list.json?count=&cursor=`: the last 30 days, newest first;
/// `next_cursor` only while more remain.
async fn list(State(s): State<AppState>, origin: Origin, req: Signed) -> V1Result<Response> {
    let me = req.user(Scope::DmRead)?.user_id;
    let count = super::count(&req)?;
    let before = match req.param("cursor") {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<EventId>().map_err(|_| {
            Error::invalid("cursor", "must be a next_cursor this endpoint returned")
        })?),
    };
    let since = chrono::Utc::now() - chrono::Duration::days(LIST_DAYS);
    let page = s
        .services
        .recent_events(me, Reach::OneToOneMessages, since, before, count)
        .await?;
    let messages = direct_messages::messages(page.events);
    let mut events: Vec<Value> = messages
        .iter()
        .map(|m| render::event(m, &origin.0))
        .collect();
    let apps = source_apps(&s, me, &messages, &mut events).await?;
    let mut body = json!({"events": events});
    if let (Some(apps), Some(o)) = (apps, body.as_object_mut()) {
        o.insert("apps".into(), apps);
    }
    if let (Some(next), Some(o)) = (page.next_before, body.as_object_mut()) {
        o.insert("next_cursor".into(), json!(next.to_string()));
    }
    Ok(Json(body).into_response())
}

/// Names the app each of `me`'s own messages was sent through, as Twitter does on its read
/// path: `message_create.source_app_id`, and the `apps` map (`{"<id>": {"id", "name",
/// "url"}}`) beside the events. Others' messages keep their app to themselves.
async fn source_apps(
    s: &AppState,
    me: UserId,
    messages: &[postern_core::model::Message],
    events: &mut [Value],
) -> Result<Option<Value>, Error> {
    let mut apps: Vec<postern_core::ObjectId> = Vec::new();
    for (m, event) in messages.iter().zip(events.iter_mut()) {
        let Some(app) = m.parts.source_app.filter(|_| m.sender_id == me) else {
            continue;
        };
        if let Some(create) = event
            .get_mut("message_create")
            .and_then(Value::as_object_mut)
        {
            create.insert("source_app_id".into(), json!(app.to_string()));
        }
        if !apps.contains(&app) {
            apps.push(app);
        }
    }
    if apps.is_empty() {
        return Ok(None);
    }
    let cards = s.services.app_cards(&apps).await?;
    let map: serde_json::Map<String, Value> = cards
        .into_iter()
        .map(|c| {
            let id = c.id.to_string();
            (
                id.clone(),
                json!({"id": id, "name": c.name, "url": c.url.unwrap_or_default()}),
            )
        })
        .collect();
    Ok(Some(Value::Object(map)))
}

/// `DELETE direct_messages/events/destroy.json?id=`: removes it from the caller's view.
async fn destroy(State(s): State<AppState>, req: Signed) -> V1Result<Response> {
    let actor = req.actor(Scope::DmWrite)?;
    let id = req.id::<EventId>("id")?;
    let (conversation, _) = s.services.direct_message(actor.account, id).await?;
    s.services
        .delete_message(&actor, &conversation, id, false)
        .await?;
    Ok(no_content())
}

/// The one-to-one conversation with `recipient_id` (which must be someone else).
fn with(me: UserId, req: &Signed) -> Result<ConversationId, Error> {
    let other: UserId = req.id("recipient_id")?;
    if other == me {
        return Err(Error::own_account("recipient_id"));
    }
    Ok(ConversationId::one_to_one(me, other))
}

/// `POST direct_messages/indicate_typing.json` (`recipient_id` in the query or a form).
async fn typing(State(s): State<AppState>, req: Signed) -> V1Result<Response> {
    let actor = req.actor(Scope::DmWrite)?;
    let id = with(actor.account, &req)?;
    s.services.typing(&actor, &id).await?;
    Ok(no_content())
}

/// `POST direct_messages/mark_read.json` (`last_read_event_id`, `recipient_id`: the person
/// the message is from).
async fn mark_read(State(s): State<AppState>, req: Signed) -> V1Result<Response> {
    let actor = req.actor(Scope::DmWrite)?;
    let id = with(actor.account, &req)?;
    let up_to = req.id::<EventId>("last_read_event_id")?;
    s.services.mark_read(&actor, &id, Some(up_to)).await?;
    Ok(no_content())
}
