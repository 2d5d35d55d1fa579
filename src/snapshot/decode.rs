//! The payload (format 5, and formats 1 to 4: see `ItemNames`) read from its postcard bytes,
//! field by field in the order of `wire.rs`.
//!
//! Until 0.3 postcard and serde's derived visitors decoded it; they were most of the
//! 36 KB that decoding and validation took of the module. This reader is the same format
//! written out: each function below reads one wire type, its fields in declaration order, and
//! an enum by its variant's position (the order the types declare them in, which is what
//! serde's derive writes). A change to a wire type changes the format (see `wire.rs`), and
//! its reader here with it; `fuzzing::payload_readers_agree` checks this reader against
//! postcard and serde on the sample store, the golden files, and generated and damaged payloads.
//!
//! Strings and the neighbour entries are left where they lie (their places are read), but for
//! the ids, the item names and the names of categories, families, facts and signals, which
//! are copied into the snapshot's table of words; each offer's
//! lists are appended to the snapshot's two tables of them (`wire::Tables`), and the offer
//! keeps their runs.

use super::SnapshotError;
use super::wire::{
    Cap, EmailTiming, EmailWindow, Exploration, FactDecl, FactKind, Feature, FrameExploration,
    Holdout, Item, ListRef, Loaded, LoadedOffer, LoadedProgram, Logistic, Model, NeighbourBlob,
    Offer, Pairing, Payload, Policy, Rule, Span, SurfaceRules, Tables, Text, Thresholds, TierStep,
    Trigger,
};
use crate::program::{Const, Op};
use crate::reader::{ReadResult, Reader};
use crate::vocab::{
    Frame, KindSet, OfferKind, Play, Stage, Surface, SurfaceSet, Tier, ViewedOffers,
};

/// The payload of format `version` in `body`, which it must fill exactly, and the tables read
/// out of it (its offers' lists, its programs and its words).
pub(crate) fn payload(body: &[u8], version: u16) -> Result<(Loaded, Tables), SnapshotError> {
    let mut r = Reader::new(body);
    let mut tables = Tables::default();
    // The words are about an eighth of a payload or less (7% of the 10,000-offer benchmark
    // store's, 13% of the sample store's): room for that is made once, instead of the table
    // doubling its way there (4% of a 10,000-offer load under Node), and what is left over
    // is given back when the table is done.
    tables.reserve_words(body.len() / 8);
    let names = if version >= NAMES_ONLY_WHERE_NOT_IDS {
        ItemNames::EmptyIsId
    } else {
        ItemNames::AsWritten
    };
    let payload = read_payload(&mut r, &mut tables, names).and_then(|p| r.finish().map(|()| p));
    let payload = payload.map_err(|detail| SnapshotError::Decode { detail })?;
    let tables = tables.finish().ok_or_else(|| SnapshotError::Decode {
        detail: "the words are not UTF-8".into(),
    })?;
    Ok((payload, tables))
}

/// The first format whose items' names are written only where they differ from the ids
/// (`wire::Item`'s `Serialize`): an empty name there is the item's id.
const NAMES_ONLY_WHERE_NOT_IDS: u16 = 5;

/// How an item's name is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ItemNames {
    /// As written: formats 1 to 4, whose empty name was shown empty.
    AsWritten,
    /// An empty name is the id (from format 5).
    EmptyIsId,
}

fn read_payload(r: &mut Reader<'_>, tables: &mut Tables, names: ItemNames) -> ReadResult<Loaded> {
    Ok(Payload {
        store_id: r.string()?,
        store_name: r.string()?,
        currency: r.string()?,
        currency_digits: r.u8()?,
        items: r.list(|r| item(r, tables, names))?,
        categories: r.list(|r| word(r, tables))?,
        families: r.list(|r| word(r, tables))?,
        offers: r.list(|r| offer(r, tables))?,
        surfaces: r.list(surface_rules)?,
        policy: policy(r)?,
        rules: r.list(|r| rule(r, tables))?,
        programs: r.list(|r| program(r, tables))?,
        facts: r.list(|r| fact(r, tables))?,
        signals: r.list(|r| word(r, tables))?,
        pairings: r.list(pairing)?,
        model: model(r)?,
        email: r.option(email_timing)?,
        frame_exploration: r.option(|r| {
            Ok(FrameExploration {
                basis_points: r.u16()?,
            })
        })?,
        offer_viewed: r.option(|r| r.one_of("ViewedOffers", ViewedOffers::ALL))?,
    })
}

/// A place in the payload (which is at most `MAX_SNAPSHOT_BYTES`, so every place fits a `u32`).
fn span((start, end): (usize, usize)) -> Span {
    Span {
        start: start as u32,
        end: end as u32,
    }
}

