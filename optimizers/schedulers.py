"""The scheduler registry: real `torch.optim.lr_scheduler` classes and their schemas.

`build_scheduler` makes the torch object for an optimizer; `lr_curve` steps one
on a throw-away parameter to give its learning rate for N steps (the LR page).
`SequentialLR` chains other schedulers: its config is
``{"schedulers": [{"name": "LinearLR", "params": {...}}, ...], "milestones": [k]}``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch.optim import lr_scheduler

from schema import TINY, ConfigError, Param, Rule, mapping, rule_error, shown, validate_params

from .specs import OPTIMIZERS

MAX_LR = 1000.0  # the largest learning rate a schedule may reach: the `lr` field's bound


def gamma(default, help_en="Multiplicative factor γ of each decay", help_zh="每次衰减的乘法因子 γ",
          **kw) -> Param:
    return Param("gamma", "float", default, help_en, help_zh, low=0.0, high=10.0, open_low=True,
                 slider=(0.01, 1.0), **kw)


WARMUP_FACTOR = 0.1  # SequentialLR's default warm-up starts from a tenth of the learning rate …


def warmup_steps(steps: int) -> int:
    """… for a tenth of the run, at least one step: the default warm-up everywhere (engine, links, run editor)."""
    return max(1, steps // 10)


def total_iters(default=5) -> Param:
    return Param("total_iters", "int", default, "Steps until the factor reaches its end value",
                 "因子到达终值所需的步数", low=0, high=100_000, slider=(0, 1000))


def eta_min() -> Param:
    return Param("eta_min", "float", 0.0, "Lowest learning rate η_min", "最低学习率 η_min",
                 low=0.0, high=1000.0, slider=(0.0, 0.1))


def cycle_momentum(base: float, top: float) -> tuple[Param, ...]:
    return (
        Param("cycle_momentum", "bool", True,
              "Cycle momentum (or Adam's β₁) inversely to the learning rate",
              "让动量（或 Adam 的 β₁）与学习率反向循环"),
        Param("base_momentum", "float", base, "Lowest momentum of the cycle", "循环中的最低动量",
              low=0.0, high=1.0, open_high=True, slider=(0.0, 0.999)),  # Adam's β₁ < 1 (1 divides by zero)
        Param("max_momentum", "float", top, "Highest momentum of the cycle", "循环中的最高动量",
              low=0.0, high=1.0, open_high=True, slider=(0.0, 0.999)),
    )


def _increasing(v):
    ok = all(m > 0 for m in v) and all(a < b for a, b in zip(v, v[1:], strict=False))
    return None if ok else ("milestones must be positive and strictly increasing",
                            "里程碑必须为正且严格递增")


def milestones(help_en, help_zh, suggest) -> Param:
    return Param("milestones", "int_list", None, help_en, help_zh, low=1, high=100_000, required=True,
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
        return (key, f"the learning rate would reach {top:.3g} within {c['steps']} steps; at most {MAX_LR:g}",
                f"学习率在 {c['steps']} 步内会达到 {top:.3g}；最多 {MAX_LR:g}")
    return rule


def zero_rule(key: str, reaches_zero) -> Rule:
    """A rule: with LBFGS's strong-Wolfe line search, `reaches_zero(params, context)` (the schedule sets the
    learning rate to 0 within the run's steps) is refused: torch's line search then divides by zero."""
    def rule(v, c):
        if c.get("line_search") != "strong_wolfe" or not reaches_zero(v, c):
            return None
        return (key, f"lets the learning rate reach 0 within {c['steps']} steps, where LBFGS's strong_wolfe "
                "line search divides by zero",
                f"会让学习率在 {c['steps']} 步内降到 0，LBFGS 的 strong_wolfe 线搜索会因此除以零")
    return rule


def _cycle_momentum_rule(v, c):
    """torch's own check: cycling momentum needs an optimizer with `momentum` or `betas`."""
    name = c.get("optimizer", "SGD")
    if v["cycle_momentum"] and not {p.key for p in OPTIMIZERS[name].params} & {"momentum", "betas"}:
        return ("cycle_momentum", f"{name} has no momentum or betas to cycle: set cycle_momentum to false",
                f"{name} 没有可循环的 momentum 或 betas：请把 cycle_momentum 设为 false")
    return None


