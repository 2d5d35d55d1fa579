"""scikit-learn's logistic regression on the split and features `tactful train --outcomes` uses.

The Charles Book Club upsell data (the training page's example): the outcome `Florence`, the
features R, F, ArtBks, ChildBks, CookBks and Gender as they are (tactful reads them as
`facts.*`, which enter the engine untransformed), the oldest 80% of rows in file order to fit
and the newest 20% to score. Features are standardised on the fitting rows and the L2 penalty
is tactful's (`1e-3` on the mean loss, so `C = 1 / (1e-3 * rows)`). Prints the held-out AUC
beside the one `tactful train` prints. Run by `./build.sh bench`; usage:
`readiness.py CSV [TACTFUL] [--json OUT]`.
"""

import csv
import gzip
import json
import re
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

OUTCOME = "Florence"
FEATURES = {
    "R": "facts.months_since_purchase",
    "F": "facts.orders",
    "ArtBks": "facts.art_books",
    "ChildBks": "facts.child_books",
    "CookBks": "facts.cook_books",
    "Gender": "facts.gender",
}
L2 = 1e-3


def main():
    args = list(sys.argv[1:])
    out = None
    if "--json" in args:
        at = args.index("--json")
        out = args[at + 1]
        del args[at : at + 2]
    path = args[0]
    tactful = args[1] if len(args) > 1 else None
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    x = np.array([[float(r[c]) for c in FEATURES] for r in rows])
    y = np.array([int(r[OUTCOME]) for r in rows])
    cut = len(rows) * 4 // 5
    mean, sd = x[:cut].mean(axis=0), x[:cut].std(axis=0)
    sd[sd < 1e-12] = 1.0
    z = (x - mean) / sd
    model = LogisticRegression(C=1.0 / (L2 * cut), max_iter=10_000).fit(z[:cut], y[:cut])
    sklearn_auc = roc_auc_score(y[cut:], model.decision_function(z[cut:]))
    result = {"rows": len(rows), "held_out": len(rows) - cut, "sklearn_auc": sklearn_auc}
    print(f"readiness, {len(rows)} rows, newest {len(rows) - cut} held out: scikit-learn LogisticRegression AUC {sklearn_auc:.4f}")
    if tactful:
        features = ",".join(f"{c}={f}" for c, f in FEATURES.items())
        with tempfile.TemporaryDirectory() as tmp:
            printed = subprocess.run(
                [tactful, "train", "--outcomes", path, "--columns", f"outcome={OUTCOME}", "--features", features, "-o", f"{tmp}/model.toml"],
                check=True, capture_output=True, text=True,
            ).stdout
        found = re.search(r"held-out AUC ([0-9.]+)", printed)
        result["tactful_auc"] = float(found.group(1)) if found else None
        print(f"{'':<41}tactful train --outcomes AUC {result['tactful_auc']:.3f}")
    if out:
        with open(out, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
