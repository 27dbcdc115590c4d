#!/usr/bin/python3
"""sklearn peer of the whole pipeline: the seed's steps, timed one by one on the demo data.

    /usr/bin/python3 bench/python/sklearn_steps.py --data DIR --out FILE.json

DIR holds features_window_v1.parquet, feature_schema_v1.json and validation_v1.parquet.
Steps, each as the seed runs it:
  load         pyarrow read of the window parquet (skipped when pyarrow is missing: the data
               is then exported by our own reader, dist/src/io/parquet.js, and not timed)
  standardize  the seed's _standardize (median impute, z-score, drop std <= 1e-6)
  lda          LinearDiscriminantAnalysis(3) fitted on a 50k sample, transform of all rows
  kmeans       MiniBatchKMeans(k 8, batch 2048, n_init 4, max_iter 200) fitted on <= 100k rows,
               predict on all rows
  host_split   the held-out-host recipe of SPEC section 3, written again in Python
  knn_classify KNeighborsClassifier(10, weights="distance") fitted on train+val, predict the rest
  knn_evaluate the same fitted on train only, predict test, macro F1
Writes {"seconds": {step: s}, "skipped": {step: reason}, "results": {...}}; exits 0 with
{"skipped": reason} when sklearn is missing.
"""
import json
import pathlib
import subprocess
import sys
import tempfile
import time

from bench_common import bench_args
from bench_common import seed_standardize as standardize

SEED = 0
TRAIN_HOSTS = ["elliott-thinkpad", "lab-node-01", "lab-node-02"]
VAL_FRACTION = 0.2
ROOT = pathlib.Path(__file__).resolve().parents[2]

# Reads the parquet files with the pipeline's own reader and writes raw arrays numpy can map.
NODE_EXPORT = """
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
const [parquetJs, dataDir, outDir] = process.argv.slice(1);
const { readParquetFile } = await import(parquetJs);
const schema = JSON.parse(await readFile(join(dataDir, "feature_schema_v1.json"), "utf8"));
const names = schema.feature_names;
const { table } = await readParquetFile(join(dataDir, "features_window_v1.parquet"));
const rows = table.phase.length;
const X = new Float32Array(rows * names.length);
names.forEach((name, j) => { const col = table[name]; for (let i = 0; i < rows; i++) X[i * names.length + j] = col[i]; });
await writeFile(join(outDir, "features.f32"), new Uint8Array(X.buffer));
await writeFile(join(outDir, "phase.i8"), Int8Array.from(table.phase));
const validation = (await readParquetFile(join(dataDir, "validation_v1.parquet"))).table;
const plain = (t, cols) => Object.fromEntries(cols.map((c) => [c, Array.from(t[c])]));
await writeFile(join(outDir, "meta.json"), JSON.stringify({
  rows, cols: names.length, episode_id: Array.from(table.episode_id),
  validation: plain(validation, ["episode_id", "host_id", "profile", "sample_name", "status"]),
}));
"""


def write(out, obj):
    text = json.dumps(obj, indent=2) + "\n"
    if out:
        pathlib.Path(out).write_text(text)
    sys.stdout.write(text)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def load_pyarrow(data_dir):
    import numpy as np
    import pyarrow.parquet as pq
    data = pathlib.Path(data_dir)
    names = json.loads((data / "feature_schema_v1.json").read_text())["feature_names"]
    tbl = pq.read_table(data / "features_window_v1.parquet", columns=names + ["phase", "episode_id"])
    X = np.column_stack([tbl.column(n).to_numpy(zero_copy_only=False) for n in names]).astype(np.float32)
    y = tbl.column("phase").to_numpy(zero_copy_only=False).astype(np.int64)
    val = pq.read_table(data / "validation_v1.parquet").to_pydict()
    return X, y, tbl.column("episode_id").to_pylist(), val


def load_via_node(data_dir):
    import numpy as np
    parquet_js = ROOT / "dist" / "src" / "io" / "parquet.js"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["node", "--input-type=module", "-e", NODE_EXPORT, str(parquet_js.as_uri()), data_dir, tmp], check=True)
        meta = json.loads(pathlib.Path(tmp, "meta.json").read_text())
        X = np.fromfile(pathlib.Path(tmp, "features.f32"), dtype=np.float32).reshape(meta["rows"], meta["cols"])
        y = np.fromfile(pathlib.Path(tmp, "phase.i8"), dtype=np.int8).astype(np.int64)
    return X, y, meta["episode_id"], meta["validation"]


