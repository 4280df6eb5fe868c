//! Accounts, profiles, settings and tokens.

use async_trait::async_trait;
use postern_core::avatar::Avatar;
use postern_core::error::Thing;
use postern_core::model::{AllowDmsFrom, Settings, User};
use postern_core::{Error, ObjectId, Result, UserId};
use postern_store::rows::USER_COL_COUNT;
use postern_store::{
    AccountStore, NewUser, ProfilePatch, SettingsPatch, TokenKind, TokenRecord, UserWithSettings,
};
use rusqlite::{Connection, OptionalExtension, Row};

use crate::SqliteStore;
use crate::rows::{self, Db, USER_COLS, now_ms, to_time};

fn settings(r: &Row<'_>, at: usize) -> rusqlite::Result<Settings> {
    let allow: String = r.get(at)?;
    Ok(Settings {
        allow_dms_from: AllowDmsFrom::parse(&allow).unwrap_or_default(),
        read_receipts: r.get(at + 1)?,
        quality_filter: r.get(at + 2)?,
    })
}

fn load_user(conn: &Connection, id: UserId) -> Result<Option<UserWithSettings>> {
    let sql = format!(
        "SELECT {USER_COLS}, allow_dms_from, read_receipts, quality_filter FROM users WHERE id = ?1"
    );
    conn.prepare_cached(&sql)
        .db()?
        .query_row([id.0], |r| {
            Ok(UserWithSettings {
                user: rows::user(r)?,
                settings: settings(r, USER_COL_COUNT)?,
            })
        })
        .optional()
        .db()
}

fn token_kind(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Session => "session",
        TokenKind::Personal => "personal",
    }
}

fn token(r: &Row<'_>) -> rusqlite::Result<TokenRecord> {
    let kind: String = r.get(2)?;
    Ok(TokenRecord {
        id: ObjectId(r.get(0)?),
        user_id: UserId(r.get(1)?),
        kind: if kind == "session" {
            TokenKind::Session
        } else {
            TokenKind::Personal
        },
        hash: r.get(3)?,
        name: r.get(4)?,
        csrf: r.get(5)?,
        created_at: to_time(r.get(6)?),
        expires_at: r.get::<_, Option<i64>>(7)?.map(to_time),
    })
}

