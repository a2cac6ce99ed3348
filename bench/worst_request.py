"""The most expensive requests the cost budget still allows: their time and peak memory.

Run from the repo root:  python bench/worst_request.py [--only NAME]

For each kind of expensive run (many starts with one optimizer per start, LBFGS whose every step
runs all its iterations until the run-time cap stops it, a 10,000-row regression in float64, the
64 × 64 swarm) it grows the run's steps or starts to the largest value `optimizers.budget` allows,
then runs it alone in a fresh process as an engine worker does (one torch thread) and prints one
`name: value unit` line per figure: wall and CPU time against the 5 s target, the budget's estimate,
and the peak memory (the process's peak RSS, and how far it rose above the RSS after importing torch
and building the surface).  Each config is chosen so that no start diverges (a diverged start stops
early); LBFGS runs say how many starts the run-time cap stopped and after how many closure calls.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ui.engine_pool import worker_env  # noqa: E402  (after the path)

TARGET_SECONDS = 5.0


def grid(n: int, x=(-1.9, 1.9), y=(-0.9, 2.9)) -> list[list[float]]:
    """n × n starts over a box (Rosenbrock's bounds, inset)."""
    return [[x[0] + (x[1] - x[0]) * i / (n - 1), y[0] + (y[1] - y[0]) * j / (n - 1)]
            for j in range(n) for i in range(n)]


def regression_data(rows: int) -> dict:
    xs = [round(-3 + 6 * i / (rows - 1), 4) for i in range(rows)]
    return {"x": xs, "y": [round(2 * x + 1 + 0.1 * ((i * 7919) % 13 - 6), 4) for i, x in enumerate(xs)]}


LBFGS_BUSY = {"lr": 1e-4, "tolerance_grad": 0.0, "tolerance_change": 0.0}  # never converges within a step
# LBFGS is allowed at any length when one step fits: its run stops after the step whose counted work passes its
# share of the budget (`budget.closure_cap`), so these run 10,000 steps until that stop

# (name, base config, key grown to the budget's limit: "steps" or "start")
KINDS = [
    ("per_start_adam_clip", {"optimizer": "Adam", "hparams": {"lr": 1e-3}, "clip_grad_norm": 1.0,
                             "steps": 500, "start": grid(64)}, "start"),
    ("per_start_adafactor", {"optimizer": "Adafactor", "hparams": {"lr": 1e-3}, "steps": 500, "start": grid(64)},
     "start"),
    ("one_start_adam_clip", {"optimizer": "Adam", "hparams": {"lr": 1e-3}, "clip_grad_norm": 1.0,
                             "steps": 10_000}, "steps"),
    ("lbfgs_default_history", {"optimizer": "LBFGS", "hparams": LBFGS_BUSY, "steps": 10_000}, "steps"),
    ("lbfgs_history_1000", {"optimizer": "LBFGS", "hparams": {**LBFGS_BUSY, "max_iter": 100, "history_size": 1000},
                            "steps": 10_000}, "steps"),
    ("lbfgs_strong_wolfe", {"optimizer": "LBFGS", "hparams": {**LBFGS_BUSY, "line_search_fn": "strong_wolfe"},
                            "steps": 10_000}, "steps"),
    ("lbfgs_tiny_lr_1000_steps", {"optimizer": "LBFGS", "hparams": {"lr": 1e-6, "tolerance_change": 1e-30},
                                  "steps": 1000}, "steps"),  # the history never fills: calls dominate
    ("lbfgs_per_start", {"optimizer": "LBFGS", "hparams": LBFGS_BUSY, "steps": 500, "start": grid(16)}, "start"),
    ("regression_10k_rows_float64", {"surface": "linear_regression", "surface_params": regression_data(10_000),
                                     "optimizer": "Adam", "hparams": {"lr": 1e-3}, "dtype": "float64",
                                     "steps": 500, "start": [[0.1 * i, 0.0] for i in range(64)]}, "start"),
    ("regression_10k_rows_lbfgs", {"surface": "linear_regression", "surface_params": regression_data(10_000),
                                   "optimizer": "LBFGS", "hparams": LBFGS_BUSY, "dtype": "float64",
                                   "steps": 10_000}, "steps"),
    ("swarm_64x64_adam_float64", {"optimizer": "Adam", "hparams": {"lr": 1e-3}, "dtype": "float64",
                                  "start": grid(64), "steps": 10_000}, "steps"),
    ("swarm_64x64_rprop", {"optimizer": "Rprop", "hparams": {"lr": 1e-4}, "start": grid(64), "steps": 10_000},
     "steps"),
]


def largest_allowed(config: dict, key: str) -> dict:
    """`config` with its steps (or its starts, a prefix of them) grown to the budget's limit."""
    from optimizers import normalize_config
    from optimizers.budget import _largest

    c = normalize_config({**config, key: 1 if key == "steps" else config["start"][:1]})
    if key == "steps":
        return {**config, "steps": _largest(c, "steps", config["steps"])}
    n = _largest({**c, "start": config["start"]}, "start", len(config["start"]), lambda k: config["start"][:k])
    return {**config, "start": config["start"][:n]}


def child(config: dict) -> None:
    """Run `config` as an engine worker would and print its figures as JSON."""
    import torch

    from optimizers import normalize_config, run
    from optimizers.budget import estimate

    torch.set_num_threads(1)
    normalized = normalize_config(config)
    run({**config, "steps": 1})  # warm up: imports, the surface
    rss_before = int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize()
    wall, cpu = time.perf_counter(), time.process_time()
    traj = run(config)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"wall": wall, "cpu": cpu, "estimate": estimate(normalized).seconds,
                      "estimate_bytes": estimate(normalized).bytes, "peak": peak, "rise": peak - rss_before,
                      "diverged": _count(traj.diverged_at), "stopped": _count(traj.stopped_at),
                      "evals": int(traj.evals.sum())}))


