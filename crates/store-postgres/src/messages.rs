//! Messages: append (idempotent), history, edits, deletes, reactions, read marks, search.

use async_trait::async_trait;
use postern_core::entities::Entities;
use postern_core::model::{ConversationEvent, InboxBox, Message};
use postern_core::stream::{Delivery, StreamEvent};
use postern_core::{ConversationId, Error, EventId, Result, UserId};
use postern_store::{
    Appended, Fanout, HistoryDirection, HistoryQuery, MessageStore, NewMessage, Page,
};
use sqlx::PgConnection;

use crate::conversations::{
    EventRow, insert_event, insert_participant, lock, next_event_id, touch_members,
};
use crate::fanout::Outbox;
use crate::rows::{self, Db, EVENT_COLS, EVENT_COLS_E, KIND_MESSAGE, map_all, now_ms, sql_count};
use crate::{PostgresStore, search_text};

/// The message an idempotency key already produced, if it is still within its window.
async fn existing_send(c: &mut PgConnection, new: &NewMessage) -> Result<Option<Message>> {
    let Some(key) = &new.client_key else {
        return Ok(None);
    };
    let found: Option<(i64, i64)> = sqlx::query_as(
        "SELECT event_id, created_at FROM idempotency WHERE sender_id = $1 AND client_key = $2",
    )
    .bind(new.sender_id.0)
    .bind(key)
    .fetch_optional(&mut *c)
    .await
    .db()?;
    match found {
        Some((id, at)) if at >= new.idempotent_since.timestamp_millis() => {
            // Event ids are unique per conversation; the sender and key pick the one meant
            // should another conversation hold the same id (see `next_event_id`).
            let conversation: String = sqlx::query_scalar(
                "SELECT conversation_id FROM events WHERE id = $1 AND sender_id = $2 AND client_key = $3",
            )
            .bind(id)
            .bind(new.sender_id.0)
            .bind(key)
            .fetch_one(&mut *c)
            .await
            .db()?;
            let conversation = ConversationId::from_stored(conversation);
            rows::load_message(c, &conversation, EventId(id))
                .await
                .map(Some)
        }
        _ => Ok(None),
    }
}

/// Takes the idempotency key for event `id`: true unless a send within the window holds it.
/// A concurrent send with the same key waits here on the other's uncommitted row and then
/// sees it, so exactly one of them stores a message.
async fn claim_key(
    c: &mut PgConnection,
    new: &NewMessage,
    key: &str,
    id: i64,
    at: i64,
) -> Result<bool> {
    let claimed = sqlx::query(
        "INSERT INTO idempotency (sender_id, client_key, event_id, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (sender_id, client_key) DO UPDATE SET event_id = excluded.event_id, created_at = excluded.created_at
         WHERE idempotency.created_at < $5",
    )
    .bind(new.sender_id.0)
    .bind(key)
    .bind(id)
    .bind(at)
    .bind(new.idempotent_since.timestamp_millis())
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected();
    Ok(claimed > 0)
}

/// Creates the one-to-one conversation on first contact: the sender in primary, the
/// recipient in the box admission chose. Two first messages racing both try; the second
/// waits on the first's row, then finds it and creates nothing.
async fn ensure_one_to_one(c: &mut PgConnection, new: &NewMessage, seq: i64) -> Result<bool> {
    let Some(setup) = &new.setup else {
        return Ok(false);
    };
    let created = sqlx::query(
        "INSERT INTO conversations (id, kind, created_by, created_at, member_count)
         VALUES ($1, 'one_to_one', $2, $3, 2) ON CONFLICT (id) DO NOTHING",
    )
    .bind(new.conversation_id.as_str())
    .bind(new.sender_id.0)
    .bind(now_ms())
    .execute(&mut *c)
    .await
    .db()?
    .rows_affected()
        > 0;
    if created {
        let conversation = &new.conversation_id;
        insert_participant(
            c,
            conversation,
            new.sender_id,
            InboxBox::Primary,
            true,
            None,
            seq,
        )
        .await?;
        insert_participant(
            c,
            conversation,
            setup.recipient,
            setup.recipient_box,
            // Landing in primary (they follow the sender) counts as accepting; a request
            // does not.
            setup.recipient_box == InboxBox::Primary,
            None,
            seq + 1,
        )
        .await?;
    }
    Ok(created)
}

fn duplicate(message: Message) -> Appended {
    Appended {
        message,
        duplicate: true,
        deliveries: Vec::new(),
    }
}

