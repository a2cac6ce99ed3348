"""Inside the optimizer, in LaTeX: each update rule as torch writes it, and with one step's numbers substituted.

`rule_latex(optimizer, hparams)` gives the rule in the form of torch's documented algorithm
(``torch/optim/*.py`` docstrings; ASGD, which has none, after its code), one equation per line, without
surrounding ``$``, keeping only the lines the run's flags use (momentum, dampening, Nesterov, centered,
AMSGrad, coupled vs decoupled weight decay, maximize).  Every line has the form ``lhs = rhs`` (or
``lhs \\leftarrow rhs`` for an in-place change), so ``line.replace(" = ", " &= ", 1)`` aligns them.

`substituted_latex(optimizer, hparams, step, coordinate)` gives the same lines with the numbers of one
`explain.StepExplained` for one coordinate (and the hyperparameters that step used: a scheduler may cycle
momentum or β₁), each ending in ``= value``.  The last line is always the change of the parameter,
``\\theta_t - \\theta_{t-1} = … = Δθ``, equal to ``step.quantities["update"]``, or to torch's recorded change
when it is passed (in float32 θ moves by whole float32 spacings: the exact value is shown before it).

The state before the step (``m_{t-1}``, …) is taken from ``previous.state_after`` when the previous step
is passed, is the initial state at the first step, and is otherwise solved back from this step's
moving averages; where it cannot be (a max, a clipped step size) its symbol stays.  The raw gradient
and θ are not among the quantities, so lines that need them keep those symbols and show only the result.

One builder per rule (Adam/AdamW with AMSGrad and decoupled decay share one) produces `_Line`s that
carry both forms, so each flag is decided once for the rule and its substitution.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .explain import StepExplained


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
class _Line:
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


class _Values:
    """This step's numbers for one coordinate; in rule mode (no step) every number is 1 and only symbols count."""

    def __init__(self, step: StepExplained | None, coordinate: int, member: int, previous: StepExplained | None):
        self.step, self.coordinate, self.member, self.previous = step, coordinate, member, previous
        self.t = step.t + 1 if step is not None else 1  # torch's 1-based step count

    def _pick(self, array) -> float:
        a = np.asarray(array, dtype=np.float64)
        a = a[..., self.coordinate]
        return float(a.reshape(-1)[self.member] if a.ndim else a)

    def __call__(self, key: str) -> float:
        return 1.0 if self.step is None else self._pick(self.step.quantities[key])

    def prev(self, key: str, symbol: str, initial: float | None, back: Callable[[], float] | None = None) -> str:
        """The state `key` before this step, formatted (negative in parentheses); `symbol` when unknown."""
        if self.step is None:
            return symbol
        if self.previous is not None and key in self.previous.state_after:
            return par(self._pick(self.previous.state_after[key]))
        if self.step.t == 0 and initial is not None:
            return par(initial)
        return par(back()) if back is not None else symbol


def _decoupled(hp: dict, default: bool = False) -> bool:
    return hp.get("weight_decay", 0.0) != 0 and hp.get("decoupled_weight_decay", default)


def _grad_lines(hp: dict, v: _Values, coupled: bool = True) -> list[_Line]:
    """g_t (negated with maximize) and, with coupled weight decay, g_t ← g_t + λθ_{t-1}."""
    sign = "-" if hp.get("maximize", False) else ""
    wd = hp.get("weight_decay", 0.0) if coupled else 0.0
    lines = [_Line("g_t", rf"{sign}\nabla_{{\theta}} f(\theta_{{t-1}})", value=None if wd else v("g"))]
    if wd:
        lines.append(_Line("g_t", r"g_t + \lambda \theta_{t-1}", rf"g_t + {num(wd)} \cdot \theta_{{t-1}}", v("g"),
                           op=r"\leftarrow"))
    return lines


def _decay_line(hp: dict, v: _Values) -> list[_Line]:
    """Decoupled weight decay θ_t ← θ_{t-1}(1 − γλ), when used."""
    wd = hp.get("weight_decay", 0.0)
    return [_Line(r"\theta_t", r"\theta_{t-1} (1 - \gamma \lambda)",
                  rf"\theta_{{t-1}} (1 - {num(v('lr'))} \cdot {num(wd)})", op=r"\leftarrow")]


