/** What the browser embed and the edge worker agree on (see contract.js). */
export const SID_COOKIE: "tactful_sid";
export const MEMORY_COOKIE: "tactful_mem";
export const MAX_COOKIE_MEMORY: number;
export const CLASSES: Readonly<Record<"slot" | "card" | "flow" | "heading" | "offer" | "title" | "copy" | "reason" | "foot" | "price" | "was" | "now" | "actions" | "accept" | "dismiss" | "status", string>>;
export const HEADINGS: Readonly<Record<"default" | "checkout" | "cart" | "in_product" | "post_purchase", string>>;
export const DISMISS: string;
export function cardIds(base: string): { heading: string; title(index: number): string };
/**
 * The card's stylesheet, themable with `--tactful-*` custom properties (listed in contract.js
 * and the README); also shipped as `tactful/card.css` and served by the edge worker.
 */
export const CARD_CSS: string;
