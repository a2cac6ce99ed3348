"""Inside the optimizer: a recorded run replayed step by step with each optimizer's numpy update rule.

`explain(traj)` starts from empty state and applies the rule (`OptimizerSpec.replay`, one module per optimizer
in `rules/`) to the position, the gradient and the learning rate of each step; it returns that step's
intermediate quantities (the rule "with this step's numbers substituted") together with the typed state it
holds afterwards.  The rules are written independently from torch's documented algorithms and the
single-tensor code paths of ``torch/optim/*.py``; where the two differ the code is followed (each rule's
module says where), and the tests check that they reproduce torch's recorded state and update at every step.

The hyperparameters are the ones torch stepped with (`hparams_at`), completed with torch's defaults once here:
OneCycleLR and CyclicLR change momentum (SGD, RMSprop) or β₁ (the Adam family) at every step, and CyclicLR
sets them even when the config's momentum is 0.  State an optimizer does not touch at a step (SGD's or
RMSprop's momentum buffer while the momentum is 0) is kept, as torch keeps it.

LBFGS (a line-search method with closure calls) and Adafactor (factored, non element-wise second moments)
are not covered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .rules.base import Array, Replay, State
from .specs import EXPLAINED


@dataclass(frozen=True)
class StepExplained:
    """One step of a replayed run: its named per-coordinate quantities, the state after it (typed; as a mapping,
    torch's entries by name), and the complete hyperparameters each coordinate's group stepped with (x's, y's)."""

    t: int
    quantities: dict[str, Array]
    state_after: State
    hparams: tuple[dict, ...] = ()


def _lr_at(traj, t: int, shape: tuple[int, ...]) -> Array:
    """The lr each coordinate used at step t: group 0 → x, group 1 → y when there are two groups."""
    group_lr = np.asarray(traj.group_lr[t], dtype=np.float64)
    if group_lr.shape[-1] == 2:
        return np.broadcast_to(group_lr, shape).copy()
    return np.broadcast_to(group_lr[..., :1], shape).copy()


def _value(a: Array):
    """A recorded hyperparameter as the optimizer holds it: a float, or a tuple of floats (betas)."""
    return float(a) if a.ndim == 0 else tuple(float(x) for x in a)


def hparams_at(traj, t: int) -> tuple[dict, ...]:
    """The hyperparameters of each parameter group when step t ran: the config's, with the values a scheduler
    had set (`traj.hparams_used`).  One dict per group (two with lr_multipliers: x's, then y's); lr is in
    `traj.group_lr`."""
    used = getattr(traj, "hparams_used", None) or {}
    groups = np.shape(traj.group_lr)[-1] if np.ndim(traj.group_lr) > 1 else 1
    base = traj.config["hparams"]
    return tuple({**base, **{k: _value(np.asarray(v[t])[i]) for k, v in used.items()}} for i in range(groups))


def coordinate_hparams(traj, t: int) -> tuple[dict, dict]:
    """The hyperparameters x's and y's groups stepped with at step t (the same dict with one group)."""
    groups = hparams_at(traj, t)
    return (groups[0], groups[-1])


def scheduled_hparams(traj, t: int, group: int = 0) -> dict[str, tuple]:
    """{name: (value torch stepped with at step t, configured value)} for each hyperparameter (other than lr)
    that differed from its configured value somewhere in the run (`traj.hparams_used`: a scheduler's
    momentum or betas), in `group`'s parameter group."""
    used = hparams_at(traj, t)[group]
    return {k: (used[k], traj.config["hparams"].get(k)) for k in getattr(traj, "hparams_used", None) or {}}


def _by_coordinate(replay: Replay, state: State, p: Array, g: Array, lr: Array, hps: tuple[dict, ...]):
    """The rule with x's hyperparameters for x and y's for y (groups a scheduler set apart).  State a step
    leaves alone is kept; a quantity only one of them has is NaN in the other coordinate."""
    (qx, sx), (qy, sy) = (replay(state, p, g, lr, hp) for hp in hps)

    def joined(x: Array | None, y: Array | None) -> Array:
        x, y = (np.asarray(np.full_like(p, np.nan) if a is None else a, dtype=np.float64) for a in (x, y))
        return np.stack(np.broadcast_arrays(x[..., 0], y[..., 1]), axis=-1)

    quantities = {k: joined(qx.get(k), qy.get(k)) for k in dict.fromkeys([*qx, *qy])}
    return quantities, type(sx)(**{name: joined(sx.get(name), sy.get(name)) if name in sx or name in sy else None
                                   for name in sx.names()})


def explain(traj) -> list[StepExplained]:
    """Replay `traj` with numpy (float64) from empty state; every step's quantities and state after it.

    Each step uses the learning rate and the other hyperparameters torch stepped with (`hparams_at`)."""
    name = traj.config["optimizer"]
    if name not in EXPLAINED:
        raise ValueError(f"no explained update rule for {name!r}; covered: {', '.join(EXPLAINED)}")
    spec = EXPLAINED[name]
    replay = spec.replay
    assert replay is not None  # EXPLAINED holds the optimizers with a replay
    state = spec.state()
    out = []
    for t in range(traj.steps):
        p = np.asarray(traj.xy[t], dtype=np.float64)
        g = np.asarray(traj.grad[t], dtype=np.float64)
        lr = _lr_at(traj, t, p.shape)
        hps = tuple(spec.complete(hp) for hp in coordinate_hparams(traj, t))
        if hps[0] == hps[1]:
            quantities, state = replay(state, p, g, lr, hps[0])
        else:
            quantities, state = _by_coordinate(replay, state, p, g, lr, hps)
        out.append(StepExplained(t, {"lr": lr, **quantities}, state, hps))
    return out
