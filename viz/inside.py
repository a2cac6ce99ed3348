"""One optimizer step up close, as the player draws it (pure numpy): the arrows of every update torch made
(−gradient, −momentum, Δθ), each at one scale for the whole run, and torch's state entries over the steps (the rule's
lines are fitted to their column by `viz.latex_fit`).

Step k (1 ≤ k ≤ steps) is torch's k-th `optimizer.step()`, θ_{k−1} → θ_k: row k − 1 of every array here, as in the
engine's `Trajectory` (`grad[k − 1]`, `update[k − 1]`, `state[key][k − 1]`); step 0 is the start.
"""

from __future__ import annotations

import numpy as np

from .player_data import content_key, run_entry_of, typed

ARROW_SHARE = 0.22  # the long arrows of a kind (its 99th percentile in the run) span this share of the diagonal
STATE_ROWS = 4  # the player's state panels "state0" … "state3" (ui/player/panels/inside.js)
ARROW_COLORS = {"neg_grad": "#1f1f1f", "neg_momentum": "#8E24AA", "update": "#E6194B"}  # none of the run colours


def update_vectors(traj, explained: list | None, momentum: str | None) -> dict[str, np.ndarray]:
    """(steps, 2) arrays, row k − 1 for step k: −g (the rule's gradient, as the numbers use it; torch's recorded
    one without a replay), −momentum (the rule's `momentum` quantity, NaN where a step used none; only with a
    replay that has one) and Δθ = θ_k − θ_{k−1}."""
    vectors = {"neg_grad": -np.asarray(traj.grad, dtype=float)}
    if explained is not None:
        vectors["neg_grad"] = -np.array([s.quantities["g"] for s in explained], dtype=float)
        if momentum is not None and any(momentum in s.quantities for s in explained):
            nan = np.full(2, np.nan)
            vectors["neg_momentum"] = -np.array([s.quantities.get(momentum, nan) for s in explained], dtype=float)
    return {**vectors, "update": np.asarray(traj.update, dtype=float)}


def _scale(vectors: list[np.ndarray], diagonal: float) -> float:
    """A 1-2-5 factor that makes the 99th-percentile length of `vectors` about `ARROW_SHARE` of `diagonal`, and the
    longest at most 4 × that (a run that converges in a few steps, as LBFGS on a bowl, has only those few arrows)."""
    lengths = np.concatenate([np.hypot(v[:, 0], v[:, 1]) for v in vectors])
    lengths = lengths[np.isfinite(lengths) & (lengths > 0)]
    if not lengths.size:
        return 1.0
    raw = ARROW_SHARE * diagonal / max(float(np.quantile(lengths, 0.99)), float(lengths.max()) / 4)
    magnitude = 10.0 ** np.floor(np.log10(raw))
    return float(max(m for m in (1, 2, 5, 10) if m * magnitude <= raw * (1 + 1e-9)) * magnitude)


def arrow_scales(vectors: dict[str, np.ndarray], xy: np.ndarray, bounds) -> dict[str, float]:
    """Each arrow's factor, the same at every step of the run: one for the gradient and the momentum (gradient
    units), one for Δθ (a step of θ, often hundreds of times shorter). Only the steps that start inside the plot
    count (a run blowing up has huge arrows far outside it); longer arrows than the plot are cut at its edge."""
    (x0, x1), (y0, y1) = bounds
    start = np.asarray(xy, dtype=float)[:-1]
    inside = (start[:, 0] >= x0) & (start[:, 0] <= x1) & (start[:, 1] >= y0) & (start[:, 1] <= y1)
    seen = {name: v[inside] for name, v in vectors.items()}
    diagonal = float(np.hypot(x1 - x0, y1 - y0))
    moves = _scale([seen["neg_grad"], *([seen["neg_momentum"]] if "neg_momentum" in seen else [])], diagonal)
    return {name: _scale([seen["update"]], diagonal) if name == "update" else moves for name in vectors}


def state_series(traj, names: list[str], explained: list | None) -> dict[str, np.ndarray]:
    """torch's recorded state entries `names` (those the run recorded), (steps, 2) each (row k − 1: after step k),
    and with a replay the rule's effective step size per coordinate as "step_size"."""
    series = {name: np.asarray(traj.state[name], dtype=float) for name in names if name in traj.state}
    if explained is not None:
        series["step_size"] = np.array([s.quantities["step_size"] * np.ones(2) for s in explained], dtype=float)
    return series


def inside_entry(label: str, color: str, config: dict, traj, vectors: dict[str, np.ndarray],
                 series: dict[str, np.ndarray], bounds) -> dict:
    """The player's run entry (`run_entry_of`) with the arrows (`vectors`, each with its colour and its one scale
    for the run, `arrow_scales`) and the state `series` as typed arrays; its key also hashes what it carries."""
    entry = run_entry_of(label, color, config, traj)
    scales = arrow_scales(vectors, traj.xy, bounds)
    return typed({**entry, "key": content_key([entry["key"], scales, list(series)]),
                  "vectors": [{"array": name, "color": ARROW_COLORS[name], "scale": scales[name]} for name in vectors],
                  "series": [{"array": f"state_{i}", "name": name} for i, name in enumerate(series)]},
                 **vectors, **{f"state_{i}": values for i, values in enumerate(series.values())})
