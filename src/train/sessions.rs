//! The session next-item protocol on any session data set: the learned model, as shipped in a
//! snapshot, beside the [`baselines`](super::baselines), split by case.
//!
//! **Data.** A training file holds one session per line, item ids separated by white space,
//! oldest session first. A test file holds either `prefix<TAB>next item` lines (the SR-GNN
//! preprocessing) or whole sessions, one per line, each of which gives every
//! `(s[..i], s[i])` for `i` in `1..len` (the same cases). Plain or gzip.
//!
//! **Cases.** A case is *new* when its target is not in its prefix (what a cross-sell offer
//! must find: something the shopper has not looked at) and *repeat* otherwise. HR and MRR at
//! 5, 10 and 20 are reported for all cases and for each kind.
//!
//! **Three uses of one snapshot.** `tactful` ranks with `repeat` (a viewed item may itself be
//! ranked, as the engine may re-offer a viewed item); `tactful cross-sell` never ranks what
//! the prefix holds, as an offer beside a cart should not spend its slots on the cart. Both
//! add up the views' scores, the latest weighing most ([`Combine::Sum`]), which is what tuning
//! chooses settings by. `tactful engine order` ranks as the engine's candidate step does
//! today: views weigh alike and an item keeps its best view's score ([`Combine::Best`]), no
//! repeats; it is what a store gets from the model now.
//!
//! **Published figures** are printed only for the data they were published on, recognised by
//! a fingerprint of the files' contents (never by a name given on the command line).
//!
//! **Tuning** ([`tune`]) never sees the test file: it cuts a validation split from the
//! training sessions by time (the newest 10% of sessions give the cases, the rest train) and
//! picks the settings there, ranking as the shipped snapshot ranks.

use std::fmt::Write as _;
use std::io::BufRead;
use std::path::Path;

use serde::Serialize;

use super::baselines::Baselines;
use super::evaluate::{EvaluateError, data_error, model_bytes, open, ship};
use super::rank::{Combine, ItemModel, Query, Ranker};
use super::{History, HistoryBuilder, Settings, WeightBits, train};

/// The cut-offs reported.
pub const CUTS: [usize; 3] = [5, 10, 20];
const DEEPEST: usize = 20;

/// FNV-1a of the Diginetica SR-GNN split's training and test files (decompressed), on which
/// the figures in [`DIGINETICA_PUBLISHED`] were published.
pub const DIGINETICA_FINGERPRINT: u64 = 0x6755_f4cf_e363_cc7f;

/// Published HR@20 / MRR@20 on the Diginetica SR-GNN split.
pub const DIGINETICA_PUBLISHED: &str = "published on this split (HR@20 / MRR@20 %, all cases): POP 0.89 / 0.20, S-POP 21.06 / 13.68, Item-KNN 35.75 / 11.57, SR-GNN 50.73 / 17.59, GCE-GNN 54.22 / 19.04";

/// One test case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The views so far, oldest first.
    pub prefix: Vec<u32>,
    /// The next view.
    pub target: u32,
}

impl Case {
    /// Whether the target is not in the prefix.
    pub fn is_new(&self) -> bool {
        !self.prefix.contains(&self.target)
    }
}

/// A session data set: training sessions and test cases over one set of items.
#[derive(Debug, Clone)]
pub struct SessionData {
    /// The name results are labelled with.
    pub name: String,
    /// The training sessions (items cover train and test).
    pub train: History,
    /// The test cases.
    pub cases: Vec<Case>,
    /// FNV-1a of both files' decompressed text.
    pub fingerprint: u64,
}

impl SessionData {
    /// The published figures for this data, when it is data they were published on.
    pub fn published(&self) -> Option<&'static str> {
        (self.fingerprint == DIGINETICA_FINGERPRINT).then_some(DIGINETICA_PUBLISHED)
    }
}

fn fnv(hash: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *hash ^= u64::from(b);
        *hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
}

