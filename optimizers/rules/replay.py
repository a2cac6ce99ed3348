"""What the numpy replays share: the signed and L2-decayed gradient, the step counter, running averages.

Every function receives the complete hyperparameters (`OptimizerSpec.complete`): no default is repeated here.
"""

from __future__ import annotations

import numpy as np

from .base import Array, State


def f32(x) -> Array:
    """Round to float32 (torch's 0-dim scalar state) and come back to float64."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def before(value: Array | None, p: Array, fill: float | Array = 0.0) -> Array:
    """A state entry before the step: `value`, or torch's initial `fill` where the entry does not exist yet."""
    return np.full_like(p, fill) if value is None else value


def next_step(state: State, p: Array) -> Array:
    """torch's step counter after this step."""
    return before(state.get("step"), p) + 1


def signed(grad: Array, hp: dict) -> Array:
    """The gradient, negated with maximize."""
    return -grad if hp["maximize"] else grad


def l2(g: Array, p: Array, hp: dict) -> Array:
    """Coupled (L2) weight decay: g + λθ."""
    wd = hp["weight_decay"]
    return g + wd * p if wd != 0 else g


def gradient(grad: Array, p: Array, hp: dict) -> Array:
    """The gradient most rules step with: signed, then L2-decayed."""
    return l2(signed(grad, hp), p, hp)


def ema(beta: float, prior: Array, new: Array) -> Array:
    """A running average: β·prior + (1 − β)·new."""
    return beta * prior + (1 - beta) * new


def decay(p: Array, lr: Array, hp: dict, decoupled: bool) -> Array:
    """Decoupled weight decay's change of θ, −lr·λ·θ (zero otherwise), made before the update."""
    wd = hp["weight_decay"]
    return p * (1 - lr * wd) - p if decoupled and wd != 0 else np.zeros_like(p)


def moments(state: State, p: Array, grad: Array, lr: Array, hp: dict, decoupled: bool):
    """What Adam, NAdam and RAdam share: the signed (and, coupled, L2-decayed) gradient, the decoupled shrink
    and the two running moments.  Returns (step, g, shrink, m, v)."""
    b1, b2 = hp["betas"]
    g = signed(grad, hp) if decoupled else gradient(grad, p, hp)
    m = ema(b1, before(state.get("exp_avg"), p), g)
    v = ema(b2, before(state.get("exp_avg_sq"), p), g * g)
    return next_step(state, p), g, decay(p, lr, hp, decoupled), m, v
