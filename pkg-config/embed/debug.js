// Why a slot shows what it shows: what the console says, for the store's developer.
//
// Without `debug`, a widget says once, on the console's info level, why its slot stayed empty
// (the first time it does): the holdout, a protecting play, the candidates left out and why,
// or that nothing was found. With `debug: true` (or `debug: "url"` and `tactful-debug` in the
// page's query string, so a store can let its developers switch it on in production) every
// decision is logged: the play and its reasons, the offers shown, every candidate left out with
// its reason and rule, the holdout, and the offers never checked.

/** Whether debug logging is on for these mount options. */
export function debugEnabled(option) {
  if (option === true) return true;
  return option === "url" && new URLSearchParams(location.search).has("tactful-debug");
}

/** One line saying why `decision` shows nothing; null when it shows something. */
export function whyEmpty(decision) {
  if (decision.offers.length > 0) return null;
  const ids = (offers) => offers.map((o) => o.offerId).join(", ");
  if (decision.holdout) {
    return `the shopper is in the holdout group, which is shown nothing (it would have seen ${ids(decision.wouldHaveShown) || "nothing"})`;
  }
  const reasons = decision.playReasons.join("; ");
  if (decision.play === "protect") return `the play is protect: ${reasons}`;
  if (decision.leftOut.length === 0) {
    return "no offer allowed on this surface was found for this shopper (nothing in the cart, owned or viewed led to one, and no fallback applies)";
  }
  const counts = new Map();
  for (const left of decision.leftOut) counts.set(left.reason, (counts.get(left.reason) ?? 0) + 1);
  const summary = [...counts].map(([reason, n]) => `${n} ${reason}`).join(", ");
  const first = decision.leftOut[0];
  const unchecked = decision.notConsidered
    ? `; ${decision.notConsidered.pastCandidateLimit + decision.notConsidered.afterEnoughEligible} more were never checked`
    : "";
  return `every candidate was left out (${summary}), first ${first.offerId}: ${first.detail}${unchecked}`;
}

/** Logs a whole decision, collapsed under one line. */
export function logDecision(decision) {
  const shown = decision.holdout ? decision.wouldHaveShown : decision.offers;
  const head = `tactful: ${decision.play} on ${decision.surface}: ${decision.offers.length} shown${decision.holdout ? " (holdout)" : ""}, ${decision.leftOut.length} left out`;
  console.groupCollapsed(head);
  console.log(`play ${decision.play}: ${decision.playReasons.join("; ")}`);
  for (const offer of shown) {
    console.log(`${decision.holdout ? "would show" : "shows"} ${offer.offerId} (${offer.frame}, score ${offer.score}): ${offer.reasons.join("; ")}`);
  }
  for (const left of decision.leftOut) {
    console.log(`left out ${left.offerId}: ${left.reason} [${left.rule}] ${left.detail}`);
  }
  if (decision.notConsidered) {
    const { pastCandidateLimit, afterEnoughEligible } = decision.notConsidered;
    console.log(`never checked: ${pastCandidateLimit} past the candidate limit, ${afterEnoughEligible} after enough were eligible`);
  }
  const empty = whyEmpty(decision);
  if (empty) console.log(`slot is empty: ${empty}`);
  console.groupEnd();
}
