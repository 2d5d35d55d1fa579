// What both demo pages share: the test hooks in the URL, and the "Why this?" panel that shows
// the decision's play, reasons and left-out candidates. Built with textContent only.
const params = new URLSearchParams(location.search);

/**
 * The page's clock. `?now=<unix ms>` pins the start (the tests use it to step over cooldowns
 * without waiting for days); time then moves on from there.
 */
export function clock() {
  const start = Number(params.get("now")) || Date.now();
  const t0 = performance.now();
  return () => Math.round(start + (performance.now() - t0));
}

export function demoOptions() {
  if (params.get("reset") === "1") {
    localStorage.removeItem("tactful:memory");
    localStorage.removeItem("tactful:sid");
  }
  // A snapshot other than the sample's, for the tests: only a same-origin path.
  const snapshot = params.get("snapshot");
  const samePath = (path) => Boolean(path && path.startsWith("/") && !path.startsWith("//"));
  // The engine's worker, for the fallback tests: `?worker=0` runs it on the main thread,
  // `?worker=/path.js` starts that worker script instead, `?workerTimeout=ms` waits that long.
  const worker = params.get("worker");
  return {
    // What both demos pass to mount() as they are.
    mount: {
      snapshot: samePath(snapshot) ? snapshot : "/out/inkwell-studio.snap",
      worker: worker === "0" ? false : samePath(worker) ? worker : undefined,
      workerTimeout: Number(params.get("workerTimeout")) || undefined,
      shopperKey: params.get("shopper") || undefined,
      consent: params.get("consent") !== "0",
      now: clock(),
      // The demo lets `?tactful-debug` log every decision, as a store may in production.
      debug: "url",
      // `?collapse` (or `?collapse=always`) collapses an empty slot, for the tests.
      collapse: params.get("collapse") === "always" ? "always" : params.has("collapse") || undefined,
      // `?logDecisions` reports decision records; `?ga4` pushes GA4's promotion events.
      logDecisions: params.has("logDecisions") || undefined,
      ga4: params.has("ga4") || undefined,
    },
    list: (name) => (params.get(name) ? params.get(name).split(",").filter(Boolean) : null),
  };
}

const text = (tag, content, className) => {
  const node = document.createElement(tag);
  if (content !== undefined) node.textContent = String(content);
  if (className) node.className = className;
  return node;
};

function table(headers, rows) {
  const t = document.createElement("table");
  const head = t.createTHead().insertRow();
  for (const h of headers) head.append(text("th", h));
  const body = t.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const cell of row) tr.insertCell().textContent = cell;
  }
  return t;
}

/**
 * Fills the panel with the decision in words (the widget asks the engine to explain it), the
 * widget's warnings and what was reported.
 */
export async function renderPanel(panel, decision, widget, reports) {
  const body = panel.querySelector(".why-body");
  let words;
  try {
    words = decision && (await widget.explain());
  } catch (error) {
    body.replaceChildren(text("p", `The engine could not explain it: ${error.message}`, "muted"));
    return;
  }
  if (!decision || !words || words.decisionId !== decision.decisionId) {
    // Not yet, or a newer decision came in while this one was being explained.
    if (!decision) body.replaceChildren(text("p", "No decision yet.", "muted"));
    return;
  }
  body.replaceChildren();
  const summary = `play ${decision.play}${decision.holdout ? " (holdout: nothing is shown)" : ""} · stage ${decision.stage} · readiness ${decision.readiness} · risk ${decision.risk}`;
  body.append(text("p", summary));
  body.append(text("h3", "Why this play"));
  const reasons = document.createElement("ul");
  for (const r of words.playReasons) reasons.append(text("li", r));
  body.append(reasons);
  const shown = decision.holdout ? decision.wouldHaveShown : decision.offers;
  const said = decision.holdout ? words.wouldHaveShown : words.offers;
  body.append(text("h3", decision.holdout ? "Would have shown" : "Shown"));
  if (shown.length === 0) body.append(text("p", "nothing", "muted"));
  else body.append(table(["offer", "frame", "score", "reasons"], shown.map((o, i) => [o.offerId, o.frame, o.score, said[i].reasons.join("; ")])));
  body.append(text("h3", "Left out"));
  if (decision.leftOut.length === 0) body.append(text("p", "nothing", "muted"));
  else body.append(table(["offer", "reason", "rule", "detail"], decision.leftOut.map((l, i) => [l.offerId, l.reason, l.rule, words.leftOut[i].detail])));
  if (decision.notConsidered) {
    const { pastCandidateLimit, afterEnoughEligible } = decision.notConsidered;
    body.append(text("p", `Never checked: ${pastCandidateLimit} offers past the 64-candidate limit, ${afterEnoughEligible} after 16 were eligible.`, "muted"));
  }
  const warnings = [...widget.warnings];
  if (warnings.length) {
    body.append(text("h3", "Warnings"));
    const list = document.createElement("ul");
    for (const w of warnings) list.append(text("li", `${w.code}: ${w.message}`));
    body.append(list);
  }
  body.append(text("h3", "Reported to the store"));
  if (reports.length === 0) body.append(text("p", "nothing yet", "muted"));
  else {
    const list = document.createElement("ol");
    for (const r of reports) {
      const what = r.type === "exposure" || r.type === "decision"
        ? `${r.type} ${r.decisionId}${r.holdout ? " (holdout)" : ""}: ${r.offers.map((o) => o.offerId).join(", ")}${r.notVisible ? ` (did not fit: ${r.notVisible.join(", ")})` : ""}`
        : `${r.type} ${r.offerId} (decision ${r.decisionId})`;
      list.append(text("li", what));
    }
    body.append(list);
  }
  body.append(text("p", `decision ${decision.decisionId} · snapshot ${decision.snapshotId} · memory ${widget.memory.length} bytes`, "muted"));
}
