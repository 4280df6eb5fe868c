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
            type Err = NotAnId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                canonical_id(s).map($name)
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
                id_schema()
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

/// Why a string is not an id: ids are written one way only, so that one thing has one name
/// (a path, a cache key, a log line) and `007` cannot pose as `7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be an id: a decimal from 1 to 9223372036854775807, without sign or leading zeros")]
pub struct NotAnId;

/// Reads an id as Postern writes it (see [`NotAnId`]).
pub fn canonical_id(s: &str) -> Result<i64, NotAnId> {
    let canonical = s.bytes().next().is_some_and(|b| (b'1'..=b'9').contains(&b))
        && s.bytes().all(|b| b.is_ascii_digit());
    if !canonical {
        return Err(NotAnId);
    }
    s.parse().map_err(|_| NotAnId)
}

/// Reads a number from 0 as Postern writes it (the keys behind list cursors).
pub fn canonical_key(s: &str) -> Result<i64, NotAnId> {
    if s == "0" { Ok(0) } else { canonical_id(s) }
}

/// Accepts `"123"` or `123`: Twitter clients send ids both ways. A visitor, not an untagged
/// enum: that buffers every id and builds an error message for each form it is not, which
/// was a fifth of parsing a stored message (every webhook delivery parses one).
fn deserialize_i64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct Lenient;
    impl serde::de::Visitor<'_> for Lenient {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an id: a string or a number")
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<i64, E> {
            if n >= 1 {
                Ok(n)
            } else {
                Err(E::custom(NotAnId))
            }
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<i64, E> {
            match i64::try_from(n) {
                Ok(n) => self.visit_i64(n),
                Err(_) => Err(E::custom(NotAnId)),
            }
        }
        fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<i64, E> {
            whole(f).map_err(E::custom)
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<i64, E> {
            canonical_id(s).map_err(E::custom)
        }
    }
    d.deserialize_any(Lenient)
}

/// An id sent as a number with a fraction of zero (`12.0`): JSON has one kind of number,
/// and JSON Schema's `integer` takes it. Above 2^53 a float no longer holds every whole
/// number, so none is taken for an id there.
fn whole(f: f64) -> Result<i64, NotAnId> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if f.fract() == 0.0 && (1.0..=EXACT).contains(&f) {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "a whole number from 1 to 2^53, which i64 holds exactly"
        )]
        Ok(f as i64)
    } else {
        Err(NotAnId)
    }
}

/// An id as the document states it: the decimal string Postern writes, or (in requests) a
/// JSON number, as Twitter clients send ids both ways.
fn id_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(crate::patterns::id()))
                .examples(["1456789012345678901"]),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(i64::MAX)),
        )
        .description(Some(
            "64-bit id, written as a decimal string; requests may also send it as a number",
        ))
        .into()
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

    /// Reads a conversation id a client names in `field`: one written another way is
    /// refused naming the field; two people's ids the other way round (or one person's
    /// twice) are written as Postern writes ids, but name no conversation.
    pub fn read(field: &str, s: &str) -> crate::Result<Self> {
        if let Some(id) = Self::parse(s) {
            return Ok(id);
        }
        if Self::is_well_formed(s) {
            return Err(crate::Error::NotFound(crate::error::Thing::Conversation));
        }
        Err(crate::Error::invalid(
            field,
            "must be a conversation id as Postern writes it: a group's id, or the two people's \
             ids, lower first, joined by '-' (no signs or leading zeros)",
        ))
    }

    /// Whether `s` has the shape of a conversation id (a group's id, or two people's ids
    /// joined by `-`), whichever way round the two are: one that does not [`parse`] names
    /// no conversation, rather than being malformed.
    ///
    /// [`parse`]: ConversationId::parse
    pub fn is_well_formed(s: &str) -> bool {
        match s.split_once('-') {
            Some((a, b)) => canonical_key(a).is_ok() && canonical_id(b).is_ok(),
            None => canonical_id(s).is_ok(),
        }
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

/// When a generated id was made, in Unix milliseconds (its leading bits count milliseconds
/// from Postern's epoch).
pub fn created_at_ms(id: i64) -> i64 {
    (id >> (NODE_BITS + SEQ_BITS)) + EPOCH_MS
}

/// The smallest id made at or after `ms` (Unix milliseconds): ids below it are older.
pub fn first_id_at_ms(ms: i64) -> i64 {
    (ms - EPOCH_MS).max(0) << (NODE_BITS + SEQ_BITS)
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
    fn an_id_has_one_spelling() {
        for (s, id) in [("7", Ok(7)), ("9223372036854775807", Ok(i64::MAX))] {
            assert_eq!(canonical_id(s), id, "{s}");
        }
        for s in [
            "0",
            "07",
            "+7",
            "-7",
            " 7",
            "7 ",
            "",
            "9223372036854775808",
            "７",
        ] {
            assert_eq!(canonical_id(s), Err(NotAnId), "{s:?}");
        }
        assert_eq!(canonical_key("0"), Ok(0));
        assert_eq!(canonical_key("00"), Err(NotAnId));
        assert!(ConversationId::is_well_formed("9-7"));
        assert!(ConversationId::is_well_formed("0-7"));
        assert!(!ConversationId::is_well_formed("09-7"));
        assert!(!ConversationId::is_well_formed("7-"));
        let lenient: Vec<UserId> = serde_json::from_str(r#"["12", 13, 14.0, "1\u0035"]"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lenient, [UserId(12), UserId(13), UserId(14), UserId(15)]);
        for refused in [
            r#"[" 12"]"#,
            r#"["012"]"#,
            "[0]",
            "[-3]",
            "[1.5]",
            "[1e300]",
            "[9223372036854775808]",
            "[true]",
            "[null]",
            "[[12]]",
        ] {
            assert!(
                serde_json::from_str::<Vec<UserId>>(refused).is_err(),
                "{refused}"
            );
        }
    }

    #[test]
    fn the_first_id_at_a_time_bounds_the_ids_made_then() {
        let ids = IdGenerator::new(7);
        let before = chrono::Utc::now().timestamp_millis();
        let made = ids.next_id();
        assert!(
            made >= first_id_at_ms(before),
            "made at or after: not below"
        );
        assert!(made < first_id_at_ms(before + 1_000), "made before: below");
        assert_eq!(created_at_ms(first_id_at_ms(before)), before);
    }

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
