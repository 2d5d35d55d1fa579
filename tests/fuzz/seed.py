"""Seed corpora for the fuzz targets from what the repository already holds: the case files'
snapshots, contexts and memory strings (target/tmp/cases/, written by `cargo test --test
cases`), the store files of tests/compile/ and the sample store, and the golden files.

    python3 tests/fuzz/seed.py <repo> <corpus dir>

Writes <corpus dir>/<target>/seed-<n>; libFuzzer grows each corpus from there.
"""
import json
import pathlib
import sys

root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
cases = root / "target/tmp/cases"
seeds = {t: [] for t in ["snapshot", "payload", "memory", "context", "decisions", "store"]}

for snap in sorted(cases.glob("*.snap")) + sorted((root / "tests/golden").glob("inkwell-v*.snap")):
    data = snap.read_bytes()
    seeds["snapshot"].append(data)
    seeds["payload"].append(data[20:])
for steps in sorted(cases.glob("*.json")):
    if steps.name == "manifest.json":
        continue
    for step in json.loads(steps.read_text())["steps"]:
        for key in ("decide", "record"):
            if key in step:
                value = step[key]
                seeds["context"].append((value if isinstance(value, str) else json.dumps(value)).encode())
        if step.get("memory"):
            seeds["memory"].append(step["memory"].encode())
        if step.get("output"):
            written = json.loads(step["output"]).get("memory")
            if written:
                seeds["memory"].append(written.encode())
for memory in (root / "tests/golden").glob("memory-*.txt"):
    seeds["memory"].append(memory.read_text().strip().encode())
for store in sorted((root / "tests/compile").glob("*.toml")) + [root / "www/sample-store/store.toml"]:
    seeds["store"].append(store.read_bytes())
# A decision, a dismissal of what it showed, decisions a minute and a day later, a purchase.
seeds["decisions"] += [bytes([0, 0, 0, 1, 0, 0, 2, 1, 0, 1, 0, 0, 64, 1, 1, 0, 3, 0, 0, 0, 1])]

for target, items in seeds.items():
    folder = out / target
    folder.mkdir(parents=True, exist_ok=True)
    for n, data in enumerate(dict.fromkeys(items)):
        (folder / f"seed-{n}").write_bytes(data)
    print(f"{target}: {len(set(items))} seeds")
