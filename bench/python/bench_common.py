"""What every Python bench peer shares: the JSON writer and reading the arrays our own bench
piece exports (Debian's python3 has no parquet reader, so the pipeline's reader hands them over)."""
import json
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]


def write(out, obj):
    text = json.dumps(obj, indent=2) + "\n"
    if out:
        pathlib.Path(out).write_text(text)
    else:
        sys.stdout.write(text)


def export_raw(piece, data_dir, files):
    """Runs `node dist/bench/<piece>.js --data DIR --export-raw TMP` and reads `files`
    ({name: numpy dtype}) back, the float32 features reshaped by shape.json."""
    import numpy as np
    with tempfile.TemporaryDirectory() as tmp:
        script = ROOT / "dist" / "bench" / f"{piece}.js"
        subprocess.run(["node", str(script), "--data", data_dir, "--export-raw", tmp], check=True)
        shape = json.loads(pathlib.Path(tmp, "shape.json").read_text())
        arrays = {name: np.fromfile(pathlib.Path(tmp, name), dtype=dtype) for name, dtype in files.items()}
    if "features.f32" in arrays:
        arrays["features.f32"] = arrays["features.f32"].reshape(shape["rows"], shape["cols"])
    return arrays


def bench_args():
    """--data DIR (the three demo input files) and --out FILE.json, as bench/run.ts passes them."""
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--out")
    return parser.parse_args()


def seed_standardize(X):
    """The seed's _standardize: NaN -> column median, z-score (ddof 0), drop std <= 1e-6."""
    import numpy as np
    med = np.nanmedian(X, axis=0)
    med = np.where(np.isnan(med), 0.0, med).astype(np.float32)
    inds = np.where(np.isnan(X))
    Xc = X.copy()
    Xc[inds] = np.take(med, inds[1])
    mean = Xc.mean(axis=0)
    std = Xc.std(axis=0)
    keep = std > 1e-6
    return ((Xc[:, keep] - mean[keep]) / std[keep]).astype(np.float32)
