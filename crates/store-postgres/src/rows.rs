//! Reading PostgreSQL rows into `postern_store::rows`' column structs, and the lookups
//! every trait implementation shares. What the columns mean lives in `postern_store::rows`.

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
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

/// Turns database errors into domain errors. Any integrity violation becomes `Conflict`, as
/// SQLite's constraint violations do, so callers see the same error from either backend.
pub trait Db<T> {
    fn db(self) -> Result<T, Error>;
}

impl<T> Db<T> for Result<T, sqlx::Error> {
    fn db(self) -> Result<T, Error> {
        self.map_err(|e| match &e {
            // SQLSTATE class 23: integrity constraint violation.
            sqlx::Error::Database(d) if d.code().is_some_and(|c| c.starts_with("23")) => {
                Error::Conflict("already exists")
            }
            _ => Error::internal(e),
        })
    }
}

/// A count or limit as PostgreSQL takes it; anything beyond `i64` means "no limit".
pub fn sql_count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub const USER_COLS: &str =
    "id, screen_name, name, description, avatar_key, verified, created_at, support";

pub fn user(r: &PgRow) -> sqlx::Result<User> {
    Ok(UserColumns {
        id: r.try_get(0)?,
        screen_name: r.try_get(1)?,
        name: r.try_get(2)?,
        description: r.try_get(3)?,
        avatar_key: r.try_get(4)?,
        verified: r.try_get(5)?,
        created_at: r.try_get(6)?,
        support: r.try_get(7)?,
    }
    .into_user())
}

/// Maps every row with `f`, failing on the first row that does not map.
pub fn map_all<T>(
    rows: Vec<PgRow>,
    f: impl Fn(&PgRow) -> sqlx::Result<T>,
) -> Result<Vec<T>, Error> {
    rows.iter().map(f).collect::<sqlx::Result<Vec<_>>>().db()
}

pub fn raw_ids(ids: &[UserId]) -> Vec<i64> {
    ids.iter().map(|u| u.0).collect()
}

/// Loads users by id, in the order asked (missing ones skipped).
pub async fn users_by_ids(conn: &mut PgConnection, ids: &[UserId]) -> Result<Vec<User>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = ANY($1)"))
        .bind(raw_ids(ids))
        .fetch_all(&mut *conn)
        .await
        .db()?;
    let found: HashMap<UserId, User> = map_all(rows, user)?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
}

pub const CONVERSATION_COLS: &str =
    "id, kind, name, created_by, created_at, last_event_id, member_count";

pub fn conversation(r: &PgRow) -> sqlx::Result<ConversationRecord> {
    Ok(ConversationColumns {
        id: r.try_get(0)?,
        kind: r.try_get(1)?,
        name: r.try_get(2)?,
        created_by: r.try_get(3)?,
        created_at: r.try_get(4)?,
        last_event_id: r.try_get(5)?,
        member_count: r.try_get(6)?,
    }
    .into_record())
}

pub const PARTICIPANT_COLS: &str = "conversation_id, user_id, active, box, visible_after, left_at_event, \
     last_read_event_id, unread_count, muted, pinned_at, archived, accepted, reported";

pub fn participant(r: &PgRow) -> sqlx::Result<ParticipantRecord> {
    participant_at(r, 0)
}

/// Maps participant columns (in `PARTICIPANT_COLS` order) that start at `at` in a row.
pub fn participant_at(r: &PgRow, at: usize) -> sqlx::Result<ParticipantRecord> {
    Ok(ParticipantColumns {
        conversation_id: r.try_get(at)?,
        user_id: r.try_get(at + 1)?,
        active: r.try_get(at + 2)?,
        inbox: r.try_get(at + 3)?,
        visible_after: r.try_get(at + 4)?,
        left_at_event: r.try_get(at + 5)?,
        last_read_event_id: r.try_get(at + 6)?,
        unread_count: r.try_get(at + 7)?,
        muted: r.try_get(at + 8)?,
        pinned_at: r.try_get(at + 9)?,
        archived: r.try_get(at + 10)?,
        accepted: r.try_get(at + 11)?,
        reported: r.try_get(at + 12)?,
    }
    .into_record())
}

pub const EVENT_COLS: &str = "id, conversation_id, kind, sender_id, text, entities, reply_to_id, client_key, \
     edit_count, edited_at, deleted, user_ids, created_at, attachment, parts";

/// [`EVENT_COLS`] qualified by the `e` alias, for joins.
pub const EVENT_COLS_E: &str = "e.id, e.conversation_id, e.kind, e.sender_id, e.text, e.entities, \
     e.reply_to_id, e.client_key, e.edit_count, e.edited_at, e.deleted, e.user_ids, e.created_at, e.attachment, e.parts";

/// Maps an event row; reactions and edit history are attached by [`decorate`].
pub fn event(r: &PgRow) -> sqlx::Result<ConversationEvent> {
    Ok(EventColumns {
        id: r.try_get(0)?,
        conversation_id: r.try_get(1)?,
        kind: r.try_get(2)?,
        sender_id: r.try_get(3)?,
        text: r.try_get(4)?,
        entities: r.try_get(5)?,
        reply_to_id: r.try_get(6)?,
        client_key: r.try_get(7)?,
        // PostgreSQL has no unsigned column; the count is stored as bigint.
        edit_count: u32::try_from(r.try_get::<i64, _>(8)?).unwrap_or_default(),
        edited_at: r.try_get(9)?,
        deleted: r.try_get(10)?,
        user_ids: r.try_get(11)?,
        created_at: r.try_get(12)?,
        attachment: r.try_get(13)?,
        parts: r.try_get(14)?,
    }
    .into_event())
}

