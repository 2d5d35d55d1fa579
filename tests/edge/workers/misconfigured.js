// A storefront worker with a typo in its accept template: workerd must refuse to start it.
import wasm from "./tactful_bg.wasm";
import snapshot from "./inkwell-studio.snap";
import { createEdgeWorker } from "./tactful/edge/worker.js";

export default createEdgeWorker({ wasm, snapshot, accept: "/cart/add?offer={offerID}" });
