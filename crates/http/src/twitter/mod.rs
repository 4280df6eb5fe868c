//! The Twitter-compatible surfaces (issue 17): v1.1 and v2 over the same service layer.
//!
//! - [`oauth1`]: OAuth 1.0a signatures as the v1.1 API checks them.

pub mod oauth1;
