r"""Closed forms of the learning-rate schedulers: LaTeX, a numpy curve and the steps worth marking.

torch computes most schedules recursively (``lr ← lr · ratio``); these are the closed forms, in
torch's notation: η_0 = the base learning rate, t = the number of ``scheduler.step()`` calls so far.
tests/test_schedule_formulas.py checks every curve against the real torch one (``lr_curve``); where
the two disagree the formula follows torch (see `Start` and the notes in the curve functions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np

from optimizers.schedulers import validate_scheduler
from schema import ConfigError, shown
from texts import Message, message


class Start(NamedTuple):
    """How torch starts a schedule.

    `lr`: the optimizer's lr at t = 0, which recursive forms (``lr ← lr · ratio``) scale;
    `base`: the scheduler's ``base_lrs``, which closed forms use; `fresh`: started by the
    constructor's initial step (False: by SequentialLR's ``step(0)``, i.e. the closed form at t = 0).
    Alone, lr = base = the optimizer's lr; inside SequentialLR they can differ (`_chain_starts`).
    """

    lr: float
    base: float
    fresh: bool = True


class Schedule(NamedTuple):
    """One scheduler's formula: LaTeX right-hand side in `t`, numpy curve over t, marked steps (step, label)."""

    latex: Callable[[dict, str], str]
    curve: Callable[[dict, np.ndarray, Start], np.ndarray] | None
    markers: Callable[[dict, int], Iterable[tuple[int, Message]]]


def _mark(kind: str, **values) -> Message:
    """A marker's label: ``scheduler.marker.<kind>``."""
    return message(f"scheduler.marker.{kind}", **values)


def _in(template: str, t: str) -> str:
    """`template` with each ``@`` replaced by the step symbol `t` (``t`` or ``(t - 10)``)."""
    return template.replace("@", t)


# ---- StepLR, MultiStepLR, ExponentialLR -------------------------------------------------------------

