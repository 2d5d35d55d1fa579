//! Property tests of the brief's "what must always hold", over random stores, shoppers and
//! histories, run through the real engine.
//!
//! Stores are built as [`Payload`] values (not through the compiler), encoded with
//! [`snapshot::encode`] and loaded with [`Snapshot::from_bytes`], so they reach corners a store
//! author would rarely write: empty play kinds, zero caps, limits of zero, holdouts of 100%,
//! rules that exclude everything. The expectations are computed here, from the payload, the
//! context and the memory, without the engine's help: conditions are evaluated from their
//! meaning, not by running the engine's program.

#![cfg(not(target_arch = "wasm32"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test states its expectations by panicking"
)]

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use tactful::snapshot::wire::{
    ATTACH_UNKNOWN, BUILTIN_FACTS, Cap, Exploration, FactDecl, Feature, FrameExploration, Holdout,
    Item, Logistic, Model, NEVER, NeighbourBlob, Offer, Pairing, Payload, Policy, Rule,
    SurfaceRules, Thresholds, TierStep, Trigger,
};
use tactful::snapshot::{self, Snapshot};
use tactful::{
    Const, Context, Decision, Event, EventKind, FactValue, Frame, KindSet, Memory, MemoryEvent,
    OfferKind, Op, Play, Program, ShownOffer, SkipReason, Stage, Surface, SurfaceSet, Tier,
    ViewedOffers, decide, decide_encoded, offer_memory_key, stamp_from_millis,
};

/// 2025-11-21T12:00:00Z in Unix milliseconds.
const T0: i64 = 1_763_726_400_000;
const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;
const DAY_MIN: u32 = 24 * 60;

/// The signals every random store reads; the trigger completes on the first and starts on the
/// second.
const SIGNALS: [&str; 5] = [
    "lesson_completed",
    "lesson_started",
    "add_to_cart",
    "coupon_click",
    "view_returns_policy",
];
/// Event names in random contexts: the store's signals and one it does not know.
const EVENT_NAMES: [&str; 6] = [
    "lesson_completed",
    "lesson_started",
    "add_to_cart",
    "coupon_click",
    "view_returns_policy",
    "scroll_depth",
];
const SOURCES: [&str; 3] = ["ads", "youtube", "newsletter"];
const MAX_ITEMS: usize = 12;
const MAX_OFFERS: usize = 16;

// ---------------------------------------------------------------------------------------------
// Conditions: generated as meaning, lowered to a program for the snapshot, evaluated here.

#[derive(Debug, Clone)]
enum Cond {
    Always(bool),
    InCart(u8),
    Owns(u8),
    NotOwns(u8),
    Viewed(u8),
    OrdersAtLeast(u8),
    SignalAtLeast(u8, u8),
    CartSizeAtLeast(u8),
    ReadinessAtLeast(u8),
    RiskBelow(u8),
    StageIs(u8),
    SurfaceIs(u8),
    SourceIs(u8),
    CartValueOver(u16),
    Both(Box<Cond>, Box<Cond>),
    Either(Box<Cond>, Box<Cond>),
}

fn cond_strategy() -> impl Strategy<Value = Cond> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Cond::Always),
        any::<u8>().prop_map(Cond::InCart),
        any::<u8>().prop_map(Cond::Owns),
        any::<u8>().prop_map(Cond::NotOwns),
        any::<u8>().prop_map(Cond::Viewed),
        (0u8..4).prop_map(Cond::OrdersAtLeast),
        (any::<u8>(), 0u8..3).prop_map(|(s, n)| Cond::SignalAtLeast(s, n)),
        (0u8..3).prop_map(Cond::CartSizeAtLeast),
        (0u8..=100).prop_map(Cond::ReadinessAtLeast),
        (0u8..=100).prop_map(Cond::RiskBelow),
        any::<u8>().prop_map(Cond::StageIs),
        any::<u8>().prop_map(Cond::SurfaceIs),
        any::<u8>().prop_map(Cond::SourceIs),
        (0u16..300).prop_map(Cond::CartValueOver),
    ];
    leaf.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Cond::Both(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Cond::Either(Box::new(a), Box::new(b))),
        ]
    })
}

fn item_of(seed: u8, n_items: usize) -> u32 {
    u32::from(seed) % n_items as u32
}

fn stage_of(seed: u8) -> Stage {
    Stage::ALL[usize::from(seed) % Stage::ALL.len()]
}

fn surface_of(seed: u8) -> Surface {
    Surface::ALL[usize::from(seed) % Surface::ALL.len()]
}

fn lower(cond: &Cond, n_items: usize) -> Program {
    fn go(cond: &Cond, n: usize, p: &mut Program) {
        let konst = |p: &mut Program, c: Const| {
            p.consts.push(c);
            p.ops.push(Op::Const((p.consts.len() - 1) as u16));
        };
        match cond {
            Cond::Always(b) => konst(p, Const::Flag(*b)),
            Cond::InCart(i) => p.ops.push(Op::InCart(item_of(*i, n))),
            Cond::Owns(i) => p.ops.push(Op::Owns(item_of(*i, n))),
            Cond::NotOwns(i) => p.ops.extend([Op::Owns(item_of(*i, n)), Op::Not]),
            Cond::Viewed(i) => p.ops.push(Op::Viewed(item_of(*i, n))),
            Cond::OrdersAtLeast(k) => {
                p.ops.push(Op::Fact(0));
                konst(p, Const::Num(f64::from(*k)));
                p.ops.push(Op::Ge);
            }
            Cond::SignalAtLeast(s, k) => {
                p.ops.push(Op::Signal(u32::from(*s) % SIGNALS.len() as u32));
                konst(p, Const::Num(f64::from(*k)));
                p.ops.push(Op::Ge);
            }
            Cond::CartSizeAtLeast(k) => {
                p.ops.push(Op::CartSize);
                konst(p, Const::Num(f64::from(*k)));
                p.ops.push(Op::Ge);
            }
            Cond::ReadinessAtLeast(pc) => {
                p.ops.push(Op::Readiness);
                konst(p, Const::Num(f64::from(*pc) / 100.0));
                p.ops.push(Op::Ge);
            }
            Cond::RiskBelow(pc) => {
                p.ops.push(Op::Risk);
                konst(p, Const::Num(f64::from(*pc) / 100.0));
                p.ops.push(Op::Lt);
            }
            Cond::StageIs(s) => {
                p.ops.push(Op::Stage);
                konst(p, Const::Text(stage_of(*s).as_str().into()));
                p.ops.push(Op::Eq);
            }
            Cond::SurfaceIs(s) => {
                p.ops.push(Op::Surface);
                konst(p, Const::Text(surface_of(*s).as_str().into()));
                p.ops.push(Op::Eq);
            }
            Cond::SourceIs(s) => {
                p.ops.push(Op::Fact(4));
                konst(
                    p,
                    Const::Text(SOURCES[usize::from(*s) % SOURCES.len()].into()),
                );
                p.ops.push(Op::Eq);
            }
            Cond::CartValueOver(v) => {
                p.ops.push(Op::CartValue);
                konst(p, Const::Num(f64::from(*v)));
                p.ops.push(Op::Gt);
            }
            Cond::Both(a, b) => {
                go(a, n, p);
                go(b, n, p);
                p.ops.push(Op::And);
            }
            Cond::Either(a, b) => {
                go(a, n, p);
                go(b, n, p);
                p.ops.push(Op::Or);
            }
        }
    }
    let mut p = Program::default();
    go(cond, n_items, &mut p);
    p
}

/// What a condition may read, worked out here from the context and the decision's scores.
struct Facts {
    n_items: usize,
    cart: BTreeSet<u32>,
    owned: BTreeSet<u32>,
    viewed: BTreeSet<u32>,
    orders: f64,
    source: String,
    signal_counts: [f64; 5],
    readiness: f64,
    risk: f64,
    stage: Stage,
    surface: Surface,
    cart_value_major: f64,
}

