// The card: drawn from a decision with text only (never HTML), with the class names, headings
// and ids of the contract the edge worker's card shares; impressions once it is on screen;
// focus kept where a keyboard user expects it. Methods of the widget (`this` is the widget),
// plus the money format and the default stylesheet.
import { ACCEPT, CARD_CSS, CLASSES, DISMISS, DISMISS_HINT, HEADINGS, WAS, cardIds } from "../contract.js";

export const card = {
  render(decision) {
    // A developer's `show-holdout` draws what the holdout hides (its reports say so).
    const offers = (decision?.holdout && this.debug?.showHoldout ? decision.wouldHaveShown : decision?.offers) ?? [];
    const same = this.shown && sameOffers(this.shown.offers, offers) && this.shown.holdout === Boolean(decision?.holdout);
    if (same) return; // the card on screen stays, with its impressions and its exposure
    this.clear();
    if (!decision) return this.collapseIfEmpty();
    this.shown = { decision, offers, holdout: decision.holdout, dismissed: new Set() };
    if (offers.length === 0) {
      // A holdout shopper sees nothing, but the exposure (what would have been shown) is
      // reported once the slot is on screen, as it would have been for a shown card.
      if (decision.holdout && decision.exposure.offers.length) this.whenVisible(this.slot, () => this.expose(decision));
      return this.collapseIfEmpty();
    }
    this.setCollapsed(false);
    // Read before the card's styles arrive, while the page's style is still clean, so reading
    // it costs no style recalculation of its own.
    const reserved = isReserved(this.slot);
    // The styles with the first card, not at mount: a module script runs after the page's
    // first frame, and a sheet adopted then costs the page a frame of its own.
    adoptStyles(this.options.styles);
    this.slot.classList.add(CLASSES.slot);
    if (!reserved && !this.warnedReserve) {
      this.warnedReserve = true;
      this.warn("embed.slot_not_reserved", "the slot has no min-height, so the card shifts the layout");
    }
    const card = element("section", reserved ? CLASSES.card : `${CLASSES.card} ${CLASSES.flow}`);
    card.setAttribute("role", "region");
    card.id = `${this.id}-card`;
    const ids = cardIds(this.id);
    card.setAttribute("aria-labelledby", ids.heading);
    card.dataset.decisionId = decision.decisionId;
    const headings = this.labels.heading;
    const text = typeof headings === "string" ? headings : (headings[decision.surface] ?? headings.default ?? DEFAULT_LABELS.heading.default);
    const heading = element(`h${this.options.headingLevel ?? 2}`, CLASSES.heading, text);
    heading.id = ids.heading;
    card.append(heading);
    offers.forEach((offer, index) => card.append(this.offerElement(offer, index, decision.currency)));
    card.addEventListener("focusin", (event) => {
      if (!card.contains(event.relatedTarget) && event.relatedTarget instanceof HTMLElement) this.returnFocus = event.relatedTarget;
    });
    card.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      const article = event.target instanceof Element ? event.target.closest(`.${CLASSES.offer}`) : null;
      const offer = article && offers.find((o) => o.offerId === article.dataset.offerId);
      if (!offer || this.shown.dismissed.has(offer.offerId)) return;
      event.preventDefault();
      event.stopPropagation();
      this.dismiss(offer, "escape");
    });
    this.slot.append(card);
    this.card = card;
    const visible = reserved ? this.fit(card, offers) : offers;
    performance.mark?.("tactful:rendered");
    this.whenVisible(card, () => {
      for (const offer of visible) this.store.record({ type: "impression", offerId: offer.offerId, surface: decision.surface });
      this.expose(decision, visible);
    });
  },

  /**
   * Keeps the offers that fit whole in the slot's reserved height, so that none is hidden
   * below the card's fold, where nobody sees it but caps and the exposure would count it. The
   * first offer always stays: when even it does not fit (a narrow screen), the card grows past
   * the reservation rather than clip its buttons.
   */
  fit(card, offers) {
    const articles = [...card.querySelectorAll(`.${CLASSES.offer}`)];
    const bottom = card.clientHeight - parseFloat(getComputedStyle(card).paddingBottom);
    // The card is positioned, so it is each article's offsetParent.
    const overflows = (article) => article.offsetTop + article.offsetHeight > bottom + 0.5;
    if (articles[0] && overflows(articles[0])) {
      card.classList.add(CLASSES.flow);
      return offers;
    }
    const cut = articles.findIndex(overflows);
    if (cut < 1) return offers;
    for (const article of articles.slice(cut)) article.remove();
    return offers.slice(0, cut);
  },

  offerElement(offer, index, currency) {
    const article = element("article", CLASSES.offer);
    article.dataset.offerId = offer.offerId;
    const titleId = cardIds(this.id).title(index);
    article.setAttribute("aria-labelledby", titleId);
    // The words the widget asked the engine for ({ copy: true }).
    const words = offer.text;
    const title = element(`h${(this.options.headingLevel ?? 2) + 1}`, CLASSES.title, words.title);
    title.id = titleId;
    const copy = element("p", CLASSES.copy, words.copy);
    article.append(title, copy);
    if (words.reasons.length) article.append(element("p", CLASSES.reason, words.reasons[0]));
    const price = element("p", CLASSES.price);
    const format = this.options.formatPrice ?? formatMoney;
    if (offer.discountPercent > 0) {
      const was = element("s", CLASSES.was, format(offer.price, currency));
      was.setAttribute("aria-label", `${this.labels.was} ${format(offer.price, currency)}`);
      price.append(was, " ");
    }
    price.append(element("span", CLASSES.now, format(offer.finalPrice, currency)));
    const actions = element("div", CLASSES.actions);
    const accept = element("button", CLASSES.accept, this.labels.accept);
    accept.type = "button";
    // The name says which offer (a screen reader's list of buttons shows names alone), and
    // begins with the visible label, so a voice command of what is seen still matches.
    accept.setAttribute("aria-label", `${this.labels.accept} ${words.title}`);
    accept.addEventListener("click", () => this.accept(offer));
    const dismiss = element("button", CLASSES.dismiss, this.labels.dismiss);
    dismiss.type = "button";
    dismiss.setAttribute("aria-label", `${this.labels.dismiss}: ${this.labels.dismissHint} ${words.title}`);
    dismiss.addEventListener("click", () => this.dismiss(offer, "button"));
    actions.append(accept, dismiss);
    const foot = element("div", CLASSES.foot);
    foot.append(price, actions);
    article.append(foot);
    return article;
  },

  whenVisible(target, then) {
    let done = false;
    const fire = () => {
      if (done || this.destroyed) return;
      done = true;
      cleanup();
      then();
    };
    const visibleNow = () => document.visibilityState === "visible";
    let inView = false;
    const observer = typeof IntersectionObserver === "function"
      ? new IntersectionObserver((entries) => {
        inView = entries.some((e) => e.isIntersecting && (e.intersectionRatio >= 0.5 || e.boundingClientRect.height === 0));
        if (inView && visibleNow()) fire();
      }, { threshold: [0, 0.5, 1] })
      : null;
    const onVisibility = () => {
      if (inView && visibleNow()) fire();
    };
    const cleanup = () => {
      observer?.disconnect();
      document.removeEventListener("visibilitychange", onVisibility);
      this.cleanups = this.cleanups.filter((c) => c !== cleanup);
    };
    this.cleanups.push(cleanup);
    document.addEventListener("visibilitychange", onVisibility);
    if (observer) observer.observe(target);
    else fire();
    this.unobserve = cleanup;
  },

  articleFor(offer) {
    return [...(this.card?.querySelectorAll(`.${CLASSES.offer}`) ?? [])].find((a) => a.dataset.offerId === offer.offerId);
  },

  /**
   * Removes the card; the slot keeps its reserved size, so nothing below it moves (unless the
   * widget collapses empty slots and it is out of sight: `collapseIfEmpty`).
   */
  closeCard(restoreFocus) {
    const focused = restoreFocus || Boolean(this.card?.contains(document.activeElement));
    this.card?.remove();
    this.card = null;
    this.collapseIfEmpty();
    if (!focused) return;
    const back = this.returnFocus;
    if (back && back.isConnected && !this.slot.contains(back)) {
      back.focus();
    } else {
      if (!this.slot.hasAttribute("tabindex")) this.slot.tabIndex = -1;
      this.slot.focus();
    }
  },

  /**
   * With `collapse: true`, an empty slot gives up its reserved height, but only while it lies
   * below the part of the page in view, where the move shifts nothing anyone sees; in view it
   * keeps its height. `collapse: "always"` gives it up at once, moving what is below it.
   */
  collapseIfEmpty() {
    const mode = this.options.collapse;
    if (!mode || this.card) return;
    if (mode === "always" || this.slot.getBoundingClientRect().top >= window.innerHeight) this.setCollapsed(true);
  },

  /** Sets or lifts the collapse (inline styles through the CSSOM, which no CSP forbids). */
  setCollapsed(collapsed) {
    if (collapsed === Boolean(this.collapsed)) return;
    this.collapsed = collapsed;
    this.slot.style.minHeight = collapsed ? "0" : "";
    this.slot.style.height = collapsed ? "0" : "";
  },

  clear() {
    this.unobserve?.();
    this.unobserve = null;
    if (this.card) this.closeCard(false);
    this.shown = null;
  },
};

