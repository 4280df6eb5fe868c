//! OAuth 2.0 for people, as X serves it (reference `x-api-v2-current.md` §9.1): the
//! authorization code with PKCE.
//!
//! - `GET /2/oauth2/authorize` (and `/i/oauth2/authorize`, X's own address, which is the web
//!   app's consent page): the app's request, checked by the page.
//! - `POST /2/oauth2/token`: `grant_type=authorization_code` (`code`, `redirect_uri`,
//!   `code_verifier`) or `grant_type=refresh_token` (`refresh_token`); the app names itself by
//!   `client_id` in the form (a public client) or HTTP Basic with its secret (confidential).
//!   Answers `{"token_type":"bearer","expires_in":7200,"access_token","scope","refresh_token"?}`.
//! - `POST /2/oauth2/revoke` (`token`): `{"revoked":true}`.
//!
//! The fields come as a form (or, as twitter-api-v2 sends them, a JSON object). Refusals are
//! OAuth's `{"error","error_description"}`, as X sends them.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use postern_core::Error;
use postern_service::authorize::ClientAuth;
use serde_json::json;

use super::signed::{charge, media_type};
use crate::AppState;

/// A token request's form body, at most.
const FORM_BYTES: usize = 16 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/2/oauth2/authorize", get(consent_page))
        .route("/2/oauth2/token", post(token))
        .route("/2/oauth2/revoke", post(revoke))
}

/// A refusal in OAuth's shape.
pub struct OAuthError(Error);

impl From<Error> for OAuthError {
    fn from(e: Error) -> Self {
        OAuthError(e)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let e = self.0;
        let (status, error, description) = match &e {
            Error::Unauthorized(_) | Error::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Missing valid authorization header".to_owned(),
            ),
            _ => {
                let (status, _) = crate::error::status_and_code(&e);
                let error = if status.is_server_error() {
                    "server_error"
                } else {
                    "invalid_request"
                };
                let description = match e.invalid_detail() {
                    Some(i) => format!("{}: {}", i.field, i.message),
                    None => e.to_string(),
                };
                (status, error, description)
            }
        };
        if status.is_server_error() {
            tracing::error!(error = %e, "OAuth 2.0 token request failed");
        }
        (
            status,
            Json(json!({"error": error, "error_description": description})),
        )
            .into_response()
    }
}

/// `GET /2/oauth2/authorize`: the web app's consent page, with the same query.
async fn consent_page(uri: Uri) -> Redirect {
    super::to_web_page("/i/oauth2/authorize", &uri)
}

/// A token request's fields: a form, as X documents, or a JSON object, as twitter-api-v2
/// sends them (its `loginWithOAuth2` and `revokeOAuth2Token` post JSON).
fn fields(headers: &HeaderMap, body: &Bytes) -> Result<Vec<(String, String)>, Error> {
    if media_type(headers) != "application/json" {
        return Ok(form_urlencoded::parse(body).into_owned().collect());
    }
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body)
        .map_err(|e| Error::invalid("body", format!("must be a JSON object of strings: {e}")))?;
    object
        .into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k, s)),
            serde_json::Value::Number(n) => Ok((k, n.to_string())),
            _ => Err(Error::invalid(k, "must be a string")),
        })
        .collect()
}

/// A token request: its form, and how the app named itself.
struct TokenRequest {
    form: Vec<(String, String)>,
    client: ClientAuth,
}

impl TokenRequest {
    fn read(headers: &HeaderMap, body: &Bytes) -> Result<TokenRequest, Error> {
        if body.len() > FORM_BYTES {
            return Err(Error::TooLarge(postern_core::Invalid {
                field: "body".into(),
                message: format!("must be at most {FORM_BYTES} bytes"),
            }));
        }
        let form = fields(headers, body)?;
        let named = form
            .iter()
            .find(|(k, _)| k == "client_id")
            .map(|(_, v)| v.clone());
        let client = if headers.contains_key(header::AUTHORIZATION) {
            let (id, secret) = super::oauth2::basic(headers)?;
            if named.as_ref().is_some_and(|n| *n != id) {
                return Err(Error::invalid(
                    "client_id",
                    "must be the client the Authorization header names",
                ));
            }
            ClientAuth {
                client_id: id,
                client_secret: Some(secret),
            }
        } else {
            ClientAuth {
                client_id: named.ok_or_else(|| {
                    Error::invalid(
                        "client_id",
                        "is required (or HTTP Basic with the client id and secret)",
                    )
                })?,
                client_secret: None,
            }
        };
        Ok(TokenRequest { form, client })
    }

    fn required(&self, name: &str) -> Result<&str, Error> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Error::invalid(name, "is required"))
    }
}

/// `POST /2/oauth2/token`.
async fn token(
    State(s): State<AppState>,
    parts: Parts,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let headers = &parts.headers;
    let request = TokenRequest::read(headers, &body)?;
    let services = &s.services;
    let grant_type = request.required("grant_type")?;
    let app = services.oauth2_client(&request.client).await?;
    charge(&parts, &s, &format!("app:{app}"))?;
    let tokens = match grant_type {
        "authorization_code" => {
            services
                .exchange_code(
                    app,
                    request.required("code")?,
                    request.required("redirect_uri")?,
                    request.required("code_verifier")?,
                )
                .await?
        }
        "refresh_token" => {
            services
                .refresh_token(app, request.required("refresh_token")?)
                .await?
        }
        _ => {
            return Err(Error::invalid(
                "grant_type",
                "must be authorization_code or refresh_token",
            )
            .into());
        }
    };
    let mut answer = json!({
        "token_type": "bearer",
        "expires_in": tokens.expires_in,
        "access_token": tokens.access_token,
        "scope": tokens.scopes.to_string(),
    });
    if let (Some(refresh), Some(map)) = (tokens.refresh_token, answer.as_object_mut()) {
        map.insert("refresh_token".into(), refresh.into());
    }
    Ok(Json(answer).into_response())
}

/// `POST /2/oauth2/revoke`.
async fn revoke(
    State(s): State<AppState>,
    parts: Parts,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let headers = &parts.headers;
    let request = TokenRequest::read(headers, &body)?;
    let token = request.required("token")?;
    let app = s.services.oauth2_client(&request.client).await?;
    charge(&parts, &s, &format!("app:{app}"))?;
    s.services.revoke_oauth2_token(app, token).await?;
    Ok(Json(json!({"revoked": true})).into_response())
}
