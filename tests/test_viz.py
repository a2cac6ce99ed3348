"""Figure builders: contour polylines, the race animation and the 3D surface.

Real trajectories come from the engine; every figure dict must pass plotly's own validation.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import pathlib

import numpy as np
import plotly.graph_objects as go
import pytest

from optimizers import run_many
from surfaces import get_surface
from viz import (
    CLICK_TARGET,
    PALETTE,
    TEXTS_EN,
    RunView,
    contour_lines,
    figure_bytes,
    race_figure,
    surface_3d_figure,
)

ROOT = pathlib.Path(__file__).parents[1]
RACERS = [("Adam", {"lr": 0.01}), ("SGD", {"lr": 0.001}), ("SGD", {"lr": 0.001, "momentum": 0.9}),
          ("RMSprop", {"lr": 0.01})]


def views(surface: str, steps: int, racers=RACERS, **config) -> list[RunView]:
    configs = [{"surface": surface, "steps": steps, "optimizer": o, "hparams": h, **config} for o, h in racers]
    return [RunView.of(t, f"{c['optimizer']} lr={c['hparams']['lr']}", PALETTE[i])
            for i, (t, c) in enumerate(zip(run_many(configs), configs, strict=True))]


@pytest.fixture(scope="module")
def race_1000():
    return views("rosenbrock", 1000)


def values(a) -> np.ndarray:
    """A JSON-ready list back as floats (None → NaN)."""
    return np.array([np.nan if v is None else v for v in a], dtype=float)


def json_text(fig: dict) -> str:
    return json.dumps(fig, ensure_ascii=False)  # fails on numpy leftovers; writes NaN if one slipped through


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

def test_race_figure_is_a_valid_plotly_figure_with_a_click_target(race_1000):
    fig = race_figure(get_surface("rosenbrock"), race_1000, texts=TEXTS_EN)
    go.Figure(fig)  # plotly's validation raises on any unknown or ill-typed property
    target = fig["data"][0]
    assert target["name"] == CLICK_TARGET and target["legendgroup"] == CLICK_TARGET
    assert len(target["x"]) == len(target["y"]) == 40 * 40
    assert target["marker"]["opacity"] == 0 and target["hoverinfo"] == "x+y"
    (x0, x1), (y0, y1) = get_surface("rosenbrock").bounds
    assert min(target["x"]) == x0 and max(target["x"]) == x1 and min(target["y"]) == y0 and max(target["y"]) == y1
    layout = fig["layout"]
    assert layout["xaxis"]["range"] == [x0, x1] and layout["yaxis"]["range"] == [y0, y1]
    assert isinstance(layout["uirevision"], str) and layout["height"] == 720 and layout["font"]["size"] >= 14
    assert layout["legend"]["orientation"] == "h"
    assert [t["name"] for t in fig["data"] if t.get("showlegend")] == [r.label for r in race_1000]
    lines = [t for t in fig["data"] if t.get("mode") == "lines" and t.get("xaxis", "x") == "x"]
    assert len(lines) == len(contour_lines(get_surface("rosenbrock")))  # contours as scatter lines
    assert not any(t["type"] in ("contour", "heatmap") for t in fig["data"])


def test_race_frames_only_move_the_markers(race_1000):
    fig = race_figure(get_surface("rosenbrock"), race_1000, texts=TEXTS_EN, max_frames=240)
    frames = fig["frames"]
    assert 2 <= len(frames) <= 240
    names = [f["name"] for f in frames]
    assert names[0] == "0" and names[-1] == "1000" and names == sorted(names, key=int)
    animated = frames[0]["traces"]
    assert len(animated) == 4 and all(f["traces"] == animated for f in frames)
    for i in animated:
        assert fig["data"][i]["mode"] == "markers" and fig["data"][i]["hoverinfo"] == "skip"
    for frame in frames:
        assert len(frame["data"]) == 4
        assert all(len(t["x"]) == len(t["y"]) <= len(race_1000) for t in frame["data"])
        step = int(frame["name"])
        xy = np.array([r.xy[step] for r in race_1000])
        np.testing.assert_allclose(values(frame["data"][0]["x"]), xy[:, 0], rtol=1e-5)
        np.testing.assert_allclose(values(frame["data"][0]["y"]), xy[:, 1], rtol=1e-5)
        np.testing.assert_allclose(values(frame["data"][1]["y"]), [r.loss[step] for r in race_1000], rtol=1e-5)
        assert frame["data"][1]["x"] == [step] * len(race_1000)
    # the figure starts where frame "0" is
    assert fig["data"][animated[0]]["x"] == frames[0]["data"][0]["x"]
    small = race_figure(get_surface("rosenbrock"), race_1000, texts=TEXTS_EN, max_frames=7)
    assert [f["name"] for f in small["frames"]] == ["0", "167", "333", "500", "667", "833", "1000"]


def test_race_controls_are_play_pause_speeds_and_a_step_slider(race_1000):
    texts = {**TEXTS_EN, "play": "▶ 播放", "pause": "⏸ 暂停", "speed": "速度", "step": "步数"}
    layout = race_figure(get_surface("rosenbrock"), race_1000, texts=texts, max_frames=50)["layout"]
    buttons = [b for menu in layout["updatemenus"] for b in menu["buttons"]]
    labels = [b["label"] for b in buttons]
    assert "▶ 播放" in labels and "⏸ 暂停" in labels
    assert [x for x in labels if x.startswith("速度")] == ["速度 0.5×", "速度 1×", "速度 2×", "速度 4×"]
    durations = [b["args"][1]["frame"]["duration"] for b in buttons if b["label"].startswith("速度")]
    assert durations == sorted(durations, reverse=True) and durations[0] == 8 * durations[-1]
    for b in buttons:
        assert b["method"] == "animate"
        assert b["args"][1]["frame"]["redraw"] is False and b["args"][1]["transition"]["duration"] == 0
        assert b["args"][1]["mode"] == "immediate"
    (slider,) = layout["sliders"]
    assert slider["currentvalue"]["prefix"].startswith("步数")
    assert [s["args"][0] for s in slider["steps"]] == [[s["label"]] for s in slider["steps"]]
    assert len(slider["steps"]) == 50


def test_race_payload_is_small_and_grows_linearly(race_1000):
    surface = get_surface("rosenbrock")
    size_1000 = figure_bytes(race_figure(surface, race_1000, texts=TEXTS_EN))
    size_2000 = figure_bytes(race_figure(surface, views("rosenbrock", 2000), texts=TEXTS_EN))
    assert size_1000 <= 500_000
    assert size_2000 <= 2.2 * size_1000


def test_race_every_visible_string_comes_from_texts():
    marked = {key: f"«T{i}»" for i, key in enumerate(TEXTS_EN)}
    fig = race_figure(get_surface("saddle"), views("saddle", 50, RACERS[:2]), texts=marked)
    text = json_text({**fig, "layout": {k: v for k, v in fig["layout"].items() if k != "template"}})
    for english in ("learning rate", "Play", "Pause", "Speed", "distance to minimum", "no known minimum"):
        assert english not in text
    for key in ("step", "loss", "lr", "distance", "play", "pause", "speed", "no_minimum", "start", "x", "y"):
        assert marked[key] in text, key


def test_race_draws_a_diverged_run_up_to_divergence_without_nan(race_1000):
    runs = [race_1000[0], *views("rosenbrock", 1000, [("SGD", {"lr": 0.1})])]
    runs[1] = dataclasses.replace(runs[1], color=PALETTE[1])
    diverged = runs[1]
    assert diverged.diverged_at is not None and np.isnan(diverged.xy[diverged.diverged_at:]).all()
    fig = race_figure(get_surface("rosenbrock"), runs, texts=TEXTS_EN)
    go.Figure(fig)
    text = json_text(fig)
    assert "NaN" not in text and "Infinity" not in text
    path = next(t for t in fig["data"] if t.get("name") == diverged.label)
    assert len(path["x"]) == diverged.diverged_at
    np.testing.assert_allclose(values(path["x"]), diverged.xy[:diverged.diverged_at, 0], rtol=1e-5)
    cross = [t for t in fig["data"] if t.get("marker", {}).get("symbol") == "x"]
    assert len(cross) == 1 and cross[0]["marker"]["color"] == diverged.color
    np.testing.assert_allclose([cross[0]["x"][0], cross[0]["y"][0]], diverged.xy[diverged.diverged_at - 1],
                               rtol=1e-5)
    last = fig["frames"][-1]["data"][0]
    assert last["x"][1] is None and last["x"][0] is not None  # the diverged run's cursor is gone


def test_race_without_minima_says_so_and_draws_no_distance():
    surface = get_surface("saddle")
    assert not surface.minima
    runs = views("saddle", 200, RACERS[:2], start=[-1.5, 0.01])  # slides off the ridge: the loss turns negative
    fig = race_figure(surface, runs, texts={**TEXTS_EN, "no_minimum": "没有已知的最小值"})
    go.Figure(fig)
    assert [a["text"] for a in fig["layout"]["annotations"]] == ["没有已知的最小值"]
    assert not any(t.get("yaxis") == "y4" for t in fig["data"])
    assert all(len(f["data"]) == len(f["traces"]) == 3 for f in fig["frames"])
    assert min(r.loss.min() for r in runs) < 0 and fig["layout"]["yaxis2"]["type"] == "linear"


def test_race_loss_axis_is_log_only_when_every_loss_is_positive(race_1000):
    layout = race_figure(get_surface("rosenbrock"), race_1000, texts=TEXTS_EN)["layout"]
    assert layout["yaxis2"]["type"] == "log" and layout["yaxis4"]["type"] == "log"


# --- surface_3d_figure ---------------------------------------------------------------------

def test_surface_3d_figure(race_1000):
    surface = get_surface("rosenbrock")
    fig = surface_3d_figure(surface, race_1000, texts=TEXTS_EN, n=60)
    go.Figure(fig)
    assert "frames" not in fig and isinstance(fig["layout"]["uirevision"], str)
    (mesh,) = [t for t in fig["data"] if t["type"] == "surface"]
    z = np.array(mesh["z"], dtype=float)
    grid = surface.grid(60)[2].numpy()
    assert z.shape == (60, 60) and z.max() <= np.quantile(grid, 0.96) < grid.max()  # clipped to a high quantile
    assert "surfacecolor" in mesh  # log colouring
    paths = [t for t in fig["data"] if t["type"] == "scatter3d" and t.get("mode") == "lines"]
    assert [p["name"] for p in paths] == [r.label for r in race_1000]
    go.Figure(surface_3d_figure(get_surface("custom", {"formula": "log(x) + y^2"}), [], texts=TEXTS_EN))


def test_figure_builders_never_import_streamlit():
    files = list((ROOT / "viz").glob("*.py"))
    assert len(files) >= 5
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == "streamlit" for n in names), path


def test_lr_drops_are_marked_on_the_path():
    from optimizers import run
    from surfaces import get_surface
    from viz import RunView, race_figure
    traj = run({"surface": "bowl", "steps": 40, "optimizer": "SGD", "hparams": {"lr": 0.05},
                "scheduler": "StepLR", "scheduler_params": {"step_size": 10, "gamma": 0.5}})
    fig = race_figure(get_surface("bowl"), [RunView("a", "#0072B2", traj.xy, traj.loss, traj.lr, None)], texts={})
    marks = [tr for tr in fig["data"] if tr.get("customdata") and "drops" in tr.get("hovertemplate", "")]
    assert len(marks) == 1 and marks[0]["customdata"] == [10, 20, 30]
    assert marks[0]["x"] == pytest.approx(traj.xy[[10, 20, 30], 0].tolist(), rel=1e-5)
