#!/usr/bin/python3
"""umap-learn peer of bench/umap.ts: the same supervised UMAP on the same standardized data.

    /usr/bin/python3 bench/python/umap_learn.py --data DIR --out FILE.json

Debian's python3 has no parquet reader, so the standardized matrix, the phases and the exact
20k fit sample are exported by our own code (`node dist/bench/umap.js --data DIR --export-raw
TMP`) and read back with numpy. As the seed runs it: UMAP(n_components 3, n_neighbors 30,
min_dist 0.1, target_weight 0.5, random_state 0) fitted with the phase labels on the fit rows,
transform() on every other row. The quality measure is bench/umap.ts's: for 5,000 fitted and
5,000 placed rows, does the majority label of the 10 nearest fitted points in 3-D equal the
row's own. Exits 0 with {"skipped": ...} when umap-learn is missing.
"""
import resource
import time

from bench_common import bench_args, export_raw, write


def load(data_dir):
    import numpy as np
    arrays = export_raw("umap", data_dir, {"features.f32": np.float32, "phase.i8": np.int8, "fit_rows.i32": np.int32})
    return arrays["features.f32"], arrays["phase.i8"].astype(np.int64), arrays["fit_rows.i32"]


def agreement(coords, y, fit_rows, query_rows):
    """Share of query rows whose 10 nearest fitted points (self excluded) mostly carry their label."""
    import numpy as np
    from sklearn.neighbors import NearestNeighbors
    nn = NearestNeighbors(n_neighbors=11).fit(coords[fit_rows])
    _, idx = nn.kneighbors(coords[query_rows])
    agree = 0
    for q, row in enumerate(query_rows):
        neigh = [fit_rows[i] for i in idx[q] if fit_rows[i] != row][:10]
        votes = np.bincount(y[neigh], minlength=256)
        own = votes[y[row]]
        rival = max(v for label, v in enumerate(votes) if label != y[row])
        agree += own > rival
    return agree / len(query_rows)


def main():
    args = bench_args()
    try:
        import numpy as np
        import umap
    except ImportError as error:
        write(args.out, {"skipped": f"umap-learn is not installed ({error})"})
        return
    X, y, fit_rows = load(args.data)
    held = np.setdiff1d(np.arange(X.shape[0]), fit_rows)
    start = time.perf_counter()
    model = umap.UMAP(n_components=3, n_neighbors=30, min_dist=0.1, target_weight=0.5, random_state=0)
    fitted = model.fit_transform(X[fit_rows], y[fit_rows])
    fit_seconds = time.perf_counter() - start
    placed = model.transform(X[held]) if len(held) else np.zeros((0, 3), dtype=np.float32)
    seconds = time.perf_counter() - start
    coords = np.zeros((X.shape[0], 3), dtype=np.float32)
    coords[fit_rows] = fitted
    coords[held] = placed
    rng = np.random.default_rng(0)
    write(args.out, {
        "rows": int(X.shape[0]),
        "cols": int(X.shape[1]),
        "umap_version": getattr(umap, "__version__", "unknown"),
        "seconds": seconds,
        "fit_seconds": fit_seconds,
        "transform_seconds": seconds - fit_seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "agreement_fit": agreement(coords, y, fit_rows, rng.choice(fit_rows, min(5000, len(fit_rows)), replace=False)),
        "agreement_held": agreement(coords, y, fit_rows, rng.choice(held, min(5000, len(held)), replace=False)) if len(held) else None,
    })


if __name__ == "__main__":
    main()
