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
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::PostgresStore;
use crate::rows::{self, Db, USER_COLS, map_all, now_ms, sql_count, to_time};

const SETTINGS_COLS: &str = "allow_dms_from, read_receipts, quality_filter";

fn settings(r: &PgRow, at: usize) -> sqlx::Result<Settings> {
    let allow: String = r.try_get(at)?;
    Ok(Settings {
        allow_dms_from: AllowDmsFrom::parse(&allow).unwrap_or_default(),
        read_receipts: r.try_get(at + 1)?,
        quality_filter: r.try_get(at + 2)?,
    })
}

fn token_kind(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Session => "session",
        TokenKind::Personal => "personal",
    }
}

fn token(r: &PgRow) -> sqlx::Result<TokenRecord> {
    let kind: String = r.try_get(2)?;
    Ok(TokenRecord {
        id: ObjectId(r.try_get(0)?),
        user_id: UserId(r.try_get(1)?),
        kind: if kind == "session" {
            TokenKind::Session
        } else {
            TokenKind::Personal
        },
        hash: r.try_get(3)?,
        name: r.try_get(4)?,
        csrf: r.try_get(5)?,
        created_at: to_time(r.try_get(6)?),
        expires_at: r.try_get::<Option<i64>, _>(7)?.map(to_time),
    })
}

const TOKEN_COLS: &str = "id, user_id, kind, hash, name, csrf, created_at, expires_at";

#[async_trait]
impl AccountStore for PostgresStore {
    async fn create_user(&self, new: NewUser) -> Result<User> {
        let row = sqlx::query(&format!(
            "INSERT INTO users (id, screen_name, screen_name_key, name, password_hash, verified, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {USER_COLS}"
        ))
        .bind(new.id.0)
        .bind(&new.screen_name)
        .bind(new.screen_name.to_lowercase())
        .bind(&new.name)
        .bind(&new.password_hash)
        .bind(new.verified)
        .bind(new.created_at.timestamp_millis())
        .fetch_one(&self.pool)
        .await
        .db()
        .map_err(|e| match e {
            Error::Conflict(_) => Error::Conflict("screen_name is already taken"),
            other => other,
        })?;
        rows::user(&row).db()
    }

