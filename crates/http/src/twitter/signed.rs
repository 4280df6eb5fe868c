//! A request to a Twitter-compatible API, authenticated: who it acts for, through which app,
//! and its parameters.
//!
//! Credentials, as Twitter takes them:
//! - `Authorization: OAuth …` (OAuth 1.0a, user context): the signature is checked against
//!   the request as received ([`super::oauth1`]: the scheme served and the `Host` as sent, or
//!   `server.public_url`; the query's and a form body's parameters, never a JSON body's); the
//!   timestamp must be within five minutes and the nonce unused, checked after the
//!   signature, so only signed requests can fill the nonce table.
//! - `Authorization: Bearer …`: an OAuth 2.0 user token (with its scopes) or an app-only
//!   bearer token (no user: only routes that read public data take it).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use postern_core::auth::{AuthFailure, Scope, Scopes};
use postern_core::{Error, ObjectId, UserId};
use postern_service::apps::prefixes;
use postern_service::{Actor, Caller, Credential};
use serde::de::DeserializeOwned;

use super::oauth1::{self, Header, HeaderError};
use crate::AppState;
use crate::error::JSON_BODY_BYTES;

/// Who a request acts for.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A person, through an app they authorized, within `scopes`.
    User {
        user: UserId,
        app: ObjectId,
        scopes: Scopes,
    },
    /// An app on its own (app-only bearer token).
    App(ObjectId),
}

/// An authenticated request: its principal, its parameters (query, then a form body's) and
/// its body.
pub struct Signed {
    pub principal: Principal,
    pub params: Vec<(String, String)>,
    pub body: Bytes,
    json: bool,
}

impl Signed {
    /// The person acted for, refusing app-only authentication and a grant without `scope`.
    pub fn user(&self, scope: Scope) -> Result<Caller, Error> {
        match &self.principal {
            Principal::User { user, app, scopes } => {
                if !scopes.contains(scope) {
                    return Err(Error::MissingScope(scope));
                }
                Ok(Caller {
                    user_id: *user,
                    credential: Credential::App {
                        app: *app,
                        scopes: *scopes,
                    },
                })
            }
            Principal::App(_) => Err(Error::Unauthorized(AuthFailure::NeedsUserContext)),
        }
    }

    /// The app the request comes through, whoever it acts for.
    pub fn app(&self) -> ObjectId {
        match &self.principal {
            Principal::User { app, .. } | Principal::App(app) => *app,
        }
    }

    /// The actor for a writing call (see [`Signed::user`]).
    pub fn actor(&self, scope: Scope) -> Result<Actor, Error> {
        Ok(self.user(scope)?.actor())
    }

    /// A parameter from the query or a form body.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A parameter the route needs.
    pub fn required(&self, name: &str) -> Result<&str, Error> {
        self.param(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Error::invalid(name, "is required"))
    }

    /// An id parameter the route needs, read as Postern writes ids.
    pub fn id<T: std::str::FromStr>(&self, name: &str) -> Result<T, Error> {
        let raw = self.required(name)?;
        raw.parse()
            .map_err(|_| Error::invalid(name, format!("'{raw}' is not an id")))
    }

    /// A count parameter (`count`, `max_results`): `default` when absent, else 1 to `max`.
    pub fn bounded(&self, name: &str, default: usize, max: usize) -> Result<usize, Error> {
        match self.param(name) {
            None | Some("") => Ok(default),
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| Error::invalid(name, format!("must be 1 to {max}, got '{raw}'"))),
        }
    }

    /// Refuses a person's grant without `users.read`; an app on its own may read users.
    pub fn reader(&self) -> Result<(), Error> {
        match self.principal {
            Principal::App(_) => Ok(()),
            Principal::User { .. } => self.user(Scope::UsersRead).map(|_| ()),
        }
    }

    /// The JSON body as `T`; an error names what does not fit.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        if !self.json {
            return Err(Error::invalid(
                "body",
                "must be JSON, sent with Content-Type: application/json",
            ));
        }
        serde_json::from_slice(&self.body).map_err(|e| Error::invalid("body", e.to_string()))
    }
}

/// A request's media type, lowercase, without its parameters (`application/json`).
pub(crate) fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

impl FromRequest<AppState> for Signed {
    type Rejection = super::v1::V1Error;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Signed::read(request, state, JSON_BODY_BYTES).await?)
    }
}

