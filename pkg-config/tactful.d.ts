// Hand-written declarations for tactful's JavaScript API. They mirror the Rust types the
// decision is serialised from (src/engine/decision.rs, src/context.rs, src/memory.rs):
// field names camelCase, values snake_case.

/**
 * Where a decision is shown: `checkout` (one offer by default), `cart` (page or drawer),
 * `product_page`, `in_product` (a widget inside the product: a course player, an editor),
 * `post_purchase` (the page after a purchase) or `email` (decided in batch).
 */
export type Surface = "checkout" | "cart" | "product_page" | "in_product" | "post_purchase" | "email";
/**
 * What an offer is: `companion` (an add-on that helps use what was bought), `bundle` (several
 * items together), `upgrade` (a higher tier of something owned), `plan` (annual, subscription,
 * membership) or `support` (support or coaching).
 */
export type OfferKind = "companion" | "bundle" | "upgrade" | "plan" | "support";
/** The argument an offer's copy makes; the engine picks one per offer, per decision. */
export type Frame =
  /** It saves time and effort. */
  | "convenience"
  /** It lowers the chance of failing or regretting. */
  | "risk_reduction"
  /** It completes what was bought. */
  | "completeness"
  /** It gets the result sooner. */
  | "outcome_acceleration"
  /** It costs less over time (value framing, not a coupon). */
  | "cost_efficiency"
  /** It is the best version. */
  | "premium";
/**
 * The engine's stance for one decision, from least selling to most: `protect` (show nothing),
 * `assist` (reassurance, a low-friction companion), `expand` (add-ons and bundles that complete
 * the purchase), `commit` (upgrade, annual plan, higher tier).
 */
export type Play = "assist" | "expand" | "commit" | "protect";
/**
 * The shopper's lifecycle stage: `pre_purchase` (no order yet), `first_success` (one order),
 * `repeat_use`, `expansion` (outgrowing what they have) or `dormant` (90 days without a purchase).
 */
export type Stage = "pre_purchase" | "first_success" | "repeat_use" | "expansion" | "dormant";
/** Why a candidate offer was left out of a decision: a stable code (see `LeftOut`). */
export type SkipReason =
  /** The shopper owns an item it sells. */
  | "owned"
  /** An item it sells is in the cart. */
  | "in_cart"
  /** It sells only items the shopper already viewed: the store's `offer_viewed` is `"never"`, or `"last"` and new offers took the slots. */
  | "viewed"
  /** The shopper lacks an item it `requires`. */
  | "requires_missing"
  /** The shopper owns an item it is `excluded_by`. */
  | "excluded_by_owned"
  /** Accepted or bought before (also as part of another offer), and not repeatable. */
  | "already_bought"
  /** Its `when` condition does not hold. */
  | "condition_not_met"
  /** Its `unless` condition, or a store rule, excludes it. */
  | "excluded_by_rule"
  /** Dismissed, and its cooldown has not ended (`until` says when it has). */
  | "cooling_down"
  /** Another offer of its family was dismissed recently (`until` says when it may return). */
  | "family_cooling_down"
  /** Its own frequency cap is reached (`until` says when it may return). */
  | "offer_cap"
  /** Not the tier the checkout ladder chose for this cart value. */
  | "tier"
  /** Its kind is not one the chosen play shows. */
  | "play"
  /** The play is `protect`: nothing is shown. */
  | "protect"
  /** Within the quiet period after a purchase (on email, the quiet period after an order). */
  | "quiet_period"
  /** Email: outside its kind's window after the last purchase, or no purchase yet (`until` says when it opens). */
  | "email_window"
  /** Email: an email offer already went out in its kind's window. */
  | "emailed_this_window"
  /** In-product: no meaningful action was completed recently. */
  | "no_trigger"
  /** In-product: a task is in progress. */
  | "task_in_progress"
  /** The surface's per-session cap is reached. */
  | "surface_session_cap"
  /** The surface's cap per rolling 24 hours is reached. */
  | "surface_daily_cap"
  /** The store's cap on all surfaces per rolling 24 hours is reached. */
  | "global_daily_cap"
  /** Eligible, but better offers (or an explored one) filled the surface's slots. */
  | "surface_limit";

/** What the shopper did: a GA4 e-commerce event name where one exists. */
export interface ShopperEvent {
  /** The event name (`add_to_cart`, `lesson_completed`...), 1 to 256 bytes; names the store never reads are ignored. */
  name: string;
  /** Unix milliseconds; an event without a time counts as happening `now`. */
  at?: number;
  /** What to call it in a reason ("lesson 3"). */
  label?: string;
}

