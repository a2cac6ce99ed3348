"""Surfaces: declared minima are minima, bounds hold them, regression matches least squares."""

import ast
import pathlib
import re

import numpy as np
import pytest
import torch

from schema import ConfigError
from surfaces import SURFACES, get_surface
from surfaces.regression import COURSE_START, COURSE_X, COURSE_Y
from texts import LANGUAGES

BUILT = [(key, get_surface(key)) for key in SURFACES] + [
    ("rosenbrock a=-0.5 b=10", get_surface("rosenbrock", {"a": -0.5, "b": 10.0})),
    ("bowl κ=100 θ=35", get_surface("bowl", {"condition": 100.0, "rotation": 35.0})),
    ("rastrigin A=3", get_surface("rastrigin", {"A": 3.0})),
    ("regression standardized", get_surface("linear_regression", {"standardize": True})),
    ("regression uploaded", get_surface("linear_regression", {"x": [0.0, 1.0, 2.0, 3.0], "y": [1.0, 2.9, 5.2, 7.1]})),
]
MINIMA = [(name, s, m) for name, s in BUILT for m in s.minima]


@pytest.mark.parametrize(("name", "surface", "minimum"), MINIMA, ids=[f"{n}@{m}" for n, _, m in MINIMA])
def test_gradient_vanishes_at_each_declared_minimum(name, surface, minimum):
    p = torch.tensor(minimum, dtype=torch.float64, requires_grad=True)
    loss = surface.fn(p)
    loss.backward()
    assert loss.item() == pytest.approx(surface.min_value, abs=1e-9)
    assert torch.linalg.vector_norm(p.grad).item() < 1e-6


@pytest.mark.parametrize(("name", "surface", "minimum"), MINIMA, ids=[f"{n}@{m}" for n, _, m in MINIMA])
def test_declared_minimum_is_lowest_nearby(name, surface, minimum):
    offsets = torch.tensor([[dx, dy] for dx in (-1e-3, 0, 1e-3) for dy in (-1e-3, 0, 1e-3)], dtype=torch.float64)
    values = surface.fn(torch.tensor(minimum, dtype=torch.float64) + offsets)
    assert values.min().item() >= surface.min_value - 1e-12


@pytest.mark.parametrize(("name", "surface"), BUILT, ids=[n for n, _ in BUILT])
def test_minima_and_starts_lie_inside_the_bounds(name, surface):
    (x0, x1), (y0, y1) = surface.bounds
    assert x0 < x1 and y0 < y1
    for x, y in (*surface.minima, *surface.starts):
        assert x0 <= x <= x1 and y0 <= y <= y1
    assert surface.starts and surface.latex


@pytest.mark.parametrize(("name", "surface"), BUILT, ids=[n for n, _ in BUILT])
def test_one_function_serves_grid_and_point(name, surface):
    xs, ys, z = surface.grid(50)
    assert z.shape == (50, 50)
    point = torch.tensor([xs[7].item(), ys[31].item()], dtype=torch.float64)
    assert surface.fn(point).item() == pytest.approx(z[31, 7].item(), rel=1e-12)
    assert surface.fn(torch.zeros(2, dtype=torch.float32)).dtype == torch.float32


def test_grid_minimum_is_no_lower_than_the_declared_global_minimum():
    for name, surface in BUILT:
        if surface.min_value is not None:
            assert surface.grid(300)[2].min().item() >= surface.min_value - 1e-9, name


def test_regression_minimum_is_the_least_squares_solution():
    surface = get_surface("linear_regression")
    design = np.stack([COURSE_X, np.ones(15)], axis=1)
    (w, b), *_ = np.linalg.lstsq(design, np.array(COURSE_Y), rcond=None)
    assert surface.minima[0] == pytest.approx((w, b), rel=1e-10)
    assert surface.min_value == pytest.approx(np.mean((design @ [w, b] - COURSE_Y) ** 2), rel=1e-10)


def test_regression_loss_is_the_mse_of_nn_linear():
    torch.manual_seed(42)
    model = torch.nn.Linear(1, 1)
    assert (model.weight.item(), model.bias.item()) == COURSE_START  # the course's first model
    x = torch.tensor(COURSE_X).unsqueeze(1)
    y = torch.tensor(COURSE_Y).unsqueeze(1)
    expected = torch.nn.MSELoss()(model(x), y)
    expected.backward()
    p = torch.tensor(COURSE_START, requires_grad=True)
    loss = get_surface("linear_regression").fn(p)
    loss.backward()
    assert torch.equal(loss, expected)  # bit for bit, and its gradient too
    assert torch.equal(p.grad, torch.cat([model.weight.grad.view(1), model.bias.grad]))


