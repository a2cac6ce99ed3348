"""Landscape benchmark: one 41 × 41 slice of a network's loss (`optimizers.landscape.grid_losses`).

Run from the repo root:  python bench/landscape_bench.py

A 2-16-16-2 ReLU MLP on 400 training points (spiral2, no test split) trained 300 steps with Adam; the plane through
its initial weights and two runs' final weights; its 1,681 grid points' full-data loss in one batched call, against
a Python loop over the same points (precomputed weight vectors) that loads each into the model with
`vector_to_parameters` and calls `nn.CrossEntropyLoss()(model(x), y)` under `no_grad` — what one would write by
hand — and, for reference, `network.Batched.loss_and_accuracy` (functional_call + vmap) and `landscape.losses` (the
general kernel, which does not use the plane) on the same points.  One thread (`torch.set_num_threads(1)`); each
time is the median of REPEATS interleaved calls after a warm-up, as wall time and as the thread's CPU time
(`time.thread_time`: what the machine's other users cannot inflate by taking the core away; they still share its
caches).  Prints `name: value unit` lines; the target: ≤ 0.5 s, ≥ 10 × the loop.
"""

from __future__ import annotations

import os
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

REPEATS = 11
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

    def general():  # the same points' weight vectors through the general kernel (no use of the plane)
        return ls.losses(network, data, points.numpy())

    results = {"grid": batched_grid(), "loop": loop(), "vmap": vmap().numpy().reshape(N, N),
               "general": general().reshape(N, N)}  # warm-up
    calls = {"grid": batched_grid, "loop": loop, "vmap": vmap, "general": general}
    wall: dict[str, list[float]] = {name: [] for name in calls}
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(REPEATS):
        for name, f in calls.items():
            t, c = time.perf_counter(), time.thread_time()
            f()
            cpu[name].append(time.thread_time() - c)
            wall[name].append(time.perf_counter() - t)
    w, c = ({k: statistics.median(v) for k, v in times.items()} for times in (wall, cpu))
    print(f"threads: {torch.get_num_threads()} count")
    print(f"network weights: {len(plane.origin)} count")
    print(f"grid points: {N * N} count")
    print(f"grid_losses 41x41 (2-16-16-2, 400 points): {w['grid'] * 1e3:.1f} ms (target <= 500 ms)")
    print(f"python loop, one point at a time: {w['loop'] * 1e3:.1f} ms")
    print(f"grid_losses speed-up over the loop: {w['loop'] / w['grid']:.1f} x (target >= 10 x)")
    print(f"Batched.loss_and_accuracy (vmap) on the same points: {w['vmap'] * 1e3:.1f} ms")
    print(f"grid_losses CPU time (thread): {c['grid'] * 1e3:.1f} ms")
    print(f"python loop CPU time (thread): {c['loop'] * 1e3:.1f} ms")
    print(f"grid_losses speed-up over the loop, CPU time: {c['loop'] / c['grid']:.1f} x")
    print(f"losses() on the same weight vectors (general kernel, no plane), CPU time: {c['general'] * 1e3:.1f} ms")
    print(f"grid vs loop, largest relative difference: "
          f"{float(np.max(np.abs(results['grid'] - results['loop']) / np.abs(results['loop']))):.1e} ratio")
    for name in ("grid", "loop"):
        print(f"{name} wall times min/max: {min(wall[name]) * 1e3:.1f}/{max(wall[name]) * 1e3:.1f} ms")
    random = ls.random_plane(network, data.classes, runs[0].params[-1], seed=0)  # Li et al.'s α, β ∈ [−1, 1]
    far = []
    for _ in range(REPEATS):
        c = time.thread_time()
        ls.grid_losses(network, data, random, n=N)
        far.append(time.thread_time() - c)
    print(f"grid_losses 41x41 on the random plane (its corners: logits ~50, loss ~10), CPU time: "
          f"{statistics.median(far) * 1e3:.1f} ms")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} count")


if __name__ == "__main__":
    main()
