r"""Adadelta, as ``torch.optim.Adadelta`` implements it.

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_\theta f(\theta_{t-1}) + \lambda \theta_{t-1} \quad (-\nabla \text{ with maximize}) \\
   v_t &\leftarrow \rho v_{t-1} + (1 - \rho) g_t^2 \\
   \Delta x_t &\leftarrow \sqrt{u_{t-1} + \epsilon} / \sqrt{v_t + \epsilon} \, g_t \\
   u_t &\leftarrow \rho u_{t-1} + (1 - \rho) \Delta x_t^2 \\
   \theta_t &\leftarrow \theta_{t-1} - \gamma \Delta x_t
   \end{aligned}

torch puts ε inside both roots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from schema import Param

from .base import MAXIMIZE, Array, OptimizerSpec, State, eps, lr, weight_decay
from .latex import Line, Values, ema_line, grad_lines, num, par, update
from .replay import before, ema, gradient, next_step


@dataclass(frozen=True, eq=False)
class AdadeltaState(State):
    step: Array | None = None
    square_avg: Array | None = None
    acc_delta: Array | None = None


def replay(state: AdadeltaState, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, AdadeltaState]:
    step = next_step(state, p)
    rho, eps_ = hp["rho"], hp["eps"]
    g = gradient(grad, p, hp)
    v = ema(rho, before(state.square_avg, p), g * g)
    std = np.sqrt(v + eps_)
    u_prev = before(state.acc_delta, p)
    rms_delta = np.sqrt(u_prev + eps_)
    delta = rms_delta / std * g
    u = ema(rho, u_prev, delta * delta)
    q = {"g": g, "square_avg": v, "std": std, "rms_delta": rms_delta, "delta": delta, "acc_delta": u,
         "step_size": lr * rms_delta / std, "update": -lr * delta}
    return q, AdadeltaState(step, v, u)


def latex(hp: dict, v: Values) -> list[Line]:
    rho, eps_, g = hp["rho"], hp["eps"], v("g")
    lines = [*grad_lines(hp, v),
             ema_line("v_t", "v_{t-1}", "square_avg", "square_avg", rho, "g_t^2", f"{par(g)}^2", g * g, v,
                      beta_sym=r"\rho")]
    u_prev = v.prev("acc_delta", "u_{t-1}", 0.0, lambda: v("rms_delta") ** 2 - eps_)
    lines.append(Line(r"\Delta x_t", r"\sqrt{u_{t-1} + \epsilon} / \sqrt{v_t + \epsilon} \, g_t",
                      rf"\sqrt{{{u_prev} + {num(eps_)}}} / \sqrt{{{num(v('square_avg'))} + {num(eps_)}}} "
                      rf"\cdot {par(g)}", v("delta")))
    lines.append(Line("u_t", r"\rho u_{t-1} + (1 - \rho) \Delta x_t^2",
                      rf"{num(rho)} \cdot {u_prev} + {num(1 - rho)} \cdot {par(v('delta'))}^2", v("acc_delta")))
    return [*lines, update(r"\theta_{t-1} - \gamma \Delta x_t", rf"-{num(v('lr'))} \cdot {par(v('delta'))}", v)]


SPEC = OptimizerSpec("Adadelta", (
    lr(1.0),
    Param("rho", "float", 0.9, "hp.rho", low=0.0, high=1.0, slider=(0.0, 0.999), symbol="ρ"),
    eps(1e-6), weight_decay(), MAXIMIZE), AdadeltaState, replay, latex)
