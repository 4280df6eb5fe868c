//! Appending a message: one call to the database function `append_message`
//! (`schema/0002_append_message.sql`), which does the whole write as one statement.
//!
//! What needs no database is done here first: the event id and time, the search words, the
//! rendered stream events. The id comes from this node's clock, so the function may answer that
//! it is not above the conversation's last event; the send is then rendered again with an id
//! taken under the conversation's lock (the message's stream events carry its id).

use postern_core::error::Thing;
use std::sync::Arc;

use postern_core::insights::Tally;
use postern_core::model::{InboxBox, Message};
use postern_core::stream::{Delivery, EventBody, StreamEvent};
use postern_core::{ConversationId, Error, EventId, Result, UserId};
use postern_store::rows::parts_json;
use postern_store::{Appended, NewMessage};
use sqlx::PgConnection;

use crate::conversations::{lock, next_event_id};
use crate::rows::{self, Db, now_ms, sql_count};
use crate::{PostgresStore, media, search_text};

pub(crate) async fn append_message(store: &PostgresStore, new: NewMessage) -> Result<Appended> {
    let ids = &store.ids;
    let send = Prepared {
        new: &new,
        seq: ids.next_id(),
        entities: serde_json::to_string(&new.entities).map_err(Error::internal)?,
        search: search_text::document(&new.text),
        tally: Tally::of(&new.conversation_id, new.sender_id, &new.parts),
    };
    if new.media.is_some() || !new.parts.is_empty() {
        // Claiming the media, and storing the interactive parts, must commit or fail with
        // the message, so this send is a transaction of a few statements rather than one call.
        // (Plain messages, nearly all, keep the single call below.)
        let mut tx = store.begin().await?;
        let done = match send.call(store, &mut tx, ids.next_id()).await? {
            Some(done) => done,
            None => send.call_locked(store, &mut tx).await?,
        };
        if !done.duplicate {
            let id = done.message.id;
            if let Some(media) = &new.media {
                media::attach(&mut tx, media, new.sender_id, &new.conversation_id, id).await?;
            }
            if let Some(parts) = parts_json(&new.parts)? {
                sqlx::query("UPDATE events SET parts = $3 WHERE conversation_id = $1 AND id = $2")
                    .bind(new.conversation_id.as_str())
                    .bind(id.0)
                    .bind(parts)
                    .execute(&mut *tx)
                    .await
                    .db()?;
            }
        }
        tx.commit().await.db()?;
        return Ok(done);
    }
    // Usually one call does it all: the new id is above the conversation's last event's.
    let mut c = store.conn().await?;
    if let Some(done) = send.call(store, &mut c, ids.next_id()).await? {
        return Ok(done);
    }
    drop(c);
    let mut tx = store.begin().await?;
    let done = send.call_locked(store, &mut tx).await?;
    tx.commit().await.db()?;
    Ok(done)
}

/// A send, prepared once for however many calls it takes.
struct Prepared<'a> {
    new: &'a NewMessage,
    /// First contact: the new members' `joined_seq`.
    seq: i64,
    entities: String,
    search: Option<String>,
    /// What the message adds to insights (a one-to-one conversation's).
    tally: Option<Tally>,
}

