// The embed's debugging, loaded only when a widget's debugging is on (see embed/debug.js): every
// decision logged on the console, collapsed under one line, and optionally the same lines in an
// overlay on the page. Shipped beside the embed (tactful/embed/embed-debug.js) and imported by
// it on demand, so a page that does not debug never downloads it.
import { whyEmpty } from "./embed/debug.js";

/** The decision, in the words of its explanation, as lines a developer reads: the head, then one line per fact. */
export function describe(decision, words, showHoldout) {
  const shown = decision.holdout ? decision.wouldHaveShown : decision.offers;
  const said = decision.holdout ? words.wouldHaveShown : words.offers;
  const holdout = decision.holdout ? (showHoldout ? " (holdout, shown for development)" : " (holdout)") : "";
  const lines = [`play ${decision.play}: ${words.playReasons.join("; ")}`];
  shown.forEach((offer, i) => {
    lines.push(`${decision.holdout ? "would show" : "shows"} ${offer.offerId} (${offer.frame}, score ${offer.score}): ${said[i].reasons.join("; ")}`);
  });
  decision.leftOut.forEach((left, i) => lines.push(`left out ${left.offerId}: ${left.reason} [${left.rule}] ${words.leftOut[i].detail}`));
  if (decision.notConsidered) {
    const { pastCandidateLimit, afterEnoughEligible } = decision.notConsidered;
    lines.push(`never checked: ${pastCandidateLimit} past the candidate limit, ${afterEnoughEligible} after enough were eligible`);
  }
  const empty = whyEmpty(decision, words);
  if (empty) lines.push(`slot is empty: ${empty}`);
  return { head: `tactful: ${decision.play} on ${decision.surface}: ${decision.offers.length} shown${holdout}, ${decision.leftOut.length} left out`, lines };
}

/** Logs `decision` with its words, and draws it in the widget's overlay when `flags.overlay` is on. */
export function debugDecision(widget, decision, words, flags) {
  const { head, lines } = describe(decision, words, flags.showHoldout);
  console.groupCollapsed(head);
  for (const line of lines) console.log(line);
  console.groupEnd();
  if (flags.overlay) overlay(widget, head, lines);
}

const OVERLAY_CSS = `
.tactful-debug { position: fixed; right: 8px; bottom: 8px; z-index: 2147483647; box-sizing: border-box;
  width: min(32rem, calc(100vw - 16px)); max-height: 45vh; overflow: auto; margin: 0; padding: .75rem;
  background: #111827; color: #f9fafb; border-radius: 6px; font: 12px/1.45 ui-monospace, Menlo, Consolas, monospace;
  box-shadow: 0 4px 16px rgb(0 0 0 / .35); }
.tactful-debug summary { margin-right: 2rem; font-weight: 700; cursor: pointer; }
.tactful-debug ul { margin: .4rem 0 0; padding: 0 0 0 1rem; }
.tactful-debug li { overflow-wrap: anywhere; }
.tactful-debug button { position: absolute; top: .4rem; right: .4rem; font: inherit; color: inherit;
  background: transparent; border: 1px solid #6b7280; border-radius: 4px; cursor: pointer; }
`;
let sheet = null;

/**
 * One overlay per widget, replaced at each decision; its button closes it until the next. It is
 * fixed over the page, so on a narrow screen it starts folded to its one-line summary (which
 * still covers a strip of the page: fold or close it to reach what is under it).
 */
function overlay(widget, head, lines) {
  if (!sheet && document.adoptedStyleSheets) {
    // A constructed sheet, like the card's: no inline style, so a strict CSP allows it.
    sheet = new CSSStyleSheet();
    sheet.replaceSync(OVERLAY_CSS);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  }
  const id = `${widget.id}-debug`;
  const previous = document.getElementById(id);
  const open = previous ? previous.querySelector("details").open : matchMedia("(min-width: 640px)").matches;
  previous?.remove();
  const panel = document.createElement("aside");
  panel.id = id;
  panel.className = "tactful-debug";
  panel.setAttribute("aria-label", "tactful debug");
  const details = document.createElement("details");
  details.open = open;
  const title = document.createElement("summary");
  title.textContent = head;
  const list = document.createElement("ul");
  for (const line of lines) {
    const item = document.createElement("li");
    item.textContent = line;
    list.append(item);
  }
  const close = document.createElement("button");
  close.type = "button";
  close.textContent = "×";
  close.setAttribute("aria-label", "Close the tactful debug overlay");
  close.addEventListener("click", () => panel.remove());
  details.append(title, list);
  panel.append(details, close);
  document.body.append(panel);
}
