//! `tactful evaluate`: the learned model measured on public data, by the protocols published
//! results use, on the snapshot exactly as it ships.
//!
//! Each protocol trains with [`train`], writes the model file and a store file
//! listing the whole catalogue, compiles them with the same compiler `tactful compile` uses,
//! loads the snapshot bytes with [`Snapshot::from_bytes`] and ranks from that (see
//! [`rank`](super::rank)). The numbers therefore describe the pruned, quantised, budgeted model
//! a device holds, and the snapshot's size is measured, not estimated.
//!
//! - **Basket completion** (Instacart, Groceries, Diginetica purchases): orders in time order
//!   (Instacart and Groceries carry no dates, so their file order), the oldest 80% train, the
//!   newest 20% test. From each test order with two or more distinct items the last listed
//!   item is held out and the whole catalogue except the basket's other items is ranked from
//!   them: HR@10, MRR@10, and coverage (the share of the catalogue that appears in some top 10).
//! - **Session next item** (the Diginetica SR-GNN split, or any session data set): see
//!   [`sessions`]: train on the training sessions, rank the whole catalogue for every test
//!   prefix, beside the session-rec baselines, by case (new item or repeat).
//! - **Off-policy** (Open Bandit): the click rate of each logged policy estimated from the other
//!   policy's logs by inverse propensity scoring and its self-normalised form, with 95%
//!   confidence intervals, beside that policy's own on-policy click rate.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::rank::{Combine, ItemModel, Query, Ranker};
use super::sessions::{self, SessionData, SessionResults};
use super::{History, HistoryBuilder, Order, Settings, Trained, train};
use crate::compile::{self, Options, Source};
use crate::ope::{Accumulator, Interval, Term};
use crate::snapshot::Snapshot;
use crate::snapshot::wire::{Model, NeighbourBlob};

/// Why an evaluation could not run.
#[derive(Debug, Clone, PartialEq)]
pub enum EvaluateError {
    /// A data file is missing or unreadable.
    Data {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The trained model did not compile into a snapshot (a bug, or a budget too small).
    Compile(String),
}

impl std::fmt::Display for EvaluateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Data { path, message } => write!(f, "`{}`: {message}", path.display()),
            Self::Compile(message) => write!(f, "the trained model did not compile: {message}"),
        }
    }
}

impl std::error::Error for EvaluateError {}

/// Ranking metrics at a cut-off.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Ranking {
    /// The data set and protocol.
    pub name: String,
    /// The cut-off.
    pub k: usize,
    /// Test cases.
    pub cases: usize,
    /// Hit rate at `k`, in percent.
    pub hit_rate: f64,
    /// Mean reciprocal rank at `k`, in percent.
    pub mrr: f64,
    /// Share of the catalogue in some top `k`, in percent.
    pub coverage: f64,
    /// Items in the catalogue.
    pub catalogue: usize,
    /// Training orders or sessions.
    pub trained_on: usize,
    /// Snapshot bytes.
    pub snapshot_bytes: usize,
    /// Bytes of the snapshot's model part (neighbours, popularity, scores), as encoded.
    pub model_bytes: usize,
    /// Neighbour entries in the snapshot.
    pub neighbour_entries: usize,
    /// The weights' levels, and what chose them.
    pub weights: super::WeightChoice,
}

/// One off-policy estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OffPolicy {
    /// The policy whose click rate is estimated.
    pub target: String,
    /// The policy whose logs are used.
    pub logs: String,
    /// Impressions in those logs.
    pub impressions: usize,
    /// Share of the target policy's probability, in percent, on (item, position) pairs the logs
    /// ever show: IPS cannot see the rest, so below 100 it underestimates.
    pub support: f64,
    /// IPS estimate and its 95% interval, in percent.
    pub ips: Interval,
    /// Self-normalised IPS and its 95% interval, in percent.
    pub snips: Interval,
    /// The target policy's own click rate and its 95% interval, in percent.
    pub on_policy: Interval,
}

/// Everything one run measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Results {
    /// The settings the models were trained with (basket data sets without decay).
    pub settings: Settings,
    /// Basket completion, per data set.
    pub basket: Vec<Ranking>,
    /// Session next item.
    pub session: Vec<SessionResults>,
    /// Off-policy estimates.
    pub off_policy: Vec<OffPolicy>,
}

