#!/usr/bin/python3
"""sklearn peer of bench/linear.ts: the same four steps on the same demo data.

    /usr/bin/python3 bench/python/sklearn_linear.py --data DIR --out FILE.json

Debian's python3 has no parquet reader, so the raw matrix is exported by our own reader
(`node dist/bench/linear.js --data DIR --export-raw TMP`) and read back with numpy.
Each step as the seed runs it: _standardize on all rows; PCA(3) and LDA(3) fitted on a 50k
sample and applied to all rows; MiniBatchKMeans(k 8, batch 2048, n_init 4, max_iter 200) on a
100k sample, then predict on all rows. Exits 0 with {"skipped": ...} when sklearn is missing.
"""
import time

from bench_common import bench_args, export_raw, write
from bench_common import seed_standardize as standardize


def load(data_dir):
    import numpy as np
    arrays = export_raw("linear", data_dir, {"features.f32": np.float32, "phase.i8": np.int8})
    return arrays["features.f32"], arrays["phase.i8"].astype(np.int64)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main():
    args = bench_args()
    try:
        import numpy as np
        import sklearn
        from sklearn.cluster import MiniBatchKMeans
        from sklearn.decomposition import PCA
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    except ImportError as error:
        write(args.out, {"skipped": f"sklearn not available: {error}"})
        return
    (X, y), load_seconds = timed(lambda: load(args.data))
    Xz, t_std = timed(lambda: standardize(X))
    rng = np.random.default_rng(0)
    fit_idx = rng.choice(Xz.shape[0], size=min(50_000, Xz.shape[0]), replace=False)
    _, t_pca = timed(lambda: PCA(n_components=3, random_state=0).fit(Xz[fit_idx]).transform(Xz))
    n_lda = min(3, len(np.unique(y[fit_idx])) - 1, Xz.shape[1])
    _, t_lda = timed(lambda: LinearDiscriminantAnalysis(n_components=n_lda).fit(Xz[fit_idx], y[fit_idx]).transform(Xz))
    km_idx = rng.choice(Xz.shape[0], size=min(100_000, Xz.shape[0]), replace=False)

    def kmeans():
        km = MiniBatchKMeans(n_clusters=8, random_state=0, batch_size=2048, n_init=4, max_iter=200).fit(Xz[km_idx])
        km.predict(Xz)
        return km

    km, t_km = timed(kmeans)
    write(args.out, {
        "piece": "sklearn_linear",
        "sklearn": sklearn.__version__,
        "rows": int(X.shape[0]), "features_in": int(X.shape[1]), "features_kept": int(Xz.shape[1]),
        "export_seconds": load_seconds,
        "seconds": {"standardize": t_std, "pca": t_pca, "lda": t_lda, "kmeans": t_km},
        "kmeans": {"inertia_fit_sample": float(km.inertia_), "n_steps": int(km.n_steps_), "n_iter": int(km.n_iter_)},
    })


if __name__ == "__main__":
    main()
