//! Reading SQLite rows into `postern_store::rows`' column structs, and the lookups every
//! trait implementation shares. What the columns mean lives in `postern_store::rows`.

use postern_core::error::Thing;
use std::collections::HashMap;

use postern_core::model::{ConversationEvent, Message, User};
use postern_core::{ConversationId, Error, EventId, UserId};
use postern_store::rows::{
    ConversationColumns, EventColumns, ParticipantColumns, UserColumns, attach_decorations,
    decorated_messages,
};
pub use postern_store::rows::{KIND_JOIN, KIND_LEAVE, KIND_MESSAGE, now_ms, to_time};
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

pub const USER_COLS: &str =
    "id, screen_name, name, description, avatar_key, verified, created_at, support";

pub fn user(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(UserColumns {
        id: r.get(0)?,
        screen_name: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        avatar_key: r.get(4)?,
        verified: r.get(5)?,
        created_at: r.get(6)?,
        support: r.get(7)?,
    }
    .into_user())
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
    Ok(ConversationColumns {
        id: r.get(0)?,
        kind: r.get(1)?,
        name: r.get(2)?,
        created_by: r.get(3)?,
        created_at: r.get(4)?,
        last_event_id: r.get(5)?,
        member_count: r.get(6)?,
    }
    .into_record())
}

pub const PARTICIPANT_COLS: &str = "conversation_id, user_id, active, box, visible_after, left_at_event, \
     last_read_event_id, unread_count, muted, pinned_at, archived, accepted, reported";

pub fn participant(r: &Row<'_>) -> rusqlite::Result<ParticipantRecord> {
    participant_at(r, 0)
}

/// Maps participant columns (in `PARTICIPANT_COLS` order) that start at `at` in a row.
pub fn participant_at(r: &Row<'_>, at: usize) -> rusqlite::Result<ParticipantRecord> {
    Ok(ParticipantColumns {
        conversation_id: r.get(at)?,
        user_id: r.get(at + 1)?,
        active: r.get(at + 2)?,
        inbox: r.get(at + 3)?,
        visible_after: r.get(at + 4)?,
        left_at_event: r.get(at + 5)?,
        last_read_event_id: r.get(at + 6)?,
        unread_count: r.get(at + 7)?,
        muted: r.get(at + 8)?,
        pinned_at: r.get(at + 9)?,
        archived: r.get(at + 10)?,
        accepted: r.get(at + 11)?,
        reported: r.get(at + 12)?,
    }
    .into_record())
}

pub const EVENT_COLS: &str = "id, conversation_id, kind, sender_id, text, entities, reply_to_id, client_key, \
     edit_count, edited_at, deleted, user_ids, created_at, attachment, parts";

/// Maps an event row; reactions and edit history are attached by [`decorate`].
pub fn event(r: &Row<'_>) -> rusqlite::Result<ConversationEvent> {
    Ok(EventColumns {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        kind: r.get(2)?,
        sender_id: r.get(3)?,
        text: r.get(4)?,
        entities: r.get(5)?,
        reply_to_id: r.get(6)?,
        client_key: r.get(7)?,
        edit_count: r.get(8)?,
        edited_at: r.get(9)?,
        deleted: r.get(10)?,
        user_ids: r.get(11)?,
        created_at: r.get(12)?,
        attachment: r.get(13)?,
        parts: r.get(14)?,
    }
    .into_event())
}

/// Attaches reactions and edit history to the messages among `events`.
pub fn decorate(conn: &Connection, events: &mut [ConversationEvent]) -> Result<(), Error> {
    let ids: Vec<i64> = decorated_messages(events, false).map(|m| m.id.0).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let select = "SELECT message_id, emoji, user_id FROM reactions WHERE message_id IN";
    let reactions = per_message(conn, select, "created_at", &ids)?;
    let edited: Vec<i64> = decorated_messages(events, true).map(|m| m.id.0).collect();
    let select = "SELECT message_id, text, edited_at FROM message_edits WHERE message_id IN";
    let edits = per_message(conn, select, "message_id, seq", &edited)?;
    attach_decorations(events, reactions, edits);
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
        _ => Err(Error::NotFound(Thing::Message)),
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
