# workerd config for tests/edge/factory.test.mjs: storefront workers made with the options the
# demo's (www/edge/worker.js) leaves out, from the package's modules in pkg/, in front of the
# demo origin. Ports come from the command line, as for www/edge/config.capnp. (Each worker
# lists its modules: a capnp list cannot be spliced into another.)
#
#   workerd serve tests/edge/factory.capnp test           workers/labelled.js on `http`,
#                                                         workers/refused.js on `refused`
#   workerd serve tests/edge/factory.capnp misconfigured  workers/misconfigured.js: must not start
using Workerd = import "/workerd/workerd.capnp";

const labelledWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "workers/labelled.js"),
    (name = "logged.js", esModule = embed "workers/logged.js"),
    (name = "tactful/edge/worker.js", esModule = embed "../../pkg/edge/worker.js"),
    (name = "tactful/edge/tactful.js", esModule = embed "../../pkg/edge/tactful.js"),
    (name = "tactful/web/tactful.js", esModule = embed "../../pkg/web/tactful.js"),
    (name = "tactful/embed/contract.js", esModule = embed "../../pkg/embed/contract.js"),
    (name = "tactful_bg.wasm", wasm = embed "../../pkg/web/tactful_bg.wasm"),
    (name = "inkwell-studio.snap", data = embed "../../out/inkwell-studio.snap"),
  ],
  compatibilityDate = "2025-09-01",
  bindings = [(name = "SHOP", service = "origin"), (name = "TACTFUL_TEST_MODE", text = "on")],
);

const refusedWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "workers/refused.js"),
    (name = "logged.js", esModule = embed "workers/logged.js"),
    (name = "tactful/edge/worker.js", esModule = embed "../../pkg/edge/worker.js"),
    (name = "tactful/edge/tactful.js", esModule = embed "../../pkg/edge/tactful.js"),
    (name = "tactful/web/tactful.js", esModule = embed "../../pkg/web/tactful.js"),
    (name = "tactful/embed/contract.js", esModule = embed "../../pkg/embed/contract.js"),
    (name = "tactful_bg.wasm", wasm = embed "../../pkg/web/tactful_bg.wasm"),
    (name = "inkwell-studio.snap", data = embed "../../out/inkwell-studio.snap"),
  ],
  compatibilityDate = "2025-09-01",
  bindings = [(name = "ORIGIN", service = "origin"), (name = "TACTFUL_TEST_MODE", text = "on")],
);

const misconfiguredWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "workers/misconfigured.js"),
    (name = "tactful/edge/worker.js", esModule = embed "../../pkg/edge/worker.js"),
    (name = "tactful/edge/tactful.js", esModule = embed "../../pkg/edge/tactful.js"),
    (name = "tactful/web/tactful.js", esModule = embed "../../pkg/web/tactful.js"),
    (name = "tactful/embed/contract.js", esModule = embed "../../pkg/embed/contract.js"),
    (name = "tactful_bg.wasm", wasm = embed "../../pkg/web/tactful_bg.wasm"),
    (name = "inkwell-studio.snap", data = embed "../../out/inkwell-studio.snap"),
  ],
  compatibilityDate = "2025-09-01",
  bindings = [(name = "ORIGIN", service = "origin")],
);

const origin :Workerd.ExternalServer = (address = "127.0.0.1:8788", http = ());

const test :Workerd.Config = (
  services = [
    (name = "labelled", worker = .labelledWorker),
    (name = "refused", worker = .refusedWorker),
    (name = "origin", external = .origin),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:8792", http = (), service = "labelled"),
    (name = "refused", address = "127.0.0.1:8793", http = (), service = "refused"),
  ],
);

const misconfigured :Workerd.Config = (
  services = [
    (name = "misconfigured", worker = .misconfiguredWorker),
    (name = "origin", external = .origin),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8794", http = (), service = "misconfigured")],
);