/** The decision's input. Unknown fields are refused with their path. */
export interface Context {
  /** Where the decision will be shown. */
  surface: Surface;
  /** Unix milliseconds (2020 to 2100). The engine reads no clock: this is the only "now". */
  now: number;
  /** A stable, pseudonymous key for the shopper (1 to 256 bytes); it sets the holdout bucket and exploration draws. */
  shopperKey: string;
  /** When the session started, in Unix milliseconds, not after `now`; default: `now` minus the store's session length. */
  sessionStart?: number;
  /** Item ids in the cart; ids the snapshot does not know are ignored with a `context.unknown_item` warning. */
  cart?: string[];
  /** Minor units; by default the sum of the cart's catalog prices. */
  cartValue?: number;
  /** Item ids the shopper owns. */
  owned?: string[];
  /** Item ids the shopper viewed recently. */
  viewed?: string[];
  /** What the shopper did (at most 1,024 events). */
  events?: ShopperEvent[];
  /** Facts the store declares, by name, of their declared type (`context.unknown_fact`, `context.fact_type` otherwise). */
  facts?: Record<string, number | string | boolean>;
  /** The lifecycle stage, when the host knows it; absent: derived from the facts, owned items and events. */
  stage?: Stage;
  /** The host's word that a task is under way: an in-product surface then shows nothing. */
  taskInProgress?: boolean;
}

/** One feature's contribution to a score. */
export interface ScorePart {
  /** The feature's name, as in the model file (`signals.add_to_cart`, `stage.pre_purchase`). */
  feature: string;
  /** The feature's value, rounded to 4 decimals. */
  value: number;
  /** Its weight times its value: its share of the logit (may be negative), rounded to 4 decimals. */
  contribution: number;
}

/**
 * Why an offer was found, as a code and the figures its sentence states: `completed` (an
 * in-product surface's completed action, by signal), `attach` (`percent` of buyers of `seed`
 * add `item` within the model's attach window), `bought_with`, `pairing` (the store's curated
 * pairing) and `category` (each from `seed`, an item in the cart, owned or viewed), `popular`.
 */
export type OfferWhy =
  | { code: "completed"; /** The completing event's signal. */ signal: string }
  | {
      code: "attach";
      /** The item that led here. */
      seed: string;
      /** The item the offer sells that buyers of `seed` add. */
      item: string;
      /** The model's attach rate, in whole percent. */
      percent: number;
    }
  | { code: "bought_with" | "pairing" | "category"; /** The item that led here. */ seed: string }
  | { code: "popular" };

/** The words a card shows for an offer (`decide(..., { copy: true })`). */
export interface OfferText {
  /** The offer's title, its placeholders filled in (text, never HTML). */
  title: string;
  /** The copy for the frame shown, its placeholders filled in (text, never HTML). */
  copy: string;
  /** Why this offer, in words a shopper may read, most telling first. */
  reasons: string[];
}

/** An offer to show: codes and numbers; its words with `{ copy: true }`. */
export interface ShownOffer {
  /** The offer's id, as in the store file. */
  offerId: string;
  /** What the offer is. */
  kind: OfferKind;
  /** The frame chosen: the argument its copy makes. */
  frame: Frame;
  /**
   * Minor units (4900 = $49.00): the list price, or for a bundle the shopper already holds
   * part of, that price times the missing items' share of its catalog value (rounded down).
   */
  price: number;
  /** Discount shown, in whole percent (0 when none, or when a rule forbids discounts). */
  discountPercent: number;
  /** The price after the discount, in minor units (rounded down). */
  finalPrice: number;
  /** Expected value: acceptance probability times margin, in major units, rounded to 4 decimals. */
  score: number;
  /** The estimated probability that the shopper accepts, in [0, 0.95], rounded to 4 decimals. */
  acceptProbability: number;
  /** Why this offer: how it was found, as codes with their figures, in the order of the reasons in words. */
  why: OfferWhy[];
  /** Its title, copy and reasons in words: only when `decide` was asked `{ copy: true }`. */
  text?: OfferText;
}

