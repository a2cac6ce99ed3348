r"""Linear regression as a surface: the MSE of $y \approx w x + b$ over $(w, b)$.

Coordinate 0 is $w$, coordinate 1 is $b$.  The default data are the course's
15 points; other data come in as surface parameters ``{"x": [...], "y": [...]}``.
The minimum is the closed-form least-squares solution.  The loss and its gradient are
``nn.MSELoss()(nn.Linear(1, 1)(x), y)``'s, bit for bit (`LinearMSE`): a run equals the course's script.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from schema import ConfigError, Param

from .base import Surface, SurfaceSpec

# The course's linear-regression data (reference document 004).
COURSE_X = (3.3, 4.4, 5.5, 6.71, 6.93, 4.168, 9.779, 6.182, 7.59, 2.167, 7.042, 10.791, 5.313, 7.997, 3.1)
COURSE_Y = (1.7, 2.76, 2.09, 3.19, 1.694, 1.573, 3.366, 2.596, 2.53, 1.221, 2.827, 3.465, 1.65, 2.904, 1.3)
# (w, b) of nn.Linear(1, 1) right after torch.manual_seed(42), the course's first model.
COURSE_START = (0.7645385265350342, 0.8300079107284546)

MAX_ROWS = 10_000


def least_squares(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Closed-form (w*, b*) and the MSE there, in float64."""
    w = float(np.cov(x, y, bias=True)[0, 1] / np.var(x))
    b = float(y.mean() - w * x.mean())
    return w, b, float(np.mean((w * x + b - y) ** 2))


def conditioning(x: np.ndarray) -> tuple[float, float]:
    r"""Condition number of the MSE's Hessian $H = 2\begin{pmatrix}\overline{x^2} & \bar x\\ \bar x & 1\end{pmatrix}$
    and the largest learning rate full-batch gradient descent survives, $2/\lambda_{max}$."""
    mean_x, mean_xx = float(np.mean(x)), float(np.mean(x * x))
    eig = np.linalg.eigvalsh(2 * np.array([[mean_xx, mean_x], [mean_x, 1.0]]))
    return float(eig[-1] / eig[0]), float(2 / eig[-1])


def _columns(params: dict) -> tuple[np.ndarray, np.ndarray]:
    x, y = params["x"], params["y"]
    if (x is None) != (y is None):
        raise ConfigError("surface.error.regression_both")
    x = np.array(COURSE_X if x is None else x, dtype=np.float64)
    y = np.array(COURSE_Y if y is None else y, dtype=np.float64)
    if len(x) != len(y):
        raise ConfigError("surface.error.regression_lengths", x=len(x), y=len(y))
    if len(x) < 2:
        raise ConfigError("surface.error.regression_too_few")
    if np.ptp(x) == 0:
        raise ConfigError("surface.error.regression_constant_x")
    if params["standardize"]:
        x = (x - x.mean()) / x.std()
    return x, y


def _bounds(center: float, start: float) -> tuple[float, float]:
    lo, hi = min(center, start, 0.0), max(center, start, 0.0)
    pad = max(1.0, 0.5 * (hi - lo))
    return lo - pad, hi + pad


