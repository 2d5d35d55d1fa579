#!/usr/bin/env bash
# tactful's one entry point, for people and for CI.
#
#   ./build.sh         set up what is missing, build, and run the demo on the sample store
#   ./build.sh build   set up what is missing and build, without the demo
#   ./build.sh test    set up what is missing, build, and run every check and test suite
#   ./build.sh bench   run the benchmarks: native, then the npm package under Node beside its
#                      peers (GrowthBook, Flipt), then training and evaluation on the real data
#                      in ../shared/data beside the `implicit` library; prints numbers
#
# Needs Rust (rustup) and Node with npm on the PATH. Everything else it installs itself, once:
# the wasm32 target, wasm-bindgen-cli at the version in Cargo.lock, and the Node tools in
# tests/js (wasm-opt from the binaryen package) from their lock file.
set -euo pipefail
cd "$(dirname "$0")"

OUT=out
SNAPSHOT="$OUT/inkwell-studio.snap"
STORE=www/sample-store
CLI=target/release/tactful
WASM=target/wasm32-unknown-unknown/wasm/tactful.wasm
TOOLS=tests/js

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

build_wasm() {
  ensure_wasm_tools
  say "building the engine for WebAssembly"
  cargo build --locked --profile wasm --target wasm32-unknown-unknown --no-default-features --features json --lib
  rm -rf pkg
  local target dir
  for target in web nodejs; do
    dir=$([ "$target" = nodejs ] && echo node || echo web)
    wasm-bindgen --target "$target" --out-dir "pkg/$dir" --out-name tactful --remove-name-section --no-typescript "$WASM"
    "$TOOLS/node_modules/.bin/wasm-opt" -Oz "pkg/$dir/tactful_bg.wasm" -o "pkg/$dir/tactful_bg.wasm"
  done
  # wasm-bindgen writes no package.json: say which module system each folder speaks.
  echo '{ "type": "module" }' > pkg/web/package.json
  echo '{ "type": "commonjs" }' > pkg/node/package.json
  # The edge entry shares the web build's glue and .wasm, and takes a compiled module.
  mkdir -p pkg/edge
  cp pkg-config/edge.js pkg/edge/tactful.js
  echo '{ "type": "module" }' > pkg/edge/package.json
  cp pkg-config/package.json pkg-config/README.md pkg-config/LICENSE pkg-config/*.d.ts pkg/
  node "$TOOLS/sizes.mjs" pkg/web/tactful_bg.wasm pkg/web/tactful.js "$SNAPSHOT"
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
}

run_tests() {
  say "format"
  cargo fmt --check
  say "clippy (native)"
  cargo clippy --locked --all-targets -- -D warnings
  say "clippy (wasm32-unknown-unknown)"
  cargo clippy --locked --all-targets --target wasm32-unknown-unknown -- -D warnings
  cargo clippy --locked --lib --no-default-features --target wasm32-unknown-unknown -- -D warnings
  cargo clippy --locked --lib --no-default-features --features json --target wasm32-unknown-unknown -- -D warnings
  say "tests (unit, case files, properties, bad input, golden, CLI, docs)"
  cargo test --locked
  build
  # Only tests/wasm.rs runs on wasm32: the other targets need files, processes, the native-only
  # compiler or proptest (getrandom has no wasm32-unknown-unknown backend); see its docs.
  say "wasm-bindgen tests under Node (the engine compiled to wasm32)"
  cargo test --locked --target wasm32-unknown-unknown --no-default-features --features json --test wasm 2>&1 | tee target/wasm-tests.log
  grep -Eq '^test result: ok\. [1-9][0-9]* passed' target/wasm-tests.log || { echo "no wasm-bindgen test ran" >&2; exit 1; }
  say "smoke: the demo decisions run"
  for context in checkout lesson-completed lesson-in-progress; do
    "$CLI" decide "$SNAPSHOT" --context "$STORE/contexts/$context.json" >/dev/null
  done
  say "JavaScript tests against the built pkg/"
  node --test "$TOOLS"/*.test.mjs
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
  say "tactful evaluate (every protocol, on the shipped snapshots)"
  "$CLI" evaluate --data "$data" --splits target/peers/splits --json target/evaluate.json
  say "peers on the same basket splits"
  if [ ! -f target/peers/venv/.installed ] || [ tests/peers/requirements.txt -nt target/peers/venv/.installed ]; then
    python3 -m venv target/peers/venv
    target/peers/venv/bin/pip install --quiet -r tests/peers/requirements.txt
    touch target/peers/venv/.installed
  fi
  target/peers/venv/bin/python -W ignore tests/peers/peers.py target/peers/splits --json target/peers/peers.json
}

setup
case "${1:-demo}" in
  demo) build; demo ;;
  build) build ;;
  test) run_tests ;;
  bench)
    cargo bench --locked --bench engine
    # The npm package under Node, beside GrowthBook and Flipt in the same run.
    build
    npm ci --prefix tests/bench/node --no-audit --no-fund
    node tests/bench/node/bench.mjs
    bench_train
    ;;
  *) echo "usage: ./build.sh [build|test|bench]" >&2; exit 2 ;;
esac