/// Reads `train` and `test` (see the module docs) as the data set `name`.
///
/// # Errors
/// A file that is missing or unreadable, or a test file without a single case.
pub fn read_sessions(name: &str, train: &Path, test: &Path) -> Result<SessionData, EvaluateError> {
    let mut fingerprint = 0xcbf2_9ce4_8422_2325u64;
    let mut builder = HistoryBuilder::default();
    for line in open(train)?.lines() {
        let line = line.map_err(|e| data_error(train, e))?;
        fnv(&mut fingerprint, line.as_bytes());
        fnv(&mut fingerprint, b"\n");
        let items: Vec<&str> = line.split_ascii_whitespace().collect();
        if !items.is_empty() {
            builder.session(&items);
        }
    }
    let mut history = builder.finish();
    if history.sessions.is_empty() {
        return Err(data_error(train, "no training sessions"));
    }
    let mut cases = Vec::new();
    for line in open(test)?.lines() {
        let line = line.map_err(|e| data_error(test, e))?;
        fnv(&mut fingerprint, line.as_bytes());
        fnv(&mut fingerprint, b"\n");
        let mut ids = |text: &str| -> Vec<u32> {
            text.split_ascii_whitespace()
                .map(|id| history.items.intern(id))
                .collect()
        };
        match line.split_once('\t') {
            Some((prefix, next)) => {
                let prefix = ids(prefix);
                let next = ids(next);
                if let (false, [target]) = (prefix.is_empty(), next.as_slice()) {
                    cases.push(Case {
                        prefix,
                        target: *target,
                    });
                }
            }
            None => cases.extend(cases_of_session(&ids(&line))),
        }
    }
    if cases.is_empty() {
        return Err(data_error(
            test,
            "no test cases (expected `prefix<TAB>next item` lines, or sessions of two or more views)",
        ));
    }
    Ok(SessionData {
        name: name.to_string(),
        train: history,
        cases,
        fingerprint,
    })
}

/// Every `(session[..i], session[i])`.
pub fn cases_of_session(session: &[u32]) -> Vec<Case> {
    (1..session.len())
        .filter_map(|i| {
            Some(Case {
                prefix: session.get(..i)?.to_vec(),
                target: *session.get(i)?,
            })
        })
        .collect()
}

/// How a prefix becomes the query of the learned model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SessionScoring {
    /// Each earlier view weighs this times the next.
    pub recency: f64,
    /// How much a viewed item counts as a candidate itself, times its view's weight (0: never
    /// ranked, the cross-sell use).
    pub repeat: f64,
    /// How the views' scores for one item combine.
    pub combine: Combine,
}

impl Default for SessionScoring {
    fn default() -> Self {
        Self {
            recency: 0.6,
            repeat: 2.0,
            combine: Combine::Sum,
        }
    }
}

/// The learned model's top `k` for `prefix`.
pub fn rank_prefix(
    model: &impl ItemModel,
    ranker: &mut Ranker,
    seeds: &mut Vec<(u32, f64)>,
    prefix: &[u32],
    scoring: SessionScoring,
    k: usize,
) -> Vec<u32> {
    seeds.clear();
    let mut weight = 1.0;
    for &item in prefix.iter().rev() {
        match seeds.iter_mut().find(|s| s.0 == item) {
            Some(s) => s.1 += weight,
            None => seeds.push((item, weight)),
        }
        weight *= scoring.recency;
    }
    ranker.top(
        model,
        &Query {
            seeds,
            exclude: &[],
            repeat: scoring.repeat,
            combine: scoring.combine,
        },
        k,
    )
}

/// HR and MRR at one cut-off, in percent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Cut {
    /// The cut-off.
    pub k: usize,
    /// Hit rate.
    pub hit_rate: f64,
    /// Mean reciprocal rank.
    pub mrr: f64,
}

/// Metrics over one kind of case.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scores {
    /// Cases of this kind.
    pub cases: usize,
    /// At 5, 10 and 20.
    pub at: Vec<Cut>,
}

impl Scores {
    /// The cut at `k`.
    pub fn at(&self, k: usize) -> Cut {
        self.at
            .iter()
            .find(|c| c.k == k)
            .copied()
            .unwrap_or_default()
    }

    fn of<'a>(ranks: impl Iterator<Item = &'a Option<u8>>) -> Self {
        let mut cases = 0;
        let mut hits = [0usize; CUTS.len()];
        let mut reciprocal = [0f64; CUTS.len()];
        for rank in ranks {
            cases += 1;
            if let Some(r) = rank {
                for (c, &k) in CUTS.iter().enumerate() {
                    if usize::from(*r) <= k {
                        if let (Some(h), Some(m)) = (hits.get_mut(c), reciprocal.get_mut(c)) {
                            *h += 1;
                            *m += 1.0 / f64::from(*r);
                        }
                    }
                }
            }
        }
        let n = cases.max(1) as f64;
        Self {
            cases,
            at: CUTS
                .iter()
                .zip(hits.iter().zip(&reciprocal))
                .map(|(&k, (&h, &m))| Cut {
                    k,
                    hit_rate: 100.0 * h as f64 / n,
                    mrr: 100.0 * m / n,
                })
                .collect(),
        }
    }
}

