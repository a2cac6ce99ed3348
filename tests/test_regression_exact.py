"""The regression surface is `nn.Linear(1, 1)` + `nn.MSELoss()`, bit for bit, in the engine and in the generated code.

The oracle is the loop a student writes: a model, the criterion, a torch.optim optimizer, and (for
mini-batches) a seeded, shuffling DataLoader.  Positions, gradients and losses must be *equal*, for one
start and for several starts or several runs stacked into one (n, 2) parameter.
"""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from optimizers import run, run_many
from optimizers.codegen import torch_code
from surfaces import get_surface
from surfaces.regression import COURSE_START, COURSE_X, COURSE_Y, dot_rows

DTYPES = {"float32": torch.float32, "float64": torch.float64}
OPTIMIZERS = [("SGD", {"lr": 0.01}), ("SGD", {"lr": 0.01, "momentum": 0.9}), ("RMSprop", {"lr": 0.01}),
              ("Adam", {"lr": 0.05})]
IDS = ["SGD", "Momentum", "RMSprop", "Adam"]
STARTS = [list(COURSE_START), [-1.25, 2.5], [3.0, -0.75]]
RANDOM = np.random.default_rng(7)
LONG_X = RANDOM.normal(5, 3, 300).round(3).tolist()  # longer than the 255 products torch.mm sums one by one
LONG_Y = [0.4 * v + 0.8 + e for v, e in zip(LONG_X, RANDOM.normal(0, 0.5, 300).round(3), strict=True)]


