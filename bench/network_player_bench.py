"""The network page's player payload: what 4 runs × 1,000 steps send to the browser, against the naive figure.

Run from the repo root:  python bench/network_player_bench.py

For spiral3 (3 classes) and moons (2 classes), 4 real runs (SGD with momentum, Adam, RMSprop, Adagrad; 2 hidden
layers of 16) of 1,000 steps: the bytes of the player's layer and runs as JSON (`viz.network`: 61 sampled
boundaries per run, uint8 class probabilities on a 60 × 60 grid, and every step's curves), the naive figure's
(every step's boundary, every class probability of every grid cell and every curve as JSON floats, measured with
`json.dumps` on one boundary), their ratio, the time to build the entries, and the landscape player's payload
(PCA plane) with its build time. Prints `name: value unit` lines; the target is ≤ 3 MB.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from optimizers import run
from viz import PALETTE, RunResult
from viz.network import landscape_payload, naive_bytes, network_entry, network_layer

RUNS = [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.01}), ("RMSprop", {"lr": 0.003}),
        ("Adagrad", {"lr": 0.05})]
STEPS, TARGET_MB = 1000, 3.0


def results(dataset: str) -> list[RunResult]:
    out = []
    for i, (optimizer, hparams) in enumerate(RUNS):
        traj = run({"network": {"dataset": dataset, "hidden": [16, 16]}, "steps": STEPS, "optimizer": optimizer,
                    "hparams": hparams})
        out.append(RunResult(f"{i + 1}: {optimizer}", PALETTE[i], traj.config, traj))
    return out


def main() -> None:
    for dataset in ("spiral3", "moons"):
        done = results(dataset)
        t0 = time.perf_counter()
        entries = [network_entry(r) for r in done]
        built = time.perf_counter() - t0
        sent = len(json.dumps(network_layer(done[0].config["network"]))) + len(json.dumps(entries))
        naive = sum(naive_bytes(r) for r in done)
        print(f"network_payload_{dataset}_4x{STEPS}: {sent / 1e6:.2f} MB (target {TARGET_MB} MB)")
        print(f"network_naive_{dataset}_4x{STEPS}: {naive / 1e6:.0f} MB (every step's boundary as JSON floats; "
              f"{naive / sent:.0f}x ours)")
        print(f"network_entries_build_{dataset}: {built:.2f} s")
        t0 = time.perf_counter()
        layer, runs = landscape_payload(done, {"kind": "pca"})
        print(f"network_landscape_{dataset}_4x{STEPS}: {(len(json.dumps(layer)) + len(json.dumps(runs))) / 1e6:.2f}"
              f" MB, built in {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
