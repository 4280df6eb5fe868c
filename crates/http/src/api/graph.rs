//! Users, the social graph, reports and `dm_permission`.

use axum::extract::State;
use axum::http::StatusCode;
use postern_core::ObjectId;
use postern_core::admission::Decision;
use postern_core::model::{Relationship, ReportTarget, User};
use postern_service::graph::EdgeList;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{PageParams, limit, user_id};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Json, Path, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_user))
        .routes(routes!(user_by_screen_name))
        .routes(routes!(search_users))
        .routes(routes!(follow, unfollow))
        .routes(routes!(followers))
        .routes(routes!(following))
        .routes(routes!(block, unblock))
        .routes(routes!(blocks))
        .routes(routes!(mute, unmute))
        .routes(routes!(mutes))
        .routes(routes!(report))
        .routes(routes!(dm_permission))
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    #[serde(flatten)]
    user: User,
    relationship: Relationship,
}

async fn view(s: &AppState, me: postern_core::UserId, user: User) -> ApiResult<Json<UserView>> {
    let relationship = s.services.relationship(me, user.id).await?;
    Ok(Json(UserView { user, relationship }))
}

/// `GET /api/v1/users/{id}`: a profile with the caller's relationship to it.
#[utoipa::path(get, path = "/users/{id}", tag = "users", responses((status = 200, body = UserView)))]
async fn get_user(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<UserView>> {
    let user = s.services.user(user_id(&id)?).await?;
    view(&s, c.user_id, user).await
}

/// `GET /api/v1/users/by/screen_name/{screen_name}`.
#[utoipa::path(get, path = "/users/by/screen_name/{screen_name}", tag = "users", responses((status = 200, body = UserView)))]
async fn user_by_screen_name(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(name): Path<String>,
) -> ApiResult<Json<UserView>> {
    let user = s.services.user_by_screen_name(&name).await?;
    view(&s, c.user_id, user).await
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    /// A screen-name prefix.
    q: String,
    limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    users: Vec<User>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

/// `GET /api/v1/users/search?q=`: people by screen-name prefix.
#[utoipa::path(get, path = "/users/search", tag = "users", params(SearchParams), responses((status = 200, body = UserList)))]
async fn search_users(
    State(s): State<AppState>,
    Auth(_caller): Auth,
    Query(p): Query<SearchParams>,
) -> ApiResult<Json<UserList>> {
    let users = s.services.search_users(&p.q, limit(p.limit, 10)?).await?;
    Ok(Json(UserList {
        users,
        next_cursor: None,
    }))
}

macro_rules! edge_handlers {
    ($put:ident, $del:ident, $path:literal, $tag:literal, $on:ident, $off:ident) => {
        #[doc = concat!("`PUT /api/v1", $path, "`")]
        #[utoipa::path(put, path = $path, tag = $tag, responses((status = 204)))]
        async fn $put(
            State(s): State<AppState>,
            Auth(c): Auth,
            Path(id): Path<String>,
        ) -> ApiResult<StatusCode> {
            s.services.$on(c.user_id, user_id(&id)?).await?;
            Ok(StatusCode::NO_CONTENT)
        }

        #[doc = concat!("`DELETE /api/v1", $path, "`")]
        #[utoipa::path(delete, path = $path, tag = $tag, responses((status = 204)))]
        async fn $del(
            State(s): State<AppState>,
            Auth(c): Auth,
            Path(id): Path<String>,
        ) -> ApiResult<StatusCode> {
            s.services.$off(c.user_id, user_id(&id)?).await?;
            Ok(StatusCode::NO_CONTENT)
        }
    };
}

edge_handlers!(
    follow,
    unfollow,
    "/me/following/{user_id}",
    "graph",
    follow,
    unfollow
);
edge_handlers!(
    block,
    unblock,
    "/me/blocks/{user_id}",
    "graph",
    block,
    unblock
);
edge_handlers!(mute, unmute, "/me/mutes/{user_id}", "graph", mute, unmute);

async fn list(
    s: &AppState,
    user: postern_core::UserId,
    which: EdgeList,
    p: PageParams,
) -> ApiResult<Json<UserList>> {
    let page = s
        .services
        .edges(user, which, p.cursor.clone(), p.limit()?)
        .await?;
    Ok(Json(UserList {
        users: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// `GET /api/v1/users/{id}/followers`.
#[utoipa::path(get, path = "/users/{id}/followers", tag = "graph", params(PageParams), responses((status = 200, body = UserList)))]
async fn followers(
    State(s): State<AppState>,
    Auth(_caller): Auth,
    Path(id): Path<String>,
    Query(p): Query<PageParams>,
) -> ApiResult<Json<UserList>> {
    list(&s, user_id(&id)?, EdgeList::Followers, p).await
}

/// `GET /api/v1/users/{id}/following`.
#[utoipa::path(get, path = "/users/{id}/following", tag = "graph", params(PageParams), responses((status = 200, body = UserList)))]
async fn following(
    State(s): State<AppState>,
    Auth(_caller): Auth,
    Path(id): Path<String>,
    Query(p): Query<PageParams>,
) -> ApiResult<Json<UserList>> {
    list(&s, user_id(&id)?, EdgeList::Following, p).await
}

/// `GET /api/v1/me/blocks`.
#[utoipa::path(get, path = "/me/blocks", tag = "graph", params(PageParams), responses((status = 200, body = UserList)))]
async fn blocks(
    State(s): State<AppState>,
    Auth(c): Auth,
    Query(p): Query<PageParams>,
) -> ApiResult<Json<UserList>> {
    list(&s, c.user_id, EdgeList::Blocked, p).await
}

/// `GET /api/v1/me/mutes`.
#[utoipa::path(get, path = "/me/mutes", tag = "graph", params(PageParams), responses((status = 200, body = UserList)))]
async fn mutes(
    State(s): State<AppState>,
    Auth(c): Auth,
    Query(p): Query<PageParams>,
) -> ApiResult<Json<UserList>> {
    list(&s, c.user_id, EdgeList::Muted, p).await
}

#[derive(Deserialize, ToSchema)]
pub struct ReportRequest {
    target_type: ReportTarget,
    /// A user id, a conversation id, or `CONVERSATION_ID:MESSAGE_ID` for a message.
    target_id: String,
    reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReportCreated {
    id: ObjectId,
}

/// `POST /api/v1/reports`: report a user, message or conversation.
#[utoipa::path(post, path = "/reports", tag = "graph", request_body = ReportRequest, responses((status = 201, body = ReportCreated)))]
async fn report(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(r): Json<ReportRequest>,
) -> ApiResult<(StatusCode, Json<ReportCreated>)> {
    let id = s
        .services
        .report(c.user_id, r.target_type, &r.target_id, &r.reason)
        .await?;
    Ok((StatusCode::CREATED, Json(ReportCreated { id })))
}

/// `GET /api/v1/users/{id}/dm_permission`: may the caller message this user, where would it
/// land, and which rule decided.
#[utoipa::path(get, path = "/users/{id}/dm_permission", tag = "graph", responses((status = 200, body = Decision)))]
async fn dm_permission(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Decision>> {
    Ok(Json(
        s.services.dm_permission(c.user_id, user_id(&id)?).await?,
    ))
}
