#!/usr/bin/python3
"""Benchmark peer of bench/knn.ts: scikit-learn's brute-force kNN on the same job.

    /usr/bin/python3 bench/python/sklearn_knn.py --out FILE.json [--data DIR] [--rows N] [--dims D] [--query-stride S]

With --data DIR holding DIR/.knn-bench/ (the standardized demo matrix and host-split roles that
bench/knn.ts writes; numpy cannot read parquet here), the job runs on those rows and roles.
--query-stride S predicts every S-th query only (a quick check; `npm run bench` predicts every query).
Otherwise: same synthetic recipe as bench/knn.ts (rank-20 signal + N(0, 0.3) noise, float32; numpy's
generator, so the values differ but not the distribution) and the same split: 44% train,
11% val, 45% test. The host split needs two sklearn fits:
  KNeighborsClassifier(n_neighbors=10, weights="distance", algorithm="brute")
  fit(train+val).predict(val+test)   and   fit(train).predict(test)
Latency: fit on all rows, predict 1 row alone (median of 15) and batches of 64 (per row).
Exits 0 with {"skipped": reason} when scikit-learn is missing.
"""
import argparse
import json
import time

parser = argparse.ArgumentParser()
parser.add_argument("--out")
parser.add_argument("--data")
parser.add_argument("--rows", type=int, default=150_000)
parser.add_argument("--dims", type=int, default=230)
parser.add_argument("--query-stride", type=int, default=1)
args = parser.parse_args()


def emit(report):
    text = json.dumps(report, indent=2)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text)


try:
    import numpy as np
    import sklearn
    from sklearn.neighbors import KNeighborsClassifier
except ImportError as error:
    emit({"skipped": f"scikit-learn is not installed ({error})"})
    raise SystemExit(0)

import os

cache = os.path.join(args.data, ".knn-bench") if args.data else None
if cache and os.path.exists(os.path.join(cache, "meta.json")):
    with open(os.path.join(cache, "meta.json")) as f:
        meta = json.load(f)
    n, d = meta["rows"], meta["dims"]
    x = np.fromfile(os.path.join(cache, "standardized.f32"), dtype=np.float32).reshape(n, d)
    roles = np.fromfile(os.path.join(cache, "roles.i8"), dtype=np.int8)
    kind = "demo features, standardized, host split (approx.), from bench/knn.ts's cache"
else:
    n, d = args.rows, args.dims
    rng = np.random.default_rng(7)
    basis = rng.standard_normal((20, d))
    x = (rng.standard_normal((n, 20)) @ basis / np.sqrt(20) + 0.3 * rng.standard_normal((n, d))).astype(np.float32)
    roles = np.where(np.arange(n) < round(n * 0.44), 0, np.where(np.arange(n) < round(n * 0.55), 1, 2)).astype(np.int8)
    kind = "synthetic low-rank(20) + noise 0.3"
y = np.arange(n) % 6
s = args.query_stride
train = np.flatnonzero(roles == 0)
train_val = np.flatnonzero(roles <= 1)
all_queries = np.flatnonzero(roles >= 1)
queries = all_queries[::s]
test = queries[roles[queries] == 2]
n_train, n_train_val = len(train), len(train_val)


def model():
    return KNeighborsClassifier(n_neighbors=10, weights="distance", algorithm="brute")


start = time.perf_counter()
model().fit(x[train_val], y[train_val]).predict(x[queries])
first = time.perf_counter() - start
start = time.perf_counter()
model().fit(x[train], y[train]).predict(x[test])
second = time.perf_counter() - start
flop = (len(queries) * n_train_val + len(test) * n_train) * d * 2

full = model().fit(x, y)
full.predict(x[:64])
singles = []
for i in range(15):
    t = time.perf_counter()
    full.predict(x[1000 + 7 * i : 1001 + 7 * i])
    singles.append((time.perf_counter() - t) * 1000)
batches = []
for i in range(5):
    t = time.perf_counter()
    full.predict(x[5000 + 64 * i : 5064 + 64 * i])
    batches.append((time.perf_counter() - t) * 1000 / 64)

emit({
    "engine": f"scikit-learn {sklearn.__version__} KNeighborsClassifier brute, weights=distance",
    "data": {"kind": kind, "rows": n, "dims": d},
    "host_split": {
        "queries_searched": len(queries), "query_stride": s,
        "extrapolated_full_seconds": (first + second) * s,
        "fit_train_val_predict_queries_seconds": first,
        "fit_train_predict_test_seconds": second,
        "seconds": first + second,
        "gflops": flop / (first + second) / 1e9,
    },
    "latency": {"reference_rows": n, "single_query_ms": float(np.median(singles)), "batch64_per_query_ms": float(np.median(batches))},
})