impl Prepared<'_> {
    /// Another write in the conversation took a later id (on a node whose clock is ahead, or
    /// on this node and committed first). Takes the id under the conversation's lock in `tx`,
    /// as other writes do, so this cannot happen twice; the call's own lock is then already
    /// held.
    async fn call_locked(&self, store: &PostgresStore, tx: &mut PgConnection) -> Result<Appended> {
        let last = lock(tx, &self.new.conversation_id)
            .await?
            .ok_or(Error::NotFound(Thing::Conversation))?;
        self.call(store, tx, next_event_id(&store.ids, last))
            .await?
            .ok_or_else(|| Error::internal("an id taken under the conversation's lock was refused"))
    }

    /// Calls `append_message` with the event id `id` on `c` (a pooled connection, or a
    /// transaction holding the conversation's lock); `None` when `id` is not above the
    /// conversation's last event id, and nothing was written.
    async fn call(
        &self,
        store: &PostgresStore,
        c: &mut PgConnection,
        id: i64,
    ) -> Result<Option<Appended>> {
        let new = self.new;
        let at = now_ms();
        let message = new.message(EventId(id), rows::to_time(at));
        let out = Outgoing::of(new, &message);
        let event_ids: Vec<i64> = out.events.iter().map(|_| store.ids.next_id()).collect();
        let kinds: Vec<&str> = out.events.iter().map(|e| e.kind.as_str()).collect();
        let data: Vec<&str> = out.events.iter().map(|e| e.data.as_str()).collect();
        let (outcome, event, event_conversation, positions): Answer = sqlx::query_as(
            "SELECT outcome, event, event_conversation, positions FROM append_message(
                p_conversation => $1, p_sender => $2, p_id => $3, p_at => $4, p_text => $5,
                p_entities => $6, p_reply_to => $7, p_client_key => $8, p_key_since => $9,
                p_search => $10::tsvector, p_recipient => $11, p_recipient_box => $12, p_seq => $13,
                p_event_ids => $14, p_event_kinds => $15, p_event_data => $16, p_event_rules => $17,
                p_to_event => $18, p_to_user => $19, p_tally_recipient => $20,
                p_tally_source => $21, p_tally_buttons => $22, p_tally_from_post => $23)",
        )
        .bind(new.conversation_id.as_str())
        .bind(new.sender_id.0)
        .bind(id)
        .bind(at)
        .bind(&new.text)
        .bind(&self.entities)
        .bind(new.reply_to_id.map(|r| r.0))
        .bind(new.client_key.as_deref())
        .bind(new.idempotent_since.timestamp_millis())
        .bind(self.search.as_deref())
        .bind(new.setup.as_ref().map(|s| s.recipient.0))
        .bind(new.setup.as_ref().map(|s| s.recipient_box.as_str()))
        .bind(self.seq)
        .bind(event_ids)
        .bind(kinds)
        .bind(data)
        .bind(&out.rules)
        .bind(&out.to_event)
        .bind(&out.to_user)
        .bind(self.tally.as_ref().map(|t| t.recipient.0))
        .bind(self.tally.as_ref().filter(|t| t.by_hand).map(|t| t.source))
        .bind(self.tally.as_ref().map_or(0, |t| t.buttons))
        .bind(self.tally.as_ref().is_some_and(|t| t.from_post))
        .fetch_one(&mut *c)
        .await
        .db()?;
        let appended = match (outcome.as_str(), event, event_conversation) {
            ("created", _, _) => Appended {
                message,
                duplicate: false,
                deliveries: out.deliveries(positions.unwrap_or_default()),
            },
            // A retry whose key is still fresh is answered with the first send's message.
            ("duplicate", Some(id), Some(conversation)) => {
                let conversation = ConversationId::from_stored(conversation);
                Appended {
                    message: rows::load_message(c, &conversation, EventId(id)).await?,
                    duplicate: true,
                    deliveries: Vec::new(),
                }
            }
            ("duplicate", _, _) => {
                return Err(Error::internal("an idempotency key without its message"));
            }
            ("retry", _, _) => return Ok(None),
            ("missing", _, _) => return Err(Error::NotFound(Thing::Conversation)),
            _ => return Err(Error::internal(format!("append_message: {outcome}?"))),
        };
        Ok(Some(appended))
    }
}

/// The function's answer: `(outcome, event, event_conversation, positions)`.
type Answer = (
    String,
    Option<i64>,
    Option<String>,
    Option<Vec<Option<i64>>>,
);

/// The stream events a send may record, rendered, as the function takes them: one element per
/// event in `events` and `rules`, one per receiver in `to_event` (a 1-based index into the
/// events) and `to_user`, receivers in delivery order.
#[derive(Default)]
struct Outgoing {
    events: Vec<Arc<EventBody>>,
    rules: Vec<&'static str>,
    to_event: Vec<i64>,
    to_user: Vec<i64>,
}

impl Outgoing {
    /// What a send records, in the order the SQLite store records it. Which receivers get
    /// each event is for the function to say (see the rules in the migration): only it knows
    /// whether it created the conversation, and who reported it.
    fn of(new: &NewMessage, message: &Message) -> Self {
        let mut out = Outgoing::default();
        if let Some(setup) = &new.setup {
            for (user, inbox) in [
                (new.sender_id, InboxBox::Primary),
                (setup.recipient, setup.recipient_box),
            ] {
                let event = StreamEvent::ConversationCreated {
                    conversation_id: new.conversation_id.clone(),
                    inbox,
                };
                out.add("if_created", &[user], &event);
            }
        }
        let created = StreamEvent::MessageCreated(message.clone());
        out.add("audible", &new.notify, &created);
        for (users, event) in &new.also.0 {
            out.add("always", users, event);
        }
        out
    }

    fn add(&mut self, rule: &'static str, users: &[UserId], event: &StreamEvent) {
        if users.is_empty() {
            return;
        }
        self.events.push(Arc::new(EventBody::render(event)));
        self.rules.push(rule);
        let index = sql_count(self.events.len());
        for user in users {
            self.to_event.push(index);
            self.to_user.push(user.0);
        }
    }

    /// A delivery for each receiver the function gave a position (`positions` is in receiver
    /// order).
    fn deliveries(self, positions: Vec<Option<i64>>) -> Vec<Delivery> {
        let receivers = self.to_event.into_iter().zip(self.to_user);
        receivers
            .zip(positions)
            .filter_map(|((index, user), position)| {
                let event = usize::try_from(index - 1).ok()?;
                Some(Delivery {
                    user_id: UserId(user),
                    position: Some(position?),
                    body: self.events.get(event)?.clone(),
                })
            })
            .collect()
    }
}
