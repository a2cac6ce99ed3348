"""What a loss surface is: one torch function of a ``(..., 2)`` tensor and its facts.

The same `fn` evaluates a contour grid (shape ``(H, W, 2)``) and a point under
autograd (shape ``(2,)`` or ``(n, 2)``): there is no numpy twin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from schema import Param

Point = tuple[float, float]


@dataclass(frozen=True)
class Surface:
    """A built surface: the function and everything the pages need to draw it.

    `minima` are literature (or closed-form) positions, all with loss
    `min_value`; `log_scale` says whether contour levels read better log-spaced.
    Data surfaces set `n_samples` and `batch_fn(p, idx)`, the loss on samples `idx`.
    """

    key: str
    fn: Callable[[torch.Tensor], torch.Tensor]
    latex: str
    bounds: tuple[Point, Point]
    starts: tuple[Point, ...]
    minima: tuple[Point, ...] = ()
    min_value: float | None = None
    log_scale: bool = False
    n_samples: int | None = None
    batch_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = field(default=None, compare=False)
    data: dict | None = field(default=None, compare=False)

    def __call__(self, p: torch.Tensor) -> torch.Tensor:
        return self.fn(p)

    def gradient(self, xy: np.ndarray) -> np.ndarray:
        """∇f at each row of `xy` (n, 2), in float64 on the whole data: one forward and one backward."""
        p = torch.tensor(np.asarray(xy, dtype=float).reshape(-1, 2), dtype=torch.float64, requires_grad=True)
        if not len(p):
            return np.empty((0, 2))
        self.fn(p).sum().backward()  # rows are independent: d(sum)/d(row) is that row's own gradient
        return p.grad.numpy()

    def grid(self, n: int = 200, dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Axes and values on an n×n grid over `bounds`: (xs, ys, z[len(ys), len(xs)])."""
        (x0, x1), (y0, y1) = self.bounds
        xs = torch.linspace(x0, x1, n, dtype=dtype)
        ys = torch.linspace(y0, y1, n, dtype=dtype)
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        with torch.no_grad():
            z = self.fn(torch.stack([gx, gy], dim=-1))
        return xs, ys, z


@dataclass(frozen=True)
class SurfaceSpec:
    """A registry entry: names, descriptions, a parameter schema and `build(params)`."""

    key: str
    name_en: str
    name_zh: str
    description_en: str
    description_zh: str
    build: Callable[[dict], Surface]
    params: tuple[Param, ...] = ()

    def name(self, lang: str = "en") -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def description(self, lang: str = "en") -> str:
        return self.description_zh if lang == "zh" else self.description_en


def xy(p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The two coordinates of a ``(..., 2)`` tensor."""
    return p[..., 0], p[..., 1]
