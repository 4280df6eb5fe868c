//! Avatars: a person picks one of their image uploads, the server cuts its middle square in
//! every side clients draw, and the user record keeps only the new key. Replacing or removing
//! an avatar deletes the old one's files.

use futures::TryStreamExt;
use postern_core::avatar::Avatar;
use postern_core::error::Thing;
use postern_core::media::UploadState;
use postern_core::model::User;
use postern_core::{Error, Invalid, MediaId, Result, UserId};
use postern_media::avatars;
use postern_media::storage::{Rendition, Stored};
use rand::RngCore;

use crate::Services;

impl Services {
    /// `PUT /me/avatar`: the picture in `media_id`, one of the caller's finished image
    /// uploads, becomes their avatar. The upload itself is left as it was (it may still be
    /// attached to a message, or expire unattached).
    pub async fn set_avatar(&self, me: UserId, media_id: MediaId) -> Result<User> {
        let avatar = self.cut_avatar(me, media_id).await?;
        match self.store.replace_avatar(me, Some(avatar.clone())).await {
            Ok((user, old)) => {
                self.forget_avatar(old).await;
                Ok(self.present(user))
            }
            Err(e) => {
                self.forget_avatar(Some(avatar)).await;
                Err(e)
            }
        }
    }

    /// Cuts and stores the square sides of `media_id`, one of `me`'s finished image uploads,
    /// under a new key. The caller records the key, or forgets it if recording fails.
    pub(crate) async fn cut_avatar(&self, me: UserId, media_id: MediaId) -> Result<Avatar> {
        let record = match self.store.media(media_id).await? {
            Some(r) if r.owner_id == me => r,
            _ => {
                return Err(Error::Unknown(Invalid {
                    field: "media_id".into(),
                    message: "was not found among your uploads".into(),
                }));
            }
        };
        if record.state != UploadState::Ready {
            return Err(Error::UploadIncomplete(Invalid {
                field: "media_id".into(),
                message: "is still uploading: complete the upload first".into(),
            }));
        }
        let original = self
            .media
            .get(media_id, Rendition::Original, None)
            .await?
            .ok_or(Error::NotFound(Thing::Media))?;
        let bytes = read_all(original).await?;
        let sides = {
            // Decoding takes a core and memory: it queues with upload checks.
            let _permit = self.media_checks.acquire().await.map_err(Error::internal)?;
            let (t, limits) = (record.media_type, self.config.limits.clone());
            tokio::task::spawn_blocking(move || avatars::square_renditions(&bytes, t, &limits))
                .await
                .map_err(Error::internal)??
        };
        let mut random = [0u8; 16];
        rand::rng().fill_bytes(&mut random);
        let avatar = Avatar::from_random(random);
        if let Err(e) = self.store_avatar(&avatar, sides).await {
            self.forget_avatar(Some(avatar)).await;
            return Err(e);
        }
        Ok(avatar)
    }

    /// `DELETE /me/avatar`: back to initials. Removing none is not an error.
    pub async fn remove_avatar(&self, me: UserId) -> Result<User> {
        let (user, old) = self.store.replace_avatar(me, None).await?;
        self.forget_avatar(old).await;
        Ok(self.present(user))
    }

    /// One side of an avatar, for anyone: its key is unguessable and new for every picture,
    /// and a profile's picture is as public as its name.
    pub async fn avatar_bytes(&self, avatar: &Avatar, side: u32) -> Result<Stored> {
        self.media
            .get_avatar(avatar, side)
            .await?
            .ok_or(Error::NotFound(Thing::Avatar))
    }

    async fn store_avatar(&self, avatar: &Avatar, sides: Vec<(u32, Vec<u8>)>) -> Result<()> {
        for (side, jpeg) in sides {
            self.media.put_avatar(avatar, side, jpeg).await?;
        }
        Ok(())
    }

    /// Deletes an avatar's files. A failure is logged and leaves files nobody refers to,
    /// never a user whose avatar is missing: the user record changes first.
    pub(crate) async fn forget_avatar(&self, avatar: Option<Avatar>) {
        if let Some(avatar) = avatar
            && let Err(e) = self.media.delete_avatar(&avatar).await
        {
            tracing::warn!(avatar = %avatar, error = %e, "removing an avatar's files failed");
        }
    }
}

/// The whole of a stored image (already within the image size cap).
async fn read_all(stored: Stored) -> Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(usize::try_from(stored.total).unwrap_or(0));
    let mut body = stored.body;
    while let Some(chunk) = body.try_next().await.map_err(Error::internal)? {
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
