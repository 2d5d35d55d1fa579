// The demo storefront's edge worker: the package's factory (`tactful/edge`, whose source is
// pkg-config/edge-worker.js, with its design and limits) for the sample store, in front of the
// demo origin (www/storefront), which takes the card's Add as its own add-to-cart form post.
// The files beside this one are links into pkg/ and out/ (./build.sh build makes them); the
// origin comes from the environment: an ORIGIN service binding (config.capnp) or ORIGIN_URL
// (wrangler.toml). www/docs/edge.md shows the same worker made from the installed package.
import wasm from "./tactful_bg.wasm";
import snapshot from "./inkwell-studio.snap";
import { createEdgeWorker } from "./tactful/edge/worker.js";

export default createEdgeWorker({
  wasm,
  snapshot,
  accept: { action: "/cart/add", method: "post", fields: { offer: "{offerId}" } },
});
