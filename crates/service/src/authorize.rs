//! People authorizing apps (issue 17): OAuth 1.0a's three legs and OAuth 2.0's authorization
//! code with PKCE, as Twitter serves them.
//!
//! - OAuth 1.0a: the app asks for a request token (`/oauth/request_token`, naming where to
//!   send the person back, or `oob`); the person allows it on the consent page, which sends
//!   them back with a verifier (or shows it as a PIN); the app trades token and verifier for
//!   an access token (`/oauth/access_token`).
//! - OAuth 2.0: the consent page checks the app's request (client, exact redirect URI,
//!   scopes, PKCE challenge); allowing it sends the person back with a code, which the app
//!   trades with its verifier for a token that lasts two hours (and, with `offline.access`,
//!   a refresh token, replaced at each refresh). An app revokes its own tokens.
//!
//! Tokens and codes under way live in `oauth_pending`, found by their hash, each usable once.

use chrono::{Duration as Span, Utc};
use postern_core::auth::{AuthFailure, Scope, Scopes};
use postern_core::error::Thing;
use postern_core::{Error, ObjectId, Result, UserId};
use postern_store::cold::{ColdRow, Statement, int, text as text_cell};
use rand::Rng;

use crate::Services;
use crate::apps::{UserCredentials, hex_hash, prefixes, random};
use crate::auth::hash_secret;

/// How long a request token or an authorization code waits to be used.
pub const PENDING_TTL: Span = Span::minutes(10);
/// How long an OAuth 2.0 access token from the consent flow works (X's `expires_in`).
pub const ACCESS_TTL: Span = Span::hours(2);
/// An OAuth 2.0 `state`, at most (as X allows).
pub const STATE_MAX: usize = 500;
/// A PKCE `code_challenge` (and its verifier): 43 to 128 unreserved characters (RFC 7636).
pub const CHALLENGE_MIN: usize = 43;
pub const CHALLENGE_MAX: usize = 128;
/// `oauth_callback` when the app has nowhere to send the person: the page shows a PIN.
pub const OUT_OF_BAND: &str = "oob";
/// What [`CodeRequest::code_challenge`] may be, for the API document.
pub const CHALLENGE_PATTERN: &str = "^[A-Za-z0-9._~-]{43,128}$";

const KIND_REQUEST_TOKEN: &str = "oauth1";
const KIND_CODE: &str = "oauth2";

/// What a consent page shows: who asks, for what.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Consent {
    pub app: ConsentApp,
    /// What allowing it lets the app do, by name and in words.
    pub scopes: Vec<ScopeInWords>,
    /// Whether allowing shows a PIN (OAuth 1.0a `oob`) rather than going back to the app.
    pub pin: bool,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ConsentApp {
    pub id: ObjectId,
    pub name: String,
    pub website_url: Option<String>,
    /// Who made it.
    pub owner_screen_name: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ScopeInWords {
    pub name: &'static str,
    pub description: &'static str,
}

/// Where the consent page sends the person after they decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Back to the app, at this URL.
    Redirect(String),
    /// Nowhere to go: the person types this PIN into the app.
    Pin(String),
    /// Denied, with nowhere to go.
    Denied,
}

/// An app's OAuth 2.0 authorization request, as the consent page received it.
#[derive(Debug, Clone, Default)]
pub struct CodeRequest {
    pub response_type: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: String,
    pub code_challenge: String,
    pub code_challenge_method: String,
}

/// How an app identifies itself to the token endpoint: its client id, and its secret when it
/// is a confidential client (HTTP Basic).
#[derive(Debug, Clone)]
pub struct ClientAuth {
    pub client_id: String,
    pub client_secret: Option<String>,
}

/// What `/2/oauth2/token` answers.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: String,
    pub expires_in: i64,
    pub scopes: Scopes,
    pub refresh_token: Option<String>,
}

/// A checked [`CodeRequest`].
struct CheckedCode {
    app: ObjectId,
    scopes: Scopes,
}

