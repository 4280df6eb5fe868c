//! Developer apps (issue 17): the OAuth clients of the Twitter-compatible APIs. An app has
//! keys as Twitter's developer portal gives them (consumer key and secret for OAuth 1.0a,
//! client id and secret for OAuth 2.0, an app-only bearer token); a person who authorizes it
//! gives it a grant, which holds the credentials it acts with and the scopes they allow.
//!
//! Secrets a signature needs back are sealed ([`crate::secrets`]); secrets only compared are
//! hashed. Shown once, when made.

mod credentials;

use postern_core::error::Thing;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use dashmap::DashMap;
use postern_core::auth::{Scope, Scopes};
use postern_core::{Error, Invalid, ObjectId, Result, UserId, text};
use postern_store::cold::{ColdRow, Statement, int, opt_int, opt_text, text as text_cell};
use rand::RngCore;

use crate::Services;
use crate::auth::hash_secret;

/// Apps one account may own.
pub const APPS_MAX: usize = 25;
/// An app's name, as Twitter's portal allows.
pub const APP_NAME_MAX: usize = 32;
/// Callback URLs an app may register.
pub const CALLBACKS_MAX: usize = 10;
/// A URL's length, at most.
pub const URL_MAX: usize = 2048;
/// How far an OAuth 1.0a timestamp may be from the server's clock, either way.
pub const TIMESTAMP_WINDOW: Duration = Duration::from_secs(5 * 60);
/// An OAuth 1.0a nonce's length, at most (libraries send 32–42 characters).
pub const NONCE_MAX: usize = 128;

/// An app as its owner sees it (no secrets).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct App {
    pub id: ObjectId,
    pub name: String,
    pub website_url: Option<String>,
    pub callback_urls: Vec<String>,
    /// Public: OAuth 1.0a requests name the app by it.
    pub consumer_key: String,
    /// Public: OAuth 2.0 requests name the app by it.
    pub client_id: String,
    pub created_at: DateTime<Utc>,
}

/// What making an app, or rotating its keys, gives: the secrets, shown this once.
#[derive(Debug, Clone)]
pub struct AppSecrets {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub client_id: String,
    pub client_secret: String,
    pub bearer_token: String,
}

/// A person's credentials for an app, as a developer portal shows its owner.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    pub access_token: String,
    pub access_token_secret: String,
    pub oauth2_access_token: String,
    pub scopes: Scopes,
    /// An OAuth 2.0 refresh token, when the grant may be refreshed (`offline.access` through
    /// the consent flow).
    pub refresh_token: Option<String>,
}

/// An app a person has authorized, as their connected-apps page lists it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AuthorizedApp {
    pub app_id: ObjectId,
    pub name: String,
    pub website_url: Option<String>,
    /// What it may do, as OAuth 2.0 names scopes.
    #[schema(value_type = Vec<String>)]
    pub scopes: Scopes,
    /// The same, in words, as the consent page said them.
    pub permissions: Vec<&'static str>,
    /// When it was first authorized.
    pub authorized_at: DateTime<Utc>,
}

/// An app as v1.1 names it beside the messages sent through it.
#[derive(Debug, Clone)]
pub struct AppCard {
    pub id: ObjectId,
    pub name: String,
    pub url: Option<String>,
}

/// An app's OAuth 1.0a key and secret, for checking a signature.
#[derive(Debug, Clone)]
pub struct Consumer {
    pub app_id: ObjectId,
    pub secret: String,
}

/// What a presented credential allows: acting for `user` through `app`, within `scopes`.
#[derive(Debug, Clone)]
pub struct Grant {
    pub app_id: ObjectId,
    pub user_id: UserId,
    pub scopes: Scopes,
    /// The OAuth 1.0a token secret (opened), for a grant found by its access token.
    pub token_secret: Option<String>,
}

/// Apps and grants recently looked up, so a signed request (every call of a bot) skips the
/// database. Any change to an app or grant on this node empties it; other nodes see a change
/// within [`RECENT_TTL`], as with tokens.
#[derive(Default)]
pub struct AppCache {
    consumers: DashMap<String, (Consumer, Instant)>,
    grants: DashMap<String, (Grant, Instant)>,
}

