//! tactful decides which cross-sell or upsell offer to show a shopper, and whether to show any,
//! on the shopper's device or at the edge, with no server round trip.
//!
//! A store compiles its catalog, offers, rules and model into a [`Snapshot`]; the engine loads
//! it once and then [`decide`]s in microseconds. The engine is pure: no clock, no randomness,
//! no I/O. The host passes the time and a shopper key, and keeps the shopper's [`Memory`].
//!
//! ```no_run
//! # fn run(bytes: &[u8], memory: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use tactful::{Context, Snapshot, Surface, decide_encoded};
//!
//! let snapshot = Snapshot::from_bytes(bytes)?;
//! let mut context = Context::new(Surface::Checkout, 1_763_726_400_000, "shopper-42");
//! context.cart.push("course-foundations".into());
//! let (decision, memory) = decide_encoded(&snapshot, &context, memory)?;
//! println!("{:?}: {} offer(s), memory {memory}", decision.play, decision.offers.len());
//! # Ok(()) }
//! ```
//!
//! Entry points:
//! - [`Snapshot::from_bytes`] loads and validates a snapshot (see [`snapshot`] for the format;
//!   [`Snapshot::from_vec`] keeps the bytes it is given instead of copying them);
//! - [`decide`] and [`decide_encoded`] make a decision;
//! - [`Memory`] records, merges, prunes, encodes and decodes a shopper's memory;
//! - `compile` (feature `compiler`) turns a store file and a model file into a snapshot;
//! - `train` (feature `train`) learns the model file from CSV history and evaluates it.
//! - `batch` (feature `batch`) decides the email offer for every customer of a list.

mod base64url;
mod context;
mod engine;
mod hash;
mod json;
pub mod limits;
mod memory;
mod program;
mod reader;
pub mod snapshot;
mod sort;
mod template;
mod vocab;

#[cfg(feature = "report")]
pub mod analysis;
#[cfg(feature = "batch")]
pub mod batch;
#[cfg(feature = "compiler")]
pub mod compile;
#[cfg(feature = "compiler")]
mod numbered;
#[cfg(any(feature = "train", feature = "report"))]
pub mod ope;
#[cfg(feature = "train")]
pub mod train;

/// The checks behind the fuzz targets (feature `internals`; not a stable API).
#[cfg(feature = "internals")]
pub mod fuzzing;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use context::{Context, ContextError, Event, FactValue};
pub use engine::decision::{
    DecideOptions, Decided, Decision, ExplainedLeftOut, ExplainedOffer, Explanation, ExposedOffer,
    Exposure, LOG_VERSION, LeftOut, NotConsidered, OfferText, OfferWhy, Readiness, ScorePart,
    ShownOffer, SkipReason, Warning,
};
pub use engine::{
    FirstChoice, FirstSlot, Outcome, decide, decide_and_record, decide_encoded, decide_with,
    explain, first_slot,
};
pub use hash::offer_memory_key;
pub use memory::{
    EventKind, Memory, MemoryError, MemoryEvent, OfferHistory, Opened, Stamp, stamp_from_millis,
    store_tag,
};
/// The condition bytecode, for tactful's own tests (feature `internals`; not a stable API).
#[cfg(feature = "internals")]
pub use program::{Const, Op, Program};
pub use snapshot::{OfferSummary, Snapshot, SnapshotError, SnapshotInfo};
pub use vocab::{Frame, KindSet, OfferKind, Play, Stage, Surface, SurfaceSet, Tier, ViewedOffers};
