//! The payload of a format-5 snapshot, exactly as postcard writes it (and as `decode.rs` reads
//! it, field by field in this order).
//!
//! These types are frozen: a change to any of them is a new format version and a golden file in
//! `tests/golden/`; an older format is read as this one when it differs only by fields this
//! one appends (format 1: see `Snapshot::from_bytes`), otherwise through a frozen copy of the
//! old types that changed. Indexes (`u32` positions into the vectors here) are checked
//! by `validate` before anything reads them.
//!
//! The tables' strings, the neighbour entries and each offer's lists (of numbers, and its
//! copy) are type parameters: `Payload` (`String`, `Vec<u8>`, `Vec<u32>`,
//! `Vec<(Frame, String)>`) is what the compiler writes and the tests' reference reader reads;
//! [`Loaded`] ([`Text`], [`Span`], [`ListRef`]) is what the engine holds: places in the
//! snapshot's bytes or its table of words, and runs of its two tables of lists ([`Tables`]).
//! Both have the same encoding.
//!
//! Format 2 added [`Payload::email`], the timing of email offers; format 3 added
//! [`Payload::frame_exploration`]; format 4 added [`Payload::offer_viewed`]; format 5 writes an
//! [`Item`]'s name empty where it is the id; nothing else changed.

#[cfg(feature = "internals")]
use serde::Deserialize;
use serde::Serialize;

use core::marker::PhantomData;
use core::ops::Range;

use crate::program::{Code, Const, Op, Program};
use crate::reader::RESERVE_BYTES;
use crate::vocab::{
    Frame, KindSet, OfferKind, Play, Stage, Surface, SurfaceSet, Tier, ViewedOffers,
};

/// Durations are whole minutes; `NEVER` is a cooldown that does not end.
pub type Minutes = u32;

/// Bytes of a loaded snapshot, where they lie in the payload (`start..end`), read there rather
/// than copied out: the model's neighbour entries, and every [`Text`]. The loader checks each
/// lies inside the payload before anything reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Its first byte's offset in the payload.
    pub start: u32,
    /// The offset just past its last byte.
    pub end: u32,
}

/// A string of a loaded snapshot, checked at load to be UTF-8 (`Snapshot::text` reads it):
/// either where it lies in the payload (a [`Span`] of it), or a word of the snapshot's table of
/// words ([`Tables`]), which holds the ids and names that decisions read most and is read
/// without checking it again. A word's start has its top bit set: a place in a payload (at
/// most `MAX_SNAPSHOT_BYTES`, 64 MB) never does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Text(pub Span);

impl Text {
    /// Marks a word's start.
    const WORD: u32 = 1 << 31;

    /// Its length in bytes.
    pub fn len(self) -> usize {
        self.0.end.saturating_sub(self.0.start & !Self::WORD) as usize
    }

    /// Whether it is the empty string.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The word at `start..end` of the table of words (which, like the payload, is at most
    /// `MAX_SNAPSHOT_BYTES` long).
    fn word(start: usize, end: usize) -> Self {
        Self(Span {
            start: start as u32 | Self::WORD,
            end: end as u32,
        })
    }

    /// Its place in the table of words, if it is a word.
    fn in_words(self) -> Option<Range<usize>> {
        (self.0.start & Self::WORD != 0)
            .then_some((self.0.start & !Self::WORD) as usize..self.0.end as usize)
    }
}

/// A list of a loaded offer: its items, `requires`, `excluded_by` and cooldown ladder
/// (`ListRef<u32>`), or its copy (`ListRef<(Frame, Text)>`): a run of one of the snapshot's
/// two tables of them ([`Tables`]), not a vector of its own. A large store has tens of
/// thousands of these lists, and allocating each, then freeing it with the snapshot, was about
/// a tenth of loading 10,000 offers.
#[derive(Debug)]
pub struct ListRef<T> {
    /// Its first entry's position in the table.
    pub start: u32,
    /// The position just past its last entry.
    pub end: u32,
    /// Which table it is a run of.
    of: PhantomData<fn() -> T>,
}

