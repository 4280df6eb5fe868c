//! Media (SPEC §3.6): simple and chunked uploads, the checks every upload passes before it
//! can be attached, who may fetch what, and the expiry of unattached uploads.
//!
//! Every upload is recorded (as `uploading`, expiring in 24 hours) before any of its bytes
//! are stored, and becomes `ready` only after they are: a crash in between leaves a record
//! the expiry sweep removes with whatever bytes got stored, never bytes nobody knows about.

use bytes::Bytes;
use chrono::Utc;
use futures::{Stream, StreamExt};
use postern_core::error::Thing;
use postern_core::media::{MediaCategory, MediaType, MediaUpload, UploadPart, UploadState};
use postern_core::{Error, Invalid, MediaId, Result, UserId};
use postern_media::content::{self, Checked};
pub use postern_media::storage::{Rendition, Stored};
use postern_store::{MediaRecord, NewUpload, ReadyMedia};
use tokio::io::AsyncWriteExt;

use crate::Services;

/// What an upload declares: its type, its category (from the type when not given), and
/// whether its owner may reuse it.
#[derive(Debug, Clone, Copy)]
pub struct Declared {
    pub media_type: MediaType,
    pub category: Option<MediaCategory>,
    pub shared: bool,
}

impl Declared {
    /// The category, checked to take the type.
    pub fn category(&self) -> Result<MediaCategory> {
        let category = self
            .category
            .unwrap_or_else(|| MediaCategory::for_type(self.media_type));
        content::check_category(category, self.media_type)?;
        Ok(category)
    }
}

/// An upload's bytes on local disk while they are checked; removed when dropped.
pub struct Staged {
    file: tempfile::NamedTempFile,
    size: u64,
}

impl Staged {
    /// The type the file's first bytes say it is, for clients that do not say (Twitter's
    /// simple upload sends the file alone).
    pub fn sniffed(&self) -> Result<MediaType> {
        use std::io::Read;
        let mut head = [0u8; 64];
        let mut file = self.file.reopen().map_err(Error::internal)?;
        let n = file.read(&mut head).map_err(Error::internal)?;
        postern_media::content::sniff(head.get(..n).unwrap_or_default()).ok_or_else(|| {
            Error::UnsupportedMedia(Invalid {
                field: "media".into(),
                message: "is not a JPEG, PNG, GIF or WebP image, or an MP4 or MOV video".into(),
            })
        })
    }
}

impl Services {
    /// The largest upload `declared` may be, in bytes.
    pub fn media_cap(&self, declared: &Declared) -> Result<u64> {
        Ok(declared.category()?.max_bytes(&self.config.limits))
    }

