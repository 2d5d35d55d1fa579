// Why a slot shows what it shows: what the console says, for the store's developer.
//
// Without `debug`, a widget says once, on the console's info level, why its slot stayed empty
// (the first time it does). That sentence is all of the debugging every page carries; the rest
// (every decision logged, the on-page overlay) is `embed-debug.js`, which the embed loads only
// when debugging is on, so pages pay nothing for it.
//
// `debug: true` (or `debug: "url"` with `tactful-debug` in the page's query string, so a store
// can let its developers switch it on in production) logs every decision. `overlay` also shows
// it on the page; `show-holdout` shows a holdout shopper what the holdout hides, for a developer
// who landed in the 5%: the card is drawn and recorded as for anyone, and every report of that
// decision carries `debug: "show-holdout"` so analysis excludes it. As words of the query
// (`?tactful-debug=overlay,show-holdout`) or as options (`debug: { overlay: true }`).

/** The debugging a widget does for these mount options: null (none) or `{ overlay, showHoldout }`. */
export function debugFlags(option) {
  const query = new URLSearchParams(location.search).get("tactful-debug");
  if (!option || (option === "url" && query === null)) return null;
  const words = option === "url" ? query.split(",") : [];
  return { overlay: Boolean(option.overlay || words.includes("overlay")), showHoldout: Boolean(option.showHoldout || words.includes("show-holdout")) };
}

/**
 * One line saying why `decision` shows nothing (in the words of its explanation, or its codes
 * when the words could not be had); null when it shows something.
 */
export function whyEmpty(decision, words) {
  if (decision.offers.length > 0) return null;
  const ids = (offers) => offers.map((o) => o.offerId).join(", ");
  if (decision.holdout) {
    return `the shopper is in the holdout group, which is shown nothing (it would have seen ${ids(decision.wouldHaveShown) || "nothing"})`;
  }
  const reasons = words?.playReasons.join("; ") ?? "(no words)";
  if (decision.play === "protect") return `the play is protect: ${reasons}`;
  if (decision.leftOut.length === 0) {
    return "no offer for this surface was found from the cart, owned or viewed items, or any fallback";
  }
  const counts = new Map();
  for (const left of decision.leftOut) counts.set(left.reason, (counts.get(left.reason) ?? 0) + 1);
  const summary = [...counts].map(([reason, n]) => `${n} ${reason}`).join(", ");
  const first = decision.leftOut[0];
  const unchecked = decision.notConsidered
    ? `; ${decision.notConsidered.pastCandidateLimit + decision.notConsidered.afterEnoughEligible} more were never checked`
    : "";
  return `every candidate was left out (${summary}), first ${first.offerId}: ${words?.leftOut[0].detail ?? first.reason}${unchecked}`;
}
