//! Who is calling. Passwords are hashed with Argon2id; sessions and personal access tokens
//! are random secrets of which only a SHA-256 hash is stored, so a leaked database holds no
//! usable credential.

use postern_core::error::Thing;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use dashmap::DashMap;
use postern_core::{Error, ObjectId, Result, UserId, limits};
use postern_store::{TokenKind, TokenRecord};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::Services;

/// How a caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer …` (personal access token or the token from login).
    Bearer,
    /// The browser session cookie; unsafe methods must echo `csrf` in a header.
    Cookie { csrf: String },
    /// A developer app acting for the user with a grant they gave it (OAuth 1.0a or 2.0),
    /// within its scopes.
    App {
        app: ObjectId,
        scopes: postern_core::auth::Scopes,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: UserId,
    pub credential: Credential,
}

/// A freshly issued secret: shown to the client once, stored only as `hash`.
pub struct Issued {
    pub secret: String,
    pub record: TokenRecord,
}

/// Recently seen token hashes, so the hot path (every API call) skips the database.
/// Entries live briefly: a token revoked on another node stops working within `TTL`.
#[derive(Default)]
pub struct TokenCache {
    entries: DashMap<Vec<u8>, (TokenRecord, Instant)>,
}

const TTL: Duration = Duration::from_secs(30);
const CACHE_MAX: usize = 100_000;

pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

fn random_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

impl Services {
    fn argon2(&self) -> Result<Argon2<'static>> {
        let params = Params::new(
            self.config.argon2_memory_kib,
            self.config.argon2_iterations,
            1,
            None,
        )
        .map_err(Error::internal)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    pub(crate) async fn hash_password(&self, password: String) -> Result<String> {
        let argon2 = self.argon2()?;
        self.hashing_task(move || {
            let mut salt = [0u8; 16];
            rand::rng().fill_bytes(&mut salt);
            let salt = SaltString::encode_b64(&salt).map_err(Error::internal)?;
            argon2
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(Error::internal)
        })
        .await
    }

    pub(crate) async fn verify_password(&self, password: String, hash: String) -> Result<bool> {
        let argon2 = self.argon2()?;
        self.hashing_task(move || {
            let parsed = PasswordHash::new(&hash).map_err(Error::internal)?;
            Ok(argon2.verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
    }

    /// Runs password work off the async threads, at most one per core at a time.
    async fn hashing_task<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let _permit = self.hashing.acquire().await.map_err(Error::internal)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(Error::internal)?
    }

    /// Issues and stores the token a sign-up or login gives: a browser session, or a bearer
    /// token; both expire (`session_days`, `login_token_days`).
    pub(crate) async fn sign_in(&self, user: UserId, session: bool, how: &str) -> Result<Issued> {
        let (kind, days) = if session {
            (TokenKind::Session, self.config.session_days)
        } else {
            (TokenKind::Personal, self.config.login_token_days)
        };
        let expires = Utc::now() + chrono::Duration::days(days);
        self.issue_token(user, kind, Some(how.to_owned()), Some(expires))
            .await
    }

    /// Issues and stores a new token for `user`, expiring at `expires_at` if given.
    pub(crate) async fn issue_token(
        &self,
        user: UserId,
        kind: TokenKind,
        name: Option<String>,
        expires_at: Option<chrono::DateTime<Utc>>,
    ) -> Result<Issued> {
        let (prefix, csrf) = match kind {
            TokenKind::Session => ("pss_", Some(random_secret(""))),
            TokenKind::Personal => ("pat_", None),
        };
        let secret = random_secret(prefix);
        let record = TokenRecord {
            id: ObjectId(self.ids.next_id()),
            user_id: user,
            kind,
            hash: hash_secret(&secret),
            name,
            csrf,
            created_at: Utc::now(),
            expires_at,
        };
        self.store.insert_token(record.clone()).await?;
        Ok(Issued { secret, record })
    }

    /// Resolves a presented secret to its token, or `Unauthenticated`.
    pub async fn token(&self, secret: &str) -> Result<TokenRecord> {
        let hash = hash_secret(secret);
        if let Some(hit) = self.tokens.entries.get(&hash) {
            let (record, seen) = hit.value();
            let live = record.expires_at.is_none_or(|e| e > Utc::now());
            if seen.elapsed() < TTL && live {
                return Ok(record.clone());
            }
        }
        let record = self
            .store
            .token_by_hash(&hash)
            .await?
            .ok_or(Error::Unauthenticated)?;
        if self.tokens.entries.len() >= CACHE_MAX {
            self.tokens.entries.clear();
        }
        self.tokens
            .entries
            .insert(hash, (record.clone(), Instant::now()));
        Ok(record)
    }

    /// A caller from a bearer token.
    pub async fn authenticate_bearer(&self, secret: &str) -> Result<Caller> {
        let t = self.token(secret).await?;
        Ok(Caller {
            user_id: t.user_id,
            credential: Credential::Bearer,
        })
    }

    /// A caller from the session cookie; only session tokens are valid there.
    pub async fn authenticate_cookie(&self, secret: &str) -> Result<Caller> {
        let t = self.token(secret).await?;
        match (t.kind, t.csrf) {
            (TokenKind::Session, Some(csrf)) => Ok(Caller {
                user_id: t.user_id,
                credential: Credential::Cookie { csrf },
            }),
            _ => Err(Error::Unauthenticated),
        }
    }

    /// Revokes a token by its secret (logout).
    pub async fn revoke_secret(&self, user: UserId, secret: &str) -> Result<()> {
        let hash = hash_secret(secret);
        self.tokens.entries.remove(&hash);
        if let Some(t) = self.store.token_by_hash(&hash).await?
            && t.user_id == user
        {
            self.store.delete_token(user, t.id).await?;
        }
        Ok(())
    }

    pub async fn create_personal_token(
        &self,
        user: UserId,
        name: Option<String>,
    ) -> Result<Issued> {
        // Left blank, a token has no name (as it has when the name is left out).
        let name = name
            .filter(|n| !n.trim().is_empty())
            .map(|n| postern_core::text::single_line("name", &n, limits::TOKEN_NAME_MAX))
            .transpose()?;
        self.issue_token(user, TokenKind::Personal, name, None)
            .await
    }

    pub async fn personal_tokens(&self, user: UserId) -> Result<Vec<TokenRecord>> {
        self.store.tokens(user, TokenKind::Personal).await
    }

    pub async fn revoke_token(&self, user: UserId, id: ObjectId) -> Result<()> {
        let tokens = self.store.tokens(user, TokenKind::Personal).await?;
        let token = tokens
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(Error::NotFound(Thing::Token))?;
        self.tokens.entries.remove(&token.hash);
        self.store.delete_token(user, id).await?;
        Ok(())
    }
}
