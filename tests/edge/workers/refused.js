// A storefront worker whose accept target the origin refuses (a path it answers with 404), and
// that logs decision records (its records at `GET /test/log`).
import wasm from "./tactful_bg.wasm";
import snapshot from "./inkwell-studio.snap";
import { createEdgeWorker } from "./tactful/edge/worker.js";
import { withLog } from "./logged.js";

export default withLog(createEdgeWorker, { wasm, snapshot, accept: { action: "/cart/nope", fields: { offer: "{offerId}" } }, logDecisions: true });