async fn history(c: &mut PgConnection, q: &HistoryQuery) -> Result<Vec<ConversationEvent>> {
    let lower = q.visible_after.map_or(i64::MIN, |e| e.0);
    let upper = q.visible_until.map_or(i64::MAX, |e| e.0);
    // The viewer sees (visible_after, visible_until]; the query takes an open range.
    let end = upper.saturating_add(1);
    let (order, lower, upper) = match q.direction {
        HistoryDirection::Before(anchor) => ("DESC", lower, anchor.map_or(end, |a| a.0.min(end))),
        HistoryDirection::After(anchor) => ("ASC", anchor.0.max(lower), end),
    };
    let sql = format!(
        "SELECT {EVENT_COLS} FROM events e
         WHERE conversation_id = $1 AND id > $3 AND id < $4
           AND NOT EXISTS (SELECT 1 FROM hidden_events h
                           WHERE h.conversation_id = $1 AND h.user_id = $2 AND h.event_id = e.id)
         ORDER BY id {order} LIMIT $5"
    );
    let found = sqlx::query(&sql)
        .bind(q.conversation_id.as_str())
        .bind(q.viewer.0)
        .bind(lower)
        .bind(upper)
        .bind(sql_count(q.limit))
        .fetch_all(&mut *c)
        .await
        .db()?;
    let mut events = map_all(found, rows::event)?;
    rows::decorate(c, &mut events).await?;
    Ok(events)
}

async fn require_live_message(
    c: &mut PgConnection,
    conversation: &ConversationId,
    id: EventId,
) -> Result<Message> {
    let m = rows::load_message(c, conversation, id).await?;
    if m.deleted {
        return Err(Error::Conflict("the message was deleted"));
    }
    Ok(m)
}

#[async_trait]
impl MessageStore for PostgresStore {
    async fn append_message(&self, new: NewMessage) -> Result<Appended> {
        // A retry whose key is still fresh is answered from the first send, with no write.
        if let Some(message) = existing_send(&mut *self.conn().await?, &new).await? {
            return Ok(duplicate(message));
        }
        let ids = &self.ids;
        let seq = ids.next_id();
        let mut tx = self.begin().await?;
        let created = ensure_one_to_one(&mut tx, &new, seq).await?;
        // Ids are taken under the conversation's lock so they follow commit order: history
        // pages by id and must never gain an event behind a cursor.
        let last = lock(&mut tx, &new.conversation_id)
            .await?
            .ok_or(Error::NotFound("conversation"))?;
        let (id, at) = (next_event_id(ids, last), now_ms());
        let claimed = match &new.client_key {
            Some(key) => claim_key(&mut tx, &new, key, id, at).await?,
            None => true,
        };
        if !claimed {
            // The same send committed meanwhile: answer with it; this transaction
            // (including any conversation it created) rolls back when dropped.
            let message = existing_send(&mut tx, &new)
                .await?
                .ok_or_else(|| Error::internal("an idempotency key without its message"))?;
            return Ok(duplicate(message));
        }
        let mut outbox = Outbox::new();
        if created {
            for p in rows::participants_of(&mut tx, &new.conversation_id).await? {
                let event = StreamEvent::ConversationCreated {
                    conversation_id: new.conversation_id.clone(),
                    inbox: p.inbox,
                };
                outbox.add(&[p.user_id], &event);
            }
        }
        // Writing in a conversation accepts it, and ends a report's silence.
        // (Usually already so; the condition spares rewriting the row.)
        sqlx::query(
            "UPDATE participants SET accepted = true, box = 'primary', reported = false
             WHERE conversation_id = $1 AND user_id = $2 AND (NOT accepted OR box <> 'primary' OR reported)",
        )
        .bind(new.conversation_id.as_str())
        .bind(new.sender_id.0)
        .execute(&mut *tx)
        .await
        .db()?;
        let entities = serde_json::to_string(&new.entities).map_err(Error::internal)?;
        let row = EventRow {
            conversation: &new.conversation_id,
            kind: KIND_MESSAGE,
            sender: new.sender_id,
            text: &new.text,
            entities: Some(entities),
            reply_to: new.reply_to_id.map(|r| r.0),
            client_key: new.client_key.as_deref(),
            user_ids: None,
            created_at: at,
        };
        insert_event(&mut tx, id, row).await?;
        touch_members(&mut tx, &new.conversation_id, id, new.sender_id, true).await?;
        // Someone who reported the conversation hears nothing more from it until they write.
        let silenced: Vec<i64> = sqlx::query_scalar(
            "SELECT user_id FROM participants WHERE conversation_id = $1 AND reported",
        )
        .bind(new.conversation_id.as_str())
        .fetch_all(&mut *tx)
        .await
        .db()?;
        let message = Message {
            id: EventId(id),
            conversation_id: new.conversation_id,
            sender_id: new.sender_id,
            text: new.text,
            entities: new.entities,
            created_at: rows::to_time(at),
            reply_to_id: new.reply_to_id,
            client_message_id: new.client_key,
            reactions: Vec::new(),
            edit_count: 0,
            edited_at: None,
            edit_history: Vec::new(),
            deleted: false,
        };
        let notify: Vec<UserId> = new
            .notify
            .iter()
            .copied()
            .filter(|u| !silenced.contains(&u.0))
            .collect();
        outbox.add(&notify, &StreamEvent::MessageCreated(message.clone()));
        outbox.add_all(&new.also);
        Ok(Appended {
            message,
            duplicate: false,
            deliveries: outbox.commit(tx, ids).await?,
        })
    }