def _update(rule_rhs: str, sub: str, v: _Values, rule_lhs: str = r"\theta_t") -> _Line:
    """The last line: θ_t = rule_rhs; substituted as θ_t − θ_{t−1} = sub = Δθ."""
    return _Line(rule_lhs, rule_rhs, sub, v("update"), sub_lhs=r"\theta_t - \theta_{t-1}")


def _ema(lhs: str, prev_sym: str, key: str, state_key: str, beta: float, new: str, new_sub: str, new_val: float,
         v: _Values, initial: float = 0.0, beta_sym: str = r"\beta") -> _Line:
    """lhs = β·prev + (1 − β)·new, with prev solved back from lhs when unknown."""
    back = (lambda: (v(key) - (1 - beta) * new_val) / beta) if beta != 0 else None  # β = 0: the past is gone
    prev = v.prev(state_key, prev_sym, initial, back)
    return _Line(lhs, rf"{beta_sym} {prev_sym} + (1 - {beta_sym}) {new}",
                 rf"{num(beta)} \cdot {prev} + {num(1 - beta)} \cdot {new_sub}", v(key))


# ---- the rules: (hparams, values) -> lines ----


def _sgd(hp: dict, v: _Values) -> list[_Line]:
    lines = _grad_lines(hp, v)
    mu, tau, lr = hp.get("momentum", 0.0), hp.get("dampening", 0.0), num(v("lr"))
    if mu == 0:
        return [*lines, _update(r"\theta_{t-1} - \gamma g_t", rf"-{lr} \cdot {par(v('g'))}", v)]
    buf = v("momentum_buffer")
    damp = r"(1 - \tau) " if tau else ""
    if v.step is not None and v.step.t == 0:
        lines.append(_Line("b_t", "g_t", value=buf))
    else:
        prev = v.prev("momentum_buffer", "b_{t-1}", None, lambda: (buf - (1 - tau) * v("g")) / mu)
        lines.append(_Line("b_t", rf"\mu b_{{t-1}} + {damp}g_t",
                           rf"{num(mu)} \cdot {prev} + {num(1 - tau)} \cdot {par(v('g'))}", buf))
    if hp.get("nesterov", False):
        lines.append(_Line("g_t", r"g_t + \mu b_t", rf"{par(v('g'))} + {num(mu)} \cdot {par(buf)}",
                           v("direction"), op=r"\leftarrow"))
        return [*lines, _update(r"\theta_{t-1} - \gamma g_t", rf"-{lr} \cdot {par(v('direction'))}", v)]
    return [*lines, _update(r"\theta_{t-1} - \gamma b_t", rf"-{lr} \cdot {par(buf)}", v)]


def _adagrad(hp: dict, v: _Values) -> list[_Line]:
    lines = _grad_lines(hp, v)
    decay, eps = hp.get("lr_decay", 0.0), hp.get("eps", 1e-10)
    gamma = r"\gamma"
    if decay:
        gamma = r"\tilde{\gamma}_t"
        lines.append(_Line(gamma, r"\gamma / (1 + (t - 1) \eta)",
                           rf"{num(v('lr'))} / (1 + {v.t - 1} \cdot {num(decay)})", v("clr")))
    g = v("g")
    prev = v.prev("sum", "s_{t-1}", hp.get("initial_accumulator_value", 0.0), lambda: v("sum") - g * g)
    lines.append(_Line("s_t", "s_{t-1} + g_t^2", rf"{prev} + {par(g)}^2", v("sum")))
    clr = num(v("clr") if decay else v("lr"))
    return [*lines, _update(rf"\theta_{{t-1}} - {gamma} g_t / (\sqrt{{s_t}} + \epsilon)",
                            rf"-{clr} \cdot {par(g)} / (\sqrt{{{num(v('sum'))}}} + {num(eps)})", v)]


