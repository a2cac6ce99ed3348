r"""What the LaTeX builders share: number formatting, `Line`, this step's `Values`, and lines many rules have.

A builder ``(hparams, values) -> [Line]`` gives a rule in the form of torch's documented algorithm, one
equation per line (``lhs = rhs``, or ``lhs \leftarrow rhs`` for an in-place change), only the lines the
run's flags use; each `Line` carries the rule and its substituted form, so each flag is decided once for
both.  The hyperparameters are complete (`OptimizerSpec.complete`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..explain import StepExplained


def num(x: float) -> str:
    """`x` with 4 significant digits in LaTeX-safe form: 0.3611, -2.5, 1.2\\times10^{-5}."""
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return r"\mathrm{nan}" if math.isnan(x) else ("-" if x < 0 else "") + r"\infty"
    if x == 0:
        return "0"
    text = f"{x:.4g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa}\\times10^{{{int(exponent)}}}"


def par(x: float | str) -> str:
    """A number (or symbol) safe to multiply: parenthesized when negative."""
    text = num(x) if not isinstance(x, str) else x
    return f"({text})" if text.startswith("-") else text


def moved_by(exact: float, moved: float, dtype: str) -> str:
    """The end of the Δθ line: torch's change `moved`, after the formula's exact value when the two differ at
    the 4 digits shown (float32 positions are spaced ~1e-7 apart: θ moves by a multiple of that, or not at all)."""
    if num(exact) == num(moved):
        return num(moved)
    return rf"{num(exact)} \xrightarrow{{\text{{{dtype}}}}} {num(moved)}"


@dataclass(frozen=True)
class Line:
    """One equation: `lhs op rhs`; substituted: `sub_lhs op sub = value` (parts left out when None)."""

    lhs: str
    rhs: str
    sub: str | None = None
    value: float | None = None
    op: str = "="
    sub_lhs: str | None = None

    def rule(self) -> str:
        return f"{self.lhs} {self.op} {self.rhs}"

    def substituted(self, moved: tuple[float, str] | None = None) -> str:
        """The line with numbers; `moved` = (torch's change, dtype) ends it with what torch did instead."""
        parts = [f"{self.sub_lhs or self.lhs} {self.op} {self.sub if self.sub is not None else self.rhs}"]
        if self.value is not None:
            parts.append(num(self.value) if moved is None else moved_by(self.value, *moved))
        return " = ".join(parts)


class Values:
    """This step's numbers for one coordinate; in rule mode (no step) every number is 1 and only symbols count."""

    def __init__(self, step: StepExplained | None, coordinate: int, member: int, previous: StepExplained | None):
        self.step, self.coordinate, self.member, self.previous = step, coordinate, member, previous
        self.t = step.t + 1 if step is not None else 1  # torch's 1-based step count

    def pick(self, array) -> float:
        a = np.asarray(array, dtype=np.float64)
        a = a[..., self.coordinate]
        return float(a.reshape(-1)[self.member] if a.ndim else a)

    def __call__(self, key: str) -> float:
        return 1.0 if self.step is None else self.pick(self.step.quantities[key])

    def prev(self, name: str, symbol: str, initial: float | None, back: Callable[[], float] | None = None) -> str:
        """The state entry `name` (torch's) before this step, formatted (negative in parentheses); `symbol`
        when unknown."""
        if self.step is None:
            return symbol
        if self.previous is not None and name in self.previous.state_after:
            return par(self.pick(self.previous.state_after[name]))
        if self.step.t == 0 and initial is not None:
            return par(initial)
        return par(back()) if back is not None else symbol


Builder = Callable[[dict, Values], list[Line]]


def grad_lines(hp: dict, v: Values, coupled: bool = True) -> list[Line]:
    """g_t (negated with maximize) and, with coupled weight decay, g_t ← g_t + λθ_{t-1}."""
    sign = "-" if hp["maximize"] else ""
    wd = hp["weight_decay"] if coupled else 0.0
    lines = [Line("g_t", rf"{sign}\nabla_{{\theta}} f(\theta_{{t-1}})", value=None if wd else v("g"))]
    if wd:
        lines.append(Line("g_t", r"g_t + \lambda \theta_{t-1}", rf"g_t + {num(wd)} \cdot \theta_{{t-1}}", v("g"),
                          op=r"\leftarrow"))
    return lines


def update(rule_rhs: str, sub: str, v: Values, rule_lhs: str = r"\theta_t") -> Line:
    """The last line: θ_t = rule_rhs; substituted as θ_t − θ_{t−1} = sub = Δθ."""
    return Line(rule_lhs, rule_rhs, sub, v("update"), sub_lhs=r"\theta_t - \theta_{t-1}")


def ema_line(lhs: str, prev_sym: str, key: str, name: str, beta: float, new: str, new_sub: str, new_val: float,
        v: Values, initial: float = 0.0, beta_sym: str = r"\beta") -> Line:
    """lhs = β·prev + (1 − β)·new (quantity `key`, state entry `name`), prev solved back from lhs when unknown."""
    back = (lambda: (v(key) - (1 - beta) * new_val) / beta) if beta != 0 else None  # β = 0: the past is gone
    prev = v.prev(name, prev_sym, initial, back)
    return Line(lhs, rf"{beta_sym} {prev_sym} + (1 - {beta_sym}) {new}",
                rf"{num(beta)} \cdot {prev} + {num(1 - beta)} \cdot {new_sub}", v(key))


# ---- what Adam, AdamW, NAdam and RAdam share ----


def is_decoupled(hp: dict) -> bool:
    """Whether weight decay shrinks θ directly (the optimizers with a decoupled_weight_decay keyword)."""
    return hp["weight_decay"] != 0 and hp["decoupled_weight_decay"]


def weight_decay_lines(hp: dict, v: Values, decoupled: bool) -> list[Line]:
    """g_t with coupled L2 decay, or g_t plus the decoupled shrink θ_t ← θ_{t-1}(1 − γλ)."""
    lines = grad_lines(hp, v, coupled=not decoupled)
    if not decoupled:
        return lines
    return [*lines, Line(r"\theta_t", r"\theta_{t-1} (1 - \gamma \lambda)",
                         rf"\theta_{{t-1}} (1 - {num(v('lr'))} \cdot {num(hp['weight_decay'])})", op=r"\leftarrow")]


def moment_lines(hp: dict, v: Values) -> list[Line]:
    """m_t and v_t."""
    b1, b2 = hp["betas"]
    g = v("g")
    return [ema_line("m_t", "m_{t-1}", "m", "exp_avg", b1, "g_t", par(g), g, v, beta_sym=r"\beta_1"),
            ema_line("v_t", "v_{t-1}", "v", "exp_avg_sq", b2, "g_t^2", f"{par(g)}^2", g * g, v, beta_sym=r"\beta_2")]


def m_hat_line(hp: dict, v: Values) -> Line:
    b1 = hp["betas"][0]
    return Line(r"\hat{m}_t", r"m_t / (1 - \beta_1^t)", rf"{par(v('m'))} / (1 - {num(b1)}^{{{v.t}}})", v("m_hat"))


def shrunk(rhs: str, sub: str, decoupled: bool, v: Values) -> tuple[str, str]:
    """θ_{t-1} − rhs, or θ_t − rhs after the decoupled shrink; substituted as −sub, or shrink − sub."""
    if not decoupled:
        return rf"\theta_{{t-1}} - {rhs}", f"-{sub}"
    return rf"\theta_t - {rhs}", rf"{num(v('weight_decay_shrink'))} - {sub}"
