// A storefront worker made with every option the demo's leaves out (tests/edge/factory.capnp):
// labels over the English texts, prices in the store's locale, Add as a link template, the origin
// as a named service binding, and a `log` function (its records at `GET /test/log`).
import wasm from "./tactful_bg.wasm";
import snapshot from "./inkwell-studio.snap";
import { createEdgeWorker } from "./tactful/edge/worker.js";
import { withLog } from "./logged.js";

export default withLog(createEdgeWorker, {
  wasm,
  snapshot,
  accept: "/cart/add?offer={offerId}&from=edge",
  origin: { binding: "SHOP" },
  labels: { heading: { checkout: "Before you pay" }, accept: "Add to order", dismiss: "Not now", dismissHint: "hide" },
  formatPrice: (minor, currency) => `${Math.trunc(minor / 100)},${String(minor % 100).padStart(2, "0")} ${currency}`,
});
