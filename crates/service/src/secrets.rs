//! Sealing secrets the server must read back. An OAuth 1.0a signature is an HMAC keyed with
//! the consumer secret and the token secret, so unlike passwords and bearer tokens they
//! cannot be kept as hashes; they are kept encrypted (ChaCha20-Poly1305) instead.
//!
//! The key is `auth.secret_key` when the operator sets one (then a copy of the database alone
//! holds no usable secret). Otherwise the server makes one on first use and keeps it in the
//! database (`server_keys`), where every node finds the same one.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use postern_core::{Error, Result};
use postern_store::cold::{Statement, text};
use ring::aead::{CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use crate::Services;

/// Bytes in a sealing key.
pub const KEY_LEN: usize = 32;
/// The row of `server_keys` that holds the key when none is configured.
const KEY_NAME: &str = "app_secrets";

/// Encrypts and decrypts with one key; each sealed value carries its own random nonce.
pub struct Sealer {
    key: LessSafeKey,
    random: SystemRandom,
}

impl Sealer {
    pub fn new(key: &[u8; KEY_LEN]) -> Result<Sealer> {
        let key = UnboundKey::new(&CHACHA20_POLY1305, key)
            .map_err(|_| Error::internal("a sealing key of the wrong length"))?;
        Ok(Sealer {
            key: LessSafeKey::new(key),
            random: SystemRandom::new(),
        })
    }

    /// `secret` sealed: base64 of the nonce, then the ciphertext and its tag.
    pub fn seal(&self, secret: &str) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| Error::internal("no randomness for a nonce"))?;
        let mut sealed = secret.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::empty(),
                &mut sealed,
            )
            .map_err(|_| Error::internal("sealing failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(STANDARD_NO_PAD.encode(out))
    }

    /// The secret `sealed` holds; an error if it was sealed with another key or altered.
    pub fn open(&self, sealed: &str) -> Result<String> {
        let bytes = STANDARD_NO_PAD
            .decode(sealed)
            .map_err(|_| Error::internal("a sealed secret that is not base64"))?;
        let (nonce, rest) = bytes
            .split_at_checked(NONCE_LEN)
            .ok_or_else(|| Error::internal("a sealed secret too short"))?;
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| Error::internal("a sealed secret's nonce"))?;
        let mut buffer = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, ring::aead::Aad::empty(), &mut buffer)
            .map_err(|_| {
                Error::internal("a sealed secret does not open: was auth.secret_key changed?")
            })?;
        String::from_utf8(plain.to_vec()).map_err(Error::internal)
    }
}

/// Reads `auth.secret_key`: 32 bytes, base64.
pub fn parse_key(setting: &str, raw: &str) -> std::result::Result<[u8; KEY_LEN], String> {
    base64::engine::general_purpose::STANDARD
        .decode(raw.trim())
        .ok()
        .and_then(|bytes| <[u8; KEY_LEN]>::try_from(bytes).ok())
        .ok_or_else(|| {
            format!("{setting}: must be {KEY_LEN} bytes in base64 (`openssl rand -base64 32`)")
        })
}

impl Services {
    /// The sealer, made on first use from the configured key or the one the database keeps.
    pub(crate) async fn sealer(&self) -> Result<&Sealer> {
        self.sealer
            .get_or_try_init(|| async {
                let key = match self.config.secret_key {
                    Some(key) => key,
                    None => self.stored_key().await?,
                };
                Sealer::new(&key)
            })
            .await
    }

    /// The key in `server_keys`, made by the first node to ask (a second node's insert does
    /// nothing, and both read the first's).
    async fn stored_key(&self) -> Result<[u8; KEY_LEN]> {
        let mut fresh = [0u8; KEY_LEN];
        SystemRandom::new()
            .fill(&mut fresh)
            .map_err(|_| Error::internal("no randomness for a key"))?;
        let rows = self
            .store
            .cold()
            .run(vec![
                Statement::new(
                    "INSERT INTO server_keys (name, value) VALUES (?1, ?2)
                     ON CONFLICT (name) DO NOTHING",
                    vec![text(KEY_NAME), text(STANDARD_NO_PAD.encode(fresh))],
                ),
                Statement::new(
                    "SELECT value FROM server_keys WHERE name = ?1",
                    vec![text(KEY_NAME)],
                ),
            ])
            .await?;
        let stored = rows
            .get(1)
            .and_then(|r| r.first())
            .ok_or_else(|| Error::internal("the sealing key was not stored"))?
            .text(0)?;
        STANDARD_NO_PAD
            .decode(stored)
            .ok()
            .and_then(|bytes| <[u8; KEY_LEN]>::try_from(bytes).ok())
            .ok_or_else(|| Error::internal("the stored sealing key is damaged"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_with_their_key_only() -> Result<()> {
        let sealer = Sealer::new(&[7; KEY_LEN])?;
        let sealed = sealer.seal("kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw")?;
        assert!(
            !sealed.contains("kAcSOq"),
            "the secret shows through: {sealed}"
        );
        assert_eq!(
            sealer.open(&sealed)?,
            "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"
        );
        // Each sealing draws its own nonce: the same secret never seals the same twice.
        assert_ne!(sealer.seal("same")?, sealer.seal("same")?);
        assert!(Sealer::new(&[8; KEY_LEN])?.open(&sealed).is_err());
        Ok(())
    }

    #[test]
    fn a_configured_key_is_32_bytes_of_base64() {
        let good = base64::engine::general_purpose::STANDARD.encode([1u8; 32]);
        assert_eq!(parse_key("auth.secret_key", &good), Ok([1u8; 32]));
        let short = base64::engine::general_purpose::STANDARD.encode([1u8; 16]);
        assert!(parse_key("auth.secret_key", &short).is_err_and(|e| e.contains("32 bytes")));
        assert!(parse_key("auth.secret_key", "not base64!").is_err());
    }
}
