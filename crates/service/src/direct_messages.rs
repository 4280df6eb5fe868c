//! Reads across a person's conversations, as Twitter's DM APIs list them: every one-to-one
//! message sent or received within a period, newest first (v1.1 `events/list`), whatever
//! conversation it is in.

use chrono::{DateTime, Utc};
use postern_core::model::{ConversationEvent, Message};
use postern_core::{ConversationId, EventId, Result, UserId};
use postern_store::cold::{Statement, int};

use crate::Services;

/// A page of messages across conversations, and the message to continue before.
pub struct Recent {
    pub messages: Vec<Message>,
    pub next_before: Option<EventId>,
}

impl Services {
    /// `me`'s one-to-one messages created since `since`, newest first, older than `before`
    /// if given: those inside their membership and not deleted for them, each shown as
    /// history shows it.
    pub async fn recent_direct_messages(
        &self,
        me: UserId,
        since: DateTime<Utc>,
        before: Option<EventId>,
        limit: usize,
    ) -> Result<Recent> {
        // A one-to-one conversation's id is its two members' ids joined by `-`.
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT e.conversation_id, e.id FROM participants p
                 JOIN events e ON e.conversation_id = p.conversation_id
                 WHERE p.user_id = ?1 AND p.conversation_id LIKE '%-%'
                   AND e.kind = 0 AND e.created_at >= ?2 AND e.id < ?3
                   AND (p.visible_after IS NULL OR e.id > p.visible_after)
                   AND (p.left_at_event IS NULL OR e.id <= p.left_at_event)
                   AND NOT EXISTS (SELECT 1 FROM hidden_events h
                       WHERE h.user_id = ?1 AND h.conversation_id = e.conversation_id
                         AND h.event_id = e.id)
                 ORDER BY e.id DESC LIMIT ?4",
                vec![
                    int(me.0),
                    int(since.timestamp_millis()),
                    int(before.map_or(i64::MAX, |b| b.0)),
                    int(i64::try_from(limit + 1).unwrap_or(i64::MAX)),
                ],
            ))
            .await?;
        let more = rows.len() > limit;
        let mut messages = Vec::with_capacity(limit.min(rows.len()));
        for row in rows.iter().take(limit) {
            let id = ConversationId::from_stored(row.text(0)?);
            let event_id = EventId(row.int(1)?);
            let Some(event) = self.store.event(&id, event_id).await? else {
                continue;
            };
            let mut events = [event];
            self.show_parts(me, &id, &mut events).await?;
            let [event] = events;
            if let ConversationEvent::Message(m) = event
                && !m.deleted
            {
                messages.push(m);
            }
        }
        let next_before = more
            .then(|| rows.get(limit.saturating_sub(1)).map(|r| r.int(1)))
            .flatten()
            .transpose()?
            .map(EventId);
        Ok(Recent {
            messages,
            next_before,
        })
    }
}

impl Services {
    /// The conversation of `me`'s that holds event `id` (v1.1 names a message by its id
    /// alone): one lookup by key in each of their conversations, no index on ids alone.
    pub async fn locate_event(&self, me: UserId, id: EventId) -> Result<ConversationId> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT e.conversation_id FROM participants p
                 JOIN events e ON e.conversation_id = p.conversation_id AND e.id = ?2
                 WHERE p.user_id = ?1",
                vec![int(me.0), int(id.0)],
            ))
            .await?;
        Ok(ConversationId::from_stored(
            rows.first()
                .ok_or(postern_core::Error::NotFound(
                    postern_core::error::Thing::Message,
                ))?
                .text(0)?,
        ))
    }

    /// One of `me`'s messages by its id alone, as history shows it; a deleted one, or one
    /// outside their membership, is not found.
    pub async fn direct_message(
        &self,
        me: UserId,
        id: EventId,
    ) -> Result<(ConversationId, Message)> {
        let conversation = self.locate_event(me, id).await?;
        let hidden = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT 1 FROM hidden_events
                 WHERE user_id = ?1 AND conversation_id = ?2 AND event_id = ?3",
                vec![
                    int(me.0),
                    postern_store::cold::text(conversation.as_str()),
                    int(id.0),
                ],
            ))
            .await?;
        let not_found = postern_core::Error::NotFound(postern_core::error::Thing::Message);
        if !hidden.is_empty() {
            return Err(not_found);
        }
        let event = self.visible_event(me, &conversation, id).await?;
        let mut events = [event];
        self.show_parts(me, &conversation, &mut events).await?;
        let [event] = events;
        match event {
            ConversationEvent::Message(m) if !m.deleted => Ok((conversation, m)),
            _ => Err(not_found),
        }
    }
}