impl Signed {
    /// A request admitted on its query alone (its body, a multipart form, read apart).
    pub fn without_body(principal: Principal, params: Vec<(String, String)>) -> Signed {
        Signed {
            principal,
            params,
            body: Bytes::new(),
            json: false,
        }
    }

    /// Reads a request whose body (JSON or a form) is at most `limit` bytes, and admits it.
    pub async fn read(request: Request, state: &AppState, limit: usize) -> Result<Signed, Error> {
        let (mut parts, body) = request.into_parts();
        let kind = media_type(&parts.headers);
        let mut params = query_params(&parts);
        let read = |body: axum::body::Body| async move {
            axum::body::to_bytes(body, limit).await.map_err(|_| {
                Error::TooLarge(postern_core::Invalid {
                    field: "body".into(),
                    message: format!("must be at most {limit} bytes"),
                })
            })
        };
        if kind != "application/x-www-form-urlencoded" {
            // The body is not signed: who is asking is settled before it is read, so no one
            // unknown makes the server hold a body.
            let principal = admit(&mut parts, state, &params).await?;
            return Ok(Signed {
                principal,
                params,
                body: read(body).await?,
                json: kind == "application/json",
            });
        }
        // A form is signed, so it is read first; but only for credentials that name a known
        // app and token (checked again with the signature).
        known_credentials(&parts, state).await?;
        let body = read(body).await?;
        params.extend(form_urlencoded::parse(&body).into_owned());
        let principal = admit(&mut parts, state, &params).await?;
        Ok(Signed {
            principal,
            params,
            body,
            json: false,
        })
    }
}

