#!/usr/bin/python3
"""Golden neighbours and votes for the kNN engine, computed with scikit-learn.

Writes test/fixtures/golden/knn/<case>.json. Run from the repository root:

    /usr/bin/python3 scripts/golden/knn_golden.py

Each case fits KNeighborsClassifier(n_neighbors=10, weights="distance", algorithm="brute") on
`train` rows and records, for the `test` rows, sklearn's kneighbors() (indices into train,
distances) and predict(). Features are float32 multiples of 1/8 with small magnitude, so every
product and sum sklearn forms is exact in float64: duplicates come out at distance exactly 0 and
sklearn's distances equal the engine's float64 recomputation. Some test rows copy a train row
(the zero-distance rule: only exact matches vote) and one copies two train rows of different
classes at once (a tie broken towards the lower class code).
"""
import json
from pathlib import Path

import numpy as np
import sklearn
from sklearn.neighbors import KNeighborsClassifier

OUT = Path("test/fixtures/golden/knn")


def make_case(name, seed, n_train, n_test, dims, n_classes):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.5, size=(n_classes, dims))
    y = rng.integers(0, n_classes, size=n_train + n_test)
    x = centres[y] + rng.normal(0, 1.0, size=(len(y), dims))
    x = (np.round(x * 8) / 8).astype(np.float32)
    train, test = x[:n_train], x[n_train:].copy()
    y_train = y[:n_train].copy()
    # zero-distance duplicates: test rows 0..4 copy train rows
    for i in range(5):
        test[i] = train[3 * i]
    # a test row equal to two train rows of different classes: the exact matches tie 1:1
    y_train[1] = 0
    y_train[2] = 1
    train[2] = train[1]
    test[5] = train[1]
    model = KNeighborsClassifier(n_neighbors=10, weights="distance", algorithm="brute").fit(train, y_train)
    distances, indices = model.kneighbors(test)
    case = {
        "name": name,
        "source": f"scikit-learn {sklearn.__version__}, KNeighborsClassifier(n_neighbors=10, weights='distance', algorithm='brute')",
        "k": 10,
        "dims": dims,
        "n_classes": n_classes,
        "train": [float(v) for v in train.ravel()],
        "train_labels": [int(v) for v in y_train],
        "test": [float(v) for v in test.ravel()],
        "neighbour_indices": indices.tolist(),
        "neighbour_distances": distances.tolist(),
        "predicted": [int(v) for v in model.predict(test)],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(case, separators=(",", ":")) + "\n")


make_case("low-dim", seed=1, n_train=300, n_test=80, dims=6, n_classes=4)
make_case("mid-dim", seed=2, n_train=400, n_test=60, dims=40, n_classes=6)
