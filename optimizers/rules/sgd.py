r"""SGD, as ``torch.optim.SGD`` implements it (torch's momentum: b = μb + g, θ −= γb).

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_\theta f(\theta_{t-1}) \quad (-\nabla \text{ with maximize}) \\
   g_t &\leftarrow g_t + \lambda \theta_{t-1} && \text{if } \lambda \ne 0 \\
   b_t &\leftarrow \mu b_{t-1} + (1 - \tau) g_t \quad (b_1 = g_1) && \text{if } \mu \ne 0 \\
   g_t &\leftarrow g_t + \mu b_t \text{ (nesterov), else } b_t && \text{if } \mu \ne 0 \\
   \theta_t &\leftarrow \theta_{t-1} - \gamma g_t
   \end{aligned}
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from schema import Param
from texts import message

from .base import MAXIMIZE, Array, OptimizerSpec, State, lr, momentum, weight_decay
from .latex import Line, Values, grad_lines, num, par, update
from .replay import gradient


@dataclass(frozen=True, eq=False)
class SGDState(State):
    momentum_buffer: Array | None = None


def replay(state: SGDState, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, SGDState]:
    g = gradient(grad, p, hp)
    mu, tau = hp["momentum"], hp["dampening"]
    q: dict[str, Array] = {"g": g}
    d, buf = g, state.momentum_buffer  # at momentum 0 torch leaves the buffer alone
    if mu != 0:
        buf = g.copy() if buf is None else mu * buf + (1 - tau) * g
        q["momentum_buffer"] = buf
        d = g + mu * buf if hp["nesterov"] else buf
    q["direction"] = d
    q["step_size"] = lr * np.ones_like(p)
    q["update"] = -lr * d
    return q, SGDState(buf)


def latex(hp: dict, v: Values) -> list[Line]:
    lines = grad_lines(hp, v)
    mu, tau, lr = hp["momentum"], hp["dampening"], num(v("lr"))
    if mu == 0:
        return [*lines, update(r"\theta_{t-1} - \gamma g_t", rf"-{lr} \cdot {par(v('g'))}", v)]
    buf = v("momentum_buffer")
    damp = r"(1 - \tau) " if tau else ""
    if v.step is not None and v.step.t == 0:
        lines.append(Line("b_t", "g_t", value=buf))
    else:
        prev = v.prev("momentum_buffer", "b_{t-1}", None, lambda: (buf - (1 - tau) * v("g")) / mu)
        lines.append(Line("b_t", rf"\mu b_{{t-1}} + {damp}g_t",
                          rf"{num(mu)} \cdot {prev} + {num(1 - tau)} \cdot {par(v('g'))}", buf))
    if hp["nesterov"]:
        lines.append(Line("g_t", r"g_t + \mu b_t", rf"{par(v('g'))} + {num(mu)} \cdot {par(buf)}",
                          v("direction"), op=r"\leftarrow"))
        return [*lines, update(r"\theta_{t-1} - \gamma g_t", rf"-{lr} \cdot {par(v('direction'))}", v)]
    return [*lines, update(r"\theta_{t-1} - \gamma b_t", rf"-{lr} \cdot {par(buf)}", v)]


def _nesterov_rule(hp, context):
    if hp["nesterov"] and (hp["momentum"] <= 0 or hp["dampening"] != 0):
        return "nesterov", message("rule.nesterov")
    return None


SPEC = OptimizerSpec("SGD", (
    lr(0.001), momentum(),
    Param("dampening", "float", 0, "hp.dampening", low=0.0, high=1.0, slider=(0.0, 1.0), symbol="τ"),
    weight_decay(),
    Param("nesterov", "bool", False, "hp.nesterov"),
    MAXIMIZE), SGDState, replay, latex, momentum_quantity="momentum_buffer", rules=(_nesterov_rule,))
