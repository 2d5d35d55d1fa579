//! Native benchmark of the engine: snapshot size, load time and decision latency.
//!
//! Run with `cargo bench --bench engine` (release/bench profile). It prints numbers and asserts
//! nothing about speed: it is a measuring tool, not a timed test.
//!
//! Two stores are measured:
//! - the sample store (`www/sample-store`), compiled with its model;
//! - a generated store of 10,000 offers over 10,000 items with 50 affinity neighbours per item,
//!   built as a [`Payload`] and encoded directly, from a fixed-seed splitmix64 generator so that
//!   every run measures the same bytes.
//!
//! The snapshot-size target is set for the same store with 10 neighbours per item: its brotli
//! size is printed too, with what the neighbours, the offers' copy and everything else each
//! add to it.
//!
//! For each it prints the snapshot size (raw and brotli at quality 11, window 22), the median
//! load time of [`Snapshot::from_bytes`], and p50/p99 decision latency over a pool of varied
//! contexts with prepared memory strings, both through [`decide_encoded`] (the full host path,
//! memory decoded and encoded again) and through [`decide`] with memory decoded beforehand.
//! Each sample is an [`Instant`] taken around one call (the result is dropped after the clock
//! stops). At the end the measured values are printed beside the targets.
//!
//! With `TACTFUL_BENCH_EXPORT=<dir>` it also writes, for each store, what the Node benchmark
//! (`tests/bench/node/bench.mjs`) measures: `<store>.snap`, `<store>-workload.json` (the same
//! contexts and memory strings, as `[{ "context", "memory" }]`) and `<store>-offers.json` (each
//! offer's surfaces, items, `requires`, `excluded_by` and conditions, and the store rules, for
//! the peers to translate into their own rules); `sample` and `generated` name the stores. With
//! `TACTFUL_BENCH_EXPORT_ONLY=1` as well it exports and measures nothing. With
//! `TACTFUL_BENCH_LOAD_ONLY=1` it measures only the two stores' load times (a change to the
//! snapshot reader needs no more).

// A benchmark, not library code: a panic here is a broken benchmark, and indexes into the
// generated tables are in range by construction.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a benchmark, not library code"
)]

use std::collections::BTreeSet;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;

use tactful::compile::{Options, compile_paths};
use tactful::snapshot::{
    self,
    wire::{
        ATTACH_UNKNOWN, Cap, FactKind, Item, Model, NEVER, NeighbourBlob, Offer, Pairing, Payload,
        Rule,
    },
};
use tactful::{
    Const, Context, Event, EventKind, FactValue, Frame, KindSet, Memory, MemoryEvent, OfferKind,
    Op, Play, Program, Snapshot, Stage, Surface, SurfaceSet, Tier, decide, decide_encoded,
    offer_memory_key,
};

// ------------------------------------------------------------------------------------------------
// Sizes of the runs.

const SAMPLE_LOAD_RUNS: usize = 2_000;
const LARGE_LOAD_RUNS: usize = 100;
const SAMPLE_DECISIONS: usize = 20_000;
const LARGE_DECISIONS: usize = 10_000;
/// Distinct contexts (each with its own prepared memory) cycled through by the decisions.
const POOL: usize = 1_024;
/// Workload seeds of the two stores.
const SAMPLE_SEED: u64 = 0x5A3F_1E00_0000_0001;
const LARGE_SEED: u64 = 0x5A3F_1E00_0000_0002;

const N_ITEMS: usize = 10_000;
const N_OFFERS: usize = 10_000;
const NEIGHBOURS: usize = 50;
/// Neighbours per item in the store whose size the snapshot-size target is set for.
const TARGET_NEIGHBOURS: usize = 10;
const N_CATEGORIES: usize = 120;
const OFFERS_PER_FAMILY: usize = 25;

/// 2025-11-21T12:00:00Z, in Unix milliseconds.
const BASE_NOW: i64 = 1_763_726_400_000;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

// ------------------------------------------------------------------------------------------------
// A fixed-seed PRNG: splitmix64.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (the modulo bias is irrelevant here).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % (n.max(1) as u64)) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

// ------------------------------------------------------------------------------------------------
// The generated store.

const ADJECTIVES: &[&str] = &[
    "Linen",
    "Copper",
    "Studio",
    "Field",
    "Pocket",
    "Daily",
    "Classic",
    "Modern",
    "Rapid",
    "Quiet",
    "Bold",
    "Fine",
    "Deluxe",
    "Compact",
    "Heritage",
    "Urban",
    "Coastal",
    "Alpine",
    "Midnight",
    "Golden",
    "Essential",
    "Pro",
    "Starter",
    "Advanced",
];
const NOUNS: &[&str] = &[
    "Sketch", "Brush", "Canvas", "Journal", "Lens", "Tripod", "Course", "Template", "Palette",
    "Marker", "Backpack", "Lamp", "Kettle", "Planner", "Toolkit", "Blender", "Keyboard", "Headset",
    "Notebook", "Frame", "Stand", "Cable", "Guide", "Workshop",
];
const FORMS: &[&str] = &[
    "Set",
    "Kit",
    "Pack",
    "Edition",
    "Bundle",
    "Collection",
    "Series",
    "Box",
    "Mini",
    "Plus",
];
const CATEGORY_WORDS: &[&str] = &[
    "brushes",
    "courses",
    "templates",
    "cameras",
    "lighting",
    "audio",
    "stationery",
    "bags",
    "kitchen",
    "desk",
    "coaching",
    "software",
];
const JOB_VERBS: &[&str] = &[
    "get started",
    "finish faster",
    "practise daily",
    "work on the go",
    "look professional",
    "avoid mistakes",
    "keep everything together",
    "share their work",
];

fn name(rng: &mut Rng) -> String {
    format!(
        "{} {} {}",
        rng.pick(ADJECTIVES),
        rng.pick(NOUNS),
        rng.pick(FORMS)
    )
}

fn copy_for(frame: Frame, title: &str, category: &str, price: u64) -> String {
    let major = price / 100;
    match frame {
        Frame::Convenience => format!("Skip the setup: {title}, ready in one click."),
        Frame::RiskReduction => {
            format!("Start with {title}, known to work with what you already have.")
        }
        Frame::Completeness => format!("Complete your {category} kit with {title}."),
        Frame::OutcomeAcceleration => {
            format!("Get results sooner with {title}, made for {category}.")
        }
        Frame::CostEfficiency => {
            format!("{title} for ${major}: less than buying the pieces one by one.")
        }
        Frame::Premium => format!("Go further with {title}, the best of our {category} range."),
    }
}