/// A string, left where it lies.
fn text(r: &mut Reader<'_>) -> ReadResult<Text> {
    r.string_span().map(|place| Text(span(place)))
}

/// An id or item name: a string copied into the table of words, which decisions read without
/// checking it again (`wire::Tables`).
fn word(r: &mut Reader<'_>, tables: &mut Tables) -> ReadResult<Text> {
    r.string_bytes().map(|word| tables.add_word(word))
}

fn item(r: &mut Reader<'_>, tables: &mut Tables, names: ItemNames) -> ReadResult<Item<Text>> {
    let id = word(r, tables)?;
    let name = word(r, tables)?;
    Ok(Item {
        id,
        name: if name.is_empty() && names == ItemNames::EmptyIsId {
            id
        } else {
            name
        },
        category: r.u32()?,
        price: r.u64()?,
    })
}

/// A list of `u32`s, appended to the table of numbers (which reserves little ahead of what it
/// reads: a claimed length is at most the bytes left, not what they hold).
fn numbers(r: &mut Reader<'_>, tables: &mut Tables) -> ReadResult<ListRef<u32>> {
    let len = r.len()?;
    tables.read_numbers(len, || r.u32())
}

/// An offer's copy, appended to the table of copy.
fn copies(r: &mut Reader<'_>, tables: &mut Tables) -> ReadResult<ListRef<(Frame, Text)>> {
    let len = r.len()?;
    tables.read_copies(len, || Ok((r.one_of("Frame", Frame::ALL)?, text(r)?)))
}

fn offer(r: &mut Reader<'_>, tables: &mut Tables) -> ReadResult<LoadedOffer> {
    Ok(Offer {
        id: word(r, tables)?,
        title: text(r)?,
        kind: r.one_of("OfferKind", OfferKind::ALL)?,
        items: numbers(r, tables)?,
        price: r.u64()?,
        discount_percent: r.u8()?,
        cost: r.u64()?,
        job: text(r)?,
        surfaces: SurfaceSet(r.u8()?),
        family: r.option(Reader::u32)?,
        copy: copies(r, tables)?,
        requires: numbers(r, tables)?,
        excluded_by: numbers(r, tables)?,
        repeatable: r.bool()?,
        tier: r.option(|r| r.one_of("Tier", Tier::ALL))?,
        cap: r.option(|r| {
            Ok(Cap {
                max: r.u16()?,
                window: r.u32()?,
            })
        })?,
        cooldown: numbers(r, tables)?,
        family_cooldown: r.u32()?,
        when: r.option(Reader::u32)?,
        unless: r.option(Reader::u32)?,
    })
}

fn surface_rules(r: &mut Reader<'_>) -> ReadResult<SurfaceRules> {
    Ok(SurfaceRules {
        limit: r.u8()?,
        per_session: r.u16()?,
        per_day: r.u16()?,
        needs_trigger: r.bool()?,
        quiet_after_purchase: r.bool()?,
    })
}

fn policy(r: &mut Reader<'_>) -> ReadResult<Policy> {
    Ok(Policy {
        daily_cap: r.u16()?,
        quiet_after_purchase: r.u32()?,
        session_length: r.u32()?,
        holdout: r.option(|r| {
            Ok(Holdout {
                basis_points: r.u16()?,
                salt: r.string()?,
            })
        })?,
        trigger: Trigger {
            completed: r.list(Reader::u32)?,
            started: r.list(Reader::u32)?,
            within: r.u32()?,
        },
        tiers: r.list(|r| {
            Ok(TierStep {
                below: r.u64()?,
                tier: r.one_of("Tier", Tier::ALL)?,
            })
        })?,
        thresholds: Thresholds {
            protect_risk: r.f32()?,
            assist_risk: r.f32()?,
            assist_readiness: r.f32()?,
            commit_readiness: r.f32()?,
            price_sensitive: r.f32()?,
        },
        play_kinds: r.list(|r| r.u8().map(KindSet))?,
        exploration: r.option(|r| {
            Ok(Exploration {
                basis_points: r.u16()?,
                among: r.u8()?,
            })
        })?,
    })
}

fn rule(r: &mut Reader<'_>, tables: &mut Tables) -> ReadResult<Rule<Text>> {
    Ok(Rule {
        id: word(r, tables)?,
        when: r.u32()?,
        play: r.option(|r| r.one_of("Play", Play::ALL))?,
        exclude_offers: r.list(Reader::u32)?,
        exclude_kinds: KindSet(r.u8()?),
        frame: r.option(|r| r.one_of("Frame", Frame::ALL))?,
        no_discount: r.bool()?,
    })
}

