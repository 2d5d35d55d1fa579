// The widget: one slot's decisions. It ties the engine (a worker, or this thread), the
// shopper's memory (storage.js), the signals (signals.js) and the card (card.js) together:
// decide when a signal comes in, draw the card, record what the shopper does with it.
import { MemoryStore } from "./storage.js";
import { signals } from "./signals.js";
import { CLASSES } from "../contract.js";
import { DEFAULT_LABELS, card, element, majorUnits } from "./card.js";
import { connect } from "./host.js";
import { embedError } from "./errors.js";
import { debugFlags, whyEmpty } from "./debug.js";

let nextId = 0;

export class Widget {
  constructor(options) {
    const slot = typeof options.slot === "string" ? document.querySelector(options.slot) : options.slot;
    if (!(slot instanceof Element)) throw embedError("embed.no_slot", `mount() found no slot element for ${String(options.slot)}`);
    this.options = options;
    this.slot = slot;
    this.id = `tactful-${++nextId}`;
    this.now = typeof options.now === "function" ? options.now : () => Date.now();
    this.labels = { ...DEFAULT_LABELS, ...options.labels };
    this.store = new MemoryStore({
      options,
      now: () => this.now(),
      warn: (code, message) => this.warn(code, message),
      serial: (task) => this.serial(task),
    });
    this.decision = null;
    this.warnings = [];
    this.events = [];
    this.items = { cart: null, owned: [], viewed: [] };
    this.reported = new Set();
    this.shown = null;
    this.returnFocus = null;
    this.queue = Promise.resolve();
    this.next = null;
    this.cleanups = [];
    this.destroyed = false;
    this.debug = debugFlags(options.debug);
    this.saidEmpty = false;
  }

  /** Where the engine runs: "worker", or "main" (no Worker, or it failed or timed out). */
  get thread() {
    return this.host?.thread ?? "main";
  }

  /** The memory string the widget decides with. */
  get memory() {
    return this.store.memory;
  }

  /** Consent given or withdrawn by the store's banner. Withdrawing removes the stored copy. */
  setConsent(given) {
    return this.store.setConsent(given);
  }

  async start() {
    this.host = connect(this.options, (code, message) => this.warn(code, message));
    this.info = await this.host.call("open");
    performance.mark?.("tactful:loaded");
    if (this.destroyed) return;
    // document.cookie is a call into the browser each time it is read: once, for both cookies.
    const cookies = this.store.cookieName && this.store.consented() ? document.cookie : "";
    this.shopperKey = this.options.shopperKey ?? this.store.shopperKey(cookies);
    this.store.host = this.host;
    this.serial(() => this.store.load(cookies));
    this.watchDataLayer();
    this.watchAttributes();
    await this.decide();
    // The storage listener waits until the first card is up: adding it has the browser open
    // the storage area's observer (about 2.3 ms of main thread at 4x throttling), and the
    // first decision does not need it.
    later(() => {
      if (!this.destroyed) this.store.watch(this.cleanups);
    });
  }

  /**
   * Runs engine work (every call is a message to the worker) one piece at a time, each on the
   * memory the last one left, so no update is lost between two of them.
   */
  serial(task) {
    const run = this.queue.then(() => (this.destroyed ? null : task()));
    this.queue = run.catch(() => {});
    return run;
  }

  warn(code, message) {
    const warning = { code, message };
    this.warnings.push(warning);
    console.warn(`tactful: ${message} [${code}]`);
    this.options.onWarning?.(warning);
  }

