"""Linear regression's player payload (pure: numpy only, no Streamlit): the data in the surface layer, and per run
what the three panels of `ui/player/panels/regression.js` draw on the player's one cursor.

- "data": the data points, each run's fitted line y = w·x + b at the cursor (from the run's `xy`), and the
  mini-batch of the cursor's step ringed (`batch`).
- "mse" (or "mse_fixed", which sets no start on a click): the MSE over (w, b) with the paths, the points LBFGS
  evaluated (`evaluated`, `evaluated_step`) and, at the cursor, arrows along the *negative* gradient: solid for
  the gradient the optimizer used (`grad`: the mini-batch's for mini-batch runs), dashed for the full-batch one
  at the same point (`full_grad`); one length scale per run for both (`arrow_lengths`), so the two compare.
- "loss_epochs": the loss per step, with dotted lines where the first mini-batch run starts an epoch (`epochs`).
"""

from __future__ import annotations

import numpy as np

from .player_data import content_key, run_entry_of, surface_layer, typed
from .runs import RunResult

ARROW_FRACTION, ARROW_QUANTILE, ARROW_CAP, ARROW_MIN = 0.2, 0.9, 2.0, 0.01  # arrow lengths: see `arrow_lengths`
MAX_BATCH_INDICES = 500_000  # per run (≈ 1.3 MB of base64): a longer run's later steps are not ringed
NO_POINT = {np.dtype(np.uint8): 255, np.dtype(np.uint16): 65535}  # pads the last, smaller batch of an epoch


def regression_layer(surface) -> dict:
    """The surface layer (`surface_layer`: the MSE's contour lines and minimum) with the data points `data_x`,
    `data_y`, under a key of its own content."""
    layer = typed({k: v for k, v in surface_layer(surface).items() if k != "key"},
                  data_x=surface.data["x"], data_y=surface.data["y"])
    return {"key": content_key(layer), **layer}


def arrow_lengths(grads: list[np.ndarray], diagonal: float) -> dict | None:
    """How the browser draws a run's gradient arrows `grads` ((steps, 2) each) on a map of this `diagonal`: from
    xy[t] to xy[t] − scale·g, shortened to length `max` where longer and left out where shorter than `min`.

    One scale for all of them: the `ARROW_QUANTILE` of their lengths is drawn `ARROW_FRACTION` of the diagonal (the
    first steps' gradients can be 100× the later ones: scaling by the longest would shrink the rest to dots); the
    few longer than `ARROW_CAP` × that keep their direction at that length; below `ARROW_MIN` of the diagonal (a
    gradient ≈ 0 at this scale) the head alone would point anywhere. None: no gradient to draw.
    """
    lengths = np.concatenate([np.hypot(g[:, 0], g[:, 1]) for g in grads])
    lengths = lengths[np.isfinite(lengths) & (lengths > 0)]
    if not lengths.size:
        return None
    reference = ARROW_FRACTION * diagonal
    return {"scale": float(reference / np.quantile(lengths, ARROW_QUANTILE)), "max": ARROW_CAP * reference,
            "min": ARROW_MIN * diagonal}


def batch_indices(batches: np.ndarray, n_samples: int) -> np.ndarray:
    """The rows of each step's mini-batch, (steps, batch size) as uint8 (or uint16 for more rows) padded with
    `NO_POINT`, for the first steps whose indices fit in `MAX_BATCH_INDICES`."""
    dtype = np.dtype(np.uint8 if n_samples <= 255 else np.uint16)
    steps = min(len(batches), MAX_BATCH_INDICES // max(batches.shape[1], 1))
    head = batches[:steps]
    return np.where(head >= 0, head, NO_POINT[dtype]).astype(dtype)


def epoch_starts(epoch: np.ndarray) -> np.ndarray:
    """The steps that start a new epoch (xy[t] ends the previous one)."""
    return np.flatnonzero(np.diff(epoch)) + 1


def regression_entry(surface, result: RunResult) -> dict:
    """A run's player entry (`run_entry_of`) with the regression panels' arrays (see the module's docstring)."""
    traj = result.traj
    if np.ndim(traj.xy) != 2:
        raise ValueError(f"runs: {result.label!r} has several starts; the regression chart takes single-start runs")
    (w0, w1), (b0, b1) = surface.bounds
    used = np.asarray(traj.grad, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        full = surface.gradient(np.asarray(traj.xy, dtype=float)[:len(used)])  # at xy[t], where step t's arrows start
        entry = typed(run_entry_of(result.label, result.color, result.config, traj), grad=used, full_grad=full)
    entry["arrow"] = arrow_lengths([used, full], float(np.hypot(w1 - w0, b1 - b0)))
    if traj.batches is not None:
        batches = np.asarray(traj.batches)
        entry = typed(entry, batch=batch_indices(batches, surface.n_samples), epochs=epoch_starts(traj.epoch))
        entry["batch_size"] = int(batches.shape[1])
    if traj.closure_xy is not None and len(traj.closure_xy):
        entry = typed(entry, evaluated=np.asarray(traj.closure_xy, dtype=float),
                      evaluated_step=np.asarray(traj.closure_step, dtype=float))
    return entry
