"""The linear-regression figure: data with fitted lines, the MSE map with gradient arrows, the loss per step.

Real runs from the engine on the course's 15 points; the oracle for the full-batch gradient is the
closed-form ∇MSE in numpy, and every figure dict must pass plotly's own validation.
"""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from optimizers import run
from surfaces import get_surface
from viz import PALETTE, RunResult, figure_bytes, regression_figure
from viz.runs import TEXTS_EN

BASE = {"surface": "linear_regression", "start": [0.0, 0.0], "optimizer": "SGD", "hparams": {"lr": 0.01}, "seed": 0}
BATCHES = {"full batch": None, "batch 4": 4, "batch 1": 1}
FULL, MINI, SINGLE = 0, 1, 2  # run indices


def result(label: str, color: str, traj) -> RunResult:
    return RunResult(label, color, traj.config, traj)


def sgd_runs(steps: int) -> list[RunResult]:
    return [result(label, PALETTE[i], run({**BASE, "steps": steps, "batch_size": size}))
            for i, (label, size) in enumerate(BATCHES.items())]


@pytest.fixture(scope="module")
def surface():
    return get_surface("linear_regression")


@pytest.fixture(scope="module")
def runs_60():
    return sgd_runs(60)


@pytest.fixture(scope="module")
def fig_60(surface, runs_60):
    return regression_figure(surface, runs_60, texts={})  # 61 positions ≤ max_frames: every step is a frame


@pytest.fixture(scope="module")
def lbfgs():
    return result("LBFGS", PALETTE[3], run({**BASE, "optimizer": "LBFGS", "hparams": {}, "steps": 5}))


def values(a) -> np.ndarray:
    """A JSON-ready list back as floats (None → NaN)."""
    return np.array([np.nan if v is None else v for v in a], dtype=float)


def index(fig: dict, role: str, run_index: int | None = None) -> int:
    (i,) = [k for k, t in enumerate(fig["data"]) if t.get("meta", {}).get("role") == role
            and (run_index is None or t["meta"].get("run") == run_index)]
    return i


def at_step(fig: dict, step: int, role: str, run_index: int | None = None) -> dict:
    """The partial trace that the frame of `step` gives the trace with this role."""
    frame = next(f for f in fig["frames"] if f["name"] == str(step))
    return frame["data"][frame["traces"].index(index(fig, role, run_index))]