/// One method's metrics by kind of case.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MethodScores {
    /// The method.
    pub method: String,
    /// Every case.
    pub all: Scores,
    /// Cases whose target is not in the prefix.
    pub new_item: Scores,
    /// Cases whose target is in the prefix.
    pub repeat: Scores,
}

/// Each method's rank (1-based, `None` beyond 20) of each case's target.
#[derive(Debug, Clone, Default)]
pub struct Ranks {
    /// Method names, in column order.
    pub methods: Vec<String>,
    /// Per method, per case.
    pub ranks: Vec<Vec<Option<u8>>>,
}

impl Ranks {
    fn push(&mut self, method: &str, ranks: Vec<Option<u8>>) {
        self.methods.push(method.to_string());
        self.ranks.push(ranks);
    }

    /// Metrics per method.
    pub fn scores(&self, cases: &[Case]) -> Vec<MethodScores> {
        let new: Vec<bool> = cases.iter().map(Case::is_new).collect();
        self.methods
            .iter()
            .zip(&self.ranks)
            .map(|(method, ranks)| {
                let kind = |want: bool| {
                    Scores::of(
                        ranks
                            .iter()
                            .zip(&new)
                            .filter(move |(_, n)| **n == want)
                            .map(|(r, _)| r),
                    )
                };
                MethodScores {
                    method: method.clone(),
                    all: Scores::of(ranks.iter()),
                    new_item: kind(true),
                    repeat: kind(false),
                }
            })
            .collect()
    }
}

fn rank_of(top: &[u32], target: Option<u32>) -> Option<u8> {
    let target = target?;
    top.iter().position(|&i| i == target).map(|p| (p + 1) as u8)
}

/// Ranks every case by every baseline (the same item indexes as the data).
pub fn rank_baselines(train: &History, cases: &[Case], ranks: &mut Ranks) {
    let mut b = Baselines::new(&train.sessions, train.items.len());
    let pop = b.pop(DEEPEST);
    let mut columns: [Vec<Option<u8>>; 5] = Default::default();
    for case in cases {
        let target = Some(case.target);
        let tops = [
            pop.clone(),
            b.s_pop(&case.prefix, DEEPEST),
            b.item_knn(&case.prefix, DEEPEST),
            b.s_pop_item_knn(&case.prefix, DEEPEST),
            b.v_sknn(&case.prefix, DEEPEST),
        ];
        for (column, top) in columns.iter_mut().zip(&tops) {
            column.push(rank_of(top, target));
        }
    }
    for (name, column) in ["POP", "S-POP", "Item-KNN", "S-POP then Item-KNN", "V-SKNN"]
        .into_iter()
        .zip(columns)
    {
        ranks.push(name, column);
    }
}

/// The uses of one model (see the module docs): `scoring`, `scoring` without repeats, and the
/// engine's own order (every view alike, an item keeping its best view's score, no repeats).
pub fn uses(scoring: SessionScoring) -> [(&'static str, SessionScoring); 3] {
    [
        ("tactful", scoring),
        (
            "tactful cross-sell",
            SessionScoring {
                repeat: 0.0,
                ..scoring
            },
        ),
        (
            "tactful engine order",
            SessionScoring {
                recency: 1.0,
                repeat: 0.0,
                combine: Combine::Best,
            },
        ),
    ]
}

/// Ranks every case by `model` once per use; `to_model` maps the data's item indexes to the
/// model's.
pub fn rank_model(
    model: &impl ItemModel,
    to_model: &dyn Fn(u32) -> Option<u32>,
    cases: &[Case],
    uses: &[(&str, SessionScoring)],
    ranks: &mut Ranks,
) {
    let mut ranker = Ranker::new(model);
    let mut seeds = Vec::new();
    let mut prefix = Vec::new();
    for &(name, scoring) in uses {
        let mut column = Vec::with_capacity(cases.len());
        for case in cases {
            prefix.clear();
            prefix.extend(case.prefix.iter().filter_map(|&i| to_model(i)));
            let top = rank_prefix(model, &mut ranker, &mut seeds, &prefix, scoring, DEEPEST);
            column.push(rank_of(&top, to_model(case.target)));
        }
        ranks.push(name, column);
    }
}

/// What the tuning tried and chose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tuning {
    /// Validation cases (from the newest 10% of training sessions).
    pub cases: usize,
    /// New-item validation cases.
    pub new_item_cases: usize,
    /// Training sessions the validation models learned from.
    pub trained_on: usize,
    /// Combinations tried.
    pub tried: usize,
    /// Cross-sell HR@20 + MRR@20 on new-item validation cases of the chosen settings.
    pub cross_sell_objective: f64,
    /// HR@20 + MRR@20 on all validation cases of the chosen scoring.
    pub session_objective: f64,
}

