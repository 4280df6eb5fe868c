//! Postern's storage boundary.
//!
//! - [`traits`]: the storage traits, in domain terms.
//! - [`records`]: the values that cross the boundary.
//! - [`copy`]: rows in transit from one backend to another (`postern migrate-data`).

pub mod copy;
pub mod records;
pub mod traits;

pub use records::*;
pub use traits::*;