impl Facts {
    fn holds(&self, cond: &Cond) -> bool {
        let n = self.n_items;
        match cond {
            Cond::Always(b) => *b,
            Cond::InCart(i) => self.cart.contains(&item_of(*i, n)),
            Cond::Owns(i) => self.owned.contains(&item_of(*i, n)),
            Cond::NotOwns(i) => !self.owned.contains(&item_of(*i, n)),
            Cond::Viewed(i) => self.viewed.contains(&item_of(*i, n)),
            Cond::OrdersAtLeast(k) => self.orders >= f64::from(*k),
            Cond::SignalAtLeast(s, k) => {
                self.signal_counts[usize::from(*s) % SIGNALS.len()] >= f64::from(*k)
            }
            Cond::CartSizeAtLeast(k) => self.cart.len() as f64 >= f64::from(*k),
            Cond::ReadinessAtLeast(pc) => self.readiness >= f64::from(*pc) / 100.0,
            Cond::RiskBelow(pc) => self.risk < f64::from(*pc) / 100.0,
            Cond::StageIs(s) => self.stage == stage_of(*s),
            Cond::SurfaceIs(s) => self.surface == surface_of(*s),
            Cond::SourceIs(s) => self.source == SOURCES[usize::from(*s) % SOURCES.len()],
            Cond::CartValueOver(v) => self.cart_value_major > f64::from(*v),
            Cond::Both(a, b) => self.holds(a) && self.holds(b),
            Cond::Either(a, b) => self.holds(a) || self.holds(b),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Random stores

#[derive(Debug, Clone)]
struct OfferSpec {
    kind: u8,
    items: Vec<u8>,
    requires: Vec<u8>,
    excluded_by: Vec<u8>,
    surfaces: u8,
    family: Option<u8>,
    frames: Vec<u8>,
    repeatable: bool,
    tier: Option<u8>,
    cap: Option<(u16, u32)>,
    ladder: Vec<u32>,
    family_cooldown: u32,
    when: Option<u8>,
    unless: Option<u8>,
    discount: u8,
    price: u64,
    cost: u64,
}

#[derive(Debug, Clone)]
struct RuleSpec {
    when: u8,
    play: Option<u8>,
    exclude_offers: Vec<u8>,
    exclude_kinds: u8,
    frame: Option<u8>,
    no_discount: bool,
}

#[derive(Debug, Clone)]
struct StoreSpec {
    items: Vec<(u8, u64)>,
    offers: Vec<OfferSpec>,
    conds: Vec<Cond>,
    rules: Vec<RuleSpec>,
    surfaces: Vec<(u8, u16, u16, bool, bool)>,
    daily_cap: u16,
    quiet: u32,
    session_length: u32,
    /// 0: none, 1: everyone, 2: nobody, 3: a share.
    holdout: (u8, u16),
    tiers: bool,
    thresholds: (f32, f32, f32, f32, f32),
    play_kinds: [u8; 3],
    /// Offer exploration (share, among) and frame exploration's share.
    exploration: Option<(u16, u8, Option<u16>)>,
    /// `[policy] offer_viewed`; `None` as formats before 4 wrote.
    offer_viewed: Option<ViewedOffers>,
    pairings: Vec<(u8, u8, u8)>,
    models: [(f32, Vec<(u8, f32)>); 3],
    popularity: Vec<u8>,
    neighbours: Vec<Vec<(u8, u8, u8)>>,
}

fn duration_strategy() -> impl Strategy<Value = u32> {
    prop::sample::select(vec![
        0,
        30,
        60,
        DAY_MIN,
        3 * DAY_MIN,
        7 * DAY_MIN,
        30 * DAY_MIN,
        NEVER,
    ])
}

fn offer_strategy() -> impl Strategy<Value = OfferSpec> {
    (
        (
            0u8..5,
            prop::collection::vec(any::<u8>(), 1..=3),
            prop_oneof![4 => Just(Vec::new()), 1 => prop::collection::vec(any::<u8>(), 1..=1)],
            prop_oneof![3 => Just(Vec::new()), 1 => prop::collection::vec(any::<u8>(), 1..=2)],
            // Often on every surface, mostly on several, now and then on none.
            prop_oneof![5 => Just(0x3fu8), 3 => 1u8..64, 1 => Just(0u8)],
            prop::option::of(0u8..3),
            prop::collection::vec(0u8..6, 1..=3),
            any::<bool>(),
            prop::option::weighted(0.3, 0u8..3),
        ),
        (
            prop::option::of((
                1u16..=3,
                prop::sample::select(vec![60, DAY_MIN, 3 * DAY_MIN, 30 * DAY_MIN]),
            )),
            // A ladder has at least one rung (the format requires it).
            prop::collection::vec(duration_strategy(), 1..=4),
            prop::sample::select(vec![0, 60, DAY_MIN, 3 * DAY_MIN, NEVER]),
            prop::option::weighted(0.3, any::<u8>()),
            prop::option::weighted(0.2, any::<u8>()),
            0u8..=60,
            100u64..50_000,
            0u64..3_000,
        ),
    )
        .prop_map(
            |(
                (kind, items, requires, excluded_by, surfaces, family, frames, repeatable, tier),
                (cap, mut ladder, family_cooldown, when, unless, discount, price, cost),
            )| {
                ladder.sort_unstable();
                OfferSpec {
                    kind,
                    items,
                    requires,
                    excluded_by,
                    surfaces,
                    family,
                    frames,
                    repeatable,
                    tier,
                    cap,
                    ladder,
                    family_cooldown,
                    when,
                    unless,
                    discount,
                    price,
                    cost,
                }
            },
        )
}

fn rule_strategy() -> impl Strategy<Value = RuleSpec> {
    (
        any::<u8>(),
        // Plays in `Play::ALL` order; protect (3) is the rarest.
        prop::option::weighted(0.5, prop_oneof![4 => 0u8..3, 1 => Just(3u8)]),
        prop::collection::vec(any::<u8>(), 0..=2),
        prop_oneof![3 => Just(0u8), 1 => 0u8..32],
        prop::option::of(0u8..6),
        any::<bool>(),
    )
        .prop_map(
            |(when, play, exclude_offers, exclude_kinds, frame, no_discount)| RuleSpec {
                when,
                play,
                exclude_offers,
                exclude_kinds,
                frame,
                no_discount,
            },
        )
}

fn logistic_strategy(bias: std::ops::Range<f32>) -> impl Strategy<Value = (f32, Vec<(u8, f32)>)> {
    (
        bias,
        prop::collection::vec((any::<u8>(), -2.0f32..2.0), 0..4),
    )
}

/// The offer kinds a play shows: mostly all of them.
fn kinds_strategy() -> impl Strategy<Value = u8> {
    prop_oneof![2 => Just(0x1fu8), 1 => 0u8..32]
}

fn store_strategy() -> impl Strategy<Value = StoreSpec> {
    (
        (
            prop::collection::vec((0u8..3, 100u64..30_000), 1..=MAX_ITEMS),
            prop::collection::vec(offer_strategy(), 1..=MAX_OFFERS),
            prop::collection::vec(cond_strategy(), 1..=6),
            prop::collection::vec(rule_strategy(), 0..=3),
            prop::collection::vec(
                (
                    prop_oneof![1 => Just(0u8), 8 => 1u8..=3],
                    prop_oneof![3 => Just(10u16), 2 => 0u16..=4],
                    prop_oneof![3 => Just(20u16), 2 => 0u16..=6],
                    prop::bool::weighted(0.2),
                    any::<bool>(),
                ),
                6,
            ),
            prop_oneof![3 => Just(30u16), 2 => 0u16..=8],
            prop::sample::select(vec![0u32, 120]),
            prop::sample::select(vec![30u32, 60]),
        ),
        (
            (0u8..4, 0u16..=10_000),
            any::<bool>(),
            (
                0.5f32..=1.0,
                0.2f32..0.9,
                0.0f32..0.6,
                0.3f32..=1.0,
                0.0f32..=1.0,
            ),
            [kinds_strategy(), kinds_strategy(), kinds_strategy()],
            (
                prop::option::of((0u16..=10_000, 1u8..=4, prop::option::of(0u16..=10_000))),
                prop::option::of(prop::sample::select(ViewedOffers::ALL.to_vec())),
            ),
            prop::collection::vec((any::<u8>(), any::<u8>(), 0u8..=100), 0..=4),
            [
                logistic_strategy(-3.0..3.0),
                logistic_strategy(-6.0..0.0),
                logistic_strategy(-3.0..2.0),
            ],
            prop::collection::vec(any::<u8>(), MAX_ITEMS),
            prop::collection::vec(
                prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 0..4),
                MAX_ITEMS,
            ),
        ),
    )
        .prop_map(
            |(
                (items, offers, conds, rules, surfaces, daily_cap, quiet, session_length),
                (
                    holdout,
                    tiers,
                    thresholds,
                    play_kinds,
                    (exploration, offer_viewed),
                    pairings,
                    models,
                    popularity,
                    neighbours,
                ),
            )| StoreSpec {
                items,
                offers,
                conds,
                rules,
                surfaces,
                daily_cap,
                quiet,
                session_length,
                holdout,
                tiers,
                thresholds,
                play_kinds,
                exploration,
                offer_viewed,
                pairings,
                models,
                popularity,
                neighbours,
            },
        )
}

fn feature_of(seed: u8) -> Feature {
    match seed % 9 {
        0 => Feature::Signal(u32::from(seed / 9) % SIGNALS.len() as u32),
        1 => Feature::Fact(0),
        2 => Feature::Fact(1),
        3 => Feature::Fact(3),
        4 => Feature::CartValue,
        5 => Feature::CartSize,
        6 => Feature::OwnedCount,
        7 => Feature::Stage(stage_of(seed / 9)),
        _ => Feature::Surface(surface_of(seed / 9)),
    }
}

fn offer_id(i: usize) -> String {
    format!("offer-{i:02}")
}

fn item_id(i: usize) -> String {
    format!("item-{i:02}")
}

/// The payload for a spec. `holdout_override` replaces the spec's holdout (for the
/// "what would have been shown" comparison).
#[expect(
    clippy::too_many_lines,
    reason = "one payload built from a spec, section by section in the order of the wire format"
)]
fn build(spec: &StoreSpec, holdout_override: Option<Option<Holdout>>) -> Payload {
    let n_items = spec.items.len();
    let n_offers = spec.offers.len();
    let n_conds = spec.conds.len();
    let items: Vec<Item> = spec
        .items
        .iter()
        .enumerate()
        .map(|(i, &(category, price))| Item {
            id: item_id(i),
            name: format!("Item {i}"),
            category: u32::from(category),
            price,
        })
        .collect();
    let programs: Vec<Program> = spec.conds.iter().map(|c| lower(c, n_items)).collect();
    let to_items = |seeds: &[u8]| -> Vec<u32> {
        let mut v: Vec<u32> = seeds.iter().map(|&s| item_of(s, n_items)).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let offers: Vec<Offer> = spec
        .offers
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let mut copy: Vec<(Frame, String)> = Vec::new();
            for &f in &o.frames {
                let frame = Frame::ALL[usize::from(f)];
                if !copy.iter().any(|(g, _)| *g == frame) {
                    copy.push((frame, format!("{frame} copy for offer {i}")));
                }
            }
            let id = offer_id(i);
            Offer {
                id,
                title: format!("Offer {i}"),
                kind: OfferKind::ALL[usize::from(o.kind)],
                items: to_items(&o.items),
                price: o.price,
                discount_percent: o.discount,
                cost: o.cost,
                job: format!("does job {i}"),
                surfaces: SurfaceSet(o.surfaces & 0x3f),
                family: o.family.map(u32::from),
                copy,
                requires: to_items(&o.requires),
                excluded_by: to_items(&o.excluded_by),
                repeatable: o.repeatable,
                tier: o.tier.map(|t| Tier::ALL[usize::from(t)]),
                cap: o.cap.map(|(max, window)| Cap { max, window }),
                cooldown: o.ladder.clone(),
                family_cooldown: o.family_cooldown,
                when: o.when.map(|w| u32::from(w) % n_conds as u32),
                unless: o.unless.map(|u| u32::from(u) % n_conds as u32),
            }
        })
        .collect();
    let rules: Vec<Rule> = spec
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut exclude_offers: Vec<u32> = r
                .exclude_offers
                .iter()
                .map(|&o| u32::from(o) % n_offers as u32)
                .collect();
            exclude_offers.sort_unstable();
            exclude_offers.dedup();
            Rule {
                id: format!("rule-{i}"),
                when: u32::from(r.when) % n_conds as u32,
                play: r.play.map(|p| Play::ALL[usize::from(p)]),
                exclude_offers,
                exclude_kinds: KindSet(r.exclude_kinds & 0x1f),
                frame: r.frame.map(|f| Frame::ALL[usize::from(f)]),
                no_discount: r.no_discount,
            }
        })
        .collect();
    let surfaces: Vec<SurfaceRules> = spec
        .surfaces
        .iter()
        .enumerate()
        .map(
            |(i, &(limit, per_session, per_day, needs_trigger, quiet_after_purchase))| {
                SurfaceRules {
                    limit,
                    per_session,
                    per_day,
                    // In-product offers always wait for a completed action (the format requires it).
                    needs_trigger: needs_trigger || i == Surface::InProduct.index(),
                    quiet_after_purchase,
                }
            },
        )
        .collect();
    let holdout = holdout_override.unwrap_or_else(|| match spec.holdout {
        (0, _) => None,
        (1, _) => Some(Holdout {
            basis_points: 10_000,
            salt: "everyone".into(),
        }),
        (2, _) => Some(Holdout {
            basis_points: 0,
            salt: "nobody".into(),
        }),
        (_, bp) => Some(Holdout {
            basis_points: bp,
            salt: "some".into(),
        }),
    });
    let tiers = if spec.tiers {
        vec![
            TierStep {
                below: 5_000,
                tier: Tier::AddOn,
            },
            TierStep {
                below: 20_000,
                tier: Tier::Bundle,
            },
            TierStep {
                below: u64::MAX,
                tier: Tier::Premium,
            },
        ]
    } else {
        Vec::new()
    };
    let (protect_risk, assist_risk, assist_readiness, commit_readiness, price_sensitive) =
        spec.thresholds;
    let mut play_kinds = vec![KindSet::default(); Play::ALL.len()];
    for (play, kinds) in [Play::Assist, Play::Expand, Play::Commit]
        .into_iter()
        .zip(spec.play_kinds)
    {
        play_kinds[play.index()] = KindSet(kinds & 0x1f);
    }
    let mut pairings: Vec<Pairing> = spec
        .pairings
        .iter()
        .map(|&(item, offer, strength)| Pairing {
            item: item_of(item, n_items),
            offer: u32::from(offer) % n_offers as u32,
            strength: f32::from(strength) / 100.0,
            note: if strength % 2 == 0 {
                String::new()
            } else {
                format!("pairing {item}")
            },
        })
        .collect();
    pairings.sort_by_key(|p| p.item);
    let logistic = |(bias, weights): &(f32, Vec<(u8, f32)>)| Logistic {
        bias: *bias,
        weights: weights.iter().map(|&(f, w)| (feature_of(f), w)).collect(),
    };
    let mut offsets = vec![0u32];
    let mut entries = Vec::new();
    for (i, list) in spec.neighbours.iter().take(n_items).enumerate() {
        let mut list: Vec<(u32, u8, u8)> = list
            .iter()
            .map(|&(to, w, a)| {
                (
                    item_of(to, n_items),
                    w,
                    if a > 100 { ATTACH_UNKNOWN } else { a },
                )
            })
            .filter(|&(to, _, _)| to != i as u32)
            .collect();
        list.sort_unstable_by_key(|n| n.0);
        list.dedup_by_key(|n| n.0);
        let mut previous = 0u32;
        for (to, weight, attach) in &list {
            entries.extend_from_slice(&((to - previous) as u16).to_le_bytes());
            entries.push(*weight);
            entries.push(*attach);
            previous = *to;
        }
        offsets.push(offsets.last().unwrap() + list.len() as u32);
    }
    Payload {
        store_id: "prop-store".into(),
        store_name: "Prop Store".into(),
        currency: "USD".into(),
        currency_digits: 2,
        items,
        categories: vec!["cat-0".into(), "cat-1".into(), "cat-2".into()],
        families: vec!["fam-0".into(), "fam-1".into(), "fam-2".into()],
        offers,
        surfaces,
        policy: Policy {
            daily_cap: spec.daily_cap,
            quiet_after_purchase: spec.quiet,
            session_length: spec.session_length,
            holdout,
            trigger: Trigger {
                completed: vec![0],
                started: vec![1],
                within: 30,
            },
            tiers,
            thresholds: Thresholds {
                protect_risk,
                assist_risk,
                assist_readiness,
                commit_readiness,
                price_sensitive,
            },
            play_kinds,
            exploration: spec
                .exploration
                .map(|(basis_points, among, _)| Exploration {
                    basis_points,
                    among,
                }),
        },
        rules,
        programs,
        facts: BUILTIN_FACTS
            .iter()
            .map(|&(name, kind)| FactDecl {
                name: name.into(),
                kind,
            })
            .collect(),
        signals: SIGNALS.iter().map(|s| (*s).to_string()).collect(),
        pairings,
        model: Model {
            readiness: logistic(&spec.models[0]),
            risk: logistic(&spec.models[1]),
            price_sensitivity: logistic(&spec.models[2]),
            popularity: spec.popularity.iter().take(n_items).copied().collect(),
            neighbours: NeighbourBlob {
                offsets,
                wide: false,
                entries,
            },
            attach_window_days: 30,
        },
        email: None,
        frame_exploration: (spec.exploration)
            .and_then(|(_, _, frames)| frames)
            .map(|basis_points| FrameExploration { basis_points }),
        offer_viewed: spec.offer_viewed,
    }
}

