//! Custom profiles (SPEC §4.6): names and pictures an account's agents or bots send as, so a
//! customer sees "Maria from Support" rather than the brand's own name. Each belongs to one
//! account, which alone may send as it; a message keeps the profile as it was when sent.

use chrono::Utc;
use postern_core::avatar::Avatar;
use postern_core::error::Thing;
use postern_core::parts::{CustomProfile, PROFILE_NAME_MAX, ProfileStamp};
use postern_core::{Error, Invalid, MediaId, ObjectId, Result, UserId, text};
use postern_store::cold::{ColdRow, Statement, int, opt_text, text as text_cell};

use crate::Services;

/// Profiles an account may have, at most (live ones; deleted ones stay on old messages).
pub const PROFILES_MAX: usize = 100;

impl Services {
    /// `POST /custom_profiles`: a name (≤ 48) and, from one of the account's image uploads,
    /// a picture.
    pub async fn create_custom_profile(
        &self,
        me: UserId,
        name: &str,
        media_id: Option<MediaId>,
    ) -> Result<CustomProfile> {
        let name = text::single_line("name", name, PROFILE_NAME_MAX)?;
        if name.trim().is_empty() {
            return Err(Error::invalid("name", "must not be empty"));
        }
        if self.custom_profiles(me).await?.len() >= PROFILES_MAX {
            return Err(Error::State(Invalid {
                field: "name".into(),
                message: format!(
                    "an account has at most {PROFILES_MAX} custom profiles: delete one first"
                ),
            }));
        }
        let avatar = match media_id {
            Some(m) => Some(self.cut_avatar(me, m).await?),
            None => None,
        };
        let id = ObjectId(self.ids.next_id());
        let stored = self
            .store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO custom_profiles (id, owner_id, name, avatar_key, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                vec![
                    int(id.0),
                    int(me.0),
                    text_cell(name.clone()),
                    opt_text(avatar.as_ref().map(Avatar::key)),
                    int(Utc::now().timestamp_millis()),
                ],
            )])
            .await;
        if let Err(e) = stored {
            self.forget_avatar(avatar).await;
            return Err(e);
        }
        Ok(CustomProfile { id, name, avatar })
    }

    /// `GET /custom_profiles`: the account's live profiles, oldest first.
    pub async fn custom_profiles(&self, me: UserId) -> Result<Vec<CustomProfile>> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT id, name, avatar_key FROM custom_profiles
                 WHERE owner_id = ?1 AND deleted_at IS NULL ORDER BY id",
                vec![int(me.0)],
            ))
            .await?;
        rows.iter().map(profile).collect()
    }

    /// `GET /custom_profiles/{id}`: one of the account's live profiles; anyone else's is not
    /// found.
    pub async fn custom_profile(&self, me: UserId, id: ObjectId) -> Result<CustomProfile> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT id, name, avatar_key FROM custom_profiles
                 WHERE id = ?1 AND owner_id = ?2 AND deleted_at IS NULL",
                vec![int(id.0), int(me.0)],
            ))
            .await?;
        rows.first()
            .map(profile)
            .ok_or(Error::NotFound(Thing::CustomProfile))?
    }

    /// `DELETE /custom_profiles/{id}`: no more sends as it; messages sent as it keep it (and
    /// its picture, which is why the picture's files stay).
    pub async fn delete_custom_profile(&self, me: UserId, id: ObjectId) -> Result<()> {
        let deleted = self
            .store
            .cold()
            .run(vec![Statement::new(
                "UPDATE custom_profiles SET deleted_at = ?3
                 WHERE id = ?1 AND owner_id = ?2 AND deleted_at IS NULL RETURNING id",
                vec![int(id.0), int(me.0), int(Utc::now().timestamp_millis())],
            )])
            .await?;
        if deleted.first().is_none_or(Vec::is_empty) {
            return Err(Error::NotFound(Thing::CustomProfile));
        }
        Ok(())
    }

    /// The profile `me` asks to send as, stamped as the message will keep it; a profile of
    /// another account's, or a deleted one, names nothing of theirs.
    pub(crate) async fn own_profile_stamp(&self, me: UserId, id: ObjectId) -> Result<ProfileStamp> {
        let found = self.custom_profile(me, id).await.map_err(|e| match e {
            Error::NotFound(_) => Error::Unknown(Invalid {
                field: "custom_profile_id".into(),
                message: "is not one of your custom profiles".into(),
            }),
            other => other,
        })?;
        Ok(ProfileStamp {
            id: found.id,
            name: found.name,
            avatar_key: found.avatar.map(|a| a.key().to_owned()),
        })
    }
}

fn profile(r: &ColdRow) -> Result<CustomProfile> {
    Ok(CustomProfile {
        id: ObjectId(r.int(0)?),
        name: r.text(1)?,
        avatar: r.opt_text(2)?.as_deref().and_then(Avatar::parse),
    })
}
