"""Engine benchmark: how fast `run`/`run_many` step real torch.optim optimizers.

Run from the repo root:  python bench/engine_bench.py

Prints one `name: value unit` line per figure.  Each figure with a target is
compared, as a ratio, with a baseline measured in the same run.  Every timing
is the minimum of REPEATS calls after one warm-up call; the calls of a figure
and its baseline are interleaved so that machine noise hits both alike.
Torch keeps its default thread count (as the app runs); it is printed.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from optimizers import run, run_many
from pagestate.playground import PLAYGROUND_RUNS
from surfaces import get_surface
from ui.engine_pool import MAX_BATCH, EnginePool, default_workers

REPEATS = 7
STEPS = 500
START = [-1.5, 2.0]
SIX = [  # (torch.optim class, hyperparameters) for figure 1
    ("SGD", {"lr": 1e-3}),
    ("SGD", {"lr": 1e-3, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01}),
    ("Adam", {"lr": 0.01}),
    ("Adagrad", {"lr": 0.1}),
    ("NAdam", {"lr": 0.01}),
]


def best_times(*fns, repeats: int = REPEATS) -> list[float]:
    """Seconds per call of each fn: one warm-up, then the min of `repeats` interleaved rounds."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, bucket in zip(fns, times, strict=True):
            t0 = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - t0)
    return [min(bucket) for bucket in times]


def config(optimizer: str, hparams: dict, start=START, steps: int = STEPS, **extra) -> dict:
    return {"surface": "rosenbrock", "start": start, "steps": steps, "optimizer": optimizer,
            "hparams": hparams, **extra}


def naive(optimizer: str, hparams: dict, steps: int = STEPS) -> tuple[list, list]:
    """The naive loop: one Python step at a time, recording with .tolist() and .item()."""
    fn = get_surface("rosenbrock").fn
    p = torch.tensor(START, requires_grad=True)
    opt = getattr(torch.optim, optimizer)([p], **hparams)
    xy, losses = [p.detach().tolist()], []
    for _ in range(steps):
        opt.zero_grad()
        loss = fn(p)
        loss.backward()
        opt.step()
        xy.append(p.detach().tolist())
        losses.append(loss.item())
    return xy, losses


def bare_adam(steps: int = STEPS) -> None:
    """Bare torch: zero_grad / forward / backward / step, recording nothing."""
    fn = get_surface("rosenbrock").fn
    p = torch.tensor(START, requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.01)
    for _ in range(steps):
        opt.zero_grad()
        fn(p).backward()
        opt.step()


def figure_run_many() -> None:
    configs = [config(name, hp) for name, hp in SIX]
    engine, baseline = best_times(lambda: run_many(configs),
                                  lambda: [naive(name, hp) for name, hp in SIX])
    print(f"run_many_6x500_s: {engine:.3f} s (target <= 0.6)")
    print(f"naive_6x500_s: {baseline:.3f} s")
    print(f"run_many_vs_naive: {engine / baseline:.2f} x")


def grid_starts(n: int = 32) -> list[list[float]]:
    (x0, x1), (y0, y1) = get_surface("rosenbrock").bounds
    xs = torch.linspace(x0, x1, n).tolist()
    ys = torch.linspace(y0, y1, n).tolist()
    return [[x, y] for y in ys for x in xs]


def figure_many_starts() -> None:
    many = config("Adam", {"lr": 0.01}, start=grid_starts())
    one = config("Adam", {"lr": 0.01})
    t_many, t_one = best_times(lambda: run(many), lambda: run(one), repeats=5)
    print(f"adam_1024_starts_500_s: {t_many:.3f} s")
    print(f"adam_1_start_500_s: {t_one:.3f} s")
    print(f"starts_1024_vs_1: {t_many / t_one:.2f} x (target <= 3)")


def figure_overhead() -> None:
    one = config("Adam", {"lr": 0.01})
    engine, bare = best_times(lambda: run(one), bare_adam)
    print(f"engine_adam_per_step_us: {engine / STEPS * 1e6:.1f} us")
    print(f"bare_torch_adam_per_step_us: {bare / STEPS * 1e6:.1f} us")
    print(f"engine_overhead_vs_bare_torch: {engine / bare:.2f} x (target <= 1.15)")


def figure_lbfgs() -> None:
    (t,) = best_times(lambda: run(config("LBFGS", {}, steps=20)), repeats=5)
    print(f"lbfgs_20_steps_s: {t:.3f} s")


def figure_minibatch() -> None:
    c = {"surface": "linear_regression", "steps": 1000, "optimizer": "SGD", "hparams": {"lr": 1e-3},
         "batch_size": 1}
    (t,) = best_times(lambda: run(c), repeats=5)
    print(f"minibatch_sgd_1000_steps_s: {t:.3f} s")


def classroom_burst(students: int = 40) -> list[str]:
    """The Playground's four default runs for each student, each with its own steps (250–749) and learning rates:
    what a class typing new values at once asks the server for (every run a cache miss)."""
    return [json.dumps(config(r["optimizer"], {"lr": r["hparams"]["lr"] * (1 + k / 100)},
                              steps=250 + (k * 37) % 500), sort_keys=True)
            for k in range(students) for r in PLAYGROUND_RUNS]


def figure_classroom_burst() -> None:
    """The server's engine pool (worker processes, runs batched across sessions) against one run at a time in the
    server's own process, for the same burst of runs, each asked for from its own session thread."""
    keys = classroom_burst()
    pool = EnginePool(default_workers())
    pool.warm_up()
    pool.submit(keys[:2])[0].result()  # the workers have imported torch

    def through_pool():  # the pool keeps no results: each round computes every run again
        futures = []
        threads = [threading.Thread(target=lambda k=k: futures.append(pool.submit([k])[0])) for k in keys]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for future in futures:
            future.result()

    def one_at_a_time():
        for key in keys:
            run(json.loads(key))

    pooled, alone = best_times(through_pool, one_at_a_time, repeats=2)
    print(f"classroom_burst_{len(keys)}_runs_pool_s: {pooled:.2f} s ({pool.workers} worker processes, "
          f"batches of up to {MAX_BATCH})")
    print(f"classroom_burst_{len(keys)}_runs_one_at_a_time_s: {alone:.2f} s")
    print(f"classroom_burst_pool_vs_one_at_a_time: {pooled / alone:.2f} x (target <= 0.4)")


def main() -> None:
    t0 = time.perf_counter()
    print(f"torch_threads: {torch.get_num_threads()} threads")
    figure_run_many()
    figure_many_starts()
    figure_overhead()
    figure_lbfgs()
    figure_minibatch()
    figure_classroom_burst()
    print(f"bench_total_s: {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
