//! Messages, history, reactions, read receipts, typing and search.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use postern_core::ids::canonical_key;
use postern_core::model::{ConversationEvent, Message};
use postern_core::parts::{Cta, InitiatedVia, QuickReply, QuickReplyResponse};
use postern_core::{Error, EventId, MediaId, ObjectId};
use postern_service::Actor;
use postern_service::auth::Caller;
use postern_service::interactive::Interactive;
use postern_service::messages::{Draft, ReactionEdit, Sent};
use postern_store::HistoryDirection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{conversation_id, event_id, limit, user_id};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Json, Path, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_to_user))
        .routes(routes!(send))
        .routes(routes!(history))
        .routes(routes!(edit, delete))
        .routes(routes!(react, unreact))
        .routes(routes!(read))
        .routes(routes!(typing))
        .routes(routes!(search))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// Up to 10,000 characters; newlines kept. May be empty when `media_id` is given.
    #[serde(default)]
    text: String,
    reply_to_id: Option<EventId>,
    /// An upload of yours to attach (one per message).
    media_id: Option<MediaId>,
    /// Idempotency key; the `Idempotency-Key` header takes precedence.
    client_message_id: Option<String>,
    /// 1–20 options the recipient can answer with one tap (one-to-one conversations).
    quick_reply: Option<QuickReply>,
    /// Answers the other side's open quick reply; the option's label is the text when none
    /// is given.
    quick_reply_response: Option<QuickReplyResponse>,
    /// 1–3 buttons.
    #[serde(default)]
    ctas: Vec<Cta>,
    initiated_via: Option<InitiatedVia>,
    /// Send as one of your custom profiles: recipients see its name and picture.
    custom_profile_id: Option<ObjectId>,
}

impl SendRequest {
    /// Who sends (the caller, speaking as the custom profile it names) and what.
    fn send(self, caller: &Caller, headers: &HeaderMap) -> Result<(Actor, Draft), Error> {
        let header = match headers.get("idempotency-key") {
            Some(v) => {
                let key = v
                    .to_str()
                    .map_err(|_| Error::invalid("Idempotency-Key", "must be printable ASCII"))?;
                // Checked here so a refusal names the header the client used.
                postern_service::messages::check_client_key("Idempotency-Key", key)?;
                Some(key.to_owned())
            }
            None => None,
        };
        let actor = caller.actor().speaking_as(self.custom_profile_id);
        let draft = Draft {
            text: self.text,
            reply_to_id: self.reply_to_id,
            media_id: self.media_id,
            client_key: header.or(self.client_message_id),
            interactive: Interactive {
                quick_reply: self.quick_reply,
                quick_reply_response: self.quick_reply_response,
                ctas: self.ctas,
                initiated_via: self.initiated_via,
                survey: None,
            },
        };
        Ok((actor, draft))
    }
}

/// 201 for a new message, 200 with the original for a retried idempotency key.
fn sent(s: Sent) -> Response {
    let status = if s.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(s.message)).into_response()
}

/// `POST /api/v1/messages/with/{user_id}`: send to a person; the conversation is created on
/// first contact, subject to the admission rules.
#[utoipa::path(post, path = "/messages/with/{user_id}", tag = "messages", request_body = SendRequest,
    responses((status = 201, body = Message), (status = 200, body = Message, description = "a retry with the same idempotency key: the message it sent"),
        (status = 403, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
async fn send_to_user(
    State(s): State<AppState>,
    Auth(c): Auth,
    headers: HeaderMap,
    Path(user): Path<String>,
    Json(r): Json<SendRequest>,
) -> ApiResult<Response> {
    let recipient = user_id(&user)?;
    let (actor, draft) = r.send(&c, &headers)?;
    Ok(sent(
        s.services.send_to_user(&actor, recipient, draft).await?,
    ))
}

/// `POST /api/v1/conversations/{id}/messages`.
#[utoipa::path(post, path = "/conversations/{id}/messages", tag = "messages", request_body = SendRequest,
    responses((status = 201, body = Message), (status = 200, body = Message, description = "a retry with the same idempotency key: the message it sent")))]