def _count(at) -> int:
    """How many starts `diverged_at` / `stopped_at` names."""
    return sum(a is not None for a in (at if isinstance(at, list) else [at]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run only the kinds whose name contains this")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(Path(args.child).read_text()))
        return
    from optimizers.budget import MAX_BYTES, MAX_SECONDS

    print(f"target: {TARGET_SECONDS:g} s (budget: estimate ≤ {MAX_SECONDS:g} s, ≤ {MAX_BYTES / 2**20:.0f} MB)")
    worst = 0.0
    for name, config, key in KINDS:
        if args.only and args.only not in name:
            continue
        allowed = largest_allowed(config, key)
        path = Path(f"/tmp/worst_request_{name}.json")
        path.write_text(json.dumps(allowed))
        out = subprocess.run([sys.executable, __file__, "--child", str(path)], cwd=ROOT, check=True,
                             capture_output=True, text=True, env=worker_env()).stdout
        r = json.loads(out.splitlines()[-1])
        starts = len(allowed["start"]) if "start" in allowed else 1
        print(f"{name}.size: {starts} starts × {allowed['steps']} steps")
        print(f"{name}.wall: {r['wall']:.2f} s (target {TARGET_SECONDS:g} s, ratio {r['wall'] / TARGET_SECONDS:.2f})")
        print(f"{name}.cpu: {r['cpu']:.2f} s (estimate {r['estimate']:.2f} s, ratio {r['cpu'] / r['estimate']:.2f})")
        print(f"{name}.peak_rss: {r['peak'] / 2**20:.0f} MB (rise {r['rise'] / 2**20:.0f} MB, "
              f"estimate {r['estimate_bytes'] / 2**20:.0f} MB)")
        if r["diverged"]:
            print(f"{name}.diverged: {r['diverged']} (stopped early: not a worst case)")
        if r["stopped"]:
            print(f"{name}.stopped_by_cap: {r['stopped']} of {starts} starts ({r['evals']:,} closure calls)")
        worst = max(worst, r["wall"])
    print(f"worst_allowed.wall: {worst:.2f} s (target {TARGET_SECONDS:g} s)")


if __name__ == "__main__":
    main()
