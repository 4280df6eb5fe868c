//! Public posts, DM cards, feedback surveys and insights (issue 16) through the real server,
//! on both backends.
//!
//! - `posts`: posting, limits and entities, replies, mentions on the stream and the mentions
//!   page, blocks, a profile's posts, search, paging, media, the DM button, Switch to DM.
//! - `cards`: DM cards: their buttons and media, impressions, clicks and conversations.

#![expect(
    clippy::indexing_slicing,
    reason = "indexing a serde_json::Value by key yields Null; it does not panic"
)]

#[path = "../common/mod.rs"]
mod common;

mod cards;
mod feedback;
mod insights;
mod posts;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}
