//! Conversations, membership and each member's private state; the inbox.

use async_trait::async_trait;
use postern_core::error::Thing;
use postern_core::model::{ConversationEvent, InboxBox};
use postern_core::stream::Delivery;
use postern_core::{ConversationId, Error, Result, UserId};
use postern_store::page;
use postern_store::rows::{
    EventRow, inbox_entry, membership_event, membership_stream_event, visible_range,
};
use postern_store::{
    ConversationRecord, ConversationStore, Fanout, InboxEntry, InboxQuery, NewGroup, Page,
    ParticipantPatch, ParticipantRecord,
};
use rusqlite::Connection;

use crate::rows::{self, Db, EVENT_COLS, KIND_JOIN, KIND_LEAVE, now_ms};
use crate::{SqliteStore, fanout};

/// Inserts a history event and moves the conversation's activity to it. Returns the id,
/// which is larger than every earlier id in the conversation.
pub(crate) fn insert_event(c: &Connection, id: i64, e: EventRow<'_>) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO events (id, conversation_id, kind, sender_id, text, entities, reply_to_id, client_key, user_ids, created_at, attachment, parts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )
    .db()?
    .execute((id, e.conversation.as_str(), e.kind, e.sender.0, e.text, e.entities, e.reply_to, e.client_key, e.user_ids, e.created_at, e.attachment, e.parts))
    .db()?;
    c.prepare_cached("UPDATE conversations SET last_event_id = ?2 WHERE id = ?1")
        .db()?
        .execute((e.conversation.as_str(), id))
        .db()?;
    Ok(())
}

/// Moves every active member's inbox position to `event`; for a message, counts it unread
/// for everyone but its sender (and those who reported the conversation), and marks it read
/// for the sender.
pub(crate) fn touch_members(
    c: &Connection,
    conversation: &ConversationId,
    event: i64,
    sender: UserId,
    is_message: bool,
) -> Result<()> {
    c.prepare_cached(
        "UPDATE participants SET activity = ?2,
            unread_count = CASE WHEN NOT ?4 THEN unread_count WHEN user_id = ?3 THEN 0
                                WHEN reported THEN unread_count ELSE unread_count + 1 END,
            last_read_event_id = CASE WHEN ?4 AND user_id = ?3 THEN ?2 ELSE last_read_event_id END
         WHERE conversation_id = ?1 AND active = 1",
    )
    .db()?
    .execute((conversation.as_str(), event, sender.0, is_message))
    .db()?;
    Ok(())
}

pub(crate) fn insert_participant(
    c: &Connection,
    conversation: &ConversationId,
    user: UserId,
    inbox: InboxBox,
    accepted: bool,
    visible_after: Option<i64>,
    seq: i64,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO participants (conversation_id, user_id, active, box, visible_after, left_at_event, unread_count,
                                   accepted, activity, joined_seq, last_read_event_id)
         VALUES (?1, ?2, 1, ?3, ?4, NULL, 0, ?5, ?6, ?6, NULL)
         ON CONFLICT (conversation_id, user_id) DO UPDATE SET
            active = 1, box = excluded.box, visible_after = excluded.visible_after, left_at_event = NULL,
            unread_count = 0, activity = excluded.activity, archived = 0, reported = 0",
    )
    .db()?
    .execute((conversation.as_str(), user.0, inbox.as_str(), visible_after, accepted, seq))
    .db()?;
    Ok(())
}

fn member_count(c: &Connection, conversation: &ConversationId) -> Result<()> {
    c.prepare_cached(
        "UPDATE conversations SET member_count = (SELECT count(*) FROM participants WHERE conversation_id = ?1 AND active = 1)
         WHERE id = ?1",
    )
    .db()?
    .execute([conversation.as_str()])
    .db()?;
    Ok(())
}

fn require_conversation(c: &Connection, id: &ConversationId) -> Result<ConversationRecord> {
    rows::conversation_by_id(c, id)?.ok_or(Error::NotFound(Thing::Conversation))
}

