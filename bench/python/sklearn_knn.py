#!/usr/bin/python3
"""Benchmark peer of bench/knn.ts: scikit-learn's brute-force kNN on the same job.

    /usr/bin/python3 bench/python/sklearn_knn.py --out FILE.json [--data DIR (ignored)] [--rows N] [--dims D]

Same synthetic recipe as bench/knn.ts (rank-20 signal + N(0, 0.3) noise, float32; numpy's
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

n, d = args.rows, args.dims
rng = np.random.default_rng(7)
basis = rng.standard_normal((20, d))
x = (rng.standard_normal((n, 20)) @ basis / np.sqrt(20) + 0.3 * rng.standard_normal((n, d))).astype(np.float32)
y = np.arange(n) % 6
n_train, n_val_end = round(n * 0.44), round(n * 0.55)
train, train_val, queries, test = slice(0, n_train), slice(0, n_val_end), slice(n_train, n), slice(n_val_end, n)


def model():
    return KNeighborsClassifier(n_neighbors=10, weights="distance", algorithm="brute")


start = time.perf_counter()
model().fit(x[train_val], y[train_val]).predict(x[queries])
first = time.perf_counter() - start
start = time.perf_counter()
model().fit(x[train], y[train]).predict(x[test])
second = time.perf_counter() - start
flop = ((n - n_train) * n_val_end + (n - n_val_end) * n_train) * d * 2

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
    "data": {"kind": "synthetic low-rank(20) + noise 0.3", "rows": n, "dims": d},
    "host_split": {
        "fit_train_val_predict_queries_seconds": first,
        "fit_train_predict_test_seconds": second,
        "seconds": first + second,
        "gflops": flop / (first + second) / 1e9,
    },
    "latency": {"reference_rows": n, "single_query_ms": float(np.median(singles)), "batch64_per_query_ms": float(np.median(batches))},
})