def _rmsprop(hp: dict, v: _Values) -> list[_Line]:
    lines = _grad_lines(hp, v)
    alpha, eps, mu, g = hp.get("alpha", 0.99), hp.get("eps", 1e-8), hp.get("momentum", 0.0), v("g")
    lines.append(_ema("v_t", "v_{t-1}", "square_avg", "square_avg", alpha, "g_t^2", f"{par(g)}^2", g * g, v,
                      beta_sym=r"\alpha"))
    vt = "v_t"
    if hp.get("centered", False):
        vt = r"\tilde{v}_t"
        lines.append(_ema("g^{ave}_t", "g^{ave}_{t-1}", "grad_avg", "grad_avg", alpha, "g_t", par(g), g, v,
                          beta_sym=r"\alpha"))
        lines.append(_Line(vt, r"v_t - (g^{ave}_t)^2", rf"{num(v('square_avg'))} - {par(v('grad_avg'))}^2",
                           v("square_avg") - v("grad_avg") ** 2))
    v_tilde = v("square_avg") - v("grad_avg") ** 2 if hp.get("centered", False) else v("square_avg")
    denom_sub = rf"(\sqrt{{{num(v_tilde)}}} + {num(eps)})"
    lr = num(v("lr"))
    if mu > 0:
        buf = v("momentum_buffer")
        prev = v.prev("momentum_buffer", "b_{t-1}", 0.0, lambda: (buf - g / v("avg")) / mu)
        lines.append(_Line("b_t", rf"\mu b_{{t-1}} + g_t / (\sqrt{{{vt}}} + \epsilon)",
                           rf"{num(mu)} \cdot {prev} + {par(g)} / {denom_sub}", buf))
        return [*lines, _update(r"\theta_{t-1} - \gamma b_t", rf"-{lr} \cdot {par(buf)}", v)]
    return [*lines, _update(rf"\theta_{{t-1}} - \gamma g_t / (\sqrt{{{vt}}} + \epsilon)",
                            rf"-{lr} \cdot {par(g)} / {denom_sub}", v)]


def _moments(hp: dict, v: _Values) -> list[_Line]:
    """m_t and v_t, shared by Adam, AdamW, NAdam and RAdam."""
    b1, b2 = hp.get("betas", (0.9, 0.999))
    g = v("g")
    return [_ema("m_t", "m_{t-1}", "m", "exp_avg", b1, "g_t", par(g), g, v, beta_sym=r"\beta_1"),
            _ema("v_t", "v_{t-1}", "v", "exp_avg_sq", b2, "g_t^2", f"{par(g)}^2", g * g, v, beta_sym=r"\beta_2")]


def _m_hat(hp: dict, v: _Values) -> _Line:
    b1 = hp.get("betas", (0.9, 0.999))[0]
    return _Line(r"\hat{m}_t", r"m_t / (1 - \beta_1^t)", rf"{par(v('m'))} / (1 - {num(b1)}^{{{v.t}}})", v("m_hat"))


def _weight_decay_lines(hp: dict, v: _Values, decoupled: bool) -> list[_Line]:
    """g_t with coupled L2 decay, or g_t plus the decoupled shrink of θ."""
    lines = _grad_lines(hp, v, coupled=not decoupled)
    return [*lines, *_decay_line(hp, v)] if decoupled else lines


def _shrunk(rhs: str, sub: str, decoupled: bool, v: _Values) -> tuple[str, str]:
    """θ_{t-1} − rhs, or θ_t − rhs after the decoupled shrink; substituted as −sub, or shrink − sub."""
    if not decoupled:
        return rf"\theta_{{t-1}} - {rhs}", f"-{sub}"
    return rf"\theta_t - {rhs}", rf"{num(v('weight_decay_shrink'))} - {sub}"


def _adam_rule(decoupled_default: bool) -> Callable[[dict, _Values], list[_Line]]:
    def adam(hp: dict, v: _Values) -> list[_Line]:
        decoupled = _decoupled(hp, decoupled_default)
        b2, eps = hp.get("betas", (0.9, 0.999))[1], hp.get("eps", 1e-8)
        lines = [*_weight_decay_lines(hp, v, decoupled), *_moments(hp, v), _m_hat(hp, v)]
        v_used = "v_t"
        if hp.get("amsgrad", False):
            v_used = "v_t^{max}"
            prev = v.prev("max_exp_avg_sq", "v_{t-1}^{max}", 0.0)
            lines.append(_Line(v_used, r"\max(v_{t-1}^{max}, v_t)", rf"\max({prev}, {num(v('v'))})", v("v_max")))
        lines.append(_Line(r"\hat{v}_t", rf"{v_used} / (1 - \beta_2^t)",
                           rf"{num(v('v_max') if v_used != 'v_t' else v('v'))} / (1 - {num(b2)}^{{{v.t}}})",
                           v("v_hat")))
        rhs, sub = _shrunk(r"\gamma \hat{m}_t / (\sqrt{\hat{v}_t} + \epsilon)",
                           rf"{num(v('lr'))} \cdot {par(v('m_hat'))} / (\sqrt{{{num(v('v_hat'))}}} + {num(eps)})",
                           decoupled, v)
        return [*lines, _update(rhs, sub, v)]

    return adam