  /** The context: the slot's attributes, then what the signals say, then the store's own. */
  context() {
    const extra = typeof this.options.context === "function" ? this.options.context() : (this.options.context ?? {});
    const fromAttributes = this.attributes();
    const context = {
      surface: this.options.surface ?? fromAttributes.surface ?? "checkout",
      now: Math.round(this.now()),
      shopperKey: this.shopperKey,
    };
    const owned = [...new Set([...(fromAttributes.owned ?? []), ...this.items.owned])];
    if (fromAttributes.cart || this.items.cart) context.cart = this.items.cart ?? fromAttributes.cart;
    if (owned.length) context.owned = owned;
    const viewed = [...new Set([...(fromAttributes.viewed ?? []), ...this.items.viewed])];
    if (viewed.length) context.viewed = viewed;
    if (fromAttributes.facts) context.facts = fromAttributes.facts;
    if (fromAttributes.taskInProgress !== undefined) context.taskInProgress = fromAttributes.taskInProgress;
    const events = [...(extra.events ?? []), ...this.events];
    if (events.length) context.events = events;
    const { events: _, ...rest } = extra;
    return { ...context, ...rest };
  }

  /** The words of the latest decision, from the engine: null before the first. */
  explain() {
    return this.inputs ? this.host.call("explain", ...this.inputs) : Promise.resolve(null);
  }

  /** Decides again soon (signals arrive in bursts); resolves when the card is up to date. */
  schedule() {
    return this.decide();
  }

  /** Decides again now (after the store changed the context); resolves with the decision. */
  refresh() {
    return this.decide();
  }

  /**
   * Queues a decision, unless one is already waiting (it reads the context when it runs, so it
   * sees every signal that came in before it): a burst of signals costs one decision.
   */
  decide() {
    this.next ??= this.serial(async () => {
      this.next = null;
      let decided;
      // What it decides from, kept so that its words can be asked for (explain).
      const inputs = [this.context(), this.store.memory];
      try {
        decided = await this.host.call("decide", ...inputs, { copy: true, decisionRecord: this.options.logDecisions });
        this.inputs = inputs;
      } catch (error) {
        console.error(`tactful: ${error.message} [${error.code ?? error.name}]`);
        this.options.onError?.(error);
        this.render(null);
        return null;
      }
      if (this.destroyed) return null;
      for (const warning of decided.decision.warnings) {
        if (warning.code.startsWith("memory.") && this.warnings.some((w) => w.code === warning.code)) continue;
        this.warn(warning.code, warning.message);
      }
      performance.mark?.("tactful:decided");
      if (!this.store.readOnly) this.store.memory = decided.memory;
      this.decision = decided.decision;
      this.say(decided.decision);
      this.render(decided.decision);
      this.options.onDecision?.(decided.decision, this);
      await this.store.persist();
      return this.decision;
    });
    return this.next;
  }

  /**
   * The console's account of a decision: every one with `debug`, else once for an empty slot.
   * Its words come from the engine (`explain`, from the inputs of the decision), only then.
   */
  async say(decision) {
    if (!this.debug && (this.saidEmpty || decision.offers.length)) return;
    this.saidEmpty = true;
    // The words are a courtesy: an engine that cannot give them (its worker gone, which the
    // next decision reports) leaves the codes, never an unhandled rejection.
    const words = await this.explain().catch(() => null);
    if (this.debug && words) {
      // Beside the embed, loaded only now: pages that do not debug never fetch it.
      (await import("./embed-debug.js")).debugDecision(this, decision, words, this.debug);
      return;
    }
    const why = whyEmpty(decision, words);
    if (why) console.info(`tactful: the slot is empty: ${why} (debug: true logs every decision)`);
  }

  /**
   * Reports the decision's exposure record once (a decision record with `logDecisions`).
   * `visible` (default: all) are the offers the card could show whole: the record lists only
   * those, and `notVisible` names the rest, so analysis never counts an offer nobody saw.
   */
  expose(decision, visible = decision.exposure.offers) {
    if (this.reported.has(decision.decisionId)) return;
    this.reported.add(decision.decisionId);
    const seen = new Set(visible.map((o) => o.offerId));
    const all = decision.exposure.offers;
    const report = { ...decision.exposure, offers: all.filter((o) => seen.has(o.offerId)) };
    const hidden = all.filter((o) => !seen.has(o.offerId)).map((o) => o.offerId);
    if (hidden.length) report.notVisible = hidden;
    this.report(report);
    if (!decision.holdout) this.promote("view_promotion", decision.offers.filter((o) => seen.has(o.offerId)));
  }

