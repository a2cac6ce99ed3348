r"""Adamax, as ``torch.optim.Adamax`` implements it.

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_\theta f(\theta_{t-1}) + \lambda \theta_{t-1} \quad (-\nabla \text{ with maximize}) \\
   m_t &\leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
   u_t &\leftarrow \max(\beta_2 u_{t-1}, |g_t| + \epsilon) \\
   \theta_t &\leftarrow \theta_{t-1} - \gamma m_t / ((1 - \beta_1^t) u_t)
   \end{aligned}
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import MAXIMIZE, Array, OptimizerSpec, State, betas, eps, lr, weight_decay
from .latex import Line, Values, ema_line, grad_lines, num, par, update
from .replay import before, ema, gradient, next_step


@dataclass(frozen=True, eq=False)
class AdamaxState(State):
    step: Array | None = None
    exp_avg: Array | None = None
    exp_inf: Array | None = None


def replay(state: AdamaxState, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, AdamaxState]:
    step = next_step(state, p)
    b1, b2 = hp["betas"]
    g = gradient(grad, p, hp)
    m = ema(b1, before(state.exp_avg, p), g)
    u = np.maximum(b2 * before(state.exp_inf, p), np.abs(g) + hp["eps"])
    bc = 1 - b1 ** step
    clr = lr / bc
    q = {"g": g, "m": m, "u": u, "bias_correction": bc, "clr": clr, "m_hat": m / bc,
         "step_size": clr / u, "update": -clr * m / u}
    return q, AdamaxState(step, m, u)


def latex(hp: dict, v: Values) -> list[Line]:
    (b1, b2), g = hp["betas"], v("g")
    lines = [*grad_lines(hp, v), ema_line("m_t", "m_{t-1}", "m", "exp_avg", b1, "g_t", par(g), g, v,
                                          beta_sym=r"\beta_1")]
    prev = v.prev("exp_inf", "u_{t-1}", 0.0)
    lines.append(Line("u_t", r"\max(\beta_2 u_{t-1}, |g_t| + \epsilon)",
                      rf"\max({num(b2)} \cdot {prev}, |{num(g)}| + {num(hp['eps'])})", v("u")))
    return [*lines, update(r"\theta_{t-1} - \gamma m_t / ((1 - \beta_1^t) u_t)",
                           rf"-{num(v('lr'))} \cdot {par(v('m'))} / ((1 - {num(b1)}^{{{v.t}}}) \cdot {num(v('u'))})",
                           v)]


SPEC = OptimizerSpec("Adamax", (lr(0.002), betas(), eps(1e-8), weight_decay(), MAXIMIZE), AdamaxState, replay,
                     latex, momentum_quantity="m")