/// Everything the inbox shows about one conversation for one member.
fn entry(
    c: &Connection,
    conversation: ConversationRecord,
    me: ParticipantRecord,
) -> Result<InboxEntry> {
    let members = rows::participants_of(c, &conversation.id)?;
    let (lower, upper) = visible_range(&me);
    let sql = format!(
        "SELECT {EVENT_COLS} FROM events WHERE conversation_id = ?1 AND id <= ?2 AND id > ?3
           AND NOT EXISTS (SELECT 1 FROM hidden_events h WHERE h.user_id = ?4 AND h.conversation_id = ?1 AND h.event_id = events.id)
         ORDER BY id DESC LIMIT 1"
    );
    use rusqlite::OptionalExtension;
    let last = c
        .prepare_cached(&sql)
        .db()?
        .query_row(
            (conversation.id.as_str(), upper, lower, me.user_id.0),
            rows::event,
        )
        .optional()
        .db()?;
    let last_event = last.map(|e| rows::decorate_one(c, e)).transpose()?;
    Ok(inbox_entry(conversation, me, &members, last_event))
}

const INBOX_SELECT: &str = "SELECT c.id, c.kind, c.name, c.created_by, c.created_at, c.last_event_id, c.member_count,
        p.conversation_id, p.user_id, p.active, p.box, p.visible_after, p.left_at_event, p.last_read_event_id,
        p.unread_count, p.muted, p.pinned_at, p.archived, p.accepted, p.reported, p.activity
    FROM participants p JOIN conversations c ON c.id = p.conversation_id";

/// Shown in a list: still a member, not reported away, and something happened since they
/// last deleted the conversation.
const LISTED: &str =
    "p.active = 1 AND p.reported = 0 AND (p.visible_after IS NULL OR p.activity > p.visible_after)";

type InboxRow = (ConversationRecord, ParticipantRecord, i64);

fn inbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<InboxRow> {
    Ok((
        rows::conversation(r)?,
        rows::participant_at(r, 7)?,
        r.get(20)?,
    ))
}

fn inbox_page(c: &Connection, q: &InboxQuery) -> Result<Page<InboxEntry>> {
    let mut listed = Vec::new();
    // Pinned conversations lead the first page of the primary box, newest pin first.
    if q.cursor.is_none() && q.inbox == Some(InboxBox::Primary) {
        let sql = format!(
            "{INBOX_SELECT} WHERE p.user_id = ?1 AND p.box = 'primary' AND p.archived = 0
               AND p.pinned_at IS NOT NULL AND {LISTED} ORDER BY p.pinned_at DESC"
        );
        let mut stmt = c.prepare_cached(&sql).db()?;
        let found = stmt.query_map([q.user.0], inbox_row).db()?;
        listed.extend(found.collect::<rusqlite::Result<Vec<_>>>().db()?);
    }
    let filter = match q.inbox {
        Some(b) => format!(
            "p.box = '{}' AND p.archived = 0 AND p.pinned_at IS NULL",
            b.as_str()
        ),
        None => "p.archived = 1".to_owned(),
    };
    // Keyset paging on (activity, id), newest first; U+10FFFF sorts after every id.
    let (activity, id) = match &q.cursor {
        Some(cur) => page::parse_inbox_cursor(cur)?,
        None => (i64::MAX, "\u{10ffff}".to_owned()),
    };
    let sql = format!(
        "{INBOX_SELECT} WHERE p.user_id = ?1 AND {filter} AND {LISTED} AND (p.activity, p.conversation_id) < (?2, ?3)
         ORDER BY p.activity DESC, p.conversation_id DESC LIMIT ?4"
    );
    let mut stmt = c.prepare_cached(&sql).db()?;
    let found = stmt
        .query_map(
            (q.user.0, activity, id, page::fetch_count(q.limit)),
            inbox_row,
        )
        .db()?;
    let mut page = found.collect::<rusqlite::Result<Vec<_>>>().db()?;
    let next_cursor = page::cut(&mut page, q.limit, |(conv, _, activity)| {
        page::inbox_cursor(*activity, &conv.id)
    });
    listed.extend(page);
    let items = listed
        .into_iter()
        .map(|(conv, me, _)| entry(c, conv, me))
        .collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor })
}

