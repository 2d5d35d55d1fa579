//! The analyst's side of the CLI (feature `analysis`, native only): reading the logs the hosts
//! write and saying what tactful did for the store.
//!
//! - [`replay`]: a candidate snapshot decided over logged decisions: what would change, and its
//!   value estimated off-policy ([`crate::ope`]).

pub mod replay;
