#!/usr/bin/python3
"""Golden fixtures for the standardize / PCA / LDA / MiniBatchKMeans kernels.

Run with /usr/bin/python3 (Debian's python3-sklearn). Writes one small JSON file per data
set to test/fixtures/golden/linear/; the TypeScript tests read them, so the test suite never
needs Python. Inputs are stored in the fixture too, so it is self-contained.

standardize is the seed's `_standardize` (numpy nanmedian, population std, drop std <= 1e-6);
PCA and LDA are fitted on the standardized rows and applied to the same rows.
"""
import json
import math
import pathlib
import sys
import warnings

import numpy as np
import sklearn
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.datasets import load_iris, load_wine
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

OUT = pathlib.Path(__file__).resolve().parents[2] / "test" / "fixtures" / "golden" / "linear"
KMEANS_SEEDS = range(5)


def standardize(X):
    """The seed's _standardize, also returning its statistics."""
    med = np.nanmedian(X, axis=0)
    med = np.where(np.isnan(med), 0.0, med).astype(np.float32)
    Xc = X.copy()
    rows, cols = np.where(np.isnan(X))
    Xc[rows, cols] = np.take(med, cols)
    mean = Xc.astype(np.float64).mean(axis=0)
    std = Xc.astype(np.float64).std(axis=0)
    keep = std > 1e-6
    Xz = ((Xc[:, keep] - mean[keep]) / std[keep]).astype(np.float32)
    return Xz, {"medians": med.tolist(), "means": mean.tolist(), "stds": std.tolist(),
                "kept": np.where(keep)[0].tolist()}


def synthetic():
    """400 x 12 Gaussian blobs in 4 classes, with NaNs, one constant and one all-NaN column."""
    rs = np.random.RandomState(20240601)
    y = np.repeat(np.arange(4), 100)
    centres = rs.normal(0, 3, size=(4, 12))
    X = (centres[y] + rs.normal(0, 1, size=(400, 12)) * rs.uniform(0.5, 2, size=12)).astype(np.float32)
    X[rs.uniform(size=X.shape) < 0.05] = np.nan
    X[:, 7] = 2.5
    X[:, 10] = np.nan
    return X, y


def f32(values):
    """float32 values as their shortest decimal (NaN → None), so the file stays small and exact."""
    flat = np.asarray(values, dtype=np.float32).ravel()
    return [None if math.isnan(v) else float(np.format_float_positional(v, unique=True)) for v in flat]


def rounded(values, digits=9):
    """float64 results to `digits` significant digits: far below every test tolerance."""
    return [float(f"{v:.{digits}g}") for v in np.asarray(values, dtype=np.float64).ravel()]


def kmeans_reference(Xz, k, batch_size):
    mini = [float(MiniBatchKMeans(n_clusters=k, batch_size=batch_size, n_init=4, max_iter=200,
                                  random_state=s).fit(Xz).inertia_) for s in KMEANS_SEEDS]
    full = KMeans(n_clusters=k, n_init=10, random_state=0).fit(Xz)
    return {"k": k, "batch_size": batch_size, "n_init": 4, "max_iter": 200,
            "minibatch_inertias": mini, "full_batch_inertia": float(full.inertia_)}


def lda_reference(Xz, y):
    n_components = min(3, len(np.unique(y)) - 1, Xz.shape[1])
    lda = LinearDiscriminantAnalysis(n_components=n_components, solver="svd").fit(Xz, y)
    return {"n_components": n_components, "transform": rounded(lda.transform(Xz)),
            "explained_variance_ratio": lda.explained_variance_ratio_.tolist()}


def fixture(name, X, y, k, batch_size):
    X = np.asarray(X, dtype=np.float32)
    Xz, stats = standardize(X)
    pca = PCA(n_components=3, svd_solver="full").fit(Xz)
    two = np.isin(y, np.unique(y)[:2])
    return {
        "provenance": f"scripts/golden/linear_golden.py, sklearn {sklearn.__version__}, numpy {np.__version__}",
        "name": name,
        "rows": int(X.shape[0]), "cols": int(X.shape[1]),
        "x": f32(X),
        "y": np.asarray(y).astype(int).tolist(),
        "standardize": {**stats, "z": f32(Xz), "kept_cols": int(Xz.shape[1])},
        "pca": {"transform": rounded(pca.transform(Xz)),
                "explained_variance_ratio": pca.explained_variance_ratio_.tolist()},
        "lda": lda_reference(Xz, y),
        "lda_two_classes": {"rows": np.where(two)[0].tolist(), **lda_reference(Xz[two], np.asarray(y)[two])},
        "kmeans": kmeans_reference(Xz, k, batch_size),
    }


def main():
    warnings.filterwarnings("ignore", message="All-NaN slice")
    OUT.mkdir(parents=True, exist_ok=True)
    iris = load_iris()
    wine = load_wine()
    sx, sy = synthetic()
    sets = [("iris", iris.data, iris.target, 3, 64),
            ("wine", wine.data, wine.target, 3, 64),
            ("synthetic", sx, sy, 4, 128)]
    for name, X, y, k, batch in sets:
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(fixture(name, X, y, k, batch), allow_nan=False) + "\n")
        print(f"wrote {path.relative_to(OUT.parents[3])}", file=sys.stderr)


if __name__ == "__main__":
    main()
