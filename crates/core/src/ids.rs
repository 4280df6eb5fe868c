//! Identifiers. Every id is a 64-bit integer on the inside and a JSON string on the wire,
//! because JavaScript clients lose precision above 2^53 (Twitter made the same choice).

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares a newtype id that serializes as a string and accepts a string or a number.
macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse::<i64>().map($name)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                deserialize_i64_lenient(d).map($name)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .examples(["1456789012345678901"])
                    .description(Some("64-bit id, serialized as a decimal string"))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

string_id!(
    /// A user (account) id.
    UserId
);
string_id!(
    /// A conversation event id; messages are events, so this is also a message id.
    EventId
);
string_id!(
    /// Any other time-ordered id (reports, tokens).
    ObjectId
);
string_id!(
    /// An uploaded media item (and its upload while it is in progress).
    MediaId
);

/// Accepts `"123"` or `123`: Twitter clients send ids both ways.
fn deserialize_i64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lenient<'a> {
        Num(i64),
        Str(&'a str),
        Owned(String),
    }
    match Lenient::deserialize(d)? {
        Lenient::Num(n) => Ok(n),
        Lenient::Str(s) => s.trim().parse().map_err(serde::de::Error::custom),
        Lenient::Owned(s) => s.trim().parse().map_err(serde::de::Error::custom),
    }
}

/// A conversation id: `low-high` for one-to-one conversations (the two user ids, smaller
/// first, so each pair has exactly one), a plain number for groups.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConversationId(String);

impl ConversationId {
    pub fn one_to_one(a: UserId, b: UserId) -> Self {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        ConversationId(format!("{lo}-{hi}"))
    }

    pub fn group(id: ObjectId) -> Self {
        ConversationId(id.to_string())
    }

    /// Parses a client-supplied id, refusing anything that is not one of the two forms as
    /// Postern writes them. Each conversation has one spelling: `007-9` or `+7-9` would
    /// otherwise name a second conversation between the same two people, with its own
    /// mute, archive and report state.
    pub fn parse(s: &str) -> Option<Self> {
        let id = match s.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (a.parse::<i64>().ok()?, b.parse::<i64>().ok()?);
                (a < b && a >= 0).then(|| ConversationId::one_to_one(UserId(a), UserId(b)))?
            }
            None => s
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .map(|n| ConversationId(n.to_string()))?,
        };
        (id.0 == s).then_some(id)
    }

    /// The two members of a one-to-one conversation, or `None` for a group.
    pub fn pair(&self) -> Option<(UserId, UserId)> {
        let (a, b) = self.0.split_once('-')?;
        Some((UserId(a.parse().ok()?), UserId(b.parse().ok()?)))
    }

    /// In a one-to-one conversation `me` belongs to, the other person.
    pub fn partner_of(&self, me: UserId) -> Option<UserId> {
        match self.pair()? {
            (a, b) if a == me => Some(b),
            (a, b) if b == me => Some(a),
            _ => None,
        }
    }

    pub fn is_group(&self) -> bool {
        self.pair().is_none()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Rebuilds an id read back from storage, where it was validated on the way in.
    pub fn from_stored(s: String) -> Self {
        ConversationId(s)
    }
}

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl utoipa::PartialSchema for ConversationId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "`low-high` user ids for one-to-one, a number for groups",
            ))
            .into()
    }
}
impl utoipa::ToSchema for ConversationId {}

/// Milliseconds since 2020-01-01T00:00:00Z; the time part of every generated id.
const EPOCH_MS: i64 = 1_577_836_800_000;
const NODE_BITS: u32 = 10;
const SEQ_BITS: u32 = 12;

/// Generates time-ordered 64-bit ids: 41 bits of milliseconds, 10 bits of node, 12 bits of
/// sequence. Ids from one generator strictly increase even if the wall clock steps back,
/// because the last id is the floor for the next.
#[derive(Debug)]
pub struct IdGenerator {
    node: i64,
    last: AtomicI64,
}

impl IdGenerator {
    pub fn new(node: u16) -> Self {
        IdGenerator {
            node: i64::from(node) & ((1 << NODE_BITS) - 1),
            last: AtomicI64::new(0),
        }
    }

    pub fn next_id(&self) -> i64 {
        let now_ms = chrono::Utc::now().timestamp_millis() - EPOCH_MS;
        let candidate = (now_ms << (NODE_BITS + SEQ_BITS)) | (self.node << SEQ_BITS);
        let mut prev = self.last.load(Ordering::Relaxed);
        loop {
            let next = if candidate > prev {
                candidate
            } else {
                prev + 1
            };
            match self
                .last
                .compare_exchange_weak(prev, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return next,
                Err(actual) => prev = actual,
            }
        }
    }

    /// Makes every later id larger than `id` (an id already stored).
    pub fn observe(&self, id: i64) {
        self.last.fetch_max(id, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_to_one_ids_are_ordered_and_unique_per_pair() {
        let a = ConversationId::one_to_one(UserId(20), UserId(3));
        assert_eq!(a.as_str(), "3-20");
        assert_eq!(a, ConversationId::one_to_one(UserId(3), UserId(20)));
        assert_eq!(a.pair(), Some((UserId(3), UserId(20))));
        assert_eq!(a.partner_of(UserId(20)), Some(UserId(3)));
        assert_eq!(a.partner_of(UserId(3)), Some(UserId(20)));
        assert_eq!(a.partner_of(UserId(4)), None);
        assert!(ConversationId::parse("20-3").is_none());
        assert!(ConversationId::parse("x").is_none());
        assert!(ConversationId::parse("42").is_some_and(|c| c.is_group()));
        for other_spelling in [
            "03-20", "+3-20", "3-+20", "3-020", "042", "+42", " 42", "3-20 ",
        ] {
            assert!(
                ConversationId::parse(other_spelling).is_none(),
                "{other_spelling}"
            );
        }
    }

    #[test]
    fn generated_ids_strictly_increase() {
        let g = IdGenerator::new(1);
        let mut last = 0;
        for _ in 0..10_000 {
            let id = g.next_id();
            assert!(id > last);
            last = id;
        }
    }

    #[test]
    fn ids_accept_numbers_and_strings() -> Result<(), serde_json::Error> {
        let a: UserId = serde_json::from_str("\"12\"")?;
        let b: UserId = serde_json::from_str("12")?;
        assert_eq!(a, b);
        assert_eq!(serde_json::to_string(&a)?, "\"12\"");
        Ok(())
    }
}
