//! Media content and its storage (SPEC §3.6), kept apart from the rules about who may upload,
//! attach and fetch what (those are the service layer's).
//!
//! - [`content`]: what a file really is: its type from its magic bytes, checked against what
//!   the client declared, then decoded within limits and prepared for storage.
//! - [`stills`] and [`gifs`]: images re-encoded without metadata (EXIF, GPS, comments) and
//!   thumbnailed.
//! - [`videos`]: MP4/MOV containers with their metadata boxes (location, camera) blanked, then
//!   read for dimensions and duration.
//! - [`avatars`]: the square renditions of a person's picture.
//! - [`storage`]: the bytes, behind `object_store`: a local directory or S3-compatible storage.

pub mod avatars;
pub mod content;
pub mod gifs;
pub mod stills;
pub mod storage;
pub mod videos;

pub use content::{Checked, check};
pub use storage::{MediaStorage, StorageConfig};

#[cfg(test)]
mod properties;
