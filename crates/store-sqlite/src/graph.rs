//! Follows, blocks, mutes, reports, and the facts admission needs.

use async_trait::async_trait;
use postern_core::error::Thing;
use postern_core::model::{AllowDmsFrom, Relationship, User};
use postern_core::{ConversationId, Error, Result, UserId};
use postern_store::rows::{USER_COL_COUNT, support_enabled};
use postern_store::{AdmissionInputs, Changed, Fanout, GraphStore, NewReport, Page, page};
use rusqlite::{Connection, OptionalExtension};

use crate::SqliteStore;
use crate::fanout;
use crate::rows::{self, Db, now_ms, to_time};

/// An edge table and its two columns: (table, from, to).
type Edge = (&'static str, &'static str, &'static str);
const FOLLOWS: Edge = ("follows", "follower_id", "followee_id");
const BLOCKS: Edge = ("blocks", "blocker_id", "blocked_id");
const MUTES: Edge = ("mutes", "muter_id", "muted_id");

fn add_edge(
    c: &Connection,
    (table, from, to): Edge,
    a: UserId,
    b: UserId,
    seq: i64,
) -> Result<bool> {
    let exists: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE id = ?1)")
        .db()?
        .query_row([b.0], |r| r.get(0))
        .db()?;
    if !exists {
        return Err(Error::NotFound(Thing::User));
    }
    let sql = format!("INSERT OR IGNORE INTO {table} ({from}, {to}, seq) VALUES (?1, ?2, ?3)");
    Ok(c.prepare_cached(&sql).db()?.execute((a.0, b.0, seq)).db()? > 0)
}

fn remove_edge(c: &Connection, (table, from, to): Edge, a: UserId, b: UserId) -> Result<bool> {
    let sql = format!("DELETE FROM {table} WHERE {from} = ?1 AND {to} = ?2");
    Ok(c.prepare_cached(&sql).db()?.execute((a.0, b.0)).db()? > 0)
}

/// Lists the users at the other end of `user`'s edges (or, `reverse`, pointing at `user`),
/// newest first; the cursor is the edge's `seq`.
fn list_edges(
    c: &Connection,
    (table, from, to): Edge,
    reverse: bool,
    user: UserId,
    cursor: Option<String>,
    limit: usize,
) -> Result<Page<User>> {
    let (mine, theirs) = if reverse { (to, from) } else { (from, to) };
    let before = page::parse_key(cursor.as_deref(), "this list")?;
    let sql = format!(
        "SELECT u.id, u.screen_name, u.name, u.description, u.avatar_key, u.verified, u.created_at, u.support, e.seq
         FROM {table} e JOIN users u ON u.id = e.{theirs}
         WHERE e.{mine} = ?1 AND e.seq < ?2 ORDER BY e.seq DESC LIMIT ?3"
    );
    let mut stmt = c.prepare_cached(&sql).db()?;
    let found = stmt
        .query_map((user.0, before, page::fetch_count(limit)), |r| {
            Ok((rows::user(r)?, r.get::<_, i64>(USER_COL_COUNT)?))
        })
        .db()?;
    let mut found = found.collect::<rusqlite::Result<Vec<_>>>().db()?;
    let next_cursor = page::cut(&mut found, limit, |(_, seq)| seq.to_string());
    Ok(Page {
        items: found.into_iter().map(|(u, _)| u).collect(),
        next_cursor,
    })
}

/// Records `fanout` when the edge changed: an unchanged edge tells no one.
fn record_if(c: &Connection, changed: bool, fanout: &Fanout) -> Result<Changed> {
    if !changed {
        return Ok((false, Vec::new()));
    }
    Ok((true, fanout::record(c, fanout)?))
}

fn has_edge(c: &Connection, (table, from, to): Edge, a: UserId, b: UserId) -> Result<bool> {
    let sql = format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE {from} = ?1 AND {to} = ?2)");
    c.prepare_cached(&sql)
        .db()?
        .query_row((a.0, b.0), |r| r.get(0))
        .db()
}

#[async_trait]
impl GraphStore for SqliteStore {
    async fn follow(&self, follower: UserId, followee: UserId, fanout: Fanout) -> Result<Changed> {
        let seq = self.ids.next_id();
        self.write(move |c| {
            let added = add_edge(c, FOLLOWS, follower, followee, seq)?;
            record_if(c, added, &fanout)
        })
        .await
    }

    async fn unfollow(
        &self,
        follower: UserId,
        followee: UserId,
        fanout: Fanout,
    ) -> Result<Changed> {
        self.write(move |c| {
            let removed = remove_edge(c, FOLLOWS, follower, followee)?;
            record_if(c, removed, &fanout)
        })
        .await
    }

    async fn block(&self, blocker: UserId, blocked: UserId, fanout: Fanout) -> Result<Changed> {
        let seq = self.ids.next_id();
        self.write(move |c| {
            let added = add_edge(c, BLOCKS, blocker, blocked, seq)?;
            remove_edge(c, FOLLOWS, blocker, blocked)?;
            remove_edge(c, FOLLOWS, blocked, blocker)?;
            record_if(c, added, &fanout)
        })
        .await
    }

    async fn unblock(&self, blocker: UserId, blocked: UserId, fanout: Fanout) -> Result<Changed> {
        self.write(move |c| {
            let removed = remove_edge(c, BLOCKS, blocker, blocked)?;
            record_if(c, removed, &fanout)
        })
        .await
    }