pub(crate) fn data_error(path: &Path, e: impl std::fmt::Display) -> EvaluateError {
    EvaluateError::Data {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Opens a data file, gunzipping `.gz`.
pub(crate) fn open(path: &Path) -> Result<Box<dyn BufRead>, EvaluateError> {
    let file = std::fs::File::open(path).map_err(|e| data_error(path, e))?;
    let read: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    Ok(Box::new(BufReader::with_capacity(1 << 16, read)))
}

fn csv_reader(path: &Path, delimiter: u8) -> Result<csv::Reader<Box<dyn BufRead>>, EvaluateError> {
    Ok(csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(open(path)?))
}

/// Reads `path`'s records, calling `each` with the named columns' fields.
fn each_record(
    path: &Path,
    delimiter: u8,
    columns: &[&str],
    mut each: impl FnMut(&[&str]) -> Result<(), String>,
) -> Result<(), EvaluateError> {
    let mut reader = csv_reader(path, delimiter)?;
    let header = reader.headers().map_err(|e| data_error(path, e))?.clone();
    let at: Vec<usize> = columns
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h == *c)
                .ok_or_else(|| data_error(path, format!("no column `{c}`")))
        })
        .collect::<Result<_, _>>()?;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => return Err(data_error(path, e)),
        }
        let fields: Vec<&str> = at.iter().map(|&i| record.get(i).unwrap_or("")).collect();
        let line = record.position().map_or(0, csv::Position::line);
        each(&fields).map_err(|m| data_error(path, format!("line {line}: {m}")))?;
    }
}

/// A basket data set: all orders oldest first, and each item's category.
#[derive(Debug, Clone, Default)]
pub struct Baskets {
    /// The data set's name.
    pub name: String,
    /// Orders and items.
    pub history: History,
    /// Category per item id, when the data set has categories.
    pub categories: Option<HashMap<String, String>>,
}