    async fn user(&self, id: UserId) -> Result<Option<UserWithSettings>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS}, {SETTINGS_COLS} FROM users WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(|r| {
            Ok(UserWithSettings {
                user: rows::user(&r)?,
                settings: settings(&r, USER_COL_COUNT)?,
            })
        })
        .transpose()
        .db()
    }

    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>> {
        rows::users_by_ids(&mut *self.conn().await?, ids).await
    }

    async fn user_by_screen_name(&self, screen_name: &str) -> Result<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM users WHERE screen_name_key = $1"
        ))
        .bind(screen_name.to_lowercase())
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.as_ref().map(rows::user).transpose().db()
    }

    async fn credentials(&self, screen_name: &str) -> Result<Option<(UserId, String)>> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT id, password_hash FROM users WHERE screen_name_key = $1")
                .bind(screen_name.to_lowercase())
                .fetch_optional(&self.pool)
                .await
                .db()?;
        Ok(row.map(|(id, hash)| (UserId(id), hash)))
    }

    async fn search_users(&self, prefix: &str, limit: usize) -> Result<Vec<User>> {
        // Screen names are ASCII word characters and the key sorts by bytes ("C"), so a range
        // scan on the lower-cased key is an exact prefix match that uses the unique index.
        let low = prefix.to_lowercase();
        let high = format!("{low}\u{7f}");
        let found = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM users WHERE screen_name_key >= $1 AND screen_name_key < $2
             ORDER BY screen_name_key LIMIT $3"
        ))
        .bind(low)
        .bind(high)
        .bind(sql_count(limit))
        .fetch_all(&self.pool)
        .await
        .db()?;
        map_all(found, rows::user)
    }

    async fn update_profile(&self, id: UserId, patch: ProfilePatch) -> Result<User> {
        let row = sqlx::query(&format!(
            "UPDATE users SET name = coalesce($2, name), description = coalesce($3, description)
             WHERE id = $1 RETURNING {USER_COLS}"
        ))
        .bind(id.0)
        .bind(patch.name)
        .bind(patch.description)
        .fetch_optional(&self.pool)
        .await
        .db()?
        .ok_or(Error::NotFound(Thing::User))?;
        rows::user(&row).db()
    }

    async fn replace_avatar(
        &self,
        id: UserId,
        avatar: Option<Avatar>,
    ) -> Result<(User, Option<Avatar>)> {
        // The old key comes from a locked read of the same row, in the same statement.
        let cols = USER_COLS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let row = sqlx::query(&format!(
            "UPDATE users u SET avatar_key = $2
             FROM (SELECT avatar_key FROM users WHERE id = $1 FOR UPDATE) old
             WHERE u.id = $1 RETURNING {cols}, old.avatar_key AS replaced"
        ))
        .bind(id.0)
        .bind(avatar.as_ref().map(Avatar::key))
        .fetch_optional(&self.pool)
        .await
        .db()?
        .ok_or(Error::NotFound(Thing::User))?;
        let replaced: Option<String> = row.try_get("replaced").db()?;
        Ok((
            rows::user(&row).db()?,
            replaced.as_deref().and_then(Avatar::parse),
        ))
    }

    async fn update_settings(&self, id: UserId, patch: SettingsPatch) -> Result<Settings> {
        let row = sqlx::query(&format!(
            "UPDATE users SET allow_dms_from = coalesce($2, allow_dms_from),
                read_receipts = coalesce($3, read_receipts), quality_filter = coalesce($4, quality_filter)
             WHERE id = $1 RETURNING {SETTINGS_COLS}"
        ))
        .bind(id.0)
        .bind(patch.allow_dms_from.map(AllowDmsFrom::as_str))
        .bind(patch.read_receipts)
        .bind(patch.quality_filter)
        .fetch_optional(&self.pool)
        .await
        .db()?
        .ok_or(Error::NotFound(Thing::User))?;
        settings(&row, 0).db()
    }

    async fn set_verified(&self, id: UserId, verified: bool) -> Result<()> {
        let n = sqlx::query("UPDATE users SET verified = $2 WHERE id = $1")
            .bind(id.0)
            .bind(verified)
            .execute(&self.pool)
            .await
            .db()?
            .rows_affected();
        if n == 0 {
            Err(Error::NotFound(Thing::User))
        } else {
            Ok(())
        }
    }

    async fn with_read_receipts(&self, ids: &[UserId]) -> Result<Vec<UserId>> {
        let found: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM users WHERE read_receipts AND id = ANY($1) ORDER BY id",
        )
        .bind(rows::raw_ids(ids))
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(found.into_iter().map(UserId).collect())
    }

    async fn delete_expired_tokens(&self, now: chrono::DateTime<chrono::Utc>) -> Result<u64> {
        sqlx::query("DELETE FROM tokens WHERE expires_at < $1")
            .bind(now.timestamp_millis())
            .execute(&self.pool)
            .await
            .db()
            .map(|done| done.rows_affected())
    }

    async fn insert_token(&self, t: TokenRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO tokens (id, user_id, kind, hash, name, csrf, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(t.id.0)
        .bind(t.user_id.0)
        .bind(token_kind(t.kind))
        .bind(&t.hash)
        .bind(&t.name)
        .bind(&t.csrf)
        .bind(t.created_at.timestamp_millis())
        .bind(t.expires_at.map(|e| e.timestamp_millis()))
        .execute(&self.pool)
        .await
        .db()
        .map(drop)
    }

    async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<TokenRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLS} FROM tokens WHERE hash = $1 AND (expires_at IS NULL OR expires_at > $2)"
        ))
        .bind(hash)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.as_ref().map(token).transpose().db()
    }

    async fn tokens(&self, user: UserId, kind: TokenKind) -> Result<Vec<TokenRecord>> {
        let found = sqlx::query(&format!(
            "SELECT {TOKEN_COLS} FROM tokens WHERE user_id = $1 AND kind = $2 ORDER BY id DESC"
        ))
        .bind(user.0)
        .bind(token_kind(kind))
        .fetch_all(&self.pool)
        .await
        .db()?;
        map_all(found, token)
    }

    async fn delete_token(&self, user: UserId, id: ObjectId) -> Result<bool> {
        let n = sqlx::query("DELETE FROM tokens WHERE id = $1 AND user_id = $2")
            .bind(id.0)
            .bind(user.0)
            .execute(&self.pool)
            .await
            .db()?
            .rows_affected();
        Ok(n > 0)
    }
}
