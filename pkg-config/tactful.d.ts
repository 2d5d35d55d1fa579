// Hand-written declarations for tactful's JavaScript API. They mirror the Rust types the
// decision is serialised from (src/engine/decision.rs, src/context.rs, src/memory.rs):
// field names camelCase, values snake_case.

export type Surface = "checkout" | "cart" | "product_page" | "in_product" | "post_purchase" | "email";
export type OfferKind = "companion" | "bundle" | "upgrade" | "plan" | "support";
export type Frame =
  | "convenience"
  | "risk_reduction"
  | "completeness"
  | "outcome_acceleration"
  | "cost_efficiency"
  | "premium";
export type Play = "assist" | "expand" | "commit" | "protect";
export type Stage = "pre_purchase" | "first_success" | "repeat_use" | "expansion" | "dormant";
export type SkipReason =
  | "owned"
  | "in_cart"
  | "requires_missing"
  | "excluded_by_owned"
  | "already_bought"
  | "condition_not_met"
  | "excluded_by_rule"
  | "cooling_down"
  | "family_cooling_down"
  | "offer_cap"
  | "tier"
  | "play"
  | "protect"
  | "quiet_period"
  | "no_trigger"
  | "task_in_progress"
  | "surface_session_cap"
  | "surface_daily_cap"
  | "global_daily_cap"
  | "surface_limit";

/** What the shopper did: a GA4 e-commerce event name where one exists. */
export interface ShopperEvent {
  name: string;
  /** Unix milliseconds; an event without a time counts as happening `now`. */
  at?: number;
  /** What to call it in a reason ("lesson 3"). */
  label?: string;
}

/** The decision's input. Unknown fields are refused with their path. */
export interface Context {
  surface: Surface;
  /** Unix milliseconds. The engine reads no clock: this is the only "now". */
  now: number;
  /** A stable, pseudonymous key for the shopper. */
  shopperKey: string;
  sessionStart?: number;
  cart?: string[];
  /** Minor units; by default the sum of the cart's catalog prices. */
  cartValue?: number;
  owned?: string[];
  viewed?: string[];
  events?: ShopperEvent[];
  facts?: Record<string, number | string | boolean>;
  stage?: Stage;
  taskInProgress?: boolean;
}

export interface ScorePart {
  feature: string;
  value: number;
  contribution: number;
}

export interface ShownOffer {
  offerId: string;
  title: string;
  kind: OfferKind;
  frame: Frame;
  /** Text, never HTML. */
  copy: string;
  job: string;
  /** Minor units. */
  price: number;
  discountPercent: number;
  finalPrice: number;
  /** Expected value: acceptance probability times margin, in major units. */
  score: number;
  acceptProbability: number;
  reasons: string[];
}

export interface LeftOut {
  offerId: string;
  reason: SkipReason;
  /** The rule or limit: a rule id, `offers.<id>.cap`, `surfaces.checkout.limit`... */
  rule: string;
  detail: string;
  /** When it may return, in Unix milliseconds (absent for never). */
  until?: number;
}

export interface Warning {
  code: string;
  message: string;
}

export interface ExposedOffer {
  offerId: string;
  position: number;
  frame: Frame;
  score: number;
  /** The probability that this policy shows this offer in this decision. */
  propensity: number;
}

export interface Exposure {
  decisionId: string;
  snapshotId: string;
  surface: Surface;
  at: number;
  holdout: boolean;
  play: Play;
  explored: boolean;
  propensity: number;
  offers: ExposedOffer[];
}

export interface Decision {
  snapshotId: string;
  decisionId: string;
  surface: Surface;
  play: Play;
  playReasons: string[];
  stage: Stage;
  readiness: { score: number; parts: ScorePart[] };
  risk: number;
  priceSensitivity: number;
  currency: string;
  offers: ShownOffer[];
  leftOut: LeftOut[];
  /** Offers found but never checked (the bounds on a decision's work); absent when none. */
  notConsidered?: { pastCandidateLimit: number; afterEnoughEligible: number };
  holdout: boolean;
  wouldHaveShown: ShownOffer[];
  warnings: Warning[];
  exposure: Exposure;
}

export interface Decided {
  decision: Decision;
  /** The memory to store for the next decision. */
  memory: string;
}

export interface SnapshotInfo {
  snapshotId: string;
  storeId: string;
  storeName: string;
  formatVersion: number;
  engineFormatVersion: number;
  engineVersion: string;
  bytes: number;
  items: number;
  offers: number;
  rules: number;
  pairings: number;
  neighbours: number;
  holdoutPercent: number;
  currency: string;
  /** Digits after the decimal point: prices are in minor units. */
  currencyDigits: number;
  categories: number;
  families: number;
  signals: number;
  dailyCap: number;
}

export interface MemoryEvent {
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
  name: "SnapshotError" | "ContextError" | "MemoryError";
  code: string;
  /** For contexts and events: the path of the wrong field. */
  path?: string;
}

/** Options of `Engine.decide` and `Engine.decideJson`. */
export interface DecideOptions {
  /** Record an impression of each offer shown in the memory returned (default false). */
  recordImpressions?: boolean;
}

/** A loaded snapshot. */
export class Engine {
  private constructor();
  /** Throws a `SnapshotError` naming what is wrong with the bytes. */
  static fromBytes(bytes: Uint8Array | ArrayBuffer): Engine;
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
   * Records an event into this store's memory. Another store's memory (or a damaged string)
   * starts fresh. Throws a `MemoryError` for a malformed event or memory from a newer version.
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
export function memorySize(memory: string): number;