/// `cond(item) in cart || cond(item) in owned`.
fn program_in_cart_or_owned(item: u32) -> Program {
    Program {
        ops: vec![Op::InCart(item), Op::Owns(item), Op::Or],
        consts: vec![],
        lists: vec![],
    }
}

/// `left op right` where left is one op and right a numeric constant.
fn program_compare(left: Op, cmp: Op, right: f64) -> Program {
    Program {
        ops: vec![left, Op::Const(0), cmp],
        consts: vec![Const::Num(right)],
        lists: vec![],
    }
}

/// `stage in [stages]`.
fn program_stage_in(stages: &[Stage]) -> Program {
    Program {
        ops: vec![Op::Stage, Op::InList(0)],
        consts: vec![],
        lists: vec![
            stages
                .iter()
                .map(|s| Const::Text(s.as_str().to_string()))
                .collect(),
        ],
    }
}

/// `a || b` of two three-op comparisons.
fn program_or(a: Program, b: Program) -> Program {
    let shift = |ops: &[Op], by: u16| -> Vec<Op> {
        ops.iter()
            .map(|op| match *op {
                Op::Const(i) => Op::Const(i + by),
                other => other,
            })
            .collect()
    };
    let mut ops = a.ops.clone();
    ops.extend(shift(&b.ops, a.consts.len() as u16));
    ops.push(Op::Or);
    let mut consts = a.consts;
    consts.extend(b.consts);
    Program {
        ops,
        consts,
        lists: vec![],
    }
}

