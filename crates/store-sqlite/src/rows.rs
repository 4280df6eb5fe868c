//! Mapping between rows and domain values, shared by every trait implementation.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use postern_core::model::{
    ConversationEvent, ConversationKind, EditRecord, InboxBox, MembershipChange, Message,
    ReactionGroup, User,
};
use postern_core::{ConversationId, Error, EventId, UserId};
use postern_store::{ConversationRecord, ParticipantRecord};
use rusqlite::{Connection, Row, params_from_iter};

/// Turns SQLite errors into domain errors; a uniqueness violation becomes `Conflict`.
pub trait Db<T> {
    fn db(self) -> Result<T, Error>;
}

impl<T> Db<T> for rusqlite::Result<T> {
    fn db(self) -> Result<T, Error> {
        self.map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Error::Conflict("already exists")
            }
            other => Error::internal(other),
        })
    }
}

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub fn to_time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

pub const USER_COLS: &str = "id, screen_name, name, description, avatar_url, verified, created_at";

pub fn user(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: UserId(r.get(0)?),
        screen_name: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        avatar_url: r.get(4)?,
        verified: r.get(5)?,
        created_at: to_time(r.get(6)?),
    })
}

/// Loads users by id, in the order asked (missing ones skipped).
pub fn users_by_ids(conn: &Connection, ids: &[UserId]) -> Result<Vec<User>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {USER_COLS} FROM users WHERE id IN ({})",
        placeholders(ids.len())
    );
    let mut stmt = conn.prepare_cached(&sql).db()?;
    let found: HashMap<UserId, User> = stmt
        .query_map(params_from_iter(ids.iter().map(|i| i.0)), user)
        .db()?
        .collect::<rusqlite::Result<Vec<_>>>()
        .db()?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
}

pub fn placeholders(n: usize) -> String {
    vec!["?"; n].join(",")
}

pub const CONVERSATION_COLS: &str =
    "id, kind, name, created_by, created_at, last_event_id, member_count";

pub fn conversation(r: &Row<'_>) -> rusqlite::Result<ConversationRecord> {
    let kind: String = r.get(1)?;
    Ok(ConversationRecord {
        id: ConversationId::from_stored(r.get(0)?),
        kind: if kind == "group" {
            ConversationKind::Group
        } else {
            ConversationKind::OneToOne
        },
        name: r.get(2)?,
        created_by: UserId(r.get(3)?),
        created_at: to_time(r.get(4)?),
        last_event_id: r.get::<_, Option<i64>>(5)?.map(EventId),
        member_count: r.get::<_, i64>(6)?.try_into().unwrap_or_default(),
    })
}

pub const PARTICIPANT_COLS: &str = "conversation_id, user_id, active, box, visible_after, left_at_event, \
     last_read_event_id, unread_count, muted, pinned_at, archived, accepted, reported";

pub fn participant(r: &Row<'_>) -> rusqlite::Result<ParticipantRecord> {
    participant_at(r, 0)
}

/// Maps participant columns (in `PARTICIPANT_COLS` order) that start at `at` in a row.
pub fn participant_at(r: &Row<'_>, at: usize) -> rusqlite::Result<ParticipantRecord> {
    let inbox: String = r.get(at + 3)?;
    Ok(ParticipantRecord {
        conversation_id: ConversationId::from_stored(r.get(at)?),
        user_id: UserId(r.get(at + 1)?),
        active: r.get(at + 2)?,
        inbox: InboxBox::parse(&inbox).unwrap_or_default(),
        visible_after: r.get::<_, Option<i64>>(at + 4)?.map(EventId),
        left_at_event: r.get::<_, Option<i64>>(at + 5)?.map(EventId),
        last_read_event_id: r.get::<_, Option<i64>>(at + 6)?.map(EventId),
        unread_count: r.get::<_, i64>(at + 7)?.try_into().unwrap_or_default(),
        muted: r.get(at + 8)?,
        pinned: r.get::<_, Option<i64>>(at + 9)?.is_some(),
        archived: r.get(at + 10)?,
        accepted: r.get(at + 11)?,
        reported: r.get(at + 12)?,
    })
}

pub const EVENT_COLS: &str = "id, conversation_id, kind, sender_id, text, entities, reply_to_id, client_key, \
     edit_count, edited_at, deleted, user_ids, created_at";

pub const KIND_MESSAGE: i64 = 0;
pub const KIND_JOIN: i64 = 1;
pub const KIND_LEAVE: i64 = 2;

/// Maps an event row; reactions and edit history are attached by [`decorate`].
pub fn event(r: &Row<'_>) -> rusqlite::Result<ConversationEvent> {
    let id = EventId(r.get(0)?);
    let conversation_id = ConversationId::from_stored(r.get(1)?);
    let kind: i64 = r.get(2)?;
    let sender_id = UserId(r.get(3)?);
    let created_at = to_time(r.get(12)?);
    if kind != KIND_MESSAGE {
        let user_ids: Option<String> = r.get(11)?;
        let user_ids = user_ids
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default();
        let change = MembershipChange {
            id,
            conversation_id,
            sender_id,
            user_ids,
            created_at,
        };
        return Ok(if kind == KIND_JOIN {
            ConversationEvent::ParticipantsJoin(change)
        } else {
            ConversationEvent::ParticipantsLeave(change)
        });
    }
    let entities: Option<String> = r.get(5)?;
    Ok(ConversationEvent::Message(Message {
        id,
        conversation_id,
        sender_id,
        text: r.get(4)?,
        entities: entities
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default(),
        created_at,
        reply_to_id: r.get::<_, Option<i64>>(6)?.map(EventId),
        client_message_id: r.get(7)?,
        reactions: Vec::new(),
        edit_count: r.get(8)?,
        edited_at: r.get::<_, Option<i64>>(9)?.map(to_time),
        edit_history: Vec::new(),
        deleted: r.get(10)?,
    }))
}

