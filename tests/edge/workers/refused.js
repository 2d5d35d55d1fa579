// A storefront worker whose accept target the origin refuses (a path it answers with 404).
import wasm from "./tactful_bg.wasm";
import snapshot from "./inkwell-studio.snap";
import { createEdgeWorker } from "./tactful/edge/worker.js";

export default createEdgeWorker({ wasm, snapshot, accept: { action: "/cart/nope", fields: { offer: "{offerId}" } } });