async fn send(
    State(s): State<AppState>,
    Auth(c): Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(r): Json<SendRequest>,
) -> ApiResult<Response> {
    let id = conversation_id(&id)?;
    let (actor, draft) = r.send(&c, &headers)?;
    Ok(sent(
        s.services.send_to_conversation(&actor, &id, draft).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct HistoryParams {
    /// Events older than this id, newest first.
    before: Option<String>,
    /// Events newer than this id, oldest first.
    after: Option<String>,
    /// A `next_cursor` from an earlier page.
    cursor: Option<String>,
    /// 1–100, default 50.
    limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct EventPage {
    events: Vec<ConversationEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

/// `GET /api/v1/conversations/{id}/events`: history. Default and `before` pages run newest
/// first; `after` pages run oldest first; `next_cursor` continues in the same direction.
#[utoipa::path(get, path = "/conversations/{id}/events", tag = "messages", params(HistoryParams), responses((status = 200, body = EventPage)))]
async fn history(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    Query(p): Query<HistoryParams>,
) -> ApiResult<Json<EventPage>> {
    let direction = match (p.cursor.as_deref(), p.before.as_deref(), p.after.as_deref()) {
        (Some(cur), None, None) => {
            let bad = || Error::invalid("cursor", "is not a cursor this list returned");
            let (dir, id) = cur.split_at_checked(1).ok_or_else(bad)?;
            let id = EventId(canonical_key(id).map_err(|_| bad())?);
            match dir {
                "b" => HistoryDirection::Before(Some(id)),
                "a" => HistoryDirection::After(id),
                _ => return Err(bad().into()),
            }
        }
        (None, Some(b), None) => HistoryDirection::Before(Some(event_id("before", b)?)),
        (None, None, Some(a)) => HistoryDirection::After(event_id("after", a)?),
        (None, None, None) => HistoryDirection::Before(None),
        _ => {
            return Err(
                Error::invalid("cursor", "use only one of cursor, before and after").into(),
            );
        }
    };
    let page = s
        .services
        .history(
            c.user_id,
            &conversation_id(&id)?,
            direction,
            limit(p.limit, 50)?,
        )
        .await?;
    Ok(Json(EventPage {
        events: page.events,
        next_cursor: page.next_cursor,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct EditRequest {
    text: String,
}

/// `PATCH /api/v1/conversations/{id}/messages/{message_id}`: edit (sender only, ≤ 5 times).
#[utoipa::path(patch, path = "/conversations/{id}/messages/{message_id}", tag = "messages", request_body = EditRequest, responses((status = 200, body = Message)))]
async fn edit(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path((id, mid)): Path<(String, String)>,
    Json(r): Json<EditRequest>,
) -> ApiResult<Json<Message>> {
    let m = s
        .services
        .edit(
            &c.actor(),
            &conversation_id(&id)?,
            event_id("message_id", &mid)?,
            &r.text,
        )
        .await?;
    Ok(Json(m))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DeleteParams {
    /// `true` deletes for everyone (sender only); default deletes for the caller only.
    #[serde(default)]
    for_everyone: bool,
}

/// `DELETE /api/v1/conversations/{id}/messages/{message_id}?for_everyone=`.
#[utoipa::path(delete, path = "/conversations/{id}/messages/{message_id}", tag = "messages", params(DeleteParams), responses((status = 204)))]
async fn delete(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path((id, mid)): Path<(String, String)>,
    Query(p): Query<DeleteParams>,
) -> ApiResult<StatusCode> {
    s.services
        .delete_message(
            &c.actor(),
            &conversation_id(&id)?,
            event_id("message_id", &mid)?,
            p.for_everyone,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/v1/conversations/{id}/messages/{message_id}/reactions/{emoji}`.
#[utoipa::path(put, path = "/conversations/{id}/messages/{message_id}/reactions/{emoji}", tag = "messages", responses((status = 204)))]
async fn react(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path((id, mid, emoji)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    edit_reaction(&s, &c, &id, &mid, ReactionEdit::Set(emoji)).await
}

/// `DELETE /api/v1/conversations/{id}/messages/{message_id}/reactions/{emoji}`: removes the
/// caller's reaction if it is that emoji; otherwise nothing changes (still 204).
#[utoipa::path(delete, path = "/conversations/{id}/messages/{message_id}/reactions/{emoji}", tag = "messages", responses((status = 204)))]
async fn unreact(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path((id, mid, emoji)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    edit_reaction(&s, &c, &id, &mid, ReactionEdit::Remove(emoji)).await
}

async fn edit_reaction(
    s: &AppState,
    c: &Caller,
    id: &str,
    mid: &str,
    edit: ReactionEdit,
) -> ApiResult<StatusCode> {
    s.services
        .react(
            &c.actor(),
            &conversation_id(id)?,
            event_id("message_id", mid)?,
            edit,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema, Default)]
pub struct ReadRequest {
    /// Defaults to the latest event.
    last_read_event_id: Option<EventId>,
}

/// `POST /api/v1/conversations/{id}/read`: move the read mark (sends a read receipt).
#[utoipa::path(post, path = "/conversations/{id}/read", tag = "messages", request_body = ReadRequest, responses((status = 204)))]
async fn read(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    // The body is optional: an empty one marks everything read.
    let up_to = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let r: ReadRequest = serde_json::from_slice(&body)
            .map_err(|e| Error::invalid("last_read_event_id", format!("invalid JSON body: {e}")))?;
        r.last_read_event_id
    };
    s.services
        .mark_read(&c.actor(), &conversation_id(&id)?, up_to)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/conversations/{id}/typing`: an ephemeral typing indicator (~3 s).
#[utoipa::path(post, path = "/conversations/{id}/typing", tag = "messages", responses((status = 204)))]
async fn typing(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.services
        .typing(&c.actor(), &conversation_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    q: String,
    cursor: Option<String>,
    limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct MessageList {
    messages: Vec<Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

/// `GET /api/v1/search/messages?q=`: full-text search in the caller's conversations.
#[utoipa::path(get, path = "/search/messages", tag = "messages", params(SearchParams), responses((status = 200, body = MessageList)))]
async fn search(
    State(s): State<AppState>,
    Auth(c): Auth,
    Query(p): Query<SearchParams>,
) -> ApiResult<Json<MessageList>> {
    let page = s
        .services
        .search_messages(c.user_id, &p.q, p.cursor, limit(p.limit, 20)?)
        .await?;
    Ok(Json(MessageList {
        messages: page.items,
        next_cursor: page.next_cursor,
    }))
}