    /// Writes an upload's body to a staging file, refusing it as soon as it passes `max`
    /// bytes; nothing of a refused or interrupted upload is kept.
    pub async fn stage<S, E>(&self, mut body: S, max: u64) -> Result<Staged>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let file = self.media.staging_file()?;
        let mut out = tokio::io::BufWriter::new(tokio::fs::File::from_std(
            file.reopen().map_err(Error::internal)?,
        ));
        let mut size: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| {
                Error::invalid(content::FIELD, format!("the upload was interrupted: {e}"))
            })?;
            size = size.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
            if size > max {
                return Err(too_large(format!("must be at most {max} bytes")));
            }
            out.write_all(&chunk).await.map_err(Error::internal)?;
        }
        out.flush().await.map_err(Error::internal)?;
        Ok(Staged { file, size })
    }

    /// `POST /media`: checks and stores a whole upload at once.
    pub async fn upload(
        &self,
        me: UserId,
        declared: Declared,
        staged: Staged,
    ) -> Result<MediaUpload> {
        let record = self.new_upload(me, &declared, staged.size)?;
        self.store.insert_media(record.clone()).await?;
        self.finish_upload(record, staged).await
    }

    /// `POST /media/uploads`: starts a chunked upload of `total_bytes`.
    pub async fn start_upload(
        &self,
        me: UserId,
        declared: Declared,
        total_bytes: u64,
    ) -> Result<MediaUpload> {
        if total_bytes == 0 {
            return Err(Error::invalid("total_bytes", "must be at least 1"));
        }
        let record = self.new_upload(me, &declared, total_bytes)?;
        self.check_upload_quota(me, total_bytes).await?;
        self.store.insert_media(record.clone()).await?;
        Ok(record.upload(Vec::new()))
    }

    /// One account's chunked uploads in progress are bounded in number and in declared
    /// bytes (one account had run 20 at once, each declaring 512 MB). Two starting at the
    /// same moment may both pass; the overshoot is bounded by what one client sends at once.
    async fn check_upload_quota(&self, me: UserId, total_bytes: u64) -> Result<()> {
        let limits = &self.config.limits;
        let (count, bytes) = self.store.uploads_in_progress(me).await?;
        if count >= limits.media_uploads_in_progress {
            return Err(Error::RateLimited {
                what: "chunked uploads in progress for this account (complete one, or let it \
                       expire, first)",
                retry_after: std::time::Duration::from_secs(60),
            });
        }
        let most = limits.media_upload_bytes_in_progress;
        if bytes.saturating_add(total_bytes) > most {
            return Err(Error::TooLarge(Invalid {
                field: "total_bytes".into(),
                message: format!(
                    "with the {bytes} bytes of uploads already in progress this would be more \
                     than the {most} bytes an account may have in progress"
                ),
            }));
        }
        Ok(())
    }

    /// `PUT /media/uploads/{id}/parts/{n}`: stores one part (again, if it was sent before).
    /// Parts may arrive in any order.
    pub async fn put_part<S, E>(
        &self,
        me: UserId,
        id: MediaId,
        number: u32,
        body: S,
    ) -> Result<MediaUpload>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let limits = &self.config.limits;
        let record = self.in_progress(me, id).await?;
        if number >= limits.media_parts {
            return Err(Error::invalid(
                "part",
                format!(
                    "must be between 0 and {}, got {number}",
                    limits.media_parts - 1
                ),
            ));
        }
        let bytes = collect_part(body, limits.media_part_bytes).await?;
        if bytes.is_empty() {
            return Err(Error::invalid("part", "must not be empty"));
        }
        let mut parts = self.media.parts(id).await?;
        parts.retain(|p| p.number != number);
        let others: u64 = parts.iter().map(|p| p.size).sum();
        let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if others.saturating_add(size) > record.total_bytes {
            return Err(too_large(format!(
                "the parts add up to more than total_bytes ({})",
                record.total_bytes
            )));
        }
        self.media.put_part(id, number, bytes).await?;
        parts.push(UploadPart { number, size });
        parts.sort_by_key(|p| p.number);
        Ok(record.upload(parts))
    }

    /// `GET /media/uploads/{id}`: where an upload stands, with the parts received so far
    /// (what a client resuming after an interruption needs).
    pub async fn upload_status(&self, me: UserId, id: MediaId) -> Result<MediaUpload> {
        let record = self.own_media(me, id).await?;
        let parts = match record.state {
            UploadState::Uploading => self.media.parts(id).await?,
            UploadState::Ready => Vec::new(),
        };
        Ok(record.upload(parts))
    }

    /// `POST /media/uploads/{id}/complete`: joins the parts, checks the whole, stores it.
    /// Completing a ready upload answers it again. A refused upload is removed entirely.
    pub async fn complete_upload(&self, me: UserId, id: MediaId) -> Result<MediaUpload> {
        let record = self.own_media(me, id).await?;
        if record.state == UploadState::Ready {
            return Ok(record.upload(Vec::new()));
        }
        let parts = self.media.parts(id).await?;
        check_parts(&parts, record.total_bytes)?;
        let file = self.media.staging_file()?;
        self.media.join_parts(id, &parts, file.path()).await?;
        let staged = Staged {
            file,
            size: record.total_bytes,
        };
        let done = self.finish_upload(record, staged).await?;
        self.media.delete_parts(id).await?;
        Ok(done)
    }

    /// Checks `staged` against `record`, stores what the checks produce, and marks it ready.
    /// A refusal removes the record and every byte stored for it.
    async fn finish_upload(&self, record: MediaRecord, staged: Staged) -> Result<MediaUpload> {
        let id = record.id;
        let stored = self.check_and_store(&record, &staged).await;
        let ready = match stored {
            Ok(ready) => ready,
            Err(e) => {
                self.forget_upload(id).await;
                return Err(e);
            }
        };
        if !self.store.complete_media(id, ready).await? {
            // Completed by a concurrent call (then it is ready), or swept as expired.
            return self.upload_status(record.owner_id, id).await;
        }
        metrics::counter!("postern_media_uploaded_total", "category" => record.category.as_str())
            .increment(1);
        let done = self
            .store
            .media(id)
            .await?
            .ok_or(Error::NotFound(Thing::Media))?;
        Ok(done.upload(Vec::new()))
    }

    async fn check_and_store(&self, record: &MediaRecord, staged: &Staged) -> Result<ReadyMedia> {
        let checked = self.check_content(record, staged).await?;
        let id = record.id;
        let size = match checked.content {
            Some(bytes) => {
                let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
                self.media.put(id, Rendition::Original, bytes).await?;
                size
            }
            None => {
                self.media.put_content_file(id, staged.file.path()).await?;
                staged.size
            }
        };
        let has_thumbnail = checked.thumbnail.is_some();
        if let Some(thumbnail) = checked.thumbnail {
            self.media.put(id, Rendition::Thumbnail, thumbnail).await?;
        }
        Ok(ReadyMedia {
            size,
            width: checked.width,
            height: checked.height,
            duration_ms: checked.duration_ms,
            has_thumbnail,
        })
    }

    /// Decoding takes a core and up to `media_decode_bytes` of memory, so it runs off the
    /// async threads, a few at a time.
    async fn check_content(&self, record: &MediaRecord, staged: &Staged) -> Result<Checked> {
        let _permit = self.media_checks.acquire().await.map_err(Error::internal)?;
        let path = staged.file.path().to_owned();
        let (size, declared, category) = (staged.size, record.media_type, record.category);
        let limits = self.config.limits.clone();
        tokio::task::spawn_blocking(move || {
            content::check(&path, size, declared, category, &limits)
        })
        .await
        .map_err(Error::internal)?
    }

    /// Removes a refused upload: its record, then its bytes. Failures are logged; the
    /// record's expiry lets the sweep finish the job.
    async fn forget_upload(&self, id: MediaId) {
        if let Err(e) = self.store.delete_unattached_media(id).await {
            tracing::warn!(media = %id, error = %e, "removing a refused upload's record failed");
            return;
        }
        if let Err(e) = self.media.delete_all(id).await {
            tracing::warn!(media = %id, error = %e, "removing a refused upload's bytes failed");
        }
    }

    fn new_upload(&self, me: UserId, declared: &Declared, total_bytes: u64) -> Result<MediaRecord> {
        let category = declared.category()?;
        content::check_size(category, total_bytes, &self.config.limits)?;
        let expiry = chrono::Duration::hours(self.config.limits.media_expiry_hours);
        Ok(MediaRecord::uploading(
            NewUpload {
                id: MediaId(self.ids.next_id()),
                owner_id: me,
                category,
                media_type: declared.media_type,
                shared: declared.shared,
                total_bytes,
            },
            expiry,
        ))
    }

    /// The caller's own media; anyone else's reads as missing.
    async fn own_media(&self, me: UserId, id: MediaId) -> Result<MediaRecord> {
        match self.store.media(id).await? {
            Some(r) if r.owner_id == me => Ok(r),
            _ => Err(Error::NotFound(Thing::Media)),
        }
    }

    async fn in_progress(&self, me: UserId, id: MediaId) -> Result<MediaRecord> {
        let record = self.own_media(me, id).await?;
        if record.state == UploadState::Ready {
            return Err(Error::Conflict("the upload is already complete"));
        }
        Ok(record)
    }

    /// The media a send may attach, as the message will carry it: the sender's own, ready,
    /// unexpired, and shared or never attached. (The store claims it again atomically with
    /// the message; these checks give each refusal its own words.) A send with an
    /// idempotency key may be the retry of the send that attached it, which the store
    /// answers with the original message, so that refusal is left to the store.
    pub(crate) async fn attachable(
        &self,
        me: UserId,
        id: MediaId,
        keyed: bool,
    ) -> Result<postern_core::media::Media> {
        let refuse = |why: &str| {
            Error::State(Invalid {
                field: "media_id".into(),
                message: why.to_owned(),
            })
        };
        let record = match self.store.media(id).await? {
            Some(r) if r.owner_id == me => r,
            _ => {
                return Err(Error::Unknown(Invalid {
                    field: "media_id".into(),
                    message: "was not found among your uploads".into(),
                }));
            }
        };
        if record.expires_at.is_some_and(|at| at <= Utc::now()) {
            return Err(refuse(
                "has expired: media must be attached within 24 hours of upload",
            ));
        }
        if record.attached && !record.shared && !keyed {
            return Err(refuse(
                "is already attached to a message; upload with shared=true to reuse media",
            ));
        }
        record
            .media()
            .ok_or_else(|| refuse("is still uploading: complete the upload first"))
    }

    /// A finished upload of `me`'s made with `shared=true`, so it can be shown to many people
    /// (a welcome message's, a DM card's); `field` names it in a refusal.
    pub(crate) async fn shared_upload(&self, me: UserId, id: MediaId, field: &str) -> Result<()> {
        match self.store.media(id).await? {
            Some(r) if r.owner_id == me && r.state == UploadState::Ready && r.shared => Ok(()),
            Some(r) if r.owner_id == me => Err(Error::State(Invalid {
                field: field.into(),
                message: "must be a finished upload made with shared=true, to show to many people"
                    .into(),
            })),
            _ => Err(Error::Unknown(Invalid {
                field: field.into(),
                message: "was not found among your uploads".into(),
            })),
        }
    }

    /// `GET /media/{id}` (and its thumbnail): the media, for its uploader, for whoever can
    /// see a message carrying it, and for everyone once a live post or DM card shows it. Everyone else is told it does not exist.
    pub async fn media_for(
        &self,
        me: UserId,
        id: MediaId,
        rendition: Rendition,
    ) -> Result<MediaRecord> {
        let record = self
            .store
            .media(id)
            .await?
            .filter(|r| r.state == UploadState::Ready)
            .ok_or(Error::NotFound(Thing::Media))?;
        // Whether it may be seen comes first: telling an outsider "no thumbnail" would tell
        // them the media exists.
        if !self.may_see_media(me, &record).await? {
            return Err(Error::NotFound(Thing::Media));
        }
        if rendition == Rendition::Thumbnail && !record.has_thumbnail {
            return Err(Error::NotFound(Thing::Thumbnail));
        }
        Ok(record)
    }

    async fn may_see_media(&self, me: UserId, record: &MediaRecord) -> Result<bool> {
        if record.owner_id == me {
            return Ok(true);
        }
        for (conversation, message) in self.store.media_attachments(record.id).await? {
            if self.visible_event(me, &conversation, message).await.is_ok() {
                return Ok(true);
            }
        }
        self.is_public_media(record.id).await
    }

    /// The stored bytes of media [`Services::media_for`] allowed, all of them or `range`
    /// (checked against the stored size by the caller).
    pub async fn media_bytes(
        &self,
        record: &MediaRecord,
        rendition: Rendition,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<Stored> {
        self.media
            .get(record.id, rendition, range)
            .await?
            .ok_or(Error::NotFound(Thing::Media))
    }

    /// Removes media past its expiry that no message carries, with its bytes; returns how
    /// many. `now` is a parameter so tests can look ahead.
    pub async fn sweep_expired_media(&self, now: chrono::DateTime<Utc>) -> Result<usize> {
        const BATCH: usize = 100;
        let mut total = 0;
        loop {
            let taken = self.store.take_expired_media(now, BATCH).await?;
            for id in &taken {
                // The record is gone; bytes left by a failure here are unreachable and
                // only cost space (logged, to clean by hand).
                if let Err(e) = self.media.delete_all(*id).await {
                    tracing::warn!(media = %id, error = %e, "removing expired media bytes failed");
                }
            }
            total += taken.len();
            if taken.len() < BATCH {
                metrics::counter!("postern_media_expired_total")
                    .increment(u64::try_from(total).unwrap_or(u64::MAX));
                return Ok(total);
            }
        }
    }
}

