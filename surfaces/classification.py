"""Two-dimensional classification data for the network page: generated from a seed, or a student's own points.

>>> x, y = make_points("moons", 6, noise=0.0, seed=0)
>>> x.shape, x.dtype, sorted(set(y.tolist()))
((6, 2), dtype('float32'), [0, 1])

`make_points` is plain numpy and self-contained: the generated training script carries its source, so a
student's script makes the same points as the app.  `split` deals them into a training and a test set.
"""

from __future__ import annotations

import numpy as np

DATASETS = {"moons": 2, "circles": 2, "xor": 2, "spiral2": 2, "spiral3": 3, "blobs": 3}  # name: classes
MAX_POINTS = 2_000
MAX_CLASSES = 8


def make_points(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` points of data set `name` (moons, circles, xor, spiral2, spiral3, blobs) in about [-1.5, 1.5]²,
    with Gaussian noise of standard deviation `noise`: float32 (n, 2) points and int64 (n,) class labels."""
    rng = np.random.default_rng(seed)
    classes = 3 if name in ("spiral3", "blobs") else 2  # as DATASETS says (this function stands alone)
    y = np.arange(n) % classes  # classes as even as n allows
    u = rng.uniform(0.0, 1.0, n)
    if name == "moons":  # two interleaved half circles
        angle = np.pi * u
        x = np.asarray(np.where(y[:, None] == 0, np.c_[np.cos(angle), np.sin(angle)],
                                np.c_[1 - np.cos(angle), 0.5 - np.sin(angle)])) - [0.5, 0.25]
    elif name == "circles":  # a ring around a disc
        radius = np.where(y == 0, 1.0, 0.45)
        x = radius[:, None] * np.c_[np.cos(2 * np.pi * u), np.sin(2 * np.pi * u)]
    elif name == "xor":  # the class is whether x₁ and x₂ have the same sign
        x = rng.uniform(-1.0, 1.0, (n, 2))
        y = (x[:, 0] * x[:, 1] < 0).astype(int)
    elif name.startswith("spiral"):  # arms turning 1.5 times around the origin
        radius = 0.1 + 1.2 * u
        angle = 2 * np.pi * y / classes + 3 * np.pi * u
        x = radius[:, None] * np.c_[np.cos(angle), np.sin(angle)]
    else:  # blobs: three round clusters
        centre = 2 * np.pi * y / classes
        x = np.c_[np.cos(centre), np.sin(centre)] + rng.normal(0.0, 0.3, (n, 2))
    x = x + rng.normal(0.0, noise, (n, 2))
    order = rng.permutation(n)
    return x[order].astype(np.float32), y[order].astype(np.int64)


def split(x: np.ndarray, y: np.ndarray, test_fraction: float, seed: int):
    """(x_train, y_train, x_test, y_test): a seeded shuffle, the first round(n × test_fraction) points for the
    test (at least one point stays for training)."""
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = min(round(len(x) * test_fraction), len(x) - 1)
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]
