#!/usr/bin/python3
"""Golden numbers for classify/evaluate, computed with scikit-learn.

Writes test/fixtures/golden/classify/metrics.json and knn.json. Run from the repository root:

    /usr/bin/python3 scripts/golden/classify_golden.py

metrics.json: for several (y_true, y_pred) pairs, sklearn's f1_score(average="macro"),
precision_recall_fscore_support(average=None), confusion_matrix and accuracy_score, all with
default arguments (labels = union of both vectors; zero division scores 0).

knn.json: KNeighborsClassifier(n_neighbors=10, weights="distance", algorithm="brute")
predictions on small splits of iris, wine and a synthetic 6-class set. Features are cast to
float32 first (the pipeline's matrix type) and the float32 values are what sklearn sees, so
both sides start from identical numbers. Each test query carries `ambiguous`: true when its
10th and 11th neighbour distances tie, or its two best class weights tie, i.e. when a
different but equally exact engine may predict differently.
"""
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import load_iris, load_wine
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.neighbors import KNeighborsClassifier

OUT = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "golden" / "classify"
K = 10
TIE_RTOL = 1e-9


def metric_case(name, y_true, y_pred):
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    labels = np.unique(np.concatenate([y_true, y_pred]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        p, r, f, s = precision_recall_fscore_support(y_true, y_pred)
        macro = f1_score(y_true, y_pred, average="macro")
    return {
        "name": name,
        "y_true": y_true.tolist(),
        "y_pred": y_pred.tolist(),
        "labels": labels.tolist(),
        "macro_f1": float(macro),
        "precision": p.tolist(),
        "recall": r.tolist(),
        "f1": f.tolist(),
        "support": s.tolist(),
        "confusion": confusion_matrix(y_true, y_pred).tolist(),
        "accuracy": float(accuracy_score(y_true, y_pred)),
    }


def metric_cases():
    rng = np.random.default_rng(7)
    truth = rng.integers(0, 6, size=400)
    noisy = np.where(rng.random(400) < 0.3, rng.integers(0, 6, size=400), truth)
    return [
        metric_case("perfect", [0, 1, 2, 3, 4, 5, 0, 1], [0, 1, 2, 3, 4, 5, 0, 1]),
        metric_case("class only in prediction", [0, 0, 1, 1, 2, 2], [0, 5, 1, 1, 2, 0]),
        metric_case("class never predicted", [0, 1, 2, 3, 3, 3], [0, 1, 2, 0, 0, 1]),
        metric_case("both kinds of missing class", [1, 1, 2, 2, 4, 4, 4], [1, 3, 2, 2, 1, 1, 3]),
        metric_case("single class in truth", [3, 3, 3, 3], [3, 3, 0, 3]),
        metric_case("all wrong", [0, 1, 2, 0, 1, 2], [1, 2, 0, 2, 0, 1]),
        metric_case("noisy 6-class 400", truth, noisy),
        metric_case("gapped codes", [0, 2, 5, 5, 2, 0, 5], [0, 5, 5, 2, 2, 2, 5]),
    ]


def split_rows(n, test_fraction, seed):
    order = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def knn_case(name, X, y, seed):
    X32 = np.asarray(X, dtype=np.float32)
    train, test = split_rows(len(y), 0.3, seed)
    clf = KNeighborsClassifier(n_neighbors=K, weights="distance", algorithm="brute")
    clf.fit(X32[train].astype(np.float64), y[train])
    Xq = X32[test].astype(np.float64)
    pred = clf.predict(Xq)
    return {
        "name": name,
        "dims": int(X32.shape[1]),
        # float32 values printed as the shortest float64 repr: exact when read back into a Float32Array
        "data": [float(v) for v in X32.ravel()],
        "labels": y.astype(int).tolist(),
        "train": train.tolist(),
        "test": test.tolist(),
        "predicted": pred.astype(int).tolist(),
        "ambiguous": ambiguous_queries(clf, Xq).tolist(),
        "macro_f1": float(f1_score(y[test], pred, average="macro")),
    }


def ambiguous_queries(clf, Xq):
    dist, _ = clf.kneighbors(Xq, n_neighbors=K + 1)
    boundary_tie = np.isclose(dist[:, K - 1], dist[:, K], rtol=TIE_RTOL, atol=0)
    proba = np.sort(clf.predict_proba(Xq), axis=1)
    vote_tie = np.isclose(proba[:, -1], proba[:, -2], rtol=TIE_RTOL, atol=1e-12)
    return boundary_tie | vote_tie


def synthetic(seed):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2.0, size=(6, 12))
    y = rng.integers(0, 6, size=500)
    X = centres[y] + rng.normal(0, 1.5, size=(500, 12))
    # a few exact duplicates of training-like rows: zero distances must win outright
    X[490:] = X[:10]
    return X, y


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    provenance = {"sklearn": sklearn.__version__, "numpy": np.__version__, "python": sys.version.split()[0]}
    iris = load_iris()
    wine = load_wine()
    cases = [
        knn_case("iris", iris.data, iris.target, 1),
        knn_case("wine", wine.data, wine.target, 2),
        knn_case("synthetic 6-class", *synthetic(3), 3),
    ]
    write("metrics.json", {"provenance": provenance, "cases": metric_cases()})
    write("knn.json", {"provenance": provenance, "k": K, "cases": cases})


def write(name, payload):
    (OUT / name).write_text(json.dumps(payload, separators=(",", ":")) + "\n")
    print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