/// A store of [`N_OFFERS`] offers over [`N_ITEMS`] items with `neighbours` learned neighbours
/// per item. Policy, surfaces, facts, signals and the three scoring models are the sample
/// store's (the logistic models index its signals and facts); everything else is generated.
/// The neighbours are generated last, so stores with different counts share everything else.
#[expect(
    clippy::too_many_lines,
    reason = "one literal payload of every section, generated; split, it would read as a list of fragments"
)]
fn generated_payload(template: &Payload, neighbours: usize) -> Payload {
    let mut rng = Rng(0x7AC7_F011_2025_0001);
    let signal = |name: &str| -> u32 {
        template
            .signals
            .iter()
            .position(|s| s == name)
            .unwrap_or_else(|| panic!("the sample store has no signal `{name}`")) as u32
    };
    let fact = |name: &str| -> u32 {
        template
            .facts
            .iter()
            .position(|f| f.name == name)
            .unwrap_or_else(|| panic!("the sample store has no fact `{name}`")) as u32
    };

    // Categories come in contiguous runs of item ids (with some strays): locality.
    let categories: Vec<String> = (0..N_CATEGORIES)
        .map(|c| {
            format!(
                "{}-{:02}",
                CATEGORY_WORDS[c % CATEGORY_WORDS.len()],
                c / CATEGORY_WORDS.len()
            )
        })
        .collect();
    let items: Vec<Item> = (0..N_ITEMS)
        .map(|i| {
            let category = if rng.chance(0.1) {
                rng.below(N_CATEGORIES)
            } else {
                i * N_CATEGORIES / N_ITEMS
            };
            Item {
                id: format!("item-{i:05}"),
                name: name(&mut rng),
                category: category as u32,
                price: rng.range(3, 400) as u64 * 100 - if rng.chance(0.5) { 1 } else { 0 },
            }
        })
        .collect();

    let families: Vec<String> = (0..N_OFFERS / OFFERS_PER_FAMILY)
        .map(|f| format!("family-{f:03}"))
        .collect();

    let mut programs: Vec<Program> = Vec::new();
    // Shared conditions, as the compiler would intern identical ones.
    programs.push(program_stage_in(&[Stage::RepeatUse, Stage::Expansion]));
    let repeat_or_expansion = 0u32;
    programs.push(program_compare(Op::Fact(fact("orders")), Op::Eq, 0.0));
    let first_order = 1u32;

    let near = |rng: &mut Rng, i: usize, spread: i64| -> u32 {
        let j = i as i64 + rng.range(-spread, spread);
        j.clamp(0, N_ITEMS as i64 - 1) as u32
    };

    let mut offers: Vec<Offer> = Vec::with_capacity(N_OFFERS);
    let mut keys = BTreeSet::new();
    for i in 0..N_OFFERS {
        let primary = (i * N_ITEMS / N_OFFERS) as u32;
        let bundle = rng.chance(0.22);
        let mut sold = vec![primary];
        if bundle {
            let mut other = near(&mut rng, primary as usize, 20);
            if other == primary {
                other = if primary == 0 { 1 } else { primary - 1 };
            }
            sold.push(other);
        }
        let kind = if bundle {
            OfferKind::Bundle
        } else {
            match rng.below(100) {
                0..=54 => OfferKind::Companion,
                55..=69 => OfferKind::Upgrade,
                70..=81 => OfferKind::Plan,
                82..=91 => OfferKind::Support,
                _ => OfferKind::Bundle,
            }
        };
        let first = &items[primary as usize];
        let title = match sold.get(1) {
            Some(&o) => format!("{} + {}", first.name, items[o as usize].name),
            None => first.name.clone(),
        };
        let category = &categories[first.category as usize];
        let price: u64 = sold.iter().map(|&s| items[s as usize].price).sum();
        let discount_percent = if rng.chance(0.3) {
            rng.range(5, 30) as u8
        } else {
            0
        };
        let cost = price * rng.range(5, 45) as u64 / 100;

        let mut surfaces = SurfaceSet::default();
        let likely: &[(Surface, f64)] = match kind {
            OfferKind::Companion => &[
                (Surface::Checkout, 0.7),
                (Surface::Cart, 0.7),
                (Surface::ProductPage, 0.6),
                (Surface::InProduct, 0.4),
                (Surface::PostPurchase, 0.5),
                (Surface::Email, 0.3),
            ],
            OfferKind::Bundle => &[
                (Surface::Checkout, 0.6),
                (Surface::Cart, 0.7),
                (Surface::ProductPage, 0.7),
                (Surface::InProduct, 0.1),
                (Surface::PostPurchase, 0.3),
                (Surface::Email, 0.4),
            ],
            _ => &[
                (Surface::Checkout, 0.3),
                (Surface::Cart, 0.2),
                (Surface::ProductPage, 0.4),
                (Surface::InProduct, 0.7),
                (Surface::PostPurchase, 0.7),
                (Surface::Email, 0.6),
            ],
        };
        for &(surface, p) in likely {
            if rng.chance(p) {
                surfaces = surfaces.with(surface);
            }
        }
        while surfaces.0.count_ones() < 2 {
            surfaces = surfaces.with(*rng.pick(Surface::ALL));
        }

        let mut frames: Vec<Frame> = Frame::ALL.to_vec();
        for k in (1..frames.len()).rev() {
            let j = rng.below(k + 1);
            frames.swap(k, j);
        }
        let n_frames = rng.range(2, 4) as usize;
        let copy = frames
            .iter()
            .take(n_frames)
            .map(|&f| (f, copy_for(f, &title, category, price)))
            .collect();

        let requires = if rng.chance(0.04) {
            vec![near(&mut rng, primary as usize, 40)]
                .into_iter()
                .filter(|r| !sold.contains(r))
                .collect()
        } else {
            vec![]
        };
        let excluded_by = if rng.chance(0.06) {
            vec![near(&mut rng, primary as usize, 40)]
                .into_iter()
                .filter(|r| !sold.contains(r) && !requires.contains(r))
                .collect()
        } else {
            vec![]
        };
        let tier =
            (surfaces.contains(Surface::Checkout) && rng.chance(0.6)).then_some(match kind {
                OfferKind::Companion | OfferKind::Support => Tier::AddOn,
                OfferKind::Bundle => Tier::Bundle,
                OfferKind::Upgrade | OfferKind::Plan => Tier::Premium,
            });
        let cap = rng.chance(0.3).then(|| Cap {
            max: rng.range(2, 5) as u16,
            window: 1440 * rng.range(1, 7) as u32,
        });
        let cooldown = if rng.chance(0.2) {
            vec![1440, 7 * 1440, NEVER]
        } else {
            vec![3 * 1440, 30 * 1440, NEVER]
        };
        let when = match rng.below(100) {
            0..=7 => {
                let about = near(&mut rng, primary as usize, 10);
                programs.push(program_in_cart_or_owned(about));
                Some(programs.len() as u32 - 1)
            }
            8..=11 if matches!(kind, OfferKind::Upgrade | OfferKind::Plan) => {
                Some(repeat_or_expansion)
            }
            12..=13 => {
                programs.push(program_compare(
                    Op::CartValue,
                    Op::Ge,
                    rng.range(20, 150) as f64,
                ));
                Some(programs.len() as u32 - 1)
            }
            _ => None,
        };
        let unless = match rng.below(100) {
            0..=1 => Some(first_order),
            2 => {
                programs.push(program_compare(
                    Op::Fact(fact("lessons_completed")),
                    Op::Lt,
                    rng.range(1, 5) as f64,
                ));
                Some(programs.len() as u32 - 1)
            }
            _ => None,
        };

        let mut id = format!("offer-{i:05}");
        let mut key = offer_memory_key(&id);
        // Two ids sharing a memory key are refused; a suffix keeps the ids sorted.
        while keys.contains(&key) {
            id.push('b');
            key = offer_memory_key(&id);
        }
        keys.insert(key);

        offers.push(Offer {
            id,
            title: title.clone(),
            kind,
            items: sold,
            price,
            discount_percent,
            cost,
            job: format!(
                "helps the buyer {} with {}",
                rng.pick(JOB_VERBS),
                first.name.to_lowercase()
            ),
            surfaces,
            family: rng.chance(0.6).then_some((i / OFFERS_PER_FAMILY) as u32),
            copy,
            requires,
            excluded_by,
            repeatable: matches!(kind, OfferKind::Plan | OfferKind::Support) && rng.chance(0.3),
            tier,
            cap,
            cooldown,
            family_cooldown: 1440,
            when,
            unless,
        });
    }

    // A few store-wide rules with simple programs.
    let mut rule = |id: &str, program: Program| {
        programs.push(program);
        Rule {
            id: id.to_string(),
            when: programs.len() as u32 - 1,
            play: None,
            exclude_offers: vec![],
            exclude_kinds: KindSet::default(),
            frame: None,
            no_discount: false,
        }
    };
    let rules = vec![
        Rule {
            play: Some(Play::Protect),
            ..rule(
                "repeat-refunder",
                program_compare(Op::Fact(fact("refunds")), Op::Ge, 2.0),
            )
        },
        Rule {
            play: Some(Play::Assist),
            ..rule(
                "refund-or-returns-worry",
                program_or(
                    program_compare(Op::Fact(fact("refunds")), Op::Gt, 0.0),
                    program_compare(Op::Signal(signal("view_returns_policy")), Op::Gt, 0.0),
                ),
            )
        },
        Rule {
            frame: Some(Frame::CostEfficiency),
            no_discount: true,
            ..rule(
                "discount-trained",
                program_compare(Op::Signal(signal("coupon_click")), Op::Ge, 2.0),
            )
        },
        Rule {
            exclude_kinds: KindSet::default()
                .with(OfferKind::Upgrade)
                .with(OfferKind::Plan),
            ..rule(
                "support-heavy",
                program_compare(Op::Signal(signal("support_ticket")), Op::Ge, 2.0),
            )
        },
        Rule {
            exclude_offers: (0..20).map(|k| (k * 487 % N_OFFERS) as u32).collect(),
            ..rule(
                "dormant-no-premium",
                Program {
                    ops: vec![Op::Stage, Op::Const(0), Op::Eq],
                    consts: vec![Const::Text("dormant".into())],
                    lists: vec![],
                },
            )
        },
        Rule {
            frame: Some(Frame::Premium),
            ..rule("big-cart", program_compare(Op::CartValue, Op::Gt, 500.0))
        },
    ];

    // Curated pairings: an item and an offer near it, sorted by item.
    let mut pairings: Vec<Pairing> = (0..300)
        .map(|_| {
            let item = rng.below(N_ITEMS) as u32;
            let offer = near(&mut rng, item as usize, 15);
            Pairing {
                item,
                offer: offer.min(N_OFFERS as u32 - 1),
                strength: (0.3 + 0.65 * rng.unit()) as f32,
                note: if rng.chance(0.5) {
                    format!("Made to go with the {}", items[item as usize].name)
                } else {
                    String::new()
                },
            }
        })
        .collect();
    pairings.sort_by_key(|p| p.item);

    // Popularity: skewed, most items unpopular.
    let popularity: Vec<u8> = (0..N_ITEMS)
        .map(|_| (255.0 * rng.unit().powi(3)) as u8)
        .collect();

    // Neighbours: mostly near in id (same category, similar products), some anywhere.
    let mut offsets = Vec::with_capacity(N_ITEMS + 1);
    let mut entries = Vec::with_capacity(N_ITEMS * neighbours * 4);
    offsets.push(0u32);
    for i in 0..N_ITEMS {
        let mut set = BTreeSet::new();
        while set.len() < neighbours {
            let j = if rng.chance(0.7) {
                // A triangular spread of about ±300 ids.
                let spread = rng.range(-150, 150) + rng.range(-150, 150);
                (i as i64 + spread).clamp(0, N_ITEMS as i64 - 1) as u32
            } else {
                rng.below(N_ITEMS) as u32
            };
            if j as usize != i {
                set.insert(j);
            }
        }
        let mut previous = 0u32;
        for j in set {
            let delta = u16::try_from(j - previous).unwrap();
            previous = j;
            let weight = (8.0 + 247.0 * rng.unit().powi(2)) as u8;
            let attach = if rng.chance(0.65) {
                (1.0 + f64::from(weight) / 255.0 * 59.0 * rng.unit()) as u8
            } else {
                ATTACH_UNKNOWN
            };
            entries.extend_from_slice(&delta.to_le_bytes());
            entries.push(weight);
            entries.push(attach);
        }
        offsets.push((entries.len() / 4) as u32);
    }

    Payload {
        store_id: "bench-outfitters".into(),
        store_name: "Bench Outfitters".into(),
        currency: "USD".into(),
        currency_digits: 2,
        items,
        categories,
        families,
        offers,
        surfaces: template.surfaces.clone(),
        policy: template.policy.clone(),
        rules,
        programs,
        facts: template.facts.clone(),
        signals: template.signals.clone(),
        pairings,
        model: Model {
            popularity,
            neighbours: NeighbourBlob {
                offsets,
                wide: false,
                entries,
            },
            ..template.model.clone()
        },
        email: template.email.clone(),
        frame_exploration: template.frame_exploration,
        offer_viewed: template.offer_viewed,
    }
}

