"""The generated PyTorch code, executed: its `positions` must equal the engine's trajectory."""

import ast
import re

import numpy as np
import pytest
import torch

import surfaces.formula as formula_module
from optimizers import OPTIMIZERS, PRESETS, SCHEDULERS, run
from optimizers.codegen import torch_code
from surfaces import SURFACES, validate_surface
from surfaces.formula import formula_code

STEPS = 30
ALLOWED_IMPORTS = {"torch", "math", "torch.utils.data"}


def imported_modules(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module)
    return names


def assert_reproduces(config: dict) -> str:
    """Parse and execute the generated code; its positions equal run(config).xy (up to a divergence)."""
    code = torch_code(config)
    tree = ast.parse(code)
    assert imported_modules(tree) <= ALLOWED_IMPORTS, code
    namespace = {}
    exec(compile(tree, "<generated>", "exec"), namespace)  # our own generated text, in a test
    traj = run(config)
    xy = traj.xy if traj.xy.ndim == 2 else traj.xy[:, 0]
    diverged = traj.diverged_at if not isinstance(traj.diverged_at, list) else traj.diverged_at[0]
    positions = namespace["positions"]
    assert positions.dtype == (torch.float64 if config.get("dtype") == "float64" else torch.float32)
    assert positions.shape == xy.shape
    np.testing.assert_allclose(positions.numpy()[:diverged], xy[:diverged], rtol=1e-6, atol=1e-6, err_msg=code)
    return code


def rosenbrock(optimizer: str, hparams: dict, steps: int = STEPS, **extra) -> dict:
    return {"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": steps, "optimizer": optimizer,
            "hparams": hparams, **extra}


