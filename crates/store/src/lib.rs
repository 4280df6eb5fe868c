//! Postern's storage boundary.
//!
//! - [`traits`]: the storage traits, in domain terms.
//! - [`records`]: the values that cross the boundary.
//! - [`conformance`]: the suite every backend must pass (`conformance::run_all`).

pub mod conformance;
pub mod records;
pub mod traits;

pub use records::*;
pub use traits::*;
