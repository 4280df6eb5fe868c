//! Public posts: `/api/v1/posts[/{id}[/replies]]`, a profile's at `/api/v1/users/{id}/posts`, yours
//! mentioned at `/api/v1/me/mentions`, and `/api/v1/search/posts?q=`.

use axum::extract::State;
use axum::http::StatusCode;
use postern_core::posts::{DmButton, Post};
use postern_core::{MediaId, ObjectId};
use postern_service::posts::PostDraft;
use postern_store::Page;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{PageParams, limit, user_id};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Json, Path, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(show, delete))
        .routes(routes!(replies))
        .routes(routes!(of_user))
        .routes(routes!(mentions))
        .routes(routes!(search))
}

fn post_id(raw: &str) -> Result<ObjectId, postern_core::Error> {
    super::id("id", raw)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePost {
    /// Up to 280 characters; may be empty with media.
    #[serde(default)]
    text: String,
    /// The post this answers (not one whose author blocks you).
    reply_to_id: Option<ObjectId>,
    /// One of your finished uploads (shared, or not yet used): public with the post.
    media_id: Option<MediaId>,
    /// "Send a private message": a DM deep link to you, on one of your welcome messages.
    dm_button: Option<DmButton>,
    /// One of your DM cards.
    card_id: Option<ObjectId>,
}

#[derive(Serialize, ToSchema)]
pub struct PostList {
    posts: Vec<Post>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

impl From<Page<Post>> for PostList {
    fn from(page: Page<Post>) -> Self {
        PostList {
            posts: page.items,
            next_cursor: page.next_cursor,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PostSearchParams {
    /// Words, each matched as the start of a word, all of them, accents ignored.
    q: String,
    cursor: Option<String>,
    /// 1–100, default 20.
    limit: Option<usize>,
}

/// `POST /api/v1/posts`: mentioned accounts hear of it on their stream.
#[utoipa::path(post, path = "/posts", tag = "posts", request_body = CreatePost,
    responses((status = 201, body = Post), (status = 403, body = crate::error::ErrorBody)))]
async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(r): Json<CreatePost>,
) -> ApiResult<(StatusCode, Json<Post>)> {
    let draft = PostDraft {
        text: r.text,
        reply_to_id: r.reply_to_id,
        media_id: r.media_id,
        dm_button: r.dm_button,
        card_id: r.card_id,
    };
    let post = s.services.create_post(&c.actor(), draft).await?;
    Ok((StatusCode::CREATED, Json(post)))
}

/// `GET /api/v1/posts/{id}`.
#[utoipa::path(get, path = "/posts/{id}", tag = "posts", responses((status = 200, body = Post)))]
async fn show(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Post>> {
    Ok(Json(s.services.post(c.user_id, post_id(&id)?).await?))
}

/// `DELETE /api/v1/posts/{id}`: your own.
#[utoipa::path(delete, path = "/posts/{id}", tag = "posts", responses((status = 204)))]
async fn delete(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.services.delete_post(&c.actor(), post_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/posts/{id}/replies`: newest first.
#[utoipa::path(get, path = "/posts/{id}/replies", tag = "posts", params(PageParams),
    responses((status = 200, body = PostList)))]
async fn replies(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    Query(p): Query<PageParams>,
) -> ApiResult<Json<PostList>> {
    let id = post_id(&id)?;
    let limit = p.limit()?;
    Ok(Json(
        s.services
            .replies(c.user_id, id, p.cursor, limit)
            .await?
            .into(),
    ))
}

/// `GET /api/v1/users/{id}/posts`: newest first.
#[utoipa::path(get, path = "/users/{id}/posts", tag = "posts", params(PageParams),
    responses((status = 200, body = PostList)))]
async fn of_user(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
    Query(p): Query<PageParams>,
) -> ApiResult<Json<PostList>> {
    let author = user_id(&id)?;
    let limit = p.limit()?;
    let page = s
        .services
        .user_posts(c.user_id, author, p.cursor, limit)
        .await?;
    Ok(Json(page.into()))
}

/// `GET /api/v1/me/mentions`: posts that mention or answer you, newest first.
#[utoipa::path(get, path = "/me/mentions", tag = "posts", params(PageParams),
    responses((status = 200, body = PostList)))]
async fn mentions(
    State(s): State<AppState>,
    Auth(c): Auth,
    Query(p): Query<PageParams>,
) -> ApiResult<Json<PostList>> {
    let limit = p.limit()?;
    Ok(Json(
        s.services
            .mentions(c.user_id, p.cursor, limit)
            .await?
            .into(),
    ))
}

/// `GET /api/v1/search/posts?q=`: newest first.
#[utoipa::path(get, path = "/search/posts", tag = "posts", params(PostSearchParams),
    responses((status = 200, body = PostList)))]
async fn search(
    State(s): State<AppState>,
    Auth(c): Auth,
    Query(p): Query<PostSearchParams>,
) -> ApiResult<Json<PostList>> {
    let page = s
        .services
        .search_posts(c.user_id, &p.q, p.cursor, limit(p.limit, 20)?)
        .await?;
    Ok(Json(page.into()))
}
