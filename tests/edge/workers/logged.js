// What a store's `log` function would send on (tests/edge/log.test.mjs): each record, as the
// JSON line `JSON.stringify` makes of it, kept in the isolate and handed out at `GET /test/log`
// (and forgotten there). The wrapper's route is the test's; the worker is the package's.

/** Wraps `createEdgeWorker`: the records its `log` receives, one JSON line each. */
export function withLog(createEdgeWorker, options) {
  const lines = [];
  // A promise, as a log that sends records on would return: the worker keeps it alive.
  const worker = createEdgeWorker({ ...options, log: (record) => Promise.resolve(lines.push(JSON.stringify(record))) });
  return {
    fetch(request, env, ctx) {
      if (new URL(request.url).pathname === "/test/log") return new Response(lines.splice(0).join("\n"));
      return worker.fetch(request, env, ctx);
    },
  };
}