/// A program, its ops, constants and constant lists appended to the tables of them.
fn program(r: &mut Reader<'_>, tables: &mut Tables) -> ReadResult<LoadedProgram> {
    let len = r.len()?;
    let ops = tables.read_ops(len, || op(r))?;
    let len = r.len()?;
    let consts = tables.read_consts(len, || constant(r))?;
    let len = r.len()?;
    let lists = tables.read_lists(len, |tables| {
        let len = r.len()?;
        tables.read_consts(len, || constant(r))
    })?;
    Ok(LoadedProgram { ops, consts, lists })
}

/// An op, by its position in `Op`'s declaration.
fn op(r: &mut Reader<'_>) -> ReadResult<Op> {
    Ok(match r.variant()? {
        0 => Op::Const(r.u16()?),
        1 => Op::Fact(r.u32()?),
        2 => Op::Signal(r.u32()?),
        3 => Op::CartValue,
        4 => Op::CartSize,
        5 => Op::OwnedCount,
        6 => Op::ViewedCount,
        7 => Op::Readiness,
        8 => Op::Risk,
        9 => Op::PriceSensitivity,
        10 => Op::Stage,
        11 => Op::Surface,
        12 => Op::InCart(r.u32()?),
        13 => Op::Owns(r.u32()?),
        14 => Op::Viewed(r.u32()?),
        15 => Op::Eq,
        16 => Op::Ne,
        17 => Op::Lt,
        18 => Op::Le,
        19 => Op::Gt,
        20 => Op::Ge,
        21 => Op::Add,
        22 => Op::Sub,
        23 => Op::Mul,
        24 => Op::Div,
        25 => Op::Neg,
        26 => Op::Not,
        27 => Op::And,
        28 => Op::Or,
        29 => Op::InList(r.u16()?),
        index => return Err(r.unknown("Op", index, 30)),
    })
}

fn constant(r: &mut Reader<'_>) -> ReadResult<Const> {
    Ok(match r.variant()? {
        0 => Const::Num(r.f64()?),
        1 => Const::Text(r.string()?),
        2 => Const::Flag(r.bool()?),
        index => return Err(r.unknown("Const", index, 3)),
    })
}

fn fact(r: &mut Reader<'_>, tables: &mut Tables) -> ReadResult<FactDecl<Text>> {
    Ok(FactDecl {
        name: word(r, tables)?,
        kind: r.one_of(
            "FactKind",
            &[FactKind::Number, FactKind::Text, FactKind::Flag],
        )?,
    })
}

fn pairing(r: &mut Reader<'_>) -> ReadResult<Pairing<Text>> {
    Ok(Pairing {
        item: r.u32()?,
        offer: r.u32()?,
        strength: r.f32()?,
        note: text(r)?,
    })
}

fn model(r: &mut Reader<'_>) -> ReadResult<Model<Span>> {
    Ok(Model {
        readiness: logistic(r)?,
        risk: logistic(r)?,
        price_sensitivity: logistic(r)?,
        popularity: r.bytes()?,
        neighbours: NeighbourBlob {
            offsets: r.list(Reader::u32)?,
            wide: r.bool()?,
            entries: r.bytes_span().map(span)?,
        },
        attach_window_days: r.u16()?,
    })
}

fn logistic(r: &mut Reader<'_>) -> ReadResult<Logistic> {
    Ok(Logistic {
        bias: r.f32()?,
        weights: r.list(|r| Ok((feature(r)?, r.f32()?)))?,
    })
}

fn feature(r: &mut Reader<'_>) -> ReadResult<Feature> {
    Ok(match r.variant()? {
        0 => Feature::Signal(r.u32()?),
        1 => Feature::Fact(r.u32()?),
        2 => Feature::CartValue,
        3 => Feature::CartSize,
        4 => Feature::OwnedCount,
        5 => Feature::Stage(r.one_of("Stage", Stage::ALL)?),
        6 => Feature::Surface(r.one_of("Surface", Surface::ALL)?),
        index => return Err(r.unknown("Feature", index, 7)),
    })
}

fn email_timing(r: &mut Reader<'_>) -> ReadResult<EmailTiming> {
    Ok(EmailTiming {
        quiet_after_order: r.u32()?,
        once_per_window: r.bool()?,
        windows: r.list(|r| {
            Ok(EmailWindow {
                kind: r.one_of("OfferKind", OfferKind::ALL)?,
                from: r.u32()?,
                to: r.u32()?,
            })
        })?,
    })
}
