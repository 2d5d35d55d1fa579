//! placeholder
pub mod orders;
pub mod records;
