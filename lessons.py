r"""Guided lessons: a page state to open, a question to predict, an explanation to read after running.

Pure data (no Streamlit).  Each `Lesson` names the page it opens and a partial
page state; keys it leaves out take the page's defaults.  The state uses the
engine config's names (torch's optimizer, scheduler and keyword names), so every
lesson opens as real `torch.optim` runs.  `tests/test_lessons.py` turns each
state into engine configs and checks, with the real engine, every claim the
explanations make — numbers included.

Page state formats (every key optional):

* ``playground``: ``{"mode": "race" | "swarm", "surface", "surface_params", "start": [x, y], "steps",
  "runs": [{"optimizer", "hparams", "scheduler", "scheduler_params", "clip_grad_norm",
  "clip_grad_value", "color"}, ...], "grid": 4..64, "view": "contour" | "3d", "cursor"}``
* ``regression``: ``{"data": None | {"x": [...], "y": [...]}, "standardize", "modes": ["full", "mini",
  "single"], "batch_size", "seed", "start": [w, b], "steps", "run": {...}, "lr_multipliers", "cursor"}``
* ``schedules``: ``{"lr", "steps", "schedulers": {name: params}, "surface", "surface_params", "start",
  "optimizer", "hparams", "log"}``
* ``inside``: ``{"surface", "surface_params", "start", "steps", "run": {...}, "step", "adamw"}``

Treat a lesson's `state` as read-only: `copy.deepcopy` it before changing anything.

>>> LESSONS["saddle-escape"].text("title", "zh")
'困在鞍点'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from viz import PALETTE

BLUE, VERMILION, GREEN, PINK, ORANGE, SKY = PALETTE[:6]

PAGES = ("playground", "regression", "schedules", "inside")
FIELDS = ("title", "question", "explanation")
@dataclass(frozen=True)
class Lesson:
    """One guided experiment: open `page` with `state`, predict, press ▶, read the explanation."""

    id: str
    page: str
    state: dict = field(hash=False)
    title_en: str
    title_zh: str
    question_en: str
    question_zh: str
    explanation_en: str
    explanation_zh: str

    def text(self, field: str, lang: str) -> str:
        """`field` ("title", "question" or "explanation") in `lang` ("zh"; anything else is English)."""
        if field not in FIELDS:
            raise ValueError(f"unknown lesson field {field!r}; valid: {', '.join(FIELDS)}")
        return getattr(self, f"{field}_{'zh' if lang == 'zh' else 'en'}")


def _run(optimizer: str, color: str, **hparams) -> dict:
    return {"optimizer": optimizer, "hparams": hparams, "color": color}


_LESSONS = (
    Lesson(
        "lr-too-large", "playground",
        {"mode": "race", "surface": "bowl", "surface_params": {"condition": 10.0, "rotation": 0.0},
         "start": [-2.5, 2.0], "steps": 500,
         "runs": [_run("SGD", GREEN, lr=0.05), _run("SGD", ORANGE, lr=0.19), _run("SGD", VERMILION, lr=0.21)]},
        "Too large a learning rate: the 2/λ_max bound",
        "学习率过大：2/λ_max 界限",
        "Predict before you press ▶: on a bowl whose steepest curvature is λ_max = 10, three SGD runs use "
        "lr = 0.05, 0.19 and 0.21. Which of them reach the minimum?",
        "按 ▶ 之前先预测：在最陡曲率 λ_max = 10 的碗上，三个 SGD 分别使用 lr = 0.05、0.19 和 0.21。"
        "哪些能到达最小值？",
        r"On a quadratic, one SGD step $\theta \leftarrow \theta - \text{lr}\,\nabla f$ multiplies the component "
        r"along each eigenvector of the Hessian by $1 - \text{lr}\,\lambda$. "
        r"It shrinks only if $|1 - \text{lr}\,\lambda| < 1$, that is $\text{lr} < 2/\lambda$, so the steepest "
        r"direction sets the bound $2/\lambda_{max} = 2/10 = 0.2$. "
        r"With lr = 0.05 the factor along y is 0.5: a smooth path. "
        r"With 0.19 it is −0.9: y flips sign at every step (oscillation) but still shrinks. "
        r"With 0.21 it is −1.1: every bounce is 10% larger than the last, until the loss overflows float32 "
        r"before step 500 and the run stops (diverged).",
        r"在二次函数上，一步 SGD $\theta \leftarrow \theta - \text{lr}\,\nabla f$ 会把沿 Hessian 每个特征向量"
        r"方向的分量乘以 $1 - \text{lr}\,\lambda$。"
        r"只有 $|1 - \text{lr}\,\lambda| < 1$，即 $\text{lr} < 2/\lambda$ 时，这个分量才会缩小，所以最陡的方向"
        r"决定了上限 $2/\lambda_{max} = 2/10 = 0.2$。"
        r"lr = 0.05 时 y 方向的因子是 0.5，路径平滑。"
        r"lr = 0.19 时因子是 −0.9：y 每一步都变号（振荡），但幅度仍在缩小。"
        r"lr = 0.21 时因子是 −1.1：每次反弹都比上一次大 10%，不到 500 步损失就超出了 float32 的表示范围，"
        r"运行随之停止（发散）。",
    ),
    Lesson(
        "saddle-escape", "playground",
        {"mode": "race", "surface": "saddle", "surface_params": {}, "start": [-1.5, 0.001], "steps": 90,
         "runs": [_run("SGD", BLUE, lr=0.01), _run("Momentum", VERMILION, lr=0.01), _run("Adam", PINK, lr=0.01)]},
        "Stuck at a saddle point",
        "困在鞍点",
        "Predict before you press ▶: on f = x² − y², SGD, Momentum and Adam (all lr = 0.01) start a hair off "
        "the ridge, at y = 0.001. Which of them leave the saddle at (0, 0) within 90 steps?",
        "按 ▶ 之前先预测：在 f = x² − y² 上，SGD、Momentum 和 Adam（lr 都是 0.01）都从几乎贴着脊线的 "
        "y = 0.001 处出发。90 步之内，哪些能离开 (0, 0) 处的鞍点？",
        r"The gradient is $(2x, -2y)$, so one SGD step multiplies x by $1 - 2\,\text{lr} = 0.98$ and y by "
        r"$1 + 2\,\text{lr} = 1.02$. "
        r"Plain SGD slides towards the saddle, where the gradient vanishes: after 90 steps x has shrunk to about "
        r"−0.24 while y has only grown from 0.001 to 0.006. "
        r"Momentum (torch: $b \leftarrow \mu b + g$, $\theta \leftarrow \theta - \text{lr}\,b$) piles up the tiny "
        r"push along y, multiplying |y| by about 1.107 per step, and passes |y| = 1 after about 70 steps; Adam "
        r"rescales the tiny y-gradient into a step of about lr and escapes too. "
        r"Start exactly on the ridge (y₀ = 0) and no gradient method ever leaves it: $\partial f/\partial y = 0$ "
        r"there, and only noise, such as a mini-batch gradient, would push it off.",
        r"梯度是 $(2x, -2y)$，所以一步 SGD 把 x 乘以 $1 - 2\,\text{lr} = 0.98$，把 y 乘以 "
        r"$1 + 2\,\text{lr} = 1.02$。"
        r"普通 SGD 会滑向梯度为零的鞍点：90 步后 x 缩到约 −0.24，而 y 只从 0.001 长到 0.006。"
        r"动量（torch 的写法：$b \leftarrow \mu b + g$，$\theta \leftarrow \theta - \text{lr}\,b$）把 y 方向上"
        r"微小的推力不断累积，每步把 |y| 放大约 1.107 倍，大约 70 步后 |y| 超过 1；Adam 则把 y 方向微小的梯度"
        r"放大成约为 lr 的一步，同样能逃离。"
        r"如果恰好从脊线上出发（y₀ = 0），任何梯度方法都离不开它：那里 $\partial f/\partial y = 0$，"
        r"只有噪声（例如小批量梯度）才能把它推开。",
    ),
    Lesson(
        "momentum-overshoot", "playground",
        {"mode": "race", "surface": "bowl", "surface_params": {"condition": 1.0, "rotation": 0.0},
         "start": [-2.5, 2.0], "steps": 100,
         "runs": [_run("SGD", BLUE, lr=0.1), _run("Momentum", GREEN, lr=0.1, momentum=0.5),
                  _run("Momentum", VERMILION, lr=0.1, momentum=0.9),
                  _run("Momentum", PINK, lr=0.1, momentum=0.99)]},
        "Momentum overshoots",
        "动量会冲过头",
        "Predict before you press ▶: on a round bowl, SGD and momentum μ = 0.5, 0.9 and 0.99 share lr = 0.1. "
        "Which ends closest to the minimum after 100 steps — does more momentum always mean faster?",
        "按 ▶ 之前先预测：在圆形的碗上，SGD 与 μ = 0.5、0.9、0.99 的动量使用同样的 lr = 0.1。"
        "100 步后谁离最小值最近？动量越大就一定越快吗？",
        r"Here $f = \tfrac12\|\theta\|^2$, so $g = \theta$: SGD multiplies the distance to the minimum by "
        r"$1 - \text{lr} = 0.9$ at every step and never passes it. "
        r"PyTorch's momentum keeps a velocity, $b \leftarrow \mu b + g$, $\theta \leftarrow \theta - \text{lr}\,b$: "
        r"with μ = 0.9 the ball shoots more than 1 past the minimum and swings back, and the swings shrink by "
        r"only $\sqrt{\mu} \approx 0.95$ per step, so after 100 steps it is more than 100 times farther from the "
        r"minimum than SGD. "
        r"With μ = 0.99 ($\sqrt{\mu} \approx 0.995$) it is still swinging more than 1 away. "
        r"A moderate μ = 0.5, close to critical damping $\mu = (1 - \sqrt{\text{lr}\,\lambda})^2 \approx 0.47$, "
        r"beats SGD by orders of magnitude: more momentum is not always faster.",
        r"这里 $f = \tfrac12\|\theta\|^2$，所以 $g = \theta$：SGD 每步把到最小值的距离乘以 "
        r"$1 - \text{lr} = 0.9$，从不越过最小值。"
        r"PyTorch 的动量保留一个速度：$b \leftarrow \mu b + g$，$\theta \leftarrow \theta - \text{lr}\,b$。"
        r"μ = 0.9 时，小球冲过最小值超过 1 个单位，再摆回来，而摆幅每步只缩小为原来的 $\sqrt{\mu} \approx 0.95$ 倍，"
        r"所以 100 步后它离最小值的距离是 SGD 的 100 多倍。"
        r"μ = 0.99（$\sqrt{\mu} \approx 0.995$）时，它仍在离最小值超过 1 的地方来回摆动。"
        r"适中的 μ = 0.5 接近临界阻尼 $\mu = (1 - \sqrt{\text{lr}\,\lambda})^2 \approx 0.47$，比 SGD 快好几个"
        r"数量级：动量并不是越大越快。",
    ),
    Lesson(
        "nesterov-look-ahead", "playground",
        {"mode": "race", "surface": "bowl", "surface_params": {"condition": 10.0, "rotation": 0.0},
         "start": [-2.5, 2.0], "steps": 100,
         "runs": [_run("Momentum", VERMILION, lr=0.05), _run("Nesterov", GREEN, lr=0.05)]},
        "Nesterov momentum: look before you leap",
        "Nesterov 动量：先看一步再走",
        "Predict before you press ▶: Momentum and Nesterov (both μ = 0.9, lr = 0.05) on a bowl with κ = 10. "
        "Which one swings less across the steep y direction, and which is closer to the minimum after 100 steps?",
        "按 ▶ 之前先预测：Momentum 和 Nesterov（都是 μ = 0.9、lr = 0.05）在 κ = 10 的碗上。"
        "谁在陡峭的 y 方向上摆动得更少？100 步后谁离最小值更近？",
        r"PyTorch's Nesterov keeps the same buffer $b \leftarrow \mu b + g$ but steps along $g + \mu b$ instead of "
        r"$b$, $\theta \leftarrow \theta - \text{lr}\,(g + \mu b)$: a look at where the momentum is about to carry "
        r"it. "
        r"On a quadratic with curvature λ, plain momentum's swings shrink by $\sqrt{\mu} \approx 0.95$ per step in "
        r"every direction, Nesterov's by $\sqrt{\mu\,(1 - \text{lr}\,\lambda)}$: about 0.92 along the flat x "
        r"(λ = 1) and about 0.67 across the steep y (λ = 10), where the oscillation dies within a few swings. "
        r"After 100 steps Nesterov is more than 10 times closer to the minimum.",
        r"PyTorch 的 Nesterov 使用同样的缓冲 $b \leftarrow \mu b + g$，但沿 $g + \mu b$ 而不是 $b$ 更新："
        r"$\theta \leftarrow \theta - \text{lr}\,(g + \mu b)$，相当于先看一眼动量马上要把它带到哪里。"
        r"在曲率为 λ 的二次函数上，普通动量的摆幅在每个方向上每步都只缩小为 $\sqrt{\mu} \approx 0.95$ 倍；"
        r"Nesterov 则缩小为 $\sqrt{\mu\,(1 - \text{lr}\,\lambda)}$ 倍：在平缓的 x 方向（λ = 1）约为 0.92，"
        r"在陡峭的 y 方向（λ = 10）约为 0.67，振荡摆几下就消失了。"
        r"100 步后，Nesterov 离最小值的距离不到 Momentum 的十分之一。",
    ),
    Lesson(
        "zigzag-valley", "playground",
        {"mode": "race", "surface": "bowl", "surface_params": {"condition": 100.0, "rotation": 0.0},
         "start": [-2.5, 2.0], "steps": 200,
         "runs": [_run("SGD", BLUE, lr=0.019), _run("Adagrad", ORANGE, lr=0.5), _run("RMSprop", GREEN, lr=0.05),
                  _run("Adam", VERMILION, lr=0.1)]},
        "Zig-zag in a narrow valley",
        "狭长山谷里的之字形",
        "Predict before you press ▶: this valley is 100 times steeper across (y) than along (x), and SGD uses "
        "lr = 0.019, just under its limit. Who gets the loss below 10⁻³ first: SGD, Adagrad, RMSprop or Adam?",
        "按 ▶ 之前先预测：这条山谷横向（y）比纵向（x）陡 100 倍，SGD 使用刚好低于上限的 lr = 0.019。"
        "谁最先把损失降到 10⁻³ 以下：SGD、Adagrad、RMSprop 还是 Adam？",
        r"SGD's lr must stay below $2/\lambda_{max} = 2/100 = 0.02$ or the steep y direction blows up; at "
        r"lr = 0.019, y is multiplied by $1 - 0.019 \cdot 100 = -0.9$, flipping sign at every step (the zig-zag), "
        r"while x shrinks by only 1.9% per step, so after 200 steps the loss is still above 10⁻³. "
        r"Adagrad, RMSprop and Adam divide each coordinate's step by the root of its own accumulated or averaged "
        r"squared gradients, so the steep coordinate no longer dictates the step size: their paths are the same "
        r"for κ = 1 as for κ = 100. "
        r"Adagrad and RMSprop get below 10⁻³ within 40 steps without a single zig-zag; Adam's momentum makes it "
        r"overshoot, and it needs about 80. "
        r"The trick works because this valley lies along the axes: set rotation to 30° and all three end farther "
        r"from the minimum than SGD.",
        r"SGD 的 lr 必须小于 $2/\lambda_{max} = 2/100 = 0.02$，否则陡峭的 y 方向会发散；lr = 0.019 时，"
        r"y 每步乘以 $1 - 0.019 \cdot 100 = -0.9$，每一步都变号（之字形），而 x 每步只缩小 1.9%，"
        r"所以 200 步后损失仍高于 10⁻³。"
        r"Adagrad、RMSprop 和 Adam 把每个坐标的步长除以该坐标自己累积或平均的梯度平方的平方根，"
        r"陡峭的坐标不再决定步长：κ = 1 和 κ = 100 时它们的路径完全相同。"
        r"Adagrad 和 RMSprop 在 40 步内就把损失降到 10⁻³ 以下，一次之字也没有；Adam 的动量让它冲过头，"
        r"大约需要 80 步。"
        r"这个办法之所以有效，是因为山谷恰好沿着坐标轴：把 rotation 设为 30°，三者最终都比 SGD 离最小值更远。",
    ),
    Lesson(
        "adagrad-stalls", "inside",
        {"surface": "rosenbrock", "surface_params": {}, "start": [-1.5, 2.0], "steps": 500,
         "run": _run("Adagrad", ORANGE, lr=0.1), "step": 499},
        "Adagrad's learning rate only shrinks",
        "Adagrad 的学习率只减不增",
        "Predict before you press ▶: Adagrad adds every squared gradient to its state `sum`, and the first "
        "gradient here is steep, about (−155, −50). Where is Adagrad after 500 steps?",
        "按 ▶ 之前先预测：Adagrad 把每一个梯度的平方都累加进状态 `sum`，而这里的第一个梯度很陡，"
        "约为 (−155, −50)。500 步后 Adagrad 会走到哪里？",
        r"PyTorch's Adagrad keeps $s \leftarrow s + g^2$ and steps $\theta \leftarrow \theta - \text{lr}\,g/"
        r"(\sqrt{s} + \epsilon)$, so its effective step $\text{lr}/(\sqrt{s} + \epsilon)$ (in the state chart) can "
        r"only shrink. "
        r"The first step moves exactly lr = 0.1 in each coordinate ($s = g^2$, so $g/\sqrt{s} = \pm 1$), like "
        r"Adam's. "
        r"But that steep first gradient stays in `sum` for ever: from then on the effective step is at most "
        r"0.1/155 ≈ 0.00065 in x and 0.1/50 = 0.002 in y, even on the valley floor where the gradient is small, "
        r"and after 500 steps Adagrad is still more than 2 away from the minimum (1, 1). "
        r"Switch to RMSprop or Adam with the same lr: their moving averages forget old gradients, and Adam ends "
        r"within 0.25 of the minimum.",
        r"PyTorch 的 Adagrad 维护 $s \leftarrow s + g^2$，并按 $\theta \leftarrow \theta - \text{lr}\,g/"
        r"(\sqrt{s} + \epsilon)$ 更新，因此有效步长 $\text{lr}/(\sqrt{s} + \epsilon)$（见状态图）只会变小。"
        r"第一步在每个坐标上恰好移动 lr = 0.1（此时 $s = g^2$，$g/\sqrt{s} = \pm 1$），和 Adam 一样。"
        r"但这个陡峭的第一个梯度会永远留在 `sum` 里：此后 x 方向的有效步长最多是 0.1/155 ≈ 0.00065，"
        r"y 方向最多是 0.1/50 = 0.002，即使在梯度很小的谷底也是如此；500 步后，Adagrad 离最小值 (1, 1) "
        r"仍然超过 2。"
        r"换成同样 lr 的 RMSprop 或 Adam 试试：它们的滑动平均会忘掉旧梯度，Adam 最后离最小值不到 0.25。",
    ),
    Lesson(
        "adam-first-step", "inside",
        {"surface": "bowl", "surface_params": {"condition": 1000.0, "rotation": 0.0}, "start": [-2.5, 2.0],
         "steps": 100, "run": _run("Adam", VERMILION, lr=0.1), "step": 0},
        "Adam's first step is lr, whatever the gradient",
        "Adam 的第一步总是 lr，与梯度大小无关",
        "Predict before you press ▶: at the start the gradient is (−2.5, 2000), 800 times larger in y than in x. "
        "With lr = 0.1, how far does Adam's first step move x, and how far y?",
        "按 ▶ 之前先预测：起点处的梯度是 (−2.5, 2000)，y 方向比 x 方向大 800 倍。"
        "lr = 0.1 时，Adam 的第一步在 x 和 y 上各移动多远？",
        r"PyTorch's Adam averages $m \leftarrow \beta_1 m + (1 - \beta_1)\,g$ and "
        r"$v \leftarrow \beta_2 v + (1 - \beta_2)\,g^2$ from zero, corrects their bias, "
        r"$\hat m = m/(1 - \beta_1^t)$ and $\hat v = v/(1 - \beta_2^t)$, and steps "
        r"$\theta \leftarrow \theta - \text{lr}\,\hat m/(\sqrt{\hat v} + \epsilon)$. "
        r"At t = 1 the corrections give exactly $\hat m = g$ and $\hat v = g^2$, so the step is "
        r"$\text{lr}\,g/(|g| + \epsilon) \approx \text{lr}\cdot\operatorname{sign}(g)$: both coordinates move "
        r"by 0.1, whatever the gradient's size. "
        r"The state shows it: exp_avg = 0.1·g and exp_avg_sq = 0.001·g². "
        r"Only later, as m and v mix gradients of different sizes, do the steps drift away from lr.",
        r"PyTorch 的 Adam 从零开始计算滑动平均 $m \leftarrow \beta_1 m + (1 - \beta_1)\,g$ 和 "
        r"$v \leftarrow \beta_2 v + (1 - \beta_2)\,g^2$，做偏差修正 $\hat m = m/(1 - \beta_1^t)$、"
        r"$\hat v = v/(1 - \beta_2^t)$，然后更新 $\theta \leftarrow \theta - \text{lr}\,\hat m/(\sqrt{\hat v} + "
        r"\epsilon)$。"
        r"t = 1 时，修正后恰好 $\hat m = g$、$\hat v = g^2$，所以这一步是 "
        r"$\text{lr}\,g/(|g| + \epsilon) \approx \text{lr}\cdot\operatorname{sign}(g)$：两个坐标都移动 0.1，"
        r"与梯度的大小无关。"
        r"状态里看得很清楚：exp_avg = 0.1·g，exp_avg_sq = 0.001·g²。"
        r"只有到后面，m 和 v 混入了大小不同的梯度，步长才会逐渐偏离 lr。",
    ),
    Lesson(
        "adam-l2-vs-adamw", "playground",
        {"mode": "race", "surface": "booth", "surface_params": {}, "start": [-8.0, -8.0], "steps": 1000,
         "runs": [_run("Adam", BLUE, lr=0.1), _run("Adam", VERMILION, lr=0.1, weight_decay=0.5),
                  _run("AdamW", GREEN, lr=0.1, weight_decay=0.5)]},
        "Adam + L2 is not AdamW",
        "Adam + L2 不等于 AdamW",
        "Predict before you press ▶: on the Booth function (minimum at (1, 3)), Adam with weight_decay = 0.5 and "
        "AdamW with weight_decay = 0.5 use the same lr = 0.1. Do they end at the same point?",
        "按 ▶ 之前先预测：在最小值为 (1, 3) 的 Booth 函数上，weight_decay = 0.5 的 Adam 和 weight_decay = 0.5 的 "
        "AdamW 使用同样的 lr = 0.1。它们会停在同一个点吗？",
        r"Adam's weight_decay is an L2 penalty: PyTorch adds λθ to the gradient before the averages "
        r"($g \leftarrow g + \lambda\theta$), so the pull towards 0 is rescaled by $\sqrt{\hat v}$ like the rest, "
        r"and the run settles at the minimum of $f + \tfrac{\lambda}{2}\|\theta\|^2$, (1.15, 2.75). "
        r"AdamW decouples it: first $\theta \leftarrow \theta - \text{lr}\,\lambda\,\theta$, then Adam's step "
        r"$\text{lr}\,\hat m/(\sqrt{\hat v} + \epsilon)$, which is at most about lr per coordinate. "
        r"So AdamW can only stop where $\lambda|\theta_i|$ equals $|\hat m_i|/\sqrt{\hat v_i} \lesssim 1$, that is "
        r"$|\theta_i| \lesssim 1/\lambda = 2$: the decay acts like a box, not like a penalty. "
        r"Here $\sqrt{\hat v}$ still remembers the huge gradients of the start, so after 1,000 steps AdamW is near "
        r"(1.2, 1.3): the “same” λ gives a different answer.",
        r"Adam 的 weight_decay 是 L2 惩罚：PyTorch 在计算滑动平均之前把 λθ 加到梯度上"
        r"（$g \leftarrow g + \lambda\theta$），所以拉向 0 的力也和梯度的其余部分一样被 $\sqrt{\hat v}$ 缩放，"
        r"运行最终停在 $f + \tfrac{\lambda}{2}\|\theta\|^2$ 的最小值 (1.15, 2.75)。"
        r"AdamW 把两者解耦：先 $\theta \leftarrow \theta - \text{lr}\,\lambda\,\theta$，再走 Adam 的一步 "
        r"$\text{lr}\,\hat m/(\sqrt{\hat v} + \epsilon)$，而这一步在每个坐标上大约不超过 lr。"
        r"因此 AdamW 只能停在 $\lambda|\theta_i|$ 等于 $|\hat m_i|/\sqrt{\hat v_i} \lesssim 1$ 的地方，即 "
        r"$|\theta_i| \lesssim 1/\lambda = 2$：这种衰减更像一个“盒子”约束，而不是惩罚项。"
        r"这里 $\sqrt{\hat v}$ 仍记着起点处巨大的梯度，所以 1000 步后 AdamW 位于 (1.2, 1.3) 附近："
        r"“同样的” λ 给出了不同的答案。",
    ),
    Lesson(
        "step-vs-cosine", "schedules",
        {"lr": 0.2, "steps": 100,
         "schedulers": {"StepLR": {"step_size": 25, "gamma": 0.5}, "CosineAnnealingLR": {"T_max": 100}},
         "surface": "bowl", "surface_params": {"condition": 10.0, "rotation": 0.0}, "start": [-2.5, 2.0],
         "optimizer": "SGD", "hparams": {}, "log": False},
        "StepLR vs CosineAnnealingLR",
        "StepLR 与 CosineAnnealingLR",
        "Predict before you press ▶: SGD with lr = 0.2 = 2/λ_max sits exactly on the stability limit of this "
        "bowl and bounces across it. What do StepLR (halve every 25 steps) and CosineAnnealingLR (T_max = 100) "
        "do to the bouncing?",
        "按 ▶ 之前先预测：lr = 0.2 = 2/λ_max 的 SGD 恰好处在这个碗的稳定性边界上，在谷中来回弹跳。"
        "StepLR（每 25 步减半）和 CosineAnnealingLR（T_max = 100）会怎样改变这种弹跳？",
        r"StepLR is piecewise constant, $\eta_t = 0.2 \cdot 0.5^{\lfloor t/25 \rfloor}$, dropping at steps 25, "
        r"50 and 75; CosineAnnealingLR glides, $\eta_t = \eta_{min} + \tfrac12(0.2 - \eta_{min})"
        r"(1 + \cos(\pi t/T_{max}))$, half the base lr at step 50 and nearly 0 at step 100 (after $T_{max}$ it "
        r"would climb back). "
        r"Each step multiplies y by $1 - 10\,\eta_t$: without a schedule that is exactly −1, so y bounces between "
        r"±2 for ever. "
        r"StepLR's first drop, to 0.1 = 1/λ_max at step 25, makes the factor 0: y lands on the valley floor in "
        r"one step. "
        r"Under the cosine the factor is $-\cos(\pi t/100)$, so the bounce shrinks gradually and is gone by "
        r"step 50. "
        r"The table shows where the two schedules differ most, in the middle: at step 50 StepLR gives 0.05 and "
        r"the cosine 0.1.",
        r"StepLR 是分段常数：$\eta_t = 0.2 \cdot 0.5^{\lfloor t/25 \rfloor}$，在第 25、50、75 步下降；"
        r"CosineAnnealingLR 平滑下降：$\eta_t = \eta_{min} + \tfrac12(0.2 - \eta_{min})"
        r"(1 + \cos(\pi t/T_{max}))$，第 50 步时是初始值的一半，第 100 步时接近 0（超过 $T_{max}$ 后它会重新回升）。"
        r"每一步把 y 乘以 $1 - 10\,\eta_t$：没有调度时这个因子恰好是 −1，y 永远在 ±2 之间弹跳。"
        r"StepLR 在第 25 步第一次降到 0.1 = 1/λ_max，因子变成 0：y 一步就落到谷底。"
        r"余弦调度下因子是 $-\cos(\pi t/100)$，弹跳逐渐减弱，到第 50 步已经消失。"
        r"从表格可以看出两种调度在中段差别最大：第 50 步时 StepLR 是 0.05，余弦是 0.1。",
    ),
    Lesson(
        "adam-warmup", "schedules",
        {"lr": 0.5, "steps": 200,
         "schedulers": {
             "CosineAnnealingLR": {"T_max": 200},
             "SequentialLR": {"schedulers": [{"name": "LinearLR", "params": {"start_factor": 0.01, "total_iters": 20}},
                                             {"name": "CosineAnnealingLR", "params": {"T_max": 180}}],
                              "milestones": [20]}},
         "surface": "rosenbrock", "surface_params": {}, "start": [-1.5, 2.0], "optimizer": "Adam", "hparams": {},
         "log": True},
        "Warm-up: small steps first",
        "预热：先迈小步",
        "Predict before you press ▶: Adam with lr = 0.5 on Rosenbrock, starting at loss 12.5, with and without "
        "a 20-step linear warm-up. How high does the loss jump in the first steps?",
        "按 ▶ 之前先预测：lr = 0.5 的 Adam 在 Rosenbrock 函数上从损失 12.5 出发，分别带和不带 20 步的线性预热。"
        "最初几步损失会跳到多高？",
        r"Adam's first step is about lr in every coordinate (bias correction makes $\hat m/\sqrt{\hat v} = \pm 1$), "
        r"so at lr = 0.5 it jumps straight up the valley's wall: the loss goes from 12.5 to over 200 in one step. "
        r"SequentialLR chains a LinearLR warm-up, whose factor rises linearly from start_factor = 0.01 to 1 over "
        r"20 steps, with a cosine that takes over at the milestone, step 20; warmed up, the loss never goes "
        r"above 20. "
        r"Warm-up buys a safe start, not a better end: in this small problem the run without any schedule ends "
        r"lowest, because both cosines shrink the lr towards 0 before the valley is crossed.",
        r"Adam 的第一步在每个坐标上都约等于 lr（偏差修正使 $\hat m/\sqrt{\hat v} = \pm 1$），所以 lr = 0.5 时"
        r"它直接跳上山谷的侧壁：损失一步就从 12.5 升到 200 以上。"
        r"SequentialLR 把 LinearLR 预热（因子在 20 步内从 start_factor = 0.01 线性升到 1）和余弦调度串联起来，"
        r"余弦在里程碑第 20 步接手；有了预热，损失始终不超过 20。"
        r"预热换来的是安全的起步，而不是更好的终点：在这个小问题里，不用任何调度的运行最后损失最低，"
        r"因为两个余弦调度都在穿过山谷之前就把 lr 降到接近 0 了。",
    ),
    Lesson(
        "minibatch-noise", "regression",
        {"data": None, "standardize": False, "modes": ["full", "mini", "single"], "batch_size": 4, "seed": 0,
         "steps": 200, "run": _run("SGD", BLUE, lr=0.005), "lr_multipliers": None},
        "Mini-batch noise and the batch size",
        "小批量噪声与批大小",
        "Predict before you press ▶: the same SGD (lr = 0.005) fits the course's 15 points with the full batch, "
        "mini-batches of 4 and single samples. Which loss curve falls smoothly, and which keep jumping to the end?",
        "按 ▶ 之前先预测：同样的 SGD（lr = 0.005）分别用全批量、大小为 4 的小批量和单个样本拟合课程的 15 个"
        "数据点。哪条损失曲线平滑下降？哪些到最后仍在跳动？",
        r"With the full batch every step uses the exact gradient of the MSE, and with lr below "
        r"$2/\lambda_{max} \approx 0.023$ the loss never goes up. "
        r"A mini-batch of 4 (4 steps per epoch, with batches of 4, 4, 4 and 3 points, reshuffled every epoch like "
        r"`DataLoader(shuffle=True)`) gives an unbiased but noisy estimate of that gradient: the loss goes up in "
        r"roughly half of the steps, and a single sample is noisier still. "
        r"With a constant lr the noise never averages out: over the last 100 steps the single-sample loss "
        r"scatters more than the mini-batch loss, and both far more than the full batch, which has settled. "
        r"Larger batches, or a decaying lr, calm the jitter.",
        r"全批量时每一步都使用均方误差的精确梯度，lr 小于 $2/\lambda_{max} \approx 0.023$ 时损失从不上升。"
        r"大小为 4 的小批量（每个 epoch 4 步，批次分别有 4、4、4、3 个点，并像 `DataLoader(shuffle=True)` "
        r"一样每个 epoch 重新打乱）给出的是这个梯度的无偏但带噪声的估计：大约一半的步里损失会上升，"
        r"单个样本的噪声还要更大。"
        r"学习率不变时噪声永远不会被平均掉：在最后 100 步里，单样本的损失比小批量的波动更大，"
        r"而两者都远比已经收敛的全批量波动大。"
        r"更大的批量或逐渐减小的 lr 都能让这种抖动平息下来。",
    ),
    Lesson(
        "standardize-data", "regression",
        {"data": None, "standardize": True, "modes": ["full"], "steps": 20, "run": _run("SGD", BLUE, lr=0.5),
         "lr_multipliers": None},
        "Standardize x: one step to the minimum",
        "标准化 x：一步到达最小值",
        "Predict before you press ▶: on the raw course data, full-batch SGD needs lr < 0.023. After standardizing "
        "x it uses lr = 0.5, more than 20 times that. Does it diverge?",
        "按 ▶ 之前先预测：在原始课程数据上，全批量 SGD 需要 lr < 0.023。把 x 标准化之后，它使用 lr = 0.5，"
        "是这个上限的 20 多倍。它会发散吗？",
        r"The MSE's Hessian is $H = 2\begin{pmatrix}\overline{x^2} & \bar x\\ \bar x & 1\end{pmatrix}$: on the raw "
        r"data (x between 2 and 11, mean about 6) its condition number is κ ≈ 336 and full-batch GD survives only "
        r"lr < $2/\lambda_{max}$ ≈ 0.023, a long narrow valley in which w and b must trade off. "
        r"Standardizing x (mean 0, standard deviation 1) makes $H = 2I$: κ = 1, and the bound becomes "
        r"$2/\lambda_{max} = 1$. "
        r"At lr = 0.5 = 1/λ each step lands exactly on the minimum, so one step is enough; the same lr on the raw "
        r"data diverges (turn standardize off). "
        r"The fitted line is the same; only its (w, b) now refer to the standardized x.",
        r"均方误差的 Hessian 是 $H = 2\begin{pmatrix}\overline{x^2} & \bar x\\ \bar x & 1\end{pmatrix}$：在原始"
        r"数据上（x 在 2 到 11 之间，均值约为 6），它的条件数 κ ≈ 336，全批量梯度下降只有在 "
        r"lr < $2/\lambda_{max}$ ≈ 0.023 时才不发散——这是一条狭长的山谷，w 和 b 必须此消彼长。"
        r"把 x 标准化（均值 0、标准差 1）后 $H = 2I$：κ = 1，上限变成 $2/\lambda_{max} = 1$。"
        r"lr = 0.5 = 1/λ 时每一步都恰好落在最小值上，所以一步就够了；同样的 lr 用在原始数据上会发散"
        r"（关掉标准化试试）。"
        r"拟合出的直线不变，只是 (w, b) 现在对应的是标准化后的 x。",
    ),
    Lesson(
        "lbfgs-few-steps", "playground",
        {"mode": "race", "surface": "rosenbrock", "surface_params": {}, "start": [-1.5, 2.0], "steps": 100,
         "runs": [_run("LBFGS", BLUE, line_search_fn="strong_wolfe"), _run("LBFGS", ORANGE),
                  _run("Adam", VERMILION, lr=0.05)]},
        "LBFGS: few steps, many evaluations",
        "LBFGS：步数少，求值多",
        "Predict before you press ▶: LBFGS, with and without line_search_fn = 'strong_wolfe', races Adam on "
        "Rosenbrock. How many steps does LBFGS need to reach the minimum, and how many times does it evaluate "
        "the function on the way?",
        "按 ▶ 之前先预测：LBFGS（使用和不使用 line_search_fn = 'strong_wolfe'）在 Rosenbrock 函数上和 Adam "
        "比赛。LBFGS 需要几步到达最小值？一路上要计算多少次函数值？",
        r"One LBFGS `optimizer.step(closure)` runs up to max_iter = 20 inner iterations and calls the closure "
        r"(loss and gradient) up to max_eval = 25 times, building a curvature model from its last history_size "
        r"updates. "
        r"With strong_wolfe line search it reaches the minimum (loss below 10⁻⁶) in 2 steps that cost 49 or 50 "
        r"evaluations (the last digits of float32 rounding differ between processors); "
        r"without a line search (fixed step lr = 1) it takes 4 steps and 80 evaluations. "
        r"Once there, each step costs one evaluation: the gradient is below tolerance_grad and `step()` returns "
        r"at once. "
        r"Compare costs in evaluations, not steps (see the summary table): Adam has used 100 evaluations in its "
        r"100 steps, and its loss is still above 1.",
        r"LBFGS 的一次 `optimizer.step(closure)` 最多做 max_iter = 20 次内部迭代，最多调用闭包（计算损失和梯度）"
        r"max_eval = 25 次，并用最近 history_size 次更新构造曲率模型。"
        r"使用 strong_wolfe 线搜索时，它 2 步就到达最小值（损失低于 10⁻⁶），但这 2 步共计算了 49 或 50 次函数值"
        r"（float32 舍入的末位在不同处理器上略有不同）；"
        r"不用线搜索（固定步长 lr = 1）则需要 4 步、80 次求值。"
        r"到达之后每步只需一次求值：梯度已小于 tolerance_grad，`step()` 立即返回。"
        r"比较代价要看求值次数而不是步数（见汇总表）：Adam 的 100 步用了 100 次求值，损失仍高于 1。",
    ),
    Lesson(
        "gradient-clipping", "playground",
        {"mode": "race", "surface": "rosenbrock", "surface_params": {}, "start": [-2.0, -0.5], "steps": 500,
         "runs": [_run("SGD", VERMILION, lr=0.0015),
                  {**_run("SGD", BLUE, lr=0.0015), "clip_grad_norm": 10.0},
                  {**_run("SGD", GREEN, lr=0.0015), "clip_grad_value": 10.0}]},
        "Gradient clipping on a steep wall",
        "陡壁上的梯度裁剪",
        "Predict before you press ▶: on Rosenbrock's steep wall the gradient's norm is about 3,700. SGD with "
        "lr = 0.0015 runs plain, with clip_grad_norm = 10 and with clip_grad_value = 10. Which runs survive?",
        "按 ▶ 之前先预测：Rosenbrock 函数陡峭的侧壁上，梯度的范数约为 3700。lr = 0.0015 的 SGD 分别以不裁剪、"
        "clip_grad_norm = 10 和 clip_grad_value = 10 运行。哪些能活下来？",
        r"Plain SGD's first step has length lr·‖g‖ ≈ 0.0015 × 3,700 ≈ 5.6: it lands somewhere even steeper and "
        r"diverges within 5 steps. "
        r"`clip_grad_norm_` rescales the whole gradient to norm at most 10 and keeps its direction, so no step is "
        r"longer than lr × 10 = 0.015; `clip_grad_value_` cuts each component to ±10, which can turn the "
        r"direction, and caps a step at lr × 10 × √2 ≈ 0.021. "
        r"Both survive and crawl down into the valley. "
        r"Clipping is a seat belt, not an engine: it only shortens steps, and after 500 steps neither clipped run "
        r"has reached the minimum (1, 1).",
        r"不裁剪的 SGD 第一步的长度为 lr·‖g‖ ≈ 0.0015 × 3700 ≈ 5.6：它落到更陡的地方，5 步之内就发散了。"
        r"`clip_grad_norm_` 把整个梯度按比例缩放到范数不超过 10，方向不变，所以每一步都不超过 "
        r"lr × 10 = 0.015；`clip_grad_value_` 把每个分量截断到 ±10，可能改变方向，单步最长为 "
        r"lr × 10 × √2 ≈ 0.021。"
        r"两者都活了下来，沿着山谷慢慢往下爬。"
        r"裁剪是安全带，不是发动机：它只会缩短步长，500 步后两个裁剪过的运行都还没有到达最小值 (1, 1)。",
    ),
    Lesson(
        "himmelblau-basins", "playground",
        {"mode": "swarm", "surface": "himmelblau", "surface_params": {}, "steps": 200, "grid": 24,
         "runs": [_run("SGD", BLUE, lr=0.01)]},
        "Where you start decides where you end",
        "起点决定终点",
        "Predict before you press ▶: SGD starts from a 24 × 24 grid of points on Himmelblau's function, which "
        "has four equally low minima. How are the 576 starts shared among the minima?",
        "按 ▶ 之前先预测：SGD 从 Himmelblau 函数上 24 × 24 个网格点出发，这个函数有四个同样低的极小值。"
        "这 576 个起点会怎样分配到各个极小值？",
        r"Gradient descent is deterministic: each start rolls into the minimum whose basin of attraction it lies "
        r"in, so the picture is a map of the four basins. "
        r"Every one of the 576 starts reaches a minimum (loss below 10⁻³), and each minimum collects roughly a "
        r"quarter of them, between 20% and 30%; the borders run along the ridges, where neighbouring starts part "
        r"ways. "
        r"The map belongs to the optimizer as much as to the surface: switch to Momentum with the same lr and more "
        r"than a fifth of the starts end in a different minimum, carried over a ridge by their speed.",
        r"梯度下降是确定性的：每个起点都会滚进它所在吸引盆对应的极小值，所以这幅图就是四个吸引盆的地图。"
        r"576 个起点全部到达了某个极小值（损失低于 10⁻³），每个极小值大约分到四分之一，在 20% 到 30% 之间；"
        r"盆与盆的边界沿着山脊，相邻的起点在那里分道扬镳。"
        r"这幅地图既取决于曲面，也取决于优化器：换成同样 lr 的 Momentum，超过五分之一的起点会落到另一个"
        r"极小值——是速度把它们带过了山脊。",
    ),
    Lesson(
        "rastrigin-traps", "playground",
        {"mode": "swarm", "surface": "rastrigin", "surface_params": {"A": 10.0}, "steps": 300, "grid": 24,
         "runs": [_run("SGD", BLUE, lr=0.002)]},
        "Rastrigin: a trap in every ripple",
        "Rastrigin：每道波纹都是陷阱",
        "Predict before you press ▶: SGD starts from 576 grid points on Rastrigin's function, a bowl covered in "
        "ripples with its global minimum at (0, 0). What share of the starts find it?",
        "按 ▶ 之前先预测：SGD 从 576 个网格点出发，在 Rastrigin 函数上运行。它是一个布满波纹的碗，"
        "全局最小值在 (0, 0)。有多大比例的起点能找到它？",
        r"Only the 4 starts inside the central well, 0.7% of them. "
        r"Every ripple of $x^2 - A\cos 2\pi x$ (A = 10) holds a local minimum, and gradient descent stops in the "
        r"first one it reaches: all 576 runs end with a gradient near zero, at 121 different local minima on an "
        r"11 × 11 lattice. "
        r"A larger lr does not help: the wells' curvature is about $2 + 4\pi^2 A \approx 397$, so above "
        r"2/397 ≈ 0.005 SGD cannot settle in any well, the global one included. "
        r"Escaping local minima takes other tools: random restarts, noise, or a global search.",
        r"只有落在中央凹坑里的 4 个起点能找到它，占 0.7%。"
        r"$x^2 - A\cos 2\pi x$（A = 10）的每道波纹里都有一个局部极小值，梯度下降会停在它遇到的第一个里："
        r"576 个运行最后的梯度都接近零，停在 11 × 11 网格上 121 个不同的局部极小值处。"
        r"加大 lr 也没用：这些凹坑的曲率约为 $2 + 4\pi^2 A \approx 397$，lr 一旦超过 2/397 ≈ 0.005，"
        r"SGD 就无法停在任何一个凹坑里，包括全局最小值所在的那个。"
        r"要跳出局部极小值需要别的办法：随机重启、加入噪声或使用全局搜索。",
    ),
)

LESSONS: dict[str, Lesson] = {lesson.id: lesson for lesson in _LESSONS}
