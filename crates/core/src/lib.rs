//! Postern's domain: identifiers, types and the rules that need no I/O.
//!
//! - [`ids`]: string-serialized 64-bit ids, conversation ids, the id generator.
//! - [`avatar`]: a person's picture, stored as a key and rendered per surface.
//! - [`parts`]: a message's interactive parts: quick replies, buttons, what started it.
//! - [`model`]: users, settings, conversations, messages as clients see them.
//! - [`admission`]: who may message whom (SPEC §3.3), as one pure function.
//! - [`text`] and [`entities`]: text normalization and limits, server-side entities.
//! - [`media`]: media categories, accepted types and their caps; media as clients see it.
//! - [`stream`]: real-time events and their wire frames.
//! - [`support`]: support accounts' hours (time zones, daylight saving) and away message.
//! - [`welcome`]: welcome messages, what a business greets people with.
//! - [`limits`]: the configurable product limits (SPEC §6).
//! - [`patterns`]: those rules as JSON Schema patterns, for the API's documents.
//! - [`error`]: every refusal, independent of any HTTP surface.

pub mod admission;
pub mod auth;
pub mod avatar;
pub mod cards;
pub mod entities;
pub mod error;
pub mod feedback;
pub mod flows;
pub mod ids;
pub mod insights;
pub mod limits;
pub mod media;
pub mod model;
pub mod parts;
pub mod patterns;
pub mod posts;
pub mod stream;
pub mod support;
pub mod text;
pub mod welcome;

pub use error::{Error, Invalid, Result};
pub use ids::{ConversationId, EventId, IdGenerator, MediaId, NotAnId, ObjectId, UserId};

#[cfg(test)]
mod properties;
