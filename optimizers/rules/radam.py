r"""RAdam, as ``torch.optim.RAdam`` implements it.

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_\theta f(\theta_{t-1}) \quad (-\nabla \text{ with maximize}; \text{ decay as in Adam}) \\
   m_t &\leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
   \hat{m}_t &\leftarrow m_t / (1 - \beta_1^t) \\
   \rho_\infty &\leftarrow 2 / (1 - \beta_2) - 1, \qquad
       \rho_t \leftarrow \rho_\infty - 2 t \beta_2^t / (1 - \beta_2^t) \\
   \theta_t &\leftarrow \theta_t - \gamma \hat{m}_t r_t l_t \quad \text{if } \rho_t > 5, \text{ else }
       \theta_t - \gamma \hat{m}_t \\
   l_t &= \sqrt{1 - \beta_2^t} / (\sqrt{v_t} + \epsilon), \qquad
       r_t = \sqrt{\tfrac{(\rho_t - 4)(\rho_t - 2) \rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2) \rho_t}}
   \end{aligned}

torch adds ε to ``sqrt(v)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import MAXIMIZE, Array, OptimizerSpec, State, betas, decoupled, eps, lr, weight_decay
from .latex import Line, Values, is_decoupled, m_hat_line, moment_lines, num, par, shrunk, update, weight_decay_lines
from .replay import moments


@dataclass(frozen=True, eq=False)
class RAdamState(State):
    step: Array | None = None
    exp_avg: Array | None = None
    exp_avg_sq: Array | None = None


def replay(state: RAdamState, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, RAdamState]:
    step, g, shrink, m, v = moments(state, p, grad, lr, hp, hp["decoupled_weight_decay"])
    b1, b2 = hp["betas"]
    bc1, bc2 = 1 - b1 ** step, 1 - b2 ** step
    m_hat = m / bc1
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * step * b2 ** step / bc2
    rectified = rho_t > 5.0
    safe_rho = np.where(rectified, rho_t, 6.0)
    rect = np.where(rectified, np.sqrt((safe_rho - 4) * (safe_rho - 2) * rho_inf
                                       / ((rho_inf - 4) * (rho_inf - 2) * safe_rho)), 1.0)
    adaptive = np.where(rectified, np.sqrt(bc2) / (np.sqrt(v) + hp["eps"]), 1.0)
    step_size = lr * rect * adaptive
    q = {"g": g, "m": m, "v": v, "m_hat": m_hat, "rho_inf": rho_inf * np.ones_like(p), "rho_t": rho_t,
         "rectified": rectified.astype(float), "r_t": rect, "l_t": adaptive, "weight_decay_shrink": shrink,
         "step_size": step_size, "update": shrink - step_size * m_hat}
    return q, RAdamState(step, m, v)


def latex(hp: dict, v: Values) -> list[Line]:
    decoupled = is_decoupled(hp)
    b2, eps_, t = hp["betas"][1], hp["eps"], v.t
    rho_inf = 2 / (1 - b2) - 1
    lines = [*weight_decay_lines(hp, v, decoupled), *moment_lines(hp, v), m_hat_line(hp, v),
             Line(r"\rho_\infty", r"2 / (1 - \beta_2) - 1", rf"2 / (1 - {num(b2)}) - 1", rho_inf),
             Line(r"\rho_t", r"\rho_\infty - 2 t \beta_2^t / (1 - \beta_2^t)",
                  rf"{num(rho_inf)} - 2 \cdot {t} \cdot {num(b2)}^{{{t}}} / (1 - {num(b2)}^{{{t}}})", v("rho_t"))]
    rule_mode = v.step is None
    lr, m_hat = num(v("lr")), par(v("m_hat"))
    if rule_mode or v("rectified"):
        rho = num(v("rho_t"))
        lines += [Line("l_t", r"\sqrt{1 - \beta_2^t} / (\sqrt{v_t} + \epsilon)",
                       rf"\sqrt{{1 - {num(b2)}^{{{t}}}}} / (\sqrt{{{num(v('v'))}}} + {num(eps_)})", v("l_t")),
                  Line("r_t", r"\sqrt{\frac{(\rho_t - 4)(\rho_t - 2) \rho_\infty}"
                              r"{(\rho_\infty - 4)(\rho_\infty - 2) \rho_t}}",
                       rf"\sqrt{{\frac{{({rho} - 4)({rho} - 2) \cdot {num(rho_inf)}}}"
                       rf"{{({num(rho_inf)} - 4)({num(rho_inf)} - 2) \cdot {rho}}}}}", v("r_t"))]
    if rule_mode:
        rhs, _ = shrunk(r"\gamma \hat{m}_t r_t l_t \;\text{if}\; \rho_t > 5 \text{, else }"
                        + (r"\theta_t" if decoupled else r"\theta_{t-1}") + r" - \gamma \hat{m}_t", "", decoupled, v)
        return [*lines, update(rhs, "", v)]
    if v("rectified"):
        rhs, sub = shrunk(r"\gamma \hat{m}_t r_t l_t",
                          rf"{lr} \cdot {m_hat} \cdot {num(v('r_t'))} \cdot {num(v('l_t'))}", decoupled, v)
    else:
        rhs, sub = shrunk(r"\gamma \hat{m}_t", rf"{lr} \cdot {m_hat}", decoupled, v)
    return [*lines, update(rhs, sub, v)]


SPEC = OptimizerSpec("RAdam", (lr(0.001), betas(), eps(1e-8), weight_decay(), decoupled(), MAXIMIZE), RAdamState,
                     replay, latex, momentum_quantity="m")
