//! The Account Activity API (issue 18), as Twitter's v1.1 premium tier served it: an app
//! registers a webhook per environment (`/1.1/account_activity/all/:env_name/webhooks`), which
//! must answer a CRC challenge; people who authorized the app subscribe to it; each
//! subscription then receives that person's activity as Twitter's payloads, signed with the
//! app's consumer secret (`x-twitter-webhooks-signature`).
//!
//! Deliveries run on the same subscriptions and leases as native webhooks
//! ([`crate::webhook_delivery`]); what differs is here: the CRC, the payloads, the signature,
//! and Twitter's retries (3 s, 27 s and 242 s, then the event is passed over).

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use postern_core::error::Thing;
use postern_core::{Error, Invalid, ObjectId, Result, UserId};
use postern_outbound::HeaderMap;
use postern_store::cold::{ColdRow, Statement, int, text};
use sha2::Sha256;

use crate::Services;
use crate::apps::random;

/// A webhook an app registered through the Account Activity API.
pub(crate) const KIND_ACCOUNT_ACTIVITY: &str = "account_activity";
/// An environment's name, at most (Twitter's dashboard allows letters, digits, `-` and `_`).
pub const ENV_NAME_MAX: usize = 32;
/// How long a webhook has to answer its CRC (Twitter: 3 seconds).
pub const CRC_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// An Account Activity webhook as the API shows it.
#[derive(Debug, Clone)]
pub struct ActivityWebhook {
    pub id: ObjectId,
    pub url: String,
    /// Whether its last CRC was answered.
    pub valid: bool,
    pub created_at: DateTime<Utc>,
}

/// `sha256=` and the base64 HMAC-SHA256 of `message` with `key`: a CRC answer and a
/// delivery's signature alike.
pub fn signature(key: &str, message: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(message);
    format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

fn checked_env(env: &str) -> Result<()> {
    let ok = !env.is_empty()
        && env.len() <= ENV_NAME_MAX
        && env
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "env_name",
            format!("must be 1 to {ENV_NAME_MAX} letters, digits, - or _"),
        ))
    }
}

impl Services {
    /// The secret an app's webhook is signed with: its consumer secret.
    pub(crate) async fn consumer_secret_of(&self, app: ObjectId) -> Result<String> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT consumer_secret, owner_id FROM apps WHERE id = ?1",
                vec![int(app.0)],
            ))
            .await?;
        let row = rows.first().ok_or(Error::NotFound(Thing::App))?;
        self.sealer().await?.open(&row.text(0)?)
    }

    /// Refuses anyone but the app's owner (only they point its webhook somewhere).
    pub async fn require_app_owner(&self, app: ObjectId, user: UserId) -> Result<()> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT 1 FROM apps WHERE id = ?1 AND owner_id = ?2",
                vec![int(app.0), int(user.0)],
            ))
            .await?;
        if rows.is_empty() {
            return Err(Error::Forbidden(
                "only the app's owner manages its webhooks",
            ));
        }
        Ok(())
    }

    /// Sends the CRC challenge to `url` and checks the answer, as Twitter does: `GET
    /// <url>?crc_token=…&nonce=…`, answered within 3 seconds with `{"response_token":
    /// "sha256=<base64 HMAC-SHA256 of crc_token with the consumer secret>"}`.
    pub(crate) async fn challenge(&self, app: ObjectId, url: &str) -> Result<()> {
        match self.crc(app, url).await? {
            Crc::Answered => Ok(()),
            Crc::Wrong(why) | Crc::Unreachable(why) => Err(Error::WebhookRefused(Invalid {
                field: "url".into(),
                message: why,
            })),
        }
    }

    /// The CRC, and how it went: answered, answered wrongly (a 2xx with the wrong token, or a
    /// redirect: invalid at once, as on X), or not answered (an error status, a timeout, no
    /// connection: a passing trouble, until a day and four hours without an answer).
    pub(crate) async fn crc(&self, app: ObjectId, url: &str) -> Result<Crc> {
        let secret = self.consumer_secret_of(app).await?;
        let token = random("", 24);
        let nonce = random("", 12);
        let query = format!("crc_token={token}&nonce={nonce}");
        let joiner = if url.contains('?') { '&' } else { '?' };
        let mut headers = HeaderMap::new();
        if let Ok(v) = signature(&secret, query.as_bytes()).parse() {
            headers.insert("x-twitter-webhooks-signature", v);
        }
        let outbound = self.outbound.as_ref().map_err(Error::internal)?;
        let answer = match tokio::time::timeout(
            CRC_TIMEOUT,
            outbound.get(&format!("{url}{joiner}{query}"), headers),
        )
        .await
        {
            Err(_) => {
                return Ok(Crc::Unreachable(
                    "the CRC GET request timed out (3 s)".into(),
                ));
            }
            Ok(Err(failure)) => {
                return Ok(Crc::Unreachable(format!(
                    "the CRC GET request failed: {failure}"
                )));
            }
            Ok(Ok(answer)) => answer,
        };
        if (300..400).contains(&answer.status) {
            return Ok(Crc::Wrong(format!(
                "the CRC GET request answered {}, a redirect",
                answer.status
            )));
        }
        if answer.status != 200 {
            return Ok(Crc::Unreachable(format!(
                "the CRC GET request answered {}, not 200",
                answer.status
            )));
        }
        let expected = signature(&secret, token.as_bytes());
        let given = serde_json::from_slice::<serde_json::Value>(&answer.body)
            .ok()
            .and_then(|v| v.get("response_token")?.as_str().map(str::to_owned));
        if given.as_deref() != Some(expected.as_str()) {
            return Ok(Crc::Wrong(
                "the CRC answer's response_token is not sha256= and the base64 HMAC-SHA256 of \
                 crc_token with the consumer secret"
                    .into(),
            ));
        }
        Ok(Crc::Answered)
    }
}

