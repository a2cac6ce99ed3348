"""The linear-regression player payload: the data in the surface layer, and per run the gradients, mini-batches,
epochs and LBFGS points that the regression panels draw.

Real runs from the engine on the course's 15 points. The oracle is a plain torch loop (`nn.Linear(1, 1)` +
`MSELoss`, mini-batches from a seeded, shuffling `DataLoader`, as in tests/test_regression_exact.py): at every
step it records the batch's rows, the gradient the optimizer used and, by `torch.autograd`, the full-data
gradient at the same point.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import viz.regression as payload
from optimizers import run
from surfaces import get_surface
from viz import PALETTE, RunResult
from viz.player_data import decode, run_entry_of, surface_layer
from viz.regression import arrow_lengths, regression_entry, regression_layer

BASE = {"surface": "linear_regression", "start": [0.0, 0.0], "optimizer": "SGD", "hparams": {"lr": 0.01}, "seed": 0}
BATCHES = {"full batch": None, "batch 4": 4, "batch 1": 1}


@pytest.fixture(scope="module")
def surface():
    return get_surface("linear_regression")


def result(config: dict, label: str = "run", color: str = PALETTE[0]) -> RunResult:
    return RunResult(label, color, config, run(config))


def arrays(entry: dict, name: str, shape=None) -> np.ndarray:
    return decode(entry[name], shape, entry["kinds"].get(name, "f4"))


def torch_loop(surface, start, steps: int, batch_size: int | None, seed: int, lr: float) -> dict[str, np.ndarray]:
    """SGD on nn.Linear(1, 1) + MSELoss (float32): per step the batch's rows, the gradient used, the full-data
    gradient at the same point (autograd in float64, on the data as given), and the epoch."""
    x, y = (torch.tensor(surface.data[k], dtype=torch.float32).unsqueeze(1) for k in ("x", "y"))
    x64, y64 = (torch.tensor(surface.data[k], dtype=torch.float64) for k in ("x", "y"))
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(start[0])
        model.bias.fill_(start[1])
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    rows = torch.arange(len(x))
    if batch_size is None:
        batches = [(rows, x, y, 0)] * steps
    else:
        loader = DataLoader(TensorDataset(rows, x, y), batch_size=batch_size, shuffle=True,
                            generator=torch.Generator().manual_seed(seed))
        batches, epoch = [], 0
        while len(batches) < steps:
            batches += [(*batch, epoch) for batch in loader]
            epoch += 1
    out = {"rows": [], "grad": [], "full_grad": [], "epoch": []}
    for rb, xb, yb, epoch in batches[:steps]:
        wb = torch.tensor([model.weight.item(), model.bias.item()], dtype=torch.float64, requires_grad=True)
        full = torch.mean((wb[0] * x64 + wb[1] - y64) ** 2)
        out["full_grad"].append(torch.autograd.grad(full, wb)[0].numpy())
        opt.zero_grad()
        torch.nn.MSELoss()(model(xb), yb).backward()
        out["grad"].append(np.array([model.weight.grad.item(), model.bias.grad.item()], dtype=np.float32))
        out["rows"].append(rb.numpy())
        out["epoch"].append(epoch)
        opt.step()
    return out


@pytest.mark.parametrize("label", list(BATCHES))
def test_gradients_batches_and_lines_equal_a_plain_torch_loop(surface, label):
    size, steps = BATCHES[label], 60
    r = result({**BASE, "steps": steps, "batch_size": size})
    entry = regression_entry(surface, r)
    oracle = torch_loop(surface, BASE["start"], steps, size, BASE["seed"], BASE["hparams"]["lr"])
    # the fitted line of step t is y = w·x + b at the run's (w, b), which tests/test_regression_exact.py checks
    xy = arrays(entry, "xy", (steps + 1, 2))
    np.testing.assert_array_equal(xy, r.traj.xy.astype(np.float32))
    x = surface.data["x"]
    lines = xy[:, :1] * x + xy[:, 1:]
    np.testing.assert_allclose(lines, r.traj.xy[:, :1] * x + r.traj.xy[:, 1:], rtol=1e-6)
    np.testing.assert_array_equal(arrays(entry, "grad", (steps, 2)), np.array(oracle["grad"]))
    np.testing.assert_allclose(arrays(entry, "full_grad", (steps, 2)), np.array(oracle["full_grad"]), rtol=1e-6,
                               atol=1e-7)
    if size is None:
        assert "batch" not in entry and "epochs" not in entry
        np.testing.assert_allclose(arrays(entry, "grad", (steps, 2)), arrays(entry, "full_grad", (steps, 2)),
                                   rtol=1e-4)  # the full batch's gradient is the full-data one
        return
    batch = arrays(entry, "batch", (steps, size))
    assert entry["batch_size"] == size and entry["kinds"]["batch"] == "u1"
    for t, rows in enumerate(oracle["rows"]):
        assert sorted(batch[t][batch[t] != 255]) == sorted(rows)  # 255 pads the epoch's last, smaller batch
    expected = [t for t in range(1, steps) if oracle["epoch"][t] != oracle["epoch"][t - 1]]
    per_epoch = -(-15 // size)
    assert arrays(entry, "epochs").tolist() == expected == list(range(per_epoch, steps, per_epoch))
    angles = [np.arccos(np.clip(g @ f / np.linalg.norm(g) / np.linalg.norm(f), -1, 1))
              for g, f in zip(oracle["grad"], oracle["full_grad"], strict=True)]
    assert max(angles) > 0.5  # a mini-batch's gradient is not the full one


def test_lbfgs_evaluated_points_equal_a_torch_closures_points(surface):
    config = {**BASE, "optimizer": "LBFGS", "hparams": {}, "steps": 5}
    entry = regression_entry(surface, result(config))
    x, y = (torch.tensor(surface.data[k], dtype=torch.float32).unsqueeze(1) for k in ("x", "y"))
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(BASE["start"][0])
        model.bias.fill_(BASE["start"][1])
    opt = torch.optim.LBFGS(model.parameters())
    points, steps = [], []
    for step in range(5):
        def closure():
            opt.zero_grad()
            loss = torch.nn.MSELoss()(model(x), y)
            loss.backward()
            points.append([model.weight.item(), model.bias.item()])
            steps.append(step)  # noqa: B023 (the closure runs within this step)
            return loss
        opt.step(closure)
    evaluated = arrays(entry, "evaluated", (-1, 2))
    assert len(evaluated) > 5  # more evaluations than steps
    np.testing.assert_array_equal(evaluated, np.array(points, dtype=np.float32))
    assert arrays(entry, "evaluated_step").tolist() == steps


def test_the_layer_adds_the_data_to_the_contours_under_a_key_of_its_own(surface):
    layer, plain = regression_layer(surface), surface_layer(surface)
    np.testing.assert_array_equal(decode(layer["data_x"]), surface.data["x"].astype(np.float32))
    np.testing.assert_array_equal(decode(layer["data_y"]), surface.data["y"].astype(np.float32))
    assert layer["lines"] == plain["lines"] and layer["bounds"] == plain["bounds"]
    assert layer["key"] != plain["key"] and regression_layer(surface)["key"] == layer["key"]
    other = get_surface("linear_regression", {"x": [1.0, 2.0, 3.0], "y": [2.0, 4.1, 5.9], "standardize": False})
    assert regression_layer(other)["key"] != layer["key"]


def test_one_arrow_scale_per_run_from_its_gradients(surface):
    r = result({**BASE, "steps": 60, "batch_size": 1})
    entry = regression_entry(surface, r)
    (w0, w1), (b0, b1) = surface.bounds
    diagonal = np.hypot(w1 - w0, b1 - b0)
    lengths = np.hypot(*np.concatenate([arrays(entry, "grad", (60, 2)), arrays(entry, "full_grad", (60, 2))]).T)
    arrow, reference = entry["arrow"], payload.ARROW_FRACTION * diagonal
    assert arrow["scale"] * np.quantile(lengths, payload.ARROW_QUANTILE) == pytest.approx(reference, rel=1e-5)
    assert arrow["max"] == pytest.approx(payload.ARROW_CAP * reference)
    assert arrow["min"] == pytest.approx(payload.ARROW_MIN * diagonal)
    assert arrow_lengths([np.zeros((3, 2)), np.full((3, 2), np.nan)], diagonal) is None  # nothing to draw


def test_a_diverged_run_keeps_its_finite_part(surface):
    r = result({**BASE, "steps": 200, "hparams": {"lr": 0.05}})
    entry = regression_entry(surface, r)
    end = r.traj.diverged_at
    assert end is not None and entry["end"] == end and entry["diverged"] == end
    full = arrays(entry, "full_grad", (200, 2))
    assert np.isfinite(full[:end - 1]).all()
    json.dumps(entry, allow_nan=False)  # every non-finite value is inside the typed arrays


def test_payload_grows_linearly_with_the_steps(surface):
    sizes = [len(json.dumps([regression_entry(surface, result({**BASE, "steps": steps, "batch_size": size}))
                             for size in BATCHES.values()])) for steps in (300, 600)]
    assert 1.9 < sizes[1] / sizes[0] < 2.1
    assert sizes[0] < 50_000  # three runs of 300 steps (the plotly figure with frames was ≈ 500 KB)


def test_long_runs_ring_the_batches_of_their_first_steps_only(surface, monkeypatch):
    assert payload.MAX_BATCH_INDICES >= 10_000 * 15  # the course's 15 rows: the page's longest run is all ringed
    monkeypatch.setattr(payload, "MAX_BATCH_INDICES", 40)
    entry = regression_entry(surface, result({**BASE, "steps": 30, "batch_size": 4}))
    assert len(arrays(entry, "batch")) == 40  # 10 steps of 4


def test_several_starts_are_refused(surface):
    r = RunResult("two", PALETTE[0], {}, run({**BASE, "steps": 5, "start": [[0.0, 0.0], [1.0, 1.0]]}))
    with pytest.raises(ValueError, match="single-start"):
        regression_entry(surface, r)


def test_the_entry_is_the_players_run_entry_with_more_arrays(surface):
    r = result({**BASE, "steps": 20, "batch_size": 4})
    entry, plain = regression_entry(surface, r), run_entry_of(r.label, r.color, r.config, r.traj)
    assert {k: entry[k] for k in plain if k not in ("arrays", "kinds")} == {k: v for k, v in plain.items()
                                                                              if k not in ("arrays", "kinds")}
    assert set(entry["arrays"]) == {"xy", "loss", "lr", "grad", "full_grad", "batch", "epochs"}