// ------------------------------------------------------------------------------------------------
// The workload: varied contexts and prepared memory.

struct Workload {
    contexts: Vec<Context>,
    memories: Vec<String>,
    decoded: Vec<Memory>,
}

fn event(name: &str, at: i64, label: Option<String>) -> Event {
    Event {
        name: name.to_string(),
        at: Some(at),
        label,
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "the benchmark workload, one kind of context after another, in one place"
)]
fn workload(snapshot: &Snapshot, seed: u64) -> Workload {
    let mut rng = Rng(seed);
    let payload = &snapshot.owned_payload();
    let n_items = payload.items.len();
    let item_id = |i: usize| payload.items[i].id.clone();
    // Related items: near in id in a large catalog, anywhere in a small one.
    let related = |rng: &mut Rng, i: usize| -> usize {
        if n_items > 100 {
            (i as i64 + rng.range(-30, 30)).clamp(0, n_items as i64 - 1) as usize
        } else {
            rng.below(n_items)
        }
    };
    let surfaces: &[(Surface, usize)] = &[
        (Surface::Checkout, 25),
        (Surface::Cart, 20),
        (Surface::ProductPage, 20),
        (Surface::InProduct, 15),
        (Surface::PostPurchase, 10),
        (Surface::Email, 10),
    ];

    let mut contexts = Vec::with_capacity(POOL);
    let mut memories = Vec::with_capacity(POOL);
    let mut decoded = Vec::with_capacity(POOL);
    for n in 0..POOL {
        let now = BASE_NOW + n as i64 * 37_000;
        let mut roll = rng.below(100);
        let surface = surfaces
            .iter()
            .find(|&&(_, w)| {
                let hit = roll < w;
                roll = roll.saturating_sub(w);
                hit
            })
            .map_or(Surface::Checkout, |&(s, _)| s);
        let mut context =
            Context::new(surface, now, format!("shopper-{:06}", rng.below(1_000_000)));
        if rng.chance(0.5) {
            context.session_start = Some(now - rng.range(1, 40) * MINUTE);
        }

        // Cart of 1-3 related items, 0-3 owned, 0-3 viewed.
        let anchor = rng.below(n_items);
        let mut cart = vec![anchor];
        for _ in 1..rng.range(1, 3) {
            cart.push(related(&mut rng, anchor));
        }
        context.cart = cart.iter().map(|&i| item_id(i)).collect();
        let owned_n = if rng.chance(0.4) { 0 } else { rng.range(1, 3) };
        context.owned = (0..owned_n)
            .map(|_| item_id(related(&mut rng, anchor)))
            .collect();
        let viewed_n = rng.range(0, 3);
        context.viewed = (0..viewed_n)
            .map(|_| item_id(related(&mut rng, anchor)))
            .collect();

        // A few events with times.
        let mut events = Vec::new();
        for v in 0..rng.range(1, 3) {
            events.push(event(
                "view_item",
                now - (v + 1) * rng.range(1, 9) * MINUTE,
                None,
            ));
        }
        events.push(event("add_to_cart", now - rng.range(1, 20) * MINUTE, None));
        if surface == Surface::Checkout {
            events.push(event(
                "begin_checkout",
                now - rng.range(0, 3) * MINUTE,
                None,
            ));
        }
        if surface == Surface::InProduct && rng.chance(0.75) {
            let lesson = rng.range(1, 12);
            events.push(event(
                "lesson_completed",
                now - rng.range(0, 25) * MINUTE,
                Some(format!("lesson {lesson}")),
            ));
            if rng.chance(0.1) {
                events.push(event("lesson_started", now, None));
            }
        }
        if rng.chance(0.1) {
            events.push(event("view_reviews", now - rng.range(1, 30) * MINUTE, None));
        }
        if rng.chance(0.1) {
            events.push(event("coupon_click", now - rng.range(1, 30) * MINUTE, None));
        }
        if rng.chance(0.05) {
            events.push(event("price_sort", now - rng.range(1, 30) * MINUTE, None));
        }
        if rng.chance(0.05) {
            events.push(event(
                "view_returns_policy",
                now - rng.range(1, 30) * MINUTE,
                None,
            ));
        }
        if rng.chance(0.03) {
            for _ in 0..2 {
                events.push(event("support_ticket", now - rng.range(1, 20) * DAY, None));
            }
        }
        context.events = events;

        // Facts, as the store declared them.
        for decl in &payload.facts {
            if !rng.chance(0.6) {
                continue;
            }
            let value = match (decl.kind, decl.name.as_str()) {
                (FactKind::Number, "orders") => {
                    FactValue::Number(if owned_n > 0 { rng.range(1, 6) } else { 0 } as f64)
                }
                (FactKind::Number, "refunds") => FactValue::Number(match rng.below(100) {
                    0..=1 => 2.0,
                    2..=6 => 1.0,
                    _ => 0.0,
                }),
                (FactKind::Number, "cancellations") => {
                    FactValue::Number(if rng.chance(0.05) { 1.0 } else { 0.0 })
                }
                (FactKind::Number, "days_since_last_purchase") => {
                    FactValue::Number(rng.range(0, 200) as f64)
                }
                (FactKind::Number, _) => FactValue::Number(rng.range(0, 30) as f64),
                (FactKind::Text, "plan") => {
                    FactValue::Text((*rng.pick(&["free", "pro", "team"])).to_string())
                }
                (FactKind::Text, _) => FactValue::Text(
                    (*rng.pick(&["organic", "email", "ads", "affiliate"])).to_string(),
                ),
                (FactKind::Flag, _) => FactValue::Flag(rng.chance(0.15)),
            };
            context.facts.insert(decl.name.clone(), value);
        }
        if rng.chance(0.1) {
            context.stage = Some(*rng.pick(Stage::ALL));
        }

        // Memory: impressions and dismissals of offers this shopper was likely shown before.
        let mut nearby: Vec<u32> = Vec::new();
        snapshot.for_each_neighbour(anchor as u32, |neighbour, _, _| {
            nearby.extend_from_slice(snapshot.offers_selling(neighbour));
        });
        nearby.extend_from_slice(snapshot.offers_selling(anchor as u32));
        let mut memory = Memory::new();
        if rng.chance(0.75) {
            for _ in 0..rng.range(1, 6) {
                let offer = if nearby.is_empty() || rng.chance(0.2) {
                    rng.below(payload.offers.len()) as u32
                } else {
                    *rng.pick(&nearby)
                };
                let offer_id = Some(payload.offers[offer as usize].id.clone());
                for _ in 0..rng.range(1, 4) {
                    let record = MemoryEvent {
                        kind: EventKind::Impression,
                        offer_id: offer_id.clone(),
                        surface: Some(*rng.pick(Surface::ALL)),
                        at: now - rng.range(1, 10 * 24 * 60) * MINUTE,
                    };
                    memory.record(&record).unwrap();
                }
                if rng.chance(0.3) {
                    let record = MemoryEvent {
                        kind: EventKind::Dismiss,
                        offer_id: offer_id.clone(),
                        surface: None,
                        at: now - rng.range(1, 40 * 24) * HOUR,
                    };
                    memory.record(&record).unwrap();
                }
                if rng.chance(0.05) {
                    let record = MemoryEvent {
                        kind: EventKind::Accept,
                        offer_id,
                        surface: None,
                        at: now - rng.range(1, 30) * DAY,
                    };
                    memory.record(&record).unwrap();
                }
            }
            if rng.chance(0.3) {
                let record = MemoryEvent {
                    kind: EventKind::Purchase,
                    offer_id: None,
                    surface: None,
                    at: now - rng.range(10, 30 * 24 * 60) * MINUTE,
                };
                memory.record(&record).unwrap();
            }
            memory.decisions = rng.range(1, 60) as u32;
        }
        let encoded = memory.encode();
        assert_eq!(Memory::decode(&encoded).unwrap(), memory);
        contexts.push(context);
        memories.push(encoded);
        decoded.push(memory);
    }
    Workload {
        contexts,
        memories,
        decoded,
    }
}

