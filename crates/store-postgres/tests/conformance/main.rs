//! The storage conformance suite: every case is written once against `dyn Store` and runs
//! against both backends, SQLite and PostgreSQL (shown as ignored without PostgreSQL, and
//! failed under `CI=true`). A difference between the backends is a failure here.

mod harness;

mod accounts;
mod cold;
mod conversations;
mod graph;
mod idempotency;
mod insights;
mod media;
mod messages;
mod nonces;
mod search;
mod stream;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}