def _adamax(hp: dict, v: _Values) -> list[_Line]:
    b1, b2 = hp.get("betas", (0.9, 0.999))
    eps, g = hp.get("eps", 1e-8), v("g")
    lines = [*_grad_lines(hp, v), _ema("m_t", "m_{t-1}", "m", "exp_avg", b1, "g_t", par(g), g, v,
                                       beta_sym=r"\beta_1")]
    prev = v.prev("exp_inf", "u_{t-1}", 0.0)
    lines.append(_Line("u_t", r"\max(\beta_2 u_{t-1}, |g_t| + \epsilon)",
                       rf"\max({num(b2)} \cdot {prev}, |{num(g)}| + {num(eps)})", v("u")))
    return [*lines, _update(r"\theta_{t-1} - \gamma m_t / ((1 - \beta_1^t) u_t)",
                            rf"-{num(v('lr'))} \cdot {par(v('m'))} / ((1 - {num(b1)}^{{{v.t}}}) \cdot {num(v('u'))})",
                            v)]


def _nadam(hp: dict, v: _Values) -> list[_Line]:
    decoupled = _decoupled(hp)
    b1, b2 = hp.get("betas", (0.9, 0.999))
    psi, eps, t = hp.get("momentum_decay", 0.004), hp.get("eps", 1e-8), v.t
    lines = [*_weight_decay_lines(hp, v, decoupled),
             _Line(r"\mu_t", r"\beta_1 (1 - \tfrac{1}{2} 0.96^{t \psi})",
                   rf"{num(b1)} (1 - \tfrac{{1}}{{2}} 0.96^{{{t} \cdot {num(psi)}}})", v("mu")),
             _Line(r"\mu_{t+1}", r"\beta_1 (1 - \tfrac{1}{2} 0.96^{(t+1) \psi})",
                   rf"{num(b1)} (1 - \tfrac{{1}}{{2}} 0.96^{{{t + 1} \cdot {num(psi)}}})", v("mu_next")),
             *_moments(hp, v)]
    m_hat = v("m_hat")
    lines.append(_Line(r"\hat{m}_t",
                       r"\mu_{t+1} m_t / (1 - \prod_{i=1}^{t+1} \mu_i) + (1 - \mu_t) g_t / (1 - \prod_{i=1}^{t} \mu_i)",
                       rf"{num(v('mu_next'))} \cdot {par(v('m'))} / (1 - {num(v('mu_product_next'))}) + "
                       rf"{num(1 - v('mu'))} \cdot {par(v('g'))} / (1 - {num(v('mu_product'))})", m_hat))
    lines.append(_Line(r"\hat{v}_t", r"v_t / (1 - \beta_2^t)", rf"{num(v('v'))} / (1 - {num(b2)}^{{{t}}})",
                       v("v_hat")))
    rhs, sub = _shrunk(r"\gamma \hat{m}_t / (\sqrt{\hat{v}_t} + \epsilon)",
                       rf"{num(v('lr'))} \cdot {par(m_hat)} / (\sqrt{{{num(v('v_hat'))}}} + {num(eps)})",
                       decoupled, v)
    return [*lines, _update(rhs, sub, v)]