// ------------------------------------------------------------------------------------------------
// Measuring.

struct Stats {
    n: usize,
    p50: f64,
    p90: f64,
    p99: f64,
    mean: f64,
    max: f64,
}

/// Percentiles of nanosecond samples, in microseconds.
fn stats(mut samples: Vec<u64>) -> Stats {
    samples.sort_unstable();
    let n = samples.len();
    let at = |p: usize| samples[(n * p / 100).min(n - 1)] as f64 / 1_000.0;
    Stats {
        n,
        p50: at(50),
        p90: at(90),
        p99: at(99),
        mean: samples.iter().sum::<u64>() as f64 / n as f64 / 1_000.0,
        max: *samples.last().unwrap() as f64 / 1_000.0,
    }
}

fn brotli_len(bytes: &[u8]) -> usize {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).unwrap();
    out.len()
}

/// The time of [`Snapshot::from_vec`], which keeps the bytes it is given: as the npm package
/// and the CLI load (their bytes arrive in a buffer of their own), so the copy of the bytes
/// each run needs is made before the clock starts.
fn time_load(bytes: &[u8], runs: usize) -> Stats {
    for _ in 0..runs.div_ceil(10).max(3) {
        black_box(Snapshot::from_vec(black_box(bytes.to_vec())).unwrap());
    }
    let samples = (0..runs)
        .map(|_| {
            let owned = black_box(bytes.to_vec());
            let start = Instant::now();
            let snapshot = Snapshot::from_vec(owned);
            let elapsed = start.elapsed();
            black_box(snapshot.unwrap());
            elapsed.as_nanos() as u64
        })
        .collect();
    stats(samples)
}

/// What the decisions came out as, to show the workload is not trivial.
#[derive(Default)]
struct Mix {
    plays: [usize; 4],
    shown: usize,
    left_out: usize,
    holdout: usize,
    warnings: usize,
    errors: usize,
    decisions: usize,
}

impl Mix {
    fn add(&mut self, decision: &tactful::Decision) {
        self.decisions += 1;
        self.plays[decision.play.index()] += 1;
        self.shown += decision.offers.len() + decision.would_have_shown.len();
        self.left_out += decision.left_out.len();
        self.holdout += usize::from(decision.holdout);
        self.warnings += decision.warnings.len();
    }

