//! The rules pass: `[[rules]]` from every file, in the order written (the engine applies
//! them in that order). Each rule's condition is compiled into the [`Scope`]'s programs; the
//! checks against the offers and the earlier rules are in `checks.rs`.

use std::collections::HashSet;

use super::checks::EarlierRule;
use super::scope::Scope;
use super::values::{did_you_mean, names_of, valid_id};
use super::{Builder, Code, FileId, store};
use crate::snapshot::wire::{Offer, Rule};
use crate::vocab::{Frame, KindSet, OfferKind, Play};

impl Builder {
    pub(super) fn rules(
        &mut self,
        sections: &[(FileId, &store::RuleSection)],
        offers: &[Offer],
        scope: &mut Scope,
    ) -> Vec<Rule> {
        let mut rules: Vec<Rule> = Vec::new();
        let mut seen_rules: HashSet<&str> = HashSet::new();
        // (rule id, its play, its condition's text), for the contradiction check.
        let mut earlier: Vec<EarlierRule> = Vec::new();
        for &(file, r) in sections {
            let id = r.id.get_ref();
            if !valid_id(id) {
                self.error(
                    file,
                    Code::BadId,
                    r.id.span(),
                    format!("`{id}` is not a valid rule id"),
                );
            }
            if !seen_rules.insert(id) {
                self.error(
                    file,
                    Code::Duplicate,
                    r.id.span(),
                    format!("rule `{id}` is defined twice"),
                );
            }
            let Some(condition) = self.condition(file, &r.when, scope) else {
                continue;
            };
            let play = r
                .play
                .as_ref()
                .and_then(|p| self.vocab(file, p, Play::parse, "play", &names_of(Play::ALL)));
            if play == Some(Play::Commit) {
                if let Some(p) = &r.play {
                    self.warning(file, Code::NoEffect, p.span(), "a rule can only lower the play, and commit is the highest: this changes nothing");
                }
            }
            let mut exclude_offers: Vec<u32> = r
                .exclude_offers
                .iter()
                .filter_map(|o| {
                    let found = scope.offers.get(o.get_ref()).copied();
                    if found.is_none() {
                        self.error(
                            file,
                            Code::UnknownId,
                            o.span(),
                            format!(
                                "unknown offer `{}`{}",
                                o.get_ref(),
                                did_you_mean(o.get_ref(), scope.offers.keys().map(String::as_str))
                            ),
                        );
                    }
                    found
                })
                .collect();
            exclude_offers.sort_unstable();
            exclude_offers.dedup();
            let exclude_kinds = r
                .exclude_kinds
                .iter()
                .filter_map(|k| {
                    self.vocab(
                        file,
                        k,
                        OfferKind::parse,
                        "offer kind",
                        &names_of(OfferKind::ALL),
                    )
                })
                .fold(KindSet::default(), |s, k| s.with(k));
            let frame = r
                .frame
                .as_ref()
                .and_then(|f| self.vocab(file, f, Frame::parse, "frame", &names_of(Frame::ALL)));
            if play.is_none()
                && exclude_offers.is_empty()
                && exclude_kinds.is_empty()
                && frame.is_none()
                && !r.no_discount
            {
                self.error(file, Code::NoEffect, r.id.span(), format!("rule `{id}` has no effect: give it `play`, `exclude_offers`, `exclude_kinds`, `frame` or `no_discount`"));
            }
            let rule = Rule {
                id: id.clone(),
                when: condition.program,
                play,
                exclude_offers,
                exclude_kinds,
                frame,
                no_discount: r.no_discount,
            };
            self.check_rule(file, r, &condition, &rule, offers, &earlier);
            earlier.push((id.clone(), play, condition.text.clone()));
            rules.push(rule);
        }
        rules
    }
}