// By hand: the derives would ask the same of `T`, which is never held.
impl<T> Clone for ListRef<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for ListRef<T> {}

impl<T> PartialEq for ListRef<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.start, self.end) == (other.start, other.end)
    }
}

impl<T> ListRef<T> {
    /// The run `start..end`. Positions fit a `u32`: a table holds fewer entries than the
    /// payload has bytes, which are at most `MAX_SNAPSHOT_BYTES`.
    pub fn new(start: usize, end: usize) -> Self {
        Self {
            start: start as u32,
            end: end as u32,
            of: PhantomData,
        }
    }

    /// How many entries it holds.
    pub fn len(self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }

    /// Whether it holds none.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// Its entries in `table` (none if it is out of range: never, as the loader made both).
    pub fn slice_of(self, table: &[T]) -> &[T] {
        (table.get(self.start as usize..self.end as usize)).unwrap_or_default()
    }
}

/// What the loader copies out of the payload into tables of its own: every offer's lists,
/// one after another (the numbers in one table, the copy in another; a [`ListRef`] names a
/// run of one of them), every condition program's ops, constants and constant lists
/// ([`LoadedProgram`]), and the words decisions read most, in one string: item ids and
/// names, offer ids, rule ids, and the names of categories, families, facts and signals.
/// Every other [`Text`] is read where it lies in the payload,
/// and checked as UTF-8 again when it is read, as the crate has no `unsafe` to skip the check:
/// a word is checked once, at load. (Every id and item name of 10,000 offers over 10,000
/// items is 0.4 MB; the titles, jobs and copy, read only for the offers shown, 2.9 MB more.)
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tables {
    numbers: Vec<u32>,
    copies: Vec<(Frame, Text)>,
    /// Every program's ops, constants and constant lists (runs of `consts`), one program's
    /// after another ([`LoadedProgram`]).
    ops: Vec<Op>,
    consts: Vec<Const>,
    lists: Vec<ListRef<Const>>,
    words: String,
    /// The words as the loader reads them, each checked as UTF-8 as it is read (ASCII first,
    /// as every string is), then made `words` by [`Tables::finish`] in one pass.
    read_words: Vec<u8>,
}

impl Tables {
    /// The numbers `list` names.
    pub fn numbers(&self, list: ListRef<u32>) -> &[u32] {
        list.slice_of(&self.numbers)
    }

    /// The copy `list` names.
    pub fn copies(&self, list: ListRef<(Frame, Text)>) -> &[(Frame, Text)] {
        list.slice_of(&self.copies)
    }

    /// The string `text` marks: a word of these tables, or where it lies in `body`, the payload
    /// they were read from ("" if it is not one: never, once loaded).
    pub fn text<'a>(&'a self, body: &'a [u8], text: Text) -> &'a str {
        match text.in_words() {
            Some(place) => self.words.get(place).unwrap_or_default(),
            None => core::str::from_utf8(super::span_in(body, text.0)).unwrap_or_default(),
        }
    }

    /// The bytes of the string `text` marks, not checked again: strings compare as their
    /// UTF-8 bytes do.
    pub fn text_bytes<'a>(&'a self, body: &'a [u8], text: Text) -> &'a [u8] {
        match text.in_words() {
            Some(place) => self.words.as_bytes().get(place).unwrap_or_default(),
            None => super::span_in(body, text.0),
        }
    }

    /// Room for `bytes` of words.
    pub(crate) fn reserve_words(&mut self, bytes: usize) {
        self.read_words.reserve(bytes);
    }

    /// Appends `word`, already checked to be UTF-8, to the table of words.
    pub(crate) fn add_word(&mut self, word: &[u8]) -> Text {
        let start = self.read_words.len();
        self.read_words.extend_from_slice(word);
        Text::word(start, self.read_words.len())
    }