def columns(x, y, standardize: bool, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """The data as the student loads them: (n, 1) columns; standardized with numpy in float64."""
    x = np.array(x, dtype=np.float64)
    if standardize:
        x = (x - x.mean()) / x.std()
    return (torch.tensor(x, dtype=dtype).unsqueeze(1), torch.tensor(y, dtype=torch.float64).to(dtype).unsqueeze(1))


def linear_loop(start, steps, optimizer, hparams, batch_size=None, seed=0, x=COURSE_X, y=COURSE_Y,
                standardize=False, dtype="float32", lr_multipliers=None) -> dict[str, np.ndarray]:
    """nn.Linear(1, 1) + nn.MSELoss() + torch.optim: positions, gradients, and the full-data loss at each position.

    `lr_multipliers`: the weight and the bias in two parameter groups, with lr scaled by these."""
    X, Y = columns(x, y, standardize, DTYPES[dtype])
    model = torch.nn.Linear(1, 1).to(DTYPES[dtype])
    with torch.no_grad():
        model.weight.fill_(start[0])
        model.bias.fill_(start[1])
    criterion = torch.nn.MSELoss()
    params = model.parameters() if lr_multipliers is None else [
        {"params": [model.weight], "lr": hparams["lr"] * lr_multipliers[0]},
        {"params": [model.bias], "lr": hparams["lr"] * lr_multipliers[1]}]
    opt = getattr(torch.optim, optimizer)(params, **hparams)
    if batch_size is None:
        batches = [(X, Y)] * steps
    else:
        loader = DataLoader(TensorDataset(X, Y), batch_size=batch_size, shuffle=True,
                            generator=torch.Generator().manual_seed(seed))
        batches = []
        while len(batches) < steps:
            batches += list(loader)
    position = lambda: torch.cat([model.weight.detach().flatten(), model.bias.detach()])  # noqa: E731
    xy, grads, losses = [position()], [], []
    for xb, yb in batches[:steps]:
        with torch.no_grad():
            losses.append(criterion(model(X), Y))
        opt.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        grads.append(torch.cat([model.weight.grad.flatten(), model.bias.grad]))
        opt.step()
        xy.append(position())
    with torch.no_grad():
        losses.append(criterion(model(X), Y))
    return {"xy": torch.stack(xy).numpy(), "grad": torch.stack(grads).numpy(), "loss": torch.stack(losses).numpy()}


def config(optimizer, hparams, start=STARTS[0], steps=60, standardize=False, x=None, y=None, **extra) -> dict:
    return {"surface": "linear_regression", "surface_params": {"standardize": standardize, "x": x, "y": y},
            "start": start, "steps": steps, "optimizer": optimizer, "hparams": hparams, **extra}


def assert_equal(traj, expected, row=None):
    for key in ("xy", "grad", "loss"):
        got = getattr(traj, key) if row is None else getattr(traj, key)[:, row]
        assert np.array_equal(got, expected[key]), (key, np.flatnonzero(got != expected[key])[:5])


CASES = [{}, {"batch_size": 4, "seed": 3}, {"batch_size": 1, "seed": 0}, {"standardize": True, "batch_size": 2},
         {"x": LONG_X, "y": LONG_Y}, {"x": LONG_X, "y": LONG_Y, "batch_size": 64, "seed": 1}, {"dtype": "float64"}]
CASE_IDS = ["full", "batch4", "batch1", "standardized", "300rows", "300rows-batch64", "float64"]


def oracle_kwargs(case: dict) -> dict:
    return {k: v for k, v in case.items() if v is not None}


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@pytest.mark.parametrize(("optimizer", "hparams"), OPTIMIZERS, ids=IDS)
def test_one_start_is_nn_linear_bit_for_bit(optimizer, hparams, case):
    traj = run(config(optimizer, hparams, **case))
    assert_equal(traj, linear_loop(STARTS[0], 60, optimizer, hparams, **oracle_kwargs(case)))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@pytest.mark.parametrize(("optimizer", "hparams"), OPTIMIZERS, ids=IDS)
def test_several_starts_are_each_nn_linear_bit_for_bit(optimizer, hparams, case):
    """The starts share one (3, 2) parameter: each row is still its own model's loop."""
    traj = run(config(optimizer, hparams, start=STARTS, **case))
    for row, start in enumerate(STARTS):
        assert_equal(traj, linear_loop(start, 60, optimizer, hparams, **oracle_kwargs(case)), row)


@pytest.mark.parametrize("case", CASES[:2] + CASES[6:], ids=CASE_IDS[:2] + CASE_IDS[6:])
@pytest.mark.parametrize(("optimizer", "hparams"), OPTIMIZERS[1:4:2], ids=IDS[1:4:2])
def test_many_starts_are_each_nn_linear_bit_for_bit(optimizer, hparams, case):
    """49 starts: more rows than data points, where dL/dw is summed for all rows at once."""
    starts = [[w / 2, b / 2] for w in range(-3, 4) for b in range(-3, 4)]
    traj = run(config(optimizer, hparams, start=starts, **case))
    for row in range(0, 49, 6):
        assert_equal(traj, linear_loop(starts[row], 60, optimizer, hparams, **oracle_kwargs(case)), row)


@pytest.mark.parametrize("case", CASES[:2] + CASES[4:5], ids=CASE_IDS[:2] + CASE_IDS[4:5])
def test_runs_stepped_in_lock_step_are_each_nn_linear_bit_for_bit(case):
    """run_many stacks the four optimizers' runs (one with two starts) into one forward/backward."""
    configs = [config(name, hp, start=STARTS[k % 3], **case) for k, (name, hp) in enumerate(OPTIMIZERS)]
    configs[1] = config(*OPTIMIZERS[1], start=STARTS[:2], **case)
    trajectories = run_many(configs)
    for c, traj in zip(configs, trajectories, strict=True):
        starts = c["start"] if isinstance(c["start"][0], list) else [c["start"]]
        for row, start in enumerate(starts):
            expected = linear_loop(start, 60, c["optimizer"], c["hparams"], **oracle_kwargs(case))
            assert_equal(traj, expected, row if len(starts) > 1 else None)


def test_the_loss_and_gradient_equal_nn_linear_at_random_points():
    """2,000 random (w, b), evaluated one at a time and all stacked into one (2000, 2) parameter."""
    generator = torch.Generator().manual_seed(0)
    points = torch.rand(2000, 2, generator=generator) * 4 - 2
    X, Y = columns(COURSE_X, COURSE_Y, False, torch.float32)
    model, criterion = torch.nn.Linear(1, 1), torch.nn.MSELoss()
    expected_loss, expected_grad = [], []
    for w, b in points.tolist():
        with torch.no_grad():
            model.weight.fill_(w)
            model.bias.fill_(b)
        model.zero_grad()
        loss = criterion(model(X), Y)
        loss.backward()
        expected_loss.append(loss.detach())
        expected_grad.append(torch.cat([model.weight.grad.flatten(), model.bias.grad]))
    fn = get_surface("linear_regression").fn
    stacked = points.clone().requires_grad_()
    losses = fn(stacked)
    losses.sum().backward()
    assert torch.equal(losses.detach(), torch.stack(expected_loss))
    assert torch.equal(stacked.grad, torch.stack(expected_grad))
    one = points[123].clone().requires_grad_()
    fn(one).backward()
    assert torch.equal(one.grad, expected_grad[123])


def test_parameter_groups_are_nn_linear_bit_for_bit():
    """w and b in two groups with their own lr (the page's "separate learning rates")."""
    case = {"lr_multipliers": [1.0, 10.0], "batch_size": 4, "seed": 2}
    assert_equal(run(config("Adam", {"lr": 0.01}, **case)), linear_loop(STARTS[0], 60, "Adam", {"lr": 0.01}, **case))


@pytest.mark.parametrize(("optimizer", "hparams"), OPTIMIZERS, ids=IDS)
@pytest.mark.parametrize("case", [{}, {"batch_size": 4, "seed": 3}, {"standardize": True}, {"dtype": "float64"},
                                  {"lr_multipliers": [1.0, 10.0]}], ids=str)
def test_generated_code_is_nn_linear_bit_for_bit(optimizer, hparams, case):
    namespace = {}
    exec(torch_code(config(optimizer, hparams, **case)), namespace)
    expected = linear_loop(STARTS[0], 60, optimizer, hparams, **oracle_kwargs(case))
    assert np.array_equal(namespace["positions"].numpy(), expected["xy"])


def one_mm_per_row(g: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """What nn.Linear's backward computes for each row alone: (1, n) @ (n, 1)."""
    return torch.stack([(row[None] @ x[:, None]).view(()) for row in g])


@pytest.mark.parametrize("n", [1, 2, 4, 15, 64, 255, 256, 300])
@pytest.mark.parametrize("rows", [1, 7, 1100])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_dot_rows_is_one_mm_per_row(n, rows, dtype):
    generator = torch.Generator().manual_seed(n * rows)
    g = torch.randn(rows, n, generator=generator, dtype=dtype) * torch.logspace(-3, 3, rows, dtype=dtype)[:, None]
    x = torch.randn(n, generator=generator, dtype=dtype) * 4
    assert torch.equal(dot_rows(g, x), one_mm_per_row(g, x))


def test_dot_rows_rounds_each_step_once():
    """1 + 2⁻²³ + (2⁻²⁴ − 2⁻⁶⁰) is 1 + 2⁻²³ rounded once; rounding the product first gives the midpoint
    1 + 2⁻²³ + 2⁻²⁴, then 1 + 2⁻²² (to even).  Products near 1e-39 are float32 subnormal numbers.  Many rows."""
    once = torch.tensor([[1 + 2 ** -23, 1 + 2 ** -18]] * 50), torch.tensor([1.0, 2 ** -24 * (1 - 2 ** -18)])
    tiny = torch.randn(50, 3, generator=torch.Generator().manual_seed(1)) * 1e-20, torch.tensor([1e-19, -3e-19, 2e-20])
    for g, x in (once, tiny):
        assert torch.equal(dot_rows(g, x), one_mm_per_row(g, x))
    assert dot_rows(*once)[0].item() == 1 + 2 ** -23
