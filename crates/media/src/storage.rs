//! Where media bytes live, behind `object_store`: a directory under the data directory by
//! default, or an S3-compatible bucket when `media.url = s3://bucket/prefix`. Every node of an
//! installation must share it (S3), since any node may serve or complete any upload.
//!
//! Keys, per media id:
//! - `files/{id}/original`: the stored content (re-encoded for images);
//! - `files/{id}/thumbnail`: a JPEG, for images;
//! - `uploads/{id}/{part:04}`: a chunked upload's parts until it completes.

use std::ops::Range;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{GetOptions, GetRange, ObjectStore, PutPayload};
use postern_core::avatar::Avatar;
use postern_core::media::UploadPart;
use postern_core::{Error, MediaId, Result};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncWriteExt, BufWriter as FileWriter};

/// `[media]` storage settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Empty: `DATA_DIR/media`. `file:///ABSOLUTE/PATH`, or `s3://BUCKET/PREFIX` with the
    /// `s3_*` settings below.
    pub url: String,
    /// The S3 endpoint, for S3-compatible services (`http://127.0.0.1:9000`); empty for AWS.
    pub s3_endpoint: String,
    pub s3_region: String,
    pub s3_access_key_id: String,
    pub s3_secret_access_key: String,
    /// Allow an `http://` endpoint (a local S3-compatible server).
    pub s3_allow_http: bool,
}

/// Where the bytes go, from `media.url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Directory(PathBuf),
    S3 { bucket: String, prefix: String },
}

impl StorageConfig {
    /// Parses `media.url`; the default is `data_dir/media`.
    pub fn location(&self, data_dir: &FsPath) -> anyhow::Result<Location> {
        let url = self.url.trim();
        if url.is_empty() {
            return Ok(Location::Directory(data_dir.join("media")));
        }
        match url.split_once("://") {
            Some(("file", path)) if path.starts_with('/') => {
                Ok(Location::Directory(PathBuf::from(path)))
            }
            Some(("file", _)) => {
                anyhow::bail!("media.url `{url}` must name an absolute path: file:///PATH")
            }
            Some(("s3", rest)) => {
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                anyhow::ensure!(
                    !bucket.is_empty(),
                    "media.url `{url}` names no bucket; use s3://BUCKET/PREFIX"
                );
                Ok(Location::S3 {
                    bucket: bucket.to_owned(),
                    prefix: prefix.trim_matches('/').to_owned(),
                })
            }
            _ => anyhow::bail!(
                "media.url `{url}` is not supported; use file:///PATH or s3://BUCKET/PREFIX"
            ),
        }
    }
}

/// The media bytes of one installation.
#[derive(Clone)]
pub struct MediaStorage {
    store: Arc<dyn ObjectStore>,
    /// Where uploads are staged while they are checked (local, whatever the store).
    staging: PathBuf,
    /// For logs: where the bytes go.
    describe: String,
}

impl std::fmt::Debug for MediaStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe)
    }
}

/// Creates `dir` if missing and makes it readable by this user only: uploads and media are
/// private to the people in a conversation, not to everyone with an account on the machine.
pub fn private_dir(dir: &FsPath) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make {} private", dir.display()))?;
    }
    Ok(())
}