fn record_membership(
    c: &Connection,
    notify: &[UserId],
    event: &ConversationEvent,
) -> Result<Vec<Delivery>> {
    match membership_stream_event(event) {
        Some(stream_event) => fanout::record_one(c, notify, &stream_event),
        None => Ok(Vec::new()),
    }
}

#[async_trait]
impl ConversationStore for SqliteStore {
    async fn conversation(&self, id: &ConversationId) -> Result<Option<ConversationRecord>> {
        let id = id.clone();
        self.lookup(move |c| rows::conversation_by_id(c, &id)).await
    }

    async fn participants(&self, id: &ConversationId) -> Result<Vec<ParticipantRecord>> {
        let id = id.clone();
        self.lookup(move |c| rows::participants_of(c, &id)).await
    }

    async fn participant(
        &self,
        id: &ConversationId,
        user: UserId,
    ) -> Result<Option<ParticipantRecord>> {
        let id = id.clone();
        self.lookup(move |c| rows::participant_of(c, &id, user))
            .await
    }

    async fn create_group(
        &self,
        group: NewGroup,
        fanout: Fanout,
    ) -> Result<(ConversationRecord, Vec<Delivery>)> {
        let ids = self.ids.clone();
        self.write(move |c| {
            let at = now_ms();
            c.execute(
                "INSERT INTO conversations (id, kind, name, created_by, created_at, member_count) VALUES (?1, 'group', ?2, ?3, ?4, ?5)",
                (group.id.as_str(), &group.name, group.creator.0, at, group.members.len() + 1),
            )
            .db()?;
            insert_participant(c, &group.id, group.creator, InboxBox::Primary, true, None, ids.next_id())?;
            for (member, inbox) in &group.members {
                insert_participant(c, &group.id, *member, *inbox, *inbox == InboxBox::Primary, None, ids.next_id())?;
            }
            let everyone: Vec<UserId> =
                std::iter::once(group.creator).chain(group.members.iter().map(|(u, _)| *u)).collect();
            let id = ids.next_id();
            insert_event(c, id, EventRow::membership(&group.id, KIND_JOIN, group.creator, &everyone, at))?;
            touch_members(c, &group.id, id, group.creator, false)?;
            let deliveries = fanout::record(c, &fanout)?;
            Ok((require_conversation(c, &group.id)?, deliveries))
        })
        .await
    }

    async fn add_participants(
        &self,
        id: &ConversationId,
        by: UserId,
        members: Vec<(UserId, InboxBox)>,
        notify: Vec<UserId>,
        fanout: Fanout,
    ) -> Result<(ConversationEvent, Vec<Delivery>)> {
        let (conversation, ids) = (id.clone(), self.ids.clone());
        self.write(move |c| {
            require_conversation(c, &conversation)?;
            let (id, at) = (ids.next_id(), now_ms());
            let users: Vec<UserId> = members.iter().map(|(u, _)| *u).collect();
            for (member, inbox) in &members {
                // They see their own join and what follows, nothing before it.
                insert_participant(
                    c,
                    &conversation,
                    *member,
                    *inbox,
                    *inbox == InboxBox::Primary,
                    Some(id - 1),
                    ids.next_id(),
                )?;
            }
            insert_event(
                c,
                id,
                EventRow::membership(&conversation, KIND_JOIN, by, &users, at),
            )?;
            touch_members(c, &conversation, id, by, false)?;
            member_count(c, &conversation)?;
            let event = membership_event(KIND_JOIN, id, &conversation, by, users, at);
            let mut deliveries = record_membership(c, &notify, &event)?;
            deliveries.extend(fanout::record(c, &fanout)?);
            Ok((event, deliveries))
        })
        .await
    }