    fn print(&self) {
        let d = self.decisions.max(1) as f64;
        let plays: Vec<String> = Play::ALL
            .iter()
            .map(|p| format!("{p} {:.0}%", 100.0 * self.plays[p.index()] as f64 / d))
            .collect();
        println!(
            "  workload: {}; {:.2} offers shown and {:.1} left out per decision; holdout {:.1}%; {} warnings, {} errors",
            plays.join(", "),
            self.shown as f64 / d,
            self.left_out as f64 / d,
            100.0 * self.holdout as f64 / d,
            self.warnings,
            self.errors,
        );
    }
}

fn time_decisions(snapshot: &Snapshot, w: &Workload, runs: usize, encoded: bool) -> (Stats, Mix) {
    let mut mix = Mix::default();
    let warmup = (runs / 10).max(POOL);
    let one = |k: usize, mix: Option<&mut Mix>| -> u64 {
        let i = k % POOL;
        let context = &w.contexts[i];
        if encoded {
            let memory = w.memories[i].as_str();
            let start = Instant::now();
            let result = decide_encoded(black_box(snapshot), black_box(context), black_box(memory));
            let elapsed = start.elapsed();
            let result = black_box(result);
            if let Some(mix) = mix {
                match &result {
                    Ok((decision, _)) => mix.add(decision),
                    Err(_) => mix.errors += 1,
                }
            }
            elapsed.as_nanos() as u64
        } else {
            let memory = &w.decoded[i];
            let start = Instant::now();
            let result = decide(black_box(snapshot), black_box(context), black_box(memory));
            let elapsed = start.elapsed();
            let result = black_box(result);
            if let Some(mix) = mix {
                match &result {
                    Ok(outcome) => mix.add(&outcome.decision),
                    Err(_) => mix.errors += 1,
                }
            }
            elapsed.as_nanos() as u64
        }
    };
    for k in 0..warmup {
        black_box(one(k, None));
    }
    let samples = (0..runs).map(|k| one(k, Some(&mut mix))).collect();
    (stats(samples), mix)
}

// ------------------------------------------------------------------------------------------------
// Export for the Node benchmark.

/// Writes `<stem>.snap`, `<stem>-workload.json` and `<stem>-offers.json` into `dir`. The
/// workload is the one [`measure`] times with the same seed. The offers file holds what a
/// feature-flag peer can evaluate, by name: surfaces, items, `requires`, `excluded_by`, `when`
/// and `unless` (program indexes), the store rules that exclude offers or kinds, and the
/// programs as the engine runs them (postfix ops; indexes into `items`, `facts`, `signals`).
fn export(dir: &Path, stem: &str, bytes: &[u8], seed: u64) {
    let snapshot = Snapshot::from_bytes(bytes).unwrap();
    let w = workload(&snapshot, seed);
    let pool: Vec<_> = w
        .contexts
        .iter()
        .zip(&w.memories)
        .map(|(context, memory)| json!({ "context": context, "memory": memory }))
        .collect();

    let p = &snapshot.owned_payload();
    let ids = |items: &[u32]| -> Vec<&str> {
        items
            .iter()
            .map(|&i| p.items[i as usize].id.as_str())
            .collect()
    };
    let offers: Vec<_> = p
        .offers
        .iter()
        .map(|o| {
            let surfaces: Vec<&str> = Surface::ALL
                .iter()
                .filter(|&&s| o.surfaces.contains(s))
                .map(|s| s.as_str())
                .collect();
            json!({
                "id": o.id,
                "kind": o.kind.as_str(),
                "surfaces": surfaces,
                "items": ids(&o.items),
                "requires": ids(&o.requires),
                "excludedBy": ids(&o.excluded_by),
                "when": o.when,
                "unless": o.unless,
            })
        })
        .collect();
    let rules: Vec<_> = p
        .rules
        .iter()
        .filter(|r| !r.exclude_offers.is_empty() || !r.exclude_kinds.is_empty())
        .map(|r| {
            let kinds: Vec<&str> = OfferKind::ALL
                .iter()
                .filter(|&&k| r.exclude_kinds.contains(k))
                .map(|k| k.as_str())
                .collect();
            let excluded: Vec<&str> = r
                .exclude_offers
                .iter()
                .map(|&o| p.offers[o as usize].id.as_str())
                .collect();
            json!({ "id": r.id, "when": r.when, "excludeOffers": excluded, "excludeKinds": kinds })
        })
        .collect();
    let items: Vec<_> = p
        .items
        .iter()
        .map(|i| json!({ "id": i.id, "price": i.price }))
        .collect();
    let facts: Vec<_> = p
        .facts
        .iter()
        .map(|f| json!({ "name": f.name, "kind": f.kind }))
        .collect();
    let offers_file = json!({
        "snapshotId": snapshot.id(),
        "currencyDigits": p.currency_digits,
        "items": items,
        "facts": facts,
        "signals": p.signals,
        "offers": offers,
        "rules": rules,
        "programs": p.programs,
    });

    let write = |name: String, data: &[u8]| std::fs::write(dir.join(name), data).unwrap();
    write(format!("{stem}.snap"), bytes);
    write(
        format!("{stem}-workload.json"),
        &serde_json::to_vec(&pool).unwrap(),
    );
    write(
        format!("{stem}-offers.json"),
        &serde_json::to_vec(&offers_file).unwrap(),
    );
}

// ------------------------------------------------------------------------------------------------
// Reporting.

struct Measured {
    name: &'static str,
    offers: usize,
    raw: usize,
    brotli: usize,
    load: Stats,
    encoded: Stats,
    decoded: Stats,
}

impl Measured {
    fn brotli_per_1000(&self) -> f64 {
        self.brotli as f64 / 1024.0 * 1000.0 / self.offers as f64
    }

    fn load_per_1000(&self) -> f64 {
        self.load.p50 * 1000.0 / self.offers as f64
    }
}

/// The store the snapshot-size target is set for (the generated store with
/// [`TARGET_NEIGHBOURS`] neighbours per item), and what its brotli size is made of: each part
/// is measured by encoding the store again without it.
struct SizeBreakdown {
    offers: usize,
    whole: usize,
    /// The same store with its weights at 4 bits (`tactful train --weight-bits 4`).
    whole_4bit: usize,
    without_neighbours: usize,
    without_neighbours_or_copy: usize,
}

