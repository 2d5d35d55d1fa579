"""scikit-learn's logistic regression on the splits and features `tactful train` uses for scores.

Two real data sets, each fitted on the oldest 80% of rows in file order and scored on the
newest 20%, as `tactful train` does:
- readiness (`--outcomes`): the Charles Book Club upsell data (the training page's example),
  the outcome `Florence`, the features R, F, ArtBks, ChildBks, CookBks and Gender;
- risk (`--risk-outcomes`): the Open University students, the outcome "final result is
  Withdrawn", the features num_of_prev_attempts, studied_credits and disability (Y/N as 1/0).
Every feature is a `facts.*` for tactful, which enters the engine untransformed. Features are
standardised on the fitting rows and the L2 penalty is tactful's (`1e-3` on the mean loss, so
`C = 1 / (1e-3 * rows)`). Prints each held-out AUC beside the one `tactful train` prints. Run
by `./build.sh bench`; usage: `scores.py DATA_DIR [TACTFUL] [--json OUT]`.
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

L2 = 1e-3
CASES = [
    {
        "score": "readiness",
        "file": "dmba/CharlesBookClub.csv.gz",
        "option": "--outcomes",
        "outcome": ("outcome", "Florence", None),
        "features": {
            "R": "facts.months_since_purchase",
            "F": "facts.orders",
            "ArtBks": "facts.art_books",
            "ChildBks": "facts.child_books",
            "CookBks": "facts.cook_books",
            "Gender": "facts.gender",
        },
    },
    {
        "score": "risk",
        "file": "oulad/studentInfo.csv.gz",
        "option": "--risk-outcomes",
        "outcome": ("regret", "final_result", "Withdrawn"),
        "features": {
            "num_of_prev_attempts": "facts.previous_attempts",
            "studied_credits": "facts.credits",
            "disability": "facts.disability",
        },
    },
]


FLAGS = {"y": 1.0, "yes": 1.0, "true": 1.0, "n": 0.0, "no": 0.0, "false": 0.0}


def number(text):
    """A feature value as `tactful train` reads it: a number, or a flag as 1 or 0."""
    word = text.strip().lower()
    return FLAGS[word] if word in FLAGS else float(text)


def run(case, data, tactful):
    with gzip.open(f"{data}/{case['file']}", "rt", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    role, column, positive = case["outcome"]
    x = np.array([[number(r[c]) for c in case["features"]] for r in rows])
    if positive is None:
        y = np.array([int(r[column]) for r in rows])
    else:
        y = np.array([int(r[column].lower() == positive.lower()) for r in rows])
    cut = len(rows) * 4 // 5
    mean, sd = x[:cut].mean(axis=0), x[:cut].std(axis=0)
    sd[sd < 1e-12] = 1.0
    z = (x - mean) / sd
    model = LogisticRegression(C=1.0 / (L2 * cut), max_iter=10_000).fit(z[:cut], y[:cut])
    result = {
        "rows": len(rows),
        "held_out": len(rows) - cut,
        "sklearn_auc": roc_auc_score(y[cut:], model.decision_function(z[cut:])),
    }
    print(f"{case['score']}, {len(rows)} rows, newest {len(rows) - cut} held out: scikit-learn LogisticRegression AUC {result['sklearn_auc']:.4f}")
    if tactful:
        features = ",".join(f"{c}={f}" for c, f in case["features"].items())
        outcome = column if positive is None else f"{column}=={positive}"
        with tempfile.TemporaryDirectory() as tmp:
            printed = subprocess.run(
                [tactful, "train", case["option"], f"{data}/{case['file']}", "--columns", f"{role}={outcome}",
                 "--features", features, "-o", f"{tmp}/model.toml"],
                check=True, capture_output=True, text=True,
            ).stdout
        found = re.search(r"held-out AUC ([0-9.]+)", printed)
        result["tactful_auc"] = float(found.group(1)) if found else None
        print(f"{'':<{len(case['score']) + 2}}tactful train {case['option']} AUC {result['tactful_auc']:.3f}")
    return result


def main():
    args = list(sys.argv[1:])
    out = None
    if "--json" in args:
        at = args.index("--json")
        out = args[at + 1]
        del args[at : at + 2]
    data = args[0]
    tactful = args[1] if len(args) > 1 else None
    results = {case["score"]: run(case, data, tactful) for case in CASES}
    if out:
        with open(out, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
