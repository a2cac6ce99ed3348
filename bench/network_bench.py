"""Network benchmark: the engine's network runs (`run_many`, recording everything) vs a bare torch loop.

Run from the repo root:  python bench/network_bench.py [--repeats N]

Four runs of a 2-16-16-2 MLP (ReLU) on 400 moons points (300 for training, 100 held out), 1,000 full-batch steps
each (SGD with momentum, Adam, RMSprop, AdamW), through `optimizers.run_many`: every step's weights, per-layer
gradient norms, learning rates, and the training and test loss and accuracy at every step.  The baseline is the
same training as a student writes it (`torch.manual_seed`, `nn.Sequential`, `zero_grad / loss / backward / step`),
recording nothing.  One torch thread, as an engine worker runs.  Prints one `name: value unit` line per figure;
each time is the median of the repeats, the engine's and the bare loop's repeats interleaved (the machine is
shared and noisy), as wall-clock time and as this process's CPU time (less sensitive to other processes on a
loaded machine).  Target: engine ≤ 1.3 × bare.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
from torch import nn

from optimizers import run_many
from optimizers.network import data_of, normalize_network

STEPS = 1000
NETWORK = {"dataset": "moons", "n": 400, "hidden": [16, 16], "activation": "ReLU"}
RUNS = [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.01}), ("RMSprop", {"lr": 0.01}),
        ("AdamW", {"lr": 0.01})]


def configs() -> list[dict]:
    return [{"network": NETWORK, "steps": STEPS, "optimizer": name, "hparams": hp} for name, hp in RUNS]


def bare() -> list[float]:
    """The same four trainings as a plain loop, recording nothing; their final losses."""
    data = data_of(normalize_network(NETWORK))
    x, y = data.x_train, data.y_train
    finals = []
    for name, hp in RUNS:
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
        optimizer = getattr(torch.optim, name)(model.parameters(), **hp)
        criterion = nn.CrossEntropyLoss()
        for _ in range(STEPS):
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
        finals.append(loss.item())
    return finals


def engine() -> list[float]:
    return [float(t.loss[-2]) for t in run_many(configs())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    torch.set_num_threads(1)
    # one warm-up of each; the engine's losses at the last step's weights are the bare loop's
    check, ours = bare(), engine()
    assert all(abs(a - b) <= 1e-5 * abs(a) for a, b in zip(check, ours, strict=True)), (check, ours)
    wall: dict[str, list[float]] = {"engine": [], "bare": []}
    cpu: dict[str, list[float]] = {"engine": [], "bare": []}
    for _ in range(args.repeats):
        for name, fn in (("engine", engine), ("bare", bare)):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    print(f"torch_threads: {torch.get_num_threads()}")
    for kind, times in (("wall", wall), ("cpu", cpu)):
        e, b = statistics.median(times["engine"]), statistics.median(times["bare"])
        ratios = sorted(a / c for a, c in zip(times["engine"], times["bare"], strict=True))
        print(f"network_run_many_4x1000_{kind}_s: {e:.3f} s (median of {args.repeats})")
        print(f"network_bare_loop_4x1000_{kind}_s: {b:.3f} s (median of {args.repeats})")
        print(f"network_engine_vs_bare_{kind}: {e / b:.2f} x (target <= 1.3; paired rounds "
              f"{ratios[0]:.2f}-{ratios[-1]:.2f})")


if __name__ == "__main__":
    main()
