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
 * The card's stylesheet, themable with `--tactful-*` custom properties (listed in contract.js
 * and the README); also shipped as `tactful/card.css` and served by the edge worker.
 */
export const CARD_CSS: string;
