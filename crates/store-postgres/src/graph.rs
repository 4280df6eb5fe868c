//! Follows, blocks, mutes, reports, and the facts admission needs.

use async_trait::async_trait;
use postern_core::error::Thing;
use postern_core::model::{AllowDmsFrom, Relationship, ReportTarget, User};
use postern_core::{ConversationId, Error, Result, UserId};
use postern_store::rows::{USER_COL_COUNT, support_enabled};
use postern_store::{AdmissionInputs, Changed, Fanout, GraphStore, NewReport, Page, page};
use sqlx::{PgConnection, Row};

use crate::PostgresStore;
use crate::fanout::Outbox;
use crate::rows::{self, Db, map_all, now_ms, sql_count, to_time};

/// An edge table and its two columns: (table, from, to).
type Edge = (&'static str, &'static str, &'static str);
const FOLLOWS: Edge = ("follows", "follower_id", "followee_id");
const BLOCKS: Edge = ("blocks", "blocker_id", "blocked_id");
const MUTES: Edge = ("mutes", "muter_id", "muted_id");

async fn add_edge(
    c: &mut PgConnection,
    (table, from, to): Edge,
    a: UserId,
    b: UserId,
    seq: i64,
) -> Result<bool> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)")
        .bind(b.0)
        .fetch_one(&mut *c)
        .await
        .db()?;
    if !exists {
        return Err(Error::NotFound(Thing::User));
    }
    let sql = format!(
        "INSERT INTO {table} ({from}, {to}, seq) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
    );
    let n = sqlx::query(&sql)
        .bind(a.0)
        .bind(b.0)
        .bind(seq)
        .execute(&mut *c)
        .await
        .db()?
        .rows_affected();
    Ok(n > 0)
}

async fn remove_edge(
    c: &mut PgConnection,
    (table, from, to): Edge,
    a: UserId,
    b: UserId,
) -> Result<bool> {
    let sql = format!("DELETE FROM {table} WHERE {from} = $1 AND {to} = $2");
    let n = sqlx::query(&sql)
        .bind(a.0)
        .bind(b.0)
        .execute(&mut *c)
        .await
        .db()?
        .rows_affected();
    Ok(n > 0)
}

/// Lists the users at the other end of `user`'s edges (or, `reverse`, pointing at `user`),
/// newest first; the cursor is the edge's `seq`.
async fn list_edges(
    store: &PostgresStore,
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
         WHERE e.{mine} = $1 AND e.seq < $2 ORDER BY e.seq DESC LIMIT $3"
    );
    let found = sqlx::query(&sql)
        .bind(user.0)
        .bind(before)
        .bind(sql_count(page::fetch_count(limit)))
        .fetch_all(&store.pool)
        .await
        .db()?;
    let mut found = map_all(found, |r| {
        Ok((rows::user(r)?, r.try_get::<i64, _>(USER_COL_COUNT)?))
    })?;
    let next_cursor = page::cut(&mut found, limit, |(_, seq)| seq.to_string());
    Ok(Page {
        items: found.into_iter().map(|(u, _)| u).collect(),
        next_cursor,
    })
}

#[async_trait]
impl GraphStore for PostgresStore {
    async fn follow(&self, follower: UserId, followee: UserId, fanout: Fanout) -> Result<Changed> {
        let seq = self.ids.next_id();
        let mut tx = self.begin().await?;
        let added = add_edge(&mut tx, FOLLOWS, follower, followee, seq).await?;
        Outbox::commit_if(added, &fanout, tx, &self.ids).await
    }

    async fn unfollow(
        &self,
        follower: UserId,
        followee: UserId,
        fanout: Fanout,
    ) -> Result<Changed> {
        let mut tx = self.begin().await?;
        let removed = remove_edge(&mut tx, FOLLOWS, follower, followee).await?;
        Outbox::commit_if(removed, &fanout, tx, &self.ids).await
    }

    async fn block(&self, blocker: UserId, blocked: UserId, fanout: Fanout) -> Result<Changed> {
        let seq = self.ids.next_id();
        let mut tx = self.begin().await?;
        let added = add_edge(&mut tx, BLOCKS, blocker, blocked, seq).await?;
        remove_edge(&mut tx, FOLLOWS, blocker, blocked).await?;
        remove_edge(&mut tx, FOLLOWS, blocked, blocker).await?;
        Outbox::commit_if(added, &fanout, tx, &self.ids).await
    }

    async fn unblock(&self, blocker: UserId, blocked: UserId, fanout: Fanout) -> Result<Changed> {
        let mut tx = self.begin().await?;
        let removed = remove_edge(&mut tx, BLOCKS, blocker, blocked).await?;
        Outbox::commit_if(removed, &fanout, tx, &self.ids).await
    }

    async fn mute(&self, muter: UserId, muted: UserId, fanout: Fanout) -> Result<Changed> {
        let seq = self.ids.next_id();
        let mut tx = self.begin().await?;
        let added = add_edge(&mut tx, MUTES, muter, muted, seq).await?;
        Outbox::commit_if(added, &fanout, tx, &self.ids).await
    }

    async fn unmute(&self, muter: UserId, muted: UserId, fanout: Fanout) -> Result<Changed> {
        let mut tx = self.begin().await?;
        let removed = remove_edge(&mut tx, MUTES, muter, muted).await?;
        Outbox::commit_if(removed, &fanout, tx, &self.ids).await
    }

