//! The inbox and conversations.

use axum::extract::State;
use axum::http::StatusCode;
use postern_core::model::{Conversation, ConversationEvent, InboxBox};
use postern_core::{Error, UserId};
use postern_service::conversations::{ConversationPatch, InboxView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{PageParams, conversation_id, user_id};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Json, Path, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(inbox, create))
        .routes(routes!(get_conversation, update, delete))
        .routes(routes!(accept))
        .routes(routes!(add_participant, remove_participant))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct InboxParams {
    /// `primary` (default), `requests`, `filtered` or `archived`.
    #[serde(rename = "box")]
    inbox: Option<String>,
    cursor: Option<String>,
    limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct ConversationList {
    conversations: Vec<Conversation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

/// `GET /api/v1/conversations?box=`: the inbox, pinned first, then by last activity.
#[utoipa::path(get, path = "/conversations", tag = "conversations", params(InboxParams), responses((status = 200, body = ConversationList)))]
async fn inbox(
    State(s): State<AppState>,
    Auth(c): Auth,
    Query(p): Query<InboxParams>,
) -> ApiResult<Json<ConversationList>> {
    let view = match p.inbox.as_deref() {
        None => InboxView::Box(InboxBox::Primary),
        Some("archived") => InboxView::Archived,
        Some(b) => InboxView::Box(InboxBox::parse(b).ok_or_else(|| {
            Error::invalid("box", "must be primary, requests, filtered or archived")
        })?),
    };
    let limit = PageParams {
        cursor: None,
        limit: p.limit,
    }
    .limit()?;
    let page = s.services.inbox(c.user_id, view, p.cursor, limit).await?;
    Ok(Json(ConversationList {
        conversations: page.items,
        next_cursor: page.next_cursor,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateConversation {
    /// One other user for a one-to-one conversation (get or create), 2–49 for a group.
    participant_ids: Vec<UserId>,
    name: Option<String>,
}

/// `POST /api/v1/conversations`: create a group, or get the one-to-one conversation.
#[utoipa::path(post, path = "/conversations", tag = "conversations", request_body = CreateConversation,
    responses((status = 201, body = Conversation), (status = 200, body = Conversation)))]
async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(r): Json<CreateConversation>,
) -> ApiResult<(StatusCode, Json<Conversation>)> {
    match r.participant_ids.as_slice() {
        [other] if r.name.is_none() => Ok((
            StatusCode::OK,
            Json(s.services.one_to_one(c.user_id, *other).await?),
        )),
        _ => Ok((
            StatusCode::CREATED,
            Json(
                s.services
                    .create_group(c.user_id, r.participant_ids, r.name)
                    .await?,
            ),
        )),
    }
}

/// `GET /api/v1/conversations/{id}`.
#[utoipa::path(get, path = "/conversations/{id}", tag = "conversations", responses((status = 200, body = Conversation)))]
async fn get_conversation(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Conversation>> {
    Ok(Json(
        s.services
            .conversation(c.user_id, &conversation_id(&id)?)
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConversation {
    /// Groups only.
    name: Option<String>,
    muted: Option<bool>,
    pinned: Option<bool>,
    archived: Option<bool>,
}

/// `PATCH /api/v1/conversations/{id}`: rename (groups), mute, pin (≤ 6), archive.
#[utoipa::path(patch, path = "/conversations/{id}", tag = "conversations", request_body = UpdateConversation, responses((status = 200, body = Conversation)))]
async fn update(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    Json(r): Json<UpdateConversation>,
) -> ApiResult<Json<Conversation>> {
    let patch = ConversationPatch {
        name: r.name,
        muted: r.muted,
        pinned: r.pinned,
        archived: r.archived,
    };
    Ok(Json(
        s.services
            .update_conversation(c.user_id, &conversation_id(&id)?, patch)
            .await?,
    ))
}

/// `DELETE /api/v1/conversations/{id}`: delete for me (hides its history so far).
#[utoipa::path(delete, path = "/conversations/{id}", tag = "conversations", responses((status = 204)))]
async fn delete(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.services
        .delete_conversation(c.user_id, &conversation_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/conversations/{id}/accept`: accept a message request.
#[utoipa::path(post, path = "/conversations/{id}/accept", tag = "conversations", responses((status = 200, body = Conversation)))]
async fn accept(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Conversation>> {
    Ok(Json(
        s.services.accept(c.user_id, &conversation_id(&id)?).await?,
    ))
}

/// `POST /api/v1/conversations/{id}/participants/{user_id}`: add someone to a group.
#[utoipa::path(post, path = "/conversations/{id}/participants/{user_id}", tag = "conversations", responses((status = 201, body = ConversationEvent)))]
async fn add_participant(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path((id, user)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<ConversationEvent>)> {
    let event = s
        .services
        .add_participant(c.user_id, &conversation_id(&id)?, user_id(&user)?)
        .await?;
    Ok((StatusCode::CREATED, Json(event)))
}

/// `DELETE /api/v1/conversations/{id}/participants/{user_id}`: leave a group (yourself only).
#[utoipa::path(delete, path = "/conversations/{id}/participants/{user_id}", tag = "conversations", responses((status = 200, body = ConversationEvent)))]
async fn remove_participant(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path((id, user)): Path<(String, String)>,
) -> ApiResult<Json<ConversationEvent>> {
    Ok(Json(
        s.services
            .leave(c.user_id, &conversation_id(&id)?, user_id(&user)?)
            .await?,
    ))
}