def _step_curve(p, t, s):
    return s.lr * p["gamma"] ** (t // p["step_size"])


def _multistep_curve(p, t, s):
    return s.lr * p["gamma"] ** np.searchsorted(p["milestones"], t, side="right")


def _exponential_curve(p, t, s):
    return s.lr * p["gamma"] ** t


# ---- cosine annealing ----------------------------------------------------------------------------------

def _cosine(eta_min, top, t_cur, t_len):
    return eta_min + (top - eta_min) * (1 + np.cos(np.pi * t_cur / t_len)) / 2


def _cosine_curve(p, t, s):
    """torch's recursion scales the start lr down to η_min at T_max, then climbs back from `base_lrs`."""
    top = np.where(t <= p["T_max"], s.lr, s.base)
    return _cosine(p["eta_min"], top, t, p["T_max"])


def _restarts(p, last: int) -> np.ndarray:
    """Steps at which cycles start (0, T_0, T_0 + T_0·T_mult, …) up to past `last`, as exact integers."""
    starts, length = [0], p["T_0"]
    while starts[-1] <= last:
        starts.append(starts[-1] + length)
        length *= p["T_mult"]
    return np.array(starts)


def _warm_restarts_curve(p, t, s):
    starts = _restarts(p, int(t.max(initial=0)))
    cycle = np.searchsorted(starts, t, side="right") - 1
    return _cosine(p["eta_min"], s.base, t - starts[cycle], p["T_0"] * p["T_mult"] ** cycle)


# ---- LinearLR, ConstantLR, PolynomialLR ----------------------------------------------------------------

def _no_total_iters(name: str) -> ConfigError:
    return ConfigError("scheduler.error.no_total_iters", name=name)


def _linear_curve(p, t, s):
    """With total_iters 0 torch's recursion stays at start_factor."""
    start, end, total = p["start_factor"], p["end_factor"], p["total_iters"]
    if total == 0:
        if not s.fresh:
            raise _no_total_iters("LinearLR")
        return np.full(t.shape, s.lr * start)
    return s.lr * (start + (end - start) * np.minimum(t, total) / total)


def _constant_curve(p, t, s):
    """torch undoes the factor by dividing by it at total_iters; with total_iters 0 it never does."""
    factor, total = p["factor"], p["total_iters"]
    if total == 0:
        return np.full(t.shape, s.lr * factor if s.fresh else s.lr)
    if factor == 0 and t.max(initial=0) >= total:
        raise ConfigError("scheduler.error.constant_factor")
    return s.lr * np.where(t < total, factor, 1.0)


def _polynomial_curve(p, t, s):
    """With total_iters 0 torch's recursion never changes the lr."""
    total = p["total_iters"]
    if total == 0:
        if not s.fresh:
            raise _no_total_iters("PolynomialLR")
        return np.full(t.shape, float(s.lr))
    return s.lr * (1.0 - np.minimum(t, total) / total) ** p["power"]


def _end_marker(p, steps):
    return [(p["total_iters"], _mark("end"))] if p["total_iters"] > 0 else []


# ---- OneCycleLR -----------------------------------------------------------------------------------------

_ONE_CYCLE_LATEX = {"init": r"\eta_{init}", "max": r"\text{max\_lr}", "final": r"\eta_{final}"}


def _one_cycle_phases(three_phase: bool) -> list[tuple[str, str, int | None]]:
    """torch's phases: (lr from, lr to, k), the phase ending at step k·pct_start·N − k (None: N − 1)."""
    if three_phase:
        return [("init", "max", 1), ("max", "init", 2), ("init", "final", None)]
    return [("init", "max", 1), ("max", "final", None)]


def _phase_ends(p) -> list[float]:
    n, phases = p["total_steps"], _one_cycle_phases(p["three_phase"])
    return [n - 1 if k is None else float(k * p["pct_start"] * n) - k for _, _, k in phases]


def _anneal(strategy: str, a, b, x):
    if strategy == "cos":
        return b + (a - b) / 2.0 * (np.cos(np.pi * x) + 1)
    return (b - a) * x + a


def _one_cycle_curve(p, t, s):
    """Each step takes the first phase whose end it has not passed (the last phase extends past N − 1)."""
    n = p["total_steps"]
    if t.max(initial=0) > n:
        raise ConfigError("scheduler.error.past_total_steps", step=int(t.max()), total=n)
    lrs = {"init": p["max_lr"] / p["div_factor"], "max": p["max_lr"]}
    lrs["final"] = lrs["init"] / p["final_div_factor"]
    out, done, begin = np.empty(t.shape), np.zeros(t.shape, bool), 0.0
    phases = _one_cycle_phases(p["three_phase"])
    for i, ((a, b, _), end) in enumerate(zip(phases, _phase_ends(p), strict=True)):
        here = ~done & ((t <= end) | (i == len(phases) - 1))
        if here.any() and end == begin:
            raise ConfigError("scheduler.error.zero_phase")
        out[here] = _anneal(p["anneal_strategy"], lrs[a], lrs[b], (t[here] - begin) / (end - begin))
        done |= here
        begin = end
    return out


def _one_cycle_latex(p, t):
    if p.get("anneal_strategy", "cos") == "cos":
        anneal = r"A(a, b, x) = b + \tfrac12(a - b)(1 + \cos \pi x)"
    else:
        anneal = r"A(a, b, x) = a + (b - a)\,x"
    phases = _one_cycle_phases(p.get("three_phase", False))
    ends = ["N - 1" if k is None else f"t_{k}" for _, _, k in phases]
    rows = []
    for i, (a, b, _) in enumerate(phases):
        if i == 0:
            frac, cond = rf"\tfrac{{@}}{{{ends[0]}}}", rf"@ \le {ends[0]}"
        else:
            lo, hi = ends[i - 1], ends[i]
            frac = rf"\tfrac{{@ - {lo}}}{{{hi} - {lo}}}"
            cond = rf"@ > {lo}" if i == len(phases) - 1 else rf"{lo} < @ \le {hi}"
        rows.append(rf"A\left({_ONE_CYCLE_LATEX[a]}, {_ONE_CYCLE_LATEX[b]}, {frac}\right) & {cond}")
    defs = [anneal, r"\eta_{init} = \tfrac{\text{max\_lr}}{\text{div\_factor}}",
            r"\eta_{final} = \tfrac{\eta_{init}}{\text{final\_div\_factor}}", r"N = \text{total\_steps}",
            r"t_1 = \text{pct\_start} \cdot N - 1", *([r"t_2 = 2 t_1"] if len(phases) == 3 else [])]
    return _in(r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases},\quad " + r",\ ".join(defs), t)


def _one_cycle_markers(p, steps):
    ends = _phase_ends(p)
    names = ["peak", "initial"][: len(ends) - 1]
    return [(round(end), _mark(name)) for end, name in zip(ends, names, strict=False)] + [
        (p["total_steps"] - 1, _mark("end"))]


# ---- CyclicLR -------------------------------------------------------------------------------------------

def _cycle_length(p) -> int:
    return p["step_size_up"] + (p["step_size_down"] or p["step_size_up"])


def _cyclic_curve(p, t, s):
    """torch picks the scale per cycle for the triangular modes, per step for exp_range (scale_mode is ignored)."""
    total = float(_cycle_length(p))
    ratio = p["step_size_up"] / total
    cycle = np.floor(1 + t / total)
    x = 1.0 + t / total - cycle
    height = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
    scale = {"triangular": np.ones(t.shape), "triangular2": 1 / (2.0 ** (cycle - 1)),
             "exp_range": p["gamma"] ** t}[p["mode"]]
    return p["base_lr"] + (p["max_lr"] - p["base_lr"]) * height * scale


_CYCLIC_SCALE = {"triangular": r"1\ (\text{triangular})", "triangular2": r"2^{1 - c}\ (\text{triangular2})",
                 "exp_range": r"\gamma^{@}\ (\text{exp\_range})"}


def _cyclic_latex(p, t):
    return _in(r"\text{base\_lr} + (\text{max\_lr} - \text{base\_lr}) \cdot s \cdot "
               r"\begin{cases} x / r & x \le r \\ (1 - x) / (1 - r) & x > r \end{cases},\quad "
               r"c = \left\lfloor 1 + \tfrac{@}{T} \right\rfloor,\ x = 1 + \tfrac{@}{T} - c,\ "
               r"T = \text{step\_size\_up} + \text{step\_size\_down},\ r = \tfrac{\text{step\_size\_up}}{T},\ "
               r"s = " + _CYCLIC_SCALE[p.get("mode", "triangular")], t)


# ---- SequentialLR ---------------------------------------------------------------------------------------

def _chain_starts(children: list[dict], lr: float) -> list[Start]:
    """Each child's `Start` as torch's constructors and SequentialLR leave the optimizer.

    Every constructor sets the group's ``initial_lr`` only if unset (CyclicLR first sets the lr to its
    base_lr), except OneCycleLR, which overwrites it with max_lr / div_factor; each child's ``base_lrs``
    is the ``initial_lr`` when it was built. SequentialLR then resets the lr to the final ``initial_lr``
    for the first child; the others start from the closed form at t = 0, i.e. from their ``base_lrs``.
    """
    initial: float | None = None
    bases: list[float] = []
    for child in children:
        p = child["params"]
        if child["name"] == "CyclicLR":
            lr = p["base_lr"]
        if child["name"] == "OneCycleLR":
            initial = p["max_lr"] / p["div_factor"]
        elif initial is None:
            initial = lr
        bases.append(initial)
    return [Start(bases[-1], bases[0])] + [Start(base, base, fresh=False) for base in bases[1:]]


def _shared_one_cycle(children: list[dict]) -> list[dict]:
    """OneCycleLR reads its lrs from the optimizer, where the last OneCycleLR built wrote them."""
    last = [c["params"] for c in children if c["name"] == "OneCycleLR"][-1:]
    keys = ("max_lr", "div_factor", "final_div_factor")
    return [{**c, "params": {**c["params"], **{k: last[0][k] for k in keys}}} if c["name"] == "OneCycleLR" else c
            for c in children]


def _sequential_curve(p, t, s):
    """At a milestone torch restarts the next child at its own t = 0 (``step(0)``: its closed form)."""
    starts, children = _chain_starts(p["schedulers"], s.lr), _shared_one_cycle(p["schedulers"])
    milestones, piece = [0, *p["milestones"]], np.searchsorted(p["milestones"], t, side="right")
    out = np.empty(t.shape)
    for k, (child, start) in enumerate(zip(children, starts, strict=True)):
        curve, here = _SCHEDULES[child["name"]].curve, piece == k
        curve(child["params"], np.zeros(1, int), Start(1.0, 1.0))  # torch builds each child: its t = 0 may fail
        if here.any():
            out[here] = curve(child["params"], t[here] - milestones[k], start)
    return out


def _sequential_latex(p, t):
    children, milestones = p.get("schedulers"), p.get("milestones")
    if not children or not milestones or len(milestones) != len(children) - 1:
        return _in(r"\eta^{(k)}_{@ - m_{k-1}} \quad \text{for } m_{k-1} \le @ < m_k,\ m_0 = 0 "
                   r"\quad (\eta^{(k)}\text{: the } k\text{-th scheduler, from } \eta_0)", t)
    bounds, rows, definitions = [0, *milestones], [], []
    for k, child in enumerate(children):
        shifted = t if k == 0 else f"({t} - {bounds[k]})"
        if k == 0:
            cond = rf"{t} < {bounds[1]}"
        elif k == len(children) - 1:
            cond = rf"{t} \ge {bounds[k]}"
        else:
            cond = rf"{bounds[k]} \le {t} < {bounds[k + 1]}"
        formula, *defined = _entry(child.get("name")).latex(child.get("params") or {}, shifted).split(r",\quad ", 1)
        rows.append(formula + " & " + cond)
        definitions += [d for d in defined if d not in definitions]  # a child's symbols, defined after the cases
    return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}" + "".join(r",\quad " + d for d in definitions)


