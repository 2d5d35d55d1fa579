// What the browser embed and the edge worker agree on (see contract.js).

/** The cookie holding the shopper key, shared by the edge worker and the embed (16 random bytes, base64url). */
export const SID_COOKIE: "tactful_sid";
/** The cookie holding the shopper's memory string as the engine writes it (base64url). */
export const MEMORY_COOKIE: "tactful_mem";
/** The longest memory written to or read from the cookie, in characters (3,800); longer memory is not written, never cut. */
export const MAX_COOKIE_MEMORY: number;
/** The card's class names (`tactful-card`, `tactful-offer`, ...), the same on both cards, for a store's own styles. */
export const CLASSES: Readonly<Record<"slot" | "card" | "flow" | "heading" | "offer" | "title" | "copy" | "reason" | "foot" | "price" | "was" | "now" | "actions" | "accept" | "dismiss" | "status", string>>;
/** The card's heading per surface ("Add to your order" at checkout), and `default` for the others. */
export const HEADINGS: Readonly<Record<"default" | "checkout" | "cart" | "in_product" | "post_purchase", string>>;
/** The accept button's text ("Add"); its accessible name adds the offer's title. */
export const ACCEPT: string;
/** The dismiss button's text ("No thanks"); its accessible name adds `DISMISS_HINT` and the title. */
export const DISMISS: string;
/** The word between the dismiss text and the title in its accessible name ("dismiss"). */
export const DISMISS_HINT: string;
/** How a struck-through price is read ("was"). */
export const WAS: string;
/** The ids inside a card whose own id is `base`: its heading's, and each offer title's by index. */
export function cardIds(base: string): { heading: string; title(index: number): string };
/**
 * The card's stylesheet, themable with the `--tactful-*` custom properties of
 * `CARD_CSS_VARIABLES`; also shipped as `tactful/card.css` and served by the edge worker.
 */
export const CARD_CSS: string;
/** A custom property's default value and what it sets. */
export type CssVariable = readonly [defaultValue: string, sets: string];
/** Every custom property the card's stylesheet reads; set them on the slot or any ancestor. */
export const CARD_CSS_VARIABLES: Readonly<{
  /** The card's background (default `#fff`). */
  "--tactful-bg": CssVariable;
  /** Its text colour (default `#1d1d1f`). */
  "--tactful-fg": CssVariable;
  /** The heading, reasons and struck-through price (default `#5b5b66`). */
  "--tactful-muted": CssVariable;
  /** Its border and the rules between offers (default `#d0d0d7`). */
  "--tactful-border": CssVariable;
  /** Its corners (default `.6rem`). */
  "--tactful-radius": CssVariable;
  /** Its padding (default `.9rem 1rem`). */
  "--tactful-padding": CssVariable;
  /** Its font, as the `font` shorthand (default `inherit`: the page's). */
  "--tactful-font": CssVariable;
  /** Its base text size (default `1em`). */
  "--tactful-font-size": CssVariable;
  /** The buttons' colour (default `#3b3bb3`). */
  "--tactful-accent": CssVariable;
  /** The accept button's text colour (default `#fff`). */
  "--tactful-on-accent": CssVariable;
  /** The focus ring (default `#f5a623`). */
  "--tactful-focus": CssVariable;
}>;
