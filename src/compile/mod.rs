//! The compiler: a store file (TOML, CEL conditions) and a model file in, a snapshot out.
//!
//! It reads everything, reports every problem it can find at once (not just the first), each
//! pointing at `file:line:column` with a stable [`Code`], and refuses to write a snapshot while
//! any error stands. Warnings (probable mistakes that still compile) come back with the
//! snapshot.
//!
//! It runs as passes, one per store-file section, in this order:
//!
//! | pass | file | reads | resolves |
//! |---|---|---|---|
//! | sources | `sources.rs` | the store file and its `include`s (the only file-system access) | the sections of every file |
//! | catalog | `catalog.rs` | `[store]`, `[facts]`, `[signals]`, `[[items]]` | currency, facts, signal names, item ids |
//! | policy | `policy.rs` | `[surfaces.*]`, `[policy]` | surface rules, the defaults offers inherit |
//! | offers | `offers.rs` | `[[offers]]` | offer ids, conditions |
//! | rules | `rules.rs` | `[[rules]]` | |
//! | pairings | `pairings.rs` | `[[pairings]]` | |
//! | email | `email.rs` | `[email]` | the email timing, against the offers on `email` |
//! | model | `model.rs` | the model file | |
//!
//! Each pass adds what it resolves to one small `Scope` (`scope.rs`) that the later passes read: the
//! facts, signals, items and offers a condition, rule or model may name, and the condition
//! programs compiled so far. Signals and programs are numbered in the order they are first
//! used, which is the order of the passes.
//!
//! `checks.rs` holds what no single section can know alone, called by the pass that has what
//! it needs, so each message comes out beside the others about the same offer or rule:
//! - offers that can never show: no surface; `requires` an item it sells or also lists in
//!   `excluded_by`; a `when` that is always false or an `unless` that is always true; excluded
//!   by a store rule that always applies; a kind no play shows; only on checkout with a tier
//!   the ladder never picks;
//! - cooldowns: a ladder that shortens; a first rung shorter than the offer's cap window or
//!   the session; a family cooldown longer than the offer's own first rung;
//! - contradictions: `when` and `unless` with the same condition; two rules with the same
//!   condition and different plays; a rule with no effect, or one that never applies;
//! - size: the snapshot over the store's (or the command line's) budget, or over a limit of the
//!   snapshot format.
//!
//! `values.rs` reads the small values every pass uses (durations, money, sizes, ids, names
//! from a fixed vocabulary, conditions); `diagnostic.rs` lists every code once.

mod catalog;
mod cel;
mod checks;
pub mod diagnostic;
mod email;
mod model;
mod offers;
mod pairings;
mod policy;
mod rules;
mod scope;
mod sources;
mod store;
mod values;

use std::path::Path;

use crate::snapshot::wire::Payload;
pub use diagnostic::{Code, Diagnostic, Severity, Source};
use scope::Scope;

pub use catalog::BUILTIN_SIGNALS;
pub use values::nearest;

/// What the compiler was asked to do beyond the files.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Largest snapshot allowed, in bytes; overrides the store's `snapshot_budget`.
    pub budget: Option<u64>,
}

/// A compiled snapshot and the warnings it came with.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The snapshot's bytes.
    pub bytes: Vec<u8>,
    /// Warnings; no errors.
    pub warnings: Vec<Diagnostic>,
}

/// Compiles a store file (and the files it includes) with an optional model file.
///
/// # Errors
/// Every error and warning found, when there is at least one error.
pub fn compile_paths(
    store: &Path,
    model: Option<&Path>,
    options: &Options,
) -> Result<Compiled, Vec<Diagnostic>> {
    let store = sources::read(store)?;
    let model = model.map(sources::read).transpose()?;
    compile_sources(store, model, options)
}

/// Compiles sources already in memory. Includes are read relative to the store source's name.
///
/// # Errors
/// Every error and warning found, when there is at least one error.
pub fn compile_sources(
    store: Source,
    model: Option<Source>,
    options: &Options,
) -> Result<Compiled, Vec<Diagnostic>> {
    let mut builder = Builder {
        sources: vec![store],
        diagnostics: Vec::new(),
    };
    let payload = builder.build(model, options);
    let errors = builder.has_errors();
    match payload {
        Some(bytes) if !errors => Ok(Compiled {
            bytes,
            warnings: builder.diagnostics,
        }),
        _ => Err(builder.diagnostics),
    }
}

/// The sources read so far and every diagnostic found: what each pass writes to.
struct Builder {
    /// The root store file first, then included files, then the model file.
    sources: Vec<Source>,
    diagnostics: Vec<Diagnostic>,
}

/// Where something came from: a source index.
type FileId = usize;

/// The root store file's id: the first source.
const ROOT: FileId = 0;

impl Builder {
    /// Runs the passes in order; the snapshot's bytes, or `None` when a file cannot be parsed.
    fn build(&mut self, model_source: Option<Source>, options: &Options) -> Option<Vec<u8>> {
        let sections = self.sections()?;
        let root = &sections.root;
        let (catalog, mut scope) = self.catalog(root, &sections.items(), options);
        let surfaces = self.surfaces(root);
        let (policy, defaults) = self.policy(&root.policy, &mut scope);
        let inherited = offers::Inherited {
            catalog: &catalog,
            defaults: &defaults,
            policy: &policy,
        };
        let (offers, families) = self.offers(&sections.offers(), &inherited, &mut scope);
        let rules = self.rules(&sections.rules(), &offers, &mut scope);
        let pairings = self.pairings(&sections.pairings(), &scope);
        let email = self.email(root.email.as_ref(), &offers);
        let frame_exploration = self.frame_exploration(&root.policy, &offers);
        let offer_viewed = self.offer_viewed(&root.policy);
        let model_source = model_source.or_else(|| {
            Some(Source {
                name: model::DEFAULT_MODEL_NAME.into(),
                text: model::DEFAULT_MODEL.into(),
            })
        });
        let model = self.model(model_source, &mut scope);
        self.check_reachable_plays(&sections.offers(), &offers, &policy, &model, &scope.facts);
        let budget = catalog.budget;
        let Scope {
            digits,
            facts,
            signals,
            programs,
            ..
        } = scope;
        let payload = Payload {
            store_id: root.store.id.get_ref().clone(),
            store_name: root.store.name.get_ref().clone(),
            currency: catalog.currency,
            currency_digits: digits,
            items: catalog.items,
            categories: catalog.categories,
            families,
            offers,
            surfaces,
            policy,
            rules,
            programs,
            facts,
            signals,
            pairings,
            model,
            email,
            frame_exploration,
            offer_viewed: Some(offer_viewed),
        };
        if self.has_errors() {
            return None;
        }
        self.emit(&payload, budget, root)
    }

    fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    #[expect(
        clippy::indexing_slicing,
        reason = "file ids are indexes of sources, which are only ever pushed"
    )]
    fn source(&self, file: FileId) -> &Source {
        &self.sources[file]
    }

    fn error(
        &mut self,
        file: FileId,
        code: Code,
        span: core::ops::Range<usize>,
        message: impl Into<String>,
    ) {
        let d = self.source(file).error(code, span, message);
        self.diagnostics.push(d);
    }

    fn warning(
        &mut self,
        file: FileId,
        code: Code,
        span: core::ops::Range<usize>,
        message: impl Into<String>,
    ) {
        let d = self.source(file).warning(code, span, message);
        self.diagnostics.push(d);
    }
}
