//! Welcome messages (SPEC §4.1): an account open to everyone greets people who open a
//! conversation with it. Each account keeps named welcome messages and at most one default;
//! a deep link may choose another. Who is greeted: someone writing for the first time, for
//! the first time since deleting the conversation, or after a week without messages.

use chrono::{DateTime, Utc};
use postern_core::error::Thing;
use postern_core::model::{AllowDmsFrom, InboxBox};
use postern_core::parts::Parts;
use postern_core::welcome::{
    MessageData, WELCOME_AGAIN_AFTER_DAYS, WELCOME_NAME_MAX, WELCOME_TEXT_MAX, WELCOMES_MAX,
    WelcomeMessage,
};
use postern_core::{ConversationId, Error, Invalid, ObjectId, Result, UserId, text};
use postern_store::cold::{ColdRow, Statement, int, text as text_cell};
use postern_store::{Fanout, NewMessage, OneToOneSetup};

use crate::Services;

impl Services {
    /// `POST /welcome_messages`.
    pub async fn create_welcome(
        &self,
        me: UserId,
        name: &str,
        data: MessageData,
    ) -> Result<WelcomeMessage> {
        self.require_open_dms(me).await?;
        let (name, data) = self.checked_welcome(me, name, data).await?;
        if self.welcomes(me).await?.len() >= WELCOMES_MAX {
            return Err(Error::State(Invalid {
                field: "name".into(),
                message: format!(
                    "an account has at most {WELCOMES_MAX} welcome messages: delete one first"
                ),
            }));
        }
        let id = ObjectId(self.ids.next_id());
        let now = Utc::now().timestamp_millis();
        let mut writes = vec![Statement::new(
            "INSERT INTO welcome_messages (id, owner_id, name, data, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            vec![
                int(id.0),
                int(me.0),
                text_cell(name),
                text_cell(json(&data)?),
                int(now),
            ],
        )];
        writes.extend(keep_media(me, &data));
        self.store.cold().run(writes).await?;
        self.welcome(me, id).await
    }

    /// `GET /welcome_messages`: the account's live welcome messages, oldest first.
    pub async fn welcomes(&self, me: UserId) -> Result<Vec<WelcomeMessage>> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT w.id, w.name, w.data, w.created_at, r.welcome_message_id
                 FROM welcome_messages w LEFT JOIN welcome_rules r ON r.owner_id = w.owner_id
                 WHERE w.owner_id = ?1 AND w.deleted_at IS NULL ORDER BY w.id",
                vec![int(me.0)],
            ))
            .await?;
        rows.iter().map(welcome).collect()
    }

    /// One of `owner`'s live welcome messages; anything else is not found.
    pub async fn welcome(&self, owner: UserId, id: ObjectId) -> Result<WelcomeMessage> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT w.id, w.name, w.data, w.created_at, r.welcome_message_id
                 FROM welcome_messages w LEFT JOIN welcome_rules r ON r.owner_id = w.owner_id
                 WHERE w.id = ?1 AND w.owner_id = ?2 AND w.deleted_at IS NULL",
                vec![int(id.0), int(owner.0)],
            ))
            .await?;
        rows.first()
            .map(welcome)
            .ok_or(Error::NotFound(Thing::WelcomeMessage))?
    }

    /// `PATCH /welcome_messages/{id}`: a new name, or new message data (replaced whole, as
    /// Twitter's update is: what is left out is gone).
    pub async fn update_welcome(
        &self,
        me: UserId,
        id: ObjectId,
        name: Option<&str>,
        data: Option<MessageData>,
    ) -> Result<WelcomeMessage> {
        let current = self.welcome(me, id).await?;
        let (name, data) = self
            .checked_welcome(
                me,
                name.unwrap_or(&current.name),
                data.unwrap_or(current.message_data),
            )
            .await?;
        let mut writes = vec![Statement::new(
            "UPDATE welcome_messages SET name = ?3, data = ?4, updated_at = ?5
             WHERE id = ?1 AND owner_id = ?2 AND deleted_at IS NULL",
            vec![
                int(id.0),
                int(me.0),
                text_cell(name),
                text_cell(json(&data)?),
                int(Utc::now().timestamp_millis()),
            ],
        )];
        writes.extend(keep_media(me, &data));
        self.store.cold().run(writes).await?;
        self.welcome(me, id).await
    }

    /// `DELETE /welcome_messages/{id}`; the default rule goes with it.
    pub async fn delete_welcome(&self, me: UserId, id: ObjectId) -> Result<()> {
        let done = self
            .store
            .cold()
            .run(vec![
                Statement::new(
                    "UPDATE welcome_messages SET deleted_at = ?3
                     WHERE id = ?1 AND owner_id = ?2 AND deleted_at IS NULL RETURNING id",
                    vec![int(id.0), int(me.0), int(Utc::now().timestamp_millis())],
                ),
                Statement::new(
                    "DELETE FROM welcome_rules WHERE owner_id = ?1 AND welcome_message_id = ?2",
                    vec![int(me.0), int(id.0)],
                ),
            ])
            .await?;
        if done.first().is_none_or(Vec::is_empty) {
            return Err(Error::NotFound(Thing::WelcomeMessage));
        }
        Ok(())
    }

    /// `PUT /welcome_messages/default`: which welcome message greets people by default.
    pub async fn set_default_welcome(&self, me: UserId, id: ObjectId) -> Result<WelcomeMessage> {
        self.require_open_dms(me).await?;
        self.welcome(me, id)
            .await
            .map_err(|_| unknown_welcome("welcome_message_id"))?;
        self.store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO welcome_rules (owner_id, welcome_message_id, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (owner_id) DO UPDATE
                    SET welcome_message_id = excluded.welcome_message_id, created_at = excluded.created_at",
                vec![int(me.0), int(id.0), int(Utc::now().timestamp_millis())],
            )])
            .await?;
        self.welcome(me, id).await
    }

    /// `DELETE /welcome_messages/default`: no default (removing none is not an error).
    pub async fn clear_default_welcome(&self, me: UserId) -> Result<()> {
        self.store
            .cold()
            .run(vec![Statement::new(
                "DELETE FROM welcome_rules WHERE owner_id = ?1",
                vec![int(me.0)],
            )])
            .await?;
        Ok(())
    }

    /// `GET /users/{id}/welcome_message`: what `viewer` is greeted with on opening a
    /// conversation with `account` now, if anything. A chosen one (a deep link's) always
    /// shows, and must be the account's; the default shows on first contact, the first
    /// contact after deleting the conversation, or after a week without messages.
    pub async fn welcome_for(
        &self,
        viewer: UserId,
        account: UserId,
        chosen: Option<ObjectId>,
    ) -> Result<Option<WelcomeMessage>> {
        self.user(account).await?;
        if let Some(id) = chosen {
            return self
                .welcome(account, id)
                .await
                .map(Some)
                .map_err(|_| unknown_welcome("welcome_message_id"));
        }
        if viewer == account || !self.greets(viewer, account).await? {
            return Ok(None);
        }
        match self
            .welcomes(account)
            .await?
            .into_iter()
            .find(|w| w.default)
        {
            Some(w) => Ok(Some(w)),
            None => Ok(None),
        }
    }

    /// Whether `viewer` opening a conversation with `account` now is a time to greet them.
    async fn greets(&self, viewer: UserId, account: UserId) -> Result<bool> {
        let id = ConversationId::one_to_one(viewer, account);
        let Some(entry) = self.store.inbox_entry(&id, viewer).await? else {
            return Ok(true);
        };
        let Some(last) = entry.last_event else {
            return Ok(true);
        };
        let quiet_since = crate::conversations::event_time(&last);
        Ok(
            self.config.clock.now() - quiet_since
                > chrono::Duration::days(WELCOME_AGAIN_AFTER_DAYS),
        )
    }

    /// Records the welcome message `person` started a conversation with `account` from, as
    /// sent by the account, just before their message (which the caller then stores). Its
    /// quick replies open as the account's prompt, so that message can answer them. Written
    /// by the account, it puts the conversation in the account's primary box, as writing in a
    /// conversation always does. A retry of the person's send (its key) records it once.
    pub(crate) async fn record_welcome(
        &self,
        person: UserId,
        account: UserId,
        id: &ConversationId,
        welcome: &WelcomeMessage,
        key: Option<&str>,
    ) -> Result<()> {
        let data = &welcome.message_data;
        let (text, entities) = self.compose(&data.text, data.media_id.is_some()).await?;
        let media = match data.media_id {
            Some(m) => Some(self.attachable(account, m, true).await?),
            None => None,
        };
        let appended = self
            .store
            .append_message(NewMessage {
                conversation_id: id.clone(),
                sender_id: account,
                text,
                entities,
                reply_to_id: None,
                media,
                // Under the account's keys, which no client can spell (they have no spaces).
                client_key: key.map(|k| format!("welcome {} {k}", person.0)),
                idempotent_since: Utc::now()
                    - chrono::Duration::hours(self.config.limits.idempotency_hours),
                setup: Some(OneToOneSetup {
                    recipient: person,
                    recipient_box: InboxBox::Primary,
                }),
                notify: vec![account, person],
                also: Fanout::default(),
                parts: Parts {
                    quick_reply: data.quick_reply.clone(),
                    ctas: crate::interactive::with_secrets(data.ctas.clone()),
                    // A greeting Postern gives for the account: no one answered anything.
                    automatic: true,
                    ..Parts::default()
                },
            })
            .await?;
        if appended.duplicate {
            return Ok(());
        }
        if appended.message.parts.quick_reply.is_some() {
            self.open_new_prompt(&appended.message).await?;
        }
        self.publish(appended.deliveries).await;
        Ok(())
    }

    /// Welcome messages greet strangers, so only an account open to everyone may have them.
    async fn require_open_dms(&self, me: UserId) -> Result<()> {
        if self.settings(me).await?.allow_dms_from != AllowDmsFrom::Everyone {
            return Err(Error::WelcomeRequiresOpenDms);
        }
        Ok(())
    }

    /// The name and message data as stored, each rule checked and the first broken one named.
    async fn checked_welcome(
        &self,
        me: UserId,
        name: &str,
        mut data: MessageData,
    ) -> Result<(String, MessageData)> {
        let name = text::single_line("name", name, WELCOME_NAME_MAX)?;
        if name.trim().is_empty() {
            return Err(Error::invalid("name", "must not be empty"));
        }
        data.text = text::message_text("message_data.text", &data.text, WELCOME_TEXT_MAX)?;
        if data.text.trim().is_empty() && data.media_id.is_none() {
            return Err(Error::invalid(
                "message_data.text",
                "must not be empty unless the welcome message has media",
            ));
        }
        data.quick_reply = data
            .quick_reply
            .map(|q| q.checked("message_data.quick_reply"))
            .transpose()?;
        if data.ctas.len() > postern_core::parts::BUTTONS_MAX {
            return Err(Error::invalid(
                "message_data.ctas",
                format!(
                    "at most {} buttons, got {}",
                    postern_core::parts::BUTTONS_MAX,
                    data.ctas.len()
                ),
            ));
        }
        data.ctas = data
            .ctas
            .into_iter()
            .enumerate()
            .map(|(i, c)| c.checked("message_data.ctas", i))
            .collect::<Result<_>>()?;
        if let Some(media) = data.media_id {
            self.shared_upload(me, media, "message_data.media_id")
                .await?;
        }
        Ok((name, data))
    }
}

fn unknown_welcome(field: &str) -> Error {
    Error::Unknown(Invalid {
        field: field.into(),
        message: "is not a welcome message of this account".into(),
    })
}

/// A welcome message's media greets people for as long as the welcome message lives, so it
/// no longer expires as an unattached upload does.
fn keep_media(owner: UserId, data: &MessageData) -> Option<Statement> {
    data.media_id.map(|m| {
        Statement::new(
            "UPDATE media SET expires_at = NULL WHERE id = ?1 AND owner_id = ?2",
            vec![int(m.0), int(owner.0)],
        )
    })
}

fn json(data: &MessageData) -> Result<String> {
    serde_json::to_string(data).map_err(Error::internal)
}

fn welcome(r: &ColdRow) -> Result<WelcomeMessage> {
    let id = r.int(0)?;
    Ok(WelcomeMessage {
        id: ObjectId(id),
        name: r.text(1)?,
        message_data: serde_json::from_str(&r.text(2)?).map_err(Error::internal)?,
        default: r.opt_int(4)? == Some(id),
        created_at: DateTime::from_timestamp_millis(r.int(3)?).unwrap_or_default(),
    })
}
