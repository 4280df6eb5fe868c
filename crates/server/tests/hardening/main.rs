//! Hardening (issue 13): what an outside tester pushing on the server found, each reproduced
//! through the real server and held, on both backends where storage is involved.
//!
//! - `blocks`: a block stops every kind of contact in a one-to-one conversation.
//! - `floods`: requests built to exhaust the server's memory or sockets.
//! - `hygiene`: headers every API response carries, private files, the metrics endpoint.
//! - `input`: client bytes the text rules and extractors must refuse with a clear 4xx.
//! - `logins`: password guessing, and how long a login lasts.
//! - `multipart`: any upload form a client can build is answered below 500.
//! - `outsiders`: what someone outside a conversation or its media can learn.
//! - `shutdown`: what open streams are told when the server stops.
//! - `spellings`: databases holding a conversation under a second spelling of its id.

#![expect(
    clippy::indexing_slicing,
    reason = "indexing a serde_json::Value by key yields Null; it does not panic"
)]

#[path = "../common/mod.rs"]
mod common;

mod blocks;
mod floods;
mod hygiene;
mod input;
mod logins;
mod multipart;
mod outsiders;
mod shutdown;
mod spellings;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}