/// How a CRC went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Crc {
    Answered,
    Wrong(String),
    Unreachable(String),
}

/// How a surface draws what Account Activity payloads carry: v1.1's shapes live with the
/// v1.1 API (`postern-http`), which hands them to the service when it starts.
pub trait TwitterFormat: Send + Sync {
    /// A message as v1.1's `message_create` event.
    fn v1_event(&self, message: &postern_core::model::Message) -> serde_json::Value;
    /// The same, serialized (an Account Activity payload's item, written as it is).
    fn v1_event_raw(
        &self,
        message: &postern_core::model::Message,
    ) -> serde_json::Result<Box<serde_json::value::RawValue>>;
    /// A person as v1.1's user object.
    fn v1_user(&self, user: &postern_core::model::User) -> serde_json::Value;
    /// A post as v1.1's Tweet object, by `author`.
    fn v1_tweet(
        &self,
        post: &postern_core::posts::Post,
        author: &postern_core::model::User,
    ) -> serde_json::Value;
    /// A person as v2's User object, with every field (the X Activity API's payloads).
    fn v2_user(&self, user: &postern_core::model::User) -> serde_json::Value;
    /// A post as v2's Post object, with every field.
    fn v2_post(&self, post: &postern_core::posts::Post) -> serde_json::Value;
}

pub(crate) fn activity_webhook(r: &ColdRow) -> Result<ActivityWebhook> {
    Ok(ActivityWebhook {
        id: ObjectId(r.int(0)?),
        url: r.text(1)?,
        valid: r.int(2)? != 0,
        created_at: DateTime::from_timestamp_millis(r.int(3)?)
            .ok_or_else(|| Error::internal("a stored time out of range"))?,
    })
}

impl Services {
    /// Hands the service the v1.1 shapes its Account Activity deliveries carry (once).
    pub fn use_twitter_format(&self, format: std::sync::Arc<dyn TwitterFormat>) {
        let _ = self.twitter_format.set(format);
    }

    /// `POST …/all/:env_name/webhooks.json?url=`: the app's webhook for `env`, registered by
    /// its owner once its URL answers the CRC. One per environment.
    pub async fn register_activity_webhook(
        &self,
        app: ObjectId,
        by: UserId,
        env: &str,
        url: &str,
    ) -> Result<ActivityWebhook> {
        checked_env(env)?;
        self.require_app_owner(app, by).await?;
        if !self.activity_webhooks(app, env).await?.is_empty() {
            return Err(Error::WebhookRefused(Invalid {
                field: "env_name".into(),
                message: "Too many resources already created: this environment has a webhook"
                    .into(),
            }));
        }
        self.register_checked(app, by, Some(env), url).await
    }