def _radam(hp: dict, v: _Values) -> list[_Line]:
    decoupled = _decoupled(hp)
    b2, eps, t = hp.get("betas", (0.9, 0.999))[1], hp.get("eps", 1e-8), v.t
    rho_inf = 2 / (1 - b2) - 1
    lines = [*_weight_decay_lines(hp, v, decoupled), *_moments(hp, v), _m_hat(hp, v),
             _Line(r"\rho_\infty", r"2 / (1 - \beta_2) - 1", rf"2 / (1 - {num(b2)}) - 1", rho_inf),
             _Line(r"\rho_t", r"\rho_\infty - 2 t \beta_2^t / (1 - \beta_2^t)",
                   rf"{num(rho_inf)} - 2 \cdot {t} \cdot {num(b2)}^{{{t}}} / (1 - {num(b2)}^{{{t}}})", v("rho_t"))]
    rule_mode = v.step is None
    lr, m_hat = num(v("lr")), par(v("m_hat"))
    if rule_mode or v("rectified"):
        rho = num(v("rho_t"))
        lines += [_Line("l_t", r"\sqrt{1 - \beta_2^t} / (\sqrt{v_t} + \epsilon)",
                        rf"\sqrt{{1 - {num(b2)}^{{{t}}}}} / (\sqrt{{{num(v('v'))}}} + {num(eps)})", v("l_t")),
                  _Line("r_t", r"\sqrt{\frac{(\rho_t - 4)(\rho_t - 2) \rho_\infty}"
                               r"{(\rho_\infty - 4)(\rho_\infty - 2) \rho_t}}",
                        rf"\sqrt{{\frac{{({rho} - 4)({rho} - 2) \cdot {num(rho_inf)}}}"
                        rf"{{({num(rho_inf)} - 4)({num(rho_inf)} - 2) \cdot {rho}}}}}", v("r_t"))]
    if rule_mode:
        rhs, _ = _shrunk(r"\gamma \hat{m}_t r_t l_t \;\text{if}\; \rho_t > 5 \text{, else }"
                         + (r"\theta_t" if decoupled else r"\theta_{t-1}") + r" - \gamma \hat{m}_t", "", decoupled, v)
        return [*lines, _update(rhs, "", v)]
    if v("rectified"):
        rhs, sub = _shrunk(r"\gamma \hat{m}_t r_t l_t",
                           rf"{lr} \cdot {m_hat} \cdot {num(v('r_t'))} \cdot {num(v('l_t'))}", decoupled, v)
    else:
        rhs, sub = _shrunk(r"\gamma \hat{m}_t", rf"{lr} \cdot {m_hat}", decoupled, v)
    return [*lines, _update(rhs, sub, v)]


def _adadelta(hp: dict, v: _Values) -> list[_Line]:
    rho, eps, g = hp.get("rho", 0.9), hp.get("eps", 1e-6), v("g")
    lines = [*_grad_lines(hp, v),
             _ema("v_t", "v_{t-1}", "square_avg", "square_avg", rho, "g_t^2", f"{par(g)}^2", g * g, v,
                  beta_sym=r"\rho")]
    u_prev = v.prev("acc_delta", "u_{t-1}", 0.0, lambda: v("rms_delta") ** 2 - eps)
    lines.append(_Line(r"\Delta x_t", r"\sqrt{u_{t-1} + \epsilon} / \sqrt{v_t + \epsilon} \, g_t",
                       rf"\sqrt{{{u_prev} + {num(eps)}}} / \sqrt{{{num(v('square_avg'))} + {num(eps)}}} \cdot {par(g)}",
                       v("delta")))
    lines.append(_Line("u_t", r"\rho u_{t-1} + (1 - \rho) \Delta x_t^2",
                       rf"{num(rho)} \cdot {u_prev} + {num(1 - rho)} \cdot {par(v('delta'))}^2", v("acc_delta")))
    return [*lines, _update(r"\theta_{t-1} - \gamma \Delta x_t", rf"-{num(v('lr'))} \cdot {par(v('delta'))}", v)]


def _asgd(hp: dict, v: _Values) -> list[_Line]:
    """After torch's code (no documented algorithm); the running average θ̄ does not move θ and is left out."""
    lambd, alpha, t0 = hp.get("lambd", 1e-4), hp.get("alpha", 0.75), hp.get("t0", 1e6)
    eta, g = v("eta"), v("g")
    lr = num(v._pick(v.previous.quantities["lr"]) if v.previous is not None else v("lr"))  # η_t is set a step early
    lines = [*_grad_lines(hp, v),
             _Line(r"\eta_t", r"\gamma_{t-1} / (1 + \lambda \gamma_{t-1} (t - 1))^{\alpha}",
                   rf"{lr} / (1 + {num(lambd)} \cdot {lr} \cdot {v.t - 1})^{{{num(alpha)}}}", eta),
             _Line(r"\mu_t", r"1 / \max(1, t - 1 - t_0)", rf"1 / \max(1, {v.t - 1} - {num(t0)})", v("mu"))]
    shrink = v("update") + eta * g  # −λ η_t θ_{t−1}
    return [*lines, _update(r"\theta_{t-1} (1 - \lambda \eta_t) - \eta_t g_t",
                            rf"-{num(lambd)} \cdot {num(eta)} \cdot \theta_{{t-1}} - {num(eta)} \cdot {par(g)} = "
                            rf"{num(shrink)} - {par(eta * g)}", v)]