const TOKEN_COLS: &str = "id, user_id, kind, hash, name, csrf, created_at, expires_at";

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_user(&self, new: NewUser) -> Result<User> {
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO users (id, screen_name, screen_name_key, name, password_hash, verified, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .db()?
            .execute((
                new.id.0,
                &new.screen_name,
                new.screen_name.to_lowercase(),
                &new.name,
                &new.password_hash,
                new.verified,
                new.created_at.timestamp_millis(),
            ))
            .db()
            .map_err(|e| match e {
                Error::Conflict(_) => Error::Conflict("screen_name is already taken"),
                other => other,
            })?;
            load_user(c, new.id)?.map(|u| u.user).ok_or(Error::NotFound(Thing::User))
        })
        .await
    }

    async fn user(&self, id: UserId) -> Result<Option<UserWithSettings>> {
        self.lookup(move |c| load_user(c, id)).await
    }

    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>> {
        let ids = ids.to_vec();
        self.lookup(move |c| rows::users_by_ids(c, &ids)).await
    }

    async fn user_by_screen_name(&self, screen_name: &str) -> Result<Option<User>> {
        let key = screen_name.to_lowercase();
        self.lookup(move |c| {
            let sql = format!("SELECT {USER_COLS} FROM users WHERE screen_name_key = ?1");
            c.prepare_cached(&sql)
                .db()?
                .query_row([key], rows::user)
                .optional()
                .db()
        })
        .await
    }

    async fn credentials(&self, screen_name: &str) -> Result<Option<(UserId, String)>> {
        let key = screen_name.to_lowercase();
        self.lookup(move |c| {
            c.prepare_cached("SELECT id, password_hash FROM users WHERE screen_name_key = ?1")
                .db()?
                .query_row([key], |r| Ok((UserId(r.get(0)?), r.get(1)?)))
                .optional()
                .db()
        })
        .await
    }

    async fn search_users(&self, prefix: &str, limit: usize) -> Result<Vec<User>> {
        // Screen names are ASCII word characters, so a range scan on the lower-cased key is
        // an exact prefix match that uses the unique index.
        let low = prefix.to_lowercase();
        let high = format!("{low}\u{7f}");
        self.read(move |c| {
            let sql = format!(
                "SELECT {USER_COLS} FROM users WHERE screen_name_key >= ?1 AND screen_name_key < ?2
                 ORDER BY screen_name_key LIMIT ?3"
            );
            let mut stmt = c.prepare_cached(&sql).db()?;
            let found = stmt.query_map((low, high, limit), rows::user).db()?;
            found.collect::<rusqlite::Result<Vec<_>>>().db()
        })
        .await
    }

    async fn update_profile(&self, id: UserId, patch: ProfilePatch) -> Result<User> {
        self.write(move |c| {
            if let Some(name) = &patch.name {
                c.execute("UPDATE users SET name = ?1 WHERE id = ?2", (name, id.0))
                    .db()?;
            }
            if let Some(description) = &patch.description {
                c.execute(
                    "UPDATE users SET description = ?1 WHERE id = ?2",
                    (description, id.0),
                )
                .db()?;
            }
            load_user(c, id)?
                .map(|u| u.user)
                .ok_or(Error::NotFound(Thing::User))
        })
        .await
    }

    async fn replace_avatar(
        &self,
        id: UserId,
        avatar: Option<Avatar>,
    ) -> Result<(User, Option<Avatar>)> {
        self.write(move |c| {
            let before = load_user(c, id)?.ok_or(Error::NotFound(Thing::User))?;
            let key = avatar.as_ref().map(Avatar::key);
            c.execute(
                "UPDATE users SET avatar_key = ?1 WHERE id = ?2",
                (key, id.0),
            )
            .db()?;
            let after = load_user(c, id)?.ok_or(Error::NotFound(Thing::User))?;
            Ok((after.user, before.user.avatar))
        })
        .await
    }

    async fn update_settings(&self, id: UserId, patch: SettingsPatch) -> Result<Settings> {
        self.write(move |c| {
            if let Some(allow) = patch.allow_dms_from {
                c.execute(
                    "UPDATE users SET allow_dms_from = ?1 WHERE id = ?2",
                    (allow.as_str(), id.0),
                )
                .db()?;
            }
            if let Some(on) = patch.read_receipts {
                c.execute(
                    "UPDATE users SET read_receipts = ?1 WHERE id = ?2",
                    (on, id.0),
                )
                .db()?;
            }
            if let Some(on) = patch.quality_filter {
                c.execute(
                    "UPDATE users SET quality_filter = ?1 WHERE id = ?2",
                    (on, id.0),
                )
                .db()?;
            }
            load_user(c, id)?
                .map(|u| u.settings)
                .ok_or(Error::NotFound(Thing::User))
        })
        .await
    }

    async fn set_verified(&self, id: UserId, verified: bool) -> Result<()> {
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE users SET verified = ?1 WHERE id = ?2",
                    (verified, id.0),
                )
                .db()?;
            if n == 0 {
                Err(Error::NotFound(Thing::User))
            } else {
                Ok(())
            }
        })
        .await
    }

    async fn with_read_receipts(&self, ids: &[UserId]) -> Result<Vec<UserId>> {
        let ids = ids.to_vec();
        self.lookup(move |c| {
            let sql = format!(
                "SELECT id FROM users WHERE read_receipts = 1 AND id IN ({})",
                rows::placeholders(ids.len())
            );
            let mut stmt = c.prepare_cached(&sql).db()?;
            let found = stmt
                .query_map(rusqlite::params_from_iter(ids.iter().map(|i| i.0)), |r| {
                    Ok(UserId(r.get(0)?))
                })
                .db()?;
            found.collect::<rusqlite::Result<Vec<_>>>().db()
        })
        .await
    }

    async fn delete_expired_tokens(&self, now: chrono::DateTime<chrono::Utc>) -> Result<u64> {
        let now = now.timestamp_millis();
        self.write(move |c| {
            let removed = c
                .prepare_cached("DELETE FROM tokens WHERE expires_at < ?1")
                .db()?
                .execute([now])
                .db()?;
            Ok(u64::try_from(removed).unwrap_or_default())
        })
        .await
    }

    async fn insert_token(&self, t: TokenRecord) -> Result<()> {
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO tokens (id, user_id, kind, hash, name, csrf, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .db()?
            .execute((
                t.id.0,
                t.user_id.0,
                token_kind(t.kind),
                &t.hash,
                &t.name,
                &t.csrf,
                t.created_at.timestamp_millis(),
                t.expires_at.map(|e| e.timestamp_millis()),
            ))
            .db()?;
            Ok(())
        })
        .await
    }

    async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<TokenRecord>> {
        let hash = hash.to_vec();
        self.lookup(move |c| {
            let sql = format!("SELECT {TOKEN_COLS} FROM tokens WHERE hash = ?1 AND (expires_at IS NULL OR expires_at > ?2)");
            c.prepare_cached(&sql).db()?.query_row((hash, now_ms()), token).optional().db()
        })
        .await
    }

    async fn tokens(&self, user: UserId, kind: TokenKind) -> Result<Vec<TokenRecord>> {
        self.read(move |c| {
            let sql = format!(
                "SELECT {TOKEN_COLS} FROM tokens WHERE user_id = ?1 AND kind = ?2 ORDER BY id DESC"
            );
            let mut stmt = c.prepare_cached(&sql).db()?;
            let found = stmt.query_map((user.0, token_kind(kind)), token).db()?;
            found.collect::<rusqlite::Result<Vec<_>>>().db()
        })
        .await
    }

    async fn delete_token(&self, user: UserId, id: ObjectId) -> Result<bool> {
        self.write(move |c| {
            Ok(c.execute(
                "DELETE FROM tokens WHERE id = ?1 AND user_id = ?2",
                (id.0, user.0),
            )
            .db()?
                > 0)
        })
        .await
    }
}
