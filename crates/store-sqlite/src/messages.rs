//! Messages: append (idempotent), history, edits, deletes, reactions, read marks, search.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use postern_core::entities::Entities;
use postern_core::error::Thing;
use postern_core::insights::Tally;
use postern_core::model::{ConversationEvent, InboxBox, Message};
use postern_core::stream::{Delivery, StreamEvent};
use postern_core::{ConversationId, Error, EventId, Result, UserId};
use postern_store::rows::{EventRow, attachment_json, messages_only, parts_json};
use postern_store::{Appended, Fanout, HistoryQuery, MessageStore, NewMessage, Page, page};
use rusqlite::{Connection, OptionalExtension};

use crate::conversations::{insert_event, insert_participant, touch_members};
use crate::rows::{self, Db, EVENT_COLS, KIND_MESSAGE, now_ms};
use crate::tallies::Tallies;
use crate::{SqliteStore, fanout, media, search_index};

/// The message an idempotency key already produced, if it is still within its window.
fn existing_send(c: &Connection, new: &NewMessage) -> Result<Option<Message>> {
    let Some(key) = &new.client_key else {
        return Ok(None);
    };
    let found: Option<(i64, i64)> = c
        .prepare_cached(
            "SELECT event_id, created_at FROM idempotency WHERE sender_id = ?1 AND client_key = ?2",
        )
        .db()?
        .query_row((new.sender_id.0, key), |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .db()?;
    match found {
        Some((id, at)) if at >= new.idempotent_since.timestamp_millis() => {
            let conversation: String = c
                .query_row(
                    "SELECT conversation_id FROM events WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .db()?;
            rows::load_message(c, &ConversationId::from_stored(conversation), EventId(id)).map(Some)
        }
        _ => Ok(None),
    }
}

/// Creates the one-to-one conversation on first contact: the sender in primary, the
/// recipient in the box admission chose.
fn ensure_one_to_one(c: &Connection, new: &NewMessage, seq: i64) -> Result<bool> {
    let Some(setup) = &new.setup else {
        return Ok(false);
    };
    let created = c
        .prepare_cached(
            "INSERT OR IGNORE INTO conversations (id, kind, created_by, created_at, member_count)
             VALUES (?1, 'one_to_one', ?2, ?3, 2)",
        )
        .db()?
        .execute((new.conversation_id.as_str(), new.sender_id.0, now_ms()))
        .db()?
        > 0;
    if created {
        insert_participant(
            c,
            &new.conversation_id,
            new.sender_id,
            InboxBox::Primary,
            true,
            None,
            seq,
        )?;
        insert_participant(
            c,
            &new.conversation_id,
            setup.recipient,
            setup.recipient_box,
            // Landing in primary (they follow the sender) counts as accepting; a request
            // does not.
            setup.recipient_box == InboxBox::Primary,
            None,
            seq + 1,
        )?;
    }
    Ok(created)
}

fn append(
    c: &Connection,
    new: NewMessage,
    id: i64,
    seq: i64,
    tallies: &Tallies,
) -> Result<Appended> {
    if let Some(message) = existing_send(c, &new)? {
        return Ok(Appended {
            message,
            duplicate: true,
            deliveries: Vec::new(),
        });
    }
    let created = ensure_one_to_one(c, &new, seq)?;
    let mut deliveries = Vec::new();
    if created {
        for p in rows::participants_of(c, &new.conversation_id)? {
            let event = StreamEvent::ConversationCreated {
                conversation_id: new.conversation_id.clone(),
                inbox: p.inbox,
            };
            deliveries.extend(fanout::record_one(c, &[p.user_id], &event)?);
        }
    }
    // Writing in a conversation accepts it, and ends a report's silence.
    // (Usually already so; the condition spares rewriting the row and its inbox entry.)
    c.prepare_cached(
        "UPDATE participants SET accepted = 1, box = 'primary', reported = 0
         WHERE conversation_id = ?1 AND user_id = ?2 AND (accepted = 0 OR box != 'primary' OR reported = 1)",
    )
    .db()?
    .execute((new.conversation_id.as_str(), new.sender_id.0))
    .db()?;
    let at = now_ms();
    let entities = serde_json::to_string(&new.entities).map_err(Error::internal)?;
    insert_event(
        c,
        id,
        EventRow {
            conversation: &new.conversation_id,
            kind: KIND_MESSAGE,
            sender: new.sender_id,
            text: &new.text,
            entities: Some(entities),
            reply_to: new.reply_to_id.map(|r| r.0),
            client_key: new.client_key.as_deref(),
            user_ids: None,
            created_at: at,
            attachment: attachment_json(new.media.as_ref())?,
            parts: parts_json(&new.parts)?,
        },
    )?;
    if let Some(media) = &new.media {
        media::attach(c, media.id, new.sender_id, &new.conversation_id, id, at)?;
    }
    search_index::add(c, id, &new.text)?;
    touch_members(c, &new.conversation_id, id, new.sender_id, true)?;

    if let Some(key) = &new.client_key {
        c.prepare_cached(
            "INSERT INTO idempotency (sender_id, client_key, event_id, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (sender_id, client_key) DO UPDATE SET event_id = excluded.event_id, created_at = excluded.created_at",
        )
        .db()?
        .execute((new.sender_id.0, key, id, at))
        .db()?;
    }
    let message = new.message(EventId(id), rows::to_time(at));
    // Someone who reported the conversation hears nothing more from it until they write.
    let silenced: Vec<i64> = c
        .prepare_cached(
            "SELECT user_id FROM participants WHERE conversation_id = ?1 AND reported = 1",
        )
        .db()?
        .query_map([message.conversation_id.as_str()], |r| r.get(0))
        .db()?
        .collect::<rusqlite::Result<_>>()
        .db()?;
    let notify: Vec<UserId> = new
        .notify
        .iter()
        .copied()
        .filter(|u| !silenced.contains(&u.0))
        .collect();
    deliveries.extend(fanout::record_one(
        c,
        &notify,
        &StreamEvent::MessageCreated(message.clone()),
    )?);
    deliveries.extend(fanout::record(c, &new.also)?);
    // Last: nothing after this can fail the send.
    if let Some(tally) = Tally::of(&new.conversation_id, new.sender_id, &new.parts) {
        tallies.add(&new.conversation_id, tally, at);
    }
    Ok(Appended {
        message,
        duplicate: false,
        deliveries,
    })
}

fn history(c: &Connection, q: &HistoryQuery) -> Result<Vec<ConversationEvent>> {
    let (newest_first, lower, upper) = page::history_range(q);
    let order = if newest_first { "DESC" } else { "ASC" };
    let sql = format!(
        "SELECT {EVENT_COLS} FROM events
         WHERE conversation_id = ?1 AND id > ?3 AND id < ?4
           AND NOT EXISTS (SELECT 1 FROM hidden_events h WHERE h.user_id = ?2 AND h.conversation_id = ?1 AND h.event_id = events.id)
         ORDER BY id {order} LIMIT ?5"
    );
    let mut stmt = c.prepare_cached(&sql).db()?;
    let found = stmt
        .query_map(
            (
                q.conversation_id.as_str(),
                q.viewer.0,
                lower,
                upper,
                q.limit,
            ),
            rows::event,
        )
        .db()?;
    let mut events = found.collect::<rusqlite::Result<Vec<_>>>().db()?;
    rows::decorate(c, &mut events)?;
    Ok(events)
}

fn require_live_message(
    c: &Connection,
    conversation: &ConversationId,
    id: EventId,
) -> Result<Message> {
    postern_store::rows::live_message(rows::load_message(c, conversation, id)?)
}

#[async_trait]
impl MessageStore for SqliteStore {
    async fn append_message(&self, new: NewMessage) -> Result<Appended> {
        let ids = self.ids.clone();
        // Ids are taken inside the writer so they follow commit order: a conversation's
        // history pages by id and must never gain an event behind a cursor.
        let tallies = self.tallies.clone();
        self.write(move |c| {
            let (id, seq) = (ids.next_id(), ids.next_id());
            append(c, new, id, seq, &tallies)
        })
        .await
    }

    async fn sweep_idempotency(&self, older_than: DateTime<Utc>, batch: usize) -> Result<usize> {
        let cutoff = older_than.timestamp_millis();
        let limit = i64::try_from(batch).unwrap_or(i64::MAX);
        // The table has no index on age, so finding expired keys is a scan: it runs on a
        // reader, where it holds up nobody (WAL), and the writer only deletes those keys by
        // primary key, re-checking their age in case a send re-claimed one meanwhile.
        let expired: Vec<(i64, String)> = self
            .read(move |c| {
                let mut found = c
                    .prepare_cached(
                        "SELECT sender_id, client_key FROM idempotency WHERE created_at < ?1 LIMIT ?2",
                    )
                    .db()?;
                let rows = found
                    .query_map((cutoff, limit), |r| Ok((r.get(0)?, r.get(1)?)))
                    .db()?;
                rows.collect::<rusqlite::Result<_>>().db()
            })
            .await?;
        if expired.is_empty() {
            return Ok(0);
        }
        self.write(move |c| {
            let mut delete = c
                .prepare_cached(
                    "DELETE FROM idempotency WHERE sender_id = ?1 AND client_key = ?2 AND created_at < ?3",
                )
                .db()?;
            let mut swept = 0;
            for (sender, key) in &expired {
                swept += delete.execute((sender, key, cutoff)).db()?;
            }
            Ok(swept)
        })
        .await
    }

    async fn event(
        &self,
        conversation: &ConversationId,
        id: EventId,
    ) -> Result<Option<ConversationEvent>> {
        let conversation = conversation.clone();
        self.lookup(move |c| rows::load_event(c, &conversation, id))
            .await
    }

    async fn history(&self, query: HistoryQuery) -> Result<Vec<ConversationEvent>> {
        self.read(move |c| history(c, &query)).await
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
        let conversation = conversation.clone();
        self.write(move |c| {
            let before = require_live_message(c, &conversation, id)?;
            if before.edit_count >= max_edits {
                return Err(Error::EditLimit(max_edits));
            }
            let at = now_ms();
            c.execute(
                "INSERT INTO message_edits (conversation_id, message_id, seq, text, edited_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                (conversation.as_str(), id.0, before.edit_count, &before.text, at),
            )
            .db()?;
            let entities = serde_json::to_string(&entities).map_err(Error::internal)?;
            c.execute(
                "UPDATE events SET text = ?2, entities = ?3, edit_count = edit_count + 1, edited_at = ?4 WHERE id = ?1",
                (id.0, &text, entities, at),
            )
            .db()?;
            search_index::remove(c, id.0, &before.text)?;
            search_index::add(c, id.0, &text)?;
            let after = rows::load_message(c, &conversation, id)?;
            let deliveries = fanout::record_one(c, &notify, &StreamEvent::MessageEdited(after.clone()))?;
            Ok((after, deliveries))
        })
        .await
    }

    async fn delete_for_everyone(
        &self,
        conversation: &ConversationId,
        id: EventId,
        fanout: Fanout,
    ) -> Result<Vec<Delivery>> {
        let conversation = conversation.clone();
        self.write(move |c| {
            let before = require_live_message(c, &conversation, id)?;
            search_index::remove(c, id.0, &before.text)?;
            c.execute(
                "UPDATE events SET text = '', entities = NULL, deleted = 1, reply_to_id = NULL, attachment = NULL, parts = NULL
                 WHERE id = ?1",
                [id.0],
            )
            .db()?;
            media::detach(c, &conversation, id.0, now_ms())?;
            c.execute("DELETE FROM reactions WHERE message_id = ?1", [id.0]).db()?;
            c.execute("DELETE FROM message_edits WHERE message_id = ?1", [id.0]).db()?;
            // An unread tombstone should not keep a badge lit.
            c.execute(
                "UPDATE participants SET unread_count = max(unread_count - 1, 0)
                 WHERE conversation_id = ?1 AND active = 1 AND user_id != ?2 AND unread_count > 0
                   AND (last_read_event_id IS NULL OR last_read_event_id < ?3)",
                (conversation.as_str(), before.sender_id.0, id.0),
            )
            .db()?;
            fanout::record(c, &fanout)
        })
        .await
    }

    async fn delete_for_me(
        &self,
        conversation: &ConversationId,
        id: EventId,
        user: UserId,
        fanout: Fanout,
    ) -> Result<Vec<Delivery>> {
        let conversation = conversation.clone();
        self.write(move |c| {
            rows::load_event(c, &conversation, id)?.ok_or(Error::NotFound(Thing::Message))?;
            c.execute(
                "INSERT OR IGNORE INTO hidden_events (user_id, conversation_id, event_id) VALUES (?1, ?2, ?3)",
                (user.0, conversation.as_str(), id.0),
            )
            .db()?;
            fanout::record(c, &fanout)
        })
        .await
    }

    async fn set_reaction(
        &self,
        conversation: &ConversationId,
        id: EventId,
        user: UserId,
        emoji: Option<String>,
        fanout: Fanout,
    ) -> Result<(bool, Vec<Delivery>)> {
        let conversation = conversation.clone();
        self.write(move |c| {
            require_live_message(c, &conversation, id)?;
            let changed = match &emoji {
                Some(emoji) => c
                    .execute(
                        "INSERT INTO reactions (message_id, user_id, conversation_id, emoji, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (message_id, user_id) DO UPDATE SET emoji = excluded.emoji, created_at = excluded.created_at
                         WHERE emoji != excluded.emoji",
                        (id.0, user.0, conversation.as_str(), emoji, now_ms()),
                    )
                    .db()?,
                None => c.execute("DELETE FROM reactions WHERE message_id = ?1 AND user_id = ?2", (id.0, user.0)).db()?,
            } > 0;
            let deliveries = if changed { fanout::record(c, &fanout)? } else { Vec::new() };
            Ok((changed, deliveries))
        })
        .await
    }

    async fn mark_read(
        &self,
        conversation: &ConversationId,
        user: UserId,
        up_to: EventId,
        fanout: Fanout,
    ) -> Result<(bool, Vec<Delivery>)> {
        let conversation = conversation.clone();
        self.write(move |c| {
            let moved = c
                .execute(
                    "UPDATE participants SET last_read_event_id = ?3,
                        unread_count = (SELECT count(*) FROM events e WHERE e.conversation_id = ?1 AND e.id > ?3
                                          AND e.kind = 0 AND e.deleted = 0 AND e.sender_id != ?2)
                     WHERE conversation_id = ?1 AND user_id = ?2 AND (last_read_event_id IS NULL OR last_read_event_id < ?3)",
                    (conversation.as_str(), user.0, up_to.0),
                )
                .db()?
                > 0;
            let deliveries = if moved { fanout::record(c, &fanout)? } else { Vec::new() };
            Ok((moved, deliveries))
        })
        .await
    }

    async fn search_messages(
        &self,
        user: UserId,
        query: &str,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<Message>> {
        // Each word becomes a quoted FTS5 prefix term, so user input cannot inject syntax.
        let terms: Vec<String> = query
            .split_whitespace()
            .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
            .collect();
        if terms.is_empty() {
            return Ok(page::empty());
        }
        let before = page::parse_key(cursor.as_deref(), "this search")?;
        let match_expr = terms.join(" ");
        self.read(move |c| {
            let sql = format!(
                "SELECT {} FROM events_fts f JOIN events e ON e.id = f.rowid
                 JOIN participants p ON p.conversation_id = e.conversation_id AND p.user_id = ?2
                 WHERE events_fts MATCH ?1 AND e.id < ?3 AND e.kind = 0 AND e.deleted = 0 AND p.reported = 0
                   AND (p.visible_after IS NULL OR e.id > p.visible_after)
                   AND (p.left_at_event IS NULL OR e.id <= p.left_at_event)
                   AND NOT EXISTS (SELECT 1 FROM hidden_events h WHERE h.user_id = ?2 AND h.conversation_id = e.conversation_id AND h.event_id = e.id)
                 ORDER BY e.id DESC LIMIT ?4",
                EVENT_COLS.split(", ").map(|col| format!("e.{}", col.trim())).collect::<Vec<_>>().join(", ")
            );
            let mut stmt = c.prepare_cached(&sql).db()?;
            let found = stmt.query_map((match_expr, user.0, before, page::fetch_count(limit)), rows::event).db()?;
            let mut events = found.collect::<rusqlite::Result<Vec<_>>>().db()?;
            let next_cursor = page::cut(&mut events, limit, |e| e.id().0.to_string());
            rows::decorate(c, &mut events)?;
            Ok(Page { items: messages_only(events), next_cursor })
        })
        .await
    }
}
