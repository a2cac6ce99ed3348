"""projector(): the same figure with k× fonts, lines and markers, the input untouched, still a valid figure."""

from __future__ import annotations

import copy
import json

import plotly.graph_objects as go
import pytest

from optimizers import run, run_many
from surfaces import get_surface
from viz import PALETTE, TEXTS_EN, RunView, race_figure, surface_3d_figure
from viz.projector import projector

K = 1.5


@pytest.fixture(scope="module")
def race():
    configs = [{"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 120, "optimizer": name, "hparams": hp}
               for name, hp in (("SGD", {"lr": 1e-3, "momentum": 0.9}), ("Adam", {"lr": 0.02}))]
    views = [RunView.of(t, c["optimizer"], PALETTE[i]) for i, (t, c) in enumerate(zip(run_many(configs), configs,
                                                                                      strict=True))]
    return race_figure(get_surface("rosenbrock"), views, texts={})


def axes(layout: dict) -> dict:
    return {k: v for k, v in layout.items() if k[1:].startswith("axis")}


def test_fonts_grow_by_the_scale(race):
    out = projector(race, K)["layout"]
    base = race["layout"]["font"]["size"]
    assert out["font"]["size"] == base * K
    assert len(axes(out)) == 8  # map + loss, lr, distance: every subplot's axes
    for name, axis in axes(out).items():
        assert axis["tickfont"]["size"] == base * K, name
        if "title" in race["layout"][name]:
            assert axis["title"]["font"]["size"] == race["layout"][name]["title"]["font"]["size"] * K, name
    assert out["legend"]["font"]["size"] == base * K
    assert out["hoverlabel"]["font"]["size"] == 13 * K  # plotly's default hover font, scaled
    for before, after in zip(race["layout"]["updatemenus"], out["updatemenus"], strict=True):
        assert after["font"]["size"] == before["font"]["size"] * K
        assert after["pad"]["t"] == before["pad"]["t"] * K
    (slider,) = out["sliders"]
    assert slider["font"]["size"] == base * K  # the slider's (hidden) step labels inherit the layout font
    assert slider["currentvalue"]["font"]["size"] == race["layout"]["sliders"][0]["currentvalue"]["font"]["size"] * K


def test_annotations_and_margins_grow():
    fig = {"data": [], "layout": {"font": {"size": 10}, "margin": {"l": 40, "t": 30},
                                  "annotations": [{"text": "a", "font": {"size": 16}}, {"text": "b"}]}}
    out = projector(fig, 2)["layout"]
    assert [a["font"]["size"] for a in out["annotations"]] == [32, 20]
    assert out["margin"]["l"] == 80 and out["margin"]["t"] == 60
    assert out["margin"]["r"] == 80 and out["margin"]["b"] == 80  # unset sides keep plotly's defaults


def test_lines_and_markers_grow(race):
    out = projector(race, K)
    assert len(out["data"]) == len(race["data"])
    for before, after in zip(race["data"], out["data"], strict=True):
        if "width" in before.get("line", {}):
            assert after["line"]["width"] == pytest.approx(before["line"]["width"] * K, abs=0.05)
        if "size" in before.get("marker", {}):
            assert after["marker"]["size"] == pytest.approx(before["marker"]["size"] * K, abs=0.05)
        if "width" in before.get("marker", {}).get("line", {}):
            assert after["marker"]["line"]["width"] == pytest.approx(before["marker"]["line"]["width"] * K, abs=0.05)
        if "x" in before:
            assert after["x"] is before["x"]  # data arrays are shared, not copied
    moving = race["frames"][0]["traces"]
    assert all(out["data"][i]["marker"]["size"] > race["data"][i]["marker"]["size"] for i in moving)


def test_defaults_are_scaled_where_a_trace_leaves_them_to_plotly():
    fig = {"data": [{"type": "scatter", "mode": "lines+markers+text", "x": [0, 1], "y": [0, 1], "text": ["a", "b"]}]}
    (trace,) = projector(fig, 2)["data"]
    assert trace["line"]["width"] == 4 and trace["marker"]["size"] == 12 and trace["textfont"]["size"] == 24


def test_the_input_is_unchanged(race):
    before = copy.deepcopy(race)
    projector(race, K)
    projector(race, 2.5)
    assert json.dumps(race, sort_keys=True) == json.dumps(before, sort_keys=True)


def test_frames_that_only_move_points_are_shared(race):
    out = projector(race, K)
    assert all(set(item) == {"x", "y"} for frame in race["frames"] for item in frame["data"])  # viz's frames
    assert out["frames"] == race["frames"]
    assert all(a is b for a, b in zip(out["frames"], race["frames"], strict=True))
    assert out["frames"] is not race["frames"]  # a new list: appending to one leaves the other alone


def test_frames_that_carry_styling_are_scaled_too():
    frame = {"name": "1", "traces": [0, 1], "data": [{"x": [1], "y": [1], "marker": {"size": 10, "color": "red"}},
                                                      {"x": [0, 1], "y": [1, 0], "line": {"dash": "dot"}}]}
    fig = {"data": [{"type": "scatter", "mode": "markers", "x": [0], "y": [0], "marker": {"size": 10}},
                    {"type": "scatter", "mode": "lines", "x": [0, 1], "y": [0, 1]}],
           "frames": [frame, {"name": "2", "data": [{"x": [2], "y": [2]}]}]}
    before = copy.deepcopy(fig)
    out = projector(fig, 2)
    assert out["frames"][0]["data"][0]["marker"] == {"size": 20, "color": "red"}
    assert out["frames"][0]["data"][1]["line"] == {"dash": "dot"}  # a frame restyles only what it names
    assert out["frames"][1] is fig["frames"][1]
    assert fig == before


def test_controls_keep_their_rows_and_the_plot_keeps_its_height(race):
    out = projector(race, K)["layout"]
    old = race["layout"]
    play, speed = out["updatemenus"]
    for new_menu, old_menu in zip(out["updatemenus"], old["updatemenus"], strict=True):
        assert (new_menu["x"], new_menu["xanchor"]) == (old_menu["x"], old_menu["xanchor"])  # viz's arrangement
        assert new_menu["pad"]["t"] == pytest.approx(K * old_menu["pad"]["t"])
    (slider,) = out["sliders"]
    value = slider["currentvalue"]
    rail = slider["pad"]["t"] + 1.3 * value["font"]["size"] + value["offset"]
    assert rail > play["pad"]["t"] + max(1.3 * play["font"]["size"], 30)  # the rail runs under the ▶ buttons
    assert speed["pad"]["t"] > rail  # and the speed menu under the rail
    assert out["margin"]["b"] > speed["pad"]["t"] + 1.3 * speed["font"]["size"]
    plot = old["height"] - old["margin"]["t"] - old["margin"]["b"]
    assert out["height"] - out["margin"]["t"] - out["margin"]["b"] == pytest.approx(plot, abs=1)


def test_gaps_between_side_by_side_subplots_widen(race):
    out = projector(race, 2)["layout"]
    gap = race["layout"]["xaxis2"]["domain"][0] - race["layout"]["xaxis"]["domain"][1]
    assert out["xaxis2"]["domain"][0] - out["xaxis"]["domain"][1] == pytest.approx(2 * gap)
    assert out["xaxis2"]["domain"] == out["xaxis3"]["domain"] == out["xaxis4"]["domain"]
    assert out["xaxis"]["domain"][0] == 0 and out["xaxis2"]["domain"][1] == 1


def test_results_are_valid_plotly_figures(race):
    surface = get_surface("rosenbrock")
    traj = run({"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 40, "optimizer": "Adam"})
    figures = [race, surface_3d_figure(surface, [RunView.of(traj, "Adam", PALETTE[0])], texts=TEXTS_EN),
               {"data": [{"type": "scatter", "x": [1], "y": [2]}], "layout": {"title": "bare string title"}}]
    for fig in figures:
        out = projector(fig, K)
        go.Figure(out)  # validates every property
    assert out["layout"]["title"] == {"text": "bare string title", "font": {"size": round(1.4 * 12) * K}}


@pytest.mark.parametrize("scale", [0, -1, float("nan")])
def test_scale_must_be_positive(race, scale):
    with pytest.raises(ValueError, match="scale"):
        projector(race, scale)