fn load(payload: &Payload) -> Snapshot {
    let bytes = snapshot::encode(payload).expect("a payload encodes");
    // The engine's payload reader and postcard with serde read it alike.
    assert_eq!(
        tactful::fuzzing::payload_readers_agree(&bytes[snapshot::HEADER_LEN..]),
        Ok(())
    );
    match Snapshot::from_bytes(&bytes) {
        Ok(s) => s,
        Err(e) => panic!("a well-formed random store must load: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Random shoppers and histories

#[derive(Debug, Clone)]
struct ContextSpec {
    surface: u8,
    now_offset: i64,
    key: String,
    session_start: Option<i64>,
    cart: Vec<u8>,
    ghost_in_cart: bool,
    cart_value: Option<u64>,
    owned: Vec<u8>,
    viewed: Vec<u8>,
    events: Vec<(u8, Option<i64>, bool)>,
    orders: Option<u8>,
    refunds: Option<u8>,
    days: Option<u16>,
    source: Option<u8>,
    stage: Option<u8>,
    task_in_progress: bool,
}

fn context_strategy() -> impl Strategy<Value = ContextSpec> {
    (
        (
            0u8..6,
            0i64..10 * DAY_MS,
            prop_oneof![
                prop::sample::select(vec![
                    "alice", "bob", "carol", "dave", "erin", "k-1", "k-2", "k-3"
                ])
                .prop_map(str::to_string),
                "[a-z0-9-]{1,16}",
            ],
            prop::option::of(0i64..2 * HOUR_MS),
            prop::collection::vec(any::<u8>(), 0..=2),
            prop::bool::weighted(0.1),
            prop::option::weighted(0.3, 0u64..40_000),
            prop_oneof![3 => Just(Vec::new()), 2 => prop::collection::vec(any::<u8>(), 1..=2)],
        ),
        (
            prop::collection::vec(any::<u8>(), 0..=3),
            prop::collection::vec(
                (
                    prop_oneof![2 => Just(0u8), 1 => 0u8..6],
                    prop::option::of(-2 * HOUR_MS..10 * MINUTE_MS),
                    any::<bool>(),
                ),
                0..=6,
            ),
            prop::option::of(0u8..5),
            prop::option::of(0u8..3),
            prop::option::of(0u16..200),
            prop::option::of(0u8..3),
            prop::option::weighted(0.3, 0u8..5),
            prop::bool::weighted(0.1),
        ),
    )
        .prop_map(
            |(
                (surface, now_offset, key, session_start, cart, ghost_in_cart, cart_value, owned),
                (viewed, events, orders, refunds, days, source, stage, task_in_progress),
            )| ContextSpec {
                surface,
                now_offset,
                key,
                session_start,
                cart,
                ghost_in_cart,
                cart_value,
                owned,
                viewed,
                events,
                orders,
                refunds,
                days,
                source,
                stage,
                task_in_progress,
            },
        )
}

fn build_context(spec: &ContextSpec, n_items: usize) -> Context {
    let now = T0 + spec.now_offset;
    let mut c = Context::new(surface_of(spec.surface), now, spec.key.clone());
    c.session_start = spec.session_start.map(|back| now - back);
    let ids = |seeds: &[u8]| -> Vec<String> {
        seeds
            .iter()
            .map(|&s| item_id(item_of(s, n_items) as usize))
            .collect()
    };
    c.cart = ids(&spec.cart);
    if spec.ghost_in_cart {
        c.cart.push("ghost-item".into());
    }
    c.cart_value = spec.cart_value;
    c.owned = ids(&spec.owned);
    c.viewed = ids(&spec.viewed);
    c.events = spec
        .events
        .iter()
        .map(|&(name, at, labelled)| Event {
            name: EVENT_NAMES[usize::from(name)].into(),
            at: at.map(|offset| now + offset),
            label: labelled.then(|| format!("step {name}")),
        })
        .collect();
    if let Some(orders) = spec.orders {
        c.facts
            .insert("orders".into(), FactValue::Number(f64::from(orders)));
    }
    if let Some(refunds) = spec.refunds {
        c.facts
            .insert("refunds".into(), FactValue::Number(f64::from(refunds)));
    }
    if let Some(days) = spec.days {
        c.facts.insert(
            "days_since_last_purchase".into(),
            FactValue::Number(f64::from(days)),
        );
    }
    if let Some(source) = spec.source {
        c.facts.insert(
            "source".into(),
            FactValue::Text(SOURCES[usize::from(source)].into()),
        );
    }
    c.stage = spec.stage.map(stage_of);
    c.task_in_progress = spec.task_in_progress;
    c
}

/// One event to record: kind, offer seed (`None`: a purchase of anything, or an offer the
/// store does not have when the kind needs one), surface, seconds from the decision's `now`.
type EventSpec = (u8, Option<u8>, u8, i64);

fn event_strategy() -> impl Strategy<Value = EventSpec> {
    (
        // Impressions and dismissals mostly: accepts and purchases rule offers out for good.
        prop_oneof![5 => Just(0u8), 4 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8)],
        prop_oneof![6 => any::<u8>().prop_map(Some), 1 => Just(None)],
        0u8..6,
        // Mostly recent (and some in the future: a clock that went back), some long ago.
        prop_oneof![
            4 => -3 * 86_400i64..3_600,
            1 => -60 * 86_400i64..-3 * 86_400,
            1 => -3_600i64..86_400,
        ],
    )
}

fn build_memory(events: &[EventSpec], decisions: u32, n_offers: usize, now: i64) -> Memory {
    let mut m = Memory::new();
    for &(kind, offer, surface, seconds) in events {
        let kind = [
            EventKind::Impression,
            EventKind::Dismiss,
            EventKind::Accept,
            EventKind::Purchase,
        ][usize::from(kind)];
        let offer_id = match offer {
            Some(o) => Some(offer_id(usize::from(o) % n_offers)),
            None if kind == EventKind::Purchase => None,
            None => Some("retired-offer".into()),
        };
        m.record(&MemoryEvent {
            kind,
            offer_id,
            surface: Some(surface_of(surface)),
            at: now + seconds * 1000,
        })
        .unwrap();
    }
    m.decisions = decisions;
    m
}

// ---------------------------------------------------------------------------------------------
// The oracle

fn play_rank(play: Play) -> u8 {
    match play {
        Play::Protect => 0,
        Play::Assist => 1,
        Play::Expand => 2,
        Play::Commit => 3,
    }
}

/// Checks one decision against everything that must hold, computed from the inputs.
#[expect(
    clippy::too_many_lines,
    reason = "the brief's promises checked one after another against one decision; a known exception, see www/docs/contributing.md"
)]
fn check_decision(
    spec: &StoreSpec,
    snapshot: &Snapshot,
    context: &Context,
    memory: &Memory,
    d: &Decision,
) -> Result<(), TestCaseError> {
    let p = &snapshot.owned_payload();
    let n_items = p.items.len();
    let now = stamp_from_millis(context.now);
    let index_of = |ids: &[String]| -> BTreeSet<u32> {
        ids.iter()
            .filter_map(|id| snapshot.item_by_id(id))
            .collect()
    };
    let cart = index_of(&context.cart);
    let owned = index_of(&context.owned);
    let viewed = index_of(&context.viewed);
    let number = |name: &str| match context.facts.get(name) {
        Some(FactValue::Number(n)) => *n,
        _ => 0.0,
    };
    let mut signal_counts = [0.0; 5];
    for e in &context.events {
        if let Some(s) = SIGNALS.iter().position(|s| *s == e.name) {
            signal_counts[s] += 1.0;
        }
    }
    let cart_value = context
        .cart_value
        .unwrap_or_else(|| cart.iter().map(|&i| p.items[i as usize].price).sum());
    let facts = Facts {
        n_items,
        cart: cart.clone(),
        owned: owned.clone(),
        viewed,
        orders: number("orders"),
        source: match context.facts.get("source") {
            Some(FactValue::Text(t)) => t.clone(),
            _ => String::new(),
        },
        signal_counts,
        readiness: d.readiness,
        risk: d.risk,
        stage: d.stage,
        surface: context.surface,
        cart_value_major: cart_value as f64 / 100.0,
    };
    if let Some(stage) = context.stage {
        prop_assert_eq!(d.stage, stage, "the host's stage is used");
    }
    prop_assert!((0.0..=1.0).contains(&d.readiness));
    // Its words, from the same inputs: the same decision, every entry said in words.
    let mut bound = memory.clone();
    bound.store = snapshot.memory_tag();
    let words = tactful::explain(snapshot, context, &bound.encode())
        .map_err(|e| TestCaseError::fail(format!("explain refused what decide took: {e}")))?;
    prop_assert_eq!(&words.decision_id, &d.decision_id);
    prop_assert_eq!(words.left_out.len(), d.left_out.len());
    prop_assert_eq!(words.offers.len(), d.offers.len());
    prop_assert_eq!(words.would_have_shown.len(), d.would_have_shown.len());
    prop_assert!(!words.play_reasons.is_empty(), "a play with no reason");
    prop_assert!((words.readiness.score - d.readiness).abs() < 1e-12);
    prop_assert!((0.0..=1.0).contains(&d.risk));

    let shown: Vec<&ShownOffer> = d.offers.iter().chain(&d.would_have_shown).collect();
    let ids: Vec<&str> = shown.iter().map(|s| s.offer_id.as_str()).collect();
    let distinct: BTreeSet<&str> = ids.iter().copied().collect();
    prop_assert_eq!(distinct.len(), ids.len(), "an offer shown twice: {:?}", ids);
    let exposed: Vec<&str> = d
        .exposure
        .offers
        .iter()
        .map(|o| o.offer_id.as_str())
        .collect();
    prop_assert_eq!(&exposed, &ids, "the exposure logs what is shown");
    prop_assert_eq!(d.exposure.holdout, d.holdout);
    prop_assert_eq!(d.exposure.play, d.play);
    prop_assert!(d.exposure.propensity > 0.0 && d.exposure.propensity <= 1.0);
    if p.policy.exploration.is_none() {
        prop_assert!(!d.exposure.explored);
        prop_assert_eq!(d.exposure.propensity, 1.0);
    }
    // The exposure is the v1 log record: the shopper's key, the price asked and its margin.
    prop_assert_eq!((d.exposure.record, d.exposure.v), ("exposure", 1));
    prop_assert_eq!(&d.exposure.shopper_key, &context.shopper_key);
    prop_assert_eq!(&d.exposure.currency, &d.currency);
    for (exposed, shown) in d.exposure.offers.iter().zip(&shown) {
        let offer = p
            .offers
            .iter()
            .find(|o| o.id == shown.offer_id)
            .expect("a shown offer");
        prop_assert_eq!(exposed.final_price, shown.final_price);
        prop_assert_eq!(exposed.margin, shown.final_price as i64 - offer.cost as i64);
        // Its frame is one it has copy for, and the frame's propensity is a probability; 1 and
        // never drawn without frame exploration or with one frame to show.
        prop_assert_eq!(exposed.frame, shown.frame);
        prop_assert!(offer.copy.iter().any(|(f, _)| *f == shown.frame));
        prop_assert!(exposed.frame_propensity > 0.0 && exposed.frame_propensity <= 1.0);
        let frames: BTreeSet<Frame> = offer.copy.iter().map(|(f, _)| *f).collect();
        if p.frame_exploration.is_none_or(|e| e.basis_points == 0) || frames.len() < 2 {
            prop_assert!(!exposed.frame_drawn);
            prop_assert_eq!(exposed.frame_propensity, 1.0);
        }
    }
    // Its decision record carries the context as the engine read it: read back, the same
    // context, and the same decision from it.
    let options = tactful::DecideOptions {
        decision_record: true,
        ..tactful::DecideOptions::default()
    };
    let decided_from = bound.encode();
    let (recorded, _) = tactful::decide_with(snapshot, context, &decided_from, options)
        .map_err(|e| TestCaseError::fail(format!("a decision record refused: {e}")))?;
    let record: serde_json::Value = serde_json::from_str(&recorded.exposure.to_json()).unwrap();
    prop_assert_eq!(&record["type"], "decision");
    prop_assert_eq!(record["memory"].as_str(), Some(decided_from.as_str()));
    let read_back = Context::from_json(&record["context"].to_string()).map_err(|e| {
        TestCaseError::fail(format!("the record's context does not read back: {e}"))
    })?;
    prop_assert_eq!(&read_back, context);
    // Rule 9: every left-out candidate names its rule, once, and is not also shown.
    let mut left: BTreeSet<&str> = BTreeSet::new();
    for (l, said) in d.left_out.iter().zip(&words.left_out) {
        prop_assert!(!l.rule.is_empty() && !said.detail.is_empty(), "{:?}", l);
        prop_assert_eq!(&l.offer_id, &said.offer_id);
        prop_assert!(
            left.insert(l.offer_id.as_str()),
            "{} left out twice",
            l.offer_id
        );
        prop_assert!(
            !distinct.contains(l.offer_id.as_str()),
            "{} both shown and left out",
            l.offer_id
        );
        prop_assert!(snapshot.offer_by_id(&l.offer_id).is_some());
    }

    // Holdout (rule 6).
    match &p.policy.holdout {
        None => prop_assert!(!d.holdout),
        Some(h) if h.basis_points == 0 => prop_assert!(!d.holdout),
        Some(h) if h.basis_points == 10_000 => prop_assert!(d.holdout),
        Some(_) => {}
    }
    if d.holdout {
        prop_assert!(d.offers.is_empty(), "a holdout shopper is shown {:?}", ids);
    } else {
        prop_assert!(d.would_have_shown.is_empty());
    }

    // Rule effects, evaluated here.
    let holding: Vec<&Rule> = p
        .rules
        .iter()
        .filter(|r| facts.holds(&spec.conds[r.when as usize]))
        .collect();
    if let Some(cap) = holding
        .iter()
        .filter_map(|r| r.play)
        .min_by_key(|&pl| play_rank(pl))
    {
        prop_assert!(
            play_rank(d.play) <= play_rank(cap),
            "play {} above a rule's {}",
            d.play,
            cap
        );
    }

    if shown.is_empty() {
        return Ok(());
    }
    // Anything shown at all: no gate protects.
    prop_assert_ne!(d.play, Play::Protect);
    let policy = &p.policy;
    prop_assert!(
        d.risk < f64::from(policy.thresholds.protect_risk),
        "risk {} at or above protect_risk {} yet {:?} shown",
        d.risk,
        policy.thresholds.protect_risk,
        ids
    );
    let rules = p.surfaces[context.surface.index()];
    // Surface limit and caps (rule 3).
    prop_assert!(
        shown.len() <= usize::from(rules.limit),
        "{} offers over the limit {}",
        shown.len(),
        rules.limit
    );
    let session_start = stamp_from_millis(
        context
            .session_start
            .unwrap_or(context.now - i64::from(policy.session_length) * MINUTE_MS),
    );
    let day_ago = now.saturating_sub(86_400);
    let (mut session, mut today_here, mut today) = (0usize, 0usize, 0usize);
    for &(at, on) in memory.offers.iter().flat_map(|h| h.impressions.iter()) {
        if at > now {
            continue;
        }
        if at > day_ago {
            today += 1;
            if on == context.surface {
                today_here += 1;
            }
        }
        if on == context.surface && at >= session_start {
            session += 1;
        }
    }
    prop_assert!(
        shown.len() + session <= usize::from(rules.per_session),
        "session cap {}: {} shown before, {} now",
        rules.per_session,
        session,
        shown.len()
    );
    prop_assert!(
        shown.len() + today_here <= usize::from(rules.per_day),
        "surface daily cap {}: {} shown before, {} now",
        rules.per_day,
        today_here,
        shown.len()
    );
    prop_assert!(
        shown.len() + today <= usize::from(policy.daily_cap),
        "daily cap {}: {} shown before, {} now",
        policy.daily_cap,
        today,
        shown.len()
    );

    // In-product offers only after a completed action, never mid-task (rule 5).
    if rules.needs_trigger {
        prop_assert!(
            !context.task_in_progress,
            "shown while the host says a task is under way"
        );
        let at_of = |e: &Event| e.at.map_or(now, stamp_from_millis);
        let latest = |name: &str| {
            context
                .events
                .iter()
                .filter(|e| e.name == name)
                .map(at_of)
                .max()
        };
        let completed = latest(SIGNALS[0]);
        prop_assert!(completed.is_some(), "shown with no completed action");
        let completed = completed.unwrap();
        prop_assert!(
            u64::from(now) <= u64::from(completed) + u64::from(policy.trigger.within) * 60,
            "the last completed action is too old"
        );
        if let Some(started) = latest(SIGNALS[1]) {
            prop_assert!(
                started <= completed,
                "shown while a started task is not completed"
            );
        }
    }
    // The quiet period after a purchase.
    if rules.quiet_after_purchase && policy.quiet_after_purchase > 0 {
        if let Some(&last) = memory.purchases.last() {
            prop_assert!(
                u64::from(now) >= u64::from(last) + u64::from(policy.quiet_after_purchase) * 60,
                "shown within the quiet period after a purchase"
            );
        }
    }

    let kinds = policy.play_kinds[d.play.index()];
    let said: Vec<_> = words.offers.iter().chain(&words.would_have_shown).collect();
    let held = |item: &u32| owned.contains(item) || cart.contains(item);
    // An offer that sells only viewed items and completes no bundle (`offer_viewed`).
    let only_viewed = |offer: &Offer| {
        let completes = offer.kind == OfferKind::Bundle
            && offer.items.len() > 1
            && offer.items.iter().any(held)
            && !offer.items.iter().all(held);
        !completes
            && !offer.items.is_empty()
            && offer.items.iter().all(|i| facts.viewed.contains(i))
    };
    if p.offer_viewed == Some(ViewedOffers::Last) && !d.exposure.explored {
        // Ranked last: nothing new is shown after an offer of only viewed items.
        let viewed_in_order: Vec<bool> = (d.offers.iter().chain(&d.would_have_shown))
            .filter_map(|s| snapshot.offer_by_id(&s.offer_id))
            .map(|o| only_viewed(&p.offers[o as usize]))
            .collect();
        prop_assert!(
            viewed_in_order.windows(2).all(|w| !w[0] || w[1]),
            "an offer of only viewed items before a new one: {:?}",
            ids
        );
    }
    let viewed_left_out = d.left_out.iter().any(|l| l.reason == SkipReason::Viewed);
    prop_assert!(
        !viewed_left_out
            || matches!(
                p.offer_viewed,
                Some(ViewedOffers::Last | ViewedOffers::Never)
            ),
        "left out as viewed where the store ranks viewed items as usual"
    );
    for (s, said) in shown.iter().zip(said) {
        prop_assert_eq!(&s.offer_id, &said.offer_id);
        prop_assert!(!s.why.is_empty(), "an offer with no reason code");
        let index = snapshot
            .offer_by_id(&s.offer_id)
            .expect("a shown offer is in the snapshot");
        let offer = &p.offers[index as usize];
        let what = format!("offer {} ({:?})", offer.id, s);
        prop_assert!(
            offer.surfaces.contains(context.surface),
            "{} is not on {}",
            what,
            context.surface
        );
        prop_assert!(
            kinds.contains(offer.kind),
            "{} is a {} in the {} play",
            what,
            offer.kind,
            d.play
        );
        prop_assert!(
            !said.copy.is_empty() && !said.reasons.is_empty(),
            "{} has no copy or reasons",
            what
        );
        prop_assert!(
            offer
                .copy
                .iter()
                .any(|(f, c)| *f == s.frame && *c == said.copy)
        );
        // Rule 1: nothing owned, in the cart, or excluded; a bundle held in part is offered
        // only for the rest, for less than the whole bundle.
        let completing = offer.kind == OfferKind::Bundle
            && offer.items.len() > 1
            && offer.items.iter().any(|i| !held(i));
        for item in &offer.items {
            prop_assert!(
                completing || !owned.contains(item),
                "{} sells owned item {}",
                what,
                item
            );
            prop_assert!(
                completing || !cart.contains(item),
                "{} sells item {} in the cart",
                what,
                item
            );
        }
        // Viewed items are re-offered only where the store allows it (or its format predates
        // the choice): an offer that adds nothing unseen is otherwise left out.
        if p.offer_viewed == Some(ViewedOffers::Never) {
            prop_assert!(!only_viewed(offer), "{} sells only viewed items", what);
        }
        if offer.items.iter().any(held) {
            prop_assert!(
                s.price < offer.price || offer.price == 0,
                "{} asks for the whole bundle",
                what
            );
        }
        for item in &offer.requires {
            prop_assert!(
                owned.contains(item),
                "{} requires unowned item {}",
                what,
                item
            );
        }
        for item in &offer.excluded_by {
            prop_assert!(
                !owned.contains(item),
                "{} is excluded by owned item {}",
                what,
                item
            );
        }
        if let Some(w) = offer.when {
            prop_assert!(
                facts.holds(&spec.conds[w as usize]),
                "{}: `when` does not hold",
                what
            );
        }
        if let Some(u) = offer.unless {
            prop_assert!(
                !facts.holds(&spec.conds[u as usize]),
                "{}: `unless` holds",
                what
            );
        }
        for r in &holding {
            prop_assert!(
                !r.exclude_offers.contains(&index),
                "{} excluded by {}",
                what,
                r.id
            );
            prop_assert!(
                !r.exclude_kinds.contains(offer.kind),
                "{} kind excluded by {}",
                what,
                r.id
            );
        }
        if holding.iter().any(|r| r.no_discount) {
            prop_assert_eq!(s.discount_percent, 0, "a no-discount rule holds");
            prop_assert_eq!(s.final_price, s.price);
        }
        let history = memory.offer(offer_memory_key(&offer.id));
        // Rule 4: not again after an accept or purchase, unless repeatable.
        if !offer.repeatable {
            if let Some(h) = history {
                prop_assert!(
                    h.accepts.is_empty() && h.purchases.is_empty(),
                    "{} was accepted or bought",
                    what
                );
            }
        }
        // Rule 2: the cooldown ladder after its own dismissals.
        if let Some(h) = history {
            if let (Some(&last), false) = (h.dismissals.last(), offer.cooldown.is_empty()) {
                let rung = h.dismissals.len().min(offer.cooldown.len()) - 1;
                let minutes = offer.cooldown[rung];
                prop_assert!(
                    minutes != NEVER,
                    "{} dismissed {} times: never again",
                    what,
                    h.dismissals.len()
                );
                prop_assert!(
                    u64::from(now) >= u64::from(last) + u64::from(minutes) * 60,
                    "{} is inside its cooldown of {} minutes after dismissal {} at {} (now {})",
                    what,
                    minutes,
                    h.dismissals.len(),
                    last,
                    now
                );
            }
        }
        // ... and the family's.
        if let Some(family) = offer.family {
            for (j, other) in p.offers.iter().enumerate() {
                if j == index as usize || other.family != Some(family) {
                    continue;
                }
                if let Some(&at) = memory
                    .offer(offer_memory_key(&other.id))
                    .and_then(|h| h.dismissals.last())
                {
                    prop_assert!(
                        u64::from(now) >= u64::from(at) + u64::from(offer.family_cooldown) * 60,
                        "{} is cooling down with its family: {} was dismissed at {} (now {})",
                        what,
                        other.id,
                        at,
                        now
                    );
                }
            }
        }
        // Rule 3: the offer's own cap in its window.
        if let (Some(cap), Some(h)) = (offer.cap, history) {
            let since = u64::from(now).saturating_sub(u64::from(cap.window) * 60);
            let recent = h
                .impressions
                .iter()
                .filter(|&&(at, _)| u64::from(at) > since && at <= now)
                .count();
            prop_assert!(
                recent < usize::from(cap.max),
                "{} was shown {} times in its {}-minute window, cap {}",
                what,
                recent,
                cap.window,
                cap.max
            );
        }
    }
    Ok(())
}

