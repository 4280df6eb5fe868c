//! OAuth 1.0a's three legs: the app asks for a request token (`/oauth/request_token`, naming
//! where to send the person back, or `oob`); the person allows it on the consent page, which
//! sends them back with a verifier (or shows it as a PIN); the app trades token and verifier
//! for the person's access token (`/oauth/access_token`), the same one each time they allow
//! the same app, as on Twitter.

use chrono::Utc;
use postern_core::auth::{AuthFailure, Scopes};
use postern_core::error::Thing;
use postern_core::{Error, ObjectId, Result, UserId};
use postern_store::cold::{Statement, int, text as text_cell};
use rand::Rng;

use super::{
    Consent, Decision, KIND_REQUEST_TOKEN, OUT_OF_BAND, REQUEST_TOKEN_TTL, first_text, with_query,
};
use crate::Services;
use crate::apps::{could_be_issued, hex_hash, random};
use crate::auth::hash_secret;

/// A person's OAuth 1.0a credentials for an app.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub user: UserId,
    pub token: String,
    pub secret: String,
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
                    int((Utc::now() + REQUEST_TOKEN_TTL).timestamp_millis()),
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

    /// The person's answer to a request token's consent page. Only the first answer counts:
    /// a second tab's finds the token taken.
    pub async fn decide_request_token(
        &self,
        user: UserId,
        token: &str,
        allow: bool,
    ) -> Result<Decision> {
        let key = text_cell(hex_hash(token));
        let now = int(Utc::now().timestamp_millis());
        let pending = "key = ?1 AND kind = ?2 AND user_id IS NULL AND expires_at > ?3";
        if !allow {
            let rows = self
                .store
                .cold()
                .run(vec![Statement::owned(
                    format!("DELETE FROM oauth_pending WHERE {pending} RETURNING callback"),
                    vec![key, text_cell(KIND_REQUEST_TOKEN), now],
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
        // A PIN for `oob` (typed by a person), a long verifier for a callback (carried in the
        // URL); which one is stored is the callback's to say.
        let pin = format!("{:07}", rand::rng().random_range(0..10_000_000u32));
        let long = random("", 24);
        let rows = self
            .store
            .cold()
            .run(vec![Statement::owned(
                format!(
                    "UPDATE oauth_pending SET user_id = ?4,
                         verifier = CASE WHEN callback = ?5 THEN ?6 ELSE ?7 END
                     WHERE {pending} RETURNING callback"
                ),
                vec![
                    key,
                    text_cell(KIND_REQUEST_TOKEN),
                    now,
                    int(user.0),
                    text_cell(OUT_OF_BAND),
                    text_cell(hex_hash(&pin)),
                    text_cell(hex_hash(&long)),
                ],
            )])
            .await?;
        let callback = first_text(&rows)?.ok_or(Error::NotFound(Thing::Authorization))?;
        Ok(if callback == OUT_OF_BAND {
            Decision::Pin(pin)
        } else {
            Decision::Redirect(with_query(
                &callback,
                &[("oauth_token", token), ("oauth_verifier", &long)],
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
    ) -> Result<AccessToken> {
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
        // Compared as hashes of hashes: equal lengths, no early exit.
        if hash_secret(&stored) != hash_secret(&hex_hash(verifier)) {
            return Err(refused());
        }
        self.oauth1_credentials(app, user).await
    }

    /// The person's OAuth 1.0a token for `app`: the one they have, or a new one.
    async fn oauth1_credentials(&self, app: ObjectId, user: UserId) -> Result<AccessToken> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT access_token, token_secret FROM app_grants
                 WHERE app_id = ?1 AND user_id = ?2 AND access_token IS NOT NULL
                 ORDER BY id DESC LIMIT 1",
                vec![int(app.0), int(user.0)],
            ))
            .await?;
        if let Some(row) = rows.first() {
            let token = row.text(0)?;
            if let (true, Some(sealed)) = (could_be_issued(&token), row.opt_text(1)?) {
                return Ok(AccessToken {
                    user,
                    token,
                    secret: self.sealer().await?.open(&sealed)?,
                });
            }
        }
        let made = self
            .grant(app, user, Scopes::ALL, None, true, false)
            .await?;
        Ok(AccessToken {
            user,
            token: made.access_token,
            secret: made.access_token_secret,
        })
    }
}