# every optimizer with (at least) one hyperparameter away from torch's default
NON_DEFAULT = {
    "SGD": {"lr": 1e-3, "momentum": 0.5},
    "Adagrad": {"lr": 0.1, "lr_decay": 0.01},
    "RMSprop": {"lr": 0.01, "centered": True},
    "Adam": {"lr": 0.01, "betas": [0.9, 0.99]},
    "AdamW": {"lr": 0.05, "weight_decay": 0.1},
    "Adamax": {"lr": 0.05, "eps": 1e-6},
    "NAdam": {"lr": 0.05, "momentum_decay": 0.01},
    "RAdam": {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
    "Adadelta": {"rho": 0.8},
    "ASGD": {"lr": 1e-3, "t0": 10.0},
    "Rprop": {"etas": [0.4, 1.3]},
    "Adafactor": {"lr": 0.05, "d": 2.0, "eps": [1e-6, 1e-2]},
    "LBFGS": {"lr": 0.5, "max_iter": 5},
}


def test_every_optimizer_has_a_case():
    assert set(NON_DEFAULT) == set(OPTIMIZERS)


@pytest.mark.parametrize("name", NON_DEFAULT)
def test_every_optimizer_on_rosenbrock(name):
    assert_reproduces(rosenbrock(name, NON_DEFAULT[name], steps=5 if name == "LBFGS" else STEPS))


def test_lbfgs_with_line_search_and_clipping():
    code = assert_reproduces(rosenbrock("LBFGS", {"line_search_fn": "strong_wolfe"}, steps=5, clip_grad_norm=10.0))
    assert 'line_search_fn="strong_wolfe"' in code and "optimizer.step(closure)" in code


@pytest.mark.parametrize("name", PRESETS)
def test_presets(name):
    code = assert_reproduces(rosenbrock(name, {"lr": 1e-3}))
    base, preset = PRESETS[name]
    assert f"torch.optim.{base}([p], lr=0.001, " in code and f"# {name} is {base} with" in code


SCHEDULER_CASES = {
    "StepLR": {"step_size": 7, "gamma": 0.5},
    "MultiStepLR": {"milestones": [5, 15], "gamma": 0.3},
    "ExponentialLR": {"gamma": 0.9},
    "CosineAnnealingLR": {"T_max": 10, "eta_min": 1e-4},
    "CosineAnnealingWarmRestarts": {"T_0": 5, "T_mult": 2},
    "LinearLR": {"start_factor": 0.1, "total_iters": 10},
    "ConstantLR": {"factor": 0.5, "total_iters": 8},
    "PolynomialLR": {"total_iters": 20, "power": 2.0},
    "OneCycleLR": {"max_lr": 0.05},
    "CyclicLR": {"base_lr": 0.001, "max_lr": 0.05, "step_size_up": 5},
    "ReduceLROnPlateau": {"patience": 2, "factor": 0.5, "threshold": 0.1},
    "SequentialLR": {"schedulers": [{"name": "LinearLR", "params": {"start_factor": 0.1, "total_iters": 5}},
                                    {"name": "CosineAnnealingLR", "params": {"T_max": 25}}],
                     "milestones": [5]},
}
BOWL = {"surface": "bowl", "surface_params": {"condition": 5.0, "rotation": 20.0}, "start": [0.5, -0.5],
        "steps": STEPS}


def test_every_scheduler_has_a_case():
    assert set(SCHEDULER_CASES) == set(SCHEDULERS)


@pytest.mark.parametrize("optimizer", ["Adam", "Momentum"])
@pytest.mark.parametrize("scheduler", SCHEDULER_CASES)
def test_every_scheduler_on_the_bowl(scheduler, optimizer):
    assert_reproduces({**BOWL, "optimizer": optimizer, "hparams": {"lr": 0.01}, "scheduler": scheduler,
                       "scheduler_params": SCHEDULER_CASES[scheduler]})


def test_scheduler_keywords():
    code = torch_code({**BOWL, "optimizer": "Adam", "scheduler": "OneCycleLR", "scheduler_params": {"max_lr": 0.1}})
    assert "torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=30)\n" in code
    code = torch_code({**BOWL, "optimizer": "Adam", "scheduler": "ReduceLROnPlateau"})
    assert "ReduceLROnPlateau(optimizer)\n" in code and "scheduler.step(loss.item())" in code


@pytest.mark.parametrize("clip", [{"clip_grad_norm": 0.5}, {"clip_grad_value": 0.2},
                                  {"clip_grad_norm": 0.5, "clip_grad_value": 0.2}])
def test_clipping(clip):
    code = assert_reproduces(rosenbrock("Adam", {"lr": 0.01}, **clip))
    if len(clip) == 2:  # value first, then norm, as the engine does
        assert code.index("clip_grad_value_([p], clip_value=0.2)") < code.index("clip_grad_norm_([p], max_norm=0.5)")


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
@pytest.mark.parametrize("multipliers", [[1.0, 10.0], [0.5, 2.0]])
def test_parameter_groups(optimizer, multipliers):
    assert_reproduces(rosenbrock(optimizer, {"lr": 1e-3}, lr_multipliers=multipliers, clip_grad_norm=5.0))


@pytest.mark.parametrize("scheduler", ["OneCycleLR", "CyclicLR", "SequentialLR"])
def test_parameter_groups_with_absolute_lr_schedulers(scheduler):
    code = assert_reproduces({**BOWL, "optimizer": "Adam", "hparams": {"lr": 0.01}, "lr_multipliers": [1.0, 2.0],
                              "scheduler": scheduler, "scheduler_params": SCHEDULER_CASES[scheduler]})
    if scheduler == "OneCycleLR":
        assert "OneCycleLR(optimizer, max_lr=[0.05, 0.1], total_steps=30)" in code


def test_parameter_groups_text():
    code = torch_code(rosenbrock("SGD", {"lr": 0.01}, lr_multipliers=[1.0, 10.0]))
    assert 'optimizer = torch.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.1}], lr=0.01)' in code
    code = torch_code(rosenbrock("SGD", {"lr": 0.01}, lr_multipliers=[0.5, 1.0]))
    assert '[{"params": [w], "lr": 0.005}, {"params": [b]}]' in code
    assert "positions.append(torch.cat([w, b]).detach().clone())" in code


SURFACE_CASES = [(key, {}) for key in SURFACES] + [
    ("rosenbrock", {"a": 2.0, "b": 10.0}),
    ("bowl", {"condition": 50.0, "rotation": -35.0}),
    ("rastrigin", {"A": 3.0}),
]


def test_every_surface_has_code():
    for key, spec in SURFACES.items():
        assert spec.code(validate_surface(key, {}))[-1].startswith("return "), key


@pytest.mark.parametrize(("key", "params"), SURFACE_CASES, ids=lambda v: v if isinstance(v, str) else str(v))
def test_every_surface(key, params):
    assert_reproduces({"surface": key, "surface_params": params, "steps": STEPS, "optimizer": "Adam",
                       "hparams": {"lr": 0.05}})


FORMULAS = [
    "sin(x)*cos(y) + 0.1*(x^2+y^2)",
    "x^2 + 3*y^2 - e^(-x)",
    "sigmoid(x) * tanh(y) + abs(x - 1) + sqrt(y^2 + 1) + log(x^2 + 2)",
    "-x^2*y - -y + (x - (y - 1))/(2*pi) + x*(y*0.3) + 2^(x/3) + exp(-y^2)",
    "sqrt(2)*x^2 + sigmoid(1)*y^2 + 2^3^0.5*x + tan(1/7)*y + 1e-3*x**4",
    "x^2 + y^2 + 10^2 * 0 + -0*x",
    "3",
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_custom_formulas(formula):
    assert_reproduces({"surface": "custom", "surface_params": {"formula": formula}, "start": [1.3, -0.7],
                       "steps": STEPS, "optimizer": "Adam", "hparams": {"lr": 0.05}})


@pytest.mark.parametrize(("text", "code"), [
    ("x^2", "x ** 2"),
    ("x**2.5", "x ** 2.5"),
    ("-x^2", "-x ** 2"),
    ("-x*y", "-x * y"),
    ("(x*y)^2", "(x * y) ** 2"),
    ("x^y^2", "x ** y ** 2"),
    ("(x^y)^2", "(x ** y) ** 2"),
    ("x - (y - 1)", "x - (y - 1)"),
    ("x - y - 1", "x - y - 1"),
    ("x * (y * 2)", "x * (y * 2)"),
    ("x / y / 2", "x / y / 2"),
    ("-(x + y)", "-(x + y)"),
    ("- -x", "-(-x)"),
    ("+x", "x"),
    ("e^(-x)", "math.e ** -x"),
    ("2*pi*x", "2 * math.pi * x"),
    ("sin(x) + sigmoid(y)", "torch.sin(x) + torch.sigmoid(y)"),
    ("(x - 1)^-2", "(x - 1) ** -2"),
    ("x * 2^3^2", "x * 2 ** 3 ** 2"),
    ("x * (-8)^(1/3)", "x * math.nan"),  # Python would give a complex number: print torch's value
])
def test_formula_translation(text, code):
    assert formula_code(formula_module._parse(text))[0] == code


def test_formula_functions_are_torch_functions():
    for name, fn in formula_module._FUNCTIONS.items():
        assert getattr(torch, name) is fn


def test_formula_text_only_in_a_comment():
    code = torch_code({"surface": "custom", "surface_params": {"formula": "x^2 +\n y^2"}, "steps": 3,
                       "optimizer": "SGD"})
    assert "# Your formula: f(x, y) = x^2 + y^2\n" in code
    ast.parse(code)


REGRESSION = {"surface": "linear_regression", "steps": STEPS, "optimizer": "SGD", "hparams": {"lr": 0.01}}


@pytest.mark.parametrize("extra", [
    {},
    {"batch_size": 1, "seed": 0},
    {"batch_size": 4, "seed": 3},
    {"batch_size": 4, "seed": 3, "optimizer": "Adam", "lr_multipliers": [1.0, 5.0]},
    {"standardize": True},
    {"standardize": True, "batch_size": 2, "seed": 1},
    {"data": True, "batch_size": 3, "seed": 5},
    {"dtype": "float64", "batch_size": 4},
    {"optimizer": "LBFGS", "hparams": {"max_iter": 5}, "steps": 5, "batch_size": 4},
    {"scheduler": "ReduceLROnPlateau", "scheduler_params": {"patience": 1}, "batch_size": 5},
], ids=str)
def test_linear_regression(extra):
    extra = dict(extra)
    params = {"standardize": extra.pop("standardize", False)}
    if extra.pop("data", False):
        params |= {"x": [0.0, 1.0, 2.5, 3.0, -1.0, 4.0, 2.0], "y": [1.0, 2.9, 6.1, 7.2, -1.1, 9.0, 5.0]}
    code = assert_reproduces({**REGRESSION, "surface_params": params, **extra})
    if "batch_size" in extra:
        assert (f"DataLoader(dataset, batch_size={extra['batch_size']}, shuffle=True,\n"
                f"                    generator=torch.Generator().manual_seed({extra.get('seed', 0)}))") in code
    if params["standardize"]:
        assert "X = ((X - X.mean()) / X.std(correction=0)).float()" in code


def test_long_data_is_written_out_and_wrapped():
    x = [i / 7 for i in range(80)]
    config = {**REGRESSION, "surface_params": {"x": x, "y": [2 * v + 1 for v in x]}, "steps": 10}
    code = assert_reproduces(config)
    assert all(len(line) <= 110 for line in code.splitlines())
    assert all(repr(v) in code for v in x)


@pytest.mark.parametrize("optimizer", ["Adam", "LBFGS"])
def test_float64(optimizer):
    code = assert_reproduces(rosenbrock(optimizer, {"lr": 0.01} if optimizer == "Adam" else {},
                                        steps=5 if optimizer == "LBFGS" else STEPS, dtype="float64"))
    assert "torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)" in code


def test_a_diverging_run_matches_until_it_diverges():
    config = {"surface": "bowl", "steps": STEPS, "optimizer": "SGD", "hparams": {"lr": 5.0}}
    assert run(config).diverged_at is not None
    assert_reproduces(config)


def test_several_starts_follow_the_first():
    code = assert_reproduces(rosenbrock("Adam", {"lr": 0.01}, start=[[0.5, 0.5], [-1.0, 1.0]]))
    assert "torch.tensor([0.5, 0.5], requires_grad=True)" in code
    assert "# The run has 2 starts; this code follows the first one" in code


def test_constructor_shows_lr_and_only_non_defaults():
    code = torch_code(rosenbrock("Adam", {"lr": 0.01, "betas": [0.9, 0.99]}))
    assert "optimizer = torch.optim.Adam([p], lr=0.01, betas=(0.9, 0.99))\n" in code
    assert "optimizer = torch.optim.Adam([p], lr=0.001)\n" in torch_code(rosenbrock("Adam", {}))
    code = torch_code(rosenbrock("Adam", {"lr": 0.1 + 0.2, "eps": 1e-8, "amsgrad": True}))
    assert "torch.optim.Adam([p], lr=0.30000000000000004, amsgrad=True)" in code


def test_the_documented_step_order():
    code = torch_code(rosenbrock("Adam", {"lr": 0.01}, clip_grad_value=1.0, scheduler="StepLR",
                                 scheduler_params={"step_size": 5}))
    order = ["optimizer.zero_grad()", "loss = f(p)", "loss.backward()", "clip_grad_value_", "optimizer.step()",
             "scheduler.step()", "positions.append"]
    positions = [code.index(s) for s in order]
    assert positions == sorted(positions)
    assert code.startswith("# Optimizer Playground: Adam on Rosenbrock")
    assert "import math" not in code


@pytest.mark.parametrize("config", [
    {"surface": "linear_regression", "steps": 5, "optimizer": "LBFGS", "batch_size": 4,
     "surface_params": {"standardize": True}},
    {"surface": "custom", "start": [[0.5, 0.5], [1.0, 1.0]], "steps": 3, "optimizer": "Nesterov",
     "surface_params": {"formula": "x^2 + y^2"}, "lr_multipliers": [1.0, 2.0]}])
def test_the_scripts_comments_follow_the_pages_language(config):
    """The same code with its comments in the reader's language (Chinese: every comment of ours has Chinese)."""
    english, chinese = torch_code(config, "en"), torch_code(config, "zh")
    strip = lambda code: [line.split("#")[0].rstrip() for line in code.splitlines()]  # noqa: E731
    assert strip(english) == strip(chinese) and english != chinese
    comments = [line.split("#", 1)[1] for line in chinese.splitlines() if "#" in line]
    ours = [c for c in comments if not re.fullmatch(r"[\s\w.:,()]*", c)]  # a surface's own: torch's names alone
    assert ours and all(re.search(r"[\u4e00-\u9fff]", comment) for comment in ours), ours
    words = [c for c in comments if re.search(r"(?<![\w.])[A-Za-z]{3,}(?![\w.(])", c.replace("torch.", ""))
             and not re.search(r"[\u4e00-\u9fff]", c)]  # an English word outside a name (.weight, Linear(…))
    assert not words, words
