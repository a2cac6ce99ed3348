"""The scheduler registry: real `torch.optim.lr_scheduler` classes and their schemas.

`build_scheduler` makes the torch object for an optimizer; `lr_curve` steps one
on a throw-away parameter to give its learning rate for N steps (the LR page).
`SequentialLR` chains other schedulers: its config is
``{"schedulers": [{"name": "LinearLR", "params": {...}}, ...], "milestones": [k]}``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import overload

import numpy as np
import torch
from torch.optim import lr_scheduler

from schema import TINY, ConfigError, Param, Rule, mapping, rule_error, shown, validate_params
from texts import message, text

from .specs import OPTIMIZERS

MAX_LR = 1000.0  # the largest learning rate a schedule may reach: the `lr` field's bound


def gamma(default, help="scheduler.gamma", **kw) -> Param:
    return Param("gamma", "float", default, help, low=0.0, high=10.0, open_low=True, slider=(0.01, 1.0), **kw)


WARMUP_FACTOR = 0.1  # SequentialLR's default warm-up starts from a tenth of the learning rate …


def warmup_steps(steps: int) -> int:
    """… for a tenth of the run, at least one step: the default warm-up everywhere (engine, links, run editor)."""
    return max(1, steps // 10)


def total_iters(default=5) -> Param:
    return Param("total_iters", "int", default, "scheduler.total_iters", low=0, high=100_000, slider=(0, 1000))


def eta_min() -> Param:
    return Param("eta_min", "float", 0.0, "scheduler.eta_min", low=0.0, high=1000.0, slider=(0.0, 0.1))


def cycle_momentum(base: float, top: float) -> tuple[Param, ...]:
    return (
        Param("cycle_momentum", "bool", True, "scheduler.cycle_momentum"),
        Param("base_momentum", "float", base, "scheduler.base_momentum",
              low=0.0, high=1.0, open_high=True, slider=(0.0, 0.999)),  # Adam's β₁ < 1 (1 divides by zero)
        Param("max_momentum", "float", top, "scheduler.max_momentum",
              low=0.0, high=1.0, open_high=True, slider=(0.0, 0.999)),
    )


def _increasing(v):
    ok = all(m > 0 for m in v) and all(a < b for a, b in zip(v, v[1:], strict=False))
    return None if ok else message("scheduler.rule.milestones")


def milestones(help, suggest) -> Param:
    return Param("milestones", "int_list", None, help, low=1, high=100_000, required=True,
                 suggest=suggest, check=_increasing)


def _grown(lr: float, gamma: float, n: int) -> float:
    """lr·γⁿ, inf where it overflows."""
    try:
        return lr * gamma ** n if lr else 0.0
    except OverflowError:
        return math.inf


def peak_rule(key: str, peak) -> Rule:
    """A rule: `peak(params, context)`, the largest |learning rate| the schedule sets within the run's
    steps from the base lr `context["lr"]`, is at most MAX_LR (torch's float32 step fails beyond ~3e38)."""
    def rule(v, c):
        top = peak(v, c)
        if top <= MAX_LR:
            return None
        return key, message("scheduler.rule.peak", top=f"{top:.3g}", steps=c["steps"], limit=f"{MAX_LR:g}")
    return rule


def zero_rule(key: str, reaches_zero) -> Rule:
    """A rule: with LBFGS's strong-Wolfe line search, `reaches_zero(params, context)` (the schedule sets the
    learning rate to 0 within the run's steps) is refused: torch's line search then divides by zero."""
    def rule(v, c):
        if c.get("line_search") != "strong_wolfe" or not reaches_zero(v, c):
            return None
        return key, message("scheduler.rule.zero", steps=c["steps"])
    return rule


def _cycle_momentum_rule(v, c):
    """torch's own check: cycling momentum needs an optimizer with `momentum` or `betas`."""
    name = c.get("optimizer", "SGD")
    if v["cycle_momentum"] and not {p.key for p in OPTIMIZERS[name].params} & {"momentum", "betas"}:
        return "cycle_momentum", message("scheduler.rule.cycle_momentum", optimizer=name)
    return None


def _momentum_buffer_rule(v, c):
    """torch's RMSprop makes its momentum buffer only if momentum > 0 at its first step; cycling starts at
    max_momentum, so 0 there and more later fails inside `step` (KeyError 'momentum_buffer')."""
    if v["cycle_momentum"] and c.get("optimizer") == "RMSprop" and v["max_momentum"] == 0:
        return "max_momentum", message("scheduler.rule.momentum_buffer")
    return None


CYCLE_RULES = (_cycle_momentum_rule, _momentum_buffer_rule)


def _one_cycle_rules() -> tuple[Rule, ...]:
    """initial lr = max_lr / div_factor and min lr = initial / final_div_factor, as torch computes them."""
    def smallest(v, c):
        if v["max_lr"] / v["div_factor"] / v["final_div_factor"] >= TINY:
            return None
        return "final_div_factor", message("scheduler.rule.final_lr")

    def long_enough(v, c):
        if (v["total_steps"] or c["steps"]) >= c["steps"]:
            return None
        return "total_steps", message("scheduler.rule.total_steps")
    return (peak_rule("div_factor", lambda v, c: max(v["max_lr"], v["max_lr"] / v["div_factor"])), smallest,
            long_enough, *CYCLE_RULES)


def _passed(v, c) -> int:
    """MultiStepLR: how many milestones the run passes."""
    return sum(m <= c["steps"] for m in v["milestones"])


def _cyclic_peak(v, c):
    """lr = base_lr + (max_lr − base_lr)·x·scale with x in [0, 1]; 'exp_range' scales by γ^t (else ≤ 1)."""
    growth = _grown(1.0, v["gamma"], c["steps"]) if v["mode"] == "exp_range" else 1.0
    return max(v["base_lr"], abs(v["base_lr"] + (v["max_lr"] - v["base_lr"]) * growth))


@dataclass(frozen=True)
class SchedulerSpec:
    """A `torch.optim.lr_scheduler` class and its exposed keywords.

    `lr_keys` are keywords that hold absolute learning rates (scaled per
    parameter group); `needs_loss`: `step()` takes the loss (ReduceLROnPlateau).
    `rules` check keywords together and against the run ({"steps", "lr", "optimizer", "line_search"}).
    Its one-line summary is the catalogue's ``scheduler.<name>.summary``.
    """

    name: str
    params: tuple[Param, ...]
    lr_keys: tuple[str, ...] = ()
    needs_loss: bool = False
    rules: tuple[Rule, ...] = ()

    @property
    def cls(self) -> type:
        return getattr(lr_scheduler, self.name)

    def summary(self, lang: str = "en") -> str:
        return text(f"scheduler.{self.name}.summary", lang)


SCHEDULERS: dict[str, SchedulerSpec] = {s.name: s for s in (
    SchedulerSpec("StepLR", (
        Param("step_size", "int", None, "scheduler.step_size", low=1, high=100_000, slider=(1, 1000), required=True,
              suggest=lambda c: max(1, c["steps"] // 4)),
        gamma(0.1)),
        rules=(peak_rule("gamma", lambda v, c: _grown(c["lr"], v["gamma"], c["steps"] // v["step_size"])),
               zero_rule("gamma", lambda v, c: _grown(c["lr"], v["gamma"], c["steps"] // v["step_size"]) < TINY))),
    SchedulerSpec("MultiStepLR", (
        milestones("scheduler.MultiStepLR.milestones",
                   lambda c: sorted({max(1, c["steps"] // 2), max(2, 3 * c["steps"] // 4)})),
        gamma(0.1)),
        rules=(peak_rule("gamma", lambda v, c: _grown(c["lr"], v["gamma"], _passed(v, c))),
               zero_rule("gamma", lambda v, c: _grown(c["lr"], v["gamma"], _passed(v, c)) < TINY))),
    SchedulerSpec("ExponentialLR", (
        gamma(None, "scheduler.ExponentialLR.gamma", required=True, suggest=lambda c: 0.99),),
        rules=(peak_rule("gamma", lambda v, c: _grown(c["lr"], v["gamma"], c["steps"])),
               zero_rule("gamma", lambda v, c: _grown(c["lr"], v["gamma"], c["steps"]) < TINY))),
    SchedulerSpec("CosineAnnealingLR", (
        Param("T_max", "int", None, "scheduler.T_max", low=1, high=100_000, slider=(1, 10_000),
              required=True, suggest=lambda c: c["steps"]),
        eta_min()),
        rules=(zero_rule("eta_min", lambda v, c: v["eta_min"] == 0 and v["T_max"] <= c["steps"]),)),
    SchedulerSpec("CosineAnnealingWarmRestarts", (
        Param("T_0", "int", None, "scheduler.T_0", low=1, high=100_000,
              slider=(1, 1000), required=True, suggest=lambda c: max(1, c["steps"] // 4)),
        Param("T_mult", "int", 1, "scheduler.T_mult", low=1, high=100, slider=(1, 4)),
        eta_min())),
    SchedulerSpec("LinearLR", (
        Param("start_factor", "float", 1 / 3, "scheduler.start_factor", low=0.0, high=1.0, open_low=True,
              slider=(0.01, 1.0)),
        Param("end_factor", "float", 1.0, "scheduler.end_factor", low=0.0, high=1.0, slider=(0.0, 1.0)),
        total_iters()),
        rules=(zero_rule("end_factor", lambda v, c: v["end_factor"] == 0 and 1 <= v["total_iters"] <= c["steps"]),)),
    SchedulerSpec("ConstantLR", (
        Param("factor", "float", 1 / 3, "scheduler.ConstantLR.factor", low=0.0, high=1.0, open_low=True,
              slider=(0.01, 1.0)),
        total_iters())),
    SchedulerSpec("PolynomialLR", (
        total_iters(),
        Param("power", "float", 1.0, "scheduler.power", low=0.0, high=100.0, slider=(0.0, 5.0))),
        rules=(zero_rule("total_iters", lambda v, c: v["power"] > 0 and 1 <= v["total_iters"] <= c["steps"]),)),
    SchedulerSpec("OneCycleLR", (
        Param("max_lr", "float", None, "scheduler.OneCycleLR.max_lr", low=0.0, high=1000.0,
              open_low=True, slider=(1e-5, 10.0), log=True, required=True,
              suggest=lambda c: min(max(c["lr"], 1e-6), MAX_LR)),  # the optimizer's lr is the peak (valid for lr 0)
        Param("total_steps", "int", None, "scheduler.total_steps", low=1, high=100_000, slider=(1, 10_000),
              optional=True),
        Param("pct_start", "float", 0.3, "scheduler.pct_start", low=0.0, high=1.0, open_low=True, open_high=True,
              slider=(0.05, 0.95)),
        Param("anneal_strategy", "choice", "cos", "scheduler.anneal_strategy", choices=("cos", "linear")),
        *cycle_momentum(0.85, 0.95),
        Param("div_factor", "float", 25.0, "scheduler.div_factor", low=0.0, high=1e6, open_low=True,
              slider=(1.0, 100.0), log=True),
        Param("final_div_factor", "float", 1e4, "scheduler.final_div_factor", low=0.0, high=1e9, open_low=True,
              slider=(1.0, 1e5), log=True),
        Param("three_phase", "bool", False, "scheduler.three_phase")),
        lr_keys=("max_lr",), rules=_one_cycle_rules()),
    SchedulerSpec("CyclicLR", (
        Param("base_lr", "float", None, "scheduler.base_lr", low=0.0,
              high=1000.0, slider=(1e-5, 10.0), log=True, required=True, suggest=lambda c: c["lr"] / 10),
        Param("max_lr", "float", None, "scheduler.CyclicLR.max_lr", low=0.0,
              high=1000.0, slider=(1e-5, 10.0), log=True, required=True, suggest=lambda c: c["lr"]),
        Param("step_size_up", "int", 2000, "scheduler.step_size_up", low=1, high=100_000, slider=(1, 1000)),
        Param("step_size_down", "int", None, "scheduler.step_size_down", low=1, high=100_000, slider=(1, 1000),
              optional=True),
        Param("mode", "choice", "triangular", "scheduler.CyclicLR.mode",
              choices=("triangular", "triangular2", "exp_range")),
        gamma(1.0, "scheduler.CyclicLR.gamma"),
        Param("scale_mode", "choice", "cycle", "scheduler.scale_mode", choices=("cycle", "iterations")),
        *cycle_momentum(0.8, 0.9)),
        lr_keys=("base_lr", "max_lr"),
        rules=(peak_rule("gamma", _cyclic_peak), *CYCLE_RULES,
               zero_rule("base_lr", lambda v, c: min(v["base_lr"], v["max_lr"]) == 0))),
    SchedulerSpec("ReduceLROnPlateau", (
        Param("mode", "choice", "min", "scheduler.ReduceLROnPlateau.mode", choices=("min", "max")),
        Param("factor", "float", 0.1, "scheduler.ReduceLROnPlateau.factor", low=0.0, high=1.0, open_high=True,
              slider=(0.01, 0.99)),
        Param("patience", "int", 10, "scheduler.patience", low=0, high=100_000, slider=(0, 100)),
        Param("threshold", "float", 1e-4, "scheduler.threshold", low=0.0, high=1e6, slider=(1e-8, 1e-1), log=True),
        Param("threshold_mode", "choice", "rel", "scheduler.threshold_mode", choices=("rel", "abs")),
        Param("cooldown", "int", 0, "scheduler.cooldown", low=0, high=100_000, slider=(0, 100)),
        Param("min_lr", "float", 0, "scheduler.min_lr", low=0.0, high=1000.0, slider=(0.0, 0.01)),
        Param("eps", "float", 1e-8, "scheduler.eps", low=0.0, high=1.0, slider=(0.0, 1e-4))),
        needs_loss=True, rules=(zero_rule("min_lr", lambda v, c: v["min_lr"] == 0),)),
    SchedulerSpec("SequentialLR", (
        Param("milestones", "int_list", None, "scheduler.SequentialLR.milestones", required=True,
              check=_increasing, suggest=lambda c: [warmup_steps(c["steps"])]),)),
)}

CHAINABLE = tuple(n for n in SCHEDULERS if n not in ("SequentialLR", "ReduceLROnPlateau"))


@overload
def validate_scheduler(name: str, params: dict | None, context: dict) -> tuple[str, dict]: ...
@overload
def validate_scheduler(name: None, params: dict | None, context: dict) -> tuple[None, dict]: ...
def validate_scheduler(name: str | None, params: dict | None, context: dict) -> tuple[str | None, dict]:
    """Check a scheduler name and parameters; fill torch's defaults.  None = no scheduler."""
    if name is None:
        return None, {}
    if not isinstance(name, str) or name not in SCHEDULERS:
        valid = ", ".join(SCHEDULERS)
        raise ConfigError("scheduler.error.unknown", got=shown(name), valid=valid)
    if name != "SequentialLR":
        return name, validate_params(SCHEDULERS[name].params, params, name, context, SCHEDULERS[name].rules)
    params = dict(mapping(params, name))
    children = params.pop("schedulers", None)
    if children is None:
        children = [{"name": "LinearLR", "params": {"start_factor": WARMUP_FACTOR,
                                                    "total_iters": warmup_steps(context["steps"])}},
                    {"name": "CosineAnnealingLR", "params": {}}]
    if not isinstance(children, list) or not 2 <= len(children) <= 5:
        raise ConfigError("scheduler.error.chain_length")
    out = validate_params(SCHEDULERS[name].params, params, name, context)
    if len(out["milestones"]) != len(children) - 1:
        raise ConfigError("scheduler.error.milestone_count")
    chain = []
    for child, where in zip(children, segment_contexts(context, out["milestones"]), strict=True):
        child = child if isinstance(child, dict) else {}
        child_name = child.get("name")
        if not isinstance(child_name, str) or child_name not in CHAINABLE:
            valid = ", ".join(CHAINABLE)
            raise ConfigError("scheduler.error.cannot_chain", got=shown(child_name), valid=valid)
        spec = SCHEDULERS[child_name]
        values = validate_params(spec.params, child.get("params"), child_name, context)
        if (err := rule_error(spec.rules, values, child_name, where)) is not None:
            raise err
        chain.append({"name": child_name, "params": values})
    return name, {"schedulers": chain, **out}


def segment_contexts(context: dict, milestones: list[int]) -> list[dict]:
    """The context of each scheduler SequentialLR chains: its `steps` are the steps it schedules.

    Suggestions for missing keywords still use the whole run's context; rules use these.
    """
    steps = context["steps"]
    bounds = [min(b, steps) for b in (0, *milestones, steps)]
    return [{**context, "steps": max(0, b - a)} for a, b in zip(bounds, bounds[1:], strict=False)]


def _group_kwargs(spec: SchedulerSpec, params: dict, scales: list[float]) -> dict:
    """Absolute-LR keywords become one value per parameter group."""
    kwargs = dict(params)
    if len(scales) > 1:
        for key in spec.lr_keys:
            kwargs[key] = [kwargs[key] * s for s in scales]
    return kwargs


def build_scheduler(name: str | None, params: dict, optimizer: torch.optim.Optimizer,
                    steps: int, scales: list[float] | None = None):
    """The torch scheduler for validated `params`, or None.  Raises ConfigError."""
    if name is None:
        return None
    spec = SCHEDULERS[name]
    scales = scales or [1.0]
    if name == "SequentialLR":
        chain = [build_scheduler(c["name"], c["params"], optimizer, steps, scales)
                 for c in params["schedulers"]]
        make = lambda: lr_scheduler.SequentialLR(optimizer, chain, milestones=params["milestones"])  # noqa: E731
    else:
        kwargs = _group_kwargs(spec, params, scales)
        if name == "OneCycleLR" and kwargs["total_steps"] is None:
            kwargs["total_steps"] = steps
        make = lambda: spec.cls(optimizer, **kwargs)  # noqa: E731
    try:
        return make()
    except (ValueError, TypeError, KeyError, ArithmeticError) as err:
        problem = "scheduler.error.torch_momentum" if "momentum" in str(err) else "scheduler.error.torch"
        raise ConfigError(problem, name=name, error=str(err)) from err


def lr_curve(name: str | None, params: dict | None, steps: int, base_lr: float = 0.1,
             losses=None) -> np.ndarray:
    """Learning rate at each of `steps` steps of a scheduler, stepped as torch documents.

    Uses SGD on a throw-away parameter: `optimizer.step()` then `scheduler.step()`.
    ReduceLROnPlateau reads `losses[t]` at step t.  Returns shape (steps,).
    """
    context = {"steps": steps, "lr": base_lr}
    name, params = validate_scheduler(name, params, context)
    spec = SCHEDULERS.get(name) if name is not None else None
    if spec is not None and spec.needs_loss and (losses is None or len(losses) < steps):
        raise ConfigError("scheduler.error.needs_loss")
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=base_lr)
    scheduler = build_scheduler(name, params, optimizer, steps)
    out = np.empty(steps)
    for t in range(steps):
        out[t] = optimizer.param_groups[0]["lr"]
        optimizer.step()
        step_scheduler(scheduler, None if losses is None else float(losses[t]), name)
    return out


def step_scheduler(scheduler, loss: float | None, name: str | None) -> None:
    """One `scheduler.step()`, feeding the loss where the scheduler needs it."""
    if scheduler is None:
        return
    try:
        if name is not None and SCHEDULERS[name].needs_loss:
            scheduler.step(loss)
        else:
            scheduler.step()
    except (ValueError, ArithmeticError) as err:  # e.g. OneCycleLR past total_steps, ConstantLR factor 0
        raise ConfigError("scheduler.error.torch", name=name, error=str(err)) from err
