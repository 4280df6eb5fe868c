//! Conversations, membership and each member's private state; the inbox.

use async_trait::async_trait;
use postern_core::error::Thing;
use postern_core::model::{ConversationEvent, InboxBox};
use postern_core::stream::Delivery;
use postern_core::{ConversationId, Error, IdGenerator, Result, UserId};
use postern_store::page;
use postern_store::rows::{
    EventRow, inbox_entry, membership_event, membership_stream_event, visible_range,
};
use postern_store::{
    ConversationRecord, ConversationStore, Fanout, InboxEntry, InboxQuery, NewGroup, Page,
    ParticipantPatch, ParticipantRecord,
};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::PostgresStore;
use crate::fanout::Outbox;
use crate::rows::{self, Db, EVENT_COLS, KIND_JOIN, KIND_LEAVE, map_all, now_ms, sql_count};
use crate::search_text;

/// Locks the conversation's row until commit, returning its last event id, or `None` when
/// there is no such conversation. Every write in a conversation starts here, so writes in one
/// conversation run one at a time and each sees all that committed before it.
pub(crate) async fn lock(
    c: &mut PgConnection,
    conversation: &ConversationId,
) -> Result<Option<Option<i64>>> {
    sqlx::query_scalar("SELECT last_event_id FROM conversations WHERE id = $1 FOR UPDATE")
        .bind(conversation.as_str())
        .fetch_optional(&mut *c)
        .await
        .db()
}

/// The id of a new event in a conversation whose last event is `last`, taken while holding
/// the conversation's lock: larger than every earlier event even when this node's clock is
/// behind the node that wrote the last one, so history pages never gain an event behind a
/// cursor.
///
/// An id taken as `last + 1` carries the other node's bits, so it is unique within the
/// conversation (which is all the key asks) but is not fed back to this node's generator:
/// the generator's later ids would carry those bits too and could repeat the other node's.
pub(crate) fn next_event_id(ids: &IdGenerator, last: Option<i64>) -> i64 {
    ids.next_id()
        .max(last.map_or(i64::MIN, |l| l.saturating_add(1)))
}

/// Inserts a history event (messages with their search words) and makes it the
/// conversation's last.
pub(crate) async fn insert_event(c: &mut PgConnection, id: i64, e: EventRow<'_>) -> Result<()> {
    let search = (e.kind == rows::KIND_MESSAGE)
        .then(|| search_text::document(e.text))
        .flatten();
    sqlx::query(
        "INSERT INTO events (id, conversation_id, kind, sender_id, text, entities, reply_to_id, client_key,
                             user_ids, created_at, search, attachment)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::tsvector, $12)",
    )
    .bind(id)
    .bind(e.conversation.as_str())
    .bind(e.kind)
    .bind(e.sender.0)
    .bind(e.text)
    .bind(e.entities)
    .bind(e.reply_to)
    .bind(e.client_key)
    .bind(e.user_ids)
    .bind(e.created_at)
    .bind(search)
    .bind(e.attachment)
    .execute(&mut *c)
    .await
    .db()?;
    sqlx::query("UPDATE conversations SET last_event_id = $2 WHERE id = $1")
        .bind(e.conversation.as_str())
        .bind(id)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}

