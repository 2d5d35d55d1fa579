//! The names resolved so far, threaded through the passes.
//!
//! A condition may name facts, signals and items; a rule names offers; the model names
//! features over facts and signals. Each pass adds what it resolves here, and a later pass
//! reads it. Signals get their snapshot index when first used (declared but unused signals
//! cost nothing in the snapshot), and condition programs are numbered as they are compiled.

use std::collections::{BTreeMap, BTreeSet};

use super::cel;
use crate::program::Program;
use crate::snapshot::wire::{FactDecl, FactKind};

pub(super) struct Scope {
    /// Digits after the decimal point in the store's currency (from `[store]`).
    pub digits: u8,
    /// Built-in facts, then the store's `[facts]`, by index.
    pub facts: Vec<FactDecl>,
    /// Every event name a store file may use: built in and `[signals] extra`.
    pub known_signals: BTreeSet<String>,
    /// The signals used so far, in order of first use: the snapshot's signal table.
    pub signals: Vec<String>,
    /// Item id to index (items are numbered in id order).
    pub items: BTreeMap<String, u32>,
    /// Offer id to index (offers are numbered in id order); empty before the offers pass.
    pub offers: BTreeMap<String, u32>,
    /// Compiled conditions, by program index.
    pub programs: Vec<Program>,
}

impl Scope {
    /// The index of a known signal, adding it to the signal table on first use.
    pub fn intern_signal(&mut self, name: &str) -> Option<u32> {
        if !self.known_signals.contains(name) {
            return None;
        }
        Some(match self.signals.iter().position(|s| s == name) {
            Some(i) => i as u32,
            None => {
                self.signals.push(name.to_string());
                (self.signals.len() - 1) as u32
            }
        })
    }
}

impl cel::Names for Scope {
    fn fact(&self, name: &str) -> Option<(u32, cel::Type)> {
        let at = self.facts.iter().position(|f| f.name == name)?;
        let ty = match self.facts.get(at)?.kind {
            FactKind::Number => cel::Type::Num,
            FactKind::Text => cel::Type::Text,
            FactKind::Flag => cel::Type::Flag,
        };
        Some((at as u32, ty))
    }
    fn signal(&mut self, name: &str) -> Option<u32> {
        self.intern_signal(name)
    }
    fn item(&self, id: &str) -> Option<u32> {
        self.items.get(id).copied()
    }
}