impl SizeBreakdown {
    fn measure(template: &Payload) -> Self {
        let mut payload = generated_payload(template, TARGET_NEIGHBOURS);
        let brotli = |p: &Payload| brotli_len(&snapshot::encode(p).unwrap());
        let whole = brotli(&payload);
        let mut at_4bit = payload.clone();
        for entry in at_4bit.model.neighbours.entries.chunks_exact_mut(4) {
            if let [_, _, weight, _] = entry {
                *weight = tactful::train::weight_level(f64::from(*weight) / 255.0, 4);
            }
        }
        let whole_4bit = brotli(&at_4bit);
        payload.model.neighbours = NeighbourBlob::default();
        let without_neighbours = brotli(&payload);
        for offer in &mut payload.offers {
            offer.copy.clear();
        }
        SizeBreakdown {
            offers: payload.offers.len(),
            whole,
            whole_4bit,
            without_neighbours,
            without_neighbours_or_copy: brotli(&payload),
        }
    }

    fn per_1000(&self, bytes: usize) -> f64 {
        kb(bytes) * 1000.0 / self.offers as f64
    }

    fn print(&self) {
        println!();
        println!(
            "== snapshot size, generated store with {TARGET_NEIGHBOURS} neighbours per item (the size target's store) =="
        );
        for (part, bytes) in [
            ("whole snapshot", self.whole),
            ("whole snapshot, 4-bit weights", self.whole_4bit),
            ("neighbours", self.whole - self.without_neighbours),
            (
                "neighbours, 4-bit weights",
                self.whole_4bit - self.without_neighbours,
            ),
            (
                "offers' copy",
                self.without_neighbours - self.without_neighbours_or_copy,
            ),
            (
                "everything else (items, offers, rules)",
                self.without_neighbours_or_copy,
            ),
        ] {
            println!(
                "  {part:<40} brotli {bytes:>9} B   per 1,000 offers {:>8.1} KB",
                self.per_1000(bytes)
            );
        }
    }
}

fn kb(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}

fn measure(
    name: &'static str,
    bytes: &[u8],
    load_runs: usize,
    decisions: usize,
    seed: u64,
) -> Measured {
    let snapshot = Snapshot::from_bytes(bytes).unwrap();
    let info = snapshot.info();
    println!();
    println!(
        "== {name}: `{}`, {} items, {} offers, {} rules, {} pairings, {} neighbour entries ==",
        info.snapshot_id, info.items, info.offers, info.rules, info.pairings, info.neighbours
    );
    let raw = bytes.len();
    let start = Instant::now();
    let brotli = brotli_len(bytes);
    let brotli_time = start.elapsed();
    let per_1000 = kb(brotli) * 1000.0 / info.offers as f64;
    println!(
        "  {:<28} raw {raw:>10} B ({:>9.1} KB)   brotli q11 w22 {brotli:>9} B ({:>8.1} KB, {:.1}x)   brotli per 1,000 offers {per_1000:>8.1} KB   [compressed in {:.1} s]",
        "snapshot size",
        kb(raw),
        kb(brotli),
        raw as f64 / brotli as f64,
        brotli_time.as_secs_f64()
    );

    let load = time_load(bytes, load_runs);
    println!(
        "  {:<28} median {:>10.1} µs   p90 {:>9.1} µs   runs {:>5}   per 1,000 offers {:>9.1} µs",
        "load (Snapshot::from_vec)",
        load.p50,
        load.p90,
        load.n,
        load.p50 * 1000.0 / info.offers as f64
    );

    let w = workload(&snapshot, seed);
    let avg_memory = w.memories.iter().map(String::len).sum::<usize>() as f64 / POOL as f64;
    let with_history = w.decoded.iter().filter(|m| !m.offers.is_empty()).count();
    println!(
        "  {:<28} {POOL} contexts; {with_history} with offer history; memory strings {avg_memory:.0} chars on average",
        "workload"
    );
    let (encoded, mix) = time_decisions(&snapshot, &w, decisions, true);
    print_decisions("decide_encoded (host path)", &encoded);
    let (decoded, _) = time_decisions(&snapshot, &w, decisions, false);
    print_decisions("decide (memory decoded)", &decoded);
    mix.print();
    Measured {
        name,
        offers: info.offers,
        raw,
        brotli,
        load,
        encoded,
        decoded,
    }
}

fn print_decisions(label: &str, s: &Stats) {
    println!(
        "  {label:<28} p50 {:>8.2} µs   p90 {:>8.2} µs   p99 {:>8.2} µs   mean {:>8.2} µs   max {:>9.1} µs   n {:>6}",
        s.p50, s.p90, s.p99, s.mean, s.max, s.n
    );
}

fn verdict(met: bool) -> &'static str {
    if met { "MET" } else { "NOT MET" }
}

/// How many items (and as many offers, one per item) the compile measurement's catalog has.
const COMPILE_CATALOG: usize = 40_000;

/// Times `tactful compile` on a generated TOML catalog: the sample store's settings with `n`
/// items in 200 categories and one offer per item. What a large catalog costs to compile, so
/// that a quadratic step shows up here (one did: 8.7 s at this size, 0.6 s once found by hash).
fn time_compile_catalog(sample_store: &Path, n: usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-compile");
    std::fs::create_dir_all(&dir).unwrap();
    let settings = std::fs::read_to_string(sample_store.join("store.toml")).unwrap();
    let mut store = settings[..settings.find("[[items]]").unwrap()].replace("\"64KB\"", "\"64MB\"");
    let mut offers = String::new();
    for i in 0..n {
        store += &format!(
            "[[items]]\nid = \"item-{i}\"\nname = \"Item {i}\"\ncategory = \"category-{}\"\nprice = {}.0\n\n",
            i % 200,
            10 + i % 90
        );
        offers += &format!(
            "[[offers]]\nid = \"offer-{i}\"\ntitle = \"Offer {i}\"\nkind = \"companion\"\nitems = [\"item-{i}\"]\njob = \"goes with item {i}\"\nsurfaces = [\"checkout\", \"cart\"]\ntier = \"add_on\"\nfamily = \"family-{}\"\n[offers.copy]\nconvenience = \"Offer {i}, in one click.\"\n\n",
            i % 50
        );
    }
    std::fs::write(dir.join("store.toml"), store).unwrap();
    std::fs::write(dir.join("offers.toml"), offers).unwrap();
    let mut seconds: Vec<f64> = (0..3)
        .map(|_| {
            let start = Instant::now();
            let compiled = compile_paths(&dir.join("store.toml"), None, &Options::default())
                .unwrap_or_else(|d| panic!("the generated catalog does not compile: {d:?}"));
            black_box(compiled.bytes.len());
            start.elapsed().as_secs_f64()
        })
        .collect();
    seconds.sort_by(f64::total_cmp);
    println!();
    println!(
        "compile, generated catalog of {n} items and {n} offers (TOML): {:.2} s (median of 3)",
        seconds[1]
    );
}

