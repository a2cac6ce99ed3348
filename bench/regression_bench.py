"""Regression benchmark: what computing the loss exactly as nn.Linear(1, 1) + nn.MSELoss() costs.

Run from the repo root:  python bench/regression_bench.py

The surface's loss (`surfaces.regression.LinearMSE`: torch.mm's order for dL/dw, row by row or in
float32 steps) against the plain broadcast expression of the same MSE, which autograd differentiates
in another order (not bit-equal to nn.Linear): one forward/backward of n stacked (w, b) on the course's
15 points, and whole runs with 1, 64 and 1,024 starts.  Prints `name: value unit` lines; each timing is
the minimum of REPEATS interleaved calls after a warm-up.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
from engine_bench import best_times

import surfaces
from optimizers import run
from surfaces import SURFACES, get_surface

REPEATS = 7


def broadcast_spec():
    """The regression surface with the broadcast MSE as its loss (the baseline)."""
    exact = SURFACES["linear_regression"]

    def build(params):
        surface = exact.build(params)
        x32, y32 = (torch.tensor(surface.data[k], dtype=torch.float32) for k in ("x", "y"))
        columns = {torch.float32: (x32, y32), torch.float64: (x32.double(), y32.double())}

        def batch_fn(p, idx):
            x, y = columns[p.dtype]
            x, y = (x, y) if idx is None else (x[idx], y[idx])
            return ((p[..., 0:1] * x + p[..., 1:2] - y) ** 2).mean(-1)
        return replace(surface, fn=lambda p: batch_fn(p, None), batch_fn=batch_fn)
    return replace(exact, build=build)


def use(spec) -> None:
    SURFACES["linear_regression"] = spec
    surfaces._build.cache_clear()


def grid(n: int) -> list[list[float]]:
    return [[-1 + 3 * i / (n - 1), -1 + 3 * j / (n - 1)] for i in range(n) for j in range(n)]


def main() -> None:
    exact, broadcast = SURFACES["linear_regression"], broadcast_spec()
    for rows in (1, 64, 1024):
        p = torch.randn(rows, 2, requires_grad=True)

        def step(spec, p=p):
            use(spec)
            fn = get_surface("linear_regression").fn
            return lambda: fn(p).sum().backward()
        t_exact, t_broadcast = best_times(step(exact), step(broadcast), repeats=200)
        print(f"forward_backward_{rows}_rows_us: {t_exact * 1e6:.0f} us (broadcast MSE {t_broadcast * 1e6:.0f} us, "
              f"{t_exact / t_broadcast:.2f} x)")
    for starts, batch_size in ((1, None), (1, 1), (64, None), (1024, None)):
        config = {"surface": "linear_regression", "steps": 500, "optimizer": "Adam", "batch_size": batch_size,
                  "start": grid(int(starts ** 0.5)) if starts > 1 else [0.0, 0.0]}

        def timed(spec, config=config):
            return lambda: (use(spec), run(config))
        t_exact, t_broadcast = best_times(timed(exact), timed(broadcast))
        name = f"adam_{starts}_starts{'_batch1' if batch_size else ''}_500_steps_s"
        print(f"{name}: {t_exact:.3f} s (broadcast MSE {t_broadcast:.3f} s, {t_exact / t_broadcast:.2f} x)")
    use(exact)


if __name__ == "__main__":
    main()
