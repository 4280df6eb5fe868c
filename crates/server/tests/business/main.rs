//! Business messaging (issue 15) through the real server, on both backends.
//!
//! - `support`: support accounts: settings, opening hours across time zones and daylight
//!   saving, who may write and where it lands, the away message, the send limit.
//! - `control`: hand-over between a support account's bots and its people.
//! - `flows`: the bot builder's flows answering customers.

#![expect(
    clippy::indexing_slicing,
    reason = "indexing a serde_json::Value by key yields Null; it does not panic"
)]

#[path = "../common/mod.rs"]
mod common;

mod control;
mod flows;
mod interactive;
mod profiles;
mod support;
mod welcome;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}