/// Instacart: `order_products__prior` grouped by order, in file order; aisles as categories.
///
/// # Errors
/// A file that is missing or unreadable.
pub fn instacart(dir: &Path) -> Result<Baskets, EvaluateError> {
    let mut orders: Vec<(String, Vec<(u32, String)>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    each_record(
        &dir.join("order_products__prior.csv.gz"),
        b',',
        &["order_id", "product_id", "add_to_cart_order"],
        |f| {
            let [order, product, position] = f else {
                return Err("short record".into());
            };
            let position: u32 = position.parse().map_err(|_| "bad add_to_cart_order")?;
            let at = *index.entry((*order).to_string()).or_insert_with(|| {
                orders.push(((*order).to_string(), Vec::new()));
                orders.len() - 1
            });
            if let Some(o) = orders.get_mut(at) {
                o.1.push((position, (*product).to_string()));
            }
            Ok(())
        },
    )?;
    let mut builder = HistoryBuilder::default();
    for (i, (_, mut lines)) in orders.into_iter().enumerate() {
        // Cart order, so the held-out item is the last one added.
        lines.sort_by_key(|l| l.0);
        let items: Vec<&str> = lines.iter().map(|l| l.1.as_str()).collect();
        builder.order(i as i64, None, &items);
    }
    let mut categories = HashMap::new();
    each_record(
        &dir.join("products.csv.gz"),
        b',',
        &["product_id", "aisle_id"],
        |f| {
            if let [product, aisle] = f {
                categories.insert((*product).to_string(), format!("aisle-{aisle}"));
            }
            Ok(())
        },
    )?;
    Ok(Baskets {
        name: "instacart".into(),
        history: builder.finish(),
        categories: Some(categories),
    })
}

/// Groceries: one basket per line, in file order; no categories. Item names become ids by
/// turning what an id may not hold (spaces, parentheses) into `_`.
///
/// # Errors
/// A file that is missing or unreadable.
pub fn groceries(dir: &Path) -> Result<Baskets, EvaluateError> {
    let path = dir.join("groceries.csv.gz");
    let mut builder = HistoryBuilder::default();
    for (i, line) in open(&path)?.lines().enumerate() {
        let line = line.map_err(|e| data_error(&path, e))?;
        let ids: Vec<String> = line
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|name| {
                name.chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || "-_.:/".contains(c) {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect()
            })
            .collect();
        let items: Vec<&str> = ids.iter().map(String::as_str).collect();
        if !items.is_empty() {
            builder.order(i as i64, None, &items);
        }
    }
    Ok(Baskets {
        name: "groceries".into(),
        history: builder.finish(),
        categories: None,
    })
}

/// Diginetica purchases: order lines by `ordernumber`, dated by `eventdate`, with categories.
///
/// # Errors
/// A file that is missing or unreadable, or a bad date.
pub fn diginetica_purchases(dir: &Path) -> Result<Baskets, EvaluateError> {
    let mut builder = HistoryBuilder::default();
    let path = dir.join("train-purchases.csv.gz");
    super::input::read_orders(
        &path,
        &super::input::ColumnMap::parse(
            "order=ordernumber,item=itemId,time=eventdate,customer=userId",
        )
        .map_err(|e| data_error(&path, e))?,
        |line| builder.order_line(&line),
    )
    .map_err(|e| data_error(&path, e))?;
    let mut categories = HashMap::new();
    each_record(
        &dir.join("product-categories.csv.gz"),
        b';',
        &["itemId", "categoryId"],
        |f| {
            if let [item, category] = f {
                categories.insert((*item).to_string(), (*category).to_string());
            }
            Ok(())
        },
    )?;
    Ok(Baskets {
        name: "diginetica-purchases".into(),
        history: builder.finish(),
        categories: Some(categories),
    })
}

/// Compiles `trained` with a store listing every item (with its category) into a snapshot
/// and loads it, as `tactful compile` and a device would. Items without a category (all of
/// them, without `categories`) share the category `-`.
///
/// # Errors
/// The model does not compile, or the snapshot does not load.
pub fn ship(
    name: &str,
    trained: &Trained,
    categories: Option<&HashMap<String, String>>,
) -> Result<(Snapshot, usize), EvaluateError> {
    let mut store = String::with_capacity(64 * trained.items.len());
    let _ = writeln!(
        store,
        "[store]\nid = \"eval-{name}\"\nname = \"{name}\"\ncurrency = \"USD\"\n"
    );
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    for i in 0..trained.items.len() as u32 {
        let id = trained.items.name(i);
        let category = categories
            .and_then(|known| known.get(id))
            .map_or("-", String::as_str);
        let _ = writeln!(
            store,
            "[[items]]\nid = {}\ncategory = {}\nprice = 1.0",
            quote(id),
            quote(category)
        );
    }
    let compiled = compile::compile_sources(
        Source {
            name: format!("{name}.store.toml"),
            text: store,
        },
        Some(Source {
            name: format!("{name}.model.toml"),
            text: trained.to_model_toml(),
        }),
        &Options { budget: None },
    )
    .map_err(|d| {
        EvaluateError::Compile(
            d.iter()
                .take(3)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let bytes = compiled.bytes.len();
    let snapshot =
        Snapshot::from_bytes(&compiled.bytes).map_err(|e| EvaluateError::Compile(e.to_string()))?;
    Ok((snapshot, bytes))
}

/// The encoded size of the snapshot's model part.
pub(crate) fn model_bytes(snapshot: &Snapshot) -> usize {
    let model = &snapshot.payload().model;
    let as_written = Model {
        readiness: model.readiness.clone(),
        risk: model.risk.clone(),
        price_sensitivity: model.price_sensitivity.clone(),
        popularity: model.popularity.clone(),
        neighbours: NeighbourBlob {
            offsets: model.neighbours.offsets.clone(),
            wide: model.neighbours.wide,
            entries: snapshot.neighbour_entries(),
        },
        attach_window_days: model.attach_window_days,
    };
    postcard::to_allocvec(&as_written).map_or(0, |b| b.len())
}

/// A basket-completion split: training history and held-out test cases.
#[derive(Debug, Clone)]
pub struct BasketSplit {
    /// The oldest 80% of orders (items cover the whole data set).
    pub train: History,
    /// Test cases: `(held out, the basket's other items)`, as item indexes.
    pub cases: Vec<(u32, Vec<u32>)>,
}

/// Splits by time: the oldest `train_share` of orders train.
pub fn split_baskets(history: &History, train_share: f64) -> BasketSplit {
    let cut = (history.orders.len() as f64 * train_share).round() as usize;
    let (old, new) = history.orders.split_at(cut.min(history.orders.len()));
    let cases = cases_of(new);
    BasketSplit {
        train: History {
            items: history.items.clone(),
            orders: old.to_vec(),
            sessions: Vec::new(),
            lines: old.iter().map(|o| o.items.len() as u64).sum(),
        },
        cases,
    }
}

/// Ranks each case's basket from `model`, whose item indexes `to_model` maps to.
pub fn rank_baskets(
    name: &str,
    model: &impl ItemModel,
    to_model: &dyn Fn(u32) -> Option<u32>,
    cases: &[(u32, Vec<u32>)],
    k: usize,
) -> Ranking {
    let mut metrics = Counter::new(model.item_count());
    for_each_top(model, to_model, cases, k, |top, held_out| {
        metrics.add(top, held_out);
    });
    metrics.finish(name, k)
}

/// Ranks each case's top `k` from the rest of its basket, and calls `visit` with it and the
/// held-out item (both as the model's indexes).
pub(crate) fn for_each_top(
    model: &impl ItemModel,
    to_model: &dyn Fn(u32) -> Option<u32>,
    cases: &[(u32, Vec<u32>)],
    k: usize,
    mut visit: impl FnMut(&[u32], Option<u32>),
) {
    let mut ranker = Ranker::new(model);
    let mut seeds = Vec::new();
    for (held_out, rest) in cases {
        seeds.clear();
        seeds.extend(rest.iter().filter_map(|&i| to_model(i)).map(|i| (i, 1.0)));
        let exclude: Vec<u32> = seeds.iter().map(|s| s.0).collect();
        let top = ranker.top(
            model,
            &Query {
                seeds: &seeds,
                exclude: &exclude,
                repeat: 0.0,
                combine: Combine::Sum,
            },
            k,
        );
        visit(&top, to_model(*held_out));
    }
}

struct Counter {
    cases: usize,
    hits: usize,
    reciprocal: f64,
    seen: Vec<bool>,
}

impl Counter {
    fn new(items: usize) -> Self {
        Self {
            cases: 0,
            hits: 0,
            reciprocal: 0.0,
            seen: vec![false; items],
        }
    }

    fn add(&mut self, top: &[u32], target: Option<u32>) {
        self.cases += 1;
        for &i in top {
            if let Some(s) = self.seen.get_mut(i as usize) {
                *s = true;
            }
        }
        if let Some(rank) = target.and_then(|t| top.iter().position(|&i| i == t)) {
            self.hits += 1;
            self.reciprocal += 1.0 / (rank + 1) as f64;
        }
    }

    fn finish(self, name: &str, k: usize) -> Ranking {
        let cases = self.cases.max(1) as f64;
        Ranking {
            name: name.into(),
            k,
            cases: self.cases,
            hit_rate: 100.0 * self.hits as f64 / cases,
            mrr: 100.0 * self.reciprocal / cases,
            coverage: 100.0 * self.seen.iter().filter(|&&s| s).count() as f64
                / self.seen.len().max(1) as f64,
            catalogue: self.seen.len(),
            ..Ranking::default()
        }
    }
}

/// Basket completion on one data set, on the shipped snapshot; also writes the split for the
/// peers when `splits` is given.
///
/// # Errors
/// The model does not compile, or the split cannot be written.
pub fn basket_completion(
    data: &Baskets,
    settings: &Settings,
    splits: Option<&Path>,
) -> Result<Ranking, EvaluateError> {
    let split = split_baskets(&data.history, 0.8);
    let trained = train(&split.train, settings);
    let (snapshot, bytes) = ship(&data.name, &trained, data.categories.as_ref())?;
    let items = &data.history.items;
    let to_snapshot: Vec<Option<u32>> = (0..items.len() as u32)
        .map(|i| snapshot.item_by_id(items.name(i)))
        .collect();
    let mut ranking = rank_baskets(
        &data.name,
        &snapshot,
        &|i| to_snapshot.get(i as usize).copied().flatten(),
        &split.cases,
        10,
    );
    ranking.trained_on = split.train.orders.len();
    ranking.snapshot_bytes = bytes;
    ranking.neighbour_entries = snapshot.info().neighbours;
    ranking.weights = trained.report.weights;
    ranking.model_bytes = model_bytes(&snapshot);
    if let Some(dir) = splits {
        write_split(&dir.join(&data.name), &split)?;
    }
    Ok(ranking)
}

/// Writes `train.tsv` (one order per line, item ids separated by tabs), `test.tsv` (the
/// held-out item, then the basket's other items) and `catalogue.tsv` for the peer script.
fn write_split(dir: &Path, split: &BasketSplit) -> Result<(), EvaluateError> {
    std::fs::create_dir_all(dir).map_err(|e| data_error(dir, e))?;
    let items = &split.train.items;
    let line = |ids: &mut dyn Iterator<Item = u32>| {
        let v: Vec<&str> = ids.map(|i| items.name(i)).collect();
        v.join("\t")
    };
    let mut train = String::new();
    for o in &split.train.orders {
        train.push_str(&line(&mut o.items.iter().copied()));
        train.push('\n');
    }
    let mut test = String::new();
    for (held, rest) in &split.cases {
        test.push_str(&line(
            &mut std::iter::once(*held).chain(rest.iter().copied()),
        ));
        test.push('\n');
    }
    let catalogue = line(&mut (0..items.len() as u32)).replace('\t', "\n") + "\n";
    for (name, text) in [
        ("train.tsv", train),
        ("test.tsv", test),
        ("catalogue.tsv", catalogue),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| data_error(&path, e))?;
    }
    Ok(())
}

/// The Diginetica SR-GNN split in `dir`, as the data set `diginetica-sessions`.
///
/// # Errors
/// A file that is missing or unreadable, or no test cases.
pub fn diginetica_sessions(dir: &Path) -> Result<SessionData, EvaluateError> {
    sessions::read_sessions(
        "diginetica-sessions",
        &dir.join("sessions_train.txt.gz"),
        &dir.join("sessions_test.tsv.gz"),
    )
}

/// One logged impression.
#[derive(Debug, Clone, Copy)]
struct Impression {
    item: u32,
    position: u32,
    click: bool,
    propensity: f64,
}

fn bandit_log(path: &Path) -> Result<Vec<Impression>, EvaluateError> {
    let mut log = Vec::new();
    each_record(
        path,
        b',',
        &["item_id", "position", "click", "propensity_score"],
        |f| {
            let [item, position, click, propensity] = f else {
                return Err("short record".into());
            };
            let propensity: f64 = propensity.parse().map_err(|_| "bad propensity_score")?;
            if !(propensity > 0.0 && propensity <= 1.0) {
                return Err(format!("propensity_score `{propensity}` is not in (0, 1]"));
            }
            log.push(Impression {
                item: item.parse().map_err(|_| "bad item_id")?,
                position: position.parse().map_err(|_| "bad position")?,
                click: *click == "1",
                propensity,
            });
            Ok(())
        },
    )?;
    Ok(log)
}

/// A policy's probability of each (item, position): how often its logs show that item there
/// among its impressions at that position. Both Open Bandit policies are context-free, so this
/// is their (time-averaged) action distribution; the logged propensity of the shown item is
/// not, because a high-propensity item is shown more often and would be counted more.
fn action_probabilities(log: &[Impression]) -> HashMap<(u32, u32), f64> {
    let mut shown: HashMap<(u32, u32), u32> = HashMap::new();
    let mut at_position: HashMap<u32, u32> = HashMap::new();
    for i in log {
        *shown.entry((i.item, i.position)).or_insert(0) += 1;
        *at_position.entry(i.position).or_insert(0) += 1;
    }
    shown
        .into_iter()
        .map(|((item, position), n)| {
            let total = at_position.get(&position).copied().unwrap_or(1).max(1);
            ((item, position), f64::from(n) / f64::from(total))
        })
        .collect()
}

fn estimate(
    target: &str,
    logs_name: &str,
    logs: &[Impression],
    target_log: &[Impression],
) -> OffPolicy {
    let probabilities = action_probabilities(target_log);
    let weights: Vec<(f64, f64)> = logs
        .iter()
        .map(|i| {
            let p = probabilities
                .get(&(i.item, i.position))
                .copied()
                .unwrap_or(0.0);
            (p / i.propensity, if i.click { 1.0 } else { 0.0 })
        })
        .collect();
    let mut sums = Accumulator::default();
    for &(weight, reward) in &weights {
        sums.add(Term {
            weight,
            reward,
            modelled: 0.0,
            modelled_logged: 0.0,
        });
    }
    let none = Interval {
        estimate: 0.0,
        low: 0.0,
        high: 0.0,
    };
    let (ips, snips) = sums.estimates().map_or((none, none), |e| (e.ips, e.snips));
    let logged: std::collections::HashSet<(u32, u32)> =
        logs.iter().map(|i| (i.item, i.position)).collect();
    let positions = probabilities
        .keys()
        .map(|k| k.1)
        .collect::<std::collections::HashSet<_>>()
        .len()
        .max(1) as f64;
    let support = probabilities
        .iter()
        .filter(|(k, _)| logged.contains(k))
        .map(|(_, p)| p)
        .sum::<f64>()
        / positions;
    let clicks = target_log.iter().filter(|i| i.click).count() as f64;
    let m = target_log.len().max(1) as f64;
    let rate = clicks / m;
    OffPolicy {
        target: target.into(),
        logs: logs_name.into(),
        impressions: logs.len(),
        support: 100.0 * support,
        ips: ips.scaled(100.0),
        snips: snips.scaled(100.0),
        on_policy: Interval::normal(rate, (rate * (1.0 - rate) / m).sqrt()).scaled(100.0),
    }
}

/// Off-policy estimates on the Open Bandit sample, both ways.
///
/// # Errors
/// A file that is missing or unreadable.
pub fn off_policy(dir: &Path) -> Result<Vec<OffPolicy>, EvaluateError> {
    let random = bandit_log(&dir.join("random_all.csv.gz"))?;
    let bts = bandit_log(&dir.join("bts_all.csv.gz"))?;
    Ok(vec![
        estimate("bts", "random", &random, &bts),
        estimate("random", "bts", &bts, &random),
    ])
}

/// The results as a table for people.
pub fn table(results: &Results) -> String {
    let mut out = String::new();
    if !results.basket.is_empty() {
        let rows = &results.basket;
        let title = "basket completion";
        let _ = writeln!(
            out,
            "{title}\n{:<22} {:>7} {:>8} {:>8} {:>8} {:>7} {:>11} {:>9} {:>10} {:>4}",
            "data set",
            "cases",
            "HR@k %",
            "MRR@k %",
            "cover %",
            "items",
            "snapshot B",
            "model B",
            "neighbours",
            "bits"
        );
        for r in rows {
            let _ = writeln!(
                out,
                "{:<22} {:>7} {:>8.2} {:>8.2} {:>8.2} {:>7} {:>11} {:>9} {:>10} {:>4}   (k = {})",
                r.name,
                r.cases,
                r.hit_rate,
                r.mrr,
                r.coverage,
                r.catalogue,
                r.snapshot_bytes,
                r.model_bytes,
                r.neighbour_entries,
                r.weights.bits,
                r.k
            );
        }
        out.push('\n');
    }
    for session in &results.session {
        out.push_str(&sessions::table(session));
        out.push('\n');
    }
    if !results.off_policy.is_empty() {
        let _ = writeln!(
            out,
            "off-policy (click rate %, 95% interval)\n{:<8} {:<8} {:>7} {:>9} {:>24} {:>24} {:>24}",
            "target", "logs", "n", "support %", "IPS", "SNIPS", "on-policy"
        );
        let show = |i: &Interval| format!("{:.3} [{:.3}, {:.3}]", i.estimate, i.low, i.high);
        for r in &results.off_policy {
            let _ = writeln!(
                out,
                "{:<8} {:<8} {:>7} {:>9.1} {:>24} {:>24} {:>24}",
                r.target,
                r.logs,
                r.impressions,
                r.support,
                show(&r.ips),
                show(&r.snips),
                show(&r.on_policy)
            );
        }
    }
    out
}

/// Orders with two or more items as `(the last item, the others)` cases.
pub fn cases_of(orders: &[Order]) -> Vec<(u32, Vec<u32>)> {
    orders
        .iter()
        .filter(|o| o.items.len() >= 2)
        .filter_map(|o| o.items.split_last().map(|(l, r)| (*l, r.to_vec())))
        .collect()
}