impl MediaStorage {
    /// Opens the storage `config` names. `staging` is a local directory for uploads being
    /// checked; both are created if missing.
    pub fn open(config: &StorageConfig, data_dir: &FsPath) -> anyhow::Result<MediaStorage> {
        private_dir(data_dir)?;
        let staging = data_dir.join("staging");
        private_dir(&staging)?;
        let (store, describe): (Arc<dyn ObjectStore>, String) = match config.location(data_dir)? {
            Location::Directory(dir) => {
                private_dir(&dir)?;
                let local = LocalFileSystem::new_with_prefix(&dir)
                    .with_context(|| format!("cannot use media directory {}", dir.display()))?
                    .with_automatic_cleanup(true);
                (Arc::new(local), format!("directory {}", dir.display()))
            }
            Location::S3 { bucket, prefix } => {
                let mut builder = AmazonS3Builder::from_env()
                    .with_bucket_name(&bucket)
                    .with_allow_http(config.s3_allow_http);
                if !config.s3_endpoint.is_empty() {
                    builder = builder.with_endpoint(&config.s3_endpoint);
                }
                if !config.s3_region.is_empty() {
                    builder = builder.with_region(&config.s3_region);
                }
                if !config.s3_access_key_id.is_empty() {
                    builder = builder.with_access_key_id(&config.s3_access_key_id);
                }
                if !config.s3_secret_access_key.is_empty() {
                    builder = builder.with_secret_access_key(&config.s3_secret_access_key);
                }
                let s3: Arc<dyn ObjectStore> = Arc::new(
                    builder
                        .build()
                        .with_context(|| format!("cannot use media.url s3://{bucket}"))?,
                );
                let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                    s3
                } else {
                    Arc::new(PrefixStore::new(s3, prefix.as_str()))
                };
                (store, format!("s3://{bucket}/{prefix}"))
            }
        };
        Ok(MediaStorage {
            store,
            staging,
            describe,
        })
    }

    /// Checks that the storage answers: a listing must succeed (an empty one is fine).
    pub async fn ping(&self) -> Result<()> {
        let mut listing = self.store.list(Some(&Path::from("files")));
        match listing.next().await {
            None | Some(Ok(_)) => Ok(()),
            Some(Err(e)) => Err(storage_error(e)),
        }
    }

    /// How many objects are stored (media, thumbnails, parts), and how many files are being
    /// staged: what an operator checks for leftovers, and what tests check after refusals.
    pub async fn object_count(&self) -> Result<(usize, usize)> {
        let stored = self
            .store
            .list(None)
            .try_fold(0usize, |n, _| async move { Ok(n + 1) })
            .await
            .map_err(storage_error)?;
        let staged = std::fs::read_dir(&self.staging)
            .map_err(Error::internal)?
            .count();
        Ok((stored, staged))
    }

    /// A new file to stage an upload in; it is removed when dropped.
    pub fn staging_file(&self) -> Result<tempfile::NamedTempFile> {
        tempfile::NamedTempFile::new_in(&self.staging).map_err(Error::internal)
    }

    pub async fn put(&self, id: MediaId, rendition: Rendition, bytes: Vec<u8>) -> Result<()> {
        self.store
            .put(&rendition.key(id), PutPayload::from(bytes))
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    /// Stores an upload as it is, streaming it from the staged file.
    pub async fn put_content_file(&self, id: MediaId, file: &FsPath) -> Result<()> {
        let mut source = tokio::fs::File::open(file).await.map_err(Error::internal)?;
        let mut sink = BufWriter::new(self.store.clone(), Rendition::Original.key(id));
        let copied = tokio::io::copy(&mut source, &mut sink).await;
        match copied {
            Ok(_) => sink.shutdown().await.map_err(Error::internal),
            Err(e) => {
                let _ = sink.abort().await;
                Err(Error::internal(e))
            }
        }
    }

    pub async fn put_part(&self, id: MediaId, number: u32, bytes: Bytes) -> Result<()> {
        self.store
            .put(&part(id, number), PutPayload::from(bytes))
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    /// The parts of a chunked upload received so far, by number.
    pub async fn parts(&self, id: MediaId) -> Result<Vec<UploadPart>> {
        let mut parts: Vec<UploadPart> = self
            .store
            .list(Some(&uploads(id)))
            .map_err(storage_error)
            .try_filter_map(|meta| async move {
                let number = meta.location.filename().and_then(|n| n.parse().ok());
                Ok(number.map(|number| UploadPart {
                    number,
                    size: meta.size,
                }))
            })
            .try_collect()
            .await?;
        parts.sort_by_key(|p| p.number);
        Ok(parts)
    }

    /// Writes the parts, in order, into `file`.
    pub async fn join_parts(&self, id: MediaId, parts: &[UploadPart], file: &FsPath) -> Result<()> {
        let out = tokio::fs::File::create(file)
            .await
            .map_err(Error::internal)?;
        let mut out = FileWriter::new(out);
        for p in parts {
            let mut chunks = self
                .store
                .get(&part(id, p.number))
                .await
                .map_err(storage_error)?
                .into_stream();
            while let Some(chunk) = chunks.next().await {
                out.write_all(&chunk.map_err(storage_error)?)
                    .await
                    .map_err(Error::internal)?;
            }
        }
        out.flush().await.map_err(Error::internal)
    }

    /// Removes a chunked upload's parts.
    pub async fn delete_parts(&self, id: MediaId) -> Result<()> {
        self.delete_under(&uploads(id)).await
    }

    /// Removes everything stored for the media: content, thumbnail, parts.
    pub async fn delete_all(&self, id: MediaId) -> Result<()> {
        self.delete_under(&Path::from(format!("files/{id}")))
            .await?;
        self.delete_under(&uploads(id)).await
    }

    /// Reads stored content (or its thumbnail): the total size, the bytes in `range` (all of
    /// them when `None`). `None` when nothing is stored under that key.
    pub async fn get(
        &self,
        id: MediaId,
        rendition: Rendition,
        range: Option<Range<u64>>,
    ) -> Result<Option<Stored>> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        found(self.store.get_opts(&rendition.key(id), options).await)
    }

    /// Stores one side of an avatar.
    pub async fn put_avatar(&self, avatar: &Avatar, side: u32, jpeg: Vec<u8>) -> Result<()> {
        self.store
            .put(&avatar_key(avatar, side), PutPayload::from(jpeg))
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    /// One side of an avatar; `None` when nothing is stored under it.
    pub async fn get_avatar(&self, avatar: &Avatar, side: u32) -> Result<Option<Stored>> {
        found(self.store.get(&avatar_key(avatar, side)).await)
    }

    /// Removes every side of an avatar.
    pub async fn delete_avatar(&self, avatar: &Avatar) -> Result<()> {
        self.delete_under(&Path::from(format!("avatars/{}", avatar.key())))
            .await
    }

    async fn delete_under(&self, prefix: &Path) -> Result<()> {
        let keys: Vec<Path> = self
            .store
            .list(Some(prefix))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await
            .map_err(storage_error)?;
        for key in keys {
            match self.store.delete(&key).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(storage_error(e)),
            }
        }
        Ok(())
    }
}

