#!/usr/bin/env bash
# tactful's one entry point, for people and for CI.
#
#   ./build.sh         set up what is missing, build, and run the demo on the sample store
#   ./build.sh build   set up what is missing and build, without the demo
#   ./build.sh test    set up what is missing, build, and run every check and test suite
#   ./build.sh bench   run the benchmarks (release build; prints numbers)
#
# Needs Rust (rustup) on the PATH. Everything else it installs itself, once.
set -euo pipefail
cd "$(dirname "$0")"

OUT=out
SNAPSHOT="$OUT/inkwell-studio.snap"
STORE=www/sample-store
CLI=target/release/tactful

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

build() {
  say "building the tactful CLI (release)"
  cargo build --release --locked --bin tactful
  mkdir -p "$OUT"
  say "compiling the sample store"
  "$CLI" compile "$STORE/store.toml" --model "$STORE/model.toml" -o "$SNAPSHOT"
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
  say "tests (unit, case files, properties, bad input, golden, CLI, docs)"
  cargo test --locked
  build
  say "smoke: the demo decisions run"
  for context in checkout lesson-completed lesson-in-progress; do
    "$CLI" decide "$SNAPSHOT" --context "$STORE/contexts/$context.json" >/dev/null
  done
  say "all tests passed"
}

setup
case "${1:-demo}" in
  demo) build; demo ;;
  build) build ;;
  test) run_tests ;;
  bench) cargo bench --locked --bench engine ;;
  *) echo "usage: ./build.sh [build|test|bench]" >&2; exit 2 ;;
esac
