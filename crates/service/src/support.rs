//! Support accounts (SPEC §3.1, issue 15): their settings, whether they are open now as every
//! user object says, the away message sent once per closed period, and what support changes
//! elsewhere (who may write: everyone, into the primary box; no daily send limit).

use postern_core::error::Thing;
use postern_core::model::{AllowDmsFrom, User};
use postern_core::parts::Parts;
use postern_core::support::SupportSettings;
use postern_core::{ConversationId, Error, Invalid, Result, UserId};
use postern_store::cold::{Statement, int, text};
use postern_store::{Fanout, NewMessage, Page};

use crate::Services;

impl Services {
    /// `GET /me/support`: the account's settings (off, always open, no away message, until
    /// set).
    pub async fn support_settings(&self, me: UserId) -> Result<SupportSettings> {
        Ok(self.user(me).await?.support_settings.unwrap_or_default())
    }

    /// `PUT /me/support`. Turning support on opens the account to messages from everyone.
    pub async fn set_support(
        &self,
        me: UserId,
        settings: SupportSettings,
    ) -> Result<SupportSettings> {
        let settings = settings.checked()?;
        if let Some(away) = &settings.away_message {
            for (i, cta) in away.ctas.iter().enumerate() {
                self.check_button_target(cta, &format!("away_message.ctas[{i}]"))
                    .await?;
            }
        }
        let json = serde_json::to_string(&settings).map_err(Error::internal)?;
        let updated = self
            .store
            .cold()
            .run(vec![Statement::new(
                "UPDATE users SET support = ?1,
                    allow_dms_from = CASE WHEN ?2 = 1 THEN 'everyone' ELSE allow_dms_from END
                 WHERE id = ?3 RETURNING id",
                vec![text(json), int(i64::from(settings.enabled)), int(me.0)],
            )])
            .await?;
        if updated.first().is_none_or(Vec::is_empty) {
            return Err(Error::NotFound(Thing::User));
        }
        Ok(settings)
    }

    /// While support is on, `allow_dms_from` stays `everyone`: one refusal, naming it.
    pub(crate) async fn check_dms_setting(
        &self,
        me: UserId,
        allow: Option<AllowDmsFrom>,
    ) -> Result<()> {
        let narrowing = allow.is_some_and(|a| a != AllowDmsFrom::Everyone);
        if narrowing && self.user(me).await?.support.enabled {
            return Err(Error::State(Invalid {
                field: "allow_dms_from".into(),
                message: "stays everyone while support is on: turn support off first".into(),
            }));
        }
        Ok(())
    }

    /// The per-user daily send limit, from which support accounts are exempt (SPEC §6).
    /// Whether the sender is one is only looked up once they are over it.
    pub(crate) async fn check_send_limit(&self, me: UserId) -> Result<()> {
        let within = self.rate.check_send(me);
        if within.is_err() && self.user(me).await?.support.enabled {
            return Ok(());
        }
        within
    }

    /// After `person` wrote to the support account `account`: while it is closed, its away
    /// message, sent as the account, once until it has been open since.
    pub(crate) async fn away_message(
        &self,
        account: UserId,
        person: UserId,
        id: &ConversationId,
    ) -> Result<()> {
        let user = self.user(account).await?;
        let Some(settings) = user.support_settings.filter(|s| s.enabled) else {
            return Ok(());
        };
        let Some(away) = &settings.away_message else {
            return Ok(());
        };
        let now = self.config.clock.now();
        if settings.status(now).open_now {
            return Ok(());
        }
        // Claimed in one statement, so two messages at once send one away message.
        let opened = settings
            .last_opened(now)
            .map_or(i64::MIN, |t| t.timestamp_millis());
        let claimed = self
            .store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO away_notices (account_id, person_id, sent_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (account_id, person_id) DO UPDATE SET sent_at = excluded.sent_at
                    WHERE away_notices.sent_at < ?4
                 RETURNING sent_at",
                vec![
                    int(account.0),
                    int(person.0),
                    int(now.timestamp_millis()),
                    int(opened),
                ],
            )])
            .await?;
        if claimed.first().is_none_or(Vec::is_empty) {
            return Ok(());
        }
        let (text, entities) = self.compose(&away.text, false).await?;
        let parts = Parts {
            quick_reply: away.quick_reply.clone(),
            ctas: crate::interactive::with_secrets(away.ctas.clone()),
            automatic: true,
            ..Parts::default()
        };
        let appended = self
            .store
            .append_message(NewMessage {
                conversation_id: id.clone(),
                sender_id: account,
                text,
                entities,
                reply_to_id: None,
                media: None,
                client_key: None,
                idempotent_since: now,
                setup: None,
                notify: vec![account, person],
                also: Fanout::default(),
                parts,
            })
            .await?;
        if appended.message.parts.quick_reply.is_some() {
            self.open_new_prompt(&appended.message).await?;
        }
        self.publish(appended.deliveries).await;
        Ok(())
    }

    /// Fills in what a user object says about support at this instant.
    pub(crate) fn present(&self, mut user: User) -> User {
        if let Some(settings) = &user.support_settings {
            user.support = settings.status(self.config.clock.now());
        }
        user
    }

    pub(crate) fn present_all(&self, users: Vec<User>) -> Vec<User> {
        users.into_iter().map(|u| self.present(u)).collect()
    }

    pub(crate) fn present_page(&self, page: Page<User>) -> Page<User> {
        Page {
            items: self.present_all(page.items),
            next_cursor: page.next_cursor,
        }
    }
}
