# workerd config for the tactful edge worker (worker.js) in front of the demo storefront.
#
#   workerd serve www/edge/config.capnp edge    the worker on 127.0.0.1:8787, origin on :8788
#   workerd serve www/edge/config.capnp test    as the tests run it: x-tactful-now honoured, and
#                                               on :8790 the worker reaching the origin by URL,
#                                               on :8791 one whose snapshot cannot load
#   workerd serve www/edge/config.capnp bench   tactful on :8787 and the same worker without
#                                               tactful (a plain proxy) on :8789
#
# Ports are overridden on the command line (`--socket-addr http=127.0.0.1:0`,
# `--external-addr origin=127.0.0.1:PORT`); `./build.sh edge` and the tests do that.
# The modules are the files beside this config: the worker, the package's worker factory
# (tactful/edge), its edge entry, web glue and contract (`tactful/` links to `pkg/`), the .wasm
# (compiled by workerd when it loads, since the runtime compiles no bytes at run time) and the
# snapshot as a data module (an ArrayBuffer).
using Workerd = import "/workerd/workerd.capnp";

const modules :List(Workerd.Worker.Module) = [
  (name = "worker.js", esModule = embed "worker.js"),
  (name = "tactful/edge/worker.js", esModule = embed "tactful/edge/worker.js"),
  (name = "tactful/edge/tactful.js", esModule = embed "tactful/edge/tactful.js"),
  (name = "tactful/web/tactful.js", esModule = embed "tactful/web/tactful.js"),
  (name = "tactful/embed/contract.js", esModule = embed "tactful/embed/contract.js"),
  (name = "tactful_bg.wasm", wasm = embed "tactful_bg.wasm"),
  (name = "inkwell-studio.snap", data = embed "inkwell-studio.snap"),
];

# One worker, three settings. (Each is its own worker rather than an `inherit` of one: this
# workerd fails on `inherit` at start.)
const tactfulWorker :Workerd.Worker = (
  modules = .modules,
  compatibilityDate = "2025-09-01",
  bindings = [(name = "ORIGIN", service = "origin")],
);

const testWorker :Workerd.Worker = (
  modules = .modules,
  compatibilityDate = "2025-09-01",
  bindings = [(name = "ORIGIN", service = "origin"), (name = "TACTFUL_TEST_MODE", text = "on")],
);

const passthroughWorker :Workerd.Worker = (
  modules = .modules,
  compatibilityDate = "2025-09-01",
  bindings = [(name = "ORIGIN", service = "origin"), (name = "TACTFUL", text = "off")],
);

# As under wrangler: the origin by URL (ORIGIN_URL) and the global fetch(), which this config
# sends to the origin (workerd's default outbound refuses private addresses such as 127.0.0.1).
const byUrlWorker :Workerd.Worker = (
  modules = .modules,
  compatibilityDate = "2025-09-01",
  bindings = [(name = "ORIGIN_URL", text = "http://127.0.0.1:8788"), (name = "TACTFUL_TEST_MODE", text = "on")],
  globalOutbound = "origin",
);

# For the tests only: a snapshot that is not one (this config file), to show that a worker whose
# engine cannot load serves the origin's pages untouched and logs why.
const brokenSnapshotWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "tactful/edge/worker.js", esModule = embed "tactful/edge/worker.js"),
    (name = "tactful/edge/tactful.js", esModule = embed "tactful/edge/tactful.js"),
    (name = "tactful/web/tactful.js", esModule = embed "tactful/web/tactful.js"),
    (name = "tactful/embed/contract.js", esModule = embed "tactful/embed/contract.js"),
    (name = "tactful_bg.wasm", wasm = embed "tactful_bg.wasm"),
    (name = "inkwell-studio.snap", data = embed "config.capnp"),
  ],
  compatibilityDate = "2025-09-01",
  bindings = [(name = "ORIGIN", service = "origin"), (name = "TACTFUL_TEST_MODE", text = "on")],
);

const origin :Workerd.ExternalServer = (address = "127.0.0.1:8788", http = ());

const edge :Workerd.Config = (
  services = [
    (name = "tactful", worker = .tactfulWorker),
    (name = "origin", external = .origin),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "tactful")],
);

const test :Workerd.Config = (
  services = [
    (name = "tactful-test", worker = .testWorker),
    (name = "passthrough", worker = .passthroughWorker),
    (name = "by-url", worker = .byUrlWorker),
    (name = "broken-snapshot", worker = .brokenSnapshotWorker),
    (name = "origin", external = .origin),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:8787", http = (), service = "tactful-test"),
    (name = "passthrough", address = "127.0.0.1:8789", http = (), service = "passthrough"),
    (name = "byurl", address = "127.0.0.1:8790", http = (), service = "by-url"),
    (name = "broken", address = "127.0.0.1:8791", http = (), service = "broken-snapshot"),
  ],
);

const bench :Workerd.Config = (
  services = [
    (name = "tactful", worker = .tactfulWorker),
    (name = "passthrough", worker = .passthroughWorker),
    (name = "origin", external = .origin),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:8787", http = (), service = "tactful"),
    (name = "passthrough", address = "127.0.0.1:8789", http = (), service = "passthrough"),
  ],
);