/** A candidate offer that was not shown, and why. */
export interface LeftOut {
  /** The offer's id. */
  offerId: string;
  /** Why, as a stable code. */
  reason: SkipReason;
  /** The rule or limit: a rule id, `offers.<id>.cap`, `surfaces.checkout.limit`... (its words are in the explanation). */
  rule: string;
  /** For cooldowns and caps: when it may return, in Unix milliseconds (absent for never, and for other reasons). */
  until?: number;
}

/** Something the engine worked around without failing the decision. */
export interface Warning {
  /** A stable code: `context.unknown_item`, or why memory could not be read (`memory.corrupt`, `memory.checksum`, ...). */
  code: string;
  /** What happened, in words. */
  message: string;
}

/** One offer in an exposure. */
export interface ExposedOffer {
  /** The offer's id. */
  offerId: string;
  /** Its position in the slate, from 0. */
  position: number;
  /** Its frame. */
  frame: Frame;
  /** List price, in minor units of the record's `currency`. */
  price: number;
  /** The price asked, after the discount, in minor units. */
  finalPrice: number;
  /** `finalPrice` minus the offer's cost, in minor units (an integer; negative for an offer sold at a loss). */
  margin: number;
  /** Its score, as `ShownOffer.score`. */
  score: number;
  /** The probability that this policy shows this offer in this decision (1 when it does not explore), rounded to 4 decimals. */
  propensity: number;
  /** Only when below 1 (frame exploration, `frame_percent`, and the offer has copy for several frames): the probability of this frame given the offer, rounded to 4 decimals. Absent means 1. */
  framePropensity?: number;
  /** Only when true: frame exploration drew this frame at random among the offer's frames. */
  frameDrawn?: boolean;
}

/**
 * What to log when the decision is shown (or, for a holdout shopper, would have been): the v1
 * exposure record of www/docs/logs.md, field for field. `JSON.stringify` of it is the line
 * `tactful decide --log` writes for the same inputs.
 */
export interface Exposure {
  /** The record's type: `"decision"` when decided with `{ decisionRecord: true }`. */
  type: "exposure" | "decision";
  /** The records' format version: 1. A reader refuses any other. */
  v: 1;
  /** The decision's id. */
  decisionId: string;
  /** The snapshot's id. */
  snapshotId: string;
  /** The surface. */
  surface: Surface;
  /** The decision's time (the context's `now`), in Unix milliseconds. */
  at: number;
  /** The context's pseudonymous shopper key (nothing more personal is logged). */
  shopperKey: string;
  /** Currency of `price`, `finalPrice` and `margin` (ISO 4217). */
  currency: string;
  /** Whether the shopper is in the holdout (the offers were not shown). */
  holdout: boolean;
  /** The play. */
  play: Play;
  /** Whether exploration put another offer than the best first. */
  explored: boolean;
  /**
   * The probability that this policy shows exactly this first offer, for off-policy
   * evaluation; 1 when the policy does not explore or nothing is shown.
   */
  propensity: number;
  /** The offers shown (or that would have been), in order. */
  offers: ExposedOffer[];
  /** A decision record's context, as the engine read it (only with `{ decisionRecord: true }`). */
  context?: Context;
  /** A decision record's memory string, the one decided from (only with `{ decisionRecord: true }`). */
  memory?: string;
}

/** An accept or dismiss log record (www/docs/logs.md). */
export interface OutcomeRecord {
  /** What the shopper did. */
  type: "accept" | "dismiss";
  /** The records' format version: 1. */
  v: 1;
  /** The decision whose card offered it. */
  decisionId: string;
  /** The offer. */
  offerId: string;
  /** When, in Unix milliseconds. */
  at: number;
  /** The shopper's pseudonymous key. */
  shopperKey: string;
  /** How a dismissal came (a dismiss only). */
  via?: "button" | "escape" | "api";
  /** Present on records a developer produced while debugging: readers count and exclude them. */
  debug?: string;
}

/**
 * One decision: what to show, and why, as codes and numbers (its words are `Engine.explain`'s).
 * No offers is an answer, not an error.
 */
