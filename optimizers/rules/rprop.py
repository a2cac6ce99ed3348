r"""Rprop, as ``torch.optim.Rprop`` implements it: each coordinate has its own step size, adapted from the signs.

.. math::
   \begin{aligned}
   g_t &\leftarrow \nabla_\theta f(\theta_{t-1}) \quad (-\nabla \text{ with maximize}) \\
   \eta_t &\leftarrow \min(\eta_{t-1} \eta_+, \Gamma_{max}) \text{ if } g_{t-1} g_t > 0, \quad
       \max(\eta_{t-1} \eta_-, \Gamma_{min}) \text{ if } g_{t-1} g_t < 0, \quad \eta_{t-1} \text{ otherwise} \\
   g_t &\leftarrow 0 \text{ if } g_{t-1} g_t < 0 \\
   \theta_t &\leftarrow \theta_{t-1} - \eta_t \operatorname{sign}(g_t)
   \end{aligned}

The step sizes start at the lr of the first step; later lr changes (a scheduler) do not affect them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from schema import Param
from texts import message

from .base import MAXIMIZE, Array, OptimizerSpec, State, lr
from .latex import Line, Values, grad_lines, num, par, update
from .replay import before, next_step, signed


@dataclass(frozen=True, eq=False)
class RpropState(State):
    step: Array | None = None
    prev: Array | None = None
    step_size: Array | None = None


def replay(state: RpropState, p: Array, grad: Array, lr: Array, hp: dict) -> tuple[dict, RpropState]:
    step = next_step(state, p)
    etaminus, etaplus = hp["etas"]
    lo, hi = hp["step_sizes"]
    g = signed(grad, hp)
    sign = np.sign(g * before(state.prev, p))
    factor = np.where(sign > 0, etaplus, np.where(sign < 0, etaminus, 1.0))
    step_size = np.clip(before(state.step_size, p, lr) * factor, lo, hi)
    g_used = np.where(sign < 0, 0.0, g)
    q = {"g": g, "sign": sign, "factor": factor, "step_size": step_size, "g_used": g_used,
         "update": -np.sign(g_used) * step_size}
    return q, RpropState(step, g_used, step_size)


def latex(hp: dict, v: Values) -> list[Line]:
    etaminus, etaplus = hp["etas"]
    lo, hi = hp["step_sizes"]
    lines = grad_lines(hp, v, coupled=False)
    rule = (r"\begin{cases} \min(\eta_{t-1} \eta_+, \Gamma_{max}) & g_{t-1} g_t > 0 \\ "
            r"\max(\eta_{t-1} \eta_-, \Gamma_{min}) & g_{t-1} g_t < 0 \\ \eta_{t-1} & \text{otherwise} \end{cases}")
    prev = v.prev("step_size", r"\eta_{t-1}", v("lr"))
    sign = v("sign")
    sub = (rf"\min({prev} \cdot {num(etaplus)}, {num(hi)})" if sign > 0
           else rf"\max({prev} \cdot {num(etaminus)}, {num(lo)})" if sign < 0 else prev)
    lines.append(Line(r"\eta_t", rule, sub, v("step_size")))
    lines.append(Line("g_t", r"0 \;\text{if}\; g_{t-1} g_t < 0", r"0" if sign < 0 else "g_t", v("g_used"),
                      op=r"\leftarrow"))
    return [*lines, update(r"\theta_{t-1} - \eta_t \operatorname{sign}(g_t)",
                           rf"-{num(v('step_size'))} \cdot {par(np.sign(v('g_used')))}", v)]


def _etas_rule(v):
    return None if 0 < v[0] < 1 < v[1] else message("rule.etas")


def _step_sizes_rule(v):
    return None if 0 < v[0] <= v[1] else message("rule.step_sizes")


SPEC = OptimizerSpec("Rprop", (
    lr(0.01),
    Param("etas", "pair", (0.5, 1.2), "hp.etas", low=0.0, high=10.0, open_low=True, slider=(0.1, 2.0),
          check=_etas_rule, symbol="η"),
    Param("step_sizes", "pair", (1e-6, 50), "hp.step_sizes", low=0.0, high=1e6, open_low=True,
          slider=(1e-8, 100.0), log=True, check=_step_sizes_rule, symbol="Γ"),
    MAXIMIZE), RpropState, replay, latex)
