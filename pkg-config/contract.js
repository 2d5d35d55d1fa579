// What the browser embed (`tactful/embed`) and the edge worker (`tactful/edge`) must agree on,
// written once: both import this module (the embed has it bundled in; the worker imports it
// beside it in the package, and stores can import it as `tactful/contract`).
//
// - The cookies: the edge worker keeps the shopper key and memory in first-party cookies, and
//   the embed reads them to merge with localStorage, so a dismissal in either place keeps the
//   offer away in both.
// - The card: the embed draws it in the page, the worker writes it into the HTML, with the
//   same structure and class names, so one stylesheet (the embed's, or the store's own)
//   serves both, and the same headings per surface.

/** The cookie holding the shopper key (random, base64url, made by whichever side finds none). */
export const SID_COOKIE = "tactful_sid";
/** The cookie holding the memory string, exactly as the engine writes it (base64url). */
export const MEMORY_COOKIE = "tactful_mem";
/** The longest memory cookie value written or read: the whole cookie stays under 4 KB. */
export const MAX_COOKIE_MEMORY = 3800;

/** The card's class names. */
export const CLASSES = Object.freeze({
  slot: "tactful-slot",
  card: "tactful-card",
  /** A card that flows in the page (its slot reserved no height for it). */
  flow: "tactful-card--flow",
  heading: "tactful-heading",
  offer: "tactful-offer",
  title: "tactful-title",
  copy: "tactful-copy",
  reason: "tactful-reason",
  foot: "tactful-foot",
  price: "tactful-price",
  was: "tactful-was",
  now: "tactful-now",
  actions: "tactful-actions",
  accept: "tactful-accept",
  dismiss: "tactful-dismiss",
  status: "tactful-status",
});

/** The card's heading per surface, and for any other. */
export const HEADINGS = Object.freeze({
  default: "Suggested for you",
  checkout: "Add to your order",
  cart: "Goes well with your cart",
  in_product: "Next for your practice",
  post_purchase: "For what you just bought",
});

/** The accept button's text; its accessible name adds the offer's title ("Add Workbook"). */
export const ACCEPT = "Add";

/** The dismiss button's text. */
export const DISMISS = "No thanks";

/** What the dismiss button's accessible name adds before the title ("No thanks: dismiss Workbook"). */
export const DISMISS_HINT = "dismiss";

/** What a struck-through price is read as ("was $12.00"). */
export const WAS = "was";

/** The ids inside a card whose own id is `base`: its heading's, and each offer title's. */
export function cardIds(base) {
  return { heading: `${base}-heading`, title: (index) => `${base}-offer-${index}` };
}

/**
 * Every custom property the card's stylesheet reads, as `[default, what it sets]`. A store
 * themes the card by setting them on the slot or any ancestor. (Not imported by the embed, so
 * its bundle leaves this out; build.sh writes it into the head of `tactful/card.css`.)
 */
export const CARD_CSS_VARIABLES = {
  "--tactful-bg": ["#fff", "the card's background"],
  "--tactful-fg": ["#1d1d1f", "its text"],
  "--tactful-muted": ["#5b5b66", "the heading, reasons and the struck-through price"],
  "--tactful-border": ["#d0d0d7", "its border and the rules between offers"],
  "--tactful-radius": [".6rem", "its corners"],
  "--tactful-padding": [".9rem 1rem", "its padding"],
  "--tactful-font": ["inherit", "its font (the shorthand)"],
  "--tactful-font-size": ["1em", "its base size"],
  "--tactful-accent": ["#3b3bb3", "the buttons"],
  "--tactful-on-accent": ["#fff", "the accept button's text"],
  "--tactful-focus": ["#f5a623", "the focus ring"],
};

/**
 * The card's stylesheet: the embed adopts it, the edge worker serves it at
 * `/tactful/card.css`, and the package ships it as `tactful/card.css` for a store that styles
 * its own page (`styles: false`). Every colour and size is one of `CARD_CSS_VARIABLES`.
 *
 * Only opacity moves, and only when the shopper has not asked for reduced motion. Text comes
 * in the page's own size and weight plus two more (.85em, and 600 for the title and price):
 * each new size or weight is a font the browser sets up in the card's layout, and five of them
 * measured about 10 ms of it at 4x throttling.
 */
export const CARD_CSS = `
.tactful-slot { position: relative; }
.tactful-card { box-sizing: border-box; position: absolute; inset: 0 0 auto; max-height: 100%; overflow: auto;
  display: flex; flex-direction: column; gap: .5rem; padding: var(--tactful-padding, .9rem 1rem);
  background: var(--tactful-bg, #fff); color: var(--tactful-fg, #1d1d1f);
  border: 1px solid var(--tactful-border, #d0d0d7); border-radius: var(--tactful-radius, .6rem);
  font: var(--tactful-font, inherit); font-size: var(--tactful-font-size, 1em); line-height: 1.4; }
.tactful-card--flow { position: static; }
.tactful-heading { margin: 0; font-size: .85em; letter-spacing: .04em; text-transform: uppercase;
  color: var(--tactful-muted, #5b5b66); }
.tactful-offer { display: grid; gap: .25rem; }
.tactful-offer + .tactful-offer { border-top: 1px solid var(--tactful-border, #d0d0d7); padding-top: .5rem; }
.tactful-title { margin: 0; font-size: 1em; font-weight: 600; }
.tactful-copy, .tactful-reason, .tactful-price, .tactful-status { margin: 0; overflow-wrap: anywhere; }
.tactful-reason { font-size: .85em; color: var(--tactful-muted, #5b5b66); }
.tactful-price { font-weight: 600; }
.tactful-was { font-weight: 400; color: var(--tactful-muted, #5b5b66); }
.tactful-foot { display: flex; align-items: center; justify-content: space-between; gap: .5rem; flex-wrap: wrap; margin-top: .2rem; }
.tactful-actions { display: flex; gap: .5rem; flex-wrap: wrap; }
.tactful-actions button { font: inherit; padding: .35rem .9rem; border-radius: .4rem; cursor: pointer;
  border: 1px solid var(--tactful-accent, #3b3bb3); }
.tactful-accept { background: var(--tactful-accent, #3b3bb3); color: var(--tactful-on-accent, #fff); }
.tactful-dismiss { background: transparent; color: var(--tactful-accent, #3b3bb3); }
.tactful-actions button:focus-visible, .tactful-status:focus-visible { outline: 3px solid var(--tactful-focus, #f5a623); outline-offset: 2px; }
@media (prefers-reduced-motion: no-preference) {
  .tactful-card { animation: tactful-in .18s ease-out; }
  @keyframes tactful-in { from { opacity: 0; } to { opacity: 1; } }
}
`;