export interface Decision {
  /** The snapshot it came from: `<store id>@<checksum prefix>`. */
  snapshotId: string;
  /** A stable id for this decision (16 hex digits): the same inputs give the same id on every host. */
  decisionId: string;
  /** Where it is shown (the context's). */
  surface: Surface;
  /** The stance taken (why, in words: the explanation's `playReasons`). */
  play: Play;
  /** The lifecycle stage used: the context's, else derived. */
  stage: Stage;
  /** Readiness to buy more, in [0, 1], rounded to 4 decimals (its parts are in the explanation). */
  readiness: number;
  /** Risk of regret, in [0, 1], rounded to 4 decimals. */
  risk: number;
  /** Price sensitivity, in [0, 1], rounded to 4 decimals. */
  priceSensitivity: number;
  /** The ISO 4217 code of every price in the decision ("USD"). */
  currency: string;
  /** What to show, best first; at most the surface's limit. Empty for a holdout shopper. */
  offers: ShownOffer[];
  /** Every candidate checked and left out, with the rule or limit that did it. */
  leftOut: LeftOut[];
  /** Offers found but never checked (the bounds on a decision's work); absent when none. */
  notConsidered?: {
    /** Offers found beyond the best 64 candidates by affinity. */
    pastCandidateLimit: number;
    /** Candidates not checked because 16 were already eligible. */
    afterEnoughEligible: number;
  };
  /** Whether the shopper is in the store's holdout group, which is shown nothing. */
  holdout: boolean;
  /** For a holdout shopper, what would have been shown; empty otherwise. */
  wouldHaveShown: ShownOffer[];
  /** What the engine worked around (unreadable memory, unknown item ids). */
  warnings: Warning[];
  /** The record to log as the exposure. */
  exposure: Exposure;
}

/** An offer's words, in an explanation. */
export interface ExplainedOffer extends OfferText {
  /** The offer's id. */
  offerId: string;
  /** The job the offer does for the buyer, in words. */
  job: string;
}

/** The words of a decision: what `Engine.explain` returns, in the decision's order. */
export interface Explanation {
  /** The decision it explains (the same inputs give the same decision). */
  decisionId: string;
  /** Why that play (and that the shopper is in the holdout, when so). */
  playReasons: string[];
  /** Readiness to buy more, with the features that moved it most. */
  readiness: {
    /** The score, in [0, 1], rounded to 4 decimals. */
    score: number;
    /** The largest nonzero contributions, largest first (at most five). */
    parts: ScorePart[];
  };
  /** The shown offers' words, in the decision's order. */
  offers: ExplainedOffer[];
  /** For a holdout shopper, the words of what would have been shown. */
  wouldHaveShown: ExplainedOffer[];
  /** Each left-out candidate's sentence ("dismissed a 1st time: away for 3 days"), in the decision's order. */
  leftOut: { /** The offer's id. */ offerId: string; /** Why, in words. */ detail: string }[];
}

/** What `Engine.decide` returns. */
export interface Decided {
  /** The decision. */
  decision: Decision;
  /** The memory to store for the next decision. */
  memory: string;
}

/** A snapshot's id, versions and counts (`Engine.info`). */
export interface SnapshotInfo {
  /** `<store id>@<checksum prefix>`, as in every decision. */
  snapshotId: string;
  /** The store's id. */
  storeId: string;
  /** The store's name. */
  storeName: string;
  /** The snapshot's format version. */
  formatVersion: number;
  /** The newest snapshot format this engine reads. */
  engineFormatVersion: number;
  /** The engine's version ("0.3.0"). */
  engineVersion: string;
  /** The snapshot's size in bytes. */
  bytes: number;
  /** Catalog items. */
  items: number;
  /** Offers. */
  offers: number;
  /** Store-wide rules. */
  rules: number;
  /** Curated pairings. */
  pairings: number;
  /** Item-neighbour entries in the learned model. */
  neighbours: number;
  /** The holdout's share of shoppers, in percent (0 when there is no holdout). */
  holdoutPercent: number;
  /** The ISO 4217 code of every price. */
  currency: string;
  /** Digits after the decimal point: prices are in minor units. */
  currencyDigits: number;
  /** Item categories. */
  categories: number;
  /** Offer families (offers that cool down together). */
  families: number;
  /** Signals (event names) the store's conditions and model read. */
  signals: number;
  /** The most impressions one shopper gets on all surfaces together per rolling 24 hours. */
  dailyCap: number;
}

/** An event to record into memory. */
export interface MemoryEvent {
  /**
   * `impression` (the offer was visible), `dismiss`, `accept` (added, clicked through) or
   * `purchase` (of the offer, or of anything without `offerId`).
   */
  type: "impression" | "dismiss" | "accept" | "purchase";
  /** Required except for a purchase of anything. */
  offerId?: string;
  /** Required for an impression. */
  surface?: Surface;
  /** Unix milliseconds. */
  at: number;
}