    /// The tables once every word is read: `None` if the words are not UTF-8 (never: each
    /// was checked).
    pub(crate) fn finish(mut self) -> Option<Self> {
        self.read_words.shrink_to_fit();
        self.words = String::from_utf8(core::mem::take(&mut self.read_words)).ok()?;
        Some(self)
    }

    /// Appends what `read` reads, `len` times, to the table of numbers, and returns its run.
    pub(crate) fn read_numbers<E>(
        &mut self,
        len: usize,
        read: impl FnMut() -> Result<u32, E>,
    ) -> Result<ListRef<u32>, E> {
        append(&mut self.numbers, len, read)
    }

    /// Appends what `read` reads, `len` times, to the table of copy, and returns its run.
    pub(crate) fn read_copies<E>(
        &mut self,
        len: usize,
        read: impl FnMut() -> Result<(Frame, Text), E>,
    ) -> Result<ListRef<(Frame, Text)>, E> {
        append(&mut self.copies, len, read)
    }

    /// Appends what `read` reads, `len` times, to the table of ops, and returns its run.
    pub(crate) fn read_ops<E>(
        &mut self,
        len: usize,
        read: impl FnMut() -> Result<Op, E>,
    ) -> Result<ListRef<Op>, E> {
        append(&mut self.ops, len, read)
    }

    /// Appends what `read` reads, `len` times, to the table of constants, and returns its run.
    pub(crate) fn read_consts<E>(
        &mut self,
        len: usize,
        read: impl FnMut() -> Result<Const, E>,
    ) -> Result<ListRef<Const>, E> {
        append(&mut self.consts, len, read)
    }

    /// Appends the `len` constant lists `read` reads (each a run it appends to the constants,
    /// so it is given the tables) to the table of them, and returns their run.
    pub(crate) fn read_lists<E>(
        &mut self,
        len: usize,
        mut read: impl FnMut(&mut Self) -> Result<ListRef<Const>, E>,
    ) -> Result<ListRef<ListRef<Const>>, E> {
        let start = self.lists.len();
        for _ in 0..len {
            let list = read(self)?;
            self.lists.push(list);
        }
        Ok(ListRef::new(start, self.lists.len()))
    }

    /// The program `program` names, readable as [`Code`].
    pub fn code(&self, program: LoadedProgram) -> LoadedCode<'_> {
        LoadedCode {
            program,
            tables: self,
        }
    }
}

/// A program of a loaded snapshot: runs of its tables of ops, constants and constant lists,
/// rather than three vectors of its own (a program's ops and constants were 1,490 of the 1,638
/// allocations of loading 10,000 offers).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadedProgram {
    /// Its ops.
    pub ops: ListRef<Op>,
    /// The constants [`Op::Const`] pushes.
    pub consts: ListRef<Const>,
    /// Its constant lists, each a run of the constants.
    pub lists: ListRef<ListRef<Const>>,
}

/// A loaded program with the tables it is read from ([`Tables::code`]).
#[derive(Clone, Copy)]
pub struct LoadedCode<'a> {
    program: LoadedProgram,
    tables: &'a Tables,
}

impl Code for LoadedCode<'_> {
    fn ops(&self) -> &[Op] {
        self.program.ops.slice_of(&self.tables.ops)
    }

    fn consts(&self) -> &[Const] {
        self.program.consts.slice_of(&self.tables.consts)
    }

    fn list_count(&self) -> usize {
        self.program.lists.len()
    }

    fn list(&self, index: usize) -> Option<&[Const]> {
        let list = self.program.lists.slice_of(&self.tables.lists).get(index)?;
        Some(list.slice_of(&self.tables.consts))
    }
}

impl LoadedCode<'_> {
    /// The program as the compiler wrote it (`Snapshot::owned_payload`).
    #[cfg(feature = "internals")]
    pub fn to_program(self) -> Program {
        Program {
            ops: self.ops().to_vec(),
            consts: self.consts().to_vec(),
            lists: (0..self.list_count())
                .map(|i| self.list(i).unwrap_or_default().to_vec())
                .collect(),
        }
    }
}