def test_standardizing_x_rounds_the_valley():
    def condition(surface):
        x = surface.data["x"]
        hessian = 2 * np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])
        eig = np.linalg.eigvalsh(hessian)
        return eig[-1] / eig[0]
    assert condition(get_surface("linear_regression")) > 100
    assert condition(get_surface("linear_regression", {"standardize": True})) == pytest.approx(1.0)


@pytest.mark.parametrize(("params", "word"), [
    ({"x": [1.0, 2.0], "y": None}, "both"),
    ({"x": [1.0, 2.0, 3.0], "y": [1.0, 2.0]}, "3"),
    ({"x": [1.0], "y": [1.0]}, "2"),
    ({"x": [2.0, 2.0], "y": [1.0, 3.0]}, "different"),
    ({"x": [1.0, "a"], "y": [1.0, 2.0]}, "number"),
    ({"x": [1.0, float("nan")], "y": [1.0, 2.0]}, "finite"),
    ({"x": list(range(10_001)), "y": list(range(10_001))}, "10000"),
])
def test_bad_regression_data_is_refused(params, word):
    with pytest.raises(ConfigError, match=word):
        get_surface("linear_regression", params)


def test_custom_formula_surface():
    surface = get_surface("custom", {"formula": "(x-1)^2 + 2*(y+0.5)^2", "x_min": -2.0, "x_max": 4.0})
    assert surface.fn(torch.tensor([1.0, -0.5])).item() == 0.0
    assert surface.bounds == ((-2.0, 4.0), (-3.0, 3.0)) and "frac" not in surface.latex
    with pytest.raises(ConfigError, match="x_min"):
        get_surface("custom", {"x_min": 3.0, "x_max": 1.0})
    with pytest.raises(ConfigError, match="position") as info:
        get_surface("custom", {"formula": "x + os.system"})
    assert "公式" in info.value.message("zh")


@pytest.mark.parametrize("key", SURFACES)
def test_every_surface_has_its_texts_in_every_language(key):
    spec = SURFACES[key]
    for lang in LANGUAGES:
        assert spec.name(lang) and spec.description(lang)
        assert all(p.help == f"surface.{key}.{p.key}" and p.help_text(lang) for p in spec.params)


ENGINE = pathlib.Path(__file__).parents[1]


def test_engine_never_imports_streamlit():
    files = [*ENGINE.glob("optimizers/*.py"), *ENGINE.glob("surfaces/*.py"), ENGINE / "schema.py"]
    assert len(files) > 8
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == "streamlit" for n in names), path


def test_importing_the_engine_loads_no_streamlit():
    import subprocess
    import sys
    code = "import sys, optimizers, surfaces; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ENGINE, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_conditioning_predicts_where_gradient_descent_diverges():
    from optimizers import run
    from surfaces.regression import conditioning
    kappa, lr_max = conditioning(get_surface("linear_regression").data["x"])
    assert kappa > 100
    config = {"surface": "linear_regression", "steps": 300, "optimizer": "SGD", "start": [0.0, 0.0]}
    assert run({**config, "hparams": {"lr": 0.95 * lr_max}}).diverged_at is None
    assert run({**config, "hparams": {"lr": 1.05 * lr_max}}).loss[-1] > 1e6 or \
        run({**config, "hparams": {"lr": 1.05 * lr_max}}).diverged_at is not None
    assert conditioning(get_surface("linear_regression", {"standardize": True}).data["x"])[0] == pytest.approx(1.0)


def test_gradient_at_many_points_is_each_points_own():
    """Surface.gradient: ∇f row by row (analytic Rosenbrock: (−2(1−x) − 4bx(y−x²), 2b(y−x²)))."""
    xy = np.array([[-1.5, 2.0], [0.0, 0.0], [1.0, 1.0], [0.3, -0.7]])
    x, y = xy[:, 0], xy[:, 1]
    expected = np.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)], axis=1)
    np.testing.assert_allclose(get_surface("rosenbrock").gradient(xy), expected, rtol=1e-12, atol=1e-12)
    assert get_surface("rosenbrock").gradient(np.empty((0, 2))).shape == (0, 2)


def test_the_figure_layer_runs_no_autograd():
    """viz/ builds figures from recorded arrays; gradients come from the surface (engine side)."""
    for path in (pathlib.Path(__file__).parents[1] / "viz").glob("*.py"):
        source = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+torch", source, re.M) and ".backward(" not in source, path.name