/// Moves every active member's inbox position to `event`; for a message, counts it unread
/// for everyone but its sender (and those who reported the conversation), and marks it read
/// for the sender.
pub(crate) async fn touch_members(
    c: &mut PgConnection,
    conversation: &ConversationId,
    event: i64,
    sender: UserId,
    is_message: bool,
) -> Result<()> {
    sqlx::query(
        "UPDATE participants SET activity = $2,
            unread_count = CASE WHEN NOT $4 THEN unread_count WHEN user_id = $3 THEN 0
                                WHEN reported THEN unread_count ELSE unread_count + 1 END,
            last_read_event_id = CASE WHEN $4 AND user_id = $3 THEN $2 ELSE last_read_event_id END
         WHERE conversation_id = $1 AND active",
    )
    .bind(conversation.as_str())
    .bind(event)
    .bind(sender.0)
    .bind(is_message)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

pub(crate) async fn insert_participant(
    c: &mut PgConnection,
    conversation: &ConversationId,
    user: UserId,
    inbox: InboxBox,
    accepted: bool,
    visible_after: Option<i64>,
    seq: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO participants (conversation_id, user_id, active, box, visible_after, left_at_event, unread_count,
                                   accepted, activity, joined_seq, last_read_event_id)
         VALUES ($1, $2, true, $3, $4, NULL, 0, $5, $6, $6, NULL)
         ON CONFLICT (conversation_id, user_id) DO UPDATE SET
            active = true, box = excluded.box, visible_after = excluded.visible_after, left_at_event = NULL,
            unread_count = 0, activity = excluded.activity, archived = false, reported = false",
    )
    .bind(conversation.as_str())
    .bind(user.0)
    .bind(inbox.as_str())
    .bind(visible_after)
    .bind(accepted)
    .bind(seq)
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

async fn member_count(c: &mut PgConnection, conversation: &ConversationId) -> Result<()> {
    sqlx::query(
        "UPDATE conversations SET member_count =
            (SELECT count(*) FROM participants WHERE conversation_id = $1 AND active)
         WHERE id = $1",
    )
    .bind(conversation.as_str())
    .execute(&mut *c)
    .await
    .db()?;
    Ok(())
}

async fn require_conversation(
    c: &mut PgConnection,
    id: &ConversationId,
) -> Result<ConversationRecord> {
    rows::conversation_by_id(c, id)
        .await?
        .ok_or(Error::NotFound(Thing::Conversation))
}

fn record_membership(outbox: &mut Outbox, notify: &[UserId], event: &ConversationEvent) {
    if let Some(stream_event) = membership_stream_event(event) {
        outbox.add(notify, &stream_event);
    }
}

/// The inbox entries of `listed` conversations (each with the reader's membership): members,
/// last visible events and decorations read for all of them at once. On a distributed
/// PostgreSQL each read here goes to the shards of those conversations only.
async fn entries(
    c: &mut PgConnection,
    listed: Vec<(ConversationRecord, ParticipantRecord)>,
) -> Result<Vec<InboxEntry>> {
    if listed.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = listed
        .iter()
        .map(|(conversation, _)| conversation.id.as_str().to_owned())
        .collect();
    let mut members = rows::participants_of_each(c, &ids).await?;
    let lasts = last_visible_each(c, &listed).await?;
    let mut shown: Vec<ConversationEvent> = lasts.iter().flatten().cloned().collect();
    rows::decorate(c, &mut shown).await?;
    let mut shown = shown.into_iter();
    let mut items = Vec::with_capacity(listed.len());
    for ((conversation, me), last) in listed.into_iter().zip(lasts) {
        let last_event = match last {
            Some(_) => shown.next(),
            None => None,
        };
        let members = members.remove(conversation.id.as_str()).unwrap_or_default();
        items.push(inbox_entry(conversation, me, &members, last_event));
    }
    Ok(items)
}

/// The newest event each listed member may see, undecorated. A conversation's last event id
/// is its newest event's (`append_message` takes ids in commit order), so a member sees that
/// event, or the one they left at, unless they hid it: those candidates are read for the
/// whole page in one query (on Citus one statement, where a read per row cost ~0.8 ms each),
/// and only a row whose candidate is hidden from its reader is looked up on its own.
async fn last_visible_each(
    c: &mut PgConnection,
    listed: &[(ConversationRecord, ParticipantRecord)],
) -> Result<Vec<Option<ConversationEvent>>> {
    let candidates: Vec<Option<i64>> = listed
        .iter()
        .map(|(conversation, me)| {
            let (lower, upper) = visible_range(me);
            conversation
                .last_event_id
                .map(|last| last.0.min(upper))
                .filter(|&id| id > lower)
        })
        .collect();
    let (conversations, ids): (Vec<String>, Vec<i64>) = listed
        .iter()
        .zip(&candidates)
        .filter_map(|((conversation, _), id)| Some((conversation.id.as_str().to_owned(), (*id)?)))
        .unzip();
    let reader = listed.first().map(|(_, me)| me.user_id);
    let mut found = std::collections::HashMap::new();
    if let (Some(reader), false) = (reader, ids.is_empty()) {
        let sql = format!(
            "SELECT {EVENT_COLS} FROM events e
              WHERE conversation_id = ANY($1) AND id = ANY($2)
                AND NOT EXISTS (SELECT 1 FROM hidden_events h
                                WHERE h.conversation_id = e.conversation_id
                                  AND h.user_id = $3 AND h.event_id = e.id)"
        );
        let rows = sqlx::query(&sql)
            .bind(&conversations)
            .bind(&ids)
            .bind(reader.0)
            .fetch_all(&mut *c)
            .await
            .db()?;
        for row in &rows {
            let conversation: String = row.try_get("conversation_id").db()?;
            let event = rows::event(row).db()?;
            found.insert((conversation, event.id().0), event);
        }
    }
    let mut lasts = Vec::with_capacity(listed.len());
    for ((conversation, me), candidate) in listed.iter().zip(candidates) {
        let Some(id) = candidate else {
            // Nothing in the conversation is within what they may see.
            lasts.push(None);
            continue;
        };
        let key = (conversation.id.as_str().to_owned(), id);
        match found.remove(&key) {
            Some(event) if Some(me.user_id) == reader => lasts.push(Some(event)),
            _ => lasts.push(last_visible(c, &conversation.id, me).await?),
        }
    }
    Ok(lasts)
}

/// The newest event of `conversation` that `me` may see, undecorated.
async fn last_visible(
    c: &mut PgConnection,
    conversation: &ConversationId,
    me: &ParticipantRecord,
) -> Result<Option<ConversationEvent>> {
    let (lower, upper) = visible_range(me);
    let sql = format!(
        "SELECT {EVENT_COLS} FROM events e WHERE conversation_id = $1 AND id <= $2 AND id > $3
           AND NOT EXISTS (SELECT 1 FROM hidden_events h
                           WHERE h.conversation_id = $1 AND h.user_id = $4 AND h.event_id = e.id)
         ORDER BY id DESC LIMIT 1"
    );
    let last = sqlx::query(&sql)
        .bind(conversation.as_str())
        .bind(upper)
        .bind(lower)
        .bind(me.user_id.0)
        .fetch_optional(&mut *c)
        .await
        .db()?;
    last.map(|row| rows::event(&row).db()).transpose()
}

/// The shared inbox cursor, refusing a NUL: PostgreSQL text cannot hold one, and no
/// conversation id has one.
fn parse_inbox_cursor(cursor: &str) -> Result<(i64, String)> {
    page::parse_inbox_cursor(cursor).and_then(|(activity, id)| {
        if id.contains('\0') {
            Err(Error::invalid(
                "cursor",
                "is not a cursor this list returned",
            ))
        } else {
            Ok((activity, id))
        }
    })
}

const INBOX_SELECT: &str = "SELECT c.id, c.kind, c.name, c.created_by, c.created_at, c.last_event_id, c.member_count,
        p.conversation_id, p.user_id, p.active, p.box, p.visible_after, p.left_at_event, p.last_read_event_id,
        p.unread_count, p.muted, p.pinned_at, p.archived, p.accepted, p.reported, p.activity
    FROM participants p JOIN conversations c ON c.id = p.conversation_id";

/// Shown in a list: still a member, not reported away, and something happened since they
/// last deleted the conversation.
const LISTED: &str =
    "p.active AND NOT p.reported AND (p.visible_after IS NULL OR p.activity > p.visible_after)";

type InboxRow = (ConversationRecord, ParticipantRecord, i64);

fn inbox_row(r: &PgRow) -> sqlx::Result<InboxRow> {
    Ok((
        rows::conversation(r)?,
        rows::participant_at(r, 7)?,
        r.try_get(20)?,
    ))
}

async fn inbox_page(c: &mut PgConnection, q: &InboxQuery) -> Result<Page<InboxEntry>> {
    let mut listed = Vec::new();
    // Pinned conversations lead the first page of the primary box, newest pin first.
    if q.cursor.is_none() && q.inbox == Some(InboxBox::Primary) {
        let sql = format!(
            "{INBOX_SELECT} WHERE p.user_id = $1 AND p.box = 'primary' AND NOT p.archived
               AND p.pinned_at IS NOT NULL AND {LISTED} ORDER BY p.pinned_at DESC"
        );
        let found = sqlx::query(&sql)
            .bind(q.user.0)
            .fetch_all(&mut *c)
            .await
            .db()?;
        listed.extend(map_all(found, inbox_row)?);
    }
    // Keyset paging on (activity, id), newest first; U+10FFFF sorts after every id.
    let (activity, id) = match &q.cursor {
        Some(cur) => parse_inbox_cursor(cur)?,
        None => (i64::MAX, "\u{10ffff}".to_owned()),
    };
    // A box lists its unarchived, unpinned conversations; no box, the archive of every box.
    let filter = match q.inbox {
        Some(_) => "p.box = $5 AND NOT p.archived AND p.pinned_at IS NULL",
        None => "p.archived",
    };
    let sql = format!(
        "{INBOX_SELECT} WHERE p.user_id = $1 AND {filter} AND {LISTED}
           AND (p.activity, p.conversation_id) < ($2, $3)
         ORDER BY p.activity DESC, p.conversation_id DESC LIMIT $4"
    );
    let mut query = sqlx::query(&sql)
        .bind(q.user.0)
        .bind(activity)
        .bind(id)
        .bind(sql_count(page::fetch_count(q.limit)));
    if let Some(inbox) = q.inbox {
        query = query.bind(inbox.as_str());
    }
    let found = query.fetch_all(&mut *c).await.db()?;
    let mut page = map_all(found, inbox_row)?;
    let next_cursor = page::cut(&mut page, q.limit, |(conv, _, activity)| {
        page::inbox_cursor(*activity, &conv.id)
    });
    listed.extend(page);
    let listed = listed.into_iter().map(|(conv, me, _)| (conv, me)).collect();
    let items = entries(c, listed).await?;
    Ok(Page { items, next_cursor })
}

#[async_trait]
impl ConversationStore for PostgresStore {
    async fn conversation(&self, id: &ConversationId) -> Result<Option<ConversationRecord>> {
        rows::conversation_by_id(&mut *self.conn().await?, id).await
    }

    async fn participants(&self, id: &ConversationId) -> Result<Vec<ParticipantRecord>> {
        rows::participants_of(&mut *self.conn().await?, id).await
    }

    async fn participant(
        &self,
        id: &ConversationId,
        user: UserId,
    ) -> Result<Option<ParticipantRecord>> {
        rows::participant_of(&mut *self.conn().await?, id, user).await
    }

    async fn create_group(
        &self,
        group: NewGroup,
        fanout: Fanout,
    ) -> Result<(ConversationRecord, Vec<Delivery>)> {
        let ids = &self.ids;
        let mut tx = self.begin().await?;
        let at = now_ms();
        // The new row is this transaction's until it commits: no other write can reach the
        // conversation, so it needs no lock and its first event id no floor.
        sqlx::query(
            "INSERT INTO conversations (id, kind, name, created_by, created_at, member_count)
             VALUES ($1, 'group', $2, $3, $4, $5)",
        )
        .bind(group.id.as_str())
        .bind(&group.name)
        .bind(group.creator.0)
        .bind(at)
        .bind(sql_count(group.members.len().saturating_add(1)))
        .execute(&mut *tx)
        .await
        .db()?;
        insert_participant(
            &mut tx,
            &group.id,
            group.creator,
            InboxBox::Primary,
            true,
            None,
            ids.next_id(),
        )
        .await?;
        for (member, inbox) in &group.members {
            let accepted = *inbox == InboxBox::Primary;
            insert_participant(
                &mut tx,
                &group.id,
                *member,
                *inbox,
                accepted,
                None,
                ids.next_id(),
            )
            .await?;
        }
        let everyone: Vec<UserId> = std::iter::once(group.creator)
            .chain(group.members.iter().map(|(u, _)| *u))
            .collect();
        let id = ids.next_id();
        let join = EventRow::membership(&group.id, KIND_JOIN, group.creator, &everyone, at);
        insert_event(&mut tx, id, join).await?;
        touch_members(&mut tx, &group.id, id, group.creator, false).await?;
        let record = require_conversation(&mut tx, &group.id).await?;
        let outbox = Outbox::of(&fanout);
        Ok((record, outbox.commit(tx, ids).await?))
    }

    async fn add_participants(
        &self,
        id: &ConversationId,
        by: UserId,
        members: Vec<(UserId, InboxBox)>,
        notify: Vec<UserId>,
        fanout: Fanout,
    ) -> Result<(ConversationEvent, Vec<Delivery>)> {
        let (conversation, ids) = (id, &self.ids);
        let mut tx = self.begin().await?;
        let last = lock(&mut tx, conversation)
            .await?
            .ok_or(Error::NotFound(Thing::Conversation))?;
        let (id, at) = (next_event_id(ids, last), now_ms());
        let users: Vec<UserId> = members.iter().map(|(u, _)| *u).collect();
        for (member, inbox) in &members {
            // They see their own join and what follows, nothing before it.
            let accepted = *inbox == InboxBox::Primary;
            let seq = ids.next_id();
            insert_participant(
                &mut tx,
                conversation,
                *member,
                *inbox,
                accepted,
                Some(id - 1),
                seq,
            )
            .await?;
        }
        let join = EventRow::membership(conversation, KIND_JOIN, by, &users, at);
        insert_event(&mut tx, id, join).await?;
        touch_members(&mut tx, conversation, id, by, false).await?;
        member_count(&mut tx, conversation).await?;
        let event = membership_event(KIND_JOIN, id, conversation, by, users, at);
        let mut outbox = Outbox::new();
        record_membership(&mut outbox, &notify, &event);
        outbox.add_all(&fanout);
        Ok((event, outbox.commit(tx, ids).await?))
    }

    async fn leave(
        &self,
        id: &ConversationId,
        user: UserId,
        notify: Vec<UserId>,
    ) -> Result<(ConversationEvent, Vec<Delivery>)> {
        let (conversation, ids) = (id, &self.ids);
        let mut tx = self.begin().await?;
        // No conversation means no membership to end: the same answer as SQLite gives.
        let last = lock(&mut tx, conversation)
            .await?
            .ok_or(Error::NotFound(Thing::Participant))?;
        let (id, at) = (next_event_id(ids, last), now_ms());
        let leave = EventRow::membership(conversation, KIND_LEAVE, user, &[user], at);
        insert_event(&mut tx, id, leave).await?;
        let n = sqlx::query(
            "UPDATE participants SET active = false, left_at_event = $3, pinned_at = NULL, unread_count = 0
             WHERE conversation_id = $1 AND user_id = $2 AND active",
        )
        .bind(conversation.as_str())
        .bind(user.0)
        .bind(id)
        .execute(&mut *tx)
        .await
        .db()?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Thing::Participant));
        }
        touch_members(&mut tx, conversation, id, user, false).await?;
        member_count(&mut tx, conversation).await?;
        let event = membership_event(KIND_LEAVE, id, conversation, user, vec![user], at);
        let mut outbox = Outbox::new();
        record_membership(&mut outbox, &notify, &event);
        Ok((event, outbox.commit(tx, ids).await?))
    }

    async fn rename(
        &self,
        id: &ConversationId,
        name: Option<String>,
        fanout: Fanout,
    ) -> Result<Vec<Delivery>> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE conversations SET name = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(&name)
            .execute(&mut *tx)
            .await
            .db()?;
        let outbox = Outbox::of(&fanout);
        outbox.commit(tx, &self.ids).await
    }

    async fn update_participant(
        &self,
        id: &ConversationId,
        user: UserId,
        patch: ParticipantPatch,
        fanout: Fanout,
    ) -> Result<(ParticipantRecord, Vec<Delivery>)> {
        let mut tx = self.begin().await?;
        // Locked so that deleting history sees the conversation's true last event and an
        // append in flight cannot count a message unread that the reset then hides.
        lock(&mut tx, id).await?;
        // The SQLite store applies the fields one by one, deleting history last; this is the
        // same outcome in one statement.
        sqlx::query(
            "UPDATE participants SET
                box = coalesce($3, box),
                muted = coalesce($4, muted),
                pinned_at = CASE WHEN $9 THEN NULL WHEN $5::boolean IS NULL THEN pinned_at
                                 WHEN $5 THEN coalesce(pinned_at, $10) ELSE NULL END,
                archived = CASE WHEN $9 THEN false ELSE coalesce($6, archived) END,
                accepted = coalesce($7, accepted),
                reported = coalesce($8, reported),
                visible_after = CASE WHEN $9 THEN (SELECT last_event_id FROM conversations WHERE id = $1)
                                     ELSE visible_after END,
                unread_count = CASE WHEN $9 THEN 0 ELSE unread_count END
             WHERE conversation_id = $1 AND user_id = $2",
        )
        .bind(id.as_str())
        .bind(user.0)
        .bind(patch.inbox.map(InboxBox::as_str))
        .bind(patch.muted)
        .bind(patch.pinned)
        .bind(patch.archived)
        .bind(patch.accepted)
        .bind(patch.reported)
        .bind(patch.delete_history)
        .bind(now_ms())
        .execute(&mut *tx)
        .await
        .db()?;
        let me = rows::participant_of(&mut tx, id, user)
            .await?
            .ok_or(Error::NotFound(Thing::Conversation))?;
        let outbox = Outbox::of(&fanout);
        Ok((me, outbox.commit(tx, &self.ids).await?))
    }

    async fn pinned_count(&self, user: UserId) -> Result<usize> {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM participants WHERE user_id = $1 AND active AND pinned_at IS NOT NULL",
        )
        .bind(user.0)
        .fetch_one(&self.pool)
        .await
        .db()?;
        Ok(usize::try_from(n).unwrap_or_default())
    }

    async fn inbox(&self, query: InboxQuery) -> Result<Page<InboxEntry>> {
        inbox_page(&mut *self.conn().await?, &query).await
    }

    async fn inbox_entry(&self, id: &ConversationId, user: UserId) -> Result<Option<InboxEntry>> {
        let mut c = self.conn().await?;
        let Some(conversation) = rows::conversation_by_id(&mut c, id).await? else {
            return Ok(None);
        };
        let Some(me) = rows::participant_of(&mut c, id, user).await? else {
            return Ok(None);
        };
        Ok(entries(&mut c, vec![(conversation, me)]).await?.pop())
    }
}