/// `TACTFUL_BENCH_LOAD_ONLY=1`: the two stores' load times, and nothing else.
fn time_loads_only(sample: &[u8], large: &[u8]) {
    for (name, bytes, runs) in [
        ("sample store", sample, SAMPLE_LOAD_RUNS),
        ("generated store (10k offers)", large, LARGE_LOAD_RUNS),
    ] {
        let load = time_load(bytes, runs);
        println!(
            "{name:<30} load median {:>10.1} µs   p90 {:>9.1} µs   runs {:>5}",
            load.p50, load.p90, load.n
        );
    }
}

fn main() {
    let started = Instant::now();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/sample-store");
    let compiled = compile_paths(
        &root.join("store.toml"),
        Some(&root.join("model.toml")),
        &Options::default(),
    )
    .unwrap_or_else(|diagnostics| panic!("the sample store does not compile: {diagnostics:?}"));
    let sample_bytes = compiled.bytes;
    let template = Snapshot::from_bytes(&sample_bytes).unwrap().owned_payload();

    let start = Instant::now();
    let payload = generated_payload(&template, NEIGHBOURS);
    let large_bytes = snapshot::encode(&payload).unwrap();
    println!(
        "tactful engine benchmark (generated store built and encoded in {:.2} s)",
        start.elapsed().as_secs_f64()
    );

    if let Some(dir) = std::env::var_os("TACTFUL_BENCH_EXPORT").map(PathBuf::from) {
        std::fs::create_dir_all(&dir).unwrap();
        export(&dir, "sample", &sample_bytes, SAMPLE_SEED);
        export(&dir, "generated", &large_bytes, LARGE_SEED);
        println!("exported the stores and workloads to {}", dir.display());
        if std::env::var_os("TACTFUL_BENCH_EXPORT_ONLY").is_some_and(|v| v == "1") {
            return;
        }
    }

    if std::env::var_os("TACTFUL_BENCH_LOAD_ONLY").is_some_and(|v| v == "1") {
        time_loads_only(&sample_bytes, &large_bytes);
        return;
    }

    let sample = measure(
        "sample store",
        &sample_bytes,
        SAMPLE_LOAD_RUNS,
        SAMPLE_DECISIONS,
        SAMPLE_SEED,
    );
    let large = measure(
        "generated store (10k offers)",
        &large_bytes,
        LARGE_LOAD_RUNS,
        LARGE_DECISIONS,
        LARGE_SEED,
    );

    let target_size = SizeBreakdown::measure(&template);
    target_size.print();

    time_compile_catalog(&root, COMPILE_CATALOG);

    println!();
    println!("== summary ==");
    println!(
        "  {:<30} {:>10} {:>12} {:>14} {:>12} {:>14} {:>12} {:>12} {:>12} {:>12}",
        "store",
        "raw KB",
        "brotli KB",
        "br/1k offers",
        "load µs",
        "load/1k off.",
        "enc p50 µs",
        "enc p99 µs",
        "dec p50 µs",
        "dec p99 µs"
    );
    for m in [&sample, &large] {
        println!(
            "  {:<30} {:>10.1} {:>12.1} {:>14.1} {:>12.1} {:>14.1} {:>12.2} {:>12.2} {:>12.2} {:>12.2}",
            m.name,
            kb(m.raw),
            kb(m.brotli),
            m.brotli_per_1000(),
            m.load.p50,
            m.load_per_1000(),
            m.encoded.p50,
            m.encoded.p99,
            m.decoded.p50,
            m.decoded.p99
        );
    }

    println!();
    println!("== targets ==");
    let rows = [
        (
            "decision, sample store, p50 (decide_encoded)",
            "<= 5 µs",
            format!("{:.2} µs", sample.encoded.p50),
            sample.encoded.p50 <= 5.0,
        ),
        (
            "decision, sample store, p50 (decide)",
            "<= 5 µs",
            format!("{:.2} µs", sample.decoded.p50),
            sample.decoded.p50 <= 5.0,
        ),
        (
            "decision, 10k offers, p50 (decide_encoded)",
            "<= 50 µs",
            format!("{:.2} µs", large.encoded.p50),
            large.encoded.p50 <= 50.0,
        ),
        (
            "decision, 10k offers, p50 (decide)",
            "<= 50 µs",
            format!("{:.2} µs", large.decoded.p50),
            large.decoded.p50 <= 50.0,
        ),
        (
            "load per 1,000 offers, 10k offers",
            "<= 20 µs",
            format!("{:.1} µs", large.load_per_1000()),
            large.load_per_1000() <= 20.0,
        ),
        (
            "load per 1,000 offers, sample store (fixed costs dominate)",
            "<= 20 µs",
            format!("{:.1} µs", sample.load_per_1000()),
            sample.load_per_1000() <= 20.0,
        ),
        (
            "snapshot brotli per 1,000 offers, 10k offers, 10 neighbours per item",
            "<= 20 KB",
            format!("{:.1} KB", target_size.per_1000(target_size.whole)),
            target_size.per_1000(target_size.whole) <= 20.0,
        ),
        (
            "the same at 4-bit weights (`train --weight-bits 4`)",
            "<= 20 KB",
            format!("{:.1} KB", target_size.per_1000(target_size.whole_4bit)),
            target_size.per_1000(target_size.whole_4bit) <= 20.0,
        ),
        (
            "snapshot brotli per 1,000 offers, sample store",
            "<= 20 KB",
            format!("{:.1} KB", sample.brotli_per_1000()),
            sample.brotli_per_1000() <= 20.0,
        ),
    ];
    for (what, target, measured, met) in rows {
        println!(
            "  {what:<66} target {target:<9} measured {measured:>11}   {}",
            verdict(met)
        );
    }
    println!();
    println!("total bench time {:.1} s", started.elapsed().as_secs_f64());
}
