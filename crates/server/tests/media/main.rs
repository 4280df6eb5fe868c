//! Media (SPEC §3.6, issue 4) through the real server: every accepted type from upload to a
//! participant's fetch, every refusal leaving nothing behind, chunked uploads resumed after
//! an interruption, attachment rules, expiry, and delivery (ranges, caching, nosniff).
//!
//! Runs on SQLite with media in a local directory, and on PostgreSQL + NATS with media in S3
//! (the only suite that needs the S3-compatible server).

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a test should stop loudly at the first thing it did not expect"
)]

#[path = "../common/mod.rs"]
mod common;
mod support;

mod accepted;
mod attaching;
mod avatars;
mod chunked;
mod delivery;
mod refusals;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}
