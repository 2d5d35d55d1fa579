//! The payload of a format-1 snapshot, frozen: only the types that format 2 changed.
//!
//! Snapshots already out on devices and CDNs are format 1, and a newer engine must still read
//! them (the golden file `tests/golden/inkwell-v1.snap` holds it to that). postcard is not
//! self-describing, so a format-1 payload cannot be read as the format-2 [`wire::Payload`]: the
//! field format 2 appended would be read past the end. This module keeps the format-1 shape of
//! what changed, which is the payload itself (format 2 appended [`wire::Payload::email`]);
//! every type inside it is unchanged and shared with [`wire`]. A format-1 payload converts
//! into the current one with no email timing, so it decides exactly as it always did.
//!
//! Never edit these types. When a later format changes a type this payload holds, copy that
//! type's format-1 shape here too.

use serde::Deserialize;

use super::wire::{self, FactDecl, Item, Model, Offer, Pairing, Policy, Rule, SurfaceRules};
use crate::program::Program;

/// The whole compiled store, as format 1 wrote it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(super) struct Payload {
    store_id: String,
    store_name: String,
    currency: String,
    currency_digits: u8,
    items: Vec<Item>,
    categories: Vec<String>,
    families: Vec<String>,
    offers: Vec<Offer>,
    surfaces: Vec<SurfaceRules>,
    policy: Policy,
    rules: Vec<Rule>,
    programs: Vec<Program>,
    facts: Vec<FactDecl>,
    signals: Vec<String>,
    pairings: Vec<Pairing>,
    model: Model,
}

impl From<Payload> for wire::Payload {
    fn from(p: Payload) -> Self {
        wire::Payload {
            store_id: p.store_id,
            store_name: p.store_name,
            currency: p.currency,
            currency_digits: p.currency_digits,
            items: p.items,
            categories: p.categories,
            families: p.families,
            offers: p.offers,
            surfaces: p.surfaces,
            policy: p.policy,
            rules: p.rules,
            programs: p.programs,
            facts: p.facts,
            signals: p.signals,
            pairings: p.pairings,
            model: p.model,
            email: None,
        }
    }
}
