//! Reads across a person's conversations, as Twitter's DM APIs list them, newest first
//! whatever conversation each event is in: v1.1's `events/list` (one-to-one messages) and
//! v2's `GET /2/dm_events` (every conversation, joins and leaves too).

use chrono::{DateTime, Utc};
use postern_core::model::{ConversationEvent, Message};
use postern_core::{ConversationId, EventId, Result, UserId};
use postern_store::cold::{Statement, int};

use crate::Services;

/// Which events a read across conversations takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Messages in one-to-one conversations (v1.1).
    OneToOneMessages,
    /// Every event of every conversation (v2).
    Everything,
}

/// A page of events across conversations, and the event to continue before.
pub struct Recent {
    pub events: Vec<ConversationEvent>,
    pub next_before: Option<EventId>,
}

impl Services {
    /// `me`'s events of `reach` created since `since`, newest first, older than `before` if
    /// given: those inside their membership and not deleted for them (or for everyone), each
    /// shown as history shows it.
    pub async fn recent_events(
        &self,
        me: UserId,
        reach: Reach,
        since: DateTime<Utc>,
        before: Option<EventId>,
        limit: usize,
    ) -> Result<Recent> {
        // A one-to-one conversation's id is its two members' ids joined by `-`; a message's
        // kind is 0.
        let only = match reach {
            Reach::OneToOneMessages => "AND p.conversation_id LIKE '%-%' AND e.kind = 0",
            Reach::Everything => "",
        };
        let sql = format!(
            "SELECT e.conversation_id, e.id FROM participants p
             JOIN events e ON e.conversation_id = p.conversation_id
             WHERE p.user_id = ?1 {only}
               AND e.created_at >= ?2 AND e.id < ?3
               AND (p.visible_after IS NULL OR e.id > p.visible_after)
               AND (p.left_at_event IS NULL OR e.id <= p.left_at_event)
               AND NOT EXISTS (SELECT 1 FROM hidden_events h
                   WHERE h.user_id = ?1 AND h.conversation_id = e.conversation_id
                     AND h.event_id = e.id)
             ORDER BY e.id DESC LIMIT ?4"
        );
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                sql,
                vec![
                    int(me.0),
                    int(since.timestamp_millis()),
                    int(before.map_or(i64::MAX, |b| b.0)),
                    int(i64::try_from(limit + 1).unwrap_or(i64::MAX)),
                ],
            ))
            .await?;
        let more = rows.len() > limit;
        let mut events = Vec::with_capacity(limit.min(rows.len()));
        for row in rows.iter().take(limit) {
            let id = ConversationId::from_stored(row.text(0)?);
            let event_id = EventId(row.int(1)?);
            let Some(event) = self.store.event(&id, event_id).await? else {
                continue;
            };
            let mut shown = [event];
            self.show_parts(me, &id, &mut shown).await?;
            let [event] = shown;
            if !matches!(&event, ConversationEvent::Message(m) if m.deleted) {
                events.push(event);
            }
        }
        let next_before = more
            .then(|| rows.get(limit.saturating_sub(1)).map(|r| r.int(1)))
            .flatten()
            .transpose()?
            .map(EventId);
        Ok(Recent {
            events,
            next_before,
        })
    }
}

/// The messages of a page (v1.1 lists nothing else).
pub fn messages(events: Vec<ConversationEvent>) -> Vec<Message> {
    events
        .into_iter()
        .filter_map(|e| match e {
            ConversationEvent::Message(m) => Some(m),
            _ => None,
        })
        .collect()
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