    async fn leave(
        &self,
        id: &ConversationId,
        user: UserId,
        notify: Vec<UserId>,
    ) -> Result<(ConversationEvent, Vec<Delivery>)> {
        let (conversation, ids) = (id.clone(), self.ids.clone());
        self.write(move |c| {
            let (id, at) = (ids.next_id(), now_ms());
            insert_event(c, id, EventRow::membership(&conversation, KIND_LEAVE, user, &[user], at))?;
            let n = c
                .execute(
                    "UPDATE participants SET active = 0, left_at_event = ?3, pinned_at = NULL, unread_count = 0
                     WHERE conversation_id = ?1 AND user_id = ?2 AND active = 1",
                    (conversation.as_str(), user.0, id),
                )
                .db()?;
            if n == 0 {
                return Err(Error::NotFound(Thing::Participant));
            }
            touch_members(c, &conversation, id, user, false)?;
            member_count(c, &conversation)?;
            let event = membership_event(KIND_LEAVE, id, &conversation, user, vec![user], at);
            let deliveries = record_membership(c, &notify, &event)?;
            Ok((event, deliveries))
        })
        .await
    }

    async fn rename(
        &self,
        id: &ConversationId,
        name: Option<String>,
        fanout: Fanout,
    ) -> Result<Vec<Delivery>> {
        let conversation = id.clone();
        self.write(move |c| {
            c.execute(
                "UPDATE conversations SET name = ?2 WHERE id = ?1",
                (conversation.as_str(), &name),
            )
            .db()?;
            fanout::record(c, &fanout)
        })
        .await
    }

    async fn update_participant(
        &self,
        id: &ConversationId,
        user: UserId,
        patch: ParticipantPatch,
        fanout: Fanout,
    ) -> Result<(ParticipantRecord, Vec<Delivery>)> {
        let conversation = id.clone();
        self.write(move |c| {
            let key = (conversation.as_str(), user.0);
            let set = |sql: &str, value: &dyn rusqlite::ToSql| -> Result<()> {
                c.execute(&format!("UPDATE participants SET {sql} WHERE conversation_id = ?1 AND user_id = ?2"), (key.0, key.1, value))
                    .db()
                    .map(|_| ())
            };
            if let Some(inbox) = patch.inbox {
                set("box = ?3", &inbox.as_str())?;
            }
            if let Some(muted) = patch.muted {
                set("muted = ?3", &muted)?;
            }
            if let Some(pinned) = patch.pinned {
                let at = pinned.then(now_ms);
                set("pinned_at = CASE WHEN ?3 IS NULL THEN NULL ELSE coalesce(pinned_at, ?3) END", &at)?;
            }
            if let Some(archived) = patch.archived {
                set("archived = ?3", &archived)?;
            }
            if let Some(accepted) = patch.accepted {
                set("accepted = ?3", &accepted)?;
            }
            if let Some(reported) = patch.reported {
                set("reported = ?3", &reported)?;
            }
            if patch.delete_history {
                set(
                    "visible_after = (SELECT last_event_id FROM conversations WHERE id = ?1), unread_count = 0, pinned_at = NULL, archived = ?3",
                    &false,
                )?;
            }
            let me = rows::participant_of(c, &conversation, user)?.ok_or(Error::NotFound(Thing::Conversation))?;
            Ok((me, fanout::record(c, &fanout)?))
        })
        .await
    }

    async fn pinned_count(&self, user: UserId) -> Result<usize> {
        self.lookup(move |c| {
            c.prepare_cached("SELECT count(*) FROM participants WHERE user_id = ?1 AND active = 1 AND pinned_at IS NOT NULL")
                .db()?
                .query_row([user.0], |r| r.get(0))
                .db()
        })
        .await
    }

    async fn inbox(&self, query: InboxQuery) -> Result<Page<InboxEntry>> {
        self.read(move |c| inbox_page(c, &query)).await
    }

    async fn inbox_entry(&self, id: &ConversationId, user: UserId) -> Result<Option<InboxEntry>> {
        let id = id.clone();
        self.lookup(move |c| {
            let Some(conversation) = rows::conversation_by_id(c, &id)? else {
                return Ok(None);
            };
            let Some(me) = rows::participant_of(c, &id, user)? else {
                return Ok(None);
            };
            entry(c, conversation, me).map(Some)
        })
        .await
    }
}