def lda(X, y):
    import numpy as np
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    rng = np.random.default_rng(SEED)
    idx = rng.choice(len(X), size=min(50_000, len(X)), replace=False)
    n_comp = min(3, len(np.unique(y[idx])) - 1, X.shape[1])
    return LinearDiscriminantAnalysis(n_components=n_comp).fit(X[idx], y[idx]).transform(X)


def kmeans(X):
    import numpy as np
    from sklearn.cluster import MiniBatchKMeans
    km = MiniBatchKMeans(n_clusters=8, random_state=SEED, batch_size=2048, n_init=4, max_iter=200)
    rng = np.random.default_rng(SEED)
    km.fit(X[rng.choice(len(X), size=100_000, replace=False)] if len(X) > 100_000 else X)
    return km.predict(X)


def held_out_host(val, episode_ids):
    """SPEC section 3, as src/split implements it (a different PRNG, the same recipe)."""
    import numpy as np
    rng = np.random.default_rng(SEED)
    usable = [i for i, s in enumerate(val["status"]) if s in ("accepted", "degraded")]
    roles = {}
    on_train = [i for i in usable if val["host_id"][i] in TRAIN_HOSTS]
    for i in usable:
        if val["host_id"][i] not in TRAIN_HOSTS:
            roles[val["episode_id"][i]] = 2
    by_profile = {}
    for i in on_train:
        by_profile.setdefault(val["profile"][i], set()).add(val["sample_name"][i])
    decided, val_samples = set(), set()
    for profile in sorted(by_profile):
        candidates = sorted(by_profile[profile] - decided)
        decided.update(candidates)
        rng.shuffle(candidates)
        n = len(candidates)
        take = 0 if n < 2 else min(n - 1, max(1, round(VAL_FRACTION * n)))
        val_samples.update(candidates[:take])
    for i in on_train:
        roles[val["episode_id"][i]] = 1 if val["sample_name"][i] in val_samples else 0
    return np.array([roles.get(e, 3) for e in episode_ids], dtype=np.int8)


def knn_predict(X_train, y_train, X_eval):
    from sklearn.neighbors import KNeighborsClassifier
    clf = KNeighborsClassifier(n_neighbors=10, weights="distance", algorithm="auto", n_jobs=-1)
    return clf.fit(X_train, y_train).predict(X_eval)


def run(data_dir):
    import numpy as np
    from sklearn.metrics import f1_score
    seconds, skipped = {}, {}
    try:
        import pyarrow  # noqa: F401
        (X, y, episode_ids, val), seconds["load"] = timed(lambda: load_pyarrow(data_dir))
    except ImportError:
        skipped["load"] = "pyarrow is not installed; data exported by the pipeline's reader, untimed"
        X, y, episode_ids, val = load_via_node(data_dir)
    Xz, seconds["standardize"] = timed(lambda: standardize(X))
    _, seconds["lda"] = timed(lambda: lda(Xz, y))
    _, seconds["kmeans"] = timed(lambda: kmeans(Xz))
    roles, seconds["host_split"] = timed(lambda: held_out_host(val, episode_ids))
    fit, other = roles <= 1, roles >= 2
    _, seconds["knn_classify"] = timed(lambda: knn_predict(Xz[fit], y[fit], Xz[other]))
    train, test = roles == 0, roles == 2

    def evaluate():
        pred = knn_predict(Xz[train], y[train], Xz[test])
        return float(f1_score(y[test], pred, average="macro"))

    macro_f1, seconds["knn_evaluate"] = timed(evaluate)
    results = {
        "rows": int(len(X)), "features_kept": int(Xz.shape[1]), "macro_f1": macro_f1,
        "roles": {name: int((roles == code).sum()) for code, name in enumerate(["train", "val", "test", "other"])},
    }
    return {"seconds": seconds, "skipped": skipped, "results": results}


def main():
    args = bench_args()
    try:
        import numpy  # noqa: F401
        import sklearn
    except ImportError as error:
        write(args.out, {"skipped": f"scikit-learn is not available: {error}"})
        return 0
    report = run(args.data)
    report["sklearn"] = sklearn.__version__
    write(args.out, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