/// The checks above can fail: the same decision, against inputs it would break, is caught.
fn oracle_catches_violations(
    store: &StoreSpec,
    snapshot: &Snapshot,
    context: &Context,
    memory: &Memory,
    d: &Decision,
) -> Result<(), TestCaseError> {
    let Some(first) = d.offers.iter().chain(&d.would_have_shown).next() else {
        return Ok(());
    };
    let p = &snapshot.owned_payload();
    let offer = &p.offers[snapshot.offer_by_id(&first.offer_id).unwrap() as usize];
    let caught =
        |c: &Context, m: &Memory, d: &Decision| check_decision(store, snapshot, c, m, d).is_err();

    // Every item of the offer held: nothing would be added, so not even a bundle may show.
    let ids: Vec<String> = (offer.items.iter())
        .map(|&i| p.items[i as usize].id.clone())
        .collect();
    let mut owns_it = context.clone();
    owns_it.owned.extend(ids.iter().cloned());
    prop_assert!(caught(&owns_it, memory, d), "an owned item went unnoticed");
    let mut in_cart = context.clone();
    in_cart.cart.extend(ids.iter().cloned());
    prop_assert!(
        caught(&in_cart, memory, d),
        "an item in the cart went unnoticed"
    );
    if !offer.cooldown.is_empty() {
        let mut dismissed = memory.clone();
        dismissed
            .record(&MemoryEvent {
                kind: EventKind::Dismiss,
                offer_id: Some(offer.id.clone()),
                surface: None,
                at: context.now,
            })
            .unwrap();
        let ladder_rung = dismissed
            .offer(offer_memory_key(&offer.id))
            .map_or(0, |h| h.dismissals.len().min(offer.cooldown.len()) - 1);
        if offer.cooldown[ladder_rung] > 0 {
            prop_assert!(
                caught(context, &dismissed, d),
                "a fresh dismissal went unnoticed"
            );
        }
    }
    if !offer.repeatable {
        let mut bought = memory.clone();
        bought
            .record(&MemoryEvent {
                kind: EventKind::Purchase,
                offer_id: Some(offer.id.clone()),
                surface: None,
                at: context.now - DAY_MS,
            })
            .unwrap();
        prop_assert!(caught(context, &bought, d), "a purchase went unnoticed");
    }
    let mut flipped = d.clone();
    flipped.holdout = !d.holdout;
    flipped.exposure.holdout = !d.holdout;
    prop_assert!(
        caught(context, memory, &flipped),
        "a holdout shopper shown offers went unnoticed"
    );
    let mut doubled = d.clone();
    let mut twice = d
        .offers
        .iter()
        .chain(&d.would_have_shown)
        .cloned()
        .collect::<Vec<_>>();
    twice.push(first.clone());
    if d.holdout {
        doubled.would_have_shown = twice
    } else {
        doubled.offers = twice
    }
    prop_assert!(
        caught(context, memory, &doubled),
        "an offer shown twice went unnoticed"
    );
    Ok(())
}

