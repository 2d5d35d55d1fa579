//! The offers pass: `[[offers]]` from every file. Offers are numbered in id order, and their
//! ids go into the [`Scope`] first, so rules and pairings can refer to any of them. Each
//! offer is then read (items and money, placement, timing, conditions) and checked (see
//! `checks.rs`) before the next, so its messages come out together.

use std::collections::BTreeMap;
use std::collections::HashSet;

use toml::Spanned;

use super::catalog::Catalog;
use super::policy::OfferDefaults;
use super::scope::Scope;
use super::values::{Condition, did_you_mean, names_of, valid_id};
use super::{Builder, Code, FileId, store};
use crate::hash::offer_memory_key;
use crate::numbered::Numbered;
use crate::snapshot::wire::{Cap, Minutes, Offer, Policy};
use crate::snapshot::{MAX_CAP, MAX_COOLDOWN_RUNGS};
use crate::vocab::{Frame, OfferKind, Surface, SurfaceSet, Tier};

/// An offer's `when` and `unless`, compiled, for the checks.
pub(super) struct Conditions {
    pub when: Option<Condition>,
    pub unless: Option<Condition>,
}

/// What an offer sells and for how much.
struct Goods {
    sold: Vec<u32>,
    requires: Vec<u32>,
    excluded_by: Vec<u32>,
    price: u64,
    discount_percent: u8,
    cost: u64,
}

/// Where an offer shows and what it says.
struct Placement {
    surfaces: SurfaceSet,
    copy: Vec<(Frame, String)>,
    tier: Option<Tier>,
}

/// How often an offer may show and how long a dismissal keeps it away.
struct Timing {
    cap: Option<Cap>,
    cooldown: Vec<Minutes>,
    family_cooldown: Minutes,
}

/// What the offers pass reads besides the offer sections.
pub(super) struct Inherited<'a> {
    pub catalog: &'a Catalog,
    pub defaults: &'a OfferDefaults,
    pub policy: &'a Policy,
}

impl Builder {
    /// Every offer, in id order, and the family names they use.
    pub(super) fn offers(
        &mut self,
        sections: &[(FileId, &store::OfferSection)],
        inherited: &Inherited<'_>,
        scope: &mut Scope,
    ) -> (Vec<Offer>, Vec<String>) {
        let offer_ids = self.offer_ids(sections);
        scope.offers = offer_ids
            .iter()
            .enumerate()
            .map(|(i, (id, _, _))| (id.clone(), i as u32))
            .collect();
        let mut families = Numbered::default();
        let mut offers: Vec<Offer> = Vec::new();
        let mut keys: BTreeMap<u32, String> = BTreeMap::new();
        for (id, file, o) in &offer_ids {
            let file = *file;
            let (offer, conditions) = self.offer(file, id, o, inherited, scope, &mut families);
            self.check_offer(file, o, &offer, &conditions, inherited);
            let key = offer_memory_key(id);
            if let Some(other) = keys.insert(key, id.to_string()) {
                self.error(
                    file,
                    Code::MemoryKey,
                    o.id.span(),
                    format!(
                        "offer ids `{other}` and `{id}` hash to the same memory key; rename one"
                    ),
                );
            }
            offers.push(offer);
        }
        (offers, families.into_names())
    }

