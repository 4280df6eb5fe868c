//! The Twitter-compatible APIs (issue 17) through the real server, on both backends.
//!
//! - `account_activity`: the Account Activity API: CRC, subscriptions, payloads, retries.
//! - `activity`: v2 webhooks, Account Activity on v2 and the X Activity API.
//! - `autohook`: twitter-autohook's receiver answering Postern's CRC and emitting its events.
//! - `apps`: developer apps, key rotation, owner credentials, connected apps and revocation.
//! - `consent` (shared), `three_legged` and `pkce`: people authorizing apps by OAuth 1.0a's
//!   three legs and OAuth 2.0 with PKCE, refresh and revocation, through the consent page.
//! - `oauth`: OAuth 1.0a as the v1.1 API checks it: encoding, repeated parameters, header
//!   spacing, wrong port, replayed nonces, stale timestamps, tampering; bearer tokens.
//! - `dm`: v1.1 direct-message events, typing and read receipts, users, and every refusal's
//!   status and code.
//! - `examples`: the repository's `examples/` bots, run unchanged over TLS.
//! - `business`: welcome messages, their rule, and custom profiles.
//! - `media`: `media/upload.json`, chunked and whole.
//! - `tls`: HTTPS served directly.
//! - `clients`: real client libraries (tweepy, twitter-api-v2) running a bot unchanged, and
//!   authorizing by OAuth 1.0a (3-legged) and OAuth 2.0 with PKCE.
//! - `v2`: X's v2 DMs and users: fields, expansions, pagination, problem JSON.

#![expect(
    clippy::indexing_slicing,
    reason = "indexing a serde_json::Value by key yields Null; it does not panic"
)]

#[path = "../common/mod.rs"]
mod common;

mod account_activity;
mod account_activity_crc;
mod activity;
mod activity_stream;
mod apps;
mod autohook;
mod business;
mod client;
mod clients;
mod consent;
mod dm;
mod examples;
mod media;
mod oauth;
mod pkce;
mod three_legged;
mod tls;
mod v2;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}