/// `len` entries read by `read`, appended to `table`: their run of it. `len` comes from
/// untrusted bytes (it is at most the bytes left, each entry taking one at least), so at most
/// `RESERVE_BYTES` are reserved ahead of the entries actually read, as `Reader::list` does: a
/// list claiming every byte left of a 64 MB snapshot must not reserve four times that first.
fn append<T, E>(
    table: &mut Vec<T>,
    len: usize,
    mut read: impl FnMut() -> Result<T, E>,
) -> Result<ListRef<T>, E> {
    let start = table.len();
    table.reserve(len.min(RESERVE_BYTES / size_of::<T>().max(1)));
    for _ in 0..len {
        table.push(read()?);
    }
    Ok(ListRef::new(start, table.len()))
}

/// A payload as the engine holds it once loaded: its strings and neighbour entries left
/// where they lie but for its ids and names, which are words of its [`Tables`], and its
/// offers' lists and its programs in tables of them.
pub type Loaded = Payload<Text, Span, ListRef<u32>, ListRef<(Frame, Text)>, LoadedProgram>;

/// An offer as the engine holds it once loaded (see [`Loaded`]).
pub type LoadedOffer = Offer<Text, ListRef<u32>, ListRef<(Frame, Text)>>;

#[cfg(feature = "internals")]
impl<S, B, L, C, P> Payload<S, B, L, C, P> {
    /// The same payload with every string of its tables mapped by `f`, the neighbour entries
    /// by `bytes`, each offer's lists of numbers by `list` and its copy by `copy`: a loaded
    /// payload's [`Text`]s, [`Span`] and [`ListRef`]s back to the `String`s, bytes and vectors
    /// the compiler wrote (`Snapshot::owned_payload`).
    pub fn map_text<T, D, M>(
        &self,
        f: impl Fn(&S) -> T,
        bytes: impl Fn(&B) -> D,
        list: impl Fn(&L) -> M,
        copy: impl Fn(&C) -> Vec<(Frame, T)>,
        program: impl Fn(&P) -> Program,
    ) -> Payload<T, D, M> {
        Payload {
            store_id: self.store_id.clone(),
            store_name: self.store_name.clone(),
            currency: self.currency.clone(),
            currency_digits: self.currency_digits,
            items: (self.items.iter())
                .map(|i| Item {
                    id: f(&i.id),
                    name: f(&i.name),
                    category: i.category,
                    price: i.price,
                })
                .collect(),
            categories: self.categories.iter().map(&f).collect(),
            families: self.families.iter().map(&f).collect(),
            offers: (self.offers.iter())
                .map(|o| Offer {
                    id: f(&o.id),
                    title: f(&o.title),
                    kind: o.kind,
                    items: list(&o.items),
                    price: o.price,
                    discount_percent: o.discount_percent,
                    cost: o.cost,
                    job: f(&o.job),
                    surfaces: o.surfaces,
                    family: o.family,
                    copy: copy(&o.copy),
                    requires: list(&o.requires),
                    excluded_by: list(&o.excluded_by),
                    repeatable: o.repeatable,
                    tier: o.tier,
                    cap: o.cap,
                    cooldown: list(&o.cooldown),
                    family_cooldown: o.family_cooldown,
                    when: o.when,
                    unless: o.unless,
                })
                .collect(),
            surfaces: self.surfaces.clone(),
            policy: self.policy.clone(),
            rules: (self.rules.iter())
                .map(|r| Rule {
                    id: f(&r.id),
                    when: r.when,
                    play: r.play,
                    exclude_offers: r.exclude_offers.clone(),
                    exclude_kinds: r.exclude_kinds,
                    frame: r.frame,
                    no_discount: r.no_discount,
                })
                .collect(),
            programs: self.programs.iter().map(program).collect(),
            facts: (self.facts.iter())
                .map(|d| FactDecl {
                    name: f(&d.name),
                    kind: d.kind,
                })
                .collect(),
            signals: self.signals.iter().map(&f).collect(),
            pairings: (self.pairings.iter())
                .map(|p| Pairing {
                    item: p.item,
                    offer: p.offer,
                    strength: p.strength,
                    note: f(&p.note),
                })
                .collect(),
            model: Model {
                readiness: self.model.readiness.clone(),
                risk: self.model.risk.clone(),
                price_sensitivity: self.model.price_sensitivity.clone(),
                popularity: self.model.popularity.clone(),
                neighbours: NeighbourBlob {
                    offsets: self.model.neighbours.offsets.clone(),
                    wide: self.model.neighbours.wide,
                    entries: bytes(&self.model.neighbours.entries),
                },
                attach_window_days: self.model.attach_window_days,
            },
            email: self.email.clone(),
            frame_exploration: self.frame_exploration,
            offer_viewed: self.offer_viewed,
        }
    }
}