# ---- the registry ---------------------------------------------------------------------------------------

_SCHEDULES: dict[str, Schedule] = {
    "StepLR": Schedule(
        lambda p, t: _in(r"\eta_0 \cdot \gamma^{\lfloor @ / \text{step\_size} \rfloor}", t),
        _step_curve,
        lambda p, steps: [(step, _mark("decay")) for step in range(p["step_size"], steps, p["step_size"])]),
    "MultiStepLR": Schedule(
        lambda p, t: _in(r"\eta_0 \cdot \gamma^{\#\{m \,\in\, \text{milestones} \;:\; m \le @\}}", t),
        _multistep_curve, lambda p, steps: [(m, _mark("decay")) for m in p["milestones"]]),
    "ExponentialLR": Schedule(
        lambda p, t: _in(r"\eta_0 \cdot \gamma^{@}", t), _exponential_curve, lambda p, steps: []),
    "CosineAnnealingLR": Schedule(
        lambda p, t: _in(r"\eta_{min} + \tfrac12(\eta_0 - \eta_{min})\left(1 + \cos\frac{\pi @}{T_{max}}\right)", t),
        _cosine_curve,
        lambda p, steps: [(k * p["T_max"], _mark("T_max") if k == 1 else _mark("T_max_times", k=k))
                          for k in range(1, (steps - 1) // p["T_max"] + 1)]),
    "CosineAnnealingWarmRestarts": Schedule(
        lambda p, t: _in(r"\eta_{min} + \tfrac12(\eta_0 - \eta_{min})\left(1 + \cos\frac{\pi T_{cur}}{T_i}\right),"
                         r"\quad T_i = T_0 \cdot T_{mult}^{\,i},\ T_{cur} = @ - \textstyle\sum_{j<i} T_j \in [0, T_i)"
                         r"\ (i\text{: restarts so far})", t),
        _warm_restarts_curve, lambda p, steps: [(int(r), _mark("restart")) for r in _restarts(p, steps)[1:]]),
    "LinearLR": Schedule(
        lambda p, t: _in(r"\eta_0 \left(s + (e - s) \frac{\min(@, T)}{T}\right),\quad s = \text{start\_factor},"
                         r"\ e = \text{end\_factor},\ T = \text{total\_iters}", t),
        _linear_curve, _end_marker),
    "ConstantLR": Schedule(
        lambda p, t: _in(r"\eta_0 \cdot \begin{cases} \text{factor} & @ < \text{total\_iters} \\ "
                         r"1 & @ \ge \text{total\_iters} \end{cases}", t),
        _constant_curve, _end_marker),
    "PolynomialLR": Schedule(
        lambda p, t: _in(r"\eta_0 \left(1 - \frac{\min(@, \text{total\_iters})}{\text{total\_iters}}\right)"
                         r"^{\text{power}}", t),
        _polynomial_curve, _end_marker),
    "OneCycleLR": Schedule(_one_cycle_latex, _one_cycle_curve, _one_cycle_markers),
    "CyclicLR": Schedule(
        _cyclic_latex, _cyclic_curve,
        lambda p, steps: [(step, _mark("max")) for step in range(p["step_size_up"], steps, _cycle_length(p))]),
    "ReduceLROnPlateau": Schedule(
        lambda p, t: _in(r"\begin{cases} \max(\eta_{@-1} \cdot \text{factor},\ \text{min\_lr}) & "
                         r"n_{@} > \text{patience} \\ "
                         r"\eta_{@-1} & \text{otherwise} \end{cases},\quad "
                         r"n_{@} = \text{steps without improvement (num\_bad\_epochs)}", t),
        None, lambda p, steps: []),
    "SequentialLR": Schedule(
        _sequential_latex, _sequential_curve, lambda p, steps: [(m, _mark("switch")) for m in p["milestones"]]),
}


def _entry(name) -> Schedule:
    if name not in _SCHEDULES:
        valid = ", ".join(_SCHEDULES)
        raise ConfigError("scheduler.error.unknown", got=shown(name), valid=valid)
    return _SCHEDULES[name]


def _with_run_steps(name: str, params: dict, steps: int) -> dict:
    """OneCycleLR's total_steps None means the run's steps (as `build_scheduler` does), also inside SequentialLR."""
    if name == "OneCycleLR" and params["total_steps"] is None:
        return {**params, "total_steps": steps}
    if name == "SequentialLR":
        return {**params, "schedulers": [{"name": c["name"], "params": _with_run_steps(c["name"], c["params"], steps)}
                                         for c in params["schedulers"]]}
    return params


# ---- the API --------------------------------------------------------------------------------------------

def formula_latex(name: str, params: dict | None = None) -> str:
    """The schedule's closed form in LaTeX (η_0 = base lr, t = scheduler steps so far).

    `params` (optional) picks OneCycleLR's phases and anneal, CyclicLR's mode and SequentialLR's pieces
    (each child's formula with t shifted by its milestone); without it, torch's defaults / a generic form.
    """
    return r"\eta_t = " + _entry(name).latex(params or {}, "t")


def formula_curve(name: str, params: dict | None, steps: int, base_lr: float) -> np.ndarray:
    """The closed form evaluated in numpy for t = 0..steps-1, shape (steps,); equals `lr_curve`.

    Raises ConfigError (a ValueError) for ReduceLROnPlateau (it follows the loss) and wherever torch
    itself fails (OneCycleLR stepped past total_steps, a division by zero).
    """
    name, params = validate_scheduler(name, params, {"steps": steps, "lr": base_lr})
    entry = _entry(name)
    if entry.curve is None:
        raise ConfigError("scheduler.error.no_closed_form", name=name)
    # lr_curve steps the scheduler after the last recorded lr too: evaluate that step for torch's errors
    t = np.arange(steps + 1)
    return entry.curve(_with_run_steps(name, params, steps), t, Start(base_lr, base_lr))[:steps].astype(float)


def markers(name: str, params: dict | None, steps: int, base_lr: float = 1.0,
            lang: str = "en") -> list[tuple[int, str]]:
    """Steps worth marking on the curve, below `steps`, each with a short label in `lang` ("×γ", "restart",
    "peak", "switch", …: the catalogue's ``scheduler.marker.<kind>``).

    `base_lr` is the curve's (validation refuses a schedule whose learning rate would pass 1000)."""
    name, params = validate_scheduler(name, params, {"steps": steps, "lr": base_lr})
    found = _entry(name).markers(_with_run_steps(name, params, steps), steps)
    return sorted((int(step), label.render(lang)) for step, label in found if 0 <= step < steps)
