"""What a finished run achieved: distances to the known minima and a summary row."""

from __future__ import annotations

import numpy as np

from .engine import Trajectory


def distance_to_minima(xy: np.ndarray, minima) -> np.ndarray | None:
    """Distance from each position (..., 2) to the nearest known minimum; None without minima."""
    if not minima:
        return None
    points = np.asarray(minima, dtype=float)
    return np.linalg.norm(np.asarray(xy, dtype=float)[..., None, :] - points, axis=-1).min(-1)


def nearest_minimum(xy: np.ndarray, minima, tolerance: float) -> np.ndarray:
    """Index of the minimum each position (..., 2) lies within `tolerance` of, else −1."""
    if not minima:
        return np.full(np.shape(xy)[:-1], -1)
    d = np.linalg.norm(np.asarray(xy, dtype=float)[..., None, :] - np.asarray(minima, dtype=float), axis=-1)
    index = d.argmin(-1)
    return np.where(np.take_along_axis(d, index[..., None], -1)[..., 0] <= tolerance, index, -1)


def summary(traj: Trajectory, minima, min_value: float | None, tolerance: float = 1e-3) -> dict:
    """Final loss and position, distance to the nearest minimum, the first step whose loss is
    within `tolerance` of the known minimum value, function evaluations (up to the step that diverged: the engine
    may step on a little before it notices), where it diverged or the cost budget stopped it
    (`Trajectory.stopped_at`)."""
    finite = np.flatnonzero(np.isfinite(traj.loss))
    last = int(finite[-1]) if len(finite) else 0
    reached = None
    if min_value is not None:
        hits = np.flatnonzero(traj.loss - min_value <= tolerance)
        reached = int(hits[0]) if len(hits) else None
    distance = distance_to_minima(traj.xy[last], minima)
    return {"final_loss": float(traj.loss[last]), "final_x": float(traj.xy[last][0]),
            "final_y": float(traj.xy[last][1]), "distance": None if distance is None else float(distance),
            "reached_at": reached, "evaluations": evaluations(traj), "diverged_at": traj.diverged_at,
            "stopped_at": traj.stopped_at}


def evaluations(traj: Trajectory, steps: int | None = None) -> int:
    """Function evaluations of the first `steps` steps (None: all), none counted after the step that diverged
    (`diverged_at`: the step that produced the first non-finite position or loss counts; one start)."""
    end = traj.steps if steps is None else steps
    if isinstance(traj.diverged_at, int):
        end = min(end, traj.diverged_at)
    return int(np.sum(traj.evals[:end]))