/// A trained model read as [`evaluate_sessions`] reads its snapshot: session data carries no
/// categories, so [`ship`] gives every item the one category `-`, and a seed with few learned
/// neighbours draws the category fallback (the catalogue's most popular items). Tuning on the
/// model without it would favour settings that leave rows short, which the snapshot pays for.
struct Shipped(super::Trained);

impl ItemModel for Shipped {
    fn item_count(&self) -> usize {
        self.0.item_count()
    }
    fn popularity(&self, item: u32) -> u8 {
        self.0.popularity(item)
    }
    fn category(&self, _item: u32) -> Option<u32> {
        Some(0)
    }
    fn for_each_neighbour(&self, item: u32, visit: impl FnMut(u32, u8)) {
        self.0.for_each_neighbour(item, visit);
    }
}

/// A training setting the tuning varies, and the values it tries.
type Knob = (fn(&mut Settings, f64), &'static [f64]);

const KNOBS: [Knob; 7] = [
    (|s, v| s.view_window = v as usize, &[1.0, 3.0, 5.0, 10.0]),
    (|s, v| s.view_decay = v, &[0.4, 0.55, 0.7, 0.85, 1.0]),
    (|s, v| s.backward = v, &[0.0, 0.25, 0.5, 0.75, 1.0]),
    (|s, v| s.damping = v, &[0.0, 0.25, 0.5, 0.75]),
    (|s, v| s.shrinkage = v, &[0.0, 0.5, 1.0, 2.0]),
    (|s, v| s.weight_power = v, &[0.35, 0.5, 0.75, 1.0]),
    (|s, v| s.second_hop = v, &[0.0, 0.1, 0.2, 0.3, 0.5]),
];

const RECENCIES: [f64; 6] = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];
const REPEATS: [f64; 8] = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 100.0];

fn objective(scores: &Scores) -> f64 {
    let at = scores.at(DEEPEST);
    at.hit_rate + at.mrr
}

/// Picks the training settings, the recency and the repeat weight on a validation split cut
/// from `train` by time (see the module docs): first the training settings (coordinate
/// descent over the `KNOBS` table, each with the best recency) by cross-sell HR@20 + MRR@20 on
/// new-item cases, then the repeat weight by HR@20 + MRR@20 on all cases.
/// `progress` hears about each combination tried.
///
/// # Errors
/// Too few training sessions to cut a validation split from.
pub fn tune(
    train_history: &History,
    base: &Settings,
    mut progress: impl FnMut(&str),
) -> Result<(Settings, SessionScoring, Tuning), EvaluateError> {
    let cut = train_history.sessions.len() * 9 / 10;
    let (old, new) = train_history.sessions.split_at(cut);
    let cases: Vec<Case> = new.iter().flat_map(|s| cases_of_session(s)).collect();
    if cases.is_empty() || old.is_empty() {
        return Err(EvaluateError::Data {
            path: "--tune".into(),
            message: "the training sessions are too few to cut a validation split from".into(),
        });
    }
    let part = History {
        items: train_history.items.clone(),
        orders: Vec::new(),
        sessions: old.to_vec(),
        lines: 0,
    };
    let new_item: Vec<Case> = cases.iter().filter(|c| c.is_new()).cloned().collect();
    let mut tried = 0;
    let mut measure = |settings: &Settings| -> (f64, f64) {
        // `auto` weight levels would train three models per combination: the search holds
        // them at 8 bits, and the model shipped chooses its own.
        let searched = Settings {
            weight_bits: match settings.weight_bits {
                WeightBits::Auto => WeightBits::Eight,
                given => given,
            },
            ..settings.clone()
        };
        let model = Shipped(train(&part, &searched));
        let mut best = (f64::MIN, 0.0);
        for recency in RECENCIES {
            let mut ranks = Ranks::default();
            let scoring = SessionScoring {
                recency,
                repeat: 0.0,
                combine: Combine::Sum,
            };
            rank_model(&model, &Some, &new_item, &[("", scoring)], &mut ranks);
            let value = ranks
                .scores(&new_item)
                .first()
                .map_or(0.0, |s| objective(&s.new_item));
            tried += 1;
            if value > best.0 {
                best = (value, recency);
            }
        }
        progress(&format!(
            "window {} decay {} backward {} damping {} shrinkage {} weight power {} second hop {}: {:.2} (recency {})",
            settings.view_window,
            settings.view_decay,
            settings.backward,
            settings.damping,
            settings.shrinkage,
            settings.weight_power,
            settings.second_hop,
            best.0,
            best.1
        ));
        best
    };
    let mut chosen = base.clone();
    let (mut best, mut recency) = measure(&chosen);
    // One setting at a time, each from the best so far.
    for (set, values) in KNOBS {
        for &value in values {
            let mut candidate = chosen.clone();
            set(&mut candidate, value);
            if candidate == chosen {
                continue;
            }
            let (value, r) = measure(&candidate);
            if value > best {
                (best, recency, chosen) = (value, r, candidate);
            }
        }
    }
    let model = Shipped(train(&part, &chosen));
    let mut session_best = (f64::MIN, 0.0);
    for repeat in REPEATS {
        let mut ranks = Ranks::default();
        rank_model(
            &model,
            &Some,
            &cases,
            &[(
                "",
                SessionScoring {
                    recency,
                    repeat,
                    combine: Combine::Sum,
                },
            )],
            &mut ranks,
        );
        tried += 1;
        let value = ranks
            .scores(&cases)
            .first()
            .map_or(0.0, |s| objective(&s.all));
        if value > session_best.0 {
            session_best = (value, repeat);
        }
    }
    progress(&format!(
        "repeat {}: {:.2} on all cases",
        session_best.1, session_best.0
    ));
    Ok((
        chosen,
        SessionScoring {
            recency,
            repeat: session_best.1,
            combine: Combine::Sum,
        },
        Tuning {
            cases: cases.len(),
            new_item_cases: new_item.len(),
            trained_on: old.len(),
            tried,
            cross_sell_objective: best,
            session_objective: session_best.0,
        },
    ))
}