    /// The offers with valid, unique ids, sorted by id.
    fn offer_ids<'a>(
        &mut self,
        sections: &[(FileId, &'a store::OfferSection)],
    ) -> Vec<(String, FileId, &'a store::OfferSection)> {
        let mut offer_ids: Vec<(String, FileId, &'a store::OfferSection)> = Vec::new();
        let mut seen_offers: HashSet<&str> = HashSet::new();
        for &(file, offer) in sections {
            let id = offer.id.get_ref();
            if !valid_id(id) {
                self.error(
                    file,
                    Code::BadId,
                    offer.id.span(),
                    format!("`{id}` is not a valid offer id"),
                );
            } else if !seen_offers.insert(id) {
                self.error(
                    file,
                    Code::Duplicate,
                    offer.id.span(),
                    format!("offer `{id}` is defined twice"),
                );
            } else {
                offer_ids.push((id.clone(), file, offer));
            }
        }
        offer_ids.sort_by(|a, b| a.0.cmp(&b.0));
        offer_ids
    }

    /// One offer, read section by section, and its compiled conditions.
    fn offer(
        &mut self,
        file: FileId,
        id: &str,
        o: &store::OfferSection,
        inherited: &Inherited<'_>,
        scope: &mut Scope,
        families: &mut Numbered,
    ) -> (Offer, Conditions) {
        let kind = self
            .vocab(
                file,
                &o.kind,
                OfferKind::parse,
                "offer kind",
                &names_of(OfferKind::ALL),
            )
            .unwrap_or(OfferKind::Companion);
        let goods = self.goods(file, id, o, inherited.catalog, scope);
        let placement = self.placement(file, id, o);
        let family = o.family.as_ref().map(|f| families.intern(f));
        let timing = self.timing_of(file, o, inherited.defaults);
        let when = o.when.as_ref().and_then(|w| self.condition(file, w, scope));
        let unless = o
            .unless
            .as_ref()
            .and_then(|w| self.condition(file, w, scope));
        let offer = Offer {
            id: id.to_string(),
            title: self.template(file, &o.title, &format!("the title of offer `{id}`")),
            kind,
            items: goods.sold,
            price: goods.price,
            discount_percent: goods.discount_percent,
            cost: goods.cost,
            job: o.job.clone(),
            surfaces: placement.surfaces,
            family,
            copy: placement.copy,
            requires: goods.requires,
            excluded_by: goods.excluded_by,
            repeatable: o.repeatable,
            tier: placement.tier,
            cap: timing.cap,
            cooldown: timing.cooldown,
            family_cooldown: timing.family_cooldown,
            when: when.as_ref().map(|c| c.program),
            unless: unless.as_ref().map(|c| c.program),
        };
        (offer, Conditions { when, unless })
    }

    /// `items`, `requires`, `excluded_by`, `price`, `discount`, `cost` and `margin`.
    fn goods(
        &mut self,
        file: FileId,
        id: &str,
        o: &store::OfferSection,
        catalog: &Catalog,
        scope: &Scope,
    ) -> Goods {
        let digits = scope.digits;
        let item_list = |this: &mut Self, list: &[Spanned<String>], what: &str| -> Vec<u32> {
            list.iter()
                .filter_map(|i| {
                    let found = scope.items.get(i.get_ref()).copied();
                    if found.is_none() {
                        this.error(
                            file,
                            Code::UnknownId,
                            i.span(),
                            format!(
                                "unknown item `{}` in `{what}`{}",
                                i.get_ref(),
                                did_you_mean(i.get_ref(), scope.items.keys().map(String::as_str))
                            ),
                        );
                    }
                    found
                })
                .collect()
        };
        let sold = item_list(self, o.items.get_ref(), "items");
        if o.items.get_ref().is_empty() {
            self.error(
                file,
                Code::NeverShown,
                o.items.span(),
                format!("offer `{id}` sells no item"),
            );
        }
        let requires = item_list(self, &o.requires, "requires");
        let excluded_by = item_list(self, &o.excluded_by, "excluded_by");
        let price = match &o.price {
            Some(p) => self.money(file, p, digits),
            None => sold
                .iter()
                .filter_map(|&i| catalog.items.get(i as usize).map(|it| &it.price))
                .fold(0u64, |sum, &p| sum.saturating_add(p)),
        };
        let discount_percent = o.discount.as_ref().map_or(0, |d| {
            if *d.get_ref() > 100 {
                self.error(
                    file,
                    Code::Range,
                    d.span(),
                    "discount is a percentage from 0 to 100",
                );
            }
            (*d.get_ref()).min(100)
        });
        let cost = match (&o.cost, &o.margin) {
            (Some(_), Some(m)) => {
                self.error(
                    file,
                    Code::Cost,
                    m.span(),
                    "give `cost` or `margin`, not both",
                );
                0
            }
            (Some(c), None) => self.money(file, c, digits),
            (None, Some(m)) => {
                let margin = *m.get_ref();
                if !(0.0..=1.0).contains(&margin) {
                    self.error(
                        file,
                        Code::Range,
                        m.span(),
                        "margin is a fraction of the price, from 0 to 1",
                    );
                }
                libm::round(price as f64 * (1.0 - margin.clamp(0.0, 1.0))) as u64
            }
            (None, None) => 0,
        };
        Goods {
            sold,
            requires,
            excluded_by,
            price,
            discount_percent,
            cost,
        }
    }

    /// `surfaces`, `copy` and `tier`.
    fn placement(&mut self, file: FileId, id: &str, o: &store::OfferSection) -> Placement {
        let mut surface_set = SurfaceSet::default();
        for name in o.surfaces.get_ref() {
            if let Some(surface) = self.vocab(
                file,
                name,
                Surface::parse,
                "surface",
                &names_of(Surface::ALL),
            ) {
                surface_set = surface_set.with(surface);
            }
        }
        if surface_set.is_empty() {
            self.error(
                file,
                Code::NeverShown,
                o.surfaces.span(),
                format!("offer `{id}` has no surface, so it can never show"),
            );
        }
        let mut copy: Vec<(Frame, String)> = Vec::new();
        for (frame, text) in o.copy.get_ref() {
            if let Some(frame) =
                self.vocab(file, frame, Frame::parse, "frame", &names_of(Frame::ALL))
            {
                let what = format!("the `{frame}` copy of offer `{id}`");
                copy.push((frame, self.template(file, text, &what)));
            }
        }
        if copy.is_empty() {
            self.error(
                file,
                Code::Copy,
                o.copy.span(),
                format!("offer `{id}` needs copy for at least one frame"),
            );
        }
        let tier = o
            .tier
            .as_ref()
            .and_then(|t| self.vocab(file, t, Tier::parse, "tier", &names_of(Tier::ALL)));
        Placement {
            surfaces: surface_set,
            copy,
            tier,
        }
    }

    /// `cap`, `cooldown` and `family_cooldown`.
    fn timing_of(
        &mut self,
        file: FileId,
        o: &store::OfferSection,
        defaults: &OfferDefaults,
    ) -> Timing {
        let cap = o.cap.as_ref().and_then(|c| {
            let window = self.long_duration(file, &c.get_ref().per, false)?;
            if window == 0 || c.get_ref().max == 0 || c.get_ref().max > MAX_CAP {
                self.error(
                    file,
                    Code::Cap,
                    c.span(),
                    format!("a cap needs `max` from 1 to {MAX_CAP} (memory keeps {MAX_CAP} impressions per offer) and a non-zero `per` window"),
                );
                return None;
            }
            Some(Cap {
                max: c.get_ref().max,
                window,
            })
        });
        let cooldown = match &o.cooldown {
            Some(ladder) => {
                let rungs: Vec<Minutes> = ladder
                    .get_ref()
                    .iter()
                    .filter_map(|d| self.long_duration(file, d, true))
                    .collect();
                if ladder.get_ref().is_empty() {
                    self.error(file, Code::Cooldown, ladder.span(), "a cooldown ladder needs at least one rung: a dismissal must keep the offer away");
                }
                if rungs.len() > MAX_COOLDOWN_RUNGS {
                    self.error(
                        file,
                        Code::Cooldown,
                        ladder.span(),
                        format!("a cooldown ladder has at most {MAX_COOLDOWN_RUNGS} rungs"),
                    );
                }
                if rungs.windows(2).any(|w| w.first() > w.get(1)) {
                    self.error(file, Code::Cooldown, ladder.span(), "a cooldown ladder must not shorten: each dismissal keeps the offer away at least as long as the one before");
                }
                rungs
            }
            None => defaults.ladder.clone(),
        };
        let family_cooldown = o
            .family_cooldown
            .as_ref()
            .map_or(Some(defaults.family_cooldown), |d| {
                self.long_duration(file, d, false)
            })
            .unwrap_or(0);
        Timing {
            cap,
            cooldown,
            family_cooldown,
        }
    }
}