/// The query's parameters, decoded.
pub fn query_params(parts: &Parts) -> Vec<(String, String)> {
    parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

/// Authenticates a request whose signed parameters are `params`, and counts it against its
/// principal's rate-limit window.
pub async fn admit(
    parts: &mut Parts,
    state: &AppState,
    params: &[(String, String)],
) -> Result<Principal, Error> {
    let principal = authenticate(parts, state, params).await?;
    let who = match &principal {
        Principal::User { user, app, .. } => format!("user:{user}:app:{app}"),
        Principal::App(app) => format!("app:{app}"),
    };
    charge(parts, state, &who)?;
    Ok(principal)
}

/// Counts the request against `who`'s window for its route, refusing it over the budget.
pub fn charge(parts: &Parts, state: &AppState, who: &str) -> Result<(), Error> {
    let Some(slot) = parts.extensions.get::<super::rate::Slot>() else {
        return Ok(());
    };
    let taken = slot.take(who);
    // Load tests turn limits off (`--rate-limits off`); the headers still count.
    if taken.refused && state.services.config().rate_limits {
        let wait = taken.reset.saturating_sub(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        );
        return Err(Error::RateLimited {
            what: "requests to this endpoint per 15 minutes",
            retry_after: std::time::Duration::from_secs(wait.max(1)),
        });
    }
    Ok(())
}

/// Whether the request's body is `multipart/form-data` (whose fields are never signed).
pub fn is_multipart(headers: &HeaderMap) -> bool {
    media_type(headers) == "multipart/form-data"
}

/// Whether the `Authorization` header names an app and token that exist, before anything
/// is checked that needs the body.
async fn known_credentials(parts: &Parts, state: &AppState) -> Result<(), Error> {
    let services = &state.services;
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(Error::Unauthenticated)?;
    if let Some((scheme, token)) = value.split_once(' ')
        && scheme.eq_ignore_ascii_case("bearer")
    {
        let token = token.trim();
        if token.starts_with(prefixes::APP_BEARER) {
            services.app_by_bearer(token).await?;
        } else {
            services.oauth2_grant(token).await?;
        }
        return Ok(());
    }
    let header = Header::parse(value)
        .map_err(|_| Error::Unauthorized(AuthFailure::Malformed("Authorization: malformed")))?;
    let consumer = services
        .consumer(header.get("oauth_consumer_key").unwrap_or_default())
        .await?;
    let token = header.get("oauth_token").unwrap_or_default();
    services.oauth1_grant(consumer.app_id, token).await?;
    Ok(())
}

/// Checks the request's credentials.
async fn authenticate(
    parts: &mut Parts,
    state: &AppState,
    params: &[(String, String)],
) -> Result<Principal, Error> {
    let services = &state.services;
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(Error::Unauthenticated)?;
    if let Some((scheme, token)) = value.split_once(' ')
        && scheme.eq_ignore_ascii_case("bearer")
    {
        let token = token.trim();
        if token.starts_with(prefixes::APP_BEARER) {
            return Ok(Principal::App(services.app_by_bearer(token).await?));
        }
        let grant = services.oauth2_grant(token).await?;
        if original_path(parts).starts_with("/1.1/") {
            return Err(Error::Unauthorized(AuthFailure::V2Only));
        }
        return Ok(Principal::User {
            user: grant.user_id,
            app: grant.app_id,
            scopes: grant.scopes,
        });
    }
    let header = parse_header(value)?;
    let missing = |what| Error::Unauthorized(AuthFailure::Malformed(what));
    let consumer_key = header
        .get("oauth_consumer_key")
        .ok_or(missing("oauth_consumer_key"))?;
    let token = header.get("oauth_token").ok_or(missing(
        "Authorization: oauth_token is required: this route acts for a person",
    ))?;
    let consumer = services.consumer(consumer_key).await?;
    let grant = services.oauth1_grant(consumer.app_id, token).await?;
    let token_secret = grant.token_secret.as_deref().unwrap_or_default();
    check_signature(
        parts,
        state,
        &header,
        params,
        &consumer.secret,
        token_secret,
    )
    .await?;
    Ok(Principal::User {
        user: grant.user_id,
        app: grant.app_id,
        scopes: grant.scopes,
    })
}

/// An `Authorization: OAuth …` header, parsed; what is wrong with it is said.
pub fn parse_header(value: &str) -> Result<Header, Error> {
    Header::parse(value).map_err(|e| {
        Error::Unauthorized(AuthFailure::Malformed(match e {
            HeaderError::NotOAuth => "Authorization: must be OAuth 1.0a or a bearer token",
            HeaderError::Malformed => "Authorization: every parameter must be key=\"value\"",
            HeaderError::Repeated(_) => "Authorization: a parameter is given twice",
            HeaderError::Missing(_) => {
                "Authorization: oauth_consumer_key, oauth_nonce, oauth_timestamp, \
                 oauth_signature_method and oauth_signature are required"
            }
            HeaderError::Unsupported(_) => {
                "Authorization: only oauth_signature_method HMAC-SHA1 and oauth_version 1.0"
            }
        }))
    })
}

/// Checks an OAuth 1.0a signature over the request as received (the scheme served, the
/// `Host` as sent or `public_url`, the whole path, `params` and the header's `oauth_*`),
/// then admits its timestamp and nonce.
pub async fn check_signature(
    parts: &mut Parts,
    state: &AppState,
    header: &Header,
    params: &[(String, String)],
    consumer_secret: &str,
    token_secret: &str,
) -> Result<(), Error> {
    let missing = |what| Error::Unauthorized(AuthFailure::Malformed(what));
    let origin = super::request_origin(parts, state)
        .await
        .ok_or(missing("Host: required to check the signature"))?;
    let url = format!("{origin}{}", original_path(parts));
    // A parameter sent in the header and again in the body or query with the same value
    // (twitter-api-v2 does so with `oauth_token` when it asks for an access token) is signed
    // once, as the client signed it.
    let mut signed: Vec<(String, String)> = params
        .iter()
        .filter(|(k, v)| !header.params.iter().any(|(hk, hv)| hk == k && hv == v))
        .cloned()
        .collect();
    signed.extend(header.params.iter().cloned());
    let base = oauth1::base_string(parts.method.as_str(), &url, &signed);
    if !oauth1::verify(&base, consumer_secret, token_secret, &header.signature) {
        return Err(Error::Unauthorized(AuthFailure::BadSignature));
    }
    let consumer_key = header.get("oauth_consumer_key").unwrap_or_default();
    let nonce = header.get("oauth_nonce").unwrap_or_default();
    let timestamp = header.get("oauth_timestamp").unwrap_or_default();
    state
        .services
        .claim_nonce(consumer_key, nonce, timestamp)
        .await
}

/// The path the client sent: under `nest`, the URI seen here lacks the prefix, and the client
/// signed the whole path.
fn original_path(parts: &Parts) -> String {
    parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| parts.uri.path().to_owned(), |o| o.0.path().to_owned())
}
