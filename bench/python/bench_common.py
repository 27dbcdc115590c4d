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
