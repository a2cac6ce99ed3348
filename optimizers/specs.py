"""The optimizer registry: every `torch.optim` optimizer that works on a 2-vector.

Each `OptimizerSpec` names a `torch.optim` class and the schema of the keywords
we expose (torch's names and defaults; tests compare them with
`inspect.signature`).  Presets ("Momentum", "Nesterov", "AMSGrad") are
hyperparameter sets of a real class, not classes of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from schema import Param, Rule

LR_HELP = ("Learning rate γ: the size of each step", "学习率 γ：每一步的步长")


def lr(default: float) -> Param:
    return Param("lr", "float", default, *LR_HELP, low=0.0, high=1000.0,
                 slider=(1e-5, 10.0), log=True)


def eps(default: float) -> Param:
    return Param("eps", "float", default, "ε added to the denominator for numerical stability",
                 "加在分母上的 ε，保证数值稳定", low=0.0, high=1.0, open_low=True,
                 slider=(1e-10, 1e-1), log=True)


def weight_decay(default: float = 0) -> Param:
    return Param("weight_decay", "float", default, "Weight decay λ: adds λθ to the gradient (L2 penalty)",
                 "权重衰减 λ：在梯度上加 λθ（L2 正则）", low=0.0, high=100.0, slider=(0.0, 1.0))


def decoupled(default: bool = False) -> Param:
    return Param("decoupled_weight_decay", "bool", default,
                 "Decay the weights directly (AdamW style) instead of adding λθ to the gradient",
                 "直接衰减权重（AdamW 方式），而不是把 λθ 加到梯度上")


def betas(default=(0.9, 0.999)) -> Param:
    return Param("betas", "pair", default,
                 "(β₁, β₂): decay rates of the running averages of the gradient and its square",
                 "(β₁, β₂)：梯度及其平方的滑动平均衰减率", low=0.0, high=1.0, open_high=True,
                 slider=(0.0, 0.9999))


def momentum(default: float = 0) -> Param:
    return Param("momentum", "float", default, "Momentum factor μ: how much of the last step is kept",
                 "动量系数 μ：保留多少上一步的速度", low=0.0, high=1.0, slider=(0.0, 0.999))


MAXIMIZE = Param("maximize", "bool", False, "Climb the surface instead of descending it",
                 "沿梯度上升（求最大值）而不是下降")
AMSGRAD = Param("amsgrad", "bool", False, "Use the running maximum of v (AMSGrad)",
                "使用 v 的历史最大值（AMSGrad）")


def _etas_rule(v):
    return None if 0 < v[0] < 1 < v[1] else ("need 0 < etaminus < 1 < etaplus",
                                              "需要 0 < etaminus < 1 < etaplus")


def _step_sizes_rule(v):
    return None if 0 < v[0] <= v[1] else ("need 0 < min step ≤ max step", "需要 0 < 最小步长 ≤ 最大步长")


def _nesterov_rule(hp, context):
    if hp.get("nesterov") and (hp["momentum"] <= 0 or hp["dampening"] != 0):
        return ("nesterov", "needs momentum > 0 and dampening = 0", "需要 momentum > 0 且 dampening = 0")
    return None


@dataclass(frozen=True)
class OptimizerSpec:
    """A `torch.optim` class, its exposed keywords, and how the engine may batch it.

    `elementwise`: each coordinate's update depends only on that coordinate, so
    many starts can share one ``(n, 2)`` parameter exactly.  `closure`: `step`
    needs a closure that re-evaluates the loss (LBFGS).  `rules` check several
    keywords together (see `schema.Rule`).
    """

    name: str
    params: tuple[Param, ...]
    summary_en: str
    summary_zh: str
    elementwise: bool = True
    closure: bool = False
    rules: tuple[Rule, ...] = ()

    @property
    def cls(self) -> type[torch.optim.Optimizer]:
        return getattr(torch.optim, self.name)

    def summary(self, lang: str = "en") -> str:
        return self.summary_zh if lang == "zh" else self.summary_en


OPTIMIZERS: dict[str, OptimizerSpec] = {s.name: s for s in (
    OptimizerSpec("SGD", (
        lr(0.001), momentum(),
        Param("dampening", "float", 0, "Dampening τ: the new gradient enters momentum as (1−τ)g",
              "阻尼 τ：新梯度以 (1−τ)g 进入动量", low=0.0, high=1.0, slider=(0.0, 1.0)),
        weight_decay(),
        Param("nesterov", "bool", False, "Nesterov momentum: look ahead along the momentum",
              "Nesterov 动量：沿动量方向向前看一步"),
        MAXIMIZE),
        "Gradient descent, optionally with (Nesterov) momentum", "梯度下降，可加（Nesterov）动量",
        rules=(_nesterov_rule,)),
    OptimizerSpec("Adagrad", (
        lr(0.01),
        Param("lr_decay", "float", 0, "Learning-rate decay: γ / (1 + (t−1)·decay)",
              "学习率衰减：γ / (1 + (t−1)·decay)", low=0.0, high=10.0, slider=(0.0, 0.1)),
        weight_decay(),
        Param("initial_accumulator_value", "float", 0, "Starting value of the squared-gradient sum",
              "梯度平方累加和的初始值", low=0.0, high=1000.0, slider=(0.0, 1.0)),
        eps(1e-10), MAXIMIZE),
        "Divides by the root of the sum of all squared gradients so far", "除以历史梯度平方和的平方根"),
    OptimizerSpec("RMSprop", (
        lr(0.01),
        Param("alpha", "float", 0.99, "Smoothing constant α of the squared-gradient average",
              "梯度平方滑动平均的平滑常数 α", low=0.0, high=1.0, slider=(0.0, 0.999)),
        eps(1e-8), weight_decay(), momentum(),
        Param("centered", "bool", False, "Divide by the variance estimate instead of the raw second moment",
              "用方差估计（减去均值的平方）归一化"),
        MAXIMIZE),
        "Divides by the root of a running average of squared gradients", "除以梯度平方滑动平均的平方根"),
    OptimizerSpec("Adam", (
        lr(0.001), betas(), eps(1e-8), weight_decay(), AMSGRAD, MAXIMIZE, decoupled()),
        "Momentum on the gradient and on its square, with bias correction",
        "对梯度及其平方做动量平均，并做偏差修正"),
    OptimizerSpec("AdamW", (
        lr(0.001), betas(), eps(1e-8), weight_decay(0.01), AMSGRAD, MAXIMIZE),
        "Adam with weight decay applied directly to the weights", "权重衰减直接作用于参数的 Adam"),
    OptimizerSpec("Adamax", (
        lr(0.002), betas(), eps(1e-8), weight_decay(), MAXIMIZE),
        "Adam with the infinity norm in place of the second moment", "用无穷范数代替二阶矩的 Adam"),
    OptimizerSpec("NAdam", (
        lr(0.002), betas(), eps(1e-8), weight_decay(),
        Param("momentum_decay", "float", 0.004, "ψ: how fast the Nesterov momentum schedule warms up",
              "ψ：Nesterov 动量调度的预热速度", low=0.0, high=1.0, slider=(0.0, 0.1)),
        decoupled(), MAXIMIZE),
        "Adam with Nesterov momentum", "带 Nesterov 动量的 Adam"),
    OptimizerSpec("RAdam", (
        lr(0.001), betas(), eps(1e-8), weight_decay(), decoupled(), MAXIMIZE),
        "Adam that rectifies the variance of its adaptive step early on",
        "在训练初期修正自适应步长方差的 Adam"),
    OptimizerSpec("Adadelta", (
        lr(1.0),
        Param("rho", "float", 0.9, "ρ: decay of the running averages", "ρ：滑动平均的衰减率",
              low=0.0, high=1.0, slider=(0.0, 0.999)),
        eps(1e-6), weight_decay(), MAXIMIZE),
        "Scales steps by the ratio of running RMS of updates and of gradients",
        "用更新量与梯度的均方根之比来缩放步长"),
    OptimizerSpec("ASGD", (
        lr(0.01),
        Param("lambd", "float", 1e-4, "Decay term λ", "衰减项 λ", low=0.0, high=10.0,
              slider=(0.0, 0.01)),
        Param("alpha", "float", 0.75, "Power α of the learning-rate decay", "学习率衰减的幂 α",
              low=0.0, high=10.0, slider=(0.0, 2.0)),
        Param("t0", "float", 1e6, "Step at which averaging starts", "从第几步开始做平均",
              low=0.0, high=1e9, slider=(0.0, 1e4)),
        weight_decay(), MAXIMIZE),
        "SGD that also keeps an average of the iterates", "同时维护参数平均值的 SGD"),
    OptimizerSpec("Rprop", (
        lr(0.01),
        Param("etas", "pair", (0.5, 1.2), "(η₋, η₊): shrink / grow factors of each step size",
              "(η₋, η₊)：每个步长的缩小 / 放大倍数", low=0.0, high=10.0, open_low=True,
              slider=(0.1, 2.0), check=_etas_rule),
        Param("step_sizes", "pair", (1e-6, 50), "(min, max) allowed step size", "允许的（最小，最大）步长",
              low=0.0, high=1e6, open_low=True, slider=(1e-8, 100.0), log=True, check=_step_sizes_rule),
        MAXIMIZE),
        "Moves each coordinate by its own step size, adapted from gradient signs only",
        "每个坐标有自己的步长，只根据梯度符号调整"),
    OptimizerSpec("Adafactor", (
        lr(0.01),
        Param("beta2_decay", "float", -0.8, "Decay exponent of β₂ = 1 − t^decay", "β₂ = 1 − t^decay 的衰减指数",
              low=-10.0, high=0.0, slider=(-1.0, 0.0)),
        Param("eps", "pair", (None, 1e-3), "(ε₁, ε₂): ε₁ in the denominator (None: dtype's eps), ε₂ scales lr",
              "(ε₁, ε₂)：ε₁ 在分母中（None：数据类型的 eps），ε₂ 缩放学习率", low=0.0, high=1.0,
              none_items=(0,), slider=(1e-10, 1e-1), log=True),
        Param("d", "float", 1.0, "Clipping threshold of the update's RMS", "更新量均方根的裁剪阈值",
              low=1.0, high=1000.0, slider=(1.0, 10.0)),
        weight_decay(0.0), MAXIMIZE),
        "Adam-like steps scaled by the parameter's size, with a decaying β₂ and update clipping",
        "按参数大小缩放的类 Adam 步长，β₂ 逐步衰减并裁剪更新", elementwise=False),
    OptimizerSpec("LBFGS", (
        Param("lr", "float", 1, *LR_HELP, low=0.0, high=1000.0, open_low=True,
              slider=(1e-3, 10.0), log=True),
        Param("max_iter", "int", 20, "Iterations per optimizer.step()", "每次 optimizer.step() 的迭代次数",
              low=1, high=1000, slider=(1, 100)),
        Param("max_eval", "int", None, "Closure evaluations per step (default max_iter·5/4)",
              "每步最多调用闭包的次数（默认 max_iter·5/4）", low=1, high=10000, slider=(1, 125),
              optional=True),
        Param("tolerance_grad", "float", 1e-7, "Stop when the largest gradient entry is below this",
              "梯度最大分量小于该值时停止", low=0.0, high=1.0, slider=(1e-12, 1e-2), log=True),
        Param("tolerance_change", "float", 1e-9, "Stop when the loss or the step changes less than this",
              "损失或步长的变化小于该值时停止", low=0.0, high=1.0, slider=(1e-12, 1e-2), log=True),
        Param("history_size", "int", 100, "How many past updates approximate the curvature",
              "用多少个历史更新来近似曲率", low=1, high=1000, slider=(1, 100)),
        Param("line_search_fn", "choice", None, "None (fixed step lr) or 'strong_wolfe' line search",
              "None（固定步长 lr）或 'strong_wolfe' 线搜索", choices=("strong_wolfe",), optional=True)),
        "Quasi-Newton: builds a curvature model from recent steps; needs a closure",
        "拟牛顿法：用最近的步构造曲率模型；需要闭包", elementwise=False, closure=True),
)}

PRESETS: dict[str, tuple[str, dict]] = {
    "Momentum": ("SGD", {"momentum": 0.9}),
    "Nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "AMSGrad": ("Adam", {"amsgrad": True}),
}
