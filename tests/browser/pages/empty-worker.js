// The worker floor's worker (bare.js?worker): it answers at once and does nothing else.
postMessage("ready");
