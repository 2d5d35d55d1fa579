//! The catalog pass: `[store]`, `[facts]`, `[signals]` and `[[items]]`, the names every later
//! pass refers to. It opens the [`Scope`] the other passes add to.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::scope::Scope;
use super::values::{parse_bytes, valid_id};
use super::{Builder, Code, FileId, Options, ROOT, store};
use crate::numbered::Numbered;
use crate::snapshot::wire::{BUILTIN_FACTS, FactDecl, FactKind, Item};

/// Event names every store knows: GA4 e-commerce events and tactful's own.
pub const BUILTIN_SIGNALS: &[&str] = &[
    "view_item",
    "view_item_list",
    "select_item",
    "add_to_cart",
    "remove_from_cart",
    "view_cart",
    "begin_checkout",
    "add_payment_info",
    "add_shipping_info",
    "purchase",
    "refund",
    "view_promotion",
    "select_promotion",
    "add_to_wishlist",
    "search",
    "login",
    "sign_up",
    "generate_lead",
    "view_faq",
    "view_returns_policy",
    "view_reviews",
    "coupon_click",
    "price_sort",
    "lesson_started",
    "lesson_completed",
    "file_exported",
    "project_saved",
    "teammate_invited",
    "limit_reached",
    "support_ticket",
];

/// What `[store]` and `[[items]]` give the snapshot beside the names in the [`Scope`].
pub(super) struct Catalog {
    pub currency: String,
    /// The largest snapshot allowed, from `--budget` or `snapshot_budget`.
    pub budget: Option<u64>,
    /// Items in id order: an item's index is its place here.
    pub items: Vec<Item>,
    /// Category names, by index.
    pub categories: Vec<String>,
}

impl Catalog {
    /// An item's id, for messages.
    pub fn item_id(&self, index: u32) -> &str {
        self.items
            .get(index as usize)
            .map_or("", |it| it.id.as_str())
    }
}

impl Builder {
    pub(super) fn catalog(
        &mut self,
        root: &store::StoreFile,
        items: &[(FileId, &store::ItemSection)],
        options: &Options,
    ) -> (Catalog, Scope) {
        let (currency, digits, budget) = self.store_section(&root.store, options);
        let facts = self.facts(&root.facts);
        let known_signals = self.signals(&root.signals);
        let (items, categories) = self.items(items, digits);
        let scope = Scope {
            digits,
            facts,
            known_signals,
            signals: Vec::new(),
            items: items
                .iter()
                .enumerate()
                .map(|(i, it)| (it.id.clone(), i as u32))
                .collect(),
            offers: BTreeMap::new(),
            programs: Vec::new(),
        };
        let catalog = Catalog {
            currency,
            budget,
            items,
            categories,
        };
        (catalog, scope)
    }

    /// `[store]`: the currency, its digits and the snapshot budget.
    fn store_section(
        &mut self,
        s: &store::StoreSection,
        options: &Options,
    ) -> (String, u8, Option<u64>) {
        if !valid_id(s.id.get_ref()) {
            self.error(
                ROOT,
                Code::BadId,
                s.id.span(),
                "store id must be 1 to 128 letters, digits, `-`, `_`, `.`, `:` or `/`",
            );
        }
        let currency = s.currency.get_ref().clone();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            self.error(
                ROOT,
                Code::Currency,
                s.currency.span(),
                format!("`{currency}` is not an ISO 4217 code such as `USD`"),
            );
        }
        let digits = s.currency_digits.unwrap_or(2).min(4);
        let budget = match (&options.budget, &s.snapshot_budget) {
            (Some(b), _) => Some(*b),
            (None, Some(b)) => parse_bytes(b.get_ref())
                .map_err(|m| self.error(ROOT, Code::Size, b.span(), m))
                .ok(),
            (None, None) => None,
        };
        (currency, digits, budget)
    }

    /// `[facts]`: the built-in facts, then the store's own.
    fn facts(
        &mut self,
        declared: &BTreeMap<toml::Spanned<String>, toml::Spanned<String>>,
    ) -> Vec<FactDecl> {
        let mut facts: Vec<FactDecl> = BUILTIN_FACTS
            .iter()
            .map(|(n, k)| FactDecl {
                name: (*n).to_string(),
                kind: *k,
            })
            .collect();
        for (name, kind) in declared {
            let kind_value = match kind.get_ref().as_str() {
                "number" => Some(FactKind::Number),
                "string" => Some(FactKind::Text),
                "boolean" => Some(FactKind::Flag),
                other => {
                    self.error(
                        ROOT,
                        Code::UnknownValue,
                        kind.span(),
                        format!("`{other}` is not a fact type; expected number, string or boolean"),
                    );
                    None
                }
            };
            if facts.iter().any(|f| &f.name == name.get_ref()) {
                self.error(
                    ROOT,
                    Code::Duplicate,
                    name.span(),
                    format!(
                        "fact `{}` is already declared (built-in or above)",
                        name.get_ref()
                    ),
                );
            } else if !name
                .get_ref()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                self.error(
                    ROOT,
                    Code::BadId,
                    name.span(),
                    "fact names are lower_snake_case",
                );
            } else if let Some(kind) = kind_value {
                facts.push(FactDecl {
                    name: name.get_ref().clone(),
                    kind,
                });
            }
        }
        facts
    }

    /// `[signals]`: every event name a store file may use.
    fn signals(&mut self, section: &store::SignalsSection) -> BTreeSet<String> {
        let mut known_signals: BTreeSet<String> =
            BUILTIN_SIGNALS.iter().map(|s| (*s).to_string()).collect();
        for extra in &section.extra {
            if !extra
                .get_ref()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                || extra.get_ref().is_empty()
            {
                self.error(
                    ROOT,
                    Code::BadId,
                    extra.span(),
                    "signal names are lower_snake_case event names",
                );
            } else if !known_signals.insert(extra.get_ref().clone()) {
                self.warning(
                    ROOT,
                    Code::Duplicate,
                    extra.span(),
                    format!("signal `{}` is already known", extra.get_ref()),
                );
            }
        }
        known_signals
    }

    /// `[[items]]`, from every file, numbered in id order; and their categories.
    fn items(
        &mut self,
        sections: &[(FileId, &store::ItemSection)],
        digits: u8,
    ) -> (Vec<Item>, Vec<String>) {
        let mut categories = Numbered::default();
        let mut item_ids: HashSet<&str> = HashSet::new();
        let mut items: Vec<Item> = Vec::new();
        for &(file, item) in sections {
            let id = item.id.get_ref();
            if !valid_id(id) {
                self.error(
                    file,
                    Code::BadId,
                    item.id.span(),
                    format!("`{id}` is not a valid item id"),
                );
                continue;
            }
            if !item_ids.insert(id) {
                self.error(
                    file,
                    Code::Duplicate,
                    item.id.span(),
                    format!("item `{id}` is defined twice"),
                );
                continue;
            }
            let category_index = categories.intern(item.category.get_ref());
            let price = self.money(file, &item.price, digits);
            // An empty name is no name: reasons would name the item with nothing.
            let name = (item.name.clone())
                .filter(|name| !name.is_empty())
                .unwrap_or_else(|| id.clone());
            items.push(Item {
                id: id.clone(),
                name,
                category: category_index,
                price,
            });
        }
        items.sort_by(|a, b| a.id.cmp(&b.id));
        (items, categories.into_names())
    }
}
