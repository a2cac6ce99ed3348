r"""Adagrad, as ``torch.optim.Adagrad`` implements it.

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_\theta f(\theta_{t-1}) + \lambda \theta_{t-1} \quad (-\nabla \text{ with maximize}) \\
   \tilde{\gamma}_t &\leftarrow \gamma / (1 + (t - 1) \eta) \\
   s_t &\leftarrow s_{t-1} + g_t^2 \quad (s_0 = \text{initial\_accumulator\_value}) \\
   \theta_t &\leftarrow \theta_{t-1} - \tilde{\gamma}_t g_t / (\sqrt{s_t} + \epsilon)
   \end{aligned}
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from schema import Param

from .base import MAXIMIZE, Array, OptimizerSpec, State, eps, lr, weight_decay
from .latex import Line, Values, grad_lines, num, par, update
from .replay import before, gradient, next_step


@dataclass(frozen=True, eq=False)
class AdagradState(State):
    step: Array | None = None
    sum: Array | None = None


def replay(state: AdagradState, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, AdagradState]:
    step = next_step(state, p)
    g = gradient(grad, p, hp)
    clr = lr / (1 + (step - 1) * hp["lr_decay"])
    total = before(state.sum, p, hp["initial_accumulator_value"]) + g * g
    std = np.sqrt(total) + hp["eps"]
    q = {"g": g, "clr": clr, "sum": total, "std": std, "step_size": clr / std, "update": -clr * g / std}
    return q, AdagradState(step, total)


def latex(hp: dict, v: Values) -> list[Line]:
    lines = grad_lines(hp, v)
    decay = hp["lr_decay"]
    gamma = r"\gamma"
    if decay:
        gamma = r"\tilde{\gamma}_t"
        lines.append(Line(gamma, r"\gamma / (1 + (t - 1) \eta)",
                          rf"{num(v('lr'))} / (1 + {v.t - 1} \cdot {num(decay)})", v("clr")))
    g = v("g")
    prev = v.prev("sum", "s_{t-1}", hp["initial_accumulator_value"], lambda: v("sum") - g * g)
    lines.append(Line("s_t", "s_{t-1} + g_t^2", rf"{prev} + {par(g)}^2", v("sum")))
    clr = num(v("clr") if decay else v("lr"))
    return [*lines, update(rf"\theta_{{t-1}} - {gamma} g_t / (\sqrt{{s_t}} + \epsilon)",
                           rf"-{clr} \cdot {par(g)} / (\sqrt{{{num(v('sum'))}}} + {num(hp['eps'])})", v)]


SPEC = OptimizerSpec("Adagrad", (
    lr(0.01),
    Param("lr_decay", "float", 0, "hp.lr_decay", low=0.0, high=10.0, slider=(0.0, 0.1), symbol="η"),
    weight_decay(),
    Param("initial_accumulator_value", "float", 0, "hp.initial_accumulator_value", low=0.0, high=1000.0,
          slider=(0.0, 1.0), symbol="τ"),
    eps(1e-10), MAXIMIZE), AdagradState, replay, latex)