    async fn relationships(&self, viewer: UserId, others: &[UserId]) -> Result<Vec<Relationship>> {
        // One round trip for the whole list, answered in the order asked.
        let found = sqlx::query(
            "SELECT
                EXISTS (SELECT 1 FROM follows WHERE follower_id = $1 AND followee_id = o),
                EXISTS (SELECT 1 FROM follows WHERE follower_id = o AND followee_id = $1),
                EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = o),
                EXISTS (SELECT 1 FROM blocks WHERE blocker_id = o AND blocked_id = $1),
                EXISTS (SELECT 1 FROM mutes WHERE muter_id = $1 AND muted_id = o)
             FROM unnest($2::bigint[]) WITH ORDINALITY AS t(o, n) ORDER BY n",
        )
        .bind(viewer.0)
        .bind(rows::raw_ids(others))
        .fetch_all(&self.pool)
        .await
        .db()?;
        map_all(found, |r| {
            Ok(Relationship {
                following: r.try_get(0)?,
                followed_by: r.try_get(1)?,
                blocking: r.try_get(2)?,
                blocked_by: r.try_get(3)?,
                muting: r.try_get(4)?,
            })
        })
    }

    async fn followers(
        &self,
        user: UserId,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<User>> {
        list_edges(self, FOLLOWS, true, user, cursor, limit).await
    }

    async fn following(
        &self,
        user: UserId,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<User>> {
        list_edges(self, FOLLOWS, false, user, cursor, limit).await
    }

    async fn blocked(
        &self,
        user: UserId,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<User>> {
        list_edges(self, BLOCKS, false, user, cursor, limit).await
    }

    async fn muted(
        &self,
        user: UserId,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<User>> {
        list_edges(self, MUTES, false, user, cursor, limit).await
    }

    async fn insert_report(&self, r: NewReport) -> Result<()> {
        let target_user: Option<i64> = match r.target {
            ReportTarget::User => r.target_id.parse().ok(),
            ReportTarget::Message => {
                sqlx::query_scalar("SELECT sender_id FROM events WHERE id = $1")
                    .bind(r.target_id.parse::<i64>().unwrap_or(-1))
                    .fetch_optional(&self.pool)
                    .await
                    .db()?
            }
            ReportTarget::Conversation => ConversationId::parse(&r.target_id)
                .and_then(|id| id.pair())
                .map(|(a, b)| if a == r.reporter { b.0 } else { a.0 }),
        };
        let target_type = serde_json::to_value(r.target)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        sqlx::query(
            "INSERT INTO reports (id, reporter_id, target_type, target_id, target_user_id, reason, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(r.id.0)
        .bind(r.reporter.0)
        .bind(target_type)
        .bind(&r.target_id)
        .bind(target_user)
        .bind(&r.reason)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .db()
        .map(drop)
    }

    async fn admission_inputs(&self, sender: UserId, recipient: UserId) -> Result<AdmissionInputs> {
        let conversation = ConversationId::one_to_one(sender, recipient);
        let row = sqlx::query(
            "SELECT
                EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1)),
                EXISTS (SELECT 1 FROM follows WHERE follower_id = $2 AND followee_id = $1),
                coalesce((SELECT accepted FROM participants WHERE conversation_id = $3 AND user_id = $2), false),
                r.allow_dms_from, r.quality_filter, s.verified, s.created_at,
                (SELECT count(*) FROM (SELECT 1 FROM reports WHERE target_user_id = $1 LIMIT 1000) against),
                r.support, s.support
             FROM users r, users s WHERE r.id = $2 AND s.id = $1",
        )
        .bind(sender.0)
        .bind(recipient.0)
        .bind(conversation.as_str())
        .fetch_optional(&self.pool)
        .await
        .db()?
        .ok_or(Error::NotFound(Thing::User))?;
        let count = |i: usize| -> sqlx::Result<u32> {
            Ok(u32::try_from(row.try_get::<i64, _>(i)?).unwrap_or(u32::MAX))
        };
        let inputs = (|| {
            let allow: String = row.try_get(3)?;
            Ok(AdmissionInputs {
                either_blocks: row.try_get(0)?,
                recipient_follows_sender: row.try_get(1)?,
                recipient_accepted_sender: row.try_get(2)?,
                recipient_allows: AllowDmsFrom::parse(&allow).unwrap_or_default(),
                recipient_quality_filter: row.try_get(4)?,
                sender_verified: row.try_get(5)?,
                sender_created_at: Some(to_time(row.try_get(6)?)),
                sender_reports_against: count(7)?,
                recipient_support: support_enabled(row.try_get::<Option<String>, _>(8)?.as_deref()),
                sender_support: support_enabled(row.try_get::<Option<String>, _>(9)?.as_deref()),
            })
        })();
        inputs.db()
    }

    async fn unanswered_requests(&self, sender: UserId) -> Result<u32> {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM (SELECT 1 FROM conversations cv
                 JOIN participants p ON p.conversation_id = cv.id
                 WHERE cv.created_by = $1 AND cv.kind = 'one_to_one' AND p.user_id <> $1
                   AND NOT p.accepted
                 LIMIT 1000) unanswered",
        )
        .bind(sender.0)
        .fetch_one(&self.pool)
        .await
        .db()?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}
