/** What the browser embed and the edge worker agree on (see contract.js). */
export const SID_COOKIE: "tactful_sid";
export const MEMORY_COOKIE: "tactful_mem";
export const MAX_COOKIE_MEMORY: number;
export const CLASSES: Readonly<Record<"slot" | "card" | "flow" | "heading" | "offer" | "title" | "copy" | "reason" | "foot" | "price" | "was" | "now" | "actions" | "accept" | "dismiss" | "status", string>>;
export const HEADINGS: Readonly<Record<"default" | "checkout" | "cart" | "in_product" | "post_purchase", string>>;
/** The accept button's text ("Add"); its accessible name adds the offer's title. */
export const ACCEPT: string;
export const DISMISS: string;
/** The word between the dismiss text and the title in its accessible name ("dismiss"). */
export const DISMISS_HINT: string;
/** How a struck-through price is read ("was"). */
export const WAS: string;
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
