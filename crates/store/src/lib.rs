//! Postern's storage boundary.
//!
//! - [`traits`]: the storage traits, in domain terms.
//! - [`records`]: the values that cross the boundary.
//! - [`cold`]: cold tables' portable SQL, run by either backend (docs/storage.md).
//! - [`copy`]: rows in transit from one backend to another (`postern migrate-data`).
//! - [`rows`]: stored columns as plain values and their one mapping to domain values.
//! - [`page`]: keyset cursors and page assembly, the same for every backend.
//! - [`tally`]: insights kept as messages are stored, and their rebuild.

pub mod cold;
pub mod copy;
pub mod nonces;
pub mod page;
pub mod records;
pub mod rows;
pub mod tally;
pub mod traits;

pub use records::*;
pub use traits::*;