fn json(d: &Decision) -> String {
    serde_json::to_string(d).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// The brief's rules 1 to 7 over random stores, shoppers and histories.
    #[test]
    fn decisions_keep_every_promise(
        store in store_strategy(),
        context in context_strategy(),
        events in prop::collection::vec(event_strategy(), 0..24),
        decisions in 0u32..50,
    ) {
        let payload = build(&store, None);
        let snapshot = load(&payload);
        let n_items = payload.items.len();
        let context = build_context(&context, n_items);
        let memory = build_memory(&events, decisions, payload.offers.len(), context.now);

        let outcome = decide(&snapshot, &context, &memory).expect("a valid context decides");
        let d = &outcome.decision;
        check_decision(&store, &snapshot, &context, &memory, d)?;
        prop_assert_eq!(outcome.memory.decisions, memory.decisions + 1);
        oracle_catches_violations(&store, &snapshot, &context, &memory, d)?;
        // Rule 8: the memory after a decision forgets nothing a cap or cooldown needs.
        let horizon = stamp_from_millis(context.now).saturating_sub(snapshot.longest_window() * 60);
        for h in &memory.offers {
            let kept = outcome.memory.offer(h.key);
            let needed: Vec<_> = h.impressions.iter().filter(|i| i.0 >= horizon).copied().collect();
            if h.dismissals.is_empty() && h.accepts.is_empty() && h.purchases.is_empty() && needed.is_empty() {
                continue;
            }
            let kept = kept.expect("an offer's history is kept");
            prop_assert_eq!(&kept.dismissals, &h.dismissals);
            prop_assert_eq!(&kept.accepts, &h.accepts);
            prop_assert_eq!(&kept.purchases, &h.purchases);
            for i in needed {
                prop_assert!(kept.impressions.contains(&i), "impression {:?} dropped", i);
            }
        }
        prop_assert_eq!(outcome.memory.purchases.last(), memory.purchases.last());

        // Rule 7: the same inputs give the same decision, through either entry point.
        let again = decide(&snapshot, &context, &memory).unwrap();
        prop_assert_eq!(json(d), json(&again.decision));
        prop_assert_eq!(&outcome.memory, &again.memory);
        let reloaded = load(&payload);
        prop_assert_eq!(json(d), json(&decide(&reloaded, &context, &memory).unwrap().decision));
        let (encoded_decision, encoded_memory) = decide_encoded(&snapshot, &context, &memory.encode()).unwrap();
        prop_assert_eq!(json(d), json(&encoded_decision));
        prop_assert_eq!(encoded_memory, outcome.memory.encode());

        // Rule 6: what a holdout shopper would have been shown is what the same store without
        // a holdout shows.
        let open = load(&build(&store, Some(None)));
        let open_decision = decide(&open, &context, &memory).unwrap().decision;
        prop_assert!(!open_decision.holdout);
        prop_assert_eq!(open_decision.play, d.play);
        let shown: Vec<ShownOffer> = d.offers.iter().chain(&d.would_have_shown).cloned().collect();
        prop_assert_eq!(&open_decision.offers, &shown);
        if d.holdout {
            prop_assert_eq!(&d.would_have_shown, &open_decision.offers);
        }
        // And a store holding everyone out shows nothing, but records the same offers.
        let closed = load(&build(&store, Some(Some(Holdout { basis_points: 10_000, salt: "all".into() }))));
        let closed_decision = decide(&closed, &context, &memory).unwrap().decision;
        prop_assert!(closed_decision.holdout);
        prop_assert!(closed_decision.offers.is_empty());
        prop_assert_eq!(&closed_decision.would_have_shown, &open_decision.offers);
        check_decision(&store, &closed, &context, &memory, &closed_decision)?;
    }

    /// The same context on every surface, so the per-surface rules all get exercised.
    #[test]
    fn every_surface_keeps_its_rules(
        store in store_strategy(),
        context in context_strategy(),
        events in prop::collection::vec(event_strategy(), 0..24),
    ) {
        let payload = build(&store, None);
        let snapshot = load(&payload);
        let mut context = build_context(&context, payload.items.len());
        let memory = build_memory(&events, 0, payload.offers.len(), context.now);
        for &surface in Surface::ALL {
            context.surface = surface;
            let d = decide(&snapshot, &context, &memory).unwrap().decision;
            check_decision(&store, &snapshot, &context, &memory, &d)?;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Memory

const MEMORY_OFFERS: [&str; 5] = ["a", "b", "c", "workbook-addon", "starter-brushes"];

/// A memory from random events over a few offers, within `span_seconds` after `start`.
fn memory_strategy(
    start: i64,
    span_seconds: i64,
    max_events: usize,
) -> impl Strategy<Value = Memory> {
    (
        prop::collection::vec(
            (
                0u8..4,
                prop::option::weighted(0.9, 0usize..MEMORY_OFFERS.len()),
                0u8..6,
                0..span_seconds,
            ),
            0..max_events,
        ),
        prop_oneof![Just(0u32), 0u32..1000, Just(u32::MAX)],
    )
        .prop_map(move |(events, decisions)| {
            let mut m = Memory::new();
            for (kind, offer, surface, seconds) in events {
                let kind = [
                    EventKind::Impression,
                    EventKind::Dismiss,
                    EventKind::Accept,
                    EventKind::Purchase,
                ][usize::from(kind)];
                let offer_id = match (offer, kind) {
                    (Some(o), _) => Some(MEMORY_OFFERS[o].to_string()),
                    (None, EventKind::Purchase) => None,
                    (None, _) => Some("z".into()),
                };
                m.record(&MemoryEvent {
                    kind,
                    offer_id,
                    surface: Some(surface_of(surface)),
                    at: start + seconds * 1000,
                })
                .unwrap();
            }
            m.decisions = decisions;
            m
        })
}

/// Events over a few weeks, often in the same seconds, so sets overlap and lists overflow.
/// Version 1 memory bytes written field by field (postcard: a varint per number, a length
/// before each list; every number here is below 128, so one byte), with small deltas so that
/// repeats and same-second impressions are common: what a damaged cookie can hold.
fn memory_v1_bytes() -> impl Strategy<Value = Vec<u8>> {
    let list = |max: u8, len: usize| prop::collection::vec(0..max, 0..len);
    let offer = (list(24, 6), list(3, 4), list(3, 3), list(3, 3));
    (0u8..100, list(4, 4), prop::collection::vec(offer, 0..4)).prop_map(
        |(base, purchases, offers)| {
            let mut bytes = vec![1, 0, base];
            let push_list = |bytes: &mut Vec<u8>, list: &[u8]| {
                bytes.push(list.len() as u8);
                bytes.extend(list);
            };
            push_list(&mut bytes, &purchases);
            bytes.push(offers.len() as u8);
            for (i, (impressions, dismissals, accepts, bought)) in offers.iter().enumerate() {
                bytes.extend([i as u8 * 7, 0, 0, 0]);
                for list in [impressions, dismissals, accepts, bought] {
                    push_list(&mut bytes, list);
                }
            }
            bytes
        },
    )
}

fn weeks() -> impl Strategy<Value = Memory> {
    prop_oneof![
        memory_strategy(T0, 30 * 86_400, 60),
        memory_strategy(T0, 600, 60),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn merge_is_commutative(a in weeks(), b in weeks()) {
        prop_assert_eq!(a.merge(&b), b.merge(&a));
    }

    #[test]
    fn merge_is_associative(a in weeks(), b in weeks(), c in weeks()) {
        prop_assert_eq!(a.merge(&b).merge(&c), a.merge(&b.merge(&c)));
    }

    #[test]
    fn merge_is_idempotent(a in weeks(), b in weeks()) {
        prop_assert_eq!(a.merge(&a), a.clone());
        let ab = a.merge(&b);
        prop_assert_eq!(ab.merge(&a), ab.clone());
        prop_assert_eq!(ab.merge(&Memory::new()), ab);
    }

    /// Two tabs recording separately, merged, hold what one tab recording everything holds.
    #[test]
    fn merge_loses_nothing_either_side_recorded(
        events in prop::collection::vec((0u8..4, 0usize..MEMORY_OFFERS.len(), 0u8..6, 0i64..86_400, any::<bool>()), 0..80),
    ) {
        let (mut left, mut right, mut both) = (Memory::new(), Memory::new(), Memory::new());
        for (kind, offer, surface, seconds, to_left) in events {
            let event = MemoryEvent {
                kind: [EventKind::Impression, EventKind::Dismiss, EventKind::Accept, EventKind::Purchase][usize::from(kind)],
                offer_id: Some(MEMORY_OFFERS[offer].into()),
                surface: Some(surface_of(surface)),
                at: T0 + seconds * 1000,
            };
            if to_left { left.record(&event).unwrap() } else { right.record(&event).unwrap() }
            both.record(&event).unwrap();
        }
        prop_assert_eq!(left.merge(&right), both);
    }

    #[test]
    fn memory_round_trips(m in weeks()) {
        prop_assert!(tactful::fuzzing::memory_written_as_by_serde(&m));
        let encoded = m.encode();
        prop_assert_eq!(Memory::decode(&encoded).unwrap(), m.clone());
        let merged = m.merge(&m);
        prop_assert_eq!(Memory::decode(&merged.encode()).unwrap(), merged);
    }

    /// Whatever bytes a cookie holds, memory read from them is a set: merging it with itself
    /// changes nothing and it encodes to memory that reads back the same (a repeated entry
    /// once read would have counted twice toward a cap).
    #[test]
    fn any_memory_that_reads_is_canonical(bytes in memory_v1_bytes()) {
        // Its body (after the version byte) reads alike by hand and by postcard with serde.
        prop_assert!(tactful::fuzzing::memory_body_readers_agree(&bytes[1..]));
        let encoded = URL_SAFE_NO_PAD.encode(&bytes);
        if let Ok(m) = Memory::decode(&encoded) {
            prop_assert_eq!(m.merge(&m), m.clone());
            prop_assert_eq!(Memory::decode(&m.encode()).unwrap(), m);
        }
    }

    /// Memory must survive encoding for any time the engine accepts as `now` (2020 to 2100):
    /// a shopper's old purchase and a new impression years later are both kept.
    #[test]
    fn memory_round_trips_across_the_accepted_time_range(
        m in memory_strategy(1_577_836_800_000, (4_102_444_800_000 - 1_577_836_800_000) / 1000, 12),
    ) {
        prop_assert!(tactful::fuzzing::memory_written_as_by_serde(&m));
        let encoded = m.encode();
        prop_assert_eq!(Memory::decode(&encoded).unwrap(), m);
    }
}

#[test]
fn random_store_offer_ids_have_distinct_memory_keys() {
    let keys: BTreeSet<u32> = (0..MAX_OFFERS)
        .map(|i| offer_memory_key(&offer_id(i)))
        .collect();
    assert_eq!(keys.len(), MAX_OFFERS);
}

/// A concrete case of [`memory_round_trips_across_the_accepted_time_range`]: memory keeps a
/// dismissal for good, so a cookie written in 2025 still holds it twenty years on; an impression
/// then must come back from the memory string at its own time, or the offer's cap stops counting
/// it and the same memory string decides differently from the memory it encodes (rules 3 and 7).
#[test]
fn memory_keeps_impressions_years_apart() {
    const JAN_2045: i64 = 2_366_841_600_000; // 2045-01-01T00:00:00Z
    let snapshot = Snapshot::from_bytes(include_bytes!("golden/inkwell-v1.snap")).unwrap();
    let mut memory = Memory::new();
    for (kind, offer, surface, at) in [
        (EventKind::Dismiss, "workbook-addon", None, T0),
        (
            EventKind::Impression,
            "coaching-intensive",
            Some(Surface::ProductPage),
            JAN_2045,
        ),
    ] {
        memory
            .record(&MemoryEvent {
                kind,
                offer_id: Some(offer.into()),
                surface,
                at,
            })
            .unwrap();
    }
    let mut context = Context::new(Surface::ProductPage, JAN_2045 + HOUR_MS, "cap-check");
    context.owned.push("course-foundations".into());
    context.viewed.push("coaching-intensive".into());

    // `coaching-intensive` is capped at one impression per 30 days, and was shown an hour ago.
    let direct = decide(&snapshot, &context, &memory).unwrap().decision;
    assert!(
        direct
            .left_out
            .iter()
            .any(|l| l.offer_id == "coaching-intensive"
                && serde_json::to_value(l.reason).unwrap() == "offer_cap"),
        "{:#?}",
        direct.left_out
    );
    let (through_string, _) = decide_encoded(&snapshot, &context, &memory.encode()).unwrap();
    let shown: Vec<&str> = through_string
        .offers
        .iter()
        .chain(&through_string.would_have_shown)
        .map(|o| o.offer_id.as_str())
        .collect();
    assert!(
        !shown.contains(&"coaching-intensive"),
        "the capped offer is shown again once its memory went through the memory string: {shown:?}"
    );
    assert_eq!(json(&direct), json(&through_string));
    assert_eq!(Memory::decode(&memory.encode()).unwrap(), memory);
}
