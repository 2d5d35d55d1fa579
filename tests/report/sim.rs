//! The shopper simulator: shoppers of a few known kinds reach the checkout of the sample store
//! (compiled with a larger holdout and exploration on), the real engine decides for each, and
//! each shopper accepts, dismisses and orders by a known model. It writes the logs `tactful
//! report` reads (exposures, outcomes, orders) and computes, from the same model, the true value
//! of every metric, so a test can ask whether the report's intervals cover it.
//!
//! Ground truth, per shopper kind:
//! - acceptance of a shown offer = the offer's base rate × its frame's factor × (0.5 +
//!   readiness), readiness as the engine computed it;
//! - a shopper who accepts orders (cart + offer); one who does not orders the cart with
//!   probability `convert_shown` (below `convert_base` in the harmful scenario: the offer
//!   distracts), and adds the offer's item on their own with probability `organic`;
//! - a holdout shopper orders with probability `convert_base`, adding the would-have-been
//!   offer's item on their own with probability `organic`.
//!
//! The engine's own propensities give the share of each offer per kind, so the truth is exact
//! (no Monte Carlo): per kind, the distinct offers the engine shows over a pool of keys, each
//! weighted by its logged propensity.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};
use tactful::compile::{Options, compile_paths};
use tactful::{Context, Decision, Frame, Snapshot, decide_encoded};

pub const T0: i64 = 1_763_726_400_000; // 2025-11-21T12:00:00Z

/// The sample store with `holdout` percent held out and exploration at 10% among 3, compiled.
pub fn store_bytes(holdout_percent: u32) -> Vec<u8> {
    store_bytes_exploring(holdout_percent, "exploration = { percent = 10, among = 3 }")
}