def arrow(fig: dict, step: int, role: str, run_index: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(start, direction) of an arrow in the frame of `step`, None where none is drawn."""
    part = at_step(fig, step, role, run_index)
    x, y = values(part["x"]), values(part["y"])
    if not np.isfinite(x).all() or not np.isfinite(y).all():
        return None
    return np.array([x[0], y[0]]), np.array([x[-1] - x[0], y[-1] - y[0]])


def angle(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.arccos(np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1, 1)))


def mse_gradient(surface, wb: np.ndarray) -> np.ndarray:
    """∇ of mean((w x + b − y)²) in closed form, float64."""
    x, y = surface.data["x"], surface.data["y"]
    r = wb[0] * x + wb[1] - y
    return np.array([2 * np.mean(r * x), 2 * np.mean(r)])


def test_figure_is_valid_plotly_with_three_panels(fig_60, runs_60):
    go.Figure(fig_60)
    layout = fig_60["layout"]
    assert layout["xaxis2"]["title"]["text"] == "w" and layout["yaxis2"]["title"]["text"] == "b"
    assert layout["xaxis"]["title"]["text"] == "x" and layout["yaxis"]["title"]["text"] == "y"
    assert layout["xaxis3"]["title"]["text"] == "step" and layout["yaxis3"]["type"] == "log"
    assert all(t.get("type") != "contour" for t in fig_60["data"])  # contour lines are scatter traces
    paths = [fig_60["data"][index(fig_60, "path", i)] for i in range(3)]
    for path, r in zip(paths, runs_60, strict=True):
        np.testing.assert_allclose(values(path["x"]), r.traj.xy[:, 0], rtol=1e-5, atol=1e-7)
        assert path["xaxis"] == "x2" and path["line"]["color"] == r.color
    assert "NaN" not in json.dumps(fig_60)


def test_legend_has_one_entry_per_run_and_the_two_arrow_styles(fig_60, runs_60):
    shown = [t for t in fig_60["data"] if t.get("showlegend")]
    assert [t["name"] for t in shown] == [r.label for r in runs_60] + ["gradient used (−)", "full-batch gradient (−)"]
    assert [t["line"]["dash"] for t in shown[3:]] == ["solid", "dash"]
    assert {t["line"]["color"] for t in shown[3:]} == {"#777777"}


def test_fitted_line_follows_w_and_b_of_each_step(fig_60, runs_60):
    for t in range(61):
        for i, r in enumerate(runs_60):
            part = at_step(fig_60, t, "fit", i)
            x, y = np.array(part["x"]), values(part["y"])
            assert len(x) == 2
            w, b = r.traj.xy[t]
            np.testing.assert_allclose(y, w * x + b, rtol=1e-5, atol=1e-6)


def test_highlighted_points_are_the_current_mini_batch(fig_60, runs_60, surface):
    x, y = surface.data["x"], surface.data["y"]
    with pytest.raises(ValueError):
        index(fig_60, "batch", FULL)  # full batch: no rings at all
    for i in (MINI, SINGLE):
        batches = runs_60[i].traj.batches
        for t in range(60):
            part = at_step(fig_60, t, "batch", i)
            idx = batches[t][batches[t] >= 0]
            got = np.array(sorted(zip(part["x"], part["y"], strict=True))).reshape(-1, 2)
            np.testing.assert_allclose(got, np.array(sorted(zip(x[idx], y[idx], strict=True))).reshape(-1, 2))
        assert at_step(fig_60, 60, "batch", i) == {"x": [], "y": []}  # after the last step: no batch
    assert any(len(at_step(fig_60, t, "batch", MINI)["x"]) == 3 for t in range(60))  # −1 padding dropped


def test_arrows_point_down_the_used_and_the_full_batch_gradient(fig_60, runs_60, surface):
    full = runs_60[FULL].traj
    drawn = 0
    for t in range(60):
        used, whole = arrow(fig_60, t, "used_grad", FULL), arrow(fig_60, t, "full_grad", FULL)
        if used is None:
            continue
        drawn += 1
        np.testing.assert_allclose(used[0], full.xy[t], rtol=1e-5, atol=1e-6)
        assert angle(used[1], -full.grad[t]) < 1e-3
        assert angle(used[1], whole[1]) < 1e-3
        assert np.linalg.norm(used[1]) == pytest.approx(np.linalg.norm(whole[1]), rel=1e-3)  # one scale per run
    assert drawn >= 55
    single = runs_60[SINGLE].traj
    angles = []
    for t in range(60):
        used, whole = arrow(fig_60, t, "used_grad", SINGLE), arrow(fig_60, t, "full_grad", SINGLE)
        if whole is not None:
            assert angle(whole[1], -mse_gradient(surface, single.xy[t].astype(float))) < 1e-3
        if used is not None and whole is not None:
            assert angle(used[1], -single.grad[t]) < 1e-3
            angles.append(angle(used[1], whole[1]))
    assert len(angles) >= 30 and max(angles) > 0.5  # one sample's gradient is not the full one
    for i in range(3):
        for role in ("used_grad", "full_grad"):
            assert arrow(fig_60, 60, role, i) is None  # no step after the last position


def test_arrows_are_line_segments_with_arrow_heads(fig_60):
    for i in range(3):
        used, full = (fig_60["data"][index(fig_60, role, i)] for role in ("used_grad", "full_grad"))
        for trace in (used, full):
            assert trace["mode"] == "lines+markers" and trace["xaxis"] == "x2"
            assert trace["marker"]["symbol"] == "arrow" and trace["marker"]["angleref"] == "previous"
        assert used["line"]["dash"] == "solid" and full["line"]["dash"] == "dash"


def test_longest_arrows_stay_within_the_map(fig_60, surface):
    (w0, w1), (b0, b1) = surface.bounds
    diagonal = np.hypot(w1 - w0, b1 - b0)
    for i in range(3):
        lengths = [np.linalg.norm(a[1]) for t in range(60) for role in ("used_grad", "full_grad")
                   if (a := arrow(fig_60, t, role, i)) is not None]
        assert max(lengths) <= 0.4 * diagonal * (1 + 1e-4)  # capped (coordinates keep 6 digits)
        assert np.median(lengths) > 0.02 * diagonal  # readable, not dots next to one huge first arrow


def test_lbfgs_evaluated_points_are_drawn_faintly(surface, lbfgs):
    fig = regression_figure(surface, [lbfgs], texts={})
    go.Figure(fig)
    evaluated = fig["data"][index(fig, "evaluated", 0)]
    points = np.array(lbfgs.traj.closure_xy, dtype=float)
    assert len(points) > 5  # more evaluations than steps
    np.testing.assert_allclose(values(evaluated["x"]), points[:, 0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(values(evaluated["y"]), points[:, 1], rtol=1e-5, atol=1e-7)
    assert evaluated["marker"]["symbol"] == "circle-open" and evaluated["marker"]["color"] == lbfgs.color
    assert evaluated["marker"]["opacity"] < 1 and evaluated["marker"]["size"] < 15
    assert not fig["layout"]["shapes"] and len(fig["layout"]["annotations"]) == 2  # no mini-batches: no epochs


def test_epoch_boundaries_of_the_first_mini_batch_run(fig_60, runs_60):
    epoch = runs_60[MINI].traj.epoch
    expected = [t for t in range(1, 60) if epoch[t] != epoch[t - 1]]
    shapes = fig_60["layout"]["shapes"]
    assert [s["x0"] for s in shapes] == expected == list(range(4, 60, 4))  # 15 points, batches of 4: 4 steps
    assert all(s["xref"] == "x3" and s["yref"] == "y3 domain" and s["line"]["dash"] == "dot" for s in shapes)
    notes = [a["text"] for a in fig_60["layout"]["annotations"]]
    assert TEXTS_EN["epoch_note"] in notes


def test_frames_only_move_small_traces(fig_60, runs_60):
    animated = set(fig_60["frames"][0]["traces"])
    static_roles = {"data", "path", "evaluated", "loss", "legend", None}
    assert all(fig_60["data"][k].get("meta", {}).get("role") not in static_roles for k in animated)
    assert all(k >= len(fig_60["data"]) - len(animated) for k in animated)  # the last traces
    for f in fig_60["frames"]:
        assert len(f["data"]) == len(f["traces"])
        assert all(len(part["x"]) <= max(4, len(runs_60)) for part in f["data"])


def test_payload_and_frame_count_for_three_runs_of_300_steps(surface):
    runs = sgd_runs(300)
    fig = regression_figure(surface, runs, texts={}, max_frames=200)
    assert len(fig["frames"]) <= 200
    assert figure_bytes(fig) < 500_000
    capped = regression_figure(surface, runs, texts={}, max_frames=40, cursor=123)
    assert len(capped["frames"]) <= 41 and "123" in [f["name"] for f in capped["frames"]]


@pytest.mark.parametrize("cursor", [0, 17, 60])
def test_cursor_sets_the_slider_and_the_first_positions(surface, runs_60, cursor):
    fig = regression_figure(surface, runs_60, texts={}, max_frames=10, cursor=cursor)
    (slider,) = fig["layout"]["sliders"]
    assert slider["steps"][slider["active"]]["label"] == str(cursor)
    marker = fig["data"][index(fig, "cursor_map")]
    np.testing.assert_allclose(values(marker["x"]), [r.traj.xy[cursor, 0] for r in runs_60], atol=2e-3)
    fit = fig["data"][index(fig, "fit", FULL)]
    w, b = runs_60[FULL].traj.xy[cursor]
    np.testing.assert_allclose(values(fit["y"]), w * np.array(fit["x"]) + b, rtol=1e-5, atol=1e-6)
    assert fig["data"][index(fig, "cursor_loss")]["x"] == [cursor] * 3


def test_every_visible_string_comes_from_texts(surface, runs_60, lbfgs):
    keys = TEXTS_EN
    marked = {key: f"«T{i}»" for i, key in enumerate(keys)}
    fig = regression_figure(surface, [*runs_60, lbfgs], texts=marked)
    text = json.dumps({**fig, "layout": {k: v for k, v in fig["layout"].items() if k != "template"}},
                      ensure_ascii=False)
    for english in ("Play", "Pause", "Speed", "gradient", "epochs", "fitted", "MSE", "LBFGS evaluated"):
        assert english not in text, english
    for key in ("x", "y", "w", "b", "step", "loss", "data", "mse", "play", "pause", "speed", "used_grad", "full_grad",
                "epoch_note", "evaluated", "minimum"):
        assert marked[key] in text, key
    partial = regression_figure(surface, runs_60[:1], texts={"play": "▶ 播放"})  # missing keys: English
    assert partial["layout"]["updatemenus"][0]["buttons"][0]["label"] == "▶ 播放"
    assert partial["layout"]["xaxis2"]["title"]["text"] == "w"


def test_fonts_uirevision_and_template(fig_60, surface, lbfgs):
    layout = fig_60["layout"]
    sizes = []

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("font", "textfont") and isinstance(v, dict) and "size" in v:
                    sizes.append(v["size"])
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk({k: v for k, v in layout.items() if k != "template"})
    walk(fig_60["data"])
    assert sizes and min(sizes) >= 14 and layout["font"]["size"] >= 14
    other = regression_figure(surface, [lbfgs], texts={})
    assert layout["uirevision"] == other["layout"]["uirevision"]
    assert layout["template"]["layout"]["plot_bgcolor"] == "white"


def test_a_diverged_run_is_drawn_without_nan(surface):
    runs = [result("too fast", PALETTE[0], run({**BASE, "steps": 200, "hparams": {"lr": 0.05}})),
            result("fine", PALETTE[1], run({**BASE, "steps": 60, "batch_size": 4}))]
    assert runs[0].traj.diverged_at is not None
    fig = regression_figure(surface, runs, texts={}, max_frames=400)  # every step a frame
    go.Figure(fig)
    text = json.dumps(fig)
    assert "NaN" not in text and "Infinity" not in text
    late = runs[0].traj.diverged_at + 1
    assert at_step(fig, late, "fit", 0)["y"] == [None, None]
    assert at_step(fig, 100, "batch", 1) == {"x": [], "y": []}  # the shorter run has ended
    assert fig["layout"]["yaxis3"]["type"] == "log"


def test_several_starts_are_refused(surface):
    traj = run({**BASE, "steps": 5, "start": [[0.0, 0.0], [1.0, 1.0]]})
    with pytest.raises(ValueError, match="single-start"):
        regression_figure(surface, [result("two", PALETTE[0], traj)], texts={})