impl Services {
    /// `POST /oauth/request_token`, once the app's signature checks out: a request token and
    /// secret for `callback` (`oob` or one of the app's callback URLs).
    pub async fn request_token(&self, app: ObjectId, callback: &str) -> Result<(String, String)> {
        if callback != OUT_OF_BAND && !self.registered_callback(app, callback, true).await? {
            return Err(Error::invalid(
                "oauth_callback",
                "must be oob or one of the app's callback URLs",
            ));
        }
        let token = random("", 24);
        let secret = random("", 32);
        let sealed = self.sealer().await?.seal(&secret)?;
        self.store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO oauth_pending (key, kind, app_id, secret, callback, scopes,
                     expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                vec![
                    text_cell(hex_hash(&token)),
                    text_cell(KIND_REQUEST_TOKEN),
                    int(app.0),
                    text_cell(sealed),
                    text_cell(callback),
                    text_cell(Scopes::ALL.to_string()),
                    int((Utc::now() + PENDING_TTL).timestamp_millis()),
                ],
            )])
            .await?;
        Ok((token, secret))
    }

    /// The secret of `app`'s request token, to check the signature of its exchange.
    pub async fn request_token_secret(&self, app: ObjectId, token: &str) -> Result<String> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT secret FROM oauth_pending
                 WHERE key = ?1 AND kind = ?2 AND app_id = ?3 AND expires_at > ?4",
                vec![
                    text_cell(hex_hash(token)),
                    text_cell(KIND_REQUEST_TOKEN),
                    int(app.0),
                    int(Utc::now().timestamp_millis()),
                ],
            ))
            .await?;
        let sealed = rows
            .first()
            .map(|r| r.opt_text(0))
            .transpose()?
            .flatten()
            .ok_or(Error::Unauthorized(AuthFailure::UnknownToken))?;
        self.sealer().await?.open(&sealed)
    }

    /// The consent page for a request token: which app asks.
    pub async fn request_token_consent(&self, token: &str) -> Result<Consent> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT app_id, callback, scopes FROM oauth_pending
                 WHERE key = ?1 AND kind = ?2 AND user_id IS NULL AND expires_at > ?3",
                vec![
                    text_cell(hex_hash(token)),
                    text_cell(KIND_REQUEST_TOKEN),
                    int(Utc::now().timestamp_millis()),
                ],
            ))
            .await?;
        let row = rows.first().ok_or(Error::NotFound(Thing::Authorization))?;
        let app = ObjectId(row.int(0)?);
        let pin = row.text(1)? == OUT_OF_BAND;
        self.consent(app, Scopes::parse_stored(&row.text(2)?), pin)
            .await
    }

    /// The person's answer to a request token's consent page.
    pub async fn decide_request_token(
        &self,
        user: UserId,
        token: &str,
        allow: bool,
    ) -> Result<Decision> {
        let key = hex_hash(token);
        let now = int(Utc::now().timestamp_millis());
        if !allow {
            let rows = self
                .store
                .cold()
                .run(vec![Statement::new(
                    "DELETE FROM oauth_pending
                     WHERE key = ?1 AND kind = ?2 AND user_id IS NULL AND expires_at > ?3
                     RETURNING callback",
                    vec![text_cell(key), text_cell(KIND_REQUEST_TOKEN), now],
                )])
                .await?;
            let callback = first_text(&rows)?.ok_or(Error::NotFound(Thing::Authorization))?;
            // Twitter sends a denied person back with `denied=<token>`.
            return Ok(if callback == OUT_OF_BAND {
                Decision::Denied
            } else {
                Decision::Redirect(with_query(&callback, &[("denied", token)]))
            });
        }
        let pin = || format!("{:07}", rand::rng().random_range(0..10_000_000u32));
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT callback FROM oauth_pending
                 WHERE key = ?1 AND kind = ?2 AND user_id IS NULL AND expires_at > ?3",
                vec![
                    text_cell(key.clone()),
                    text_cell(KIND_REQUEST_TOKEN),
                    now.clone(),
                ],
            ))
            .await?;
        let callback = rows
            .first()
            .map(|r| r.text(0))
            .transpose()?
            .ok_or(Error::NotFound(Thing::Authorization))?;
        let verifier = if callback == OUT_OF_BAND {
            pin()
        } else {
            random("", 24)
        };
        // Only the first answer counts: a second tab's finds the token taken.
        let taken = self
            .store
            .cold()
            .run(vec![Statement::new(
                "UPDATE oauth_pending SET user_id = ?4, verifier = ?5
                 WHERE key = ?1 AND kind = ?2 AND user_id IS NULL AND expires_at > ?3
                 RETURNING key",
                vec![
                    text_cell(key),
                    text_cell(KIND_REQUEST_TOKEN),
                    now,
                    int(user.0),
                    text_cell(hex_hash(&verifier)),
                ],
            )])
            .await?;
        first_text(&taken)?.ok_or(Error::NotFound(Thing::Authorization))?;
        Ok(if callback == OUT_OF_BAND {
            Decision::Pin(verifier)
        } else {
            Decision::Redirect(with_query(
                &callback,
                &[("oauth_token", token), ("oauth_verifier", &verifier)],
            ))
        })
    }

    /// `POST /oauth/access_token`: the request token (used up whatever the outcome, so a
    /// PIN cannot be guessed at) and its verifier for the person's credentials.
    pub async fn exchange_request_token(
        &self,
        app: ObjectId,
        token: &str,
        verifier: &str,
    ) -> Result<(UserId, UserCredentials)> {
        let rows = self
            .store
            .cold()
            .run(vec![Statement::new(
                "DELETE FROM oauth_pending WHERE key = ?1 AND kind = ?2 AND app_id = ?3
                 RETURNING user_id, verifier, expires_at",
                vec![
                    text_cell(hex_hash(token)),
                    text_cell(KIND_REQUEST_TOKEN),
                    int(app.0),
                ],
            )])
            .await?;
        let row = rows
            .first()
            .and_then(|r| r.first())
            .ok_or(Error::Unauthorized(AuthFailure::UnknownToken))?;
        let refused = || Error::invalid("oauth_verifier", "does not match the request token");
        let user = row.opt_int(0)?.map(UserId).ok_or_else(refused)?;
        let stored = row.opt_text(1)?.unwrap_or_default();
        if row.int(2)? <= Utc::now().timestamp_millis() {
            return Err(Error::Unauthorized(AuthFailure::UnknownToken));
        }
        if hash_secret(&stored) != hash_secret(&hex_hash(verifier)) {
            return Err(refused());
        }
        let credentials = self.grant(app, user, Scopes::ALL, None, false).await?;
        Ok((user, credentials))
    }

    /// The consent page for an OAuth 2.0 request: which app asks, for what. Anything wrong
    /// with the request is refused here, naming the parameter, and never sent back to a
    /// redirect URI the app did not register.
    pub async fn code_consent(&self, request: &CodeRequest) -> Result<Consent> {
        let checked = self.checked_code_request(request).await?;
        self.consent(checked.app, checked.scopes, false).await
    }

    /// The person's answer to an OAuth 2.0 consent page: where to send them.
    pub async fn decide_code(
        &self,
        user: UserId,
        request: &CodeRequest,
        allow: bool,
    ) -> Result<String> {
        let checked = self.checked_code_request(request).await?;
        let state = request.state.as_str();
        if !allow {
            return Ok(with_query(
                &request.redirect_uri,
                &[("error", "access_denied"), ("state", state)],
            ));
        }
        let code = random("", 32);
        self.store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO oauth_pending (key, kind, app_id, callback, scopes, challenge,
                     challenge_method, user_id, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                vec![
                    text_cell(hex_hash(&code)),
                    text_cell(KIND_CODE),
                    int(checked.app.0),
                    text_cell(request.redirect_uri.clone()),
                    text_cell(checked.scopes.to_string()),
                    text_cell(request.code_challenge.clone()),
                    text_cell(request.code_challenge_method.to_ascii_lowercase()),
                    int(user.0),
                    int((Utc::now() + PENDING_TTL).timestamp_millis()),
                ],
            )])
            .await?;
        Ok(with_query(
            &request.redirect_uri,
            &[("state", state), ("code", &code)],
        ))
    }

    /// `POST /2/oauth2/token` with `grant_type=authorization_code`.
    pub async fn exchange_code(
        &self,
        client: &ClientAuth,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<TokenSet> {
        let app = self.verified_client(client).await?;
        // Used up whatever the outcome: a code is tried once.
        let rows = self
            .store
            .cold()
            .run(vec![Statement::new(
                "DELETE FROM oauth_pending WHERE key = ?1 AND kind = ?2
                 RETURNING app_id, callback, scopes, challenge, challenge_method, user_id,
                     expires_at",
                vec![text_cell(hex_hash(code)), text_cell(KIND_CODE)],
            )])
            .await?;
        let bad_code = || {
            Error::invalid(
                "code",
                "Value passed for the authorization code was invalid.",
            )
        };
        let row = rows.first().and_then(|r| r.first()).ok_or_else(bad_code)?;
        if ObjectId(row.int(0)?) != app || row.int(6)? <= Utc::now().timestamp_millis() {
            return Err(bad_code());
        }
        if row.text(1)? != redirect_uri {
            return Err(Error::invalid(
                "redirect_uri",
                "must be the redirect_uri the code was issued for",
            ));
        }
        let challenge = row.opt_text(3)?.unwrap_or_default();
        let method = row.opt_text(4)?.unwrap_or_default();
        if !pkce_matches(&method, &challenge, verifier) {
            return Err(Error::invalid(
                "code_verifier",
                "Value passed for the code verifier was invalid.",
            ));
        }
        let user = UserId(row.int(5)?);
        let scopes = Scopes::parse_stored(&row.text(2)?);
        let refresh = scopes.contains(Scope::OfflineAccess);
        let credentials = self
            .grant(app, user, scopes, Some(Utc::now() + ACCESS_TTL), refresh)
            .await?;
        Ok(TokenSet {
            access_token: credentials.oauth2_access_token,
            expires_in: ACCESS_TTL.num_seconds(),
            scopes,
            refresh_token: credentials.refresh_token,
        })
    }

    /// `POST /2/oauth2/token` with `grant_type=refresh_token`: a new access token and a new
    /// refresh token; the old ones stop working.
    pub async fn refresh_token(&self, client: &ClientAuth, refresh: &str) -> Result<TokenSet> {
        let app = self.verified_client(client).await?;
        let access = random(prefixes::OAUTH2, 32);
        let next = random(prefixes::REFRESH, 32);
        let rows = self
            .store
            .cold()
            .run(vec![Statement::new(
                "UPDATE app_grants SET oauth2_hash = ?3, oauth2_expires_at = ?4, refresh_hash = ?5
                 WHERE refresh_hash = ?1 AND app_id = ?2 RETURNING scopes",
                vec![
                    text_cell(hex_hash(refresh)),
                    int(app.0),
                    text_cell(hex_hash(&access)),
                    int((Utc::now() + ACCESS_TTL).timestamp_millis()),
                    text_cell(hex_hash(&next)),
                ],
            )])
            .await?;
        let scopes = first_text(&rows)?.ok_or_else(|| {
            Error::invalid("refresh_token", "Value passed for the token was invalid.")
        })?;
        self.app_cache.clear();
        Ok(TokenSet {
            access_token: access,
            expires_in: ACCESS_TTL.num_seconds(),
            scopes: Scopes::parse_stored(&scopes),
            refresh_token: Some(next),
        })
    }

    /// `POST /2/oauth2/revoke`: the grant an access or refresh token belongs to ends (both
    /// tokens stop working). A token that is not the app's changes nothing, as RFC 7009 asks.
    pub async fn revoke_oauth2_token(&self, client: &ClientAuth, token: &str) -> Result<()> {
        let app = self.verified_client(client).await?;
        let hash = hex_hash(token);
        self.store
            .cold()
            .run(vec![Statement::new(
                "DELETE FROM app_grants
                 WHERE app_id = ?1 AND (oauth2_hash = ?2 OR refresh_hash = ?2)",
                vec![int(app.0), text_cell(hash)],
            )])
            .await?;
        self.app_cache.clear();
        Ok(())
    }

    /// Forgets request tokens and codes nobody used in time (the sweeper's job).
    pub async fn sweep_pending_authorizations(&self) -> Result<usize> {
        let rows = self
            .store
            .cold()
            .run(vec![Statement::new(
                "DELETE FROM oauth_pending WHERE expires_at <= ?1 RETURNING key",
                vec![int(Utc::now().timestamp_millis())],
            )])
            .await?;
        Ok(rows.first().map_or(0, Vec::len))
    }

    async fn checked_code_request(&self, r: &CodeRequest) -> Result<CheckedCode> {
        if r.response_type != "code" {
            return Err(Error::invalid("response_type", "must be code"));
        }
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT id FROM apps WHERE client_id = ?1",
                vec![text_cell(r.client_id.clone())],
            ))
            .await?;
        let app = ObjectId(rows.first().ok_or(Error::NotFound(Thing::App))?.int(0)?);
        if !self
            .registered_callback(app, &r.redirect_uri, false)
            .await?
        {
            return Err(Error::invalid(
                "redirect_uri",
                "must be exactly one of the app's callback URLs",
            ));
        }
        let scopes = Scopes::parse("scope", &r.scope)?;
        if scopes == Scopes::NONE {
            return Err(Error::invalid("scope", "must name at least one scope"));
        }
        if r.state.is_empty() || r.state.chars().count() > STATE_MAX {
            return Err(Error::invalid(
                "state",
                format!("must be 1 to {STATE_MAX} characters"),
            ));
        }
        let method = r.code_challenge_method.to_ascii_lowercase();
        if method != "s256" && method != "plain" {
            return Err(Error::invalid(
                "code_challenge_method",
                "must be S256 or plain",
            ));
        }
        let challenge_ok = (CHALLENGE_MIN..=CHALLENGE_MAX).contains(&r.code_challenge.len())
            && r.code_challenge.bytes().all(is_unreserved);
        if !challenge_ok {
            return Err(Error::invalid(
                "code_challenge",
                format!(
                    "must be {CHALLENGE_MIN} to {CHALLENGE_MAX} characters of A-Z a-z 0-9 - . _ ~"
                ),
            ));
        }
        Ok(CheckedCode { app, scopes })
    }

    /// Whether `url` is one of `app`'s callback URLs: exactly, or (OAuth 1.0a, as Twitter
    /// allows) with a query of the app's own added.
    async fn registered_callback(&self, app: ObjectId, url: &str, query_ok: bool) -> Result<bool> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT callback_urls FROM apps WHERE id = ?1",
                vec![int(app.0)],
            ))
            .await?;
        let registered: Vec<String> = match rows.first().map(|r| r.text(0)).transpose()? {
            Some(raw) => serde_json::from_str(&raw).map_err(Error::internal)?,
            None => return Err(Error::NotFound(Thing::App)),
        };
        let bare = if query_ok {
            url.split(['?', '#']).next().unwrap_or(url)
        } else {
            url
        };
        Ok(registered.iter().any(|r| r == url || r == bare))
    }

    async fn consent(&self, app: ObjectId, scopes: Scopes, pin: bool) -> Result<Consent> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT a.id, a.name, a.website_url, u.screen_name
                 FROM apps a JOIN users u ON u.id = a.owner_id WHERE a.id = ?1",
                vec![int(app.0)],
            ))
            .await?;
        let row = rows.first().ok_or(Error::NotFound(Thing::App))?;
        Ok(Consent {
            app: ConsentApp {
                id: ObjectId(row.int(0)?),
                name: row.text(1)?,
                website_url: row.opt_text(2)?,
                owner_screen_name: row.text(3)?,
            },
            scopes: scopes
                .iter()
                .map(|s| ScopeInWords {
                    name: s.name(),
                    description: s.description(),
                })
                .collect(),
            pin,
        })
    }

    /// The app a token request comes from: its client id, and its secret if it sent one.
    async fn verified_client(&self, client: &ClientAuth) -> Result<ObjectId> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT id, client_secret FROM apps WHERE client_id = ?1",
                vec![text_cell(client.client_id.clone())],
            ))
            .await?;
        let row = rows
            .first()
            .ok_or(Error::Unauthorized(AuthFailure::UnknownConsumer))?;
        if let Some(secret) = &client.client_secret {
            // Compared as hashes of hashes: equal lengths, no early exit.
            if hash_secret(&row.text(1)?) != hash_secret(&hex_hash(secret)) {
                return Err(Error::Unauthorized(AuthFailure::UnknownConsumer));
            }
        }
        Ok(ObjectId(row.int(0)?))
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

