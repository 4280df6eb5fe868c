//! Checking the credentials apps present (issue 17): consumer keys and OAuth 1.0a tokens,
//! OAuth 2.0 and app-only bearer tokens, OAuth 1.0a nonces. Each lookup goes through the
//! node's [`super::AppCache`] where it can.

use chrono::{DateTime, Utc};
use postern_core::auth::{AuthFailure, Scope, Scopes};
use postern_core::{Error, ObjectId, Result, UserId};
use postern_store::cold::{ColdRow, Statement, int, text as text_cell};

use super::{
    Consumer, Grant, NONCE_MAX, TIMESTAMP_WINDOW, could_be_issued, fresh, hex_hash, prefixes,
    random, remember,
};
use crate::Services;
use crate::auth::hash_secret;

impl Services {
    /// The app an OAuth 1.0a request names by `consumer_key`, with its secret.
    pub async fn consumer(&self, consumer_key: &str) -> Result<Consumer> {
        if !could_be_issued(consumer_key) {
            return Err(Error::Unauthorized(AuthFailure::UnknownConsumer));
        }
        if let Some(hit) = fresh(&self.app_cache.consumers, consumer_key) {
            return Ok(hit);
        }
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT id, consumer_secret FROM apps WHERE consumer_key = ?1",
                vec![text_cell(consumer_key)],
            ))
            .await?;
        let row = rows
            .first()
            .ok_or(Error::Unauthorized(AuthFailure::UnknownConsumer))?;
        let consumer = Consumer {
            app_id: ObjectId(row.int(0)?),
            secret: self.sealer().await?.open(&row.text(1)?)?,
        };
        remember(
            &self.app_cache.consumers,
            consumer_key.to_owned(),
            consumer.clone(),
        );
        Ok(consumer)
    }

    /// The grant an OAuth 1.0a `oauth_token` names, with its secret; it must belong to
    /// `app` (a token signed with another app's key authenticates nothing).
    pub async fn oauth1_grant(&self, app: ObjectId, token: &str) -> Result<Grant> {
        if !could_be_issued(token) {
            return Err(Error::Unauthorized(AuthFailure::UnknownToken));
        }
        let key = format!("1:{token}");
        let grant = match fresh(&self.app_cache.grants, &key) {
            Some(hit) => hit,
            None => {
                let rows = self
                    .store
                    .cold()
                    .select(Statement::new(
                        "SELECT app_id, user_id, scopes, token_secret FROM app_grants
                         WHERE access_token = ?1",
                        vec![text_cell(token)],
                    ))
                    .await?;
                let row = rows
                    .first()
                    .ok_or(Error::Unauthorized(AuthFailure::UnknownToken))?;
                let secret = match row.opt_text(3)? {
                    Some(sealed) => Some(self.sealer().await?.open(&sealed)?),
                    None => None,
                };
                let grant = grant_of(row, secret)?;
                remember(&self.app_cache.grants, key, grant.clone());
                grant
            }
        };
        if grant.app_id != app {
            return Err(Error::Unauthorized(AuthFailure::UnknownToken));
        }
        Ok(grant)
    }

    /// The grant an OAuth 2.0 bearer token names, if it is live.
    pub async fn oauth2_grant(&self, token: &str) -> Result<Grant> {
        let hash = hex_hash(token);
        let key = format!("2:{hash}");
        if let Some(hit) = fresh(&self.app_cache.grants, &key) {
            return Ok(hit);
        }
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT app_id, user_id, scopes, oauth2_expires_at FROM app_grants
                 WHERE oauth2_hash = ?1",
                vec![text_cell(hash)],
            ))
            .await?;
        let row = rows
            .first()
            .ok_or(Error::Unauthorized(AuthFailure::UnknownToken))?;
        if row
            .opt_int(3)?
            .is_some_and(|e| e <= Utc::now().timestamp_millis())
        {
            return Err(Error::Unauthorized(AuthFailure::UnknownToken));
        }
        // Expiring tokens are not cached past their end: they are looked up each time.
        let grant = grant_of(row, None)?;
        if row.opt_int(3)?.is_none() {
            remember(&self.app_cache.grants, key, grant.clone());
        }
        Ok(grant)
    }

    /// `POST /oauth2/token` (client credentials): the app's bearer token, for its consumer
    /// key and secret. The same token each time, as on Twitter, until invalidated; an app
    /// made before tokens were kept sealed gets a new one.
    pub async fn app_bearer(&self, consumer_key: &str, consumer_secret: &str) -> Result<String> {
        let app = self
            .verified_consumer(consumer_key, consumer_secret)
            .await?;
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT bearer_sealed FROM apps WHERE id = ?1",
                vec![int(app.0)],
            ))
            .await?;
        match rows.first().map(|r| r.opt_text(0)).transpose()?.flatten() {
            Some(sealed) => self.sealer().await?.open(&sealed),
            None => self.new_bearer(app).await,
        }
    }

    /// `POST /oauth2/invalidate_token`: the app's bearer token stops working; the next
    /// `POST /oauth2/token` gives a new one. Refused unless `token` is the app's.
    pub async fn invalidate_app_bearer(
        &self,
        consumer_key: &str,
        consumer_secret: &str,
        token: &str,
    ) -> Result<()> {
        let app = self
            .verified_consumer(consumer_key, consumer_secret)
            .await?;
        if self.app_by_bearer(token).await.ok() != Some(app) {
            return Err(Error::invalid(
                "access_token",
                "is not this app's bearer token",
            ));
        }
        self.new_bearer(app).await.map(drop)
    }

    /// The app whose consumer key and secret these are.
    async fn verified_consumer(&self, key: &str, secret: &str) -> Result<ObjectId> {
        let consumer = self.consumer(key).await?;
        // Compared as hashes: equal lengths, and no early exit that tells how much matched.
        if hash_secret(&consumer.secret) != hash_secret(secret) {
            return Err(Error::Unauthorized(AuthFailure::UnknownConsumer));
        }
        Ok(consumer.app_id)
    }

    /// Gives `app` a new bearer token (the old one stops working).
    async fn new_bearer(&self, app: ObjectId) -> Result<String> {
        let token = random(prefixes::APP_BEARER, 40);
        let sealed = self.sealer().await?.seal(&token)?;
        self.store
            .cold()
            .run(vec![Statement::new(
                "UPDATE apps SET bearer_hash = ?2, bearer_sealed = ?3 WHERE id = ?1",
                vec![int(app.0), text_cell(hex_hash(&token)), text_cell(sealed)],
            )])
            .await?;
        Ok(token)
    }

    /// The app an app-only bearer token names.
    pub async fn app_by_bearer(&self, token: &str) -> Result<ObjectId> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT id FROM apps WHERE bearer_hash = ?1",
                vec![text_cell(hex_hash(token))],
            ))
            .await?;
        Ok(ObjectId(
            rows.first()
                .ok_or(Error::Unauthorized(AuthFailure::UnknownToken))?
                .int(0)?,
        ))
    }

    /// Admits an OAuth 1.0a request's timestamp and nonce: the timestamp within
    /// [`TIMESTAMP_WINDOW`] of now, and the nonce not used by this app within it (on any
    /// node: nonces are kept in the database until the window has passed).
    pub async fn claim_nonce(
        &self,
        consumer_key: &str,
        nonce: &str,
        timestamp: &str,
    ) -> Result<()> {
        let now = Utc::now().timestamp();
        let window = i64::try_from(TIMESTAMP_WINDOW.as_secs()).unwrap_or(i64::MAX);
        let stamped: i64 = timestamp
            .parse()
            .map_err(|_| Error::Unauthorized(AuthFailure::StaleTimestamp))?;
        if (stamped - now).abs() > window {
            return Err(Error::Unauthorized(AuthFailure::StaleTimestamp));
        }
        if nonce.is_empty() || nonce.len() > NONCE_MAX || nonce.chars().any(char::is_control) {
            return Err(Error::Unauthorized(AuthFailure::Malformed(
                "oauth_nonce: must be 1 to 128 characters, none of them control characters",
            )));
        }
        let expires = DateTime::from_timestamp((stamped + window).max(now), 0)
            .ok_or(Error::Unauthorized(AuthFailure::StaleTimestamp))?;
        if !self.store.claim_nonce(consumer_key, nonce, expires).await? {
            return Err(Error::Unauthorized(AuthFailure::ReplayedNonce));
        }
        Ok(())
    }

    /// Forgets nonces whose window has passed (the sweeper's job).
    pub async fn sweep_nonces(&self, now: DateTime<Utc>) -> Result<usize> {
        self.store.forget_nonces(now).await
    }
}

fn grant_of(r: &ColdRow, token_secret: Option<String>) -> Result<Grant> {
    Ok(Grant {
        app_id: ObjectId(r.int(0)?),
        user_id: UserId(r.int(1)?),
        scopes: Scopes::parse_stored(&r.text(2)?),
        token_secret,
    })
}

impl Grant {
    /// Refuses unless the grant allows `scope`.
    pub fn require(&self, scope: Scope) -> Result<()> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(Error::MissingScope(scope))
        }
    }
}