function sameOffers(a, b) {
  return a.length === b.length && a.every((offer, i) => offer.offerId === b[i].offerId && offer.text.copy === b[i].text.copy);
}

export const DEFAULT_LABELS = {
  heading: HEADINGS,
  accept: ACCEPT,
  dismiss: DISMISS,
  dismissHint: DISMISS_HINT,
  added: "Added:",
  was: WAS,
};

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text); // text only: never HTML
  return node;
}

// Money is formatted by hand: the first Intl.NumberFormat on a page loads locale data, which
// measured 20 ms of main thread (80 ms at 4x CPU throttling) for one price. A store that wants
// its locale's format passes `formatPrice` (Intl is fine once the page has used it anyway).
// The same table as the engine's copy templates (src/template.rs), which write prices into
// the copy beside this one: keep the two in step.
const SYMBOLS = { USD: "$", EUR: "€", GBP: "£", JPY: "¥", CAD: "CA$", AUD: "A$", NZD: "NZ$", INR: "₹", BRL: "R$", CHF: "CHF ", SEK: "SEK ", MXN: "MX$" };

const NO_MINOR_UNIT = new Set(["JPY", "KRW", "VND", "CLP", "ISK", "UGX", "PYG", "XAF", "XOF", "RWF", "KMF", "GNF", "DJF", "VUV", "XPF"]);

