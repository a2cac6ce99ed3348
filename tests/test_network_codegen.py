"""The generated PyTorch script of a network run, executed: its final weights and printed losses are the engine's."""

from __future__ import annotations

import ast
import contextlib
import io

import numpy as np
import pytest
import torch
from test_codegen import imported_modules
from torch.nn.utils import parameters_to_vector

from optimizers import run
from optimizers.codegen import torch_code

ALLOWED_IMPORTS = {"numpy", "torch", "torch.utils.data"}


def assert_reproduces(config: dict, lang: str = "en") -> str:
    """Execute the generated script: its model's final weights equal the run's last weights bit for bit, and what
    it prints (training and test loss and accuracy) equals the run's last values."""
    code = torch_code(config, lang)
    tree = ast.parse(code)
    assert imported_modules(tree) <= ALLOWED_IMPORTS, code
    namespace: dict = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(tree, "<generated>", "exec"), namespace)  # our own generated text, in a test
    traj = run(config)
    assert traj.diverged_at is None and traj.stopped_at is None
    weights = parameters_to_vector(namespace["model"].parameters()).detach().numpy()
    assert weights.dtype == (np.float64 if config.get("dtype") == "float64" else np.float32)
    np.testing.assert_array_equal(weights, traj.params[-1], err_msg=code)
    values = dict(line.split(": ") for line in printed.getvalue().splitlines())
    assert float(values["training loss"]) == traj.loss[-1]
    assert float(values["training accuracy"]) == traj.accuracy[-1]
    if "test loss" in values:
        np.testing.assert_allclose(float(values["test loss"]), traj.test_loss[-1], rtol=1e-6)
        assert float(values["test accuracy"]) == traj.test_accuracy[-1]
    return code


def net(optimizer: str, hparams: dict, steps: int = 40, network: dict | None = None, **extra) -> dict:
    return {"network": {"dataset": "moons", "n": 160, "hidden": [12, 8], **(network or {})}, "steps": steps,
            "optimizer": optimizer, "hparams": hparams, **extra}


def test_full_batch_adam():
    code = assert_reproduces(net("Adam", {"lr": 0.01}))
    assert "torch.manual_seed(0)" in code and "nn.Linear(2, 12), nn.ReLU()," in code
    assert "optimizer = torch.optim.Adam(model.parameters(), lr=0.01)" in code
    assert "def make_points(" in code and "def split(" in code


def test_the_courses_parameter_groups_scheduler_clipping_and_mini_batches():
    code = assert_reproduces(net("Momentum", {"lr": 0.1}, lr_multipliers=[1.0, 0.1], scheduler="StepLR",
                                 scheduler_params={"step_size": 10, "gamma": 0.5}, batch_size=16, seed=3,
                                 clip_grad_norm=1.0, clip_grad_value=0.5))
    assert '{"params": model[:-1].parameters()},' in code and '{"params": model[-1].parameters(), "lr": ' in code
    assert "DataLoader(TensorDataset(X, Y), batch_size=16, shuffle=True," in code
    assert "manual_seed(3)" in code and "# Momentum is SGD with momentum=0.9." in code


@pytest.mark.parametrize(("optimizer", "hparams", "extra"), [
    ("SGD", {"lr": 0.2, "momentum": 0.9, "nesterov": True}, {}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1}, {"scheduler": "OneCycleLR", "scheduler_params": {"max_lr": 0.05},
                                                   "lr_multipliers": [2.0, 0.5]}),
    ("RMSprop", {"lr": 0.01}, {"scheduler": "ReduceLROnPlateau", "scheduler_params": {"patience": 1}}),
    ("Adagrad", {"lr": 0.1}, {"batch_size": 1}),
    ("LBFGS", {"lr": 1.0, "max_iter": 4, "line_search_fn": "strong_wolfe"}, {"steps": 6}),
])
def test_optimizers_and_schedulers(optimizer, hparams, extra):
    code = assert_reproduces(net(optimizer, hparams, **extra))
    if optimizer == "LBFGS":
        assert "optimizer.step(closure)" in code


@pytest.mark.parametrize("dataset", ["circles", "xor", "spiral3", "blobs"])
def test_data_sets_activations_and_depths(dataset):
    hidden = {"circles": [], "xor": [6], "spiral3": [8, 8, 8], "blobs": [5]}[dataset]
    activation = {"circles": "ReLU", "xor": "Tanh", "spiral3": "GELU", "blobs": "Sigmoid"}[dataset]
    assert_reproduces(net("Adam", {"lr": 0.02}, network={"dataset": dataset, "hidden": hidden,
                                                         "activation": activation, "init_seed": 5, "data_seed": 2}))


def test_float64_and_no_test_set():
    code = assert_reproduces(net("Adam", {"lr": 0.01}, dtype="float64", network={"test_fraction": 0.0}))
    assert ").double()" in code


def test_custom_points_written_out():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(30, 2))
    points = {"x1": x[:, 0].tolist(), "x2": x[:, 1].tolist(), "label": (x.sum(1) > 0).astype(int).tolist()}
    code = assert_reproduces(net("Adam", {"lr": 0.05}, network={"points": points}))
    assert "def make_points(" not in code and "x = np.c_[x1, x2].astype(np.float32)" in code


def test_comments_in_the_users_language():
    config = net("Adam", {"lr": 0.01}, lr_multipliers=[1.0, 0.5])
    zh = assert_reproduces(config, "zh")
    assert "参数组" in zh and "训练" in zh.splitlines()[0]
    assert zh.replace("\n", "") != torch_code(config, "en").replace("\n", "")


def test_a_network_script_runs_in_a_fresh_interpreter(tmp_path):
    """Standalone: nothing from this project is imported."""
    import subprocess
    import sys

    config = net("Adam", {"lr": 0.01}, steps=20)
    script = tmp_path / "train.py"
    script.write_text(torch_code(config), encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True, cwd=tmp_path,
                         timeout=120).stdout
    assert float(dict(line.split(": ") for line in out.splitlines())["training loss"]) == run(config).loss[-1]
    assert torch.get_default_dtype() == torch.float32