fn too_large(message: String) -> Error {
    content::refuse(Error::TooLarge, message)
}

/// A part's bytes, refused past `max`.
async fn collect_part<S, E>(mut body: S, max: u64) -> Result<Bytes>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut part = bytes::BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|e| Error::invalid("part", format!("the upload was interrupted: {e}")))?;
        part.extend_from_slice(&chunk);
        if u64::try_from(part.len()).unwrap_or(u64::MAX) > max {
            return Err(too_large(format!("parts must be at most {max} bytes")));
        }
    }
    Ok(part.freeze())
}

/// A chunked upload is complete when parts 0 to N-1 are all there and add up to its total.
fn check_parts(parts: &[UploadPart], total_bytes: u64) -> Result<()> {
    let received: u64 = parts.iter().map(|p| p.size).sum();
    let missing: Vec<String> = (0..parts.last().map_or(0, |p| p.number))
        .filter(|n| !parts.iter().any(|p| p.number == *n))
        .map(|n| n.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(incomplete(format!("missing parts: {}", missing.join(", "))));
    }
    if received != total_bytes {
        return Err(incomplete(format!(
            "received {received} of total_bytes {total_bytes}; send the remaining parts"
        )));
    }
    Ok(())
}

fn incomplete(message: String) -> Error {
    Error::UploadIncomplete(Invalid {
        field: "parts".into(),
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(number: u32, size: u64) -> UploadPart {
        UploadPart { number, size }
    }

    #[test]
    fn parts_must_be_contiguous_and_add_up() {
        assert!(check_parts(&[part(0, 5), part(1, 5)], 10).is_ok());
        let gap = check_parts(&[part(0, 5), part(2, 5)], 10).err();
        assert_eq!(
            gap.map(|e| e.to_string()).as_deref(),
            Some("parts: missing parts: 1")
        );
        let short = check_parts(&[part(0, 5)], 10).err();
        assert!(short.is_some_and(|e| e.to_string().contains("received 5 of total_bytes 10")));
        assert!(check_parts(&[], 10).is_err());
    }
}
