//! People authorizing apps (issue 17): OAuth 1.0a's three legs ([`request_tokens`]) and
//! OAuth 2.0's authorization code with PKCE ([`codes`]), as Twitter serves them. Both show the
//! person the same consent page (which app asks, who made it, what it may do) and go back to
//! one of the app's registered callback URLs.
//!
//! Tokens and codes under way live in `oauth_pending`, found by their hash, each usable once.

mod codes;
mod request_tokens;

pub use request_tokens::AccessToken;

use chrono::{Duration as Span, Utc};
use postern_core::auth::Scopes;
use postern_core::error::Thing;
use postern_core::{Error, ObjectId, Result};
use postern_store::cold::{ColdRow, Statement, int};

use crate::Services;

/// How long a request token waits for the person and the app.
pub const REQUEST_TOKEN_TTL: Span = Span::minutes(10);
/// How long an authorization code waits to be traded (X's last 30 seconds; a little more
/// here, for a slow network).
pub const CODE_TTL: Span = Span::seconds(60);
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

impl Services {
    /// Forgets what nobody will use again (the sweeper's job): request tokens and codes past
    /// their time, and consent-flow grants whose two-hour token has ended with nothing to
    /// refresh it.
    pub async fn sweep_authorizations(&self) -> Result<usize> {
        let now = int(Utc::now().timestamp_millis());
        let rows = self
            .store
            .cold()
            .run(vec![
                Statement::new(
                    "DELETE FROM oauth_pending WHERE expires_at <= ?1 RETURNING key",
                    vec![now.clone()],
                ),
                Statement::new(
                    "DELETE FROM app_grants
                     WHERE access_token IS NULL AND refresh_hash IS NULL
                       AND oauth2_expires_at <= ?1
                     RETURNING id",
                    vec![now],
                ),
            ])
            .await?;
        Ok(rows.iter().map(Vec::len).sum())
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
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
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
