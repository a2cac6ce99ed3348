"""The network page's player payload (numpy, no Streamlit; the model's numbers come from the engine): what
`ui/player/panels/network.js` draws.

- The layer (`network_layer`): the data points (training and test, with their classes), the boundary grid's extent
  and size, the class colours.
- A run's entry (`network_entry`): the curves of every step (training and test loss and accuracy, the learning rate
  of each parameter group, the gradient norm of each Linear layer) and, at sampled steps (`frame_steps`, their true
  steps travel with them), the model's class probabilities on the grid: `probs`, uint8 (p·255 rounded), the first
  K − 1 classes of K per cell (the last is 1 − their sum), so a frame of 3 classes on a 60 × 60 grid is 7.2 kB.

Probabilities are the model's own: ``softmax(model(points))`` at the run's weights, one vmap'd forward pass for all
frames (`optimizers.network.class_probabilities`).

- The landscape's player (`landscape_payload`, planes from `optimizers.landscape`): the training loss on a 41 × 41
  grid of a plane (`make_plane`: PCA of all runs, a filter-normalised random plane through a run's final weights, or
  the plane through the initial weights and two runs' final weights) as contour lines, and per run its projected
  path, its true loss and the plane's loss there, its distance from the plane, and the loss on the straight line
  from the initial to its final weights.
"""

from __future__ import annotations

import json

import numpy as np

from optimizers import landscape
from optimizers.landscape import Slice
from optimizers.network import class_probabilities, data_of, layer_names

from .player_data import content_key, surface_layer, typed
from .runs import RunResult

GRID = 60  # the boundary's grid: GRID × GRID cells over the data's extent
MAX_FRAMES = 61  # boundaries per run: step 0 and 60 more
FRAME_BYTES = MAX_FRAMES * GRID * GRID * 2  # per run (3 classes at MAX_FRAMES); more classes get fewer frames
SPACING = 1.5  # frames at steps ≈ steps·(i/n)^SPACING: closer early, where a boundary changes fastest
PAD = 0.1  # the grid reaches this fraction of the data's span beyond it
# Classes: Okabe & Ito's sky blue, vermilion and yellow first (ΔE′ ≥ 30 between them under every simulated
# dichromacy, tests/test_palette.py's measure), then their other colours; the panel gives each class a shape too.
CLASS_COLORS = ["#56B4E9", "#D55E00", "#F0E442", "#009E73", "#CC79A7", "#0072B2", "#E69F00", "#999999"]


def grid_extent(points: np.ndarray) -> list[list[float]]:
    """[[x0, x1], [y0, y1]]: the points' bounding box, `PAD` of its span wider on each side, the shorter side
    widened to the longer (equal units: a circle stays round)."""
    lo, hi = points.min(0).astype(float), points.max(0).astype(float)
    centre, half = (lo + hi) / 2, max(float((hi - lo).max()), 1e-6) * (0.5 + PAD)
    return [[float(centre[0] - half), float(centre[0] + half)], [float(centre[1] - half), float(centre[1] + half)]]


def grid_points(extent, n: int = GRID) -> np.ndarray:
    """(n·n, 2) float32 cell centres, row by row from the top (the largest y) and left to right in each row, as a
    canvas's image data runs."""
    (x0, x1), (y0, y1) = extent
    xs = x0 + (np.arange(n) + 0.5) * (x1 - x0) / n
    ys = y1 - (np.arange(n) + 0.5) * (y1 - y0) / n
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)


def network_layer(network: dict, n: int = GRID) -> dict:
    """The data (training and test points and classes), the grid's extent and size and the class colours, under
    a key of its own content (one per data set: runs of different optimizers on one network share it)."""
    data = data_of(network)
    x_train, x_test = data.x_train.numpy(), data.x_test.numpy()
    layer = typed({"classes": int(data.classes), "grid": n, "extent": grid_extent(np.vstack([x_train, x_test])),
                   "class_colors": CLASS_COLORS[:data.classes], "minima": []},
                  train_x=x_train, train_y=data.y_train.numpy().astype(np.uint8),
                  test_x=x_test, test_y=data.y_test.numpy().astype(np.uint8))
    return {"key": content_key(layer), **layer}


