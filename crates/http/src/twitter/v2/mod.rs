//! X's v2 API (`/2/…`, reference §11.4, §13; `x-api-v2-current.md`) over the service layer:
//! direct-message events and conversations, and users. Fields are chosen with
//! `dm_event.fields`, `user.fields` and `expansions`; errors are problem JSON.
//!
//! - [`dm`]: `dm_conversations` (create, send) and `dm_events` (lookups, delete).
//! - [`media`]: media upload, chunked and one-shot.
//! - [`tweets`]: posts as tweets, and one's mentions.
//! - [`users`]: `users/me`, `users/:id`, `users/by/username/:username`, `users?ids=`.
//! - [`render`]: dm events, users and media in v2's shapes, as asked.
//! - [`webhooks`]: v2 webhooks and Account Activity on v2.
//! - [`activity`]: the X Activity API's subscriptions and stream.

mod activity;
mod dm;
mod media;
pub mod render;
pub(crate) mod tweets;
mod users;
mod webhooks;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use postern_core::Error;
use postern_core::auth::AuthFailure;
use postern_core::error::Thing;
use serde_json::{Value, json};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(dm::router())
        .merge(users::router())
        .merge(media::router())
        .merge(tweets::router())
        .merge(webhooks::router())
        .merge(activity::router())
}

/// Where v2's problem types live (the spec's URIs).
const PROBLEMS: &str = "https://api.twitter.com/2/problems/";

/// A refusal as v2 answers it: `application/problem+json`.
#[derive(Debug)]
pub struct V2Error(pub Error);

impl From<Error> for V2Error {
    fn from(e: Error) -> Self {
        V2Error(e)
    }
}

impl From<super::v1::V1Error> for V2Error {
    fn from(e: super::v1::V1Error) -> Self {
        V2Error(e.0)
    }
}

pub type V2Result<T> = Result<T, V2Error>;

/// What v2 calls a thing that was not found.
pub fn resource_type(thing: Thing) -> &'static str {
    match thing {
        Thing::User => "user",
        Thing::Post => "tweet",
        Thing::Media | Thing::Thumbnail => "media",
        Thing::Message => "dm_event",
        Thing::Conversation | Thing::Participant => "dm_conversation",
        Thing::Link
        | Thing::WelcomeMessage
        | Thing::FeedbackRequest
        | Thing::CustomProfile
        | Thing::Card
        | Thing::Avatar
        | Thing::App
        | Thing::Token
        | Thing::AuthorizedApp
        | Thing::Authorization
        | Thing::Flow
        | Thing::Webhook => "resource",
    }
}

/// v2's problem for every refusal, in one exhaustive match: status, type (a name under
/// [`PROBLEMS`], or `about:blank`), title, detail, and any members the type adds.
pub fn problem(e: &Error) -> (StatusCode, Value) {
    let blank = |status: StatusCode, title: &str, detail: String| {
        (
            status,
            json!({"type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail}),
        )
    };
    let typed = |status: StatusCode, name: &str, title: &str, detail: String, more: Value| {
        let mut v = json!({"type": format!("{PROBLEMS}{name}"), "title": title, "status": status.as_u16(), "detail": detail});
        if let (Some(v), Some(more)) = (v.as_object_mut(), more.as_object()) {
            v.extend(more.clone());
        }
        (status, v)
    };
    let invalid = |field: &str, detail: String| {
        typed(
            StatusCode::BAD_REQUEST,
            "invalid-request",
            "Invalid Request",
            "One or more parameters to your request was invalid.".into(),
            json!({"errors": [{"message": detail, "parameters": {field: []}}]}),
        )
    };
    match e {
        Error::Invalid(i)
        | Error::TooLong(i)
        | Error::Unknown(i)
        | Error::UnsupportedMedia(i)
        | Error::MediaMismatch(i)
        | Error::InvalidMedia(i)
        | Error::TooLarge(i)
        | Error::WebhookRefused(i) => invalid(&i.field, format!("{}: {}", i.field, i.message)),
        Error::Unauthenticated | Error::BadCredentials => blank(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Unauthorized".into(),
        ),
        Error::Unauthorized(AuthFailure::NeedsUserContext) => typed(
            StatusCode::FORBIDDEN,
            "unsupported-authentication",
            "Unsupported Authentication",
            "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint. \
             Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context]."
                .into(),
            json!({}),
        ),
        Error::Unauthorized(f) => blank(StatusCode::UNAUTHORIZED, "Unauthorized", f.to_string()),
        Error::MissingScope(s) => blank(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!("this token lacks the {} scope", s.name()),
        ),
        Error::NotFound(thing) => typed(
            StatusCode::NOT_FOUND,
            "resource-not-found",
            "Not Found Error",
            format!("Could not find the {}.", thing.noun()),
            json!({"resource_type": resource_type(*thing)}),
        ),
        Error::Forbidden(why) => blank(StatusCode::FORBIDDEN, "Forbidden", (*why).into()),
        Error::CannotMessageUser
        | Error::RecipientNotAccepting(_)
        | Error::CannotReply
        | Error::WelcomeRequiresOpenDms => blank(StatusCode::FORBIDDEN, "Forbidden", e.to_string()),
        Error::OwnAccount(i) | Error::QuickReplyNotOpen(i) => blank(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!("{}: {}", i.field, i.message),
        ),
        Error::Conflict(_)
        | Error::State(_)
        | Error::UploadIncomplete(_)
        | Error::NotAGroup(_)
        | Error::HumanInControl
        | Error::NotInControl(_)
        | Error::EditLimit(_) => typed(
            StatusCode::CONFLICT,
            "conflict",
            "Conflict",
            e.to_string(),
            json!({}),
        ),
        Error::RateLimited { .. } | Error::FeedbackTooSoon { .. } => blank(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            "Too Many Requests".into(),
        ),
        Error::Internal(_) => blank(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "something went wrong on our side".into(),
        ),
    }
}

impl IntoResponse for V2Error {
    fn into_response(self) -> Response {
        if let Error::Internal(detail) = &self.0 {
            tracing::error!(%detail, "internal error");
        }
        let (status, body) = problem(&self.0);
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = crate::error::retry_after_secs(&self.0)
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            headers.insert(header::RETRY_AFTER, v);
        }
        response
    }
}
