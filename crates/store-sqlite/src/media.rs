//! Media records: uploads, attachments, expiry. The bytes are elsewhere (object storage).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use postern_core::{ConversationId, Error, EventId, MediaId, Result, UserId};
use postern_store::rows::{MEDIA_COLS, MediaColumns};
use postern_store::{MediaRecord, MediaStore, ReadyMedia};
use rusqlite::{Connection, OptionalExtension, Row};

use crate::SqliteStore;
use crate::rows::Db;

fn media(r: &Row<'_>) -> rusqlite::Result<MediaColumns> {
    Ok(MediaColumns {
        id: r.get(0)?,
        owner_id: r.get(1)?,
        category: r.get(2)?,
        media_type: r.get(3)?,
        shared: r.get(4)?,
        state: r.get(5)?,
        total_bytes: r.get(6)?,
        size: r.get(7)?,
        width: r.get(8)?,
        height: r.get(9)?,
        duration_ms: r.get(10)?,
        has_thumbnail: r.get(11)?,
        attached: r.get(12)?,
        created_at: r.get(13)?,
        expires_at: r.get(14)?,
    })
}

/// Claims media for a message being appended (inside its write): it must be the sender's,
/// ready, unexpired, and shared or never attached. Attached media no longer expires.
pub(crate) fn attach(
    c: &Connection,
    id: MediaId,
    sender: UserId,
    conversation: &ConversationId,
    event: i64,
    at: i64,
) -> Result<()> {
    let claimed = c
        .prepare_cached(
            "UPDATE media SET attached = 1, expires_at = NULL
             WHERE id = ?1 AND owner_id = ?2 AND state = 'ready' AND (shared = 1 OR attached = 0)
               AND (expires_at IS NULL OR expires_at > ?3)",
        )
        .db()?
        .execute((id.0, sender.0, at))
        .db()?;
    if claimed == 0 {
        return Err(Error::media_unavailable());
    }
    c.prepare_cached(
        "INSERT INTO media_attachments (conversation_id, event_id, media_id) VALUES (?1, ?2, ?3)",
    )
    .db()?
    .execute((conversation.as_str(), event, id.0))
    .db()?;
    Ok(())
}

/// A message deleted for everyone lets go of its media: unshared media then has no use left
/// and expires now, so the sweep removes its bytes; shared media stays for its owner.
pub(crate) fn detach(
    c: &Connection,
    conversation: &ConversationId,
    event: i64,
    now: i64,
) -> Result<()> {
    let media: Option<i64> = c
        .prepare_cached(
            "DELETE FROM media_attachments WHERE conversation_id = ?1 AND event_id = ?2 RETURNING media_id",
        )
        .db()?
        .query_row((conversation.as_str(), event), |r| r.get(0))
        .optional()
        .db()?;
    if let Some(id) = media {
        c.prepare_cached(
            "UPDATE media SET expires_at = ?2 WHERE id = ?1 AND shared = 0
               AND NOT EXISTS (SELECT 1 FROM media_attachments WHERE media_id = ?1)",
        )
        .db()?
        .execute((id, now))
        .db()?;
    }
    Ok(())
}

#[async_trait]
impl MediaStore for SqliteStore {
    async fn insert_media(&self, m: MediaRecord) -> Result<()> {
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO media (id, owner_id, category, media_type, shared, state, total_bytes, size,
                                    width, height, duration_ms, has_thumbnail, attached, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )
            .db()?
            .execute(rusqlite::params![
                m.id.0,
                m.owner_id.0,
                m.category.as_str(),
                m.media_type.mime(),
                m.shared,
                m.state.as_str(),
                m.total_bytes,
                m.size,
                m.width,
                m.height,
                m.duration_ms,
                m.has_thumbnail,
                m.attached,
                m.created_at.timestamp_millis(),
                m.expires_at.map(|t| t.timestamp_millis()),
            ])
            .db()?;
            Ok(())
        })
        .await
    }

    async fn media(&self, id: MediaId) -> Result<Option<MediaRecord>> {
        let found = self
            .lookup(move |c| {
                let sql = format!("SELECT {MEDIA_COLS} FROM media WHERE id = ?1");
                c.prepare_cached(&sql)
                    .db()?
                    .query_row([id.0], media)
                    .optional()
                    .db()
            })
            .await?;
        found.map(MediaColumns::into_record).transpose()
    }

    async fn uploads_in_progress(&self, owner: UserId) -> Result<(u64, u64)> {
        let (count, bytes): (i64, i64) = self
            .lookup(move |c| {
                c.prepare_cached(
                    "SELECT count(*), coalesce(sum(total_bytes), 0) FROM media
                     WHERE owner_id = ?1 AND state = 'uploading'",
                )
                .db()?
                .query_row([owner.0], |r| Ok((r.get(0)?, r.get(1)?)))
                .db()
            })
            .await?;
        Ok((count.max(0).unsigned_abs(), bytes.max(0).unsigned_abs()))
    }

    async fn complete_media(&self, id: MediaId, ready: ReadyMedia) -> Result<bool> {
        self.write(move |c| {
            let updated = c
                .prepare_cached(
                    "UPDATE media SET state = 'ready', size = ?2, width = ?3, height = ?4, duration_ms = ?5,
                                      has_thumbnail = ?6
                     WHERE id = ?1 AND state = 'uploading'",
                )
                .db()?
                .execute(rusqlite::params![
                    id.0,
                    ready.size,
                    ready.width,
                    ready.height,
                    ready.duration_ms,
                    ready.has_thumbnail,
                ])
                .db()?;
            Ok(updated > 0)
        })
        .await
    }

    async fn delete_unattached_media(&self, id: MediaId) -> Result<bool> {
        self.write(move |c| {
            let deleted = c
                .prepare_cached("DELETE FROM media WHERE id = ?1 AND attached = 0")
                .db()?
                .execute([id.0])
                .db()?;
            Ok(deleted > 0)
        })
        .await
    }

    async fn media_attachments(&self, id: MediaId) -> Result<Vec<(ConversationId, EventId)>> {
        self.lookup(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT conversation_id, event_id FROM media_attachments WHERE media_id = ?1",
                )
                .db()?;
            let rows = stmt
                .query_map([id.0], |r| {
                    Ok((ConversationId::from_stored(r.get(0)?), EventId(r.get(1)?)))
                })
                .db()?;
            rows.collect::<rusqlite::Result<_>>().db()
        })
        .await
    }

    async fn take_expired_media(&self, now: DateTime<Utc>, batch: usize) -> Result<Vec<MediaId>> {
        let now = now.timestamp_millis();
        let limit = i64::try_from(batch).unwrap_or(i64::MAX);
        self.write(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "DELETE FROM media WHERE id IN (
                         SELECT id FROM media m WHERE expires_at < ?1
                           AND NOT EXISTS (SELECT 1 FROM media_attachments a WHERE a.media_id = m.id)
                         LIMIT ?2)
                     RETURNING id",
                )
                .db()?;
            let rows = stmt.query_map((now, limit), |r| r.get(0).map(MediaId)).db()?;
            rows.collect::<rusqlite::Result<_>>().db()
        })
        .await
    }
}
