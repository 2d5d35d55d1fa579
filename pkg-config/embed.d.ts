// The embed script (`tactful/embed`): a widget that decides, renders an accessible card into a
// slot, keeps the shopper's memory and reports what the shopper saw and did.
// The engine runs in a module Worker (`embed/embed-worker.js`, next to the embed), so every
// call into it is asynchronous; without a Worker it runs on the page's main thread instead.
import type { Context, Decision, Engine, Explanation, Exposure, OutcomeRecord, ShownOffer, Surface } from "./tactful.js";

/** The embed's version ("0.3.0"), the package's. */
export const VERSION: string;

/**
 * What the widget tells the store: the log records of www/docs/logs.md, each ready to
 * `JSON.stringify` into one line of a log. One exposure per decision that reached the screen
 * (a decision record with `logDecisions`), and each accept and dismissal. `debug:
 * "show-holdout"` marks every record of a holdout decision that a developer's `show-holdout`
 * drew anyway: readers count and exclude those.
 */
export type Report = (
  /**
   * Once per decision, when its card (or, for a holdout, its empty slot) is at least half on
   * screen in a visible tab: the decision's exposure record, listing only the offers the card
   * could show whole (all of them for a holdout).
   */
  | (Exposure & {
      /** Offers decided but left out of the card because they did not fit its height. */
      notVisible?: string[];
    })
  /** The shopper accepted or dismissed an offer (`at` from the `now` option's clock). */
  | OutcomeRecord
) & {
  /** Present only on the records of a holdout decision drawn by `showHoldout`: readers exclude them. */
  debug?: "show-holdout";
};

/** Debugging beyond the console's log of every decision (see `MountOptions.debug`). */
export interface DebugOptions {
  /** Also show each decision in an overlay fixed over the page (folded on narrow screens). */
  overlay?: boolean;
  /**
   * Draw what the holdout hides for a shopper in the holdout, for a developer who landed in it;
   * every report of that decision carries `debug: "show-holdout"`.
   */
  showHoldout?: boolean;
}

/** Something the widget worked around, given to `onWarning`, `console.warn` and `widget.warnings`. */
export interface EmbedWarning {
  /**
   * `memory.corrupt`, `memory.not_base64`, `memory.checksum`, `memory.other_store`, `memory.newer_version`, `embed.slot_not_reserved`,
   * `embed.no_worker`, `embed.worker_failed`, `embed.worker_timeout` (the engine then runs on
   * the main thread), `embed.bad_facts` (the slot's `data-tactful-facts` is not JSON),
   * `embed.cookie_too_large` (memory over the cookie's limit), a decision's warning code...
   */
  code: string;
  /** What happened, in words. */
  message: string;
}

/** The card's texts; the defaults are the contract's English (`tactful/contract`). */
export interface Labels {
  /** The card's heading, by surface (or one text for all). */
  heading: string | (Partial<Record<Surface, string>> & { default?: string });
  /** The accept button ("Add"); its accessible name is this and the offer's title. */
  accept: string;
  /** The dismiss button ("No thanks"); its accessible name is `${dismiss}: ${dismissHint} ${title}`. */
  dismiss: string;
  /** The word before the title in the dismiss button's accessible name ("dismiss"). */
  dismissHint: string;
  /** Shown before the offer's title once it is accepted ("Added:"). */
  added: string;
  /** How a struck-through price is read: "was" ("was $12.00"). */
  was: string;
}

