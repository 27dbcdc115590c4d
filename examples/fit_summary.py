#!/usr/bin/python3
"""A command stage's script: per-class scores of the fit as an SVG bar chart, and a summary.

usage: fit_summary.py METRICS_JSON FIT_PARQUET OUT_SVG OUT_JSON TITLE

Standard library only. It reads the scores from evaluate's metrics_v1.json; the fit itself
(knn_v1.parquet) is read for its size and sha256, which stamp the chart with the exact fit it
describes. Reading the fit's rows needs pyarrow (`pyarrow.parquet.read_table(fit_path)`), which
this script does not assume is installed.
"""
import hashlib
import json
import sys
from xml.sax.saxutils import escape


def main(metrics_path, fit_path, svg_path, summary_path, title):
    with open(metrics_path) as f:
        metrics = json.load(f)
    with open(fit_path, "rb") as f:
        fit = f.read()
    fit_sha = hashlib.sha256(fit).hexdigest()
    classes = metrics["per_class"]

    width, bar, gap, top = 640, 28, 10, 60
    height = top + len(classes) * (bar + gap) + 40
    rows = []
    for i, c in enumerate(classes):
        y = top + i * (bar + gap)
        length = round(c["f1"] * (width - 260), 1)
        rows.append(
            f'<text x="10" y="{y + 19}">{escape(c["phase"])}</text>'
            f'<rect x="170" y="{y}" width="{length}" height="{bar}" fill="#4a7ab5"/>'
            f'<text x="{176 + length}" y="{y + 19}">{c["f1"]:.3f} (n={c["support"]})</text>'
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="14">'
        f'<text x="10" y="24" font-size="18">{escape(title)}: F1 per phase, macro F1 {metrics["macro_f1"]:.3f}</text>'
        f'<text x="10" y="44" fill="#666">fit sha256 {fit_sha[:16]}, {len(fit)} bytes, {metrics["split"]} split</text>'
        + "".join(rows)
        + "</svg>\n"
    )
    with open(svg_path, "w") as f:
        f.write(svg)
    summary = {
        "title": title,
        "fit_sha256": fit_sha,
        "fit_bytes": len(fit),
        "macro_f1": metrics["macro_f1"],
        "worst_phase": min(classes, key=lambda c: c["f1"])["phase"],
    }
    with open(summary_path, "w") as f:
        json.dump(summary, f, indent=2)
    print(f"macro F1 {metrics['macro_f1']:.3f}; worst phase {summary['worst_phase']}")


if __name__ == "__main__":
    main(*sys.argv[1:6])