def _momentum_buffer_rule(v, c):
    """torch's RMSprop makes its momentum buffer only if momentum > 0 at its first step; cycling starts at
    max_momentum, so 0 there and more later fails inside `step` (KeyError 'momentum_buffer')."""
    if v["cycle_momentum"] and c.get("optimizer") == "RMSprop" and v["max_momentum"] == 0:
        return ("max_momentum", "must be > 0 for RMSprop (its momentum buffer is made at the first step only if "
                "momentum > 0), or set cycle_momentum to false",
                "RMSprop 需要大于 0（只有第一步时 momentum > 0 才会创建动量缓冲），或把 cycle_momentum 设为 false")
    return None


CYCLE_RULES = (_cycle_momentum_rule, _momentum_buffer_rule)


def _one_cycle_rules() -> tuple[Rule, ...]:
    """initial lr = max_lr / div_factor and min lr = initial / final_div_factor, as torch computes them."""
    def smallest(v, c):
        if v["max_lr"] / v["div_factor"] / v["final_div_factor"] >= TINY:
            return None
        return ("final_div_factor", "max_lr / div_factor / final_div_factor, the final learning rate, underflows to 0",
                "max_lr / div_factor / final_div_factor（最终学习率）下溢为 0")

    def long_enough(v, c):
        if (v["total_steps"] or c["steps"]) >= c["steps"]:
            return None
        return ("total_steps", "must be at least the number of steps", "不能小于步数")
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
    """

    name: str
    params: tuple[Param, ...]
    summary_en: str
    summary_zh: str
    lr_keys: tuple[str, ...] = ()
    needs_loss: bool = False
    rules: tuple[Rule, ...] = ()

    @property
    def cls(self) -> type:
        return getattr(lr_scheduler, self.name)

    def summary(self, lang: str = "en") -> str:
        return self.summary_zh if lang == "zh" else self.summary_en


SCHEDULERS: dict[str, SchedulerSpec] = {s.name: s for s in (
    SchedulerSpec("StepLR", (
        Param("step_size", "int", None, "Decay every step_size steps", "每 step_size 步衰减一次",
              low=1, high=100_000, slider=(1, 1000), required=True,
              suggest=lambda c: max(1, c["steps"] // 4)),
        gamma(0.1)),
        "Multiply the LR by γ every step_size steps", "每 step_size 步把学习率乘以 γ",
        rules=(peak_rule("gamma", lambda v, c: _grown(c["lr"], v["gamma"], c["steps"] // v["step_size"])),
               zero_rule("gamma", lambda v, c: _grown(c["lr"], v["gamma"], c["steps"] // v["step_size"]) < TINY))),
    SchedulerSpec("MultiStepLR", (
        milestones("Steps at which the LR is multiplied by γ", "学习率乘以 γ 的步数",
                   lambda c: sorted({max(1, c["steps"] // 2), max(2, 3 * c["steps"] // 4)})),
        gamma(0.1)),
        "Multiply the LR by γ at each milestone", "在每个里程碑把学习率乘以 γ",
        rules=(peak_rule("gamma", lambda v, c: _grown(c["lr"], v["gamma"], _passed(v, c))),
               zero_rule("gamma", lambda v, c: _grown(c["lr"], v["gamma"], _passed(v, c)) < TINY))),
    SchedulerSpec("ExponentialLR", (
        gamma(None, "Factor γ applied at every step", "每一步乘以的因子 γ", required=True,
              suggest=lambda c: 0.99),),
        "Multiply the LR by γ at every step", "每一步把学习率乘以 γ",
        rules=(peak_rule("gamma", lambda v, c: _grown(c["lr"], v["gamma"], c["steps"])),
               zero_rule("gamma", lambda v, c: _grown(c["lr"], v["gamma"], c["steps"]) < TINY))),
    SchedulerSpec("CosineAnnealingLR", (
        Param("T_max", "int", None, "Steps of the half cosine (climbs back after)",
              "半个余弦周期的步数（之后会回升）", low=1, high=100_000, slider=(1, 10_000),
              required=True, suggest=lambda c: c["steps"]),
        eta_min()),
        "Cosine from the base LR down to η_min over T_max steps", "在 T_max 步内按余弦从初始学习率降到 η_min",
        rules=(zero_rule("eta_min", lambda v, c: v["eta_min"] == 0 and v["T_max"] <= c["steps"]),)),
    SchedulerSpec("CosineAnnealingWarmRestarts", (
        Param("T_0", "int", None, "Steps of the first cycle", "第一个周期的步数", low=1, high=100_000,
              slider=(1, 1000), required=True, suggest=lambda c: max(1, c["steps"] // 4)),
        Param("T_mult", "int", 1, "Each cycle is T_mult times longer", "每个周期是前一个的 T_mult 倍",
              low=1, high=100, slider=(1, 4)),
        eta_min()),
        "Cosine decay restarted every cycle", "每个周期重新开始的余弦衰减"),
    SchedulerSpec("LinearLR", (
        Param("start_factor", "float", 1 / 3, "Factor at the first step", "第一步的因子",
              low=0.0, high=1.0, open_low=True, slider=(0.01, 1.0)),
        Param("end_factor", "float", 1.0, "Factor after total_iters steps", "total_iters 步之后的因子",
              low=0.0, high=1.0, slider=(0.0, 1.0)),
        total_iters()),
        "Linear ramp of a factor on the LR (a warm-up)", "学习率因子线性变化（常用于预热）",
        rules=(zero_rule("end_factor", lambda v, c: v["end_factor"] == 0 and 1 <= v["total_iters"] <= c["steps"]),)),
    SchedulerSpec("ConstantLR", (
        Param("factor", "float", 1 / 3, "Factor applied until total_iters (torch divides by it then)",
              "total_iters 步之前使用的因子（届时 torch 会除以它）", low=0.0, high=1.0, open_low=True,
              slider=(0.01, 1.0)),
        total_iters()),
        "A constant factor for the first total_iters steps", "前 total_iters 步使用固定因子"),
    SchedulerSpec("PolynomialLR", (
        total_iters(),
        Param("power", "float", 1.0, "Power of the polynomial decay", "多项式衰减的幂",
              low=0.0, high=100.0, slider=(0.0, 5.0))),
        "Polynomial decay to zero over total_iters steps", "在 total_iters 步内按多项式衰减到零",
        rules=(zero_rule("total_iters", lambda v, c: v["power"] > 0 and 1 <= v["total_iters"] <= c["steps"]),)),
    SchedulerSpec("OneCycleLR", (
        Param("max_lr", "float", None, "Peak learning rate", "峰值学习率", low=0.0, high=1000.0,
              open_low=True, slider=(1e-5, 10.0), log=True, required=True,
              suggest=lambda c: min(max(c["lr"] * 10, 1e-6), MAX_LR)),  # a valid peak even for lr 0 or 1000
        Param("total_steps", "int", None, "Length of the cycle (empty: the run's steps)",
              "周期总步数（留空：本次运行的步数）", low=1, high=100_000, slider=(1, 10_000),
              optional=True),
        Param("pct_start", "float", 0.3, "Fraction of the cycle spent increasing the LR",
              "学习率上升阶段所占比例", low=0.0, high=1.0, open_low=True, open_high=True,
              slider=(0.05, 0.95)),
        Param("anneal_strategy", "choice", "cos", "Shape of the anneal: 'cos' or 'linear'",
              "退火形状：'cos' 或 'linear'", choices=("cos", "linear")),
        *cycle_momentum(0.85, 0.95),
        Param("div_factor", "float", 25.0, "Initial LR = max_lr / div_factor", "初始学习率 = max_lr / div_factor",
              low=0.0, high=1e6, open_low=True, slider=(1.0, 100.0), log=True),
        Param("final_div_factor", "float", 1e4, "Final LR = initial LR / final_div_factor",
              "最终学习率 = 初始学习率 / final_div_factor", low=0.0, high=1e9, open_low=True,
              slider=(1.0, 1e5), log=True),
        Param("three_phase", "bool", False, "Add a third phase that anneals far below the start",
              "增加第三阶段，衰减到远低于初始值")),
        "Warm up to max_lr, then anneal far below the start", "先升到 max_lr，再退火到远低于初始值",
        lr_keys=("max_lr",), rules=_one_cycle_rules()),
    SchedulerSpec("CyclicLR", (
        Param("base_lr", "float", None, "Lower LR of the cycle", "循环的下界学习率", low=0.0,
              high=1000.0, slider=(1e-5, 10.0), log=True, required=True, suggest=lambda c: c["lr"] / 10),
        Param("max_lr", "float", None, "Upper LR of the cycle", "循环的上界学习率", low=0.0,
              high=1000.0, slider=(1e-5, 10.0), log=True, required=True, suggest=lambda c: c["lr"]),
        Param("step_size_up", "int", 2000, "Steps of the rising half", "上升阶段的步数",
              low=1, high=100_000, slider=(1, 1000)),
        Param("step_size_down", "int", None, "Steps of the falling half (empty: = step_size_up)",
              "下降阶段的步数（留空：与上升相同）", low=1, high=100_000, slider=(1, 1000),
              optional=True),
        Param("mode", "choice", "triangular", "Amplitude policy across cycles", "各周期幅度的策略",
              choices=("triangular", "triangular2", "exp_range")),
        gamma(1.0, "γ of 'exp_range': amplitude × γ^step", "'exp_range' 模式的 γ：幅度 × γ^步数"),
        Param("scale_mode", "choice", "cycle", "Evaluate the scaling per cycle or per step",
              "按周期还是按步计算缩放", choices=("cycle", "iterations")),
        *cycle_momentum(0.8, 0.9)),
        "LR bounces between base_lr and max_lr", "学习率在 base_lr 与 max_lr 之间往返",
        lr_keys=("base_lr", "max_lr"),
        rules=(peak_rule("gamma", _cyclic_peak), *CYCLE_RULES,
               zero_rule("base_lr", lambda v, c: min(v["base_lr"], v["max_lr"]) == 0))),
    SchedulerSpec("ReduceLROnPlateau", (
        Param("mode", "choice", "min", "Watch for the loss to stop falling ('min') or rising ('max')",
              "监视损失不再下降（'min'）或不再上升（'max'）", choices=("min", "max")),
        Param("factor", "float", 0.1, "LR multiplier on a plateau", "遇到平台期时学习率的乘数",
              low=0.0, high=1.0, open_high=True, slider=(0.01, 0.99)),
        Param("patience", "int", 10, "Steps without improvement before reducing", "多少步没有改进后降低",
              low=0, high=100_000, slider=(0, 100)),
        Param("threshold", "float", 1e-4, "Smallest change that counts as improvement", "算作改进的最小变化",
              low=0.0, high=1e6, slider=(1e-8, 1e-1), log=True),
        Param("threshold_mode", "choice", "rel", "Threshold relative ('rel') or absolute ('abs')",
              "阈值是相对的（'rel'）还是绝对的（'abs'）", choices=("rel", "abs")),
        Param("cooldown", "int", 0, "Steps to wait after a reduction", "降低之后的冷却步数",
              low=0, high=100_000, slider=(0, 100)),
        Param("min_lr", "float", 0, "Never go below this LR", "学习率下限", low=0.0, high=1000.0,
              slider=(0.0, 0.01)),
        Param("eps", "float", 1e-8, "Ignore reductions smaller than this", "小于该值的降低被忽略",
              low=0.0, high=1.0, slider=(0.0, 1e-4))),
        "Cut the LR by factor when the loss stops improving", "损失不再改善时按 factor 降低学习率",
        needs_loss=True, rules=(zero_rule("min_lr", lambda v, c: v["min_lr"] == 0),)),
    SchedulerSpec("SequentialLR", (
        Param("milestones", "int_list", None, "Steps at which the next scheduler takes over",
              "切换到下一个调度器的步数", required=True, check=_increasing,
              suggest=lambda c: [warmup_steps(c["steps"])]),),
        "One scheduler after another, e.g. a warm-up then cosine", "依次使用多个调度器，例如先预热再余弦"),
)}

CHAINABLE = tuple(n for n in SCHEDULERS if n not in ("SequentialLR", "ReduceLROnPlateau"))


def _scheduler_error(en: str, zh: str) -> ConfigError:
    return ConfigError(f"scheduler: {en}", f"调度器：{zh}")


def validate_scheduler(name: str | None, params: dict | None, context: dict) -> tuple[str | None, dict]:
    """Check a scheduler name and parameters; fill torch's defaults.  None = no scheduler."""
    if name is None:
        return None, {}
    if not isinstance(name, str) or name not in SCHEDULERS:
        valid = ", ".join(SCHEDULERS)
        raise _scheduler_error(f"unknown scheduler {shown(name)}; valid: {valid}",
                               f"未知的调度器 {shown(name)}；可用：{valid}")
    if name != "SequentialLR":
        return name, validate_params(SCHEDULERS[name].params, params, name, context, SCHEDULERS[name].rules)
    params = dict(mapping(params, name))
    children = params.pop("schedulers", None)
    if children is None:
        children = [{"name": "LinearLR", "params": {"start_factor": WARMUP_FACTOR,
                                                    "total_iters": warmup_steps(context["steps"])}},
                    {"name": "CosineAnnealingLR", "params": {}}]
    if not isinstance(children, list) or not 2 <= len(children) <= 5:
        raise _scheduler_error("SequentialLR.schedulers must be a list of 2 to 5 schedulers",
                               "SequentialLR.schedulers 必须是 2 到 5 个调度器的列表")
    out = validate_params(SCHEDULERS[name].params, params, name, context)
    if len(out["milestones"]) != len(children) - 1:
        raise _scheduler_error("SequentialLR needs one milestone fewer than schedulers",
                               "SequentialLR 的里程碑数必须比调度器少一个")
    chain = []
    for child, where in zip(children, segment_contexts(context, out["milestones"]), strict=True):
        child = child if isinstance(child, dict) else {}
        child_name = child.get("name")
        if not isinstance(child_name, str) or child_name not in CHAINABLE:
            valid = ", ".join(CHAINABLE)
            raise _scheduler_error(f"SequentialLR cannot chain {shown(child_name)}; valid: {valid}",
                                   f"SequentialLR 不能串联 {shown(child_name)}；可用：{valid}")
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
        hint = " (set cycle_momentum to false for this optimizer)" if "momentum" in str(err) else ""
        hint_zh = "（对该优化器请把 cycle_momentum 设为 false）" if hint else ""
        raise _scheduler_error(f"{name}: {err}{hint}", f"{name}：{err}{hint_zh}") from err


def lr_curve(name: str | None, params: dict | None, steps: int, base_lr: float = 0.1,
             losses=None) -> np.ndarray:
    """Learning rate at each of `steps` steps of a scheduler, stepped as torch documents.

    Uses SGD on a throw-away parameter: `optimizer.step()` then `scheduler.step()`.
    ReduceLROnPlateau reads `losses[t]` at step t.  Returns shape (steps,).
    """
    context = {"steps": steps, "lr": base_lr}
    name, params = validate_scheduler(name, params, context)
    spec = SCHEDULERS.get(name)
    if spec is not None and spec.needs_loss and (losses is None or len(losses) < steps):
        raise ConfigError("ReduceLROnPlateau needs a loss for every step",
                          "ReduceLROnPlateau 需要每一步的损失值")
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
        raise _scheduler_error(f"{name}: {err}", f"{name}：{err}") from err