/// The sample store with `holdout` percent held out and the given exploration line, compiled.
pub fn store_bytes_exploring(holdout_percent: u32, exploration: &str) -> Vec<u8> {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/sample-store");
    let dir = std::env::temp_dir().join(format!(
        "tactful-sim-store-{}-{holdout_percent}-{:x}",
        std::process::id(),
        tactful::offer_memory_key(exploration)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(sample.join("store.toml")).unwrap();
    let text = text.replace(
        r#"holdout = { percent = 5, salt = "inkwell-2026-q4" }"#,
        &format!("holdout = {{ percent = {holdout_percent}, salt = \"sim\" }}\n{exploration}"),
    );
    assert!(
        text.contains("exploration"),
        "the sample store's holdout line moved"
    );
    std::fs::write(dir.join("store.toml"), text).unwrap();
    for file in ["offers.toml", "model.toml"] {
        std::fs::copy(sample.join(file), dir.join(file)).unwrap();
    }
    let compiled = compile_paths(
        &dir.join("store.toml"),
        Some(&dir.join("model.toml")),
        &Options::default(),
    )
    .unwrap_or_else(|d| panic!("the simulator's store compiles: {d:#?}"));
    std::fs::remove_dir_all(&dir).unwrap();
    compiled.bytes
}

/// A kind of shopper: how they reach the checkout and how they order.
pub struct Kind {
    pub share: f64,
    /// The context JSON, without `now` and `shopperKey`.
    pub context: Value,
    pub convert_base: f64,
    /// Conversion of a shopper shown an offer who does not accept it.
    pub convert_shown: f64,
    /// The cart's revenue and margin, minor units.
    pub cart_revenue: i64,
    pub cart_margin: i64,
}

/// What is simulated.
pub struct Scenario {
    pub kinds: Vec<Kind>,
    pub shoppers: usize,
    /// Shoppers who add the offer's item on their own.
    pub organic: f64,
    /// Dismissals among shoppers who do not accept.
    pub dismiss: f64,
    /// Share of holdout exposures lost before the log (a broken host): skews the split.
    pub lose_holdout: f64,
}

fn cart(items: &[&str], extra: Value) -> Value {
    let mut context = json!({ "surface": "checkout", "cart": items });
    if let (Some(c), Value::Object(extra)) = (context.as_object_mut(), extra) {
        c.extend(extra);
    }
    context
}

impl Scenario {
    /// Five kinds of shopper at the checkout (four with the course in the cart, where the tier
    /// ladder allows the bundle; one with the workbook alone, where exploration draws between
    /// add-ons); with `harmful`, an offer costs conversion.
    pub fn checkout(shoppers: usize, harmful: bool) -> Self {
        let shown = |base: f64| if harmful { base - 0.25 } else { base - 0.01 };
        let events = |names: &[&str]| -> Value {
            names
                .iter()
                .enumerate()
                .map(|(i, n)| json!({ "name": n, "at": T0 - 600_000 + i as i64 * 60_000 }))
                .collect()
        };
        Self {
            kinds: vec![
                Kind {
                    share: 0.35,
                    context: cart(
                        &["course-foundations"],
                        json!({
                            "events": events(&["view_item", "add_to_cart", "view_reviews", "begin_checkout"]),
                            "facts": { "orders": 2 }
                        }),
                    ),
                    convert_base: 0.55,
                    convert_shown: shown(0.55),
                    cart_revenue: 14_900,
                    cart_margin: 13_400,
                },
                Kind {
                    share: 0.25,
                    context: cart(&["course-foundations"], json!({ "facts": { "orders": 0 } })),
                    convert_base: 0.35,
                    convert_shown: shown(0.35),
                    cart_revenue: 14_900,
                    cart_margin: 13_400,
                },
                Kind {
                    share: 0.15,
                    context: cart(
                        &["course-foundations"],
                        json!({
                            "events": events(&["coupon_click", "coupon_click", "add_to_cart"]),
                            "facts": { "orders": 1 }
                        }),
                    ),
                    convert_base: 0.45,
                    convert_shown: shown(0.45),
                    cart_revenue: 14_900,
                    cart_margin: 13_400,
                },
                Kind {
                    share: 0.1,
                    context: cart(
                        &["course-foundations"],
                        json!({ "facts": { "orders": 3, "refunds": 2 } }),
                    ),
                    convert_base: 0.25,
                    convert_shown: 0.25,
                    cart_revenue: 14_900,
                    cart_margin: 13_400,
                },
                Kind {
                    share: 0.15,
                    context: cart(
                        &["workbook-foundations"],
                        json!({
                            "events": events(&["view_item", "add_to_cart"]),
                            "facts": { "orders": 1 }
                        }),
                    ),
                    convert_base: 0.6,
                    convert_shown: shown(0.6),
                    cart_revenue: 1_200,
                    cart_margin: 1_100,
                },
            ],
            shoppers,
            organic: 0.1,
            dismiss: 0.4,
            lose_holdout: 0.0,
        }
    }
}

/// Base acceptance of an offer (by id), before frame and readiness.
fn base_acceptance(offer: &str) -> f64 {
    match offer {
        "workbook-addon" => 0.30,
        "starter-brushes" => 0.22,
        "creator-toolkit" => 0.12,
        "quickstart-companion" => 0.18,
        _ => 0.10,
    }
}

fn frame_factor(frame: Frame) -> f64 {
    match frame {
        Frame::Completeness => 1.2,
        Frame::CostEfficiency => 0.7,
        Frame::Convenience => 1.0,
        _ => 0.9,
    }
}

/// The probability a shown offer is accepted.
pub fn acceptance(offer: &str, frame: Frame, readiness: f64) -> f64 {
    (base_acceptance(offer) * frame_factor(frame) * (0.5 + readiness)).min(0.95)
}

/// A small seeded generator (splitmix64): the simulator needs no randomness of its own crate.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5851_f42d_4c95_7f2d)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// An offer as shown: what the simulator and the truth need of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub offer: String,
    pub frame: Frame,
    pub item: String,
    pub price: i64,
    pub margin: i64,
    pub propensity: f64,
}

/// The decision's offers (shown, or would have been for a holdout) with their item and margin.
fn offers_of(snapshot: &Snapshot, decision: &Decision) -> Vec<Shown> {
    let payload = snapshot.payload();
    let list = if decision.holdout {
        &decision.would_have_shown
    } else {
        &decision.offers
    };
    list.iter()
        .zip(&decision.exposure.offers)
        .map(|(offer, exposed)| {
            let wire = payload
                .offers
                .iter()
                .find(|o| snapshot.text(o.id) == offer.offer_id)
                .unwrap();
            let item = snapshot.text(payload.items[snapshot.list(wire.items)[0] as usize].id);
            Shown {
                offer: offer.offer_id.clone(),
                frame: offer.frame,
                item: item.to_owned(),
                price: offer.final_price as i64,
                margin: offer.final_price as i64 - wire.cost as i64,
                propensity: exposed.propensity,
            }
        })
        .collect()
}

/// The exposure record v1 of a decision: today's `Decision.exposure` plus the fields the
/// contract adds (`type`, `v`, `currency`, `shopperKey`, and each offer's `price`,
/// `finalPrice` and `margin`). When the engine's exposure carries them itself, this becomes
/// `serde_json::to_value(&decision.exposure)`.
pub fn exposure_record(snapshot: &Snapshot, decision: &Decision, shopper_key: &str) -> Value {
    let mut record = serde_json::to_value(&decision.exposure).unwrap();
    let shown = offers_of(snapshot, decision);
    let object = record.as_object_mut().unwrap();
    let mut out = serde_json::Map::new();
    out.insert("type".into(), json!("exposure"));
    out.insert("v".into(), json!(1));
    for (key, value) in std::mem::take(object) {
        if key == "at" {
            out.insert("at".into(), value);
            out.insert("shopperKey".into(), json!(shopper_key));
            out.insert("currency".into(), json!(decision.currency));
        } else {
            out.insert(key, value);
        }
    }
    for (offer, s) in out["offers"].as_array_mut().unwrap().iter_mut().zip(&shown) {
        let o = offer.as_object_mut().unwrap();
        o.insert("price".into(), json!(s.price));
        o.insert("finalPrice".into(), json!(s.price));
        o.insert("margin".into(), json!(s.margin));
    }
    Value::Object(out)
}

/// The logs of one simulated run.
pub struct Logs {
    pub records: String,
    pub orders: String,
    pub holdout_shoppers: usize,
    pub treated_shoppers: usize,
    /// Per frame, over the treated showings whose frame was drawn (`frameDrawn`): the sum of
    /// their true acceptance probabilities and their count, so a test knows the true
    /// acceptance of each frame in that randomised comparison.
    pub drawn_frames: BTreeMap<Frame, (f64, u64)>,
}

fn context(kind: &Kind, key: &str, now: i64) -> Context {
    let mut c = kind.context.clone();
    c["now"] = json!(now);
    c["shopperKey"] = json!(key);
    Context::from_json(&c.to_string()).unwrap()
}

fn pick<'a>(kinds: &'a [Kind], rng: &mut Rng) -> &'a Kind {
    let mut u = rng.unit();
    for kind in kinds {
        if u < kind.share {
            return kind;
        }
        u -= kind.share;
    }
    kinds.last().unwrap()
}