/** Minor units in major units, and the digits they are written with. */
export function majorUnits(minor, currency) {
  const digits = NO_MINOR_UNIT.has(currency) ? 0 : 2;
  return [minor / 10 ** digits, digits];
}

export function formatMoney(minor, currency) {
  const [major, digits] = majorUnits(minor, currency);
  const amount = groupThousands(major.toFixed(digits));
  return SYMBOLS[currency] ? `${SYMBOLS[currency]}${amount}` : `${amount} ${currency}`;
}

/** "1234567.50" → "1,234,567.50" (by hand: a regular expression is compiled on first use). */
function groupThousands(fixed) {
  const sign = fixed.startsWith("-") ? "-" : "";
  const [whole, fraction] = fixed.slice(sign.length).split(".");
  let grouped = whole.slice(0, whole.length % 3 || 3);
  for (let i = grouped.length; i < whole.length; i += 3) grouped += `,${whole.slice(i, i + 3)}`;
  return `${sign}${grouped}${fraction === undefined ? "" : `.${fraction}`}`;
}

/** Whether the page gave the slot a height of its own (read from style, not from layout). */
function isReserved(slot) {
  const style = getComputedStyle(slot);
  return parseFloat(style.minHeight) > 0 || (style.height !== "auto" && parseFloat(style.height) > 0) || slot.getBoundingClientRect().height >= 1;
}

// The stylesheet is the contract's (CARD_CSS), so the edge card and `tactful/card.css` are
// styled alike. Built through the CSSOM, so a page's style-src policy need not allow inline
// styles.
let stylesAdopted = false;

function adoptStyles(styles) {
  if (styles === false || stylesAdopted) return;
  stylesAdopted = true;
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CARD_CSS);
    document.adoptedStyleSheets = [sheet, ...document.adoptedStyleSheets];
  } catch {
    const style = document.createElement("style");
    style.textContent = CARD_CSS;
    document.head.append(style);
  }
}
