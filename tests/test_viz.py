"""The pure builders in viz/: contour polylines (the player's payloads have tests of their own: test_player,
test_viz_regression, test_inside_page, test_swarm)."""

from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest

from surfaces import get_surface
from viz import contour_lines

ROOT = pathlib.Path(__file__).parents[1]


# --- contour_lines -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["rosenbrock", "rastrigin", "himmelblau", "saddle", "six_hump_camel", "beale"])
def test_contour_levels_increase_and_lines_stay_in_bounds(key):
    surface = get_surface(key)
    lines = contour_lines(surface)
    assert 20 <= len(lines) <= 25
    levels = [level for level, _, _ in lines]
    assert all(b > a for a, b in zip(levels, levels[1:], strict=False))
    (x0, x1), (y0, y1) = surface.bounds
    for _, xs, ys in lines:
        assert xs.shape == ys.shape and np.isfinite(xs).sum() >= 2
        assert np.array_equal(np.isnan(xs), np.isnan(ys))  # NaN separators sit in both coordinates
        fx, fy = xs[np.isfinite(xs)], ys[np.isfinite(ys)]
        assert fx.min() >= x0 and fx.max() <= x1 and fy.min() >= y0 and fy.max() <= y1


def test_contour_levels_are_log_spaced_on_rosenbrock_and_linear_on_rastrigin():
    rosen = get_surface("rosenbrock")
    assert rosen.log_scale
    levels = np.array([level for level, _, _ in contour_lines(rosen)]) - rosen.min_value
    ratios = levels[1:] / levels[:-1]
    assert ratios.min() > 1.2 and ratios.max() / ratios.min() < 1.1  # a constant factor per level
    assert levels[-1] / levels[0] > 1e3

    rastrigin = get_surface("rastrigin")
    assert not rastrigin.log_scale
    gaps = np.diff([level for level, _, _ in contour_lines(rastrigin)])
    np.testing.assert_allclose(gaps, gaps.mean(), rtol=1e-9)


def test_contour_lines_of_a_formula_with_nan_regions_and_of_a_constant():
    surface = get_surface("custom", {"formula": "log(x) + y^2"})
    _, _, z = surface.grid(160)
    assert not np.isfinite(z.numpy()).all()  # log(x) is NaN for x < 0 and -inf at 0
    lines = contour_lines(surface)
    assert len(lines) >= 10
    xs = np.concatenate([x for _, x, _ in lines])
    assert np.nanmin(xs) > 0  # no line wanders into the undefined half
    assert contour_lines(get_surface("custom", {"formula": "1"})) == []
    assert contour_lines(get_surface("custom", {"formula": "0 * x + 2"})) == []


# --- race_figure --------------------------------------------------------------------------------------------

def test_figure_builders_never_import_streamlit():
    files = list((ROOT / "viz").glob("*.py"))
    assert len(files) >= 5
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == "streamlit" for n in names), path