/// Everything the session protocol measured on one data set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SessionResults {
    /// The data set's name.
    pub name: String,
    /// FNV-1a of its files, in hex.
    pub fingerprint: String,
    /// Published figures on this data, when it is data they were published on.
    pub published: Option<String>,
    /// Test cases; new-item and repeat cases.
    pub cases: usize,
    /// Test cases whose target is not in the prefix.
    pub new_item_cases: usize,
    /// Items in the catalogue.
    pub catalogue: usize,
    /// Training sessions.
    pub trained_on: usize,
    /// The settings the model was trained with.
    pub settings: Settings,
    /// How prefixes were scored.
    pub scoring: SessionScoring,
    /// What `--tune` tried and chose, when it ran.
    pub tuning: Option<Tuning>,
    /// Snapshot bytes.
    pub snapshot_bytes: usize,
    /// Bytes of the snapshot's model part.
    pub model_bytes: usize,
    /// Neighbour entries in the snapshot.
    pub neighbour_entries: usize,
    /// The weights' levels, and what chose them.
    pub weights: super::WeightChoice,
    /// Every method's metrics.
    pub methods: Vec<MethodScores>,
}

/// The session protocol on `data`: trains, ships the snapshot, ranks every case by it and by
/// every baseline. Returns the results and the ranks per case.
///
/// # Errors
/// The model does not compile.
pub fn evaluate_sessions(
    data: &SessionData,
    settings: &Settings,
    scoring: SessionScoring,
    tuning: Option<Tuning>,
) -> Result<(SessionResults, Ranks), EvaluateError> {
    let trained = train(&data.train, settings);
    let (snapshot, bytes) = ship(&data.name, &trained, None)?;
    let items = &data.train.items;
    let to_snapshot: Vec<Option<u32>> = (0..items.len() as u32)
        .map(|i| snapshot.item_by_id(items.name(i)))
        .collect();
    let mut ranks = Ranks::default();
    rank_model(
        &snapshot,
        &|i| to_snapshot.get(i as usize).copied().flatten(),
        &data.cases,
        &uses(scoring),
        &mut ranks,
    );
    rank_baselines(&data.train, &data.cases, &mut ranks);
    let results = SessionResults {
        name: data.name.clone(),
        fingerprint: format!("{:016x}", data.fingerprint),
        published: data.published().map(str::to_string),
        cases: data.cases.len(),
        new_item_cases: data.cases.iter().filter(|c| c.is_new()).count(),
        catalogue: items.len(),
        trained_on: data.train.sessions.len(),
        settings: settings.clone(),
        scoring,
        tuning,
        snapshot_bytes: bytes,
        model_bytes: model_bytes(&snapshot),
        neighbour_entries: snapshot.info().neighbours,
        weights: trained.report.weights,
        methods: ranks.scores(&data.cases),
    };
    Ok((results, ranks))
}

