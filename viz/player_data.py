"""The player's payload: a surface layer and runs as compact typed arrays (pure: numpy only, no Streamlit).

Arrays travel as base64 of little-endian float32 (a `Float32Array` in the browser), NaN where a value is not
finite, or as unsigned integers where the payload quantises them; an object names its arrays in `arrays`
(`typed`). The surface layer and each run carry a content `key`: the browser keeps what it already has under a
key and redraws only what changed.
"""

from __future__ import annotations

import base64
import hashlib
import json

import numpy as np

from .contours import LEVEL_COLORS, contour_lines

Z_QUANTILE = 0.95  # the 3D mesh is clipped at this quantile of the grid so a few huge values do not flatten the rest
LIFT = 0.005  # 3D paths float this fraction of the z range above the surface so it does not hide them

KINDS = {"f4": "<f4", "u2": "<u2", "u1": "u1"}  # what an array travels as: Float32Array, Uint16Array, Uint8Array


def encode(a, kind: str = "f4") -> str:
    """`a` as base64 of its values as `kind` (float32 unless said), little-endian, C order."""
    return base64.b64encode(np.ascontiguousarray(a, dtype=KINDS[kind]).tobytes()).decode("ascii")


def decode(s: str, shape: tuple[int, ...] | None = None, kind: str = "f4") -> np.ndarray:
    """The array that `encode` wrote, reshaped to `shape` if given."""
    a = np.frombuffer(base64.b64decode(s), dtype=KINDS[kind])
    return a.reshape(shape) if shape is not None else a


def typed(obj: dict, **arrays) -> dict:
    """`obj` with `arrays` encoded and named in its "arrays" (what the browser decodes to typed arrays): float32,
    or an unsigned integer array (uint16, uint8) as it is, its kind in "kinds"."""
    kinds = {name: {np.dtype(np.uint16): "u2", np.dtype(np.uint8): "u1"}.get(np.asarray(a).dtype, "f4")
             for name, a in arrays.items()}
    return {**obj, **{name: encode(a, kinds[name]) for name, a in arrays.items()},
            "arrays": [*obj.get("arrays", []), *arrays],
            "kinds": {**obj.get("kinds", {}), **{k: v for k, v in kinds.items() if v != "f4"}}}


def content_key(obj) -> str:
    """A short stable hash of a JSON-able object."""
    return hashlib.sha1(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _mesh(surface, n: int) -> dict:
    """The 3D layer: z on an n×n grid clipped at the `Z_QUANTILE`, and log colours when `surface.log_scale`."""
    _, _, z = surface.grid(n)
    z = np.broadcast_to(np.asarray(z.numpy(), dtype=float), (n, n))
    zf = z[np.isfinite(z)]
    fmin, top = (float(zf.min()), float(np.quantile(zf, Z_QUANTILE))) if zf.size else (0.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        color = np.log(z - fmin + max((top - fmin) * 1e-6, 1e-12)) if surface.log_scale and top > fmin else None
        clipped = np.minimum(z, top)
    return typed({"n": n, "top": top, "lift": LIFT * (top - fmin)}, z=clipped,
                 **({} if color is None else {"color": color}))


def surface_layer(surface, *, levels: int = 25, n: int = 160, mesh_n: int | None = None) -> dict:
    """What the browser draws under the runs: contour polylines (all levels in one NaN-separated (N, 2) array,
    level i from `starts[i]`), the minima, and with `mesh_n` a 3D mesh of that size."""
    lines = contour_lines(surface, levels, n)
    parts, starts, at = [], [], 0
    for _, xs, ys in lines:
        starts.append(at)
        parts.append(np.column_stack([np.append(xs, np.nan), np.append(ys, np.nan)]))
        at += len(xs) + 1
    layer = typed({
        "bounds": [list(map(float, surface.bounds[0])), list(map(float, surface.bounds[1]))],
        "log": bool(surface.log_scale),
        "starts": starts,
        "palette": list(LEVEL_COLORS),
        "minima": [list(map(float, m)) for m in surface.minima],
        "mesh": _mesh(surface, mesh_n) if mesh_n else None,
    }, lines=np.concatenate(parts) if parts else np.empty((0, 2)))
    return {"key": content_key(layer), **layer}


def run_entry(label: str, color: str, config: dict, xy, loss, lr, *, diverged_at: int | None = None,
              stopped_at: int | None = None) -> dict:
    """One run: positions `xy` (steps+1, 2) — or (steps+1, starts, 2) for a swarm —, `loss` (steps+1[, starts]),
    `lr` (steps,). `end` is how many leading positions are drawn (up to divergence or the budget's stop). The key
    hashes the config, label and colour: the engine is deterministic, so the same key means the same arrays.
    A swarm's `diverged_at`/`stopped_at` are per start: its positions are NaN from there on and are not drawn."""
    xy = np.asarray(xy)
    if xy.ndim == 3:
        diverged_at = stopped_at = None
    end = next((a for a in (diverged_at, stopped_at) if a is not None), len(xy))
    return typed({"key": content_key([config, label, color]), "label": label, "color": color,
                  "steps": len(xy) - 1, "starts": 1 if xy.ndim == 2 else xy.shape[1], "end": int(end),
                  "diverged": diverged_at, "stopped": stopped_at}, xy=xy, loss=loss, lr=lr)


def run_entry_of(label: str, color: str, config: dict, traj) -> dict:
    """`run_entry` of an `optimizers.Trajectory`."""
    return run_entry(label, color, config, traj.xy, traj.loss, traj.lr, diverged_at=traj.diverged_at,
                     stopped_at=traj.stopped_at)
