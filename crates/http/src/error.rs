//! The native API's error shape, `{"error":{"code","message","field"?,"rule"?}}`, and extractors
//! whose rejections use it, so malformed JSON, wrong types and bad paths answer like every
//! other refusal.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use postern_core::Error;
use postern_core::admission::Rule;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable, snake_case.
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// A refused direct message: the admission rule that refused it, as
    /// `GET /users/{id}/dm_permission` names it (`blocked` or `not_accepting`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Rule>,
}

/// Every domain error, mapped once: status and native code.
pub fn status_and_code(e: &Error) -> (StatusCode, &'static str) {
    match e {
        Error::Invalid(_) | Error::TooLong(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
        Error::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        Error::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
        Error::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        Error::MissingScope(_) => (StatusCode::FORBIDDEN, "missing_scope"),
        Error::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        Error::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        Error::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        Error::Unknown(_) => (StatusCode::NOT_FOUND, "not_found"),
        Error::OwnAccount(_) => (StatusCode::FORBIDDEN, "own_account"),
        Error::NotAGroup(_) => (StatusCode::CONFLICT, "not_a_group"),
        Error::EditLimit(_) => (StatusCode::CONFLICT, "edit_limit"),
        Error::UploadIncomplete(_) => (StatusCode::CONFLICT, "upload_incomplete"),
        Error::QuickReplyNotOpen(_) => (StatusCode::CONFLICT, "quick_reply_not_open"),
        Error::WelcomeRequiresOpenDms => (StatusCode::FORBIDDEN, "welcome_requires_open_dms"),
        Error::WebhookRefused(_) => (StatusCode::BAD_REQUEST, "webhook_refused"),
        Error::State(_) => (StatusCode::CONFLICT, "conflict"),
        Error::HumanInControl => (StatusCode::CONFLICT, "human_in_control"),
        Error::NotInControl(_) => (StatusCode::CONFLICT, "not_in_control"),
        Error::CannotMessageUser => (StatusCode::FORBIDDEN, "cannot_message_user"),
        Error::CannotReply => (StatusCode::FORBIDDEN, "cannot_reply"),
        Error::RecipientNotAccepting(_) => (StatusCode::FORBIDDEN, "recipient_not_accepting"),
        Error::UnsupportedMedia(_) => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
        }
        Error::MediaMismatch(_) => (StatusCode::BAD_REQUEST, "media_type_mismatch"),
        Error::InvalidMedia(_) => (StatusCode::BAD_REQUEST, "invalid_media"),
        Error::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        Error::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        Error::FeedbackTooSoon { .. } => (StatusCode::TOO_MANY_REQUESTS, "feedback_too_soon"),
        Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = status_and_code(&self.0);
        let (message, field) = match (&self.0, self.0.invalid_detail()) {
            (e, Some(i)) => (e.to_string(), Some(i.field.clone())),
            (Error::Internal(detail), None) => {
                tracing::error!(%detail, "internal error");
                ("something went wrong on our side".to_owned(), None)
            }
            (other, None) => (other.to_string(), None),
        };
        let mut response = respond(
            status,
            ErrorDetail {
                code,
                message,
                field,
                rule: self.0.refused_by(),
            },
        );
        if let Some(secs) = retry_after_secs(&self.0)
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

/// The `Retry-After` a refusal carries, in whole seconds, on every surface.
pub fn retry_after_secs(e: &Error) -> Option<u64> {
    let retry_after = match e {
        Error::RateLimited { retry_after, .. } => Some(*retry_after),
        Error::FeedbackTooSoon { next_at } => (*next_at - chrono::Utc::now()).to_std().ok(),
        _ => None,
    }?;
    // Rounded up: a client told to come back too early is refused again.
    Some((retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0)).max(1))
}

/// A bare error response for rejections that are not domain errors.
pub fn plain(
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
) -> Response {
    respond(
        status,
        ErrorDetail {
            code,
            message,
            field,
            rule: None,
        },
    )
}

fn respond(status: StatusCode, error: ErrorDetail) -> Response {
    (status, axum::Json(ErrorBody { error })).into_response()
}

pub struct Rejection(Response);

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        self.0
    }
}

impl From<JsonRejection> for Rejection {
    fn from(r: JsonRejection) -> Self {
        let text = r.body_text();
        Rejection(match r {
            JsonRejection::MissingJsonContentType(_) => plain(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected Content-Type: application/json".into(),
                None,
            ),
            JsonRejection::JsonSyntaxError(_) => {
                plain(StatusCode::BAD_REQUEST, "malformed_json", text, None)
            }
            JsonRejection::JsonDataError(_) => {
                // axum reports "...target type: <path>: <problem>"; the path names the field.
                let detail = text
                    .split_once("target type: ")
                    .map_or(text.as_str(), |(_, d)| d);
                let field = detail
                    .split_once(": ")
                    .map(|(f, _)| f.to_owned())
                    .filter(|f| !f.contains(' '));
                let field = field.or_else(|| detail.split('`').nth(1).map(str::to_owned));
                plain(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    detail.to_owned(),
                    field,
                )
            }
            _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the request body must be at most {JSON_BODY_BYTES} bytes"),
                None,
            ),
            _ => plain(StatusCode::BAD_REQUEST, "invalid_request", text, None),
        })
    }
}

/// The largest JSON request body (axum's default, stated here so refusals can name it):
/// the longest message is 10,000 characters, at most 40 KB.
pub const JSON_BODY_BYTES: usize = 2 * 1024 * 1024;

impl From<QueryRejection> for Rejection {
    fn from(r: QueryRejection) -> Self {
        let text = r.body_text();
        let detail = text
            .split_once("query string: ")
            .map_or(text.as_str(), |(_, d)| d)
            .to_owned();
        let field = detail
            .split_once(": ")
            .map(|(f, _)| f.to_owned())
            .filter(|f| !f.contains(' '));
        Rejection(plain(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            detail,
            field,
        ))
    }
}

impl From<PathRejection> for Rejection {
    fn from(r: PathRejection) -> Self {
        Rejection(plain(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            r.body_text(),
            None,
        ))
    }
}

/// A JSON request body whose refusals use our error shape. The body must be a JSON object:
/// serde would also fill a struct from an array (`[null, null]` was taken for an empty
/// profile update), which no client means.
pub struct Json<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = Rejection;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Rejection> {
        if !json_content_type(request.headers()) {
            return Err(Rejection(plain(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected Content-Type: application/json".into(),
                None,
            )));
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| Rejection::from(JsonRejection::from(e)))?;
        // Valid JSON that is not an object is refused as such; anything that is not JSON
        // at all falls through to the parser's own syntax error.
        let object = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if !object && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() {
            return Err(Rejection(plain(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the body must be a JSON object".into(),
                None,
            )));
        }
        axum::Json::<T>::from_bytes(&bytes)
            .map(|axum::Json(value)| Json(value))
            .map_err(Rejection::from)
    }
}

/// `application/json`, or a `+json` type, with any parameters.
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|subtype| subtype.ends_with("+json"))
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Rejection))]
pub struct Query<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Rejection))]
pub struct Path<T>(pub T);

pub type ApiResult<T> = Result<T, ApiError>;