const RECENT_TTL: Duration = Duration::from_secs(30);
const RECENT_MAX: usize = 100_000;

impl AppCache {
    pub(crate) fn clear(&self) {
        self.consumers.clear();
        self.grants.clear();
    }
}

fn fresh<V: Clone>(map: &DashMap<String, (V, Instant)>, key: &str) -> Option<V> {
    let hit = map.get(key)?;
    (hit.1.elapsed() < RECENT_TTL).then(|| hit.0.clone())
}

fn remember<V>(map: &DashMap<String, (V, Instant)>, key: String, value: V) {
    if map.len() >= RECENT_MAX {
        map.clear();
    }
    map.insert(key, (value, Instant::now()));
}

/// `n` random bytes as URL-safe base64, after `prefix`.
pub(crate) fn random(prefix: &str, n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub(crate) fn hex_hash(secret: &str) -> String {
    hash_secret(secret)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `key` could be a key, id or token Postern issued (URL-safe base64, or a user id
/// and `-` before it): anything else names nothing, and is never sent to the database (where
/// PostgreSQL would refuse a NUL).
pub(crate) fn could_be_issued(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 128
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Prefixes that tell Postern's bearer tokens apart without a lookup.
pub mod prefixes {
    /// An OAuth 2.0 user access token.
    pub const OAUTH2: &str = "pot_";
    /// An OAuth 2.0 refresh token.
    pub const REFRESH: &str = "prt_";
    /// An app-only bearer token.
    pub const APP_BEARER: &str = "pab_";
}

/// What a new app is given.
#[derive(Debug, Clone, Default)]
pub struct NewApp {
    pub name: String,
    pub callback_urls: Vec<String>,
    pub website_url: Option<String>,
}

/// What JSON Schema's `\s` and control characters cover (as `parts::is_web_url` reads).
fn is_blank_or_control(c: char) -> bool {
    c.is_whitespace() || c.is_control() || c == '\u{feff}'
}

/// A callback URL's rule, for the API document.
pub const CALLBACK_URL_PATTERN: &str = "^(?![Jj][Aa][Vv][Aa][Ss][Cc][Rr][Ii][Pp][Tt]:|[Dd][Aa][Tt][Aa]:|[Vv][Bb][Ss][Cc][Rr][Ii][Pp][Tt]:|[Ff][Ii][Ll][Ee]:)[A-Za-z][A-Za-z0-9+.-]*://[^\\s\\u0000-\\u001f\\u007f-\\u009f\\ufeff]+$";

/// Schemes a browser runs or reads locally rather than going to: never a place to send a
/// person back to.
const UNSAFE_SCHEMES: [&str; 4] = ["javascript", "data", "vbscript", "file"];

fn checked_url(field: &str, url: &str, web_only: bool) -> Result<String> {
    if url.chars().count() > URL_MAX {
        return Err(Error::invalid(
            field,
            format!("must be at most {URL_MAX} characters"),
        ));
    }
    // A callback may be an app's own scheme (`myapp://callback`), as on Twitter; a website
    // is a web page.
    let scheme_ok = match url.split_once("://") {
        Some((scheme, rest)) => {
            !rest.is_empty()
                && scheme
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }
        None => false,
    };
    let ok = if web_only {
        postern_core::parts::is_web_url(url)
    } else {
        scheme_ok
            && !url.chars().any(is_blank_or_control)
            && !url.split_once(':').is_some_and(|(scheme, _)| {
                UNSAFE_SCHEMES
                    .iter()
                    .any(|u| scheme.eq_ignore_ascii_case(u))
            })
    };
    if !ok {
        let wanted = if web_only {
            "an http:// or https:// URL"
        } else {
            "an absolute URL (https://… or an app's own scheme://…, not javascript:, data:, \
             vbscript: or file:)"
        };
        return Err(Error::invalid(field, format!("must be {wanted}")));
    }
    Ok(url.to_owned())
}

impl NewApp {
    fn checked(self) -> Result<NewApp> {
        let name = text::single_line("name", &self.name, APP_NAME_MAX)?;
        if name.is_empty() {
            return Err(Error::invalid("name", "must not be empty"));
        }
        if self.callback_urls.len() > CALLBACKS_MAX {
            return Err(Error::invalid(
                "callback_urls",
                format!(
                    "must list at most {CALLBACKS_MAX} URLs, got {}",
                    self.callback_urls.len()
                ),
            ));
        }
        let callback_urls = self
            .callback_urls
            .iter()
            .map(|u| checked_url("callback_urls", u, false))
            .collect::<Result<Vec<_>>>()?;
        let website_url = self
            .website_url
            .filter(|u| !u.is_empty())
            .map(|u| checked_url("website_url", &u, true))
            .transpose()?;
        Ok(NewApp {
            name,
            callback_urls,
            website_url,
        })
    }
}

impl Services {
    /// `POST /apps`: a new app and its secrets, shown this once.
    pub async fn create_app(&self, owner: UserId, new: NewApp) -> Result<(App, AppSecrets)> {
        let new = new.checked()?;
        if self.apps(owner).await?.len() >= APPS_MAX {
            return Err(Error::State(Invalid {
                field: "name".into(),
                message: format!("an account has at most {APPS_MAX} apps: delete one first"),
            }));
        }
        let id = ObjectId(self.ids.next_id());
        let secrets = new_secrets();
        let now = Utc::now();
        let sealer = self.sealer().await?;
        let sealed = sealer.seal(&secrets.consumer_secret)?;
        let bearer_sealed = sealer.seal(&secrets.bearer_token)?;
        self.store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO apps (id, owner_id, name, website_url, callback_urls, consumer_key,
                     consumer_secret, client_id, client_secret, bearer_hash, created_at,
                     bearer_sealed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                vec![
                    int(id.0),
                    int(owner.0),
                    text_cell(new.name.clone()),
                    opt_text(new.website_url.clone()),
                    text_cell(serde_json::to_string(&new.callback_urls).map_err(Error::internal)?),
                    text_cell(secrets.consumer_key.clone()),
                    text_cell(sealed),
                    text_cell(secrets.client_id.clone()),
                    text_cell(hex_hash(&secrets.client_secret)),
                    text_cell(hex_hash(&secrets.bearer_token)),
                    int(now.timestamp_millis()),
                    text_cell(bearer_sealed),
                ],
            )])
            .await?;
        let app = App {
            id,
            name: new.name,
            website_url: new.website_url,
            callback_urls: new.callback_urls,
            consumer_key: secrets.consumer_key.clone(),
            client_id: secrets.client_id.clone(),
            created_at: now,
        };
        Ok((app, secrets))
    }

    /// `GET /apps`: the caller's apps, oldest first.
    pub async fn apps(&self, owner: UserId) -> Result<Vec<App>> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT id, name, website_url, callback_urls, consumer_key, client_id, created_at
                 FROM apps WHERE owner_id = ?1 ORDER BY id",
                vec![int(owner.0)],
            ))
            .await?;
        rows.iter().map(app).collect()
    }

    /// One of the caller's apps; anyone else's is not found.
    pub async fn app(&self, owner: UserId, id: ObjectId) -> Result<App> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT id, name, website_url, callback_urls, consumer_key, client_id, created_at
                 FROM apps WHERE id = ?1 AND owner_id = ?2",
                vec![int(id.0), int(owner.0)],
            ))
            .await?;
        rows.first().map(app).ok_or(Error::NotFound(Thing::App))?
    }

    /// `DELETE /apps/{id}`: the app, every grant anyone gave it, and its webhooks (with their
    /// subscriptions, log and replays) and X Activity subscriptions, so nothing more is sent
    /// for it; its credentials stop working at once on this node (within half a minute on
    /// others).
    pub async fn delete_app(&self, owner: UserId, id: ObjectId) -> Result<()> {
        self.app(owner, id).await?;
        let of_its_webhooks = |table: &str| {
            Statement::owned(
                format!(
                    "DELETE FROM {table}
                     WHERE webhook_id IN (SELECT id FROM webhooks WHERE app_id = ?1)"
                ),
                vec![int(id.0)],
            )
        };
        self.store
            .cold()
            .run(vec![
                of_its_webhooks("webhook_deliveries"),
                of_its_webhooks("webhook_subscriptions"),
                of_its_webhooks("webhook_replays"),
                Statement::new(
                    "DELETE FROM activity_subscriptions WHERE app_id = ?1",
                    vec![int(id.0)],
                ),
                Statement::new("DELETE FROM webhooks WHERE app_id = ?1", vec![int(id.0)]),
                Statement::new("DELETE FROM app_grants WHERE app_id = ?1", vec![int(id.0)]),
                Statement::new(
                    "DELETE FROM oauth_pending WHERE app_id = ?1",
                    vec![int(id.0)],
                ),
                Statement::new(
                    "DELETE FROM apps WHERE id = ?1 AND owner_id = ?2",
                    vec![int(id.0), int(owner.0)],
                ),
            ])
            .await?;
        self.app_cache.clear();
        Ok(())
    }

    /// `POST /apps/{id}/keys`: new consumer key and secret, client secret and bearer token;
    /// the old ones stop working. People's grants stay (they sign with the new key).
    pub async fn rotate_app_keys(&self, owner: UserId, id: ObjectId) -> Result<(App, AppSecrets)> {
        self.app(owner, id).await?;
        let mut secrets = new_secrets();
        let sealer = self.sealer().await?;
        let sealed = sealer.seal(&secrets.consumer_secret)?;
        let bearer_sealed = sealer.seal(&secrets.bearer_token)?;
        let rows = self
            .store
            .cold()
            .run(vec![Statement::new(
                "UPDATE apps SET consumer_key = ?3, consumer_secret = ?4, client_secret = ?5,
                     bearer_hash = ?6, bearer_sealed = ?7
                 WHERE id = ?1 AND owner_id = ?2 RETURNING client_id",
                vec![
                    int(id.0),
                    int(owner.0),
                    text_cell(secrets.consumer_key.clone()),
                    text_cell(sealed),
                    text_cell(hex_hash(&secrets.client_secret)),
                    text_cell(hex_hash(&secrets.bearer_token)),
                    text_cell(bearer_sealed),
                ],
            )])
            .await?;
        // The client id names the app to people who authorized it: it stays.
        secrets.client_id = rows
            .first()
            .and_then(|r| r.first())
            .ok_or(Error::NotFound(Thing::App))?
            .text(0)?;
        self.app_cache.clear();
        Ok((self.app(owner, id).await?, secrets))
    }

    /// `POST /apps/{id}/access_tokens`: the owner's own credentials for their app, with
    /// every scope, as a developer portal gives them (the OAuth 2.0 token does not expire).
    pub async fn owner_credentials(&self, owner: UserId, id: ObjectId) -> Result<UserCredentials> {
        self.app(owner, id).await?;
        self.grant(id, owner, Scopes::ALL, None, true, false).await
    }

    /// Records that `user` authorized `app` for `scopes`, and makes the credentials it acts
    /// with: an OAuth 2.0 token, expiring at `expires_at` if given and refreshable if
    /// `refreshable`, and (if `oauth1`) an OAuth 1.0a token and secret, left empty otherwise.
    pub(crate) async fn grant(
        &self,
        app: ObjectId,
        user: UserId,
        scopes: Scopes,
        expires_at: Option<DateTime<Utc>>,
        oauth1: bool,
        refreshable: bool,
    ) -> Result<UserCredentials> {
        let (access_token, access_token_secret) = if oauth1 {
            (format!("{}-{}", user.0, random("", 30)), random("", 33))
        } else {
            (String::new(), String::new())
        };
        let credentials = UserCredentials {
            access_token,
            access_token_secret,
            oauth2_access_token: random(prefixes::OAUTH2, 32),
            scopes,
            refresh_token: refreshable.then(|| random(prefixes::REFRESH, 32)),
        };
        let sealed = if oauth1 {
            Some(
                self.sealer()
                    .await?
                    .seal(&credentials.access_token_secret)?,
            )
        } else {
            None
        };
        self.store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO app_grants (id, app_id, user_id, scopes, access_token, token_secret,
                     oauth2_hash, oauth2_expires_at, created_at, refresh_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, CAST(?8 AS BIGINT), ?9, ?10)",
                vec![
                    int(self.ids.next_id()),
                    int(app.0),
                    int(user.0),
                    text_cell(scopes.to_string()),
                    opt_text(oauth1.then(|| credentials.access_token.clone())),
                    opt_text(sealed),
                    text_cell(hex_hash(&credentials.oauth2_access_token)),
                    opt_int(expires_at.map(|t| t.timestamp_millis())),
                    int(Utc::now().timestamp_millis()),
                    opt_text(credentials.refresh_token.as_deref().map(hex_hash)),
                ],
            )])
            .await?;
        Ok(credentials)
    }

    /// `GET /me/authorized_apps`: the apps the caller has authorized, with what each may do.
    pub async fn authorized_apps(&self, user: UserId) -> Result<Vec<AuthorizedApp>> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT a.id, a.name, a.website_url, g.scopes, g.created_at
                 FROM app_grants g JOIN apps a ON a.id = g.app_id
                 WHERE g.user_id = ?1 ORDER BY g.app_id, g.created_at",
                vec![int(user.0)],
            ))
            .await?;
        let mut apps: Vec<AuthorizedApp> = Vec::new();
        for r in &rows {
            let scopes = Scopes::parse_stored(&r.text(3)?);
            let at = millis(r.int(4)?)?;
            match apps.last_mut() {
                // Several grants of one app (a phone and a laptop): one entry, every scope.
                Some(last) if last.app_id.0 == r.int(0)? => last.scopes = last.scopes | scopes,
                _ => apps.push(AuthorizedApp {
                    app_id: ObjectId(r.int(0)?),
                    name: r.text(1)?,
                    website_url: r.opt_text(2)?,
                    scopes,
                    permissions: Vec::new(),
                    authorized_at: at,
                }),
            }
        }
        for app in &mut apps {
            app.permissions = app.scopes.iter().map(Scope::description).collect();
        }
        Ok(apps)
    }

    /// `DELETE /me/authorized_apps/{id}`: every credential the caller gave the app stops
    /// working.
    pub async fn revoke_authorized_app(&self, user: UserId, app: ObjectId) -> Result<()> {
        let rows = self
            .store
            .cold()
            .run(vec![Statement::new(
                "DELETE FROM app_grants WHERE user_id = ?1 AND app_id = ?2 RETURNING id",
                vec![int(user.0), int(app.0)],
            )])
            .await?;
        self.app_cache.clear();
        if rows.first().is_none_or(Vec::is_empty) {
            return Err(Error::NotFound(Thing::AuthorizedApp));
        }
        Ok(())
    }

    /// The names and websites of `ids` (v1.1's `apps` map beside messages sent through
    /// them); apps since deleted are left out.
    pub async fn app_cards(&self, ids: &[ObjectId]) -> Result<Vec<AppCard>> {
        let mut cards = Vec::with_capacity(ids.len());
        for id in ids {
            let rows = self
                .store
                .cold()
                .select(Statement::new(
                    "SELECT name, website_url FROM apps WHERE id = ?1",
                    vec![int(id.0)],
                ))
                .await?;
            if let Some(r) = rows.first() {
                cards.push(AppCard {
                    id: *id,
                    name: r.text(0)?,
                    url: r.opt_text(1)?,
                });
            }
        }
        Ok(cards)
    }
}

fn new_secrets() -> AppSecrets {
    AppSecrets {
        consumer_key: random("", 18),
        consumer_secret: random("", 36),
        client_id: random("", 24),
        client_secret: random("", 36),
        bearer_token: random(prefixes::APP_BEARER, 40),
    }
}

fn millis(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| Error::internal("a stored time out of range"))
}

fn app(r: &ColdRow) -> Result<App> {
    Ok(App {
        id: ObjectId(r.int(0)?),
        name: r.text(1)?,
        website_url: r.opt_text(2)?,
        callback_urls: serde_json::from_str(&r.text(3)?).map_err(Error::internal)?,
        consumer_key: r.text(4)?,
        client_id: r.text(5)?,
        created_at: millis(r.int(6)?)?,
    })
}
