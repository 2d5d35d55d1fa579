// What the browser embed (`tactful/embed`) and the edge worker (`www/edge/worker.js`) must
// agree on, written once: both import this module (the embed has it bundled in; the worker
// imports it from the package, `tactful/contract`).
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

/** The dismiss button's text. */
export const DISMISS = "No thanks";

/** The ids inside a card whose own id is `base`: its heading's, and each offer title's. */
export function cardIds(base) {
  return { heading: `${base}-heading`, title: (index) => `${base}-offer-${index}` };
}