/// Whether `verifier` answers `challenge` (RFC 7636: S256 is base64url(SHA-256(verifier))).
fn pkce_matches(method: &str, challenge: &str, verifier: &str) -> bool {
    use base64::Engine;
    use sha2::Digest;
    if verifier.is_empty() || verifier.len() > CHALLENGE_MAX || !verifier.bytes().all(is_unreserved)
    {
        return false;
    }
    let expected = if method == "plain" {
        verifier.to_owned()
    } else {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    hash_secret(&expected) == hash_secret(challenge)
}

/// `url` with `pairs` added to its query (before any fragment).
fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    let joiner = if base.contains('?') { '&' } else { '?' };
    let mut out = format!("{base}{joiner}{}", query.finish());
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

fn first_text(rows: &[Vec<ColdRow>]) -> Result<Option<String>> {
    rows.first()
        .and_then(|r| r.first())
        .map(|r| r.text(0))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_is_base64url_of_the_verifiers_sha256() {
        // The challenge as Python's hashlib and base64 work it out for this verifier.
        let verifier = "dBjftJeZ4CVP-mB92K1uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "DpW_nzyKLmXOCjIx2Ik4CEMHAv6AF_zNMXGb5Z9P0oI";
        assert!(pkce_matches("s256", challenge, verifier));
        assert!(!pkce_matches(
            "s256",
            challenge,
            "dBjftJeZ4CVP-mB92K1uhbUJU1p1r_wW1gFWFOEjXK"
        ));
        assert!(pkce_matches("plain", verifier, verifier));
        assert!(!pkce_matches("plain", challenge, verifier));
        assert!(!pkce_matches("s256", challenge, "has space"));
    }

    #[test]
    fn a_query_is_added_before_the_fragment() {
        assert_eq!(
            with_query("https://a.example/cb?x=1#top", &[("code", "a b")]),
            "https://a.example/cb?x=1&code=a+b#top"
        );
        assert_eq!(
            with_query("myapp://done", &[("state", "s"), ("code", "c")]),
            "myapp://done?state=s&code=c"
        );
    }
}
