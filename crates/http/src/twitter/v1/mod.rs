//! Twitter's v1.1 API (`/1.1/…json`, reference `twitter-dm-api.md` §1–§9, §11–§12) over the
//! service layer: the same rules as the native API, Twitter's shapes, codes and headers.
//!
//! - [`events`]: direct-message events (new, show, list, destroy), typing, read receipts.
//! - [`users`]: the account, users, friendships and blocks.
//! - [`feedback`]: customer feedback cards (CSAT, NPS).
//! - [`media`]: `media/upload.json`, whole or in chunks.
//! - [`welcome`]: welcome messages and their rule, custom profiles.
//! - [`render`]: Postern's messages and users in Twitter's shapes.

pub mod account_activity;
mod events;
mod feedback;
pub mod media;
pub mod render;
mod users;
mod welcome;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use postern_core::auth::AuthFailure;
use postern_core::error::Thing;
use postern_core::{Error, Invalid};
use serde_json::json;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(events::router())
        .merge(users::router())
        .merge(welcome::router())
        .merge(media::router())
        .merge(feedback::router())
        .merge(account_activity::router())
}

/// A refusal in v1.1's shape: `{"errors":[{"code","message"}]}`.
#[derive(Debug)]
pub struct V1Error(pub Error);

impl From<Error> for V1Error {
    fn from(e: Error) -> Self {
        V1Error(e)
    }
}

pub type V1Result<T> = Result<T, V1Error>;

/// v1.1's status, code and message for every refusal, in one exhaustive match (reference
/// §11.2). Codes Twitter documents keep its words; the rest say what Postern found.
pub fn status_code_message(e: &Error) -> (StatusCode, u16, String) {
    let detail = |i: &Invalid| format!("{}: {}", i.field, i.message);
    let sending = |why: String| format!("There was an error sending your message: {why}.");
    let media = "The validation of media ids failed.".to_owned();
    match e {
        Error::Invalid(i) => (StatusCode::BAD_REQUEST, 44, detail(i)),
        Error::TooLong(i) if i.field.ends_with("text") => (
            StatusCode::FORBIDDEN,
            354,
            format!(
                "The text of your direct message is over the max character limit ({}).",
                i.message
            ),
        ),
        Error::TooLong(i) => (StatusCode::BAD_REQUEST, 44, detail(i)),
        Error::Unauthenticated => (
            StatusCode::BAD_REQUEST,
            215,
            "Bad Authentication data.".into(),
        ),
        Error::BadCredentials => (
            StatusCode::UNAUTHORIZED,
            32,
            "Could not authenticate you.".into(),
        ),
        Error::Unauthorized(f) => match f {
            AuthFailure::Malformed(what) => (
                StatusCode::BAD_REQUEST,
                215,
                format!("Bad Authentication data: {what}."),
            ),
            AuthFailure::UnknownConsumer
            | AuthFailure::BadSignature
            | AuthFailure::ReplayedNonce => (
                StatusCode::UNAUTHORIZED,
                32,
                format!("Could not authenticate you: {f}."),
            ),
            AuthFailure::StaleTimestamp => (
                StatusCode::UNAUTHORIZED,
                135,
                "Timestamp out of bounds.".into(),
            ),
            AuthFailure::UnknownToken => (
                StatusCode::UNAUTHORIZED,
                89,
                "Invalid or expired token.".into(),
            ),
            AuthFailure::NeedsUserContext | AuthFailure::V2Only => (
                StatusCode::FORBIDDEN,
                220,
                format!("Your credentials do not allow access to this resource: {f}."),
            ),
        },
        Error::MissingScope(s) => (
            StatusCode::FORBIDDEN,
            220,
            format!(
                "Your credentials do not allow access to this resource: the {} scope is needed.",
                s.name()
            ),
        ),
        Error::Forbidden(why) => (
            StatusCode::FORBIDDEN,
            220,
            format!("Your credentials do not allow access to this resource: {why}."),
        ),
        Error::NotFound(Thing::User) => (StatusCode::NOT_FOUND, 50, "User not found.".into()),
        Error::NotFound(Thing::Media) => (
            StatusCode::BAD_REQUEST,
            325,
            "A media id was not found.".into(),
        ),
        Error::NotFound(_) => (
            StatusCode::NOT_FOUND,
            34,
            "Sorry, that page does not exist.".into(),
        ),
        Error::Unknown(i) | Error::State(i) | Error::UploadIncomplete(i)
            if i.field.contains("media") =>
        {
            (
                StatusCode::BAD_REQUEST,
                324,
                format!("{media} {}", detail(i)),
            )
        }
        Error::Unknown(i) => (StatusCode::BAD_REQUEST, 44, detail(i)),
        Error::UnsupportedMedia(i)
        | Error::MediaMismatch(i)
        | Error::InvalidMedia(i)
        | Error::TooLarge(i) => (
            StatusCode::BAD_REQUEST,
            324,
            format!("{media} {}", detail(i)),
        ),
        Error::OwnAccount(i) => (StatusCode::FORBIDDEN, 151, sending(detail(i))),
        Error::State(i)
        | Error::UploadIncomplete(i)
        | Error::QuickReplyNotOpen(i)
        | Error::NotAGroup(i) => (StatusCode::FORBIDDEN, 151, sending(detail(i))),
        Error::Conflict(why) => (StatusCode::FORBIDDEN, 151, sending((*why).into())),
        Error::EditLimit(_)
        | Error::CannotReply
        | Error::HumanInControl
        | Error::NotInControl(_) => (StatusCode::FORBIDDEN, 151, sending(e.to_string())),
        Error::WebhookRefused(i) => (
            StatusCode::FORBIDDEN,
            214,
            format!("Webhook URL does not meet the requirements. {}", detail(i)),
        ),
        Error::WelcomeRequiresOpenDms => (
            StatusCode::FORBIDDEN,
            214,
            "Owner must allow dms from anyone.".into(),
        ),
        Error::CannotMessageUser => (
            StatusCode::FORBIDDEN,
            349,
            "You cannot send messages to this user.".into(),
        ),
        Error::RecipientNotAccepting(_) => (
            StatusCode::FORBIDDEN,
            150,
            "You cannot send messages to users who are not following you.".into(),
        ),
        Error::RateLimited { .. } | Error::FeedbackTooSoon { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            88,
            "Rate limit exceeded.".into(),
        ),
        Error::Internal(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            131,
            "Internal error.".into(),
        ),
    }
}

impl IntoResponse for V1Error {
    fn into_response(self) -> Response {
        if let Error::Internal(detail) = &self.0 {
            tracing::error!(%detail, "internal error");
        }
        let (status, code, message) = status_code_message(&self.0);
        let mut response = (
            status,
            axum::Json(json!({"errors": [{"code": code, "message": message}]})),
        )
            .into_response();
        if let Some(secs) = crate::error::retry_after_secs(&self.0)
            && let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        response
    }
}

/// `count` on v1.1's lists: 20 by default, at most 50.
///
/// More than 50 is taken as 50: twitter-api-v2's paginators ask for 100 on every page after
/// the first, and Twitter serves them.
pub fn count(req: &crate::twitter::signed::Signed) -> Result<usize, Error> {
    const MAX: usize = 50;
    match req.param("count") {
        None | Some("") => Ok(20),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .map(|n| n.min(MAX))
            .ok_or_else(|| {
                Error::invalid(
                    "count",
                    format!("must be a whole number from 1 (at most {MAX} are given), got '{raw}'"),
                )
            }),
    }
}

/// An empty 204, as Twitter answers destroy, typing and read receipts.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}
