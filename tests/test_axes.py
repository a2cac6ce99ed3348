"""The player's axes and runs in Chromium (tests/player_app.py, real engine runs): a learning-rate axis that starts
at 0 or fits the data, log ticks that never overlap, the × of a diverged run where its path leaves the plot box,
and each run told apart by its dash pattern and marker (map, curves, 3D view and readout agree)."""

import math

import numpy as np
import pytest

from optimizers import run

pytestmark = pytest.mark.browser

START = {"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 500}
DIVERGING = run({**START, "optimizer": "SGD", "hparams": {"lr": 0.003}})  # the test app's 4th run


def state(frame) -> dict:
    return frame.evaluate("playerState()")


def test_a_constant_learning_rate_axis_starts_at_0_and_fits_the_data(open_player):
    _, frame = open_player("runs=1")
    s = state(frame)
    lr = float(s["readout"][0][0].split("lr=")[1])
    axis = s["axes"]["lr"]
    assert not axis["log"] and axis["y"][0] == 0  # not 0.9 × lr … 1.1 × lr around a flat line
    assert lr < axis["y"][1] <= 1.15 * lr  # the line near the top, not squashed at "0"


def test_log_ticks_label_2_and_5_when_there_is_room_and_thin_out_decades_when_crowded(open_player):
    _, frame = open_player()
    ticks = lambda lo, hi, count: [round(10 ** u, 12) for u in frame.evaluate(f"logTicks({lo}, {hi}, {count})")]  # noqa: E731
    assert ticks(-3.43, -1.2, 8) == [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05]  # two decades: not "0.001, 0.01"
    assert ticks(-3.43, -1.2, 4) == [0.001, 0.01]
    crowded = ticks(-9.1, 4.2, 5)
    assert len(crowded) <= 5 and all(math.log10(b / a) == pytest.approx(round(math.log10(b / a))) for a, b in
                                     zip(crowded, crowded[1:], strict=False))


@pytest.mark.parametrize("size", [{"width": 1400, "height": 1000}, {"width": 390, "height": 844}])
def test_tick_labels_never_overlap(open_player, size):
    _, frame = open_player(viewport=size)
    frame.check("#all")
    ticks = state(frame)["ticks"]
    assert {"map", "loss", "lr"} <= set(ticks)
    for kind, t in ticks.items():
        ys = sorted(tick["at"] for tick in t["y"])
        assert all(b - a >= t["font"] for a, b in zip(ys, ys[1:], strict=False)), (kind, t["y"])
        xs = sorted(t["x"], key=lambda tick: tick["at"])
        assert all(b["at"] - a["at"] > (a["width"] + b["width"]) / 2 for a, b in zip(xs, xs[1:], strict=False)), \
            (kind, xs)
        assert len(t["y"]) >= 2, (kind, t)


def test_a_diverged_path_ends_with_its_cross_where_it_leaves_the_plot_box(open_player):
    _, frame = open_player()
    frame.check("#all")
    s = state(frame)
    box, axes = s["boxes"]["map"], s["axes"]["map"]
    px = lambda p: (box["l"] + (p[0] - axes["x"][0]) / (axes["x"][1] - axes["x"][0]) * (box["r"] - box["l"]),  # noqa: E731
                    box["b"] - (p[1] - axes["y"][0]) / (axes["y"][1] - axes["y"][0]) * (box["b"] - box["t"]))
    inside = lambda q: box["l"] <= q[0] <= box["r"] and box["t"] <= q[1] <= box["b"]  # noqa: E731
    last = DIVERGING.diverged_at - 1
    points = [px(p) for p in DIVERGING.xy[:last + 1]]
    assert not inside(points[-1])  # it blew up far beyond the surface's bounds
    leaves = max(i for i, q in enumerate(points) if inside(q))
    cross = s["crosses"][3]
    assert cross is not None and inside(cross)
    (ax, ay), (bx, by) = points[leaves], points[leaves + 1]  # the segment that leaves the box
    t = np.clip(((cross[0] - ax) * (bx - ax) + (cross[1] - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2), 0, 1)
    assert math.dist(cross, (ax + t * (bx - ax), ay + t * (by - ay))) <= 8 * math.sqrt(2) + 1  # on it, at the edge
    assert s["crosses"][:3] == [None, None, None]


def test_each_run_has_its_own_dash_and_marker_everywhere(open_player):
    _, frame = open_player()
    frame.check("#all")
    s = state(frame)
    on_map = s["styles"]["map"]
    assert len({str(m["dash"]) for m in on_map}) == 4 and len({m["marker"] for m in on_map}) == 4
    for kind in ("loss", "lr"):
        assert [m["dash"] for m in s["styles"][kind]] == [m["dash"] for m in on_map]
    assert [w["dash"] for w in s["swatches"]] == [",".join(str(v) for v in m["dash"]) for m in on_map]
    assert [w["marker"] for w in s["swatches"]] == [m["marker"] for m in on_map]
    _, frame = open_player("mode=3d")
    frame.wait_for_function("() => playerState().styles['3d']", timeout=60_000)
    in_3d = state(frame)["styles"]["3d"]
    assert [m["marker"] for m in in_3d] == [m["marker"] for m in on_map] and len({m["dash"] for m in in_3d}) == 4