/** The options of `mount`: `slot` and `snapshot` are required. */
export interface MountOptions {
  /** The element (or a selector) the card goes in. Reserve its height in the page's CSS. */
  slot: Element | string;
  /** The snapshot's URL, or its bytes. */
  snapshot: string | URL | Uint8Array | ArrayBuffer;
  /** Where the .wasm is (default: next to the web build's glue). */
  wasm?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module;
  /** Default: the slot's data-tactful-surface, else "checkout". */
  surface?: Surface;
  /**
   * A stable pseudonymous key. Default: the edge worker's `tactful_sid` cookie, else a random
   * key kept in localStorage (`tactful:sid`, with consent; without it, a new key each page).
   */
  shopperKey?: string;
  /**
   * Fields the store knows (cart, owned, facts, ...), over what the signals and the slot's
   * data- attributes say; a function is called at each decision.
   */
  context?: Partial<Context> | (() => Partial<Context>);
  /** The GA4 dataLayer to read and watch (default: window.dataLayer); false for none. */
  dataLayer?: unknown[] | false;
  /** Without consent, memory lives for this page only and nothing is read or written. Default true. */
  consent?: boolean | (() => boolean);
  /** The localStorage key (default "tactful:memory"). */
  storageKey?: string;
  /**
   * The edge's memory cookie, merged on load (default "tactful_mem", the edge worker's); false
   * for none, and then the edge's `tactful_sid` is not read either.
   */
  cookie?: string | false;
  /**
   * Also write memory to that cookie, for the edge worker. Default: only when the page arrived
   * with the cookie (an edge worker keeps one), so dismissals here count at the edge too.
   */
  writeCookie?: boolean;
  /** The clock, in Unix milliseconds (default Date.now); tests set it. */
  now?: () => number;
  /** Receives each log record (exposure, accept, dismissal), for the store's analytics or logs. */
  onReport?: (report: Report) => void;
  /**
   * Report decision records instead of exposures: the exposure with the context and the
   * memory string it was decided from, for `tactful replay` (default false: a store may not
   * want to log contexts).
   */
  logDecisions?: boolean;
  /**
   * Push GA4's own `view_promotion` (when an exposure is reported, never for a holdout) and
   * `select_promotion` (on accept) into the dataLayer (the `dataLayer` option's, else
   * `window.dataLayer`), each after `{ ecommerce: null }`, so a store's GA4 sees offers with no
   * code: `promotion_id` "tactful-<surface>", `promotion_name` "tactful", `creative_slot` the
   * surface, `currency`, and an item per offer (`item_id` the offer id, `item_name` its title,
   * `price` and `discount` in major units, `quantity` 1, `creative_name` its frame). Default
   * false: nothing is pushed.
   */
  ga4?: boolean;
  /** The shopper pressed the card's accept button: add the offer to the cart. */
  onAccept?: (offer: ShownOffer, decision: Decision) => void;
  /** Called after each decision is rendered (or the slot left empty). */
  onDecision?: (decision: Decision, widget: Widget) => void;
  /** Called with each warning, as it is also logged with `console.warn`. */
  onWarning?: (warning: EmbedWarning) => void;
  /** A context the engine refused (a ContextError); the slot stays empty. */
  onError?: (error: Error) => void;
  /** The card's texts, over the English defaults. */
  labels?: Partial<Labels>;
  /** The card's heading level (default 2; offer titles are one below). */
  headingLevel?: 1 | 2 | 3 | 4 | 5;
  /**
   * Log every decision to the console (play, offers, each candidate left out and why, the
   * holdout); an object adds the overlay or `showHoldout`. "url": only when the page's query
   * string has `tactful-debug`, so a store can allow it in production; its value's words add
   * the rest (`?tactful-debug=overlay,show-holdout`). The debugging code (`embed-debug.js`,
   * beside the embed) is fetched only then. Without it, the console still says once why a slot
   * stayed empty.
   */
  debug?: boolean | "url" | DebugOptions;
  /**
   * An empty slot (holdout, protect, nothing eligible, the last offer dismissed) gives up its
   * reserved height: `true` only while the slot is below the part of the page in view, where
   * that shifts nothing anyone sees (in view it keeps its height); `"always"` at once. Default:
   * the slot keeps its height.
   */
  collapse?: boolean | "always";
  /** Formats a price in minor units (default: a small built-in table, "$49.00"; Intl if you like). */
  formatPrice?: (minor: number, currency: string) => string;
  /** false: adopt no stylesheet; the store styles the `tactful-*` classes itself. */
  styles?: boolean;
  /**
   * Where the engine runs. Default (true): in a module Worker started from `embed-worker.js`
   * next to the embed, which must be same-origin with the page (under a CSP, `worker-src`, or
   * else `script-src`, must allow it). A URL: that worker script instead. false: on the page's
   * main thread. Without a Worker, or when it fails, the engine runs on the main thread with a
   * warning.
   */
  worker?: boolean | string | URL;
  /** How long the worker may take to answer a request, loading included, before the engine moves to the main thread (ms, default 5000). */
  workerTimeout?: number;
}

