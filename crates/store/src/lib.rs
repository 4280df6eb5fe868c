//! Postern's storage boundary.
//!
//! - [`traits`]: the storage traits, in domain terms.
//! - [`records`]: the values that cross the boundary.

pub mod records;
pub mod traits;

pub use records::*;
pub use traits::*;
