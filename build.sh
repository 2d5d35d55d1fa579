#!/usr/bin/env bash
# tactful's one entry point, for people and for CI.
#
#   ./build.sh         set up what is missing, build, run the CLI demo on the sample store, then
#                      serve the browser demos (www/) on 127.0.0.1 until Ctrl-C (PORT=8080)
#   ./build.sh build   set up what is missing and build, without the demo
#   ./build.sh check   format, clippy (native and wasm32), the docs and the native tests: the
#                      loop a contributor runs every few minutes (no Node, no Chromium)
#   ./build.sh test    set up what is missing, build, and run every check and test suite,
#                      including the end-to-end tests in headless Chromium
#   ./build.sh bench   run the benchmarks: native (decisions, email batches of generated
#                      customer lists, `tactful report` on 10 million exposure lines), then
#                      the npm package under Node beside its
#                      peers (GrowthBook, Flipt), the embed's cost to the page in Chromium,
#                      the edge worker on workerd, then training and evaluation on the real
#                      data in ../shared/data beside the `implicit` library; prints numbers
#   ./build.sh edge    start the demo storefront behind the edge worker (workerd) on 127.0.0.1
#   ./build.sh fuzz [seconds] [targets...]
#                      run the fuzz targets of tests/fuzz (cargo-fuzz on the nightly toolchain,
#                      both installed once) for that many seconds each (default 60), seeded
#                      from the case files; prints executions and findings per target.
#                      TACTFUL_FUZZ_SANITIZER=none builds without AddressSanitizer (the
#                      crate has no unsafe code; the long runs go 3-10 times faster)
#
# Needs Rust (rustup) and Node with npm on the PATH. Everything else it installs itself, once:
# the wasm32 target, wasm-bindgen-cli at the version in Cargo.lock, the Node tools in
# tests/js (wasm-opt from the binaryen package, esbuild), tests/browser (playwright-core) and
# tests/bundlers (Vite, esbuild, for the recipes' tests) from their lock files, and, for the
# browser tests, Chromium from the system's packages (apt-get).
set -euo pipefail
cd "$(dirname "$0")"

OUT=out
SNAPSHOT="$OUT/inkwell-studio.snap"
STORE=www/sample-store
CLI=target/release/tactful
WASM=target/wasm32-unknown-unknown/wasm/tactful.wasm
WASM_NODE=target/wasm32-unknown-unknown/wasm-node/tactful.wasm
TOOLS=tests/js
BROWSER_TESTS=tests/browser
CHROMIUM=${TACTFUL_CHROMIUM:-/usr/bin/chromium}

say() { printf '\n==> %s\n' "$*"; }

setup() {
  command -v cargo >/dev/null || { echo "cargo not found: install Rust from https://rustup.rs" >&2; exit 1; }
  if command -v rustup >/dev/null; then
    local installed
    installed=$(rustup component list --installed 2>/dev/null || true)
    for component in clippy rustfmt; do
      grep -q "^$component" <<<"$installed" || rustup component add "$component"
    done
    # The engine must also lint clean for the browser and edge target.
    rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
  fi
}

ensure_wasm_tools() {
  command -v node >/dev/null && command -v npm >/dev/null || { echo "node and npm are needed for the wasm package" >&2; exit 1; }
  local want
  want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
  if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$want" ]; then
    say "installing wasm-bindgen-cli $want (once; a few minutes)"
    cargo install wasm-bindgen-cli --version "$want"
  fi
  if [ ! -x "$TOOLS/node_modules/.bin/wasm-opt" ] || [ "$TOOLS/package-lock.json" -nt "$TOOLS/node_modules/.package-lock.json" ]; then
    say "installing the Node tools (npm ci in $TOOLS)"
    npm ci --prefix "$TOOLS" --no-audit --no-fund
  fi
}

# The browser tests drive the system's Chromium through playwright-core, which downloads no
# browser of its own; Chromium comes from the distribution's packages.
ensure_chromium() {
  if [ ! -x "$CHROMIUM" ]; then
    command -v apt-get >/dev/null || { echo "no Chromium at $CHROMIUM and no apt-get: install Chromium, or set TACTFUL_CHROMIUM" >&2; exit 1; }
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    say "installing Chromium (apt-get install chromium chromium-driver; once)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
  if [ ! -d "$BROWSER_TESTS/node_modules/playwright-core" ] || [ "$BROWSER_TESTS/package-lock.json" -nt "$BROWSER_TESTS/node_modules/.package-lock.json" ]; then
    say "installing the browser test tools (npm ci in $BROWSER_TESTS)"
    npm ci --prefix "$BROWSER_TESTS" --no-audit --no-fund
  fi
}