/// A cooldown rung that never ends.
pub const NEVER: Minutes = u32::MAX;

/// The whole compiled store.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
#[serde(bound(
    serialize = "S: Serialize + PartialEq, B: AsRef<[u8]>, L: Serialize, C: Serialize, P: Serialize"
))]
#[cfg_attr(
    feature = "internals",
    serde(bound(
        deserialize = "S: Deserialize<'de>, B: From<Vec<u8>>, L: Deserialize<'de>, C: Deserialize<'de>, P: Deserialize<'de>"
    ))
)]
pub struct Payload<S = String, B = Vec<u8>, L = Vec<u32>, C = Vec<(Frame, S)>, P = Program> {
    /// The store's id, from the store file.
    pub store_id: String,
    /// The store's display name, used in reasons.
    pub store_name: String,
    /// ISO 4217 code; all money is in minor units of it.
    pub currency: String,
    /// Digits of the minor unit (2 for USD cents, 0 for JPY).
    pub currency_digits: u8,
    /// The catalog, sorted by id.
    pub items: Vec<Item<S>>,
    /// Category names; items point into this.
    pub categories: Vec<S>,
    /// Offer families; offers point into this.
    pub families: Vec<S>,
    /// The offers, sorted by id.
    pub offers: Vec<Offer<S, L, C>>,
    /// One entry per [`Surface`], in [`Surface::ALL`] order.
    pub surfaces: Vec<SurfaceRules>,
    /// Store-wide limits and thresholds.
    pub policy: Policy,
    /// Store-wide rules, in file order.
    pub rules: Vec<Rule<S>>,
    /// Every condition, compiled.
    pub programs: Vec<P>,
    /// Declared shopper facts, by index; the [`BUILTIN_FACTS`] come first, in that order.
    pub facts: Vec<FactDecl<S>>,
    /// Signal (event) names that anything reads, by index.
    pub signals: Vec<S>,
    /// Curated pairings: an item goes with an offer; sorted by item.
    pub pairings: Vec<Pairing<S>>,
    /// The learned model.
    pub model: Model<B>,
    /// When email offers may go out after a purchase (`[email]` in the store file); `None`:
    /// email offers are timed by the surface's caps alone. Added in format 2.
    pub email: Option<EmailTiming>,
    /// Frame exploration (`frame_percent` of `[policy] exploration`); `None`: each offer is
    /// shown in the frame its play and the rules choose. Added in format 3.
    pub frame_exploration: Option<FrameExploration>,
    /// Where offers that sell only items the shopper viewed may fill slots (`offer_viewed` of
    /// `[policy]`). The compiler always writes it; `None`, in formats 1 to 3, ranks them as the
    /// engines of those formats did ([`ViewedOffers::AsRanked`]). Added in format 4.
    pub offer_viewed: Option<ViewedOffers>,
}

/// Frame exploration: now and then an offer is shown in a frame drawn at random among those it
/// has copy for, with the frame's propensity logged, so frames can be compared and replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub struct FrameExploration {
    /// Share of shown offers whose frame is drawn, in basis points.
    pub basis_points: u16,
}