    /// `GET …/all/:env_name/webhooks.json`.
    pub async fn activity_webhooks(
        &self,
        app: ObjectId,
        env: &str,
    ) -> Result<Vec<ActivityWebhook>> {
        checked_env(env)?;
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT id, url, active, created_at FROM webhooks
                 WHERE app_id = ?1 AND env_name = ?2 AND kind = ?3 ORDER BY id",
                vec![int(app.0), text(env), text(KIND_ACCOUNT_ACTIVITY)],
            ))
            .await?;
        rows.iter().map(activity_webhook).collect()
    }

    /// The app's webhook `id` in `env`.
    async fn activity_webhook(
        &self,
        app: ObjectId,
        env: &str,
        id: ObjectId,
    ) -> Result<ActivityWebhook> {
        self.activity_webhooks(app, env)
            .await?
            .into_iter()
            .find(|w| w.id == id)
            .ok_or(Error::NotFound(Thing::Webhook))
    }

    /// `PUT …/webhooks/:webhook_id.json`: the CRC again; answered, the webhook is valid (and
    /// delivers again), not answered, invalid (and the refusal says why).
    pub async fn recheck_activity_webhook(
        &self,
        app: ObjectId,
        by: UserId,
        env: &str,
        id: ObjectId,
    ) -> Result<()> {
        self.require_app_owner(app, by).await?;
        self.activity_webhook(app, env, id).await?;
        self.validate_app_webhook(app, id).await
    }

    /// `DELETE …/webhooks/:webhook_id.json`: the webhook and its subscriptions.
    pub async fn delete_activity_webhook(
        &self,
        app: ObjectId,
        by: UserId,
        env: &str,
        id: ObjectId,
    ) -> Result<()> {
        self.require_app_owner(app, by).await?;
        self.activity_webhook(app, env, id).await?;
        self.delete_app_webhook(app, id).await
    }

    /// The one webhook of `app` in `env` that subscriptions go to.
    async fn env_webhook(&self, app: ObjectId, env: &str) -> Result<ObjectId> {
        self.activity_webhooks(app, env)
            .await?
            .first()
            .map(|w| w.id)
            .ok_or(Error::NotFound(Thing::Webhook))
    }

    /// `POST …/all/:env_name/subscriptions.json`: `user`'s activity from now on goes to the
    /// app's webhook. Subscribing again changes nothing.
    pub async fn subscribe_activity(&self, app: ObjectId, env: &str, user: UserId) -> Result<()> {
        let webhook = self.env_webhook(app, env).await?;
        self.subscribe_to_webhook(app, webhook, user).await
    }

    /// `GET …/all/:env_name/subscriptions.json`: whether `user` is subscribed.
    pub async fn is_subscribed(&self, app: ObjectId, env: &str, user: UserId) -> Result<bool> {
        let webhook = self.env_webhook(app, env).await?;
        self.webhook_has_subscriber(app, webhook, user).await
    }

    /// `DELETE …/subscriptions.json` (the user's own) and `…/subscriptions/:user_id.json`
    /// (the app's, by bearer). Not subscribed: not found.
    pub async fn unsubscribe_activity(&self, app: ObjectId, env: &str, user: UserId) -> Result<()> {
        let webhook = self.env_webhook(app, env).await?;
        self.unsubscribe_from_webhook(app, webhook, user).await
    }

    /// `GET …/subscriptions/list.json`: the webhook and the people subscribed to it.
    pub async fn activity_subscribers(
        &self,
        app: ObjectId,
        env: &str,
    ) -> Result<(ObjectId, Vec<UserId>)> {
        let webhook = self.env_webhook(app, env).await?;
        Ok((webhook, self.webhook_subscribers(app, webhook).await?))
    }

    /// `GET …/all/subscriptions/count.json`: subscriptions over all the app's environments.
    pub async fn activity_subscription_count(&self, app: ObjectId) -> Result<usize> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT count(*) FROM webhook_subscriptions s JOIN webhooks w ON w.id = s.webhook_id
                 WHERE w.app_id = ?1 AND w.kind = ?2",
                vec![int(app.0), text(KIND_ACCOUNT_ACTIVITY)],
            ))
            .await?;
        let n = rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0);
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// The Account Activity signature of a delivery: the app's consumer secret over the body.
    pub(crate) async fn activity_signature(&self, webhook: ObjectId, body: &str) -> Result<String> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT app_id FROM webhooks WHERE id = ?1",
                vec![int(webhook.0)],
            ))
            .await?;
        let app = rows
            .first()
            .map(|r| r.int(0))
            .transpose()?
            .ok_or(Error::NotFound(Thing::Webhook))?;
        let secret = self.consumer_secret_of(ObjectId(app)).await?;
        Ok(signature(&secret, body.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crc_answer_is_base64_hmac_sha256_of_the_token() {
        // As Python's hmac and base64 work it out: hmac.new(b"secret", b"token", sha256).
        assert_eq!(
            signature("secret", b"token"),
            "sha256=6UERDj0r/oJiHw4+FDRzDXMF0QbF9oyHFl0LJ6RhGko="
        );
    }
}
