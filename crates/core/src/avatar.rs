//! A person's picture: square renditions the server cut from one of their uploads, named by a
//! random key. Stored data holds only the key; each API surface renders its own URL from it
//! (the native one is [`Avatar::native_url`], which is also how [`Avatar`] serializes, since
//! the core types' serde form is the native API's).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The sides, in pixels, of the renditions made for every avatar, smallest first. 48 and 96
/// draw the 24–40 px circles of lists and headers at 1× and 2×; 200 a profile's 88 px circle
/// at 2×; 400 is the largest anyone is shown.
pub const AVATAR_SIDES: [u32; 4] = [48, 96, 200, 400];

/// The side served when a request names none.
pub const AVATAR_DEFAULT_SIDE: u32 = 400;

const KEY_LEN: usize = 32;

/// [`Avatar::parse`]'s rule as a JSON Schema pattern.
pub const AVATAR_KEY_PATTERN: &str = "^[0-9a-f]{32}$";
const NATIVE_PREFIX: &str = "/api/v1/avatars/";

/// An avatar's key: 32 lowercase hex digits (128 random bits), new for every picture, so its
/// renditions never change and can be cached for good, and nobody can guess another's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Avatar(String);

impl Avatar {
    /// A key from 16 random bytes (the caller owns the randomness; core does no I/O).
    pub fn from_random(bytes: [u8; 16]) -> Avatar {
        Avatar(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// A stored or requested key, if it is one.
    pub fn parse(key: &str) -> Option<Avatar> {
        let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        (key.len() == KEY_LEN && key.bytes().all(hex)).then(|| Avatar(key.to_owned()))
    }

    pub fn key(&self) -> &str {
        &self.0
    }

    /// Where the native API serves it (the largest side unless `?size=` asks for another).
    pub fn native_url(&self) -> String {
        format!("{NATIVE_PREFIX}{}", self.0)
    }

    /// Whether `side` is one of [`AVATAR_SIDES`].
    pub fn is_side(side: u32) -> bool {
        AVATAR_SIDES.contains(&side)
    }
}

impl fmt::Display for Avatar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Avatar {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.native_url())
    }
}

impl<'de> Deserialize<'de> for Avatar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Avatar, D::Error> {
        let url = String::deserialize(d)?;
        url.strip_prefix(NATIVE_PREFIX)
            .and_then(Avatar::parse)
            .ok_or_else(|| serde::de::Error::custom("not a Postern avatar URL"))
    }
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test should stop loudly at the first thing it did not expect"
)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_32_lowercase_hex_digits() {
        let a = Avatar::from_random([0xab; 16]);
        assert_eq!(a.key(), "ab".repeat(16));
        assert_eq!(Avatar::parse(a.key()), Some(a.clone()));
        for bad in [
            "",
            "AB".repeat(16).as_str(),
            &"a".repeat(31),
            &"g".repeat(32),
            "../x",
        ] {
            assert_eq!(Avatar::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn it_serializes_as_its_native_url_and_back() {
        let a = Avatar::from_random([1; 16]);
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, format!("\"/api/v1/avatars/{}\"", "01".repeat(16)));
        assert_eq!(serde_json::from_str::<Avatar>(&json).unwrap(), a);
        assert!(serde_json::from_str::<Avatar>("\"https://a/b.png\"").is_err());
    }
}
