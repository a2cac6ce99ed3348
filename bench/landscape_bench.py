"""Landscape benchmark: one 41 × 41 slice of a network's loss (`optimizers.landscape.grid_losses`).

Run from the repo root:  python bench/landscape_bench.py

A 2-16-16-2 ReLU MLP on 400 training points (spiral2, no test split) trained 300 steps with Adam; the plane through
its initial weights and two runs' final weights; its 1,681 grid points' full-data loss in one batched call, against
a Python loop over the same points (precomputed weight vectors) that loads each into the model with
`vector_to_parameters` and calls `nn.CrossEntropyLoss()(model(x), y)` under `no_grad` — what one would write by
hand — and, for reference, `network.Batched.loss_and_accuracy` (functional_call + vmap) on the same points.
One thread (`torch.set_num_threads(1)`); each time is the median of REPEATS interleaved calls after a warm-up (the
machine is shared).  Prints `name: value unit` lines; the target is ≤ 0.5 s and ≥ 10 × the loop.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch
from torch import nn

from optimizers import landscape as ls
from optimizers.network import Batched, build_model, data_of, normalize_network, run_network

REPEATS = 9
N = 41
NET = {"dataset": "spiral2", "hidden": [16, 16], "n": 400, "test_fraction": 0.0}


def main() -> None:
    torch.set_num_threads(1)
    network = normalize_network(NET)
    data = data_of(network)
    runs = [run_network({"network": NET, "steps": 300, "optimizer": name, "hparams": {"lr": lr}})
            for name, lr in (("Adam", 0.01), ("SGD", 0.1))]
    plane = ls.three_point_plane(runs[0].params[0], runs[0].params[-1], runs[1].params[-1])
    extent = ls.cover(np.vstack([ls.project(plane, r.params)[0] for r in runs]))
    a, b = np.linspace(*extent[0], N), np.linspace(*extent[1], N)
    aa, bb = np.meshgrid(a, b)
    points = torch.from_numpy(plane.points(np.c_[aa.ravel(), bb.ravel()]))
    model, criterion = build_model(network, data.classes), nn.CrossEntropyLoss()
    batched = Batched(network, data.classes)

    def batched_grid():
        return ls.grid_losses(network, data, plane, extent, n=N)[2]

    @torch.no_grad()
    def loop():
        out = np.empty(len(points), dtype=np.float32)
        for i, theta in enumerate(points):
            nn.utils.vector_to_parameters(theta, model.parameters())
            out[i] = criterion(model(data.x_train), data.y_train).item()
        return out.reshape(N, N)

    def vmap():
        return batched.loss_and_accuracy(points, data.x_train, data.y_train)[0]

    results = {"grid": batched_grid(), "loop": loop(), "vmap": vmap().numpy().reshape(N, N)}  # warm-up
    times: dict[str, list[float]] = {name: [] for name in results}
    for _ in range(REPEATS):
        for name, f in (("grid", batched_grid), ("loop", loop), ("vmap", vmap)):
            t = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t)
    grid, loop_s, vmap_s = (statistics.median(times[k]) for k in ("grid", "loop", "vmap"))
    P = len(plane.origin)
    print(f"threads: {torch.get_num_threads()} count")
    print(f"network weights: {P} count")
    print(f"grid points: {N * N} count")
    print(f"grid_losses 41x41 (2-16-16-2, 400 points): {grid * 1e3:.1f} ms (target <= 500 ms)")
    print(f"python loop, one point at a time: {loop_s * 1e3:.1f} ms")
    print(f"grid_losses speed-up over the loop: {loop_s / grid:.1f} x (target >= 10 x)")
    print(f"Batched.loss_and_accuracy (vmap) on the same points: {vmap_s * 1e3:.1f} ms")
    print(f"grid vs loop, largest relative difference: "
          f"{float(np.max(np.abs(results['grid'] - results['loop']) / np.abs(results['loop']))):.1e} ratio")
    for name in ("grid", "loop"):
        print(f"{name} times min/max: {min(times[name]) * 1e3:.1f}/{max(times[name]) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
