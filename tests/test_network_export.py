"""The network runs' CSV download: its numbers are a plain torch loop's, its columns follow the parameter groups."""

import csv
import io

import numpy as np
import torch
from torch import nn

from optimizers import run
from optimizers.export import to_csv
from surfaces.classification import make_points, split


def hand_losses(steps: int, lr: float) -> list[float]:
    """Full-batch SGD on the default network (moons, 2-16-16-2 ReLU), losses at every position."""
    x, y = make_points("moons", 400, 0.2, 0)
    x, y = (torch.from_numpy(a) for a in split(x, y, 0.25, 0)[:2])
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps + 1):
        opt.zero_grad()
        loss = nn.CrossEntropyLoss()(model(x), y)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    return losses


def test_csv_rows_hold_torchs_losses_and_each_groups_lr():
    plain = run({"network": {}, "steps": 4, "optimizer": "SGD", "hparams": {"lr": 0.1}})
    groups = run({"network": {}, "steps": 4, "optimizer": "SGD", "hparams": {"lr": 0.1}, "lr_multipliers": [1, 0.1]})
    rows = list(csv.DictReader(io.StringIO(to_csv([plain, groups]))))
    assert list(rows[0]) == ["run", "step", "loss", "accuracy", "test_loss", "test_accuracy", "lr_base", "lr_head",
                             "grad_norm_0", "grad_norm_1", "grad_norm_2", "evals", "epoch"]
    first = [r for r in rows if r["run"] == "0"]
    np.testing.assert_allclose([float(r["loss"]) for r in first], hand_losses(4, 0.1), rtol=1e-6)
    assert first[0]["lr_base"] == first[0]["lr_head"] == "0.1" and first[-1]["lr_base"] == ""  # no step after the last
    second = [r for r in rows if r["run"] == "1"]
    assert [second[0]["lr_base"], second[0]["lr_head"]] == ["0.1", "0.01"]