# The bundlers of www/docs/bundlers.md's recipes (Vite, esbuild), from tests/bundlers' lock file.
ensure_bundler_tools() {
  if [ ! -d tests/bundlers/node_modules/vite ] || [ tests/bundlers/package-lock.json -nt tests/bundlers/node_modules/.package-lock.json ]; then
    say "installing the bundlers for the recipes' tests (npm ci in tests/bundlers)"
    npm ci --prefix tests/bundlers --no-audit --no-fund
  fi
}

build_wasm() {
  ensure_wasm_tools
  # Two builds of one source (Cargo.toml's `wasm` and `wasm-node` profiles): what pages and
  # edge workers download, for size (opt-level "z", the inliner's threshold raised from z's 5
  # to 25: 7% faster for 0.8 KB, 0.4.3); and what the Node entry loads from disk, for speed
  # (opt-level 3 and LLVM's own inliner: a quarter faster, 18 KB larger gzip, 0.5.2). Each sets
  # its own RUSTFLAGS, so a flag in the environment cannot make the two differ unseen.
  say "building the engine for WebAssembly: the web build (size), then the Node build (speed)"
  RUSTFLAGS="-Cllvm-args=-inline-threshold=25" cargo build --locked --profile wasm --target wasm32-unknown-unknown --no-default-features --lib
  RUSTFLAGS="" cargo build --locked --profile wasm-node --target wasm32-unknown-unknown --no-default-features --lib
  rm -rf pkg
  local target dir
  for target in web nodejs; do
    dir=$([ "$target" = nodejs ] && echo node || echo web)
    local module="$WASM" level=-Oz
    [ "$target" = nodejs ] && module="$WASM_NODE" level=-O3
    wasm-bindgen --target "$target" --out-dir "pkg/$dir" --out-name tactful --remove-name-section --no-typescript "$module"
    # --low-memory-unused: rustc lays the stack first (1 MiB, growing down) and the data after
    # it, so the low 1 KiB is never addressed and wasm-opt may fold constant offsets into loads
    # and stores: 392 bytes less gzip and 1-2% faster decisions under Node (0.5.1).
    "$TOOLS/node_modules/.bin/wasm-opt" "$level" --low-memory-unused "pkg/$dir/tactful_bg.wasm" -o "pkg/$dir/tactful_bg.wasm"
  done
  # wasm-bindgen writes no package.json: say which module system each folder speaks.
  echo '{ "type": "module" }' > pkg/web/package.json
  echo '{ "type": "commonjs" }' > pkg/node/package.json
  # `engine.decide` builds the decision from its tape (pkg-config/decision.js), in both glues.
  # The browser's glue ships minified, as every page that runs the engine downloads it (6.1 →
  # 3.9 KB gzip); Node's stays as wasm-bindgen writes it, readable where it is debugged.
  cat pkg-config/decision.js >> pkg/web/tactful.js
  "$TOOLS/node_modules/.bin/esbuild" pkg/web/tactful.js --minify --format=esm --log-level=warning --outfile=pkg/web/tactful.min.js
  mv pkg/web/tactful.min.js pkg/web/tactful.js
  cat pkg-config/decision.js >> pkg/node/tactful.js
  # Node's build needs no init(); it gets a no-op one, and an ES module entry over the same
  # instance, so browser code runs unchanged under Node.
  cat pkg-config/node-init.cjs >> pkg/node/tactful.js
  cp pkg-config/node.mjs pkg/node/tactful.mjs
  # The edge entry shares the web build's glue and .wasm, and takes a compiled module.
  mkdir -p pkg/edge
  cp pkg-config/edge.js pkg/edge/tactful.js
  # The storefront worker's factory (tactful/edge) beside it; it imports the contract from embed/.
  cp pkg-config/edge-worker.js pkg/edge/worker.js
  echo '{ "type": "module" }' > pkg/edge/package.json
  # The embed script (tactful/embed) runs the engine in its worker, which imports the web
  # build's glue next to it; both ship minified by esbuild (every page downloads and compiles
  # them; the readable source is pkg-config/). The embed bundles the contract it shares with
  # the edge worker's factory (which imports it from embed/); the worker module stays separate.
  mkdir -p pkg/embed
  "$TOOLS/node_modules/.bin/esbuild" pkg-config/embed.js --bundle --external:./embed-worker.js --external:./embed-debug.js --minify --format=esm --target=es2022 --log-level=warning --outfile=pkg/embed/embed.js
  "$TOOLS/node_modules/.bin/esbuild" pkg-config/embed-worker.js --minify --format=esm --target=es2022 --log-level=warning --outfile=pkg/embed/embed-worker.js
  # Debugging (every decision logged, the overlay), fetched by the embed only when it is on.
  "$TOOLS/node_modules/.bin/esbuild" pkg-config/embed-debug.js --bundle --minify --format=esm --target=es2022 --log-level=warning --outfile=pkg/embed/embed-debug.js
  cp pkg-config/contract.js pkg/embed/contract.js
  echo '{ "type": "module" }' > pkg/embed/package.json
  # The card's stylesheet as a file (tactful/card.css), written from the contract's CARD_CSS,
  # headed by the custom properties that theme it. Read from the copy under pkg/embed/, whose
  # package.json says it is an ES module (pkg-config/'s is the published manifest, which says
  # nothing of the kind, and Node warned that it had to guess).
  node --input-type=module -e '
    import { CARD_CSS, CARD_CSS_VARIABLES } from "./pkg/embed/contract.js";
    const themed = Object.entries(CARD_CSS_VARIABLES).map(([name, [value, sets]]) => `   ${name}: ${sets} (default ${value})`);
    process.stdout.write(`/* tactful'"'"'s offer card. Theme it on the slot or any ancestor:\n${themed.join("\n")}\n*/\n${CARD_CSS.trimStart()}`);
  ' > pkg/embed/card.css
  cp pkg-config/package.json pkg-config/README.md pkg-config/LICENSE pkg-config/*.d.ts pkg/
  node "$TOOLS/sizes.mjs" pkg/web/tactful_bg.wasm pkg/node/tactful_bg.wasm pkg/web/tactful.js pkg/embed/embed.js pkg/embed/embed-worker.js "$SNAPSHOT"
}

build() {
  say "building the tactful CLI (release)"
  cargo build --release --locked --bin tactful
  mkdir -p "$OUT"
  say "compiling the sample store"
  "$CLI" compile "$STORE/store.toml" --model "$STORE/model.toml" -o "$SNAPSHOT"
  build_wasm
}

demo() {
  say "the sample snapshot"
  "$CLI" inspect "$SNAPSHOT"
  for context in checkout lesson-completed lesson-in-progress; do
    say "decide: $STORE/contexts/$context.json"
    "$CLI" decide "$SNAPSHOT" --context "$STORE/contexts/$context.json" --explain
  done
  say "done: the full decision JSON is ./target/release/tactful decide $SNAPSHOT --context $STORE/contexts/checkout.json --pretty"
  say "the browser demos (www/, with pkg/ and out/), under the strict CSP"
  exec node www/serve.mjs --port "${PORT:-8080}"
}

# The edge worker's tools (workerd, autocannon, a link to pkg/) from tests/edge's lock file.
ensure_edge_tools() {
  if [ ! -x tests/edge/node_modules/.bin/workerd ] || [ tests/edge/package-lock.json -nt tests/edge/node_modules/.package-lock.json ]; then
    say "installing the edge tools (npm ci in tests/edge)"
    npm ci --prefix tests/edge --no-audit --no-fund
  fi
}

# The demo storefront (www/storefront) with the edge worker (www/edge) in front, on 127.0.0.1,
# until Ctrl-C. EDGE_PORT and ORIGIN_PORT choose the ports (8787, 8788).
edge() {
  [ -f pkg/web/tactful_bg.wasm ] && [ -f "$SNAPSHOT" ] || build
  ensure_edge_tools
  local edge_port=${EDGE_PORT:-8787} origin_port=${ORIGIN_PORT:-8788} origin_pid workerd_pid
  node www/storefront/server.mjs "$origin_port" &
  origin_pid=$!
  tests/edge/node_modules/.bin/workerd serve www/edge/config.capnp edge \
    --socket-addr "http=127.0.0.1:$edge_port" --external-addr "origin=127.0.0.1:$origin_port" &
  workerd_pid=$!
  trap "kill $workerd_pid $origin_pid 2>/dev/null" EXIT INT TERM
  local tries=0
  until node -e 'fetch(process.argv[1]).then((r) => r.arrayBuffer()).then(() => process.exit(0), () => process.exit(1))' "http://127.0.0.1:$edge_port/"; do
    tries=$((tries + 1))
    [ "$tries" -lt 100 ] || { echo "workerd did not start" >&2; exit 1; }
    sleep 0.2
  done
  say "the storefront through the edge worker: http://127.0.0.1:$edge_port/checkout (origin: http://127.0.0.1:$origin_port/; Ctrl-C stops both)"
  wait "$workerd_pid"
}

edge_tests() {
  ensure_edge_tools
  ensure_chromium # with-browser.test.mjs browses the storefront through workerd in Chromium
  say "the edge worker on workerd, end to end"
  node --test tests/edge/*.test.mjs
}

# What needs only Rust: the habits a contributor keeps between commits, and the first half of
# `test`.
check() {
  say "format"
  cargo fmt --check
  say "clippy (native)"
  cargo clippy --locked --all-targets -- -D warnings
  say "clippy (wasm32-unknown-unknown)"
  cargo clippy --locked --all-targets --target wasm32-unknown-unknown -- -D warnings
  cargo clippy --locked --lib --no-default-features --target wasm32-unknown-unknown -- -D warnings
  # The module docs are the specification: a broken link in them is a failure. Once as a user
  # sees them, once with the private modules a contributor reads.
  say "docs (warnings denied)"
  RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps
  RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --document-private-items
  say "tests (unit, case files, properties, bad input, golden, CLI, docs)"
  cargo test --locked
}

run_tests() {
  check
  build
  # Only tests/wasm.rs runs on wasm32: the other targets need files, processes, the native-only
  # compiler or proptest (getrandom has no wasm32-unknown-unknown backend); see its docs.
  say "wasm-bindgen tests under Node (the engine compiled to wasm32)"
  cargo test --locked --target wasm32-unknown-unknown --no-default-features --test wasm 2>&1 | tee target/wasm-tests.log
  grep -Eq '^test result: ok\. [1-9][0-9]* passed' target/wasm-tests.log || { echo "no wasm-bindgen test ran" >&2; exit 1; }
  say "smoke: the demo decisions run"
  for context in checkout lesson-completed lesson-in-progress; do
    "$CLI" decide "$SNAPSHOT" --context "$STORE/contexts/$context.json" >/dev/null
  done
  say "JavaScript tests against the built pkg/"
  node --test "$TOOLS"/*.test.mjs
  say "end-to-end tests in headless Chromium (screenshots in target/screenshots/)"
  ensure_chromium
  node --test "$BROWSER_TESTS"/*.test.mjs
  say "the bundler recipes (Vite, esbuild) built as written, in headless Chromium"
  ensure_bundler_tools
  node --test tests/bundlers/*.test.mjs
  edge_tests
  say "the docs: every block of README.md and www/docs/ run as written"
  node --test tests/docs/*.test.mjs
  # Last and alone: it runs ./build.sh itself, which rebuilds pkg/ under the other suites.
  node --test tests/docs/first-commands.mjs
  say "all tests passed"
}

# `tactful train` on 1,000,000 real order lines (timed), `tactful evaluate` on every protocol,
# and the peers (the `implicit` library, in its own venv under target/peers) on the same splits.
bench_train() {
  local data=../shared/data
  [ -f "$data/README.md" ] || { echo "no data at $data: the training benchmark needs it" >&2; exit 1; }
  cargo build --release --locked --bin tactful
  mkdir -p target/bench
  say "tactful train on 1,000,000 order lines (Instacart's real baskets, 31 copies)"
  python3 tests/bench/orders_1m.py "$data" target/bench/orders-1m.csv
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "wall %e s, peak memory %M KB" "$CLI" train --orders target/bench/orders-1m.csv -o target/bench/model-1m.toml
  else
    "$CLI" train --orders target/bench/orders-1m.csv -o target/bench/model-1m.toml
  fi
  say "tactful evaluate (every protocol, on the shipped snapshots; session settings tuned on validation)"
  # --tune: the session settings are chosen on a validation split cut from the training data.
  "$CLI" evaluate --data "$data" --tune --splits target/peers/splits --json target/evaluate.json
  say "peers on the same basket splits"
  if [ ! -f target/peers/venv/.installed ] || [ tests/peers/requirements.txt -nt target/peers/venv/.installed ]; then
    python3 -m venv target/peers/venv
    target/peers/venv/bin/pip install --quiet -r tests/peers/requirements.txt
    touch target/peers/venv/.installed
  fi
  target/peers/venv/bin/python -W ignore tests/peers/peers.py target/peers/splits --json target/peers/peers.json
  say "readiness: scikit-learn's logistic regression on the split and features tactful train uses"
  target/peers/venv/bin/python -W ignore tests/peers/scores.py "$data" "$CLI" --json target/peers/scores.json
}

FUZZ_TARGETS=(snapshot payload memory context decisions store)

# libFuzzer through cargo-fuzz, which needs a nightly toolchain (from rustup, like the rest).
# Corpora and crashes stay under target/fuzz/; a crash is a finding to fix and keep in
# tests/fuzz/findings/ (see its README), and fails this command. AddressSanitizer (cargo-fuzz's
# default) guards unsafe code, which the crate has none of (`unsafe_code` is forbidden), only
# its dependencies: TACTFUL_FUZZ_SANITIZER=none trades that for speed in long runs.
fuzz() {
  local seconds=${1:-60}
  shift || true
  local targets=("$@")
  [ ${#targets[@]} -gt 0 ] || targets=("${FUZZ_TARGETS[@]}")
  rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
  command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
  say "seeding the corpora from the case files"
  cargo test --locked --test cases >/dev/null
  python3 tests/fuzz/seed.py . target/fuzz/corpus
  local summary="" failed=0 target log runs secs findings
  for target in "${targets[@]}"; do
    say "fuzzing $target for ${seconds}s"
    mkdir -p "target/fuzz/artifacts/$target"
    log="target/fuzz/$target.log"
    if ! cargo +nightly fuzz run --sanitizer "${TACTFUL_FUZZ_SANITIZER:-address}" --fuzz-dir tests/fuzz "$target" "target/fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="target/fuzz/artifacts/$target/" >"$log" 2>&1; then
      tail -30 "$log" >&2
      failed=1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    findings=$(find "target/fuzz/artifacts/$target" -type f | wc -l)
    summary+=$(printf '%-10s %12s executions in %5ss, %s finding(s)' "$target" "${runs:-?}" "${secs:-?}" "$findings")$'\n'
  done
  say "fuzzing summary"
  printf '%s' "$summary"
  [ "$failed" = 0 ] || { echo "a fuzz target failed: see target/fuzz/<target>.log and target/fuzz/artifacts/" >&2; exit 1; }
}

setup
case "${1:-demo}" in
  demo) build; demo ;;
  build) build ;;
  check) check ;;
  test) run_tests ;;
  bench)
    cargo bench --locked --bench engine
    # `tactful batch` on 250,000 and 1,000,000 generated customers: time, throughput, peak RSS.
    cargo bench --locked --bench batch
    # `tactful report` on 10 million exposure lines (written once under target/bench/report/).
    cargo build --release --locked --bin tactful
    cargo bench --locked --bench report
    cargo bench --locked --bench replay
    # The npm package under Node, beside GrowthBook and Flipt in the same run.
    build
    npm ci --prefix tests/bench/node --no-audit --no-fund
    node tests/bench/node/bench.mjs
    # The embed's cost to the page, in Chromium with 4x CPU throttling, beside a peer widget.
    ensure_chromium
    node "$BROWSER_TESTS/bench.mjs"
    # The edge worker on workerd, with and without tactful, in the same run.
    ensure_edge_tools
    node tests/edge/bench.mjs
    # Training on 1M order lines, and evaluation on the real data beside its peers.
    bench_train
    ;;
  edge) edge ;;
  fuzz) shift; fuzz "$@" ;;
  *) echo "usage: ./build.sh [build|check|test|bench|edge|fuzz]" >&2; exit 2 ;;
esac