    async fn mute(&self, muter: UserId, muted: UserId, fanout: Fanout) -> Result<Changed> {
        let seq = self.ids.next_id();
        self.write(move |c| {
            let added = add_edge(c, MUTES, muter, muted, seq)?;
            record_if(c, added, &fanout)
        })
        .await
    }

    async fn unmute(&self, muter: UserId, muted: UserId, fanout: Fanout) -> Result<Changed> {
        self.write(move |c| {
            let removed = remove_edge(c, MUTES, muter, muted)?;
            record_if(c, removed, &fanout)
        })
        .await
    }

    async fn relationships(&self, viewer: UserId, others: &[UserId]) -> Result<Vec<Relationship>> {
        let others = others.to_vec();
        self.lookup(move |c| {
            others
                .iter()
                .map(|&o| {
                    Ok(Relationship {
                        following: has_edge(c, FOLLOWS, viewer, o)?,
                        followed_by: has_edge(c, FOLLOWS, o, viewer)?,
                        blocking: has_edge(c, BLOCKS, viewer, o)?,
                        blocked_by: has_edge(c, BLOCKS, o, viewer)?,
                        muting: has_edge(c, MUTES, viewer, o)?,
                    })
                })
                .collect()
        })
        .await
    }

    async fn followers(
        &self,
        user: UserId,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<User>> {
        self.read(move |c| list_edges(c, FOLLOWS, true, user, cursor, limit))
            .await
    }

    async fn following(
        &self,
        user: UserId,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<User>> {
        self.read(move |c| list_edges(c, FOLLOWS, false, user, cursor, limit))
            .await
    }

    async fn blocked(
        &self,
        user: UserId,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<User>> {
        self.read(move |c| list_edges(c, BLOCKS, false, user, cursor, limit))
            .await
    }

    async fn muted(
        &self,
        user: UserId,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<User>> {
        self.read(move |c| list_edges(c, MUTES, false, user, cursor, limit))
            .await
    }

    async fn insert_report(&self, r: NewReport) -> Result<()> {
        self.write(move |c| {
            let target_user: Option<i64> = match r.target {
                postern_core::model::ReportTarget::User => r.target_id.parse().ok(),
                postern_core::model::ReportTarget::Message => c
                    .query_row("SELECT sender_id FROM events WHERE id = ?1", [r.target_id.parse::<i64>().unwrap_or(-1)], |row| row.get(0))
                    .optional()
                    .db()?,
                postern_core::model::ReportTarget::Conversation => ConversationId::parse(&r.target_id)
                    .and_then(|id| id.pair())
                    .map(|(a, b)| if a == r.reporter { b.0 } else { a.0 }),
            };
            let target_type = serde_json::to_value(r.target).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            c.execute(
                "INSERT INTO reports (id, reporter_id, target_type, target_id, target_user_id, reason, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                (r.id.0, r.reporter.0, target_type, &r.target_id, target_user, &r.reason, now_ms()),
            )
            .db()?;
            Ok(())
        })
        .await
    }

    async fn admission_inputs(&self, sender: UserId, recipient: UserId) -> Result<AdmissionInputs> {
        let conversation = ConversationId::one_to_one(sender, recipient);
        self.lookup(move |c| {
            let sql = "SELECT
                EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = ?1 AND blocked_id = ?2) OR (blocker_id = ?2 AND blocked_id = ?1)),
                EXISTS (SELECT 1 FROM follows WHERE follower_id = ?2 AND followee_id = ?1),
                coalesce((SELECT accepted FROM participants WHERE conversation_id = ?3 AND user_id = ?2), 0),
                r.allow_dms_from, r.quality_filter, s.verified, s.created_at,
                (SELECT count(*) FROM (SELECT 1 FROM reports WHERE target_user_id = ?1 LIMIT 1000)),
                r.support, s.support
              FROM users r, users s WHERE r.id = ?2 AND s.id = ?1";
            c.prepare_cached(sql)
                .db()?
                .query_row((sender.0, recipient.0, conversation.as_str()), |r| {
                    let allow: String = r.get(3)?;
                    Ok(AdmissionInputs {
                        either_blocks: r.get(0)?,
                        recipient_follows_sender: r.get(1)?,
                        recipient_accepted_sender: r.get(2)?,
                        recipient_allows: AllowDmsFrom::parse(&allow).unwrap_or_default(),
                        recipient_quality_filter: r.get(4)?,
                        sender_verified: r.get(5)?,
                        sender_created_at: Some(to_time(r.get(6)?)),
                        sender_reports_against: r.get(7)?,
                        recipient_support: support_enabled(r.get::<_, Option<String>>(8)?.as_deref()),
                        sender_support: support_enabled(r.get::<_, Option<String>>(9)?.as_deref()),
                    })
                })
                .optional()
                .db()?
                .ok_or(Error::NotFound(Thing::User))
        })
        .await
    }

    async fn unanswered_requests(&self, sender: UserId) -> Result<u32> {
        self.lookup(move |c| {
            c.prepare_cached(
                "SELECT count(*) FROM (SELECT 1 FROM conversations cv
                     JOIN participants p ON p.conversation_id = cv.id
                     WHERE cv.created_by = ?1 AND cv.kind = 'one_to_one' AND p.user_id != ?1
                       AND p.accepted = 0
                     LIMIT 1000)",
            )
            .db()?
            .query_row([sender.0], |r| r.get(0))
            .db()
        })
        .await
    }
}