class LinearMSE(torch.autograd.Function):
    r"""$L = \frac{1}{n}\sum_i d_i^2$, $d_i = w x_i + b - y_i$, for each (w, b) of a ``(..., 2)`` tensor, rounded
    as ``nn.MSELoss()(nn.Linear(1, 1)(x), y)`` rounds it, its gradient too.

    $d_i$ rounds $w x_i$, then adds b (addmm with one column), as Linear does.  The gradient is torch's:
    $g_i = \operatorname{fl}(2/n)\, d_i$ (``mse_loss_backward``),
    $\partial L/\partial b = \sum_i g_i$ (``sum``) and $\partial L/\partial w = g^\top x$ summed as ``torch.mm``
    sums it for one (w, b), as Linear's backward calls it (see `dot_rows`).
    """

    @staticmethod
    def forward(ctx, p: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        d = p[..., 0:1] * x + p[..., 1:2] - y
        ctx.save_for_backward(d, x)
        return (d * d).mean(-1)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        d, x = ctx.saved_tensors
        g = d.new_tensor(2 / x.numel()) * d * grad[..., None]
        return torch.stack([dot_rows(g.reshape(-1, x.numel()), x).view(grad.shape), g.sum(-1)], -1), None, None


def dot_rows(g: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    r"""$g_j^\top x$ for each row of g, bit for bit as ``torch.mm`` gives it for that row alone.

    A batched product sums in another order; so one ``torch.mm`` per row, or, for many rows, the same sum
    step by step where torch.mm was seen to sum that way (`_mm_sums_in_sequence`).
    """
    rows, n = g.shape
    if rows > 2 * n and _mm_sums_in_sequence(n, g.dtype):
        return _sequential_fma(g, x)
    return _mm_rows(g, x)


def _mm_rows(g: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    column = x[:, None]
    return torch.cat([torch.mm(row, column) for row in g.split(1)]).view(-1)


def _sequential_fma(g: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    r"""$a \leftarrow \operatorname{fma}(g_k, x_k, a)$ for k = 1 … n, each row (``addcmul`` rounds once here)."""
    columns = g.t()
    acc = columns[0] * x[0]
    for k in range(1, len(x)):
        acc = torch.addcmul(acc, columns[k], x[k])
    return acc


@functools.cache
def _mm_sums_in_sequence(n: int, dtype: torch.dtype) -> bool:
    """Whether ``torch.mm`` of (1, n) @ (n, 1) equals `_sequential_fma`, checked once per n on 263 random rows.

    Seen with MKL for n ≤ 255 in float32; it sums longer rows in another order.
    """
    generator = torch.Generator().manual_seed(n)
    g, x = torch.randn(263, n, generator=generator, dtype=dtype), torch.randn(n, generator=generator, dtype=dtype)
    return torch.equal(_sequential_fma(g, x), _mm_rows(g, x))


def linear_regression(params: dict) -> Surface:
    x_np, y_np = _columns(params)
    w_star, b_star, mse = least_squares(x_np, y_np)
    columns = {dtype: (torch.tensor(x_np, dtype=dtype), torch.tensor(y_np, dtype=dtype))
               for dtype in (torch.float32, torch.float64)}

    def batch_fn(p: torch.Tensor, idx: torch.Tensor | None) -> torch.Tensor:
        x, y = columns[p.dtype]
        if idx is not None:
            x, y = x[idx], y[idx]
        return LinearMSE.apply(p, x, y)

    default_data = params["x"] is None and not params["standardize"]
    start = COURSE_START if default_data else (0.0, 0.0)
    bounds = (_bounds(w_star, start[0]), _bounds(b_star, start[1]))
    return Surface("linear_regression", lambda p: batch_fn(p, None),
                   r"L(w, b) = \frac{1}{n}\sum_{i=1}^{n} (w x_i + b - y_i)^2", bounds,
                   starts=(start,),
                   minima=((w_star, b_star),), min_value=mse, log_scale=True, n_samples=len(x_np),
                   batch_fn=batch_fn, data={"x": x_np, "y": y_np})


# The generated script's f(p, X, Y): what a student writes, and what `LinearMSE` reproduces bit for bit.
# Its comment is torch's names alone: the script's own comments are in the reader's language (optimizers/codegen.py),
# a surface's code has no language.
CODE = ("w, b = p[0:1].view(1, 1), p[1:2]  # nn.Linear(1, 1).weight: (1, 1), .bias: (1,)",
        "return torch.nn.functional.mse_loss(torch.nn.functional.linear(X[:, None], w, b), Y[:, None])")

SPEC = SurfaceSpec(
    "linear_regression", linear_regression, lambda params: CODE, (
        Param("x", "float_list", None, "surface.linear_regression.x", low=-1e6, high=1e6, optional=True),
        Param("y", "float_list", None, "surface.linear_regression.y", low=-1e6, high=1e6, optional=True),
        Param("standardize", "bool", False, "surface.linear_regression.standardize"),
    ))