/// Runs the scenario for one seed.
pub fn simulate(snapshot: &Snapshot, scenario: &Scenario, seed: u64) -> Logs {
    let mut rng = Rng::new(seed);
    let mut records = String::new();
    let mut orders = String::from("order_id,shopper_key,time,item,revenue,margin\n");
    let (mut holdout_shoppers, mut treated_shoppers) = (0, 0);
    let mut drawn_frames: BTreeMap<Frame, (f64, u64)> = BTreeMap::new();
    for i in 0..scenario.shoppers {
        let kind = pick(&scenario.kinds, &mut rng);
        let key = format!("s{seed}-{i}");
        let now = T0 + i as i64 * 1000;
        let (decision, _) = decide_encoded(snapshot, &context(kind, &key, now), "").unwrap();
        let shown = offers_of(snapshot, &decision);
        if decision.holdout && rng.chance(scenario.lose_holdout) {
            continue;
        }
        if decision.holdout {
            holdout_shoppers += 1;
        } else {
            treated_shoppers += 1;
        }
        records.push_str(&exposure_record(snapshot, &decision, &key).to_string());
        records.push('\n');
        let mut bought = Vec::new();
        let converts = match (decision.holdout, shown.first()) {
            (false, Some(offer)) => {
                let p = acceptance(&offer.offer, offer.frame, decision.readiness);
                if decision
                    .exposure
                    .offers
                    .first()
                    .is_some_and(|o| o.frame_drawn)
                {
                    let (sum, n) = drawn_frames.entry(offer.frame).or_default();
                    *sum += p;
                    *n += 1;
                }
                let accepted = rng.chance(p);
                let outcome = if accepted {
                    Some("accept")
                } else if rng.chance(scenario.dismiss) {
                    Some("dismiss")
                } else {
                    None
                };
                if let Some(kind) = outcome {
                    let record = json!({"type": kind, "v": 1, "decisionId": decision.decision_id, "offerId": offer.offer, "at": now + 10_000, "shopperKey": key});
                    records.push_str(&record.to_string());
                    records.push('\n');
                }
                if accepted {
                    bought.push(offer);
                    true
                } else {
                    rng.chance(kind.convert_shown)
                }
            }
            (_, _) => rng.chance(kind.convert_base),
        };
        if !converts {
            continue;
        }
        if bought.is_empty() {
            if let Some(offer) = shown.first() {
                if rng.chance(scenario.organic) {
                    bought.push(offer);
                }
            }
        }
        let order = format!("o-{seed}-{i}");
        let at = now + 120_000;
        orders.push_str(&format!(
            "{order},{key},{at},course-foundations,{},{}\n",
            kind.cart_revenue, kind.cart_margin
        ));
        for offer in bought {
            orders.push_str(&format!(
                "{order},{key},{at},{},{},{}\n",
                offer.item, offer.price, offer.margin
            ));
        }
    }
    Logs {
        records,
        orders,
        holdout_shoppers,
        treated_shoppers,
        drawn_frames,
    }
}