def frame_count(classes: int, n: int = GRID) -> int:
    """How many boundaries a run sends: `MAX_FRAMES`, fewer when K − 1 bytes a cell would pass `FRAME_BYTES`."""
    return max(2, min(MAX_FRAMES, FRAME_BYTES // (n * n * max(classes - 1, 1))))


def frame_steps(steps: int, finite: int, count: int = MAX_FRAMES) -> np.ndarray:
    """The steps whose boundaries are sent: 0, …, `steps` spaced `SPACING`, those with finite weights (the first
    `finite`), and the last finite one when the run diverged before its end. uint16 (steps ≤ 10,000)."""
    at = np.unique(np.round(steps * np.linspace(0.0, 1.0, count) ** SPACING).astype(int))
    at = at[at < finite]
    if finite <= steps and (not at.size or at[-1] != finite - 1):
        at = np.append(at, finite - 1)
    return at.astype(np.uint16)


def quantise(probs: np.ndarray) -> np.ndarray:
    """uint8 round(p·255) of the first K − 1 classes (the last is the rest): (…, K) -> (…, K − 1)."""
    return np.clip(np.rint(probs[..., :-1] * 255), 0, 255).astype(np.uint8)


def dequantise(q: np.ndarray) -> np.ndarray:
    """The probabilities `quantise` keeps, the last class as 1 − the others: (…, K − 1) -> (…, K)."""
    head = q.astype(float) / 255
    return np.concatenate([head, 1 - head.sum(-1, keepdims=True)], axis=-1)


def _end(traj) -> int:
    """How many leading steps' values are drawn: up to divergence or the budget's stop."""
    return next((a for a in (traj.diverged_at, getattr(traj, "stopped_at", None)) if a is not None),
                len(traj.params))


def boundary_arrays(network: dict, traj, n: int = GRID) -> dict:
    """A run's sampled boundaries: `frame_steps` and `probs` (frames, n·n, K − 1) uint8 on the layer's grid."""
    data = data_of(network)
    steps = frame_steps(len(traj.params) - 1, min(traj.finite_len, _end(traj)), frame_count(data.classes, n))
    extent = grid_extent(np.vstack([data.x_train.numpy(), data.x_test.numpy()]))
    probs = class_probabilities(network, data.classes, traj.params[steps.astype(int)], grid_points(extent, n))
    return {"frame_steps": steps, "probs": quantise(probs)}


def network_entry(result: RunResult, n: int = GRID) -> dict:
    """A run's player entry: its curves per step and its sampled boundaries (see the module). The key hashes the
    config, label and colour: the engine is deterministic, so the same key means the same arrays."""
    traj = result.traj
    end = _end(traj)
    names = layer_names(traj.config["network"])
    entry = {"key": content_key([result.config, result.label, result.color, n]), "label": result.label,
             "color": result.color, "steps": len(traj.params) - 1, "starts": 1, "end": int(end),
             "diverged": traj.diverged_at, "stopped": getattr(traj, "stopped_at", None),
             "groups": int(traj.group_lr.shape[1]), "layers": names,
             "dash": []}  # solid: on these panels a dash tells a run's series apart (training, test, layers)
    return typed(entry, loss=traj.loss, test_loss=traj.test_loss, accuracy=traj.accuracy,
                 test_accuracy=traj.test_accuracy, lr=traj.lr, group_lr=traj.group_lr, grad_norm=traj.grad_norm,
                 **boundary_arrays(traj.config["network"], traj, n))


def naive_bytes(result: RunResult, n: int = GRID) -> int:
    """What a run would weigh in a naive figure: every step's boundary (all K probabilities of every cell, measured
    as `json.dumps` writes the last step's) and every curve as JSON floats."""
    traj = result.traj
    network = traj.config["network"]
    data = data_of(network)
    extent = grid_extent(np.vstack([data.x_train.numpy(), data.x_test.numpy()]))
    last = traj.params[min(traj.finite_len, len(traj.params)) - 1][None]
    frame = class_probabilities(network, data.classes, last, grid_points(extent, n))[0].astype(float)
    curves = [traj.loss, traj.test_loss, traj.accuracy, traj.test_accuracy, traj.lr, traj.group_lr, traj.grad_norm]
    return len(traj.params) * len(json.dumps(frame.tolist())) + sum(len(json.dumps(np.asarray(a, float).tolist()))
                                                                   for a in curves)


# ---- the loss landscape: the runs' weights on a 2-D slice, and the loss on the line to each run's end ---------
LANDSCAPE_GRID = 41  # the slice's loss grid: n × n weight vectors, one batched forward
LINE_POINTS = 61  # the 1-D line θ₀ → θ_final: α in [−0.25, 1.25]


def last_finite(traj) -> np.ndarray:
    """A run's final weights: its last finite weight vector."""
    return traj.params[min(traj.finite_len, len(traj.params)) - 1]


def make_plane(results: list[RunResult], plane: dict) -> landscape.Plane:
    """The plane `plane` asks for: {"kind": "pca"} (all runs together), {"kind": "random", "runs": [i], "seed": s}
    (filter-normalised, through run i's final weights; "run": i is read too) or {"kind": "three", "runs": [i, j]}
    (through the initial weights and runs i's and j's final weights). ValueError when it cannot be made."""
    kind, picked = plane.get("kind", "pca"), [*plane.get("runs", []), plane.get("run", 0)]
    network = results[0].traj.config["network"]
    if kind == "pca":  # runs that diverged are left out when others did not (their blow-up would be the plane)
        kept = [r for r in results if r.traj.diverged_at is None] or results
        return landscape.pca_plane([r.traj.params for r in kept])
    if kind == "random":
        i = picked[0] if 0 <= picked[0] < len(results) else 0
        return landscape.random_plane(network, data_of(network).classes, last_finite(results[i].traj),
                                      int(plane.get("seed", 0)))
    if kind == "three":
        i, j = (picked + [0, 1])[:2]
        if len(results) < 2 or i == j or not (0 <= i < len(results) and 0 <= j < len(results)):
            raise ValueError("the plane through three points needs two different runs")
        return landscape.three_point_plane(results[0].traj.params[0], last_finite(results[i].traj),
                                           last_finite(results[j].traj))
    raise ValueError(f"plane kind must be pca, random or three, got {kind!r}")


def _square(*extents) -> tuple:
    """The square (equal spans: the map shows weight-space distances in equal units) around all of `extents`."""
    lo = [min(e[k][0] for e in extents) for k in (0, 1)]
    hi = [max(e[k][1] for e in extents) for k in (0, 1)]
    half = max(hi[0] - lo[0], hi[1] - lo[1]) / 2
    return tuple(((lo[k] + hi[k]) / 2 - half, (lo[k] + hi[k]) / 2 + half) for k in (0, 1))


def _extent(made, results: list[RunResult], paths) -> tuple:
    """The map's square: the plane's own extent and the paths of the runs that did not diverge, and of a diverged
    run's path what lies within 3 times that square's size (a blow-up to 1e18 would shrink everything else to a
    dot: it leaves the map at a ×, as on the surfaces)."""
    finite = [landscape.cover(p.coords) for r, p in zip(results, paths, strict=True) if r.traj.diverged_at is None]
    base = _square(made.extent, *finite)
    centre, half = np.array([sum(base[0]) / 2, sum(base[1]) / 2]), (base[0][1] - base[0][0]) / 2
    near = []
    for r, p in zip(results, paths, strict=True):
        if r.traj.diverged_at is not None:
            inside = np.all(np.abs(p.coords - centre) <= 3 * half, axis=1)
            if inside.any():
                near.append(landscape.cover(p.coords[inside]))
    return _square(base, *near)


def landscape_payload(results: list[RunResult], plane: dict, n: int = LANDSCAPE_GRID,
                      levels: int = 25) -> tuple[dict, list[dict]]:
    """(layer, entries) of the landscape's player: the slice's contour lines over the square that holds the plane's
    own extent and the projected paths (`_extent`), the plane's kind and axes' explained shares; per run its projected
    path `xy`, its true loss `loss`, the plane's loss at the projection `plane_loss`, the distance from the plane
    `distance` (every step), and the loss on the line from the initial weights to its final weights (`line_alpha`,
    `line_loss`)."""
    network = results[0].traj.config["network"]
    data = data_of(network)
    made = make_plane(results, plane)
    paths = [landscape.path_vs_plane(network, data, made, r.traj.params) for r in results]
    extent = _extent(made, results, paths)
    a, b, loss = landscape.grid_losses(network, data, made, extent, n)
    layer = {k: v for k, v in surface_layer(Slice(a, b, loss, extent), levels=levels, n=n).items() if k != "key"}
    diverged = [r.label for r in results if r.traj.diverged_at is not None]
    layer.update(plane=made.kind, explained=None if made.explained is None else list(made.explained),
                 left_out=diverged if made.kind == "pca" and len(diverged) < len(results) else [],
                 anchors=[list(p) for p in made.anchors], grid_range=[float(np.nanmin(loss)), float(np.nanmax(loss))])
    layer = {"key": content_key([layer, plane]), **layer}
    return layer, [_landscape_entry(r, p, layer["key"], network, data) for r, p in zip(results, paths, strict=True)]


def _landscape_entry(r: RunResult, path, layer_key: str, network: dict, data) -> dict:
    alpha, line = landscape.line_losses(network, data, r.traj.params[0], last_finite(r.traj), LINE_POINTS)
    end = _end(r.traj)
    entry = {"key": content_key([r.config, r.label, r.color, layer_key]), "label": r.label, "color": r.color,
             "steps": len(r.traj.params) - 1, "starts": 1, "end": int(end), "diverged": r.traj.diverged_at,
             "stopped": getattr(r.traj, "stopped_at", None)}
    return typed(entry, xy=path.coords, loss=path.true_loss, plane_loss=path.plane_loss, distance=path.distance,
                 lr=r.traj.lr, line_alpha=alpha, line_loss=line)
