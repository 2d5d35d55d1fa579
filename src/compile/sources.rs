//! Reading: the store file, the files it includes, and the sections they hold. The only pass
//! that touches the file system (the model file is read by the caller, beside the store file).
//!
//! Included files hold only `[[items]]`, `[[offers]]`, `[[rules]]` and `[[pairings]]`; each
//! section is tagged with the file it came from, so every message points into the right file.

use std::path::{Path, PathBuf};

use super::{Builder, Code, FileId, ROOT, Source, store};

/// Reads a file into a [`Source`], or the error that says why it cannot be read (as the
/// list of diagnostics a compile returns).
pub(super) fn read(path: &Path) -> Result<Source, Vec<super::Diagnostic>> {
    let name = path.display().to_string();
    std::fs::read_to_string(path)
        .map(|text| Source {
            name: name.clone(),
            text,
        })
        .map_err(|e| {
            let source = Source {
                name,
                text: String::new(),
            };
            let message = format!("cannot read `{}`: {e}", path.display());
            vec![source.error(Code::Io, 0..0, message)]
        })
}

/// The parsed root file and the parsed included files.
pub(super) struct Sections {
    pub root: store::StoreFile,
    included: Vec<(FileId, store::Parts)>,
}

impl Sections {
    pub fn items(&self) -> Vec<(FileId, &store::ItemSection)> {
        self.gather(&self.root.items, |p| &p.items)
    }
    pub fn offers(&self) -> Vec<(FileId, &store::OfferSection)> {
        self.gather(&self.root.offers, |p| &p.offers)
    }
    pub fn rules(&self) -> Vec<(FileId, &store::RuleSection)> {
        self.gather(&self.root.rules, |p| &p.rules)
    }
    pub fn pairings(&self) -> Vec<(FileId, &store::PairingSection)> {
        self.gather(&self.root.pairings, |p| &p.pairings)
    }

    /// One kind of section from the root file and then from each included file, with the
    /// file each came from.
    fn gather<'a, T>(
        &'a self,
        root: &'a [T],
        pick: fn(&store::Parts) -> &Vec<T>,
    ) -> Vec<(FileId, &'a T)> {
        let included = self
            .included
            .iter()
            .flat_map(move |(file, p)| pick(p).iter().map(move |x| (*file, x)));
        root.iter().map(|x| (ROOT, x)).chain(included).collect()
    }
}

impl Builder {
    /// Parses the root store file and reads and parses its includes, relative to its path.
    /// `None` when the root file does not parse: there is nothing to check.
    pub(super) fn sections(&mut self) -> Option<Sections> {
        let root: store::StoreFile = self.parse(ROOT)?;
        let mut included = Vec::new();
        let base = Path::new(&self.source(ROOT).name)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for include in &root.include {
            let path: PathBuf = base.join(include.get_ref());
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    self.sources.push(Source {
                        name: path.display().to_string(),
                        text,
                    });
                    let file = self.sources.len() - 1;
                    if let Some(p) = self.parse::<store::Parts>(file) {
                        included.push((file, p));
                    }
                }
                Err(e) => self.error(
                    ROOT,
                    Code::Include,
                    include.span(),
                    format!("cannot read included file `{}`: {e}", path.display()),
                ),
            }
        }
        Some(Sections { root, included })
    }
}