/// Attaches reactions and edit history to the messages among `events`.
pub async fn decorate(
    conn: &mut PgConnection,
    events: &mut [ConversationEvent],
) -> Result<(), Error> {
    let keys = |edited_only| -> Vec<(String, i64)> {
        decorated_messages(events, edited_only)
            .map(|m| (m.conversation_id.as_str().to_owned(), m.id.0))
            .collect()
    };
    let (messages, edited) = (keys(false), keys(true));
    if messages.is_empty() {
        return Ok(());
    }
    // Same-millisecond reactions fall back to user order, so the grouping is deterministic.
    let select = "SELECT conversation_id, message_id, emoji, user_id FROM reactions";
    let reactions = per_message(conn, select, "created_at, user_id", &messages).await?;
    let select = "SELECT conversation_id, message_id, text, edited_at FROM message_edits";
    let edits = per_message(conn, select, "message_id, seq", &edited).await?;
    attach_decorations(events, reactions, edits);
    Ok(())
}

/// Rows of `(message_id, text, integer)` for a set of `(conversation, message)` pairs
/// (`select` names the conversation first). The conversations and the ids are two lists
/// rather than a list of pairs: a distributed PostgreSQL (Citus) then reads only the shards
/// of those conversations, where pairs made it ship them to every shard. A message id from
/// one listed conversation could match a message of another listed one, so the pairs are
/// checked here.
async fn per_message(
    conn: &mut PgConnection,
    select: &str,
    order: &str,
    messages: &[(String, i64)],
) -> Result<Vec<(i64, String, i64)>, Error> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let (conversations, ids): (Vec<String>, Vec<i64>) = messages.iter().cloned().unzip();
    let sql = format!(
        "{select} WHERE conversation_id = ANY($1) AND message_id = ANY($2) ORDER BY {order}"
    );
    let rows = sqlx::query(&sql)
        .bind(&conversations)
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    let wanted: std::collections::HashSet<(&str, i64)> =
        messages.iter().map(|(c, m)| (c.as_str(), *m)).collect();
    let mut found = Vec::with_capacity(rows.len());
    for r in rows {
        let conversation: String = r.try_get(0).db()?;
        let message: i64 = r.try_get(1).db()?;
        if wanted.contains(&(conversation.as_str(), message)) {
            found.push((message, r.try_get(2).db()?, r.try_get(3).db()?));
        }
    }
    Ok(found)
}

/// [`decorate`] for a single event.
pub async fn decorate_one(
    conn: &mut PgConnection,
    event: ConversationEvent,
) -> Result<ConversationEvent, Error> {
    let mut one = [event];
    decorate(conn, &mut one).await?;
    let [event] = one;
    Ok(event)
}

/// Loads one event with its decorations.
pub async fn load_event(
    conn: &mut PgConnection,
    conversation: &ConversationId,
    id: EventId,
) -> Result<Option<ConversationEvent>, Error> {
    let sql = format!("SELECT {EVENT_COLS} FROM events WHERE conversation_id = $1 AND id = $2");
    let found = sqlx::query(&sql)
        .bind(conversation.as_str())
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    match found {
        Some(row) => {
            let e = event(&row).db()?;
            decorate_one(conn, e).await.map(Some)
        }
        None => Ok(None),
    }
}

pub async fn load_message(
    conn: &mut PgConnection,
    conversation: &ConversationId,
    id: EventId,
) -> Result<Message, Error> {
    match load_event(conn, conversation, id).await? {
        Some(ConversationEvent::Message(m)) => Ok(m),
        _ => Err(Error::NotFound(Thing::Message)),
    }
}

pub async fn participants_of(
    conn: &mut PgConnection,
    conversation: &ConversationId,
) -> Result<Vec<ParticipantRecord>, Error> {
    let sql = format!(
        "SELECT {PARTICIPANT_COLS} FROM participants WHERE conversation_id = $1 ORDER BY joined_seq"
    );
    let rows = sqlx::query(&sql)
        .bind(conversation.as_str())
        .fetch_all(&mut *conn)
        .await
        .db()?;
    map_all(rows, participant)
}

/// The members of several conversations at once, each conversation's in join order.
pub async fn participants_of_each(
    conn: &mut PgConnection,
    conversations: &[String],
) -> Result<std::collections::HashMap<String, Vec<ParticipantRecord>>, Error> {
    let sql = format!(
        "SELECT {PARTICIPANT_COLS} FROM participants WHERE conversation_id = ANY($1)
         ORDER BY conversation_id, joined_seq"
    );
    let rows = sqlx::query(&sql)
        .bind(conversations)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    let mut each: std::collections::HashMap<String, Vec<ParticipantRecord>> =
        std::collections::HashMap::with_capacity(conversations.len());
    for member in map_all(rows, participant)? {
        each.entry(member.conversation_id.as_str().to_owned())
            .or_default()
            .push(member);
    }
    Ok(each)
}

pub async fn participant_of(
    conn: &mut PgConnection,
    conversation: &ConversationId,
    user: UserId,
) -> Result<Option<ParticipantRecord>, Error> {
    let sql = format!(
        "SELECT {PARTICIPANT_COLS} FROM participants WHERE conversation_id = $1 AND user_id = $2"
    );
    let row = sqlx::query(&sql)
        .bind(conversation.as_str())
        .bind(user.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    row.as_ref().map(participant).transpose().db()
}

pub async fn conversation_by_id(
    conn: &mut PgConnection,
    id: &ConversationId,
) -> Result<Option<ConversationRecord>, Error> {
    let sql = format!("SELECT {CONVERSATION_COLS} FROM conversations WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    row.as_ref().map(conversation).transpose().db()
}
