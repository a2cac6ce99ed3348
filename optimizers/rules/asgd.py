r"""ASGD, after ``torch.optim.ASGD``'s code (it has no documented algorithm).

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_\theta f(\theta_{t-1}) + \lambda_{wd} \theta_{t-1} \quad (-\nabla \text{ with maximize}) \\
   \theta_t &\leftarrow \theta_{t-1} (1 - \lambda \eta_t) - \eta_t g_t \\
   \bar{\theta}_t &\leftarrow \theta_t \text{ if } \mu_t = 1,
       \text{ else } \bar{\theta}_{t-1} + \mu_t (\theta_t - \bar{\theta}_{t-1}) \\
   \eta_{t+1} &\leftarrow \gamma_t / (1 + \lambda \gamma_t t)^{\alpha}, \qquad \mu_{t+1} \leftarrow 1 / \max(1, t - t_0)
   \end{aligned}

It steps with the η computed at the previous step (the first η is the group's lr when the state is created).
torch keeps ``eta`` and ``mu`` as 0-dim tensors of its default float dtype: they are rounded to float32 here too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from schema import Param

from .base import MAXIMIZE, Array, OptimizerSpec, State, lr, weight_decay
from .latex import Line, Values, grad_lines, num, par, update
from .replay import before, f32, gradient, next_step


@dataclass(frozen=True, eq=False)
class ASGDState(State):
    step: Array | None = None
    eta: Array | None = None
    mu: Array | None = None
    ax: Array | None = None


def replay(state: ASGDState, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, ASGDState]:
    step = next_step(state, p)
    lambd, alpha, t0 = hp["lambd"], hp["alpha"], hp["t0"]
    g = gradient(grad, p, hp)
    eta = before(state.eta, p, f32(lr))
    mu = before(state.mu, p, 1.0)
    new_p = p * (1 - lambd * eta) - eta * g
    ax_prev = before(state.ax, p)
    ax = np.where(mu != 1, ax_prev + (new_p - ax_prev) * mu, new_p)
    new_eta = f32(lr / (1 + lambd * lr * step) ** alpha)
    new_mu = f32(1 / np.maximum(1, step - t0))
    q = {"g": g, "eta": eta, "mu": mu, "decay": 1 - lambd * eta, "step_size": eta, "update": new_p - p,
         "ax": ax, "eta_next": new_eta, "mu_next": new_mu}
    return q, ASGDState(step, new_eta, new_mu, ax)


def latex(hp: dict, v: Values) -> list[Line]:
    """The running average θ̄ does not move θ and is left out."""
    lambd, alpha, t0 = hp["lambd"], hp["alpha"], hp["t0"]
    eta, g = v("eta"), v("g")
    lr = num(v.pick(v.previous.quantities["lr"]) if v.previous is not None else v("lr"))  # η_t is set a step early
    lines = [*grad_lines(hp, v),
             Line(r"\eta_t", r"\gamma_{t-1} / (1 + \lambda \gamma_{t-1} (t - 1))^{\alpha}",
                  rf"{lr} / (1 + {num(lambd)} \cdot {lr} \cdot {v.t - 1})^{{{num(alpha)}}}", eta),
             Line(r"\mu_t", r"1 / \max(1, t - 1 - t_0)", rf"1 / \max(1, {v.t - 1} - {num(t0)})", v("mu"))]
    shrink = v("update") + eta * g  # −λ η_t θ_{t−1}
    return [*lines, update(r"\theta_{t-1} (1 - \lambda \eta_t) - \eta_t g_t",
                           rf"-{num(lambd)} \cdot {num(eta)} \cdot \theta_{{t-1}} - {num(eta)} \cdot {par(g)} = "
                           rf"{num(shrink)} - {par(eta * g)}", v)]


SPEC = OptimizerSpec("ASGD", (
    lr(0.01),
    Param("lambd", "float", 1e-4, "hp.lambd", low=0.0, high=10.0, slider=(0.0, 0.01)),
    Param("alpha", "float", 0.75, "hp.ASGD.alpha", low=0.0, high=10.0, slider=(0.0, 2.0)),
    Param("t0", "float", 1e6, "hp.t0", low=0.0, high=1e9, slider=(0.0, 1e4)),
    weight_decay(), MAXIMIZE), ASGDState, replay, latex)
