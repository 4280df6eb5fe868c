//! Postern's test harness, for every integration test in the workspace.
//!
//! A test says which outside services it needs:
//!
//! ```text
//! #[postern_testkit::test(needs(Postgres))]
//! async fn tables_copy_in_chunks() { let db = TestDatabase::create().await; … }
//! ```
//!
//! and the harness runs it only when they are there. When one is missing the test shows as
//! `ignored (PostgreSQL not reachable at 127.0.0.1:5432)` — never as `ok` — and under
//! `CI=true` it fails instead. Inside a test a service is simply used: it was checked, so a
//! failure to reach it is a real failure.
//!
//! - [`services`]: the services, where they are (overridable per run by environment
//!   variables) and how to tell whether they are there. Also used by the test command
//!   (`cargo xtask test`), built without the `harness` feature.
//! - [`cargo`]: running cargo from a program cargo started (the test command, its tests).
//! - `harness`: the `main` of each integration test target (`harness = false`) and the
//!   registry that `#[postern_testkit::test]` adds to.
//! - `postgres`: throwaway PostgreSQL databases.

pub mod cargo;
pub mod services;

pub use services::Service;

#[cfg(feature = "harness")]
mod harness;
#[cfg(feature = "harness")]
pub mod postgres;

#[cfg(feature = "harness")]
pub use harness::{Test, block_on, run};
#[cfg(feature = "harness")]
#[doc(hidden)]
pub use inventory;
#[cfg(feature = "harness")]
pub use postern_testkit_macros::test;