/// When email offers may go out, counted from the customer's last purchase (the newest
/// purchase in memory). Applies to the email surface only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub struct EmailTiming {
    /// No email offer within this long of any order.
    pub quiet_after_order: Minutes,
    /// At most one email offer per customer in each kind's window.
    pub once_per_window: bool,
    /// The window after the last purchase in which each timed kind may be emailed, sorted by
    /// kind, one entry per kind at most. A kind with no window is not timed.
    pub windows: Vec<EmailWindow>,
}

/// The days after a purchase in which one kind of offer may be emailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub struct EmailWindow {
    /// The offer kind.
    pub kind: OfferKind,
    /// The window opens this long after the last purchase.
    pub from: Minutes,
    /// And closes this long after it (inclusive); at least `from`.
    pub to: Minutes,
}

/// A product the store sells.
///
/// From format 5 a name that is the id (an item the store gave no name) is written empty, and
/// read back as the id: catalogs of ids alone (every data set `tactful evaluate` trains on) had
/// carried each id twice: 204,379 bytes for Diginetica's 43,097 items. Formats 1 to 4 wrote
/// it whole, and an empty name there stays empty.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub struct Item<S = String> {
    /// Stable id, as the store's pages and events name it.
    pub id: S,
    /// Display name, used in reasons; the id where the store gave none.
    pub name: S,
    /// Index into [`Payload::categories`].
    pub category: u32,
    /// Price in minor units.
    pub price: u64,
}

// By hand, for the name (above); otherwise what the derive writes: the fields in order.
impl<S: Serialize + PartialEq> Serialize for Item<S> {
    fn serialize<Z: serde::Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        use serde::ser::SerializeStruct;
        let mut item = serializer.serialize_struct("Item", 4)?;
        item.serialize_field("id", &self.id)?;
        if self.name == self.id {
            item.serialize_field("name", "")?;
        } else {
            item.serialize_field("name", &self.name)?;
        }
        item.serialize_field("category", &self.category)?;
        item.serialize_field("price", &self.price)?;
        item.end()
    }
}

/// Something the engine can show.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub struct Offer<S = String, L = Vec<u32>, C = Vec<(Frame, S)>> {
    /// Stable id; memory keys are derived from it.
    pub id: S,
    /// Display title.
    pub title: S,
    /// What the offer is.
    pub kind: OfferKind,
    /// Items the offer sells (indexes into [`Payload::items`]).
    pub items: L,
    /// Price in minor units, before discount.
    pub price: u64,
    /// Discount in whole percent (0 for none).
    pub discount_percent: u8,
    /// What one sale costs the store, in minor units (margin = price after discount - cost).
    pub cost: u64,
    /// The one-sentence job the offer does for the buyer.
    pub job: S,
    /// Where it may appear.
    pub surfaces: SurfaceSet,
    /// Index into [`Payload::families`].
    pub family: Option<u32>,
    /// Copy per frame; at least one.
    pub copy: C,
    /// Items the shopper must own.
    pub requires: L,
    /// Items whose ownership rules the offer out.
    pub excluded_by: L,
    /// Whether it may be offered again after an accept or purchase.
    pub repeatable: bool,
    /// Its rung on the checkout tier ladder.
    pub tier: Option<Tier>,
    /// At most `max` impressions per `window`.
    pub cap: Option<Cap>,
    /// Cooldown after the 1st, 2nd, ... dismissal, in [`Minutes`]; the last rung repeats.
    pub cooldown: L,
    /// Cooldown this offer takes when another offer of its family is dismissed.
    pub family_cooldown: Minutes,
    /// Condition that must hold (index into [`Payload::programs`]).
    pub when: Option<u32>,
    /// Condition that rules the offer out.
    pub unless: Option<u32>,
}

/// A frequency cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub struct Cap {
    /// Most impressions.
    pub max: u16,
    /// In this rolling window.
    pub window: Minutes,
}

/// Per-surface limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub struct SurfaceRules {
    /// Offers per decision.
    pub limit: u8,
    /// Impressions on this surface per session.
    pub per_session: u16,
    /// Impressions on this surface per rolling day.
    pub per_day: u16,
    /// Offers only right after a completed meaningful action.
    pub needs_trigger: bool,
    /// Whether the quiet period after a purchase applies here.
    pub quiet_after_purchase: bool,
}

