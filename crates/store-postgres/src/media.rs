//! Media records: uploads, attachments, expiry. The bytes are elsewhere (object storage).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use postern_core::media::Media;
use postern_core::{ConversationId, Error, EventId, MediaId, Result, UserId};
use postern_store::rows::{MEDIA_COLS, MediaColumns, attachment_json};
use postern_store::{MediaRecord, MediaStore, ReadyMedia};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::PostgresStore;
use crate::rows::{Db, map_all, now_ms, sql_count};

fn media(r: &PgRow) -> sqlx::Result<MediaColumns> {
    Ok(MediaColumns {
        id: r.try_get(0)?,
        owner_id: r.try_get(1)?,
        category: r.try_get(2)?,
        media_type: r.try_get(3)?,
        shared: r.try_get(4)?,
        state: r.try_get(5)?,
        total_bytes: r.try_get(6)?,
        size: r.try_get(7)?,
        width: r.try_get(8)?,
        height: r.try_get(9)?,
        duration_ms: r.try_get(10)?,
        has_thumbnail: r.try_get(11)?,
        attached: r.try_get(12)?,
        created_at: r.try_get(13)?,
        expires_at: r.try_get(14)?,
    })
}

/// PostgreSQL has no unsigned columns; sizes and counts are stored as bigint.
fn signed(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

/// Claims `media` for the message `event` just appended in this transaction (which holds the
/// conversation's lock): it must be the sender's, ready, unexpired, and shared or never
/// attached. A concurrent claim of the same unshared media waits on its row and then finds
/// it attached. Attached media no longer expires.
pub(crate) async fn attach(
    tx: &mut PgConnection,
    media: &Media,
    sender: UserId,
    conversation: &ConversationId,
    event: EventId,
) -> Result<()> {
    let claimed = sqlx::query(
        "UPDATE media SET attached = true, expires_at = NULL
         WHERE id = $1 AND owner_id = $2 AND state = 'ready' AND (shared OR NOT attached)
           AND (expires_at IS NULL OR expires_at > $3)",
    )
    .bind(media.id.0)
    .bind(sender.0)
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .db()?
    .rows_affected();
    if claimed == 0 {
        return Err(Error::media_unavailable());
    }
    sqlx::query(
        "INSERT INTO media_attachments (conversation_id, event_id, media_id) VALUES ($1, $2, $3)",
    )
    .bind(conversation.as_str())
    .bind(event.0)
    .bind(media.id.0)
    .execute(&mut *tx)
    .await
    .db()?;
    sqlx::query("UPDATE events SET attachment = $3 WHERE conversation_id = $1 AND id = $2")
        .bind(conversation.as_str())
        .bind(event.0)
        .bind(attachment_json(Some(media))?)
        .execute(&mut *tx)
        .await
        .db()?;
    Ok(())
}

/// A message deleted for everyone lets go of its media: unshared media then has no use left
/// and expires now, so the sweep removes its bytes; shared media stays for its owner.
pub(crate) async fn detach(
    tx: &mut PgConnection,
    conversation: &ConversationId,
    event: i64,
) -> Result<()> {
    let media: Option<i64> = sqlx::query_scalar(
        "DELETE FROM media_attachments WHERE conversation_id = $1 AND event_id = $2 RETURNING media_id",
    )
    .bind(conversation.as_str())
    .bind(event)
    .fetch_optional(&mut *tx)
    .await
    .db()?;
    if let Some(id) = media {
        sqlx::query(
            "UPDATE media SET expires_at = $2 WHERE id = $1 AND NOT shared
               AND NOT EXISTS (SELECT 1 FROM media_attachments WHERE media_id = $1)",
        )
        .bind(id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await
        .db()?;
    }
    Ok(())
}

#[async_trait]
impl MediaStore for PostgresStore {
    async fn insert_media(&self, m: MediaRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO media (id, owner_id, category, media_type, shared, state, total_bytes, size,
                                width, height, duration_ms, has_thumbnail, attached, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(m.id.0)
        .bind(m.owner_id.0)
        .bind(m.category.as_str())
        .bind(m.media_type.mime())
        .bind(m.shared)
        .bind(m.state.as_str())
        .bind(signed(m.total_bytes))
        .bind(signed(m.size))
        .bind(signed(m.width))
        .bind(signed(m.height))
        .bind(m.duration_ms.map(signed))
        .bind(m.has_thumbnail)
        .bind(m.attached)
        .bind(m.created_at.timestamp_millis())
        .bind(m.expires_at.map(|t| t.timestamp_millis()))
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn media(&self, id: MediaId) -> Result<Option<MediaRecord>> {
        let found = sqlx::query(&format!("SELECT {MEDIA_COLS} FROM media WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .db()?;
        found.map(|r| media(&r).db()?.into_record()).transpose()
    }

    async fn uploads_in_progress(&self, owner: UserId) -> Result<(u64, u64)> {
        let (count, bytes): (i64, i64) = sqlx::query_as(
            "SELECT count(*), coalesce(sum(total_bytes), 0)::BIGINT FROM media
             WHERE owner_id = $1 AND state = 'uploading'",
        )
        .bind(owner.0)
        .fetch_one(&self.pool)
        .await
        .db()?;
        Ok((count.max(0).unsigned_abs(), bytes.max(0).unsigned_abs()))
    }

    async fn complete_media(&self, id: MediaId, ready: ReadyMedia) -> Result<bool> {
        let updated = sqlx::query(
            "UPDATE media SET state = 'ready', size = $2, width = $3, height = $4, duration_ms = $5,
                              has_thumbnail = $6
             WHERE id = $1 AND state = 'uploading'",
        )
        .bind(id.0)
        .bind(signed(ready.size))
        .bind(signed(ready.width))
        .bind(signed(ready.height))
        .bind(ready.duration_ms.map(signed))
        .bind(ready.has_thumbnail)
        .execute(&self.pool)
        .await
        .db()?
        .rows_affected();
        Ok(updated > 0)
    }

    async fn delete_unattached_media(&self, id: MediaId) -> Result<bool> {
        let deleted = sqlx::query("DELETE FROM media WHERE id = $1 AND NOT attached")
            .bind(id.0)
            .execute(&self.pool)
            .await
            .db()?
            .rows_affected();
        Ok(deleted > 0)
    }

    async fn media_attachments(&self, id: MediaId) -> Result<Vec<(ConversationId, EventId)>> {
        let found = sqlx::query(
            "SELECT conversation_id, event_id FROM media_attachments WHERE media_id = $1",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .db()?;
        map_all(found, |r| {
            Ok((
                ConversationId::from_stored(r.try_get(0)?),
                EventId(r.try_get(1)?),
            ))
        })
    }

    async fn take_expired_media(&self, now: DateTime<Utc>, batch: usize) -> Result<Vec<MediaId>> {
        // Three reads of one table each, as a distributed PostgreSQL keeps media by id and
        // attachments by conversation: the expired uploads, which of them a message holds,
        // then the rest deleted. The delete checks expiry again, so media attached meanwhile
        // (attaching clears its expiry) is kept; another node's sweep deleting the same rows
        // first leaves this one nothing to return for them.
        let mut tx = self.begin().await?;
        let expired: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM media WHERE expires_at < $1 ORDER BY expires_at LIMIT $2",
        )
        .bind(now.timestamp_millis())
        .bind(sql_count(batch))
        .fetch_all(&mut *tx)
        .await
        .db()?;
        if expired.is_empty() {
            return Ok(Vec::new());
        }
        let held: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT media_id FROM media_attachments WHERE media_id = ANY($1)",
        )
        .bind(&expired)
        .fetch_all(&mut *tx)
        .await
        .db()?;
        let free: Vec<i64> = expired
            .into_iter()
            .filter(|id| !held.contains(id))
            .collect();
        let taken: Vec<i64> = sqlx::query_scalar(
            "DELETE FROM media WHERE id = ANY($1) AND expires_at < $2 RETURNING id",
        )
        .bind(&free)
        .bind(now.timestamp_millis())
        .fetch_all(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(taken.into_iter().map(MediaId).collect())
    }
}