  /**
   * With the `ga4` option, GA4's own promotion event for these offers in the page's dataLayer,
   * cleared first as Google's guide asks; the fields are GA4's (promotion_id, promotion_name,
   * creative_name, creative_slot, items), as documented in "Measure ecommerce", "Apply
   * promotions": https://developers.google.com/analytics/devguides/collection/ga4/ecommerce?client_type=gtm
   */
  promote(event, offers) {
    if (!this.options.ga4) return;
    const { surface, currency } = this.shown.decision;
    const items = offers.map((o) => ({ item_id: o.offerId, item_name: o.text.title, price: majorUnits(o.finalPrice, currency)[0], discount: majorUnits(o.price - o.finalPrice, currency)[0], quantity: 1, creative_name: o.frame }));
    this.promoting = true;
    try {
      (this.options.dataLayer || (window.dataLayer ??= [])).push({ ecommerce: null }, { event, ecommerce: { promotion_id: `tactful-${surface}`, promotion_name: "tactful", creative_slot: surface, currency, items } });
    } finally {
      this.promoting = false;
    }
  }

  /** Reports the record of what the shopper did with an offer (`accept`, `dismiss`). */
  outcome(type, offer, via) {
    const { exposure } = this.shown.decision;
    this.report({ type, v: 1, decisionId: exposure.decisionId, offerId: offer.offerId, at: Math.round(this.now()), shopperKey: exposure.shopperKey, ...(via && { via }) });
  }

  report(report) {
    // A developer's `show-holdout` drew what the holdout hides: readers count and exclude it.
    if (this.shown?.holdout && this.debug?.showHoldout) report.debug = "show-holdout";
    try {
      this.options.onReport?.(report);
    } catch (error) {
      console.error("tactful: onReport threw", error);
    }
  }

  /**
   * Records the shopper's answer to `offer` (`accept`, `dismiss`) and reports it, once. False for
   * an offer already answered, or not on the card now: one from an earlier card (a host keeping
   * a stale reference) is refused with a warning, as recording it would log an outcome against
   * a decision that never showed it.
   */
  answer(offer, type, via) {
    const id = offer?.offerId;
    if (!this.shown?.offers.some((o) => o.offerId === id)) {
      this.warn("embed.offer_not_shown", `${id} is not on the card`);
      return false;
    }
    if (this.shown.dismissed.has(id)) return false;
    this.shown.dismissed.add(id);
    this.store.record({ type, offerId: id });
    this.outcome(type, offer, via);
    return true;
  }

  accept(offer) {
    const decision = this.shown?.decision;
    if (!this.answer(offer, "accept")) return;
    this.promote("select_promotion", [offer]);
    const article = this.articleFor(offer);
    if (article) {
      const focused = article.contains(document.activeElement);
      const status = element("p", CLASSES.status, `${this.labels.added} ${offer.text.title}`);
      status.setAttribute("role", "status");
      status.tabIndex = -1;
      article.replaceChildren(status);
      if (focused) status.focus();
    }
    try {
      this.options.onAccept?.(offer, decision);
    } catch (error) {
      console.error("tactful: onAccept threw", error);
    }
  }

  dismiss(offer, via = "api") {
    if (!this.answer(offer, "dismiss", via)) return;
    const article = this.articleFor(offer);
    const focused = Boolean(article?.contains(document.activeElement));
    article?.remove();
    const next = this.card?.querySelector(`.${CLASSES.offer}:not([hidden]) button`);
    if (!next) this.closeCard(focused);
    else if (focused) next.focus();
  }

  destroy() {
    this.clear();
    this.destroyed = true;
    this.host?.close();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}

Object.assign(Widget.prototype, signals, card);

/**
 * Runs `task` once the next frame has been painted (at once in a hidden page, which paints no
 * frames). Not scheduler.postTask: its first use measured 1.5 ms at 4x throttling.
 */
function later(task) {
  if (document.visibilityState === "hidden") setTimeout(task, 0);
  else requestAnimationFrame(() => setTimeout(task, 0));
}
