"""Basins of attraction for the player: one optimizer from a grid of starts (pure: numpy only).

The swarm's run entry (`swarm_entry`, the player's "swarm" panel) carries every start's position at a bounded
number of sampled steps (every k-th step and the last, their true step numbers in `frames`), quantised to uint16
over the surface's bounds (`GONE` where a position is not finite, outside the bounds, or after the start stopped),
and per start the minimum it reached (`basin`, an index into `colors`; `NO_MINIMUM`: none or diverged).
"""

from __future__ import annotations

import math

import numpy as np

from optimizers.metrics import nearest_minimum

from .player_data import content_key, typed
from .runs import PALETTE

GONE = 65535  # a position not drawn: not finite, outside the bounds, or the start had stopped
LEVELS = 65534  # a coordinate v travels as round((v − lo) / (hi − lo) × LEVELS): lo at 0, hi at LEVELS
NO_MINIMUM = 65535  # the basin of a start that reached no minimum (or diverged)
NO_MINIMUM_COLOR = "#9e9e9e"
MAX_POSITION_BYTES = 1_000_000  # 64 × 64 starts: ≤ 61 frames, ~1.4 MB of JSON; 24 × 24: ≤ 434 frames
TOLERANCE = 0.02  # a start reached a minimum when it ends within this share of the bounds' diagonal of it


def final_positions(traj) -> np.ndarray:
    """Where each start (n, 2) ended: its last position, or where it was when the cost budget stopped it
    (LBFGS); NaN when it diverged."""
    final = np.array(traj.xy[-1], dtype=float)
    for i, stopped in enumerate(traj.stopped_at or []):
        if stopped is not None:
            final[i] = traj.xy[stopped - 1, i]
    return final


def basins(surface, final: np.ndarray) -> np.ndarray:
    """Per start, the index of the minimum of `surface` its `final` position lies near, else −1 (none, or not
    finite: diverged)."""
    (x0, x1), (y0, y1) = surface.bounds
    labels = nearest_minimum(final, surface.minima, TOLERANCE * float(np.hypot(x1 - x0, y1 - y0)))
    labels[~np.isfinite(final).all(-1)] = -1
    return labels


def sampled_steps(last: int, max_frames: int) -> np.ndarray:
    """Every k-th step of 0..last, k the smallest that keeps them within `max_frames`, and `last` always."""
    every = max(1, math.ceil(last / max(max_frames - 1, 1)))
    return np.unique(np.append(np.arange(0, last + 1, every), last))


def quantise(xy: np.ndarray, bounds) -> np.ndarray:
    """Positions (..., 2) as uint16 over `bounds` [(x0, x1), (y0, y1)]: GONE where not finite or outside."""
    lo, hi = np.array(bounds, dtype=float).T
    with np.errstate(invalid="ignore"):
        scaled = (np.asarray(xy, dtype=float) - lo) / (hi - lo) * LEVELS
        inside = np.isfinite(scaled).all(-1) & (scaled >= 0).all(-1) & (scaled <= LEVELS).all(-1)
    return np.where(inside[..., None], np.round(np.nan_to_num(scaled)), GONE).astype(np.uint16)


def dequantise(q: np.ndarray, bounds) -> np.ndarray:
    """The positions `quantise` wrote (NaN for GONE), within half a quantisation step, (hi − lo) / LEVELS / 2."""
    lo, hi = np.array(bounds, dtype=float).T
    gone = (np.asarray(q) == GONE).any(-1, keepdims=True)
    return np.where(gone, np.nan, lo + np.asarray(q, dtype=float) / LEVELS * (hi - lo))


def swarm_entry(surface, traj, label: str, color: str, config: dict, *, palette=PALETTE,
                max_bytes: int = MAX_POSITION_BYTES) -> dict:
    """The player's run entry of a swarm `traj` (positions (steps+1, n, 2)) from a square grid of starts over
    `surface`: the positions at the sampled steps (`frames`, the player's cursor moves over them), each start's
    basin (`basin`, an index into `colors`, one per minimum from `palette`, or NO_MINIMUM: `none_color`), the
    learning rate of each sampled step, and `cells` starts per side (the basin map's squares)."""
    steps, n = traj.xy.shape[0] - 1, traj.xy.shape[1]
    frames = sampled_steps(steps, max(2, max_bytes // (4 * n)))  # 4 bytes: two uint16 per start and frame
    labels = basins(surface, final_positions(traj))
    colors = [palette[i % len(palette)] for i in range(max(len(surface.minima), 1))]
    entry = {"key": content_key(["swarm", config, label, color, colors, max_bytes]), "label": label, "color": color,
             "steps": len(frames) - 1, "starts": n, "end": len(frames), "diverged": None, "stopped": None,
             "frames": frames.tolist(), "bounds": [list(map(float, b)) for b in surface.bounds],
             "cells": math.isqrt(n), "colors": list(colors), "none_color": NO_MINIMUM_COLOR}
    return typed(entry, positions=quantise(traj.xy[frames], surface.bounds),
                 basin=np.where(labels >= 0, labels, NO_MINIMUM).astype(np.uint16),
                 lr=np.asarray(traj.lr, dtype=float)[frames[1:] - 1])
