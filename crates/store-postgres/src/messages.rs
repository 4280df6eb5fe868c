//! Messages: append (idempotent), history, edits, deletes, reactions, read marks, search.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use postern_core::entities::Entities;
use postern_core::error::Thing;
use postern_core::model::{ConversationEvent, Message};
use postern_core::stream::{Delivery, StreamEvent};
use postern_core::{ConversationId, Error, EventId, Result, UserId};
use postern_store::rows::messages_only;
use postern_store::{Appended, Fanout, HistoryQuery, MessageStore, NewMessage, Page, page};
use sqlx::PgConnection;

use crate::conversations::lock;
use crate::fanout::Outbox;
use crate::rows::{self, Db, EVENT_COLS, EVENT_COLS_E, map_all, now_ms, sql_count};
use crate::{PostgresStore, append, media, search_text};

async fn history(c: &mut PgConnection, q: &HistoryQuery) -> Result<Vec<ConversationEvent>> {
    let (newest_first, lower, upper) = page::history_range(q);
    let order = if newest_first { "DESC" } else { "ASC" };
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
    postern_store::rows::live_message(rows::load_message(c, conversation, id).await?)
}

#[async_trait]
impl MessageStore for PostgresStore {
    async fn append_message(&self, new: NewMessage) -> Result<Appended> {
        append::append_message(self, new).await
    }

    async fn sweep_idempotency(&self, older_than: DateTime<Utc>, batch: usize) -> Result<usize> {
        // One statement, so one short transaction. A row another session holds (a send
        // re-claiming the key, another node's sweep) is waited for, then its age checked
        // again by the outer condition, so a key re-claimed since is never taken and a key
        // another sweep took is counted once. (No locking read: a distributed PostgreSQL
        // cannot lock rows across shards.)
        let swept = sqlx::query(
            "DELETE FROM idempotency
             WHERE created_at < $1
               AND (sender_id, client_key) IN (
                   SELECT sender_id, client_key FROM idempotency
                    WHERE created_at < $1
                    LIMIT $2)",
        )
        .bind(older_than.timestamp_millis())
        .bind(sql_count(batch))
        .execute(&self.pool)
        .await
        .db()?
        .rows_affected();
        Ok(usize::try_from(swept).unwrap_or(usize::MAX))
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
            return Err(Error::EditLimit(max_edits));
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
            "UPDATE events SET text = '', entities = NULL, deleted = true, reply_to_id = NULL, search = NULL,
                               attachment = NULL, parts = NULL
             WHERE conversation_id = $1 AND id = $2",
        )
        .bind(key.0)
        .bind(key.1)
        .execute(&mut *tx)
        .await
        .db()?;
        media::detach(&mut tx, conversation, id.0).await?;
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
        Outbox::of(&fanout).commit(tx, &self.ids).await
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
            .ok_or(Error::NotFound(Thing::Message))?;
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
        Outbox::of(&fanout).commit(tx, &self.ids).await
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
        Outbox::commit_if(changed, &fanout, tx, &self.ids).await
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
        Outbox::commit_if(moved, &fanout, tx, &self.ids).await
    }

    async fn search_messages(
        &self,
        user: UserId,
        query: &str,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<Message>> {
        // Checked in the same order as the SQLite store: no words at all, then the cursor.
        if query.split_whitespace().next().is_none() {
            return Ok(page::empty());
        }
        let before = page::parse_key(cursor.as_deref(), "this search")?;
        // Query words without letters or digits match nothing and are dropped, as FTS5 drops
        // them; a query made only of those finds nothing.
        let Some(tsquery) = search_text::query(query) else {
            return Ok(page::empty());
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
            .bind(sql_count(page::fetch_count(limit)))
            .fetch_all(&mut *c)
            .await
            .db()?;
        let mut events = map_all(found, rows::event)?;
        let next_cursor = page::cut(&mut events, limit, |e| e.id().0.to_string());
        rows::decorate(&mut c, &mut events).await?;
        Ok(Page {
            items: messages_only(events),
            next_cursor,
        })
    }
}