    async fn event(
        &self,
        conversation: &ConversationId,
        id: EventId,
    ) -> Result<Option<ConversationEvent>> {
        rows::load_event(&mut *self.conn().await?, conversation, id).await
    }

    async fn history(&self, query: HistoryQuery) -> Result<Vec<ConversationEvent>> {
        history(&mut *self.conn().await?, &query).await
    }

    async fn edit_message(
        &self,
        conversation: &ConversationId,
        id: EventId,
        text: String,
        entities: Entities,
        max_edits: u32,
        notify: Vec<UserId>,
    ) -> Result<(Message, Vec<Delivery>)> {
        let mut tx = self.begin().await?;
        lock(&mut tx, conversation).await?;
        let before = require_live_message(&mut tx, conversation, id).await?;
        if before.edit_count >= max_edits {
            return Err(Error::Conflict("the message has reached its edit limit"));
        }
        let at = now_ms();
        sqlx::query(
            "INSERT INTO message_edits (conversation_id, message_id, seq, text, edited_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(conversation.as_str())
        .bind(id.0)
        .bind(i64::from(before.edit_count))
        .bind(&before.text)
        .bind(at)
        .execute(&mut *tx)
        .await
        .db()?;
        let entities = serde_json::to_string(&entities).map_err(Error::internal)?;
        sqlx::query(
            "UPDATE events SET text = $3, entities = $4, edit_count = edit_count + 1, edited_at = $5,
                search = $6::tsvector
             WHERE conversation_id = $1 AND id = $2",
        )
        .bind(conversation.as_str())
        .bind(id.0)
        .bind(&text)
        .bind(entities)
        .bind(at)
        .bind(search_text::document(&text))
        .execute(&mut *tx)
        .await
        .db()?;
        let after = rows::load_message(&mut tx, conversation, id).await?;
        let mut outbox = Outbox::new();
        outbox.add(&notify, &StreamEvent::MessageEdited(after.clone()));
        Ok((after, outbox.commit(tx, &self.ids).await?))
    }

    async fn delete_for_everyone(
        &self,
        conversation: &ConversationId,
        id: EventId,
        fanout: Fanout,
    ) -> Result<Vec<Delivery>> {
        let mut tx = self.begin().await?;
        lock(&mut tx, conversation).await?;
        let before = require_live_message(&mut tx, conversation, id).await?;
        let key = (conversation.as_str(), id.0);
        sqlx::query(
            "UPDATE events SET text = '', entities = NULL, deleted = true, reply_to_id = NULL, search = NULL
             WHERE conversation_id = $1 AND id = $2",
        )
        .bind(key.0)
        .bind(key.1)
        .execute(&mut *tx)
        .await
        .db()?;
        for sql in [
            "DELETE FROM reactions WHERE conversation_id = $1 AND message_id = $2",
            "DELETE FROM message_edits WHERE conversation_id = $1 AND message_id = $2",
        ] {
            sqlx::query(sql)
                .bind(key.0)
                .bind(key.1)
                .execute(&mut *tx)
                .await
                .db()?;
        }
        // An unread tombstone should not keep a badge lit.
        sqlx::query(
            "UPDATE participants SET unread_count = greatest(unread_count - 1, 0)
             WHERE conversation_id = $1 AND active AND user_id <> $2 AND unread_count > 0
               AND (last_read_event_id IS NULL OR last_read_event_id < $3)",
        )
        .bind(key.0)
        .bind(before.sender_id.0)
        .bind(key.1)
        .execute(&mut *tx)
        .await
        .db()?;
        let mut outbox = Outbox::new();
        outbox.add_all(&fanout);
        outbox.commit(tx, &self.ids).await
    }

    async fn delete_for_me(
        &self,
        conversation: &ConversationId,
        id: EventId,
        user: UserId,
        fanout: Fanout,
    ) -> Result<Vec<Delivery>> {
        let mut tx = self.begin().await?;
        rows::load_event(&mut tx, conversation, id)
            .await?
            .ok_or(Error::NotFound("message"))?;
        sqlx::query(
            "INSERT INTO hidden_events (conversation_id, user_id, event_id) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(conversation.as_str())
        .bind(user.0)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .db()?;
        let mut outbox = Outbox::new();
        outbox.add_all(&fanout);
        outbox.commit(tx, &self.ids).await
    }

    async fn set_reaction(
        &self,
        conversation: &ConversationId,
        id: EventId,
        user: UserId,
        emoji: Option<String>,
        fanout: Fanout,
    ) -> Result<(bool, Vec<Delivery>)> {
        let mut tx = self.begin().await?;
        // Locked so a reaction cannot land on a message being deleted for everyone.
        lock(&mut tx, conversation).await?;
        require_live_message(&mut tx, conversation, id).await?;
        let changed = match &emoji {
            Some(emoji) => sqlx::query(
                "INSERT INTO reactions (conversation_id, message_id, user_id, emoji, created_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (conversation_id, message_id, user_id)
                 DO UPDATE SET emoji = excluded.emoji, created_at = excluded.created_at
                 WHERE reactions.emoji <> excluded.emoji",
            )
            .bind(conversation.as_str())
            .bind(id.0)
            .bind(user.0)
            .bind(emoji)
            .bind(now_ms()),
            None => sqlx::query(
                "DELETE FROM reactions WHERE conversation_id = $1 AND message_id = $2 AND user_id = $3",
            )
            .bind(conversation.as_str())
            .bind(id.0)
            .bind(user.0),
        }
        .execute(&mut *tx)
        .await
        .db()?
        .rows_affected()
            > 0;
        let mut outbox = Outbox::new();
        if changed {
            outbox.add_all(&fanout);
        }
        Ok((changed, outbox.commit(tx, &self.ids).await?))
    }

    async fn mark_read(
        &self,
        conversation: &ConversationId,
        user: UserId,
        up_to: EventId,
        fanout: Fanout,
    ) -> Result<(bool, Vec<Delivery>)> {
        let mut tx = self.begin().await?;
        // Locked so the unread recount sees every message committed before it, and no
        // message lands between the count and the commit.
        lock(&mut tx, conversation).await?;
        let moved = sqlx::query(
            "UPDATE participants SET last_read_event_id = $3,
                unread_count = (SELECT count(*) FROM events e WHERE e.conversation_id = $1 AND e.id > $3
                                  AND e.kind = 0 AND NOT e.deleted AND e.sender_id <> $2)
             WHERE conversation_id = $1 AND user_id = $2 AND (last_read_event_id IS NULL OR last_read_event_id < $3)",
        )
        .bind(conversation.as_str())
        .bind(user.0)
        .bind(up_to.0)
        .execute(&mut *tx)
        .await
        .db()?
        .rows_affected()
            > 0;
        let mut outbox = Outbox::new();
        if moved {
            outbox.add_all(&fanout);
        }
        Ok((moved, outbox.commit(tx, &self.ids).await?))
    }

    async fn search_messages(
        &self,
        user: UserId,
        query: &str,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<Message>> {
        let empty = Page {
            items: Vec::new(),
            next_cursor: None,
        };
        // Checked in the same order as the SQLite store: no words at all, then the cursor.
        if query.split_whitespace().next().is_none() {
            return Ok(empty);
        }
        let before = match cursor {
            Some(c) => c
                .parse::<i64>()
                .map_err(|_| Error::invalid("cursor", "is not a cursor this search returned"))?,
            None => i64::MAX,
        };
        // Query words without letters or digits match nothing and are dropped, as FTS5 drops
        // them; a query made only of those finds nothing.
        let Some(tsquery) = search_text::query(query) else {
            return Ok(empty);
        };
        let sql = format!(
            "SELECT {EVENT_COLS_E} FROM events e
             JOIN participants p ON p.conversation_id = e.conversation_id AND p.user_id = $2
             WHERE e.search @@ $1::tsquery AND e.id < $3 AND e.kind = 0 AND NOT e.deleted AND NOT p.reported
               AND (p.visible_after IS NULL OR e.id > p.visible_after)
               AND (p.left_at_event IS NULL OR e.id <= p.left_at_event)
               AND NOT EXISTS (SELECT 1 FROM hidden_events h
                               WHERE h.conversation_id = e.conversation_id AND h.user_id = $2 AND h.event_id = e.id)
             ORDER BY e.id DESC LIMIT $4"
        );
        let mut c = self.conn().await?;
        let found = sqlx::query(&sql)
            .bind(tsquery)
            .bind(user.0)
            .bind(before)
            .bind(sql_count(limit.saturating_add(1)))
            .fetch_all(&mut *c)
            .await
            .db()?;
        let mut events = map_all(found, rows::event)?;
        let next_cursor = if events.len() > limit {
            events.truncate(limit);
            events.last().map(|e| e.id().0.to_string())
        } else {
            None
        };
        rows::decorate(&mut c, &mut events).await?;
        let items = events
            .into_iter()
            .filter_map(|e| match e {
                ConversationEvent::Message(m) => Some(m),
                _ => None,
            })
            .collect();
        Ok(Page { items, next_cursor })
    }
}
