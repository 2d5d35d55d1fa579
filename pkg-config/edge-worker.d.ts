// tactful/edge: the storefront edge worker as a factory (see edge/worker.js's header for how it
// works and why, and www/docs/edge.md in the repository for a walk-through).
import type { Exposure, OutcomeRecord, Surface } from "./tactful";

/**
 * Where the card's Add button sends the shopper once the worker has recorded `accept`.
 *
 * - A URL template: a path on the store (`"/cart/add?offer={offerId}"`) or an http(s) URL. The
 *   worker answers the card's form with a 303 to it, `{offerId}` filled in (URL-encoded).
 * - A form post the origin handles: the worker posts `fields` (form-encoded, `{offerId}` filled
 *   in) to `action` on the origin, with the shopper's headers and cookies (so the origin's own
 *   session finds the cart), and answers with the origin's response (a redirect to the cart,
 *   usually). It records `accept` only when the origin answers below 400. The origin must take
 *   the post without a CSRF token of its own (the worker checks the post is same-site).
 *
 * `{offerId}` is the one placeholder; the template must use it somewhere.
 */
export type AcceptTarget =
  /** A URL template, answered with a 303: `"/cart/add?offer={offerId}"`. */
  | string
  /** A form post the origin handles: `{ action: "/cart/add", method: "post", fields: { offer: "{offerId}" } }`. */
  | {
      /** The path the origin's add-to-cart form posts to ("/cart/add"); may use `{offerId}`. */
      action: string;
      /** Only "post" (for a GET, give a URL template string). */
      method?: "post" | "POST";
      /** The form's fields: `{ offer: "{offerId}", quantity: "1" }`. */
      fields: Record<string, string>;
    };

/** The card's texts. Defaults: the contract's English (`tactful/contract`), as the embed's. */
export interface EdgeLabels {
  /** The card's heading: one text for every surface, or texts by surface over the defaults. */
  heading: string | (Partial<Record<Surface, string>> & { default?: string });
  /** The Add button ("Add"); its accessible name is this and the offer's title. */
  accept: string;
  /** The dismiss button ("No thanks"); its accessible name is `${dismiss}: ${dismissHint} ${title}`. */
  dismiss: string;
  /** "dismiss". */
  dismissHint: string;
  /** How a struck-through price is read: "was" ("was $12.00"). */
  was: string;
  /** The embed's text after an accept; not shown at the edge (the shopper moves on to the target). */
  added: string;
}

/** The options of `createEdgeWorker`: `wasm`, `snapshot` and `accept` are required; unknown options are refused. */
export interface EdgeWorkerOptions {
  /** The engine, compiled by the runtime: `import wasm from "tactful/tactful_bg.wasm"`. */
  wasm: WebAssembly.Module;
  /**
   * The store's snapshot (`tactful compile`), as a data module's ArrayBuffer or a Uint8Array.
   * Bytes that cannot be loaded do not throw: the worker logs `engine_unavailable` and serves
   * every page as the origin sent it.
   */
  snapshot: ArrayBuffer | Uint8Array;
  /** Where the card's Add sends the shopper (required). */
  accept: AcceptTarget;
  /**
   * How the worker reaches the origin: a base URL (`"https://origin.example.com"`, no path), or
   * `{ binding: "NAME" }`, a service binding in the environment. Default: the environment's
   * `ORIGIN` service binding, else its `ORIGIN_URL` variable.
   */
  origin?: string | { binding: string };
  /** The card's texts, over the English defaults. */
  labels?: Partial<EdgeLabels>;
  /**
   * A price's text from its minor units and currency code (`4900, "EUR"` → `"49,00 €"`), for a
   * store whose shoppers read prices in another locale than en-US (the default:
   * `Intl.NumberFormat("en-US", { style: "currency" })`). The embed's option of the same name
   * takes the same function. One that throws falls back to the default, and is logged.
   */
  formatPrice?: (minor: number, currency: string) => string;
  /**
   * Given each log record (www/docs/logs.md), as an object to `JSON.stringify` into one line:
   * the exposure of each slot it fills (also a holdout's empty slot), when the page is
   * rendered; an `accept` at `POST /tactful/accept` and a `dismiss` (`via: "button"` from the
   * card's form) at `POST /tactful/event`. A promise it returns is kept alive with
   * `ctx.waitUntil`; a `log` that throws or rejects is logged to the console, never fails the
   * page. Without it (the default), the worker logs no records.
   */
  log?: (record: Exposure | OutcomeRecord) => unknown;
  /**
   * Log decision records instead of exposures: the exposure with the context and the memory
   * string it was decided from, for `tactful replay` (default false; needs `log`).
   */
  logDecisions?: boolean;
}


/** The environment the worker reads at each request (all optional). */
export interface EdgeEnv {
  /** The origin as a service binding (when the `origin` option is not given). */
  ORIGIN?: { fetch(request: Request): Promise<Response> };
  /** The origin's base URL (when there is no `ORIGIN` binding and no `origin` option). */
  ORIGIN_URL?: string;
  /** "off": a plain proxy, without tactful. */
  TACTFUL?: string;
  /** "on": honour the `x-tactful-now` request header (tests pin the time). Never in production. */
  TACTFUL_TEST_MODE?: string;
  /** Any other binding or variable (a service binding the `origin` option names, say). */
  [binding: string]: unknown;
}

/** A module worker's default export. */
export interface EdgeWorker {
  /**
   * Answers one request: its own `/tactful/*` routes, a 200 HTML answer to a GET with its slots
   * filled, and anything else as the origin sent it (everything, with `TACTFUL = "off"` or a
   * snapshot that did not load). `env` defaults to `{}`; `ctx` keeps a `log` promise alive
   * (`ctx.waitUntil`).
   */
  fetch(request: Request, env?: EdgeEnv, ctx?: { waitUntil(promise: Promise<unknown>): void }): Promise<Response>;
}

/** What `createEdgeWorker` throws for options that could never work. */
export interface OptionsError extends TypeError {
  /** Always "OptionsError". */
  name: "OptionsError";
  /** `options.required`, `options.type`, `options.unknown` or `options.template`. */
  code: string;
  /** The option: `accept`, `accept.fields.offer`, `labels.heading.checkout`... */
  path: string;
}

/**
 * The storefront worker: `export default createEdgeWorker({ wasm, snapshot, accept })`. It
 * fills `<div data-tactful-slot="...">` in the origin's pages with the offer card, keeps the
 * shopper's memory in the `tactful_sid` and `tactful_mem` cookies, and serves
 * `POST /tactful/event`, `POST /tactful/accept`, `GET /tactful/decide` and
 * `GET /tactful/card.css`. Throws an {@link OptionsError} when the module loads, never at a
 * request.
 */
export function createEdgeWorker(options: EdgeWorkerOptions): EdgeWorker;

/** The longest memory cookie value written or read (3,800). */
export const MAX_MEMORY_BYTES: number;
/** The longest origin page the worker rewrites (2 MiB); longer pages pass through untouched. */
export const MAX_PAGE_BYTES: number;
/** The longest body `POST /tactful/event` and `POST /tactful/accept` read (4,096 bytes). */
export const MAX_EVENT_BYTES: number;
/** The longest query `GET /tactful/decide` reads (8,192 bytes). */
export const MAX_QUERY_BYTES: number;
/** Most slots decided in one page (8); further slots are left as the origin sent them. */
export const MAX_SLOTS: number;
