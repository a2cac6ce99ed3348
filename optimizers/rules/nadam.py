r"""NAdam, as ``torch.optim.NAdam`` implements it.

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_\theta f(\theta_{t-1}) \quad (-\nabla \text{ with maximize}; \text{ decay as in Adam}) \\
   \mu_t &\leftarrow \beta_1 (1 - \tfrac{1}{2} 0.96^{t \psi}), \qquad
       \mu_{t+1} \leftarrow \beta_1 (1 - \tfrac{1}{2} 0.96^{(t+1) \psi}) \\
   m_t &\leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
   \hat{m}_t &\leftarrow \mu_{t+1} m_t / (1 - \textstyle\prod_{i=1}^{t+1} \mu_i)
       + (1 - \mu_t) g_t / (1 - \textstyle\prod_{i=1}^{t} \mu_i) \\
   \hat{v}_t &\leftarrow v_t / (1 - \beta_2^t) \\
   \theta_t &\leftarrow \theta_t - \gamma \hat{m}_t / (\sqrt{\hat{v}_t} + \epsilon)
   \end{aligned}

torch adds ε to ``sqrt(v/(1−β₂ᵗ))``, and keeps ``mu_product`` as a 0-dim tensor of its default float dtype:
it is rounded to float32 here too, so float64 runs match to 1e-9.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from schema import Param

from .base import MAXIMIZE, Array, OptimizerSpec, State, betas, decoupled, eps, lr, weight_decay
from .latex import Line, Values, is_decoupled, moment_lines, num, par, shrunk, update, weight_decay_lines
from .replay import before, f32, moments


@dataclass(frozen=True, eq=False)
class NAdamState(State):
    step: Array | None = None
    mu_product: Array | None = None
    exp_avg: Array | None = None
    exp_avg_sq: Array | None = None


def replay(state: NAdamState, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, NAdamState]:
    psi, b1 = hp["momentum_decay"], hp["betas"][0]
    step, g, shrink, m, v = moments(state, p, grad, lr, hp, hp["decoupled_weight_decay"])
    bc2 = 1 - hp["betas"][1] ** step
    mu = b1 * (1.0 - 0.5 * 0.96 ** (step * psi))
    mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
    mu_product = f32(f32(before(state.mu_product, p, 1.0)) * f32(mu))
    mu_product_next = mu_product * mu_next
    denom = np.sqrt(v / bc2) + hp["eps"]
    grad_coef = lr * (1.0 - mu) / (1.0 - mu_product)
    mom_coef = lr * mu_next / (1.0 - mu_product_next)
    m_hat = mu_next * m / (1.0 - mu_product_next) + (1.0 - mu) * g / (1.0 - mu_product)  # update = −lr·m̂/denom
    q = {"g": g, "mu": mu, "mu_next": mu_next, "mu_product": mu_product, "mu_product_next": mu_product_next,
         "m": m, "v": v, "m_hat": m_hat, "bias_correction2": bc2, "v_hat": v / bc2, "denom": denom,
         "grad_coef": grad_coef, "momentum_coef": mom_coef, "weight_decay_shrink": shrink,
         "step_size": lr / denom, "update": shrink - grad_coef * g / denom - mom_coef * m / denom}
    return q, NAdamState(step, mu_product, m, v)


def latex(hp: dict, v: Values) -> list[Line]:
    decoupled = is_decoupled(hp)
    (b1, b2), psi, t = hp["betas"], hp["momentum_decay"], v.t
    lines = [*weight_decay_lines(hp, v, decoupled),
             Line(r"\mu_t", r"\beta_1 (1 - \tfrac{1}{2} 0.96^{t \psi})",
                  rf"{num(b1)} (1 - \tfrac{{1}}{{2}} 0.96^{{{t} \cdot {num(psi)}}})", v("mu")),
             Line(r"\mu_{t+1}", r"\beta_1 (1 - \tfrac{1}{2} 0.96^{(t+1) \psi})",
                  rf"{num(b1)} (1 - \tfrac{{1}}{{2}} 0.96^{{{t + 1} \cdot {num(psi)}}})", v("mu_next")),
             *moment_lines(hp, v)]
    m_hat = v("m_hat")
    lines.append(Line(r"\hat{m}_t",
                      r"\mu_{t+1} m_t / (1 - \prod_{i=1}^{t+1} \mu_i) + (1 - \mu_t) g_t / (1 - \prod_{i=1}^{t} \mu_i)",
                      rf"{num(v('mu_next'))} \cdot {par(v('m'))} / (1 - {num(v('mu_product_next'))}) + "
                      rf"{num(1 - v('mu'))} \cdot {par(v('g'))} / (1 - {num(v('mu_product'))})", m_hat))
    lines.append(Line(r"\hat{v}_t", r"v_t / (1 - \beta_2^t)", rf"{num(v('v'))} / (1 - {num(b2)}^{{{t}}})",
                      v("v_hat")))
    rhs, sub = shrunk(r"\gamma \hat{m}_t / (\sqrt{\hat{v}_t} + \epsilon)",
                      rf"{num(v('lr'))} \cdot {par(m_hat)} / (\sqrt{{{num(v('v_hat'))}}} + {num(hp['eps'])})",
                      decoupled, v)
    return [*lines, update(rhs, sub, v)]


SPEC = OptimizerSpec("NAdam", (
    lr(0.002), betas(), eps(1e-8), weight_decay(),
    Param("momentum_decay", "float", 0.004, "hp.momentum_decay", low=0.0, high=1.0, slider=(0.0, 0.1), symbol="ψ"),
    decoupled(), MAXIMIZE), NAdamState, replay, latex, momentum_quantity="m")