/** What every function throws: a real Error with a stable code. */
export interface TactfulError extends Error {
  /** Which input was wrong: the snapshot's bytes, a context, or memory or an event. */
  name: "SnapshotError" | "ContextError" | "MemoryError";
  /** The stable code: `snapshot.checksum`, `context.unknown_fact`, `memory.bad_event`... */
  code: string;
  /** For contexts and events: the path of the wrong field. */
  path?: string;
}

/** Options of `Engine.decide` and `Engine.decideJson`. */
export interface DecideOptions {
  /** Record an impression of each offer shown in the memory returned (default false). */
  recordImpressions?: boolean;
  /** Give each shown offer its words in `text`: title, copy and reasons, for a host that draws the card (default false). */
  copy?: boolean;
  /**
   * Make `exposure` a decision record (`type: "decision"`, with the context and the memory
   * string decided from), for `tactful replay` (default false: a store may not want to log
   * contexts).
   */
  decisionRecord?: boolean;
}

/** A loaded snapshot. */
export class Engine {
  /** Not constructed directly: use `Engine.fromBytes`. */
  private constructor();
  /** Throws a `SnapshotError` naming what is wrong with the bytes. */
  static fromBytes(bytes: Uint8Array | ArrayBuffer): Engine;
  /** The snapshot's id, versions and counts. */
  info(): SnapshotInfo;
  /**
   * Throws a `ContextError`; bad memory never throws (fresh memory and a warning). A host that
   * renders every offer it is handed (a server page, an email) passes
   * `{ recordImpressions: true }`, so the memory returned counts them toward caps.
   */
  decide(context: Context | string, memory?: string | null, options?: DecideOptions): Decided;
  /**
   * The same decision as JSON text, `{"decision":...,"memory":"..."}`: byte for byte what
   * `tactful decide` prints. A string context is taken as JSON text.
   */
  decideJson(context: Context | string, memory?: string | null, options?: DecideOptions): string;
  /**
   * The words of the decision `decide` makes from the same context and memory (keep the
   * memory string the decision was made from, not the one it returned): the play's reasons,
   * readiness with its parts, each offer's title, copy, job and reasons, each left-out sentence.
   */
  explain(context: Context | string, memory?: string | null): Explanation;
  /** `explain` as JSON text: byte for byte what `tactful explain` prints. */
  explainJson(context: Context | string, memory?: string | null): string;
  /**
   * Records an event into this store's memory. Another store's memory (or a damaged string)
   * starts fresh. Throws a `MemoryError` for a malformed event, for an offer this snapshot does
   * not have (`memory.bad_event`, `path` `"offerId"`: as `tactful record --snapshot`), or for
   * memory from a newer version. `recordEvent`, bound to no store, checks no offer id.
   */
  record(memory: string | null | undefined, event: MemoryEvent): string;
  /**
   * Opens a memory string found in storage, for this store: `memory` is it normalised (`""`
   * when unreadable), `problem` the `MemoryError` saying why, and `keep` whether it must be
   * stored back unchanged (memory from a newer version), the rule every host follows.
   */
  openMemory(memory: string): { memory: string; keep: boolean; problem: { name: "MemoryError"; code: string; message: string } | null };
  /** `parseMemory` for this store: throws `memory.other_store` for another store's memory. */
  parseMemory(memory: string): string;
  /** `mergeMemory` for this store: a copy of another store's memory counts as empty. */
  mergeMemory(a: string, b: string): string;
  /** Frees the engine's memory in the module. */
  free(): void;
}

/**
 * Records an event into memory without a snapshot (any store's memory) and returns the new
 * memory. An unreadable string starts fresh. Throws a `MemoryError` for a malformed event or
 * memory from a newer version.
 */
export function recordEvent(memory: string | null | undefined, event: MemoryEvent): string;
/**
 * Checks that a memory string can be read (any store's) and returns it normalised. Throws a
 * `MemoryError`: `memory.not_base64`, `memory.checksum` (a changed byte), `memory.corrupt`,
 * `memory.newer_version`, ...
 */
export function parseMemory(memory: string): string;
/**
 * Merges two memory strings (two tabs, or localStorage and the edge cookie) without losing an
 * event. An unreadable side counts as empty; memory written by a newer tactful is returned
 * unchanged, so it is never overwritten.
 */
export function mergeMemory(a: string, b: string): string;
/** The memory string's length in bytes, as a cookie or localStorage counts it. */
export function memorySize(memory: string): number;
