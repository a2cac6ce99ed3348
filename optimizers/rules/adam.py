r"""Adam and AdamW, as ``torch.optim.Adam`` / ``torch.optim.AdamW`` implement them (AdamW: Adam whose weight
decay is always decoupled).

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_\theta f(\theta_{t-1}) \quad (-\nabla \text{ with maximize}) \\
   g_t &\leftarrow g_t + \lambda \theta_{t-1} \quad \text{(coupled)}, \qquad
       \theta_t \leftarrow \theta_{t-1} (1 - \gamma \lambda) \quad \text{(decoupled)} \\
   m_t &\leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
   \hat{m}_t &\leftarrow m_t / (1 - \beta_1^t), \qquad
       \hat{v}_t \leftarrow \max(v^{max}_{t-1}, v_t) / (1 - \beta_2^t) \text{ (amsgrad), else } v_t / (1 - \beta_2^t) \\
   \theta_t &\leftarrow \theta_t - \gamma \hat{m}_t / (\sqrt{\hat{v}_t} + \epsilon)
   \end{aligned}

torch adds ε to ``sqrt(v̂)`` (``sqrt(v)/sqrt(1−β₂ᵗ) + ε``); the decoupled shrink is made before the update and
is part of Δθ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import AMSGRAD, MAXIMIZE, Array, OptimizerSpec, State, betas, decoupled, eps, lr, weight_decay
from .latex import Line, Values, is_decoupled, m_hat_line, moment_lines, num, par, shrunk, update, weight_decay_lines
from .replay import before, moments


@dataclass(frozen=True, eq=False)
class AdamState(State):
    step: Array | None = None
    exp_avg: Array | None = None
    exp_avg_sq: Array | None = None
    max_exp_avg_sq: Array | None = None


def _replay(state: AdamState, p: Array, grad: Array, lr: Array, hp: dict, decoupled: bool):
    step, g, shrink, m, v = moments(state, p, grad, lr, hp, decoupled)
    b1, b2 = hp["betas"]
    bc1, bc2 = 1 - b1 ** step, 1 - b2 ** step
    q: dict[str, Array] = {"g": g, "m": m, "v": v, "bias_correction1": bc1, "bias_correction2": bc2,
                           "m_hat": m / bc1, "v_hat": v / bc2}
    v_max = state.max_exp_avg_sq
    if hp["amsgrad"]:
        v_max = q["v_max"] = np.maximum(before(v_max, p), v)
        q["v_hat"] = v_max / bc2
    q["denom"] = np.sqrt(q["v_hat"]) + hp["eps"]
    q["step_size"] = lr / q["denom"]
    q["weight_decay_shrink"] = shrink
    q["update"] = shrink - q["step_size"] * q["m_hat"]
    return q, AdamState(step, m, v, v_max)


def _latex(hp: dict, v: Values, decoupled: bool) -> list[Line]:
    lines = [*weight_decay_lines(hp, v, decoupled), *moment_lines(hp, v), m_hat_line(hp, v)]
    v_used = "v_t"
    if hp["amsgrad"]:
        v_used = "v_t^{max}"
        prev = v.prev("max_exp_avg_sq", "v_{t-1}^{max}", 0.0)
        lines.append(Line(v_used, r"\max(v_{t-1}^{max}, v_t)", rf"\max({prev}, {num(v('v'))})", v("v_max")))
    lines.append(Line(r"\hat{v}_t", rf"{v_used} / (1 - \beta_2^t)",
                      rf"{num(v('v_max') if hp['amsgrad'] else v('v'))} / (1 - {num(hp['betas'][1])}^{{{v.t}}})",
                      v("v_hat")))
    rhs, sub = shrunk(r"\gamma \hat{m}_t / (\sqrt{\hat{v}_t} + \epsilon)",
                      rf"{num(v('lr'))} \cdot {par(v('m_hat'))} / (\sqrt{{{num(v('v_hat'))}}} + {num(hp['eps'])})",
                      decoupled, v)
    return [*lines, update(rhs, sub, v)]


def replay_adam(state: AdamState, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, AdamState]:
    return _replay(state, p, grad, lr, hp, hp["decoupled_weight_decay"])


def replay_adamw(state: AdamState, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, AdamState]:
    return _replay(state, p, grad, lr, hp, True)


def latex_adam(hp: dict, v: Values) -> list[Line]:
    return _latex(hp, v, is_decoupled(hp))


def latex_adamw(hp: dict, v: Values) -> list[Line]:
    return _latex(hp, v, hp["weight_decay"] != 0)


ADAM = OptimizerSpec("Adam", (lr(0.001), betas(), eps(1e-8), weight_decay(), AMSGRAD, MAXIMIZE, decoupled()),
                     AdamState, replay_adam, latex_adam, momentum_quantity="m")
ADAMW = OptimizerSpec("AdamW", (lr(0.001), betas(), eps(1e-8), weight_decay(0.01), AMSGRAD, MAXIMIZE),
                      AdamState, replay_adamw, latex_adamw, momentum_quantity="m")