/// A read's answer: the bytes on their way, or `None` when nothing is stored under the key.
fn found(read: object_store::Result<object_store::GetResult>) -> Result<Option<Stored>> {
    match read {
        Ok(found) => Ok(Some(Stored {
            total: found.meta.size,
            range: found.range.clone(),
            body: found.into_stream().map_err(std::io::Error::other).boxed(),
        })),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(storage_error(e)),
    }
}

fn avatar_key(avatar: &Avatar, side: u32) -> Path {
    Path::from(format!("avatars/{}/{side}", avatar.key()))
}

/// Stored bytes on their way to a client.
pub struct Stored {
    /// The whole object's size.
    pub total: u64,
    /// The part of it `body` carries.
    pub range: Range<u64>,
    pub body: BoxStream<'static, std::io::Result<Bytes>>,
}

/// Which stored file of a media item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendition {
    /// The content as stored (re-encoded for images).
    Original,
    /// A JPEG, for images.
    Thumbnail,
}

impl Rendition {
    fn key(self, id: MediaId) -> Path {
        match self {
            Rendition::Original => Path::from(format!("files/{id}/original")),
            Rendition::Thumbnail => Path::from(format!("files/{id}/thumbnail")),
        }
    }
}

fn uploads(id: MediaId) -> Path {
    Path::from(format!("uploads/{id}"))
}

fn part(id: MediaId, number: u32) -> Path {
    Path::from(format!("uploads/{id}/{number:04}"))
}

fn storage_error(e: object_store::Error) -> Error {
    Error::internal(format!("media storage: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(url: &str) -> Result<Location, String> {
        let config = StorageConfig {
            url: url.into(),
            ..StorageConfig::default()
        };
        config
            .location(FsPath::new("/data"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn media_urls() {
        assert_eq!(location(""), Ok(Location::Directory("/data/media".into())));
        assert_eq!(
            location("file:///srv/media"),
            Ok(Location::Directory("/srv/media".into()))
        );
        let s3 = |bucket: &str, prefix: &str| {
            Ok(Location::S3 {
                bucket: bucket.into(),
                prefix: prefix.into(),
            })
        };
        assert_eq!(location("s3://bucket/a/b/"), s3("bucket", "a/b"));
        assert_eq!(location("s3://bucket"), s3("bucket", ""));
        for (url, says) in [
            ("s3:///prefix", "names no bucket"),
            ("file://relative", "absolute path"),
            ("gs://bucket", "is not supported"),
            ("/srv/media", "is not supported"),
        ] {
            assert!(
                location(url).is_err_and(|e| e.contains(says)),
                "{url}: {:?}",
                location(url)
            );
        }
    }
}