/// Store-wide policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub struct Policy {
    /// Impressions across all surfaces per rolling day.
    pub daily_cap: u16,
    /// Nothing is offered for this long after any purchase (on surfaces where it applies).
    pub quiet_after_purchase: Minutes,
    /// How long a session lasts when the host does not say when it started.
    pub session_length: Minutes,
    /// The holdout group, if any.
    pub holdout: Option<Holdout>,
    /// What opens the in-product window.
    pub trigger: Trigger,
    /// Checkout tier ladder by cart value, ascending by `below`.
    pub tiers: Vec<TierStep>,
    /// Thresholds that choose the play.
    pub thresholds: Thresholds,
    /// Offer kinds each play may show, in [`Play::ALL`] order (Protect's is empty).
    pub play_kinds: Vec<KindSet>,
    /// Exploration, if any.
    pub exploration: Option<Exploration>,
}

/// A share of shoppers who are shown nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub struct Holdout {
    /// Share in basis points (1/100 of a percent).
    pub basis_points: u16,
    /// Salt for the bucket hash; change it to draw a new group.
    pub salt: String,
}

/// The in-product trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub struct Trigger {
    /// Signals that complete a meaningful action.
    pub completed: Vec<u32>,
    /// Signals that start a task (an offer waits for the next completion).
    pub started: Vec<u32>,
    /// How long after a completion offers may show.
    pub within: Minutes,
}

/// One rung of the checkout tier ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub struct TierStep {
    /// Applies when the cart value (minor units) is below this; `u64::MAX` for the top rung.
    pub below: u64,
    /// The tier offered.
    pub tier: Tier,
}

/// Thresholds for the play, as scores in `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub struct Thresholds {
    /// Risk at or above this protects.
    pub protect_risk: f32,
    /// Risk at or above this limits to Assist.
    pub assist_risk: f32,
    /// Readiness below this limits to Assist.
    pub assist_readiness: f32,
    /// Readiness at or above this may Commit.
    pub commit_readiness: f32,
    /// Price sensitivity at or above this prefers value framing.
    pub price_sensitive: f32,
}

/// Exploration: now and then show another of the best offers, with its propensity logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub struct Exploration {
    /// Share of decisions that explore, in basis points.
    pub basis_points: u16,
    /// Explore among this many of the best eligible offers.
    pub among: u8,
}

/// A store-wide rule: when its condition holds, its effects apply.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub struct Rule<S = String> {
    /// Name shown in reasons.
    pub id: S,
    /// Condition (index into [`Payload::programs`]).
    pub when: u32,
    /// Limit the play to at most this one (`Protect` shows nothing, `Assist` only Assist kinds).
    pub play: Option<Play>,
    /// Offers left out.
    pub exclude_offers: Vec<u32>,
    /// Kinds left out.
    pub exclude_kinds: KindSet,
    /// Frame to prefer.
    pub frame: Option<Frame>,
    /// Show prices without discounts.
    pub no_discount: bool,
}

/// The value type of a declared fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub enum FactKind {
    /// A number (absent means 0).
    Number,
    /// A string (absent means "").
    Text,
    /// A boolean (absent means false).
    Flag,
}

/// Facts every store has, at these indexes: the engine reads them to derive the lifecycle stage.
pub const BUILTIN_FACTS: [(&str, FactKind); 6] = [
    ("orders", FactKind::Number),
    ("refunds", FactKind::Number),
    ("cancellations", FactKind::Number),
    ("days_since_last_purchase", FactKind::Number),
    ("source", FactKind::Text),
    ("plan", FactKind::Text),
];

/// A shopper fact the store declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub struct FactDecl<S = String> {
    /// Name in context JSON and conditions.
    pub name: S,
    /// Its type.
    pub kind: FactKind,
}