/// Attaches reactions and edit history to the messages among `events`.
pub fn decorate(conn: &Connection, events: &mut [ConversationEvent]) -> Result<(), Error> {
    let ids: Vec<i64> = events
        .iter()
        .filter_map(|e| match e {
            ConversationEvent::Message(m) if !m.deleted => Some(m.id.0),
            _ => None,
        })
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let mut reactions: HashMap<i64, Vec<ReactionGroup>> = HashMap::new();
    let select = "SELECT message_id, emoji, user_id FROM reactions WHERE message_id IN";
    for (mid, emoji, uid) in per_message(conn, select, "created_at", &ids)? {
        let groups = reactions.entry(mid).or_default();
        match groups.iter_mut().find(|g| g.emoji == emoji) {
            Some(g) => {
                g.count += 1;
                g.user_ids.push(UserId(uid));
            }
            None => groups.push(ReactionGroup {
                emoji,
                count: 1,
                user_ids: vec![UserId(uid)],
            }),
        }
    }
    let edited: Vec<i64> = events
        .iter()
        .filter_map(|e| match e {
            ConversationEvent::Message(m) if m.edit_count > 0 && !m.deleted => Some(m.id.0),
            _ => None,
        })
        .collect();
    let mut history: HashMap<i64, Vec<EditRecord>> = HashMap::new();
    let select = "SELECT message_id, text, edited_at FROM message_edits WHERE message_id IN";
    for (mid, text, at) in per_message(conn, select, "message_id, seq", &edited)? {
        history.entry(mid).or_default().push(EditRecord {
            text,
            edited_at: to_time(at),
        });
    }
    for e in events.iter_mut() {
        if let ConversationEvent::Message(m) = e {
            m.reactions = reactions.remove(&m.id.0).unwrap_or_default();
            m.edit_history = history.remove(&m.id.0).unwrap_or_default();
        }
    }
    Ok(())
}

/// Rows of `(message_id, text, integer)` for a set of messages; `select` ends with `IN`.
fn per_message(
    conn: &Connection,
    select: &str,
    order: &str,
    ids: &[i64],
) -> Result<Vec<(i64, String, i64)>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("{select} ({}) ORDER BY {order}", placeholders(ids.len()));
    let mut stmt = conn.prepare_cached(&sql).db()?;
    let rows = stmt
        .query_map(params_from_iter(ids.iter()), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .db()?;
    rows.collect::<rusqlite::Result<Vec<_>>>().db()
}

/// [`decorate`] for a single event.
pub fn decorate_one(
    conn: &Connection,
    event: ConversationEvent,
) -> Result<ConversationEvent, Error> {
    let mut one = [event];
    decorate(conn, &mut one)?;
    let [event] = one;
    Ok(event)
}

/// Loads one event with its decorations.
pub fn load_event(
    conn: &Connection,
    conversation: &ConversationId,
    id: EventId,
) -> Result<Option<ConversationEvent>, Error> {
    use rusqlite::OptionalExtension;
    let sql = format!("SELECT {EVENT_COLS} FROM events WHERE id = ?1 AND conversation_id = ?2");
    let found = conn
        .prepare_cached(&sql)
        .db()?
        .query_row((id.0, conversation.as_str()), event)
        .optional()
        .db()?;
    found.map(|e| decorate_one(conn, e)).transpose()
}

pub fn load_message(
    conn: &Connection,
    conversation: &ConversationId,
    id: EventId,
) -> Result<Message, Error> {
    match load_event(conn, conversation, id)? {
        Some(ConversationEvent::Message(m)) => Ok(m),
        _ => Err(Error::NotFound("message")),
    }
}

pub fn participants_of(
    conn: &Connection,
    conversation: &ConversationId,
) -> Result<Vec<ParticipantRecord>, Error> {
    let sql = format!(
        "SELECT {PARTICIPANT_COLS} FROM participants WHERE conversation_id = ?1 ORDER BY joined_seq"
    );
    let mut stmt = conn.prepare_cached(&sql).db()?;
    let rows = stmt.query_map([conversation.as_str()], participant).db()?;
    rows.collect::<rusqlite::Result<Vec<_>>>().db()
}

pub fn participant_of(
    conn: &Connection,
    conversation: &ConversationId,
    user: UserId,
) -> Result<Option<ParticipantRecord>, Error> {
    use rusqlite::OptionalExtension;
    let sql = format!(
        "SELECT {PARTICIPANT_COLS} FROM participants WHERE conversation_id = ?1 AND user_id = ?2"
    );
    conn.prepare_cached(&sql)
        .db()?
        .query_row((conversation.as_str(), user.0), participant)
        .optional()
        .db()
}

pub fn conversation_by_id(
    conn: &Connection,
    id: &ConversationId,
) -> Result<Option<ConversationRecord>, Error> {
    use rusqlite::OptionalExtension;
    let sql = format!("SELECT {CONVERSATION_COLS} FROM conversations WHERE id = ?1");
    conn.prepare_cached(&sql)
        .db()?
        .query_row([id.as_str()], conversation)
        .optional()
        .db()
}
