//! The consent pages' calls (issue 17): what an app asks for, and the person's answer.
//!
//! - OAuth 1.0a: `GET /api/v1/oauth/request_tokens/{token}`, `POST` the same with
//!   `{"allow"}` → where to send the person, or the PIN to show (`oob`).
//! - OAuth 2.0: `GET /api/v1/oauth2/authorization?response_type=code&client_id=…` (the query
//!   the app sent to `/i/oauth2/authorize`), `POST /api/v1/oauth2/authorization` with the same
//!   fields and `allow` → where to send the person.

use axum::extract::State;
use postern_service::authorize::{CodeRequest, Consent, Decision};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Json, Path, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_token, decide_request_token))
        .routes(routes!(authorization, decide_authorization))
}

/// The person's answer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentAnswer {
    /// Allow the app (true) or deny it (false).
    allow: bool,
}

/// Where the page goes next: back to the app (`redirect_to`), or a PIN to show.
#[derive(Serialize, ToSchema)]
pub struct ConsentNext {
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_to: Option<String>,
    /// OAuth 1.0a `oob`: the person types this into the app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pin: Option<String>,
}

/// An OAuth 2.0 authorization request, as the app sent it to the consent page.
#[derive(Deserialize, ToSchema, IntoParams)]
pub struct CodeParams {
    /// `code`.
    response_type: String,
    client_id: String,
    /// Exactly one of the app's callback URLs.
    redirect_uri: String,
    /// Space-separated scopes.
    scope: String,
    /// 1–500 characters, given back with the code.
    state: String,
    code_challenge: String,
    /// `S256` or `plain`.
    code_challenge_method: String,
}

/// An OAuth 2.0 request and the person's answer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeAnswer {
    response_type: String,
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: String,
    code_challenge: String,
    code_challenge_method: String,
    allow: bool,
}

impl From<CodeParams> for CodeRequest {
    fn from(p: CodeParams) -> Self {
        CodeRequest {
            response_type: p.response_type,
            client_id: p.client_id,
            redirect_uri: p.redirect_uri,
            scope: p.scope,
            state: p.state,
            code_challenge: p.code_challenge,
            code_challenge_method: p.code_challenge_method,
        }
    }
}

/// `GET /api/v1/oauth/request_tokens/{token}`: the app asking, for the consent page.
#[utoipa::path(get, path = "/oauth/request_tokens/{token}", tag = "apps",
    responses((status = 200, body = Consent)))]
async fn request_token(
    State(s): State<AppState>,
    _signed_in: Auth,
    Path(token): Path<String>,
) -> ApiResult<Json<Consent>> {
    Ok(Json(s.services.request_token_consent(&token).await?))
}

/// `POST /api/v1/oauth/request_tokens/{token}`: allow or deny the app.
#[utoipa::path(post, path = "/oauth/request_tokens/{token}", tag = "apps", request_body = ConsentAnswer,
    responses((status = 200, body = ConsentNext)))]
async fn decide_request_token(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(token): Path<String>,
    Json(a): Json<ConsentAnswer>,
) -> ApiResult<Json<ConsentNext>> {
    let decision = s
        .services
        .decide_request_token(c.user_id, &token, a.allow)
        .await?;
    Ok(Json(match decision {
        Decision::Redirect(to) => ConsentNext {
            redirect_to: Some(to),
            pin: None,
        },
        Decision::Pin(pin) => ConsentNext {
            redirect_to: None,
            pin: Some(pin),
        },
        Decision::Denied => ConsentNext {
            redirect_to: None,
            pin: None,
        },
    }))
}

/// `GET /api/v1/oauth2/authorization`: the app asking, for the consent page; a request that
/// is wrong is refused naming the parameter.
#[utoipa::path(get, path = "/oauth2/authorization", tag = "apps", params(CodeParams),
    responses((status = 200, body = Consent)))]
async fn authorization(
    State(s): State<AppState>,
    _signed_in: Auth,
    Query(p): Query<CodeParams>,
) -> ApiResult<Json<Consent>> {
    Ok(Json(s.services.code_consent(&p.into()).await?))
}

/// `POST /api/v1/oauth2/authorization`: allow or deny the app; either way the answer says
/// where to send the person.
#[utoipa::path(post, path = "/oauth2/authorization", tag = "apps", request_body = CodeAnswer,
    responses((status = 200, body = ConsentNext)))]
async fn decide_authorization(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(a): Json<CodeAnswer>,
) -> ApiResult<Json<ConsentNext>> {
    let allow = a.allow;
    let request = CodeRequest {
        response_type: a.response_type,
        client_id: a.client_id,
        redirect_uri: a.redirect_uri,
        scope: a.scope,
        state: a.state,
        code_challenge: a.code_challenge,
        code_challenge_method: a.code_challenge_method,
    };
    let to = s.services.decide_code(c.user_id, &request, allow).await?;
    Ok(Json(ConsentNext {
        redirect_to: Some(to),
        pin: None,
    }))
}
