r"""RMSprop, as ``torch.optim.RMSprop`` implements it.

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_\theta f(\theta_{t-1}) + \lambda \theta_{t-1} \quad (-\nabla \text{ with maximize}) \\
   v_t &\leftarrow \alpha v_{t-1} + (1 - \alpha) g_t^2 \\
   \tilde{v}_t &\leftarrow v_t - (g^{ave}_t)^2, \quad g^{ave}_t \leftarrow \alpha g^{ave}_{t-1} + (1 - \alpha) g_t
       && \text{if centered, else } \tilde{v}_t = v_t \\
   b_t &\leftarrow \mu b_{t-1} + g_t / (\sqrt{\tilde{v}_t} + \epsilon), \quad
       \theta_t \leftarrow \theta_{t-1} - \gamma b_t && \text{if } \mu > 0 \\
   \theta_t &\leftarrow \theta_{t-1} - \gamma g_t / (\sqrt{\tilde{v}_t} + \epsilon) && \text{otherwise}
   \end{aligned}

torch's centered denominator is ``sqrt(v − ḡ²) + ε``; with momentum lr multiplies the buffer, not the gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from schema import Param

from .base import MAXIMIZE, Array, OptimizerSpec, State, eps, lr, momentum, weight_decay
from .latex import Line, Values, ema_line, grad_lines, num, par, update
from .replay import before, ema, gradient, next_step


@dataclass(frozen=True, eq=False)
class RMSpropState(State):
    step: Array | None = None
    square_avg: Array | None = None
    momentum_buffer: Array | None = None
    grad_avg: Array | None = None


def replay(state: RMSpropState, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, RMSpropState]:
    step = next_step(state, p)
    g = gradient(grad, p, hp)
    alpha, mu = hp["alpha"], hp["momentum"]
    sq = ema(alpha, before(state.square_avg, p), g * g)
    q: dict[str, Array] = {"g": g, "square_avg": sq}
    ga, buf = state.grad_avg, state.momentum_buffer
    if hp["centered"]:
        ga = q["grad_avg"] = ema(alpha, before(ga, p), g)
        avg = np.sqrt(sq - ga * ga) + hp["eps"]
    else:
        avg = np.sqrt(sq) + hp["eps"]
    q["avg"] = avg
    if mu > 0:
        buf = q["momentum_buffer"] = mu * before(buf, p) + g / avg
        q["step_size"] = lr * np.ones_like(p)
        q["update"] = -lr * buf
    else:  # torch leaves the buffer alone
        q["step_size"] = lr / avg
        q["update"] = -lr * g / avg
    return q, RMSpropState(step, sq, buf, ga)


def latex(hp: dict, v: Values) -> list[Line]:
    lines = grad_lines(hp, v)
    alpha, mu, g = hp["alpha"], hp["momentum"], v("g")
    lines.append(ema_line("v_t", "v_{t-1}", "square_avg", "square_avg", alpha, "g_t^2", f"{par(g)}^2", g * g, v,
                     beta_sym=r"\alpha"))
    vt, v_tilde = "v_t", v("square_avg")
    if hp["centered"]:
        vt, v_tilde = r"\tilde{v}_t", v("square_avg") - v("grad_avg") ** 2
        lines.append(ema_line("g^{ave}_t", "g^{ave}_{t-1}", "grad_avg", "grad_avg", alpha, "g_t", par(g), g, v,
                         beta_sym=r"\alpha"))
        lines.append(Line(vt, r"v_t - (g^{ave}_t)^2", rf"{num(v('square_avg'))} - {par(v('grad_avg'))}^2", v_tilde))
    denom_sub = rf"(\sqrt{{{num(v_tilde)}}} + {num(hp['eps'])})"
    lr = num(v("lr"))
    if mu > 0:
        buf = v("momentum_buffer")
        prev = v.prev("momentum_buffer", "b_{t-1}", 0.0, lambda: (buf - g / v("avg")) / mu)
        lines.append(Line("b_t", rf"\mu b_{{t-1}} + g_t / (\sqrt{{{vt}}} + \epsilon)",
                          rf"{num(mu)} \cdot {prev} + {par(g)} / {denom_sub}", buf))
        return [*lines, update(r"\theta_{t-1} - \gamma b_t", rf"-{lr} \cdot {par(buf)}", v)]
    return [*lines, update(rf"\theta_{{t-1}} - \gamma g_t / (\sqrt{{{vt}}} + \epsilon)",
                           rf"-{lr} \cdot {par(g)} / {denom_sub}", v)]


SPEC = OptimizerSpec("RMSprop", (
    lr(0.01),
    Param("alpha", "float", 0.99, "hp.RMSprop.alpha", low=0.0, high=1.0, slider=(0.0, 0.999), symbol="α"),
    eps(1e-8), weight_decay(), momentum(),
    Param("centered", "bool", False, "hp.centered"),
    MAXIMIZE), RMSpropState, replay, latex, momentum_quantity="momentum_buffer")
