//! The pairings pass: `[[pairings]]`, the store's own "bought this, offer that" links, which
//! the engine weighs beside the model's neighbours.

use toml::Spanned;

use super::scope::Scope;
use super::values::did_you_mean;
use super::{Builder, Code, FileId, store};
use crate::snapshot::wire::Pairing;

impl Builder {
    /// Every pairing whose item and offer exist, sorted by item, then offer.
    pub(super) fn pairings(
        &mut self,
        sections: &[(FileId, &store::PairingSection)],
        scope: &Scope,
    ) -> Vec<Pairing> {
        let mut pairings: Vec<Pairing> = Vec::new();
        for &(file, pairing) in sections {
            let item = scope.items.get(pairing.item.get_ref()).copied();
            if item.is_none() {
                self.error(
                    file,
                    Code::UnknownId,
                    pairing.item.span(),
                    format!(
                        "unknown item `{}`{}",
                        pairing.item.get_ref(),
                        did_you_mean(
                            pairing.item.get_ref(),
                            scope.items.keys().map(String::as_str)
                        )
                    ),
                );
            }
            let offer = scope.offers.get(pairing.offer.get_ref()).copied();
            if offer.is_none() {
                self.error(
                    file,
                    Code::UnknownId,
                    pairing.offer.span(),
                    format!(
                        "unknown offer `{}`{}",
                        pairing.offer.get_ref(),
                        did_you_mean(
                            pairing.offer.get_ref(),
                            scope.offers.keys().map(String::as_str)
                        )
                    ),
                );
            }
            let strength = pairing.strength.as_ref().map_or(1.0, |s| *s.get_ref());
            if !(0.0..=1.0).contains(&strength) {
                let span = pairing
                    .strength
                    .as_ref()
                    .map_or(pairing.item.span(), Spanned::span);
                self.error(file, Code::Range, span, "pairing strength is in [0, 1]");
            }
            let note = (pairing.note.as_ref())
                .map(|n| self.template(file, n, "the note of a pairing"))
                .unwrap_or_default();
            if let (Some(item), Some(offer)) = (item, offer) {
                pairings.push(Pairing {
                    item,
                    offer,
                    strength: strength.clamp(0.0, 1.0),
                    note,
                });
            }
        }
        pairings.sort_by(|a, b| a.item.cmp(&b.item).then(a.offer.cmp(&b.offer)));
        pairings
    }
}
