//! OAuth 1.0a's three legs as Twitter serves them (reference `twitter-dm-api.md` §14):
//!
//! 1. `POST /oauth/request_token`, signed with the consumer key alone, `oauth_callback` in
//!    the header (or the query or form): `oauth_token`, `oauth_token_secret`,
//!    `oauth_callback_confirmed=true`, form-encoded.
//! 2. `GET /oauth/authorize?oauth_token=…` (and `/oauth/authenticate`): the web app's
//!    consent page (`/i/oauth/authorize`), which sends the person back to the callback with
//!    `oauth_token` and `oauth_verifier`, or shows the verifier as a PIN (`oob`).
//! 3. `POST /oauth/access_token`, signed with the request token and its secret,
//!    `oauth_verifier` in the header (or the query or form): the person's `oauth_token`,
//!    `oauth_token_secret`, `user_id` and `screen_name`, form-encoded.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use postern_core::Error;
use postern_core::auth::AuthFailure;

use super::oauth1::Header;
use super::signed::{charge, check_signature, media_type, parse_header, query_params};
use super::v1::V1Result;
use crate::AppState;

/// A request-token call's form body, at most (a callback URL and a few parameters).
const FORM_BYTES: usize = 16 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/oauth/request_token", post(request_token))
        .route("/oauth/access_token", post(access_token))
        .route("/oauth/authorize", get(consent_page))
        .route("/oauth/authenticate", get(consent_page))
}

/// A signed call's header and its parameters (query, then a form body's).
struct Call {
    parts: axum::http::request::Parts,
    header: Header,
    params: Vec<(String, String)>,
}

impl Call {
    async fn read(request: Request) -> Result<Call, Error> {
        let (parts, body) = request.into_parts();
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(Error::Unauthenticated)?;
        let header = parse_header(value)?;
        let mut params = query_params(&parts);
        if media_type(&parts.headers) == "application/x-www-form-urlencoded" {
            let body = axum::body::to_bytes(body, FORM_BYTES).await.map_err(|_| {
                Error::TooLarge(postern_core::Invalid {
                    field: "body".into(),
                    message: format!("must be at most {FORM_BYTES} bytes"),
                })
            })?;
            params.extend(form_urlencoded::parse(&body).into_owned());
        }
        Ok(Call {
            parts,
            header,
            params,
        })
    }

    /// A parameter from the header, the query or the form.
    fn param(&self, name: &str) -> Option<&str> {
        self.header.get(name).or_else(|| {
            self.params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        })
    }

    fn consumer_key(&self) -> Result<&str, Error> {
        self.header
            .get("oauth_consumer_key")
            .ok_or(Error::Unauthorized(AuthFailure::Malformed(
                "Authorization: oauth_consumer_key is required",
            )))
    }
}

fn form_response(pairs: &[(&str, &str)]) -> Response {
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        body.append_pair(k, v);
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        )],
        body.finish(),
    )
        .into_response()
}

/// `POST /oauth/request_token`.
async fn request_token(State(s): State<AppState>, request: Request) -> V1Result<Response> {
    let mut call = Call::read(request).await?;
    let consumer = s.services.consumer(call.consumer_key()?).await?;
    check_signature(
        &mut call.parts,
        &s,
        &call.header,
        &call.params,
        &consumer.secret,
        "",
    )
    .await?;
    charge(&call.parts, &s, &format!("app:{}", consumer.app_id))?;
    let callback = call
        .param("oauth_callback")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::invalid("oauth_callback", "is required (a callback URL, or oob)"))?
        .to_owned();
    let (token, secret) = s.services.request_token(consumer.app_id, &callback).await?;
    Ok(form_response(&[
        ("oauth_token", &token),
        ("oauth_token_secret", &secret),
        ("oauth_callback_confirmed", "true"),
    ]))
}

/// `POST /oauth/access_token`.
async fn access_token(State(s): State<AppState>, request: Request) -> V1Result<Response> {
    let mut call = Call::read(request).await?;
    let consumer = s.services.consumer(call.consumer_key()?).await?;
    let token = call
        .header
        .get("oauth_token")
        .or_else(|| call.param("oauth_token"))
        .ok_or(Error::Unauthorized(AuthFailure::Malformed(
            "Authorization: oauth_token (the request token) is required",
        )))?
        .to_owned();
    let secret = s
        .services
        .request_token_secret(consumer.app_id, &token)
        .await?;
    check_signature(
        &mut call.parts,
        &s,
        &call.header,
        &call.params,
        &consumer.secret,
        &secret,
    )
    .await?;
    charge(&call.parts, &s, &format!("app:{}", consumer.app_id))?;
    let verifier = call
        .param("oauth_verifier")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::invalid("oauth_verifier", "is required"))?
        .to_owned();
    let access = s
        .services
        .exchange_request_token(consumer.app_id, &token, &verifier)
        .await?;
    let screen_name = s.services.user(access.user).await?.screen_name;
    Ok(form_response(&[
        ("oauth_token", &access.token),
        ("oauth_token_secret", &access.secret),
        ("user_id", &access.user.to_string()),
        ("screen_name", &screen_name),
    ]))
}

/// `GET /oauth/authorize` and `/oauth/authenticate`: the web app's consent page, with the
/// same query.
async fn consent_page(uri: Uri) -> Redirect {
    super::to_web_page("/i/oauth/authorize", &uri)
}