def _rprop(hp: dict, v: _Values) -> list[_Line]:
    etaminus, etaplus = hp.get("etas", (0.5, 1.2))
    lo, hi = hp.get("step_sizes", (1e-6, 50))
    lines = _grad_lines(hp, v, coupled=False)
    rule = (r"\begin{cases} \min(\eta_{t-1} \eta_+, \Gamma_{max}) & g_{t-1} g_t > 0 \\ "
            r"\max(\eta_{t-1} \eta_-, \Gamma_{min}) & g_{t-1} g_t < 0 \\ \eta_{t-1} & \text{otherwise} \end{cases}")
    prev = v.prev("step_size", r"\eta_{t-1}", v("lr"))
    sign = v("sign")
    sub = (rf"\min({prev} \cdot {num(etaplus)}, {num(hi)})" if sign > 0
           else rf"\max({prev} \cdot {num(etaminus)}, {num(lo)})" if sign < 0 else prev)
    lines.append(_Line(r"\eta_t", rule, sub, v("step_size")))
    lines.append(_Line("g_t", r"0 \;\text{if}\; g_{t-1} g_t < 0", r"0" if sign < 0 else "g_t", v("g_used"),
                       op=r"\leftarrow"))
    return [*lines, _update(r"\theta_{t-1} - \eta_t \operatorname{sign}(g_t)",
                            rf"-{num(v('step_size'))} \cdot {par(np.sign(v('g_used')))}", v)]


Builder = Callable[[dict, _Values], list[_Line]]

LATEX: dict[str, Builder] = {
    "SGD": _sgd,
    "Adagrad": _adagrad,
    "RMSprop": _rmsprop,
    "Adam": _adam_rule(False),
    "AdamW": _adam_rule(True),
    "Adamax": _adamax,
    "NAdam": _nadam,
    "RAdam": _radam,
    "Adadelta": _adadelta,
    "ASGD": _asgd,
    "Rprop": _rprop,
}


def _builder(optimizer: str) -> Builder:
    if optimizer not in LATEX:
        raise ValueError(f"no LaTeX update rule for {optimizer!r}; covered: {', '.join(LATEX)}")
    return LATEX[optimizer]


def rule_latex(optimizer: str, hparams: dict) -> list[str]:
    """The update rule as torch implements it, one LaTeX line per equation, only the lines the flags use."""
    return [line.rule() for line in _builder(optimizer)(hparams, _Values(None, 0, 0, None))]


def step_hparams(hparams: dict, step: StepExplained, coordinate: int) -> dict:
    """`hparams` with the values this coordinate's group stepped with (a scheduler's momentum or β₁)."""
    return {**hparams, **step.hparams[coordinate]} if step.hparams else hparams


def substituted_latex(optimizer: str, hparams: dict, step: StepExplained, coordinate: int, *, member: int = 0,
                      previous: StepExplained | None = None, moved: float | None = None,
                      dtype: str = "float32") -> list[str]:
    """The rule's lines with this step's numbers for one coordinate (0 = x or w, 1 = y or b).

    The hyperparameters are the ones the step used (`step.hparams`, over `hparams`).  `member` picks the
    start of a multi-start run; `previous` (the step before) makes the state before exact.  The last line
    ends with this coordinate's Δθ: the replay's ``step.quantities["update"]``, or, given torch's recorded
    change `moved` (``traj.update``), that one, after the replay's exact value if they differ (`moved_by`).
    """
    values = _Values(step, coordinate, member, previous)
    lines = _builder(optimizer)(step_hparams(hparams, step, coordinate), values)
    last = None if moved is None else (float(moved), dtype)
    return [line.substituted(last if i == len(lines) - 1 else None) for i, line in enumerate(lines)]
