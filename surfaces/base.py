"""What a loss surface is: one torch function of a ``(..., 2)`` tensor and its facts; and how one is declared.

The same `fn` evaluates a contour grid (shape ``(H, W, 2)``) and a point under
autograd (shape ``(2,)`` or ``(n, 2)``): there is no numpy twin.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from schema import Param
from texts import text

from .formula import formula_body, formula_latex, parse_formula

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
        (grad,) = torch.autograd.grad(self.fn(p).sum(), p)  # rows are independent: d(sum)/d(row) is the row's own
        return grad.numpy()

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
    """A registry entry: a parameter schema, `build(params)` and `code(params)`, the lines of `def f(p):` in a
    generated script that computes what `build(params).fn` computes.  Its name, description and parameters'
    help are catalogue texts: `surface.<key>.name`, `surface.<key>.description`, `surface.<key>.<param>`."""

    key: str
    build: Callable[[dict], Surface]
    code: Callable[[dict], tuple[str, ...]]
    params: tuple[Param, ...] = ()

    def name(self, lang: str = "en") -> str:
        return text(f"surface.{self.key}.name", lang)

    def description(self, lang: str = "en") -> str:
        return text(f"surface.{self.key}.description", lang)


Fact = Callable[[dict], Any]  # a fact that depends on the parameters' values


def formula_surface(key: str, formula: str, *params: Param, bounds: tuple[Point, Point] | Fact,
                    starts: tuple[Point, ...], minima: tuple[Point, ...] | Fact = (), min_value: float | None = None,
                    log_scale: bool = False, derived: Fact | None = None,
                    latex: str | Fact | None = None) -> SurfaceSpec:
    """A surface declared once, by its formula (`surfaces.formula`'s language; the parameters by name).

    The torch function, its LaTeX and the generated script's code all come from `formula`.  `bounds`,
    `minima` and `latex` may be functions of the values; `derived(values)` adds numbers the formula uses
    besides the parameters (the bowl's cos θ); `latex` replaces the formula's own LaTeX where that would
    hide the idea or not fit on the page.
    """
    taken = {p.key for p in params} & {"x", "y", "pi", "e", "p", "math", "torch"}
    if taken:
        raise ValueError(f"{key}: the names {sorted(taken)} are taken in a formula or in the generated code")

    def values(chosen: dict) -> dict:
        return chosen | (derived(chosen) if derived else {})

    def build(chosen: dict) -> Surface:
        v = values(chosen)
        shown = _fact(latex, v) if latex else "f(x, y) = " + formula_latex(formula, v)
        return Surface(key, parse_formula(formula, v), shown, _fact(bounds, v), starts,
                       minima=_fact(minima, v), min_value=min_value, log_scale=log_scale)

    return SurfaceSpec(key, build, lambda chosen: formula_body(formula, values(chosen)), params)


def function_surface(key: str, fn: Callable[[torch.Tensor], torch.Tensor], *, latex: str,
                     bounds: tuple[Point, Point], starts: tuple[Point, ...], minima: tuple[Point, ...] = (),
                     min_value: float | None = None, log_scale: bool = False) -> SurfaceSpec:
    """A surface declared once by a torch function `fn(p)`, where no formula computes it bit for bit;
    the generated script's code is `fn`'s own source (its body, after the `def` line)."""
    source = textwrap.dedent("".join(inspect.getsourcelines(fn)[0])).splitlines()
    body = tuple(line.removeprefix("    ") for line in source[1:])
    surface = Surface(key, fn, latex, bounds, starts, minima=minima, min_value=min_value, log_scale=log_scale)
    return SurfaceSpec(key, lambda params: surface, lambda params: body)


def _fact(fact, values: dict):
    return fact(values) if callable(fact) else fact
