//! The store file as written by people: TOML, with `include` for splitting a large store.
//! These types mirror the store file reference (`www/docs/store-file.md`), which documents every field.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A root store file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreFile {
    /// Other files, relative to this one, whose items, offers, rules and pairings are added.
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
    pub store: StoreSection,
    #[serde(default)]
    pub facts: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    pub signals: SignalsSection,
    #[serde(default)]
    pub surfaces: BTreeMap<Spanned<String>, SurfaceSection>,
    #[serde(default)]
    pub policy: PolicySection,
    #[serde(default)]
    pub items: Vec<ItemSection>,
    #[serde(default)]
    pub offers: Vec<OfferSection>,
    #[serde(default)]
    pub rules: Vec<RuleSection>,
    #[serde(default)]
    pub pairings: Vec<PairingSection>,
    pub email: Option<EmailSection>,
}

/// `[email]`: when email offers may go out after a purchase.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSection {
    pub quiet_after_order: Option<Spanned<String>>,
    pub once_per_window: Option<bool>,
    /// Offer kind -> `[from, to]` after the last purchase.
    #[serde(default)]
    pub after_purchase: BTreeMap<Spanned<String>, Spanned<Vec<Spanned<String>>>>,
}

/// What an included file may hold.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Parts {
    #[serde(default)]
    pub items: Vec<ItemSection>,
    #[serde(default)]
    pub offers: Vec<OfferSection>,
    #[serde(default)]
    pub rules: Vec<RuleSection>,
    #[serde(default)]
    pub pairings: Vec<PairingSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    pub id: Spanned<String>,
    pub name: Spanned<String>,
    pub currency: Spanned<String>,
    pub currency_digits: Option<u8>,
    /// Largest snapshot allowed, in bytes ("64KB", "2MB" or a number).
    pub snapshot_budget: Option<Spanned<ByteSize>>,
}

/// A byte size written as a number or as "64KB" / "2MB".
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum ByteSize {
    Bytes(u64),
    Text(String),
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SignalsSection {
    /// Event names beyond the built-in ones.
    #[serde(default)]
    pub extra: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct SurfaceSection {
    pub limit: Option<u8>,
    pub per_session: Option<u16>,
    pub per_day: Option<u16>,
    pub needs_trigger: Option<bool>,
    pub quiet_after_purchase: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PolicySection {
    pub daily_cap: Option<Spanned<u16>>,
    pub quiet_after_purchase: Option<Spanned<String>>,
    pub session_length: Option<Spanned<String>>,
    pub cooldown: Option<Spanned<Vec<Spanned<String>>>>,
    pub family_cooldown: Option<Spanned<String>>,
    pub holdout: Option<Spanned<HoldoutSection>>,
    pub exploration: Option<Spanned<ExplorationSection>>,
    pub offer_viewed: Option<Spanned<String>>,
    #[serde(default)]
    pub trigger: TriggerSection,
    #[serde(default)]
    pub tiers: Vec<Spanned<TierSection>>,
    #[serde(default)]
    pub thresholds: ThresholdsSection,
    #[serde(default)]
    pub plays: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldoutSection {
    pub percent: f64,
    pub salt: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplorationSection {
    pub percent: f64,
    pub among: Option<u8>,
    pub frame_percent: Option<f64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TriggerSection {
    pub completed: Option<Vec<Spanned<String>>>,
    pub started: Option<Vec<Spanned<String>>>,
    pub within: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierSection {
    /// Cart value in major units below which this rung applies; absent for the top rung.
    pub below: Option<f64>,
    pub tier: Spanned<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ThresholdsSection {
    pub protect_risk: Option<Spanned<f32>>,
    pub assist_risk: Option<Spanned<f32>>,
    pub assist_readiness: Option<Spanned<f32>>,
    pub commit_readiness: Option<Spanned<f32>>,
    pub price_sensitive: Option<Spanned<f32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSection {
    pub id: Spanned<String>,
    pub name: Option<String>,
    pub category: Spanned<String>,
    pub price: Spanned<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferSection {
    pub id: Spanned<String>,
    pub title: Spanned<String>,
    pub kind: Spanned<String>,
    pub items: Spanned<Vec<Spanned<String>>>,
    pub price: Option<Spanned<f64>>,
    pub discount: Option<Spanned<u8>>,
    pub cost: Option<Spanned<f64>>,
    pub margin: Option<Spanned<f64>>,
    pub job: String,
    pub surfaces: Spanned<Vec<Spanned<String>>>,
    pub family: Option<String>,
    #[serde(default)]
    pub repeatable: bool,
    #[serde(default)]
    pub requires: Vec<Spanned<String>>,
    #[serde(default)]
    pub excluded_by: Vec<Spanned<String>>,
    pub tier: Option<Spanned<String>>,
    pub cap: Option<Spanned<CapSection>>,
    pub cooldown: Option<Spanned<Vec<Spanned<String>>>>,
    pub family_cooldown: Option<Spanned<String>>,
    pub when: Option<Spanned<String>>,
    pub unless: Option<Spanned<String>>,
    pub copy: Spanned<BTreeMap<Spanned<String>, Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapSection {
    pub max: u16,
    pub per: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSection {
    pub id: Spanned<String>,
    pub when: Spanned<String>,
    pub play: Option<Spanned<String>>,
    #[serde(default)]
    pub exclude_offers: Vec<Spanned<String>>,
    #[serde(default)]
    pub exclude_kinds: Vec<Spanned<String>>,
    pub frame: Option<Spanned<String>>,
    #[serde(default)]
    pub no_discount: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairingSection {
    pub item: Spanned<String>,
    pub offer: Spanned<String>,
    pub strength: Option<Spanned<f32>>,
    pub note: Option<Spanned<String>>,
}
