"""Peers on the same basket-completion splits as `tactful evaluate`.

`tactful evaluate --protocol basket --splits DIR` writes, per data set, `train.tsv` (one order
per line, item ids separated by tabs), `test.tsv` (the held-out item, then the basket's other
items) and `catalogue.tsv`. This script trains the `implicit` library's item-kNN models
(cosine, BM25) and ALS on `train.tsv`, ranks the whole catalogue for each test basket from its
other items (never recommending them), and prints HR@10, MRR@10 and coverage, with each
model's size: the item-item matrix as CSR (8 bytes per stored similarity plus the row index)
or the item factors. A popularity ranking (no library) is printed first as the floor. Run by `./build.sh bench`; usage: `peers.py DIR [--json OUT]`.
"""

import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from implicit.als import AlternatingLeastSquares  # noqa: E402
from implicit.nearest_neighbours import BM25Recommender, CosineRecommender  # noqa: E402

K = 10


def read_rows(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def matrix(rows, index):
    indptr, indices = [0], []
    for row in rows:
        seen = sorted({index[i] for i in row if i in index})
        indices.extend(seen)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return sp.csr_matrix((data, indices, indptr), shape=(len(rows), len(index))).tocsr()


def model_bytes(model):
    if hasattr(model, "similarity"):
        s = model.similarity.tocsr()
        return int(s.nnz * 8 + (s.shape[0] + 1) * 4)
    factors = model.item_factors
    if hasattr(factors, "to_numpy"):
        factors = factors.to_numpy()
    return int(np.asarray(factors).nbytes)


def evaluate(name, model, train, tests, targets, items):
    started = time.time()
    model.fit(train, show_progress=False)
    fit_seconds = time.time() - started
    ids, _ = model.recommend(
        np.arange(tests.shape[0]),
        tests,
        N=K,
        filter_already_liked_items=True,
        recalculate_user=True,
    )
    hits, reciprocal, seen = 0, 0.0, set()
    for row, target in zip(ids, targets):
        row = [int(i) for i in row if i >= 0]
        seen.update(row)
        if target in row:
            hits += 1
            reciprocal += 1.0 / (row.index(target) + 1)
    n = max(len(targets), 1)
    return {
        "model": name,
        "cases": len(targets),
        "hit_rate": 100.0 * hits / n,
        "mrr": 100.0 * reciprocal / n,
        "coverage": 100.0 * len(seen) / max(items, 1),
        "model_bytes": model_size(model),
        "fit_seconds": fit_seconds,
    }


class Popularity:
    """Not a library: the most bought items not in the basket, as a floor for every model."""

    def fit(self, train, show_progress=False):
        self.counts = np.asarray(train.sum(axis=0)).ravel()

    def recommend(self, users, tests, N, filter_already_liked_items, recalculate_user):
        order = np.argsort(-self.counts, kind="stable")
        rows = []
        for u in users:
            basket = set(tests[u].indices)
            rows.append([i for i in order[: N + len(basket)] if i not in basket][:N])
        return np.array(rows), None


def model_size(model):
    return model_bytes(model) if not isinstance(model, Popularity) else len(model.counts) * 4


def main():
    root = sys.argv[1]
    out = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
    results = {}
    print(f"{'data set':<22} {'model':<18} {'cases':>6} {'HR@10 %':>8} {'MRR@10 %':>9} {'cover %':>8} {'model B':>11}")
    for data in sorted(os.listdir(root)):
        folder = os.path.join(root, data)
        catalogue = [r[0] for r in read_rows(os.path.join(folder, "catalogue.tsv"))]
        index = {item: i for i, item in enumerate(catalogue)}
        train = matrix(read_rows(os.path.join(folder, "train.tsv")), index)
        cases = read_rows(os.path.join(folder, "test.tsv"))
        tests = matrix([c[1:] for c in cases], index)
        targets = [index.get(c[0], -1) for c in cases]
        rows = []
        for name, model in [
            ("popularity", Popularity()),
            ("item-kNN cosine", CosineRecommender(K=100)),
            ("item-kNN BM25", BM25Recommender(K=100)),
            ("ALS 64 factors", AlternatingLeastSquares(factors=64, iterations=15, regularization=0.05, random_state=42)),
        ]:
            r = evaluate(name, model, train, tests, targets, len(catalogue))
            rows.append(r)
            print(f"{data:<22} {name:<18} {r['cases']:>6} {r['hit_rate']:>8.2f} {r['mrr']:>9.2f} {r['coverage']:>8.2f} {r['model_bytes']:>11}")
        results[data] = rows
    if out:
        with open(out, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
