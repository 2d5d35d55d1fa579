// tactful's embed script: what a store's developer puts on a checkout page or inside an in-app
// widget. An ES module (`import { mount } from "tactful/embed"`, or a <script type="module">
// that imports it) with no dependencies beyond the package's own web build.
//
//   import { mount } from "/assets/tactful/embed/embed.js";
//   const widget = await mount({
//     slot: "#offer",                        // where the card goes; give it a min-height
//     snapshot: "/assets/store.snap",        // or the snapshot's bytes
//     surface: "checkout",
//     shopperKey: "a stable pseudonymous key",
//     consent: () => cookieBanner.accepted,  // no consent: memory for this page only, nothing written
//     onReport: (report) => analytics.send(report),   // exposures, accepts and dismissals
//     onAccept: (offer) => cart.add(offer.offerId),
//   });
//
// Signals come from the page's GA4 `dataLayer` (the e-commerce events it already pushes), from
// data- attributes (on the slot: data-tactful-surface, -cart, -owned, -viewed, -facts; on any
// element: data-tactful-event="name", sent when it is clicked) and from widget.track(event).
// The card is built with textContent only: nothing from the catalog is ever parsed as HTML.
// The engine runs in a module Worker (embed-worker.js, next to this file, same origin; under a
// CSP, worker-src falls back to script-src): on this thread only the embed's own logic, its
// messages and the card remain. Without a Worker, or when it fails or does not answer within
// `workerTimeout`, the engine runs here instead, with a warning.
//
// The rooms (bundled into one file by esbuild): embed/host.js (the engine: worker or page),
// embed/storage.js (memory, consent, pending events), embed/signals.js (dataLayer, attributes,
// track), embed/card.js (the card, money, styles), embed/debug.js (what the console says about
// a decision), embed/widget.js (one slot, tying them), and contract.js (what the edge worker
// shares).
import { Widget } from "./embed/widget.js";

const VERSION = "0.5.2";

/** Loads (once per snapshot URL) the module and a snapshot into an engine on this thread. */
export async function load(options) {
  return (await import("./embed-worker.js")).load(options);
}

/**
 * Mounts a widget into a slot: decides, renders the card, and keeps deciding as signals come
 * in. Resolves once the first decision is rendered (or the slot is left empty).
 */
export async function mount(options = {}) {
  performance.mark?.("tactful:start");
  const widget = new Widget(options);
  try {
    await widget.start();
  } catch (error) {
    widget.destroy(); // stops its worker
    throw error;
  }
  return widget;
}

export { VERSION };
export { formatMoney } from "./embed/card.js";