/// Per kind: the engine's readiness and its distribution over offers (each with its logged
/// propensity), from decisions over a pool of keys.
fn engine_choices(snapshot: &Snapshot, kind: &Kind) -> (f64, Vec<Shown>) {
    let mut seen: BTreeMap<String, Shown> = BTreeMap::new();
    let mut readiness = None;
    for k in 0..400 {
        let (decision, _) =
            decide_encoded(snapshot, &context(kind, &format!("truth-{k}"), T0), "").unwrap();
        if decision.holdout {
            continue;
        }
        readiness = Some(decision.readiness);
        if let Some(first) = offers_of(snapshot, &decision).into_iter().next() {
            if let Some(known) = seen.get(&first.offer) {
                assert_eq!(
                    known, &first,
                    "one offer, one frame and propensity per kind"
                );
            }
            seen.insert(first.offer.clone(), first);
        }
    }
    let shown: Vec<Shown> = seen.into_values().collect();
    if !shown.is_empty() {
        let total: f64 = shown.iter().map(|s| s.propensity).sum();
        assert!(
            (total - 1.0).abs() < 1e-9,
            "the propensities of a kind's offers sum to {total}"
        );
    }
    (readiness.unwrap(), shown)
}

/// Expected per-shopper sums of one arm: (numerators and denominators) by metric.
#[derive(Debug, Default, Clone, Copy)]
struct Expected {
    convert: f64,
    revenue: f64,
    margin: f64,
    attached: f64,
    shown: f64,
    accepts: f64,
    dismisses: f64,
}

/// The true value of every metric per arm, and the true lift.
#[derive(Debug)]
pub struct Truth {
    pub holdout: BTreeMap<&'static str, f64>,
    pub treated: BTreeMap<&'static str, f64>,
}

impl Truth {
    pub fn lift(&self, metric: &str) -> f64 {
        self.treated[metric] - self.holdout[metric]
    }
}

pub fn truth(snapshot: &Snapshot, scenario: &Scenario) -> Truth {
    let (mut h, mut t) = (Expected::default(), Expected::default());
    for kind in &scenario.kinds {
        let w = kind.share;
        let (readiness, shown) = engine_choices(snapshot, kind);
        // Holdout: the would-have-been offer is the treated arm's (the same draw).
        h.convert += w * kind.convert_base;
        h.revenue += w * kind.convert_base * kind.cart_revenue as f64;
        h.margin += w * kind.convert_base * kind.cart_margin as f64;
        for s in &shown {
            let organic = w * s.propensity * kind.convert_base * scenario.organic;
            h.revenue += organic * s.price as f64;
            h.margin += organic * s.margin as f64;
            h.attached += organic;
        }
        if shown.is_empty() {
            t.convert += w * kind.convert_base;
            t.revenue += w * kind.convert_base * kind.cart_revenue as f64;
            t.margin += w * kind.convert_base * kind.cart_margin as f64;
        }
        for s in &shown {
            let p = w * s.propensity;
            let a = acceptance(&s.offer, s.frame, readiness);
            let plain = (1.0 - a) * kind.convert_shown;
            let organic = plain * scenario.organic;
            t.convert += p * (a + plain);
            t.revenue +=
                p * ((a + plain) * kind.cart_revenue as f64 + (a + organic) * s.price as f64);
            t.margin +=
                p * ((a + plain) * kind.cart_margin as f64 + (a + organic) * s.margin as f64);
            t.attached += p * (a + organic);
            t.shown += p;
            t.accepts += p * a;
            t.dismisses += p * (1.0 - a) * scenario.dismiss;
        }
    }
    let metrics = |e: Expected| {
        BTreeMap::from([
            ("conversion", e.convert),
            ("average_order_value", e.revenue / e.convert),
            ("attach_rate", e.attached / e.convert),
            ("revenue_per_shopper", e.revenue),
            ("margin_per_shopper", e.margin),
            (
                "acceptance_rate",
                if e.shown > 0.0 {
                    e.accepts / e.shown
                } else {
                    f64::NAN
                },
            ),
            (
                "dismissal_rate",
                if e.shown > 0.0 {
                    e.dismisses / e.shown
                } else {
                    f64::NAN
                },
            ),
        ])
    };
    Truth {
        holdout: metrics(h),
        treated: metrics(t),
    }
}