/// "This item goes with that offer", written by the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub struct Pairing<S = String> {
    /// The item the shopper has, wants or views.
    pub item: u32,
    /// The offer it goes with.
    pub offer: u32,
    /// Strength in `[0, 1]`, combined with learned affinity by taking the larger.
    pub strength: f32,
    /// Why, in the store's words (shown as a reason); may be empty.
    pub note: S,
}

/// What the engine learned from the store's data.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
#[serde(bound(serialize = "B: AsRef<[u8]>"))]
#[cfg_attr(feature = "internals", serde(bound(deserialize = "B: From<Vec<u8>>")))]
pub struct Model<B = Vec<u8>> {
    /// Readiness to expand.
    pub readiness: Logistic,
    /// Risk of regret (refunds, support-heavy).
    pub risk: Logistic,
    /// Price sensitivity.
    pub price_sensitivity: Logistic,
    /// Popularity per item in `0..=255`, one per item.
    pub popularity: Vec<u8>,
    /// Item neighbours, as a compact blob (see [`NeighbourBlob`]).
    pub neighbours: NeighbourBlob<B>,
    /// Days the attach rates were measured over ("within 30 days").
    pub attach_window_days: u16,
}

/// A logistic model over named features.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub struct Logistic {
    /// Intercept.
    pub bias: f32,
    /// Weight per feature.
    pub weights: Vec<(Feature, f32)>,
}

/// A named input of a logistic model. Counts enter as `ln(1 + n)`, money as `ln(1 + major units)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
pub enum Feature {
    /// How often a signal occurred (index into [`Payload::signals`]).
    Signal(u32),
    /// A numeric or flag fact (index into [`Payload::facts`]).
    Fact(u32),
    /// The cart's value.
    CartValue,
    /// Items in the cart.
    CartSize,
    /// Items owned.
    OwnedCount,
    /// 1 in this lifecycle stage, else 0.
    Stage(Stage),
    /// 1 on this surface, else 0.
    Surface(Surface),
}

/// Item neighbours packed for size and for a load that does not allocate per item.
///
/// `offsets` has one entry per item plus one; item `i`'s neighbours are entries
/// `offsets[i]..offsets[i+1]`. An entry is fixed-width: a little-endian `u16` delta of the
/// neighbour's index from the previous neighbour of the same item (the first from 0; each list
/// is sorted by index), a weight in `0..=255`, and an attach rate in whole percent
/// ([`ATTACH_UNKNOWN`] when unknown): four bytes. Catalogs over 65,535 items use `wide`
/// entries with a `u32` delta: six bytes. Fixed width makes validation one tight pass at load;
/// the small deltas are what lets brotli shrink the blob on the way to a device.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "internals", derive(Deserialize))]
#[serde(bound(serialize = "B: AsRef<[u8]>"))]
#[cfg_attr(feature = "internals", serde(bound(deserialize = "B: From<Vec<u8>>")))]
pub struct NeighbourBlob<B = Vec<u8>> {
    /// Entry offsets, `items + 1` of them, non-decreasing.
    pub offsets: Vec<u32>,
    /// Whether entries carry a 4-byte delta.
    pub wide: bool,
    /// The packed entries (where they lie in a loaded snapshot).
    #[serde(with = "serde_bytes_compat")]
    pub entries: B,
}

/// An attach rate that the model does not know.
pub const ATTACH_UNKNOWN: u8 = 255;

/// postcard writes `Vec<u8>` as a length and the bytes either way; this keeps serde's
/// deserialising of it (only the tests' reference reader, feature `internals`) a single copy
/// instead of a per-byte visit.
mod serde_bytes_compat {
    use serde::Serializer;

    pub fn serialize<B: AsRef<[u8]>, S: Serializer>(
        bytes: &B,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes.as_ref())
    }

    #[cfg(feature = "internals")]
    pub fn deserialize<'de, B: From<Vec<u8>>, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<B, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
        }
        deserializer.deserialize_bytes(Visitor).map(B::from)
    }
}