/** A mounted widget: one slot's decisions (what `mount` resolves with). */
export interface Widget {
  /** The slot element the card goes in. */
  readonly slot: Element;
  /** The latest decision, or null before the first one (or after a refused context). */
  readonly decision: Decision | null;
  /** The shopper's memory string as it stands. */
  readonly memory: string;
  /** Every warning the widget has given, oldest first. */
  readonly warnings: EmbedWarning[];
  /** The key the widget decides with: the `shopperKey` option, else the edge's `tactful_sid` cookie, else one kept in localStorage. */
  readonly shopperKey: string;
  /** Where the engine runs: "worker", or "main" (no Worker, or it failed or did not answer). */
  readonly thread: "worker" | "main";
  /**
   * An explicit signal (`track("view_reviews")`); decides again and resolves with the new
   * decision. `items` (item ids) move as for that GA4 event (`add_to_cart` adds them to the
   * cart...). Throws `embed.bad_event` without a name.
   */
  track(event: string | { name: string; label?: string; at?: number; items?: string[] }): Promise<Decision | null>;
  /** The words of the latest decision (the engine's `explain`, from its inputs); null before the first. */
  explain(): Promise<Explanation | null>;
  /** Decides again now (after the store changed what `context` returns); resolves with the decision. */
  refresh(): Promise<Decision | null>;
  /**
   * Accepts an offer on the card as its button would: shows `labels.added`, calls `onAccept`,
   * and does nothing for an offer already accepted or dismissed. An offer not on the card now
   * (from an earlier card) is refused with the warning `embed.offer_not_shown`: nothing is
   * recorded or reported.
   * Records and reports at once: the event is kept in localStorage within the call (the next
   * page replays it if this one is left first), and memory holding it is written when the
   * engine has answered (a few ms).
   */
  accept(offer: ShownOffer): void;
  /**
   * Dismisses an offer on the card as its button would (reported with `via: "api"`); the card
   * closes after the last. An offer not on the card now is refused as `accept` refuses it.
   */
  dismiss(offer: ShownOffer): void;
  /**
   * Consent given or withdrawn; withdrawing removes the stored copy, the pending events, the
   * purchase ids and the shopper key. Resolves once memory is written.
   */
  setConsent(given: boolean): Promise<void>;
  /** Removes the card, stops the engine's worker and every listener; the widget decides no more. */
  destroy(): void;
}

/**
 * What `mount` and `track` throw for a wrong use of the embed itself (the engine's own errors
 * are `TactfulError`s: a snapshot that cannot load, a refused context).
 */
export interface EmbedError extends Error {
  /** Always "EmbedError". */
  name: "EmbedError";
  /**
   * `embed.no_slot` (the slot selector matched nothing), `embed.no_snapshot` (no `snapshot`
   * option), `embed.snapshot_fetch` (the snapshot's URL answered an HTTP error) or
   * `embed.bad_event` (`track` without an event name).
   */
  code: "embed.no_slot" | "embed.no_snapshot" | "embed.snapshot_fetch" | "embed.bad_event";
}

/**
 * Loads the module and the snapshot, decides, renders; resolves after the first decision.
 * Rejects with an `EmbedError` for a slot that is not there, and with a `TactfulError` for a
 * snapshot that cannot be loaded.
 */
export function mount(options: MountOptions): Promise<Widget>;

/** The built-in price format: "$49.00", "¥4,900", "12.00 DKK". */
export function formatMoney(minor: number, currency: string): string;

/** Loads (once per snapshot URL) the module and a snapshot into an engine on the calling thread. */
export function load(options: { snapshot: MountOptions["snapshot"]; wasm?: MountOptions["wasm"] }): Promise<Engine>;