/// The results as a table for people.
pub fn table(r: &SessionResults) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "session next item: {} ({} cases: {} new item, {} repeat; {} items; trained on {} sessions; snapshot {} B, {} neighbour entries, {}-bit weights)",
        r.name,
        r.cases,
        r.new_item_cases,
        r.cases - r.new_item_cases,
        r.catalogue,
        r.trained_on,
        r.snapshot_bytes,
        r.neighbour_entries,
        r.weights.bits
    );
    let _ = write!(out, "{:<22}", "HR / MRR %");
    for kind in ["all", "new item", "repeat"] {
        for k in CUTS {
            let _ = write!(out, " {:>13}", format!("{kind} @{k}"));
        }
    }
    out.push('\n');
    for m in &r.methods {
        let _ = write!(out, "{:<22}", m.method);
        for scores in [&m.all, &m.new_item, &m.repeat] {
            for k in CUTS {
                let c = scores.at(k);
                let _ = write!(out, " {:>13}", format!("{:.2}/{:.2}", c.hit_rate, c.mrr));
            }
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "scoring: recency {}, repeat {}; training: view window {}, view decay {}, backward {}, damping {}, shrinkage {}, weight power {}, second hop {}, neighbours {}, weight bits {}",
        r.scoring.recency,
        r.scoring.repeat,
        r.settings.view_window,
        r.settings.view_decay,
        r.settings.backward,
        r.settings.damping,
        r.settings.shrinkage,
        r.settings.weight_power,
        r.settings.second_hop,
        r.settings.neighbours,
        r.settings.weight_bits.name()
    );
    if let Some(t) = &r.tuning {
        let _ = writeln!(
            out,
            "tuned on {} validation cases ({} new item) from the newest 10% of training sessions, {} combinations",
            t.cases, t.new_item_cases, t.tried
        );
    }
    if let Some(p) = &r.published {
        let _ = writeln!(out, "{p}");
    }
    out
}

/// The per-case ranks as JSON Lines (`.jsonl`, `.json`) or CSV (`.csv`): session case number,
/// prefix, target, whether it is new, and each method's rank (empty or `null` beyond 20).
///
/// # Errors
/// Another extension, or the file cannot be written.
pub fn write_cases(path: &Path, data: &SessionData, ranks: &Ranks) -> Result<(), EvaluateError> {
    let csv = match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => true,
        Some("jsonl" | "json") => false,
        _ => {
            return Err(data_error(
                path,
                "--cases writes `.jsonl` (JSON Lines) or `.csv`",
            ));
        }
    };
    let items = &data.train.items;
    let mut out = String::with_capacity(data.cases.len() * 96);
    if csv {
        out.push_str("case,prefix,target,new");
        for m in &ranks.methods {
            let _ = write!(out, ",{m}");
        }
        out.push('\n');
    }
    for (n, case) in data.cases.iter().enumerate() {
        let prefix: Vec<&str> = case.prefix.iter().map(|&i| items.name(i)).collect();
        let target = items.name(case.target);
        if csv {
            let _ = write!(
                out,
                "{},{},{},{}",
                n + 1,
                prefix.join(" "),
                target,
                case.is_new()
            );
            for column in &ranks.ranks {
                out.push(',');
                if let Some(Some(r)) = column.get(n) {
                    let _ = write!(out, "{r}");
                }
            }
        } else {
            let mut record = serde_json::Map::new();
            record.insert("case".into(), (n + 1).into());
            record.insert("prefix".into(), prefix.into());
            record.insert("target".into(), target.into());
            record.insert("new".into(), case.is_new().into());
            let mut by_method = serde_json::Map::new();
            for (m, column) in ranks.methods.iter().zip(&ranks.ranks) {
                by_method.insert(
                    m.clone(),
                    column
                        .get(n)
                        .copied()
                        .flatten()
                        .map_or(serde_json::Value::Null, Into::into),
                );
            }
            record.insert("ranks".into(), by_method.into());
            out.push_str(&serde_json::Value::Object(record).to_string());
        }
        out.push('\n');
    }
    std::fs::write(path, out).map_err(|e| data_error(path, e))
}
