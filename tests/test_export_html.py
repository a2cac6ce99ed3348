"""The exported animation: one self-contained HTML file that plays offline (unit checks and headless Chromium).

Every page exports the player's own page (`ui.exports.animation_page` of what its chart drew: the race here, the
regression page in tests/test_regression_player.py).
"""

from __future__ import annotations

import contextlib
import json
from html.parser import HTMLParser

import pytest
from plotly.offline import get_plotlyjs

from optimizers import run_many
from surfaces import get_surface
from texts import CATALOGUES
from viz import PALETTE
from viz.player_data import decode, run_entry_of, surface_layer

EVIL = "<script>alert(1)</script>"


class Tags(HTMLParser):
    """Every start tag with its attributes (script bodies are not parsed as markup)."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@contextlib.contextmanager
def file_only_page(browser, path):
    """A Chromium page showing the file `path` with every other request refused: (page, requests, refused,
    console errors), the lists filled while the block runs."""
    url = path.as_uri()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requests, refused, errors = [], [], []

    def only_the_file(route):
        if route.request.url == url:
            return route.continue_()
        refused.append(route.request.url)
        return route.abort()

    context.route("**/*", only_the_file)
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(url)
        yield page, requests, refused, errors
    finally:
        context.close()


def race_chart_of(lang: str, steps: int = 150, labels=("SGD", "Adam")) -> tuple[dict, list]:
    """What `race_chart` hands to the export for a real race in `lang`, and the trajectories."""
    from ui.player import player_texts

    configs = [{"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": steps, "optimizer": name, "hparams": hp}
               for name, hp in (("SGD", {"lr": 1e-3, "momentum": 0.9}), ("Adam", {"lr": 0.02}))]
    trajs = run_many(configs)
    runs = [run_entry_of(label, PALETTE[i], c, traj)
            for i, (label, c, traj) in enumerate(zip(labels, configs, trajs, strict=True))]
    return {"layer": surface_layer(get_surface("rosenbrock")), "runs": runs, "panels": ("map", "loss", "lr"),
            "texts": player_texts(lang)}, trajs


def player_args_of(page: str) -> dict:
    """The page's `window.PLAYER_ARGS` as the browser decodes it."""
    return json.JSONDecoder().raw_decode(page.split("window.PLAYER_ARGS = ", 1)[1])[0]


def test_the_race_exports_the_players_page_with_the_runs_arrays_in_the_readers_language():
    from ui.exports import animation_page

    chart, trajs = race_chart_of("zh", labels=("SGD", EVIL))
    page = animation_page(chart, "优化器赛跑 <SGD & Adam>", "zh")
    assert page.startswith("<!doctype html>") and '<html lang="zh">' in page
    assert "<title>优化器赛跑 &lt;SGD &amp; Adam&gt;</title>" in page and EVIL not in page  # escaped, even in the JSON
    tags = Tags(page).tags
    assert not [(t, a) for t, a in tags if {"src", "href", "srcset", "data"} & set(a)]  # nothing to fetch
    assert "Plotly.newPlot" not in page and get_plotlyjs() not in page  # the 2D player needs no plotly.js
    args = player_args_of(page)
    assert [r["label"] for r in args["runs"]] == ["SGD", EVIL] and args["cursor"] == 0 and not args["show_all"]
    for entry, traj in zip(args["runs"], trajs, strict=True):
        assert (decode(entry["xy"], (-1, 2)) == traj.xy.astype("float32")).all()
        assert (decode(entry["loss"]) == traj.loss.astype("float32")).all()
    assert args["texts"]["play"] == CATALOGUES["zh"]["viz.play"]
    assert args["texts"]["show_all"] == CATALOGUES["zh"]["player.show_all"]
    assert "lines" in args["surface"] and args["surface"]["key"] == chart["layer"]["key"]


@pytest.mark.browser
def test_the_races_page_plays_offline_in_chromium_in_the_readers_language(browser, tmp_path):
    from ui.exports import animation_page

    chart, trajs = race_chart_of("zh")
    path = tmp_path / "race.html"
    path.write_text(animation_page(chart, "优化器赛跑", "zh"), encoding="utf-8")
    during = assert_player_plays_offline(browser, path, "zh")
    x, y = (float(v) for v in during["readout"][1][1:3])
    assert abs(x - trajs[1].xy[during["cursor"]][0]) < 1e-4 and abs(y - trajs[1].xy[during["cursor"]][1]) < 1e-4


def assert_player_plays_offline(browser, path, lang: str) -> dict:
    """Open an exported player page in Chromium with every other request refused: nothing drawn beyond the cursor,
    its texts in `lang`, ▶ plays; returns the player's state after a pause."""
    with file_only_page(browser, path) as (page, _, refused, errors):
        page.wait_for_function("() => window.playerState && playerState().lastDraw", timeout=60_000)
        before = page.evaluate("playerState()")
        assert before["cursor"] == 0 and set(before["drawn"].values()) == {1}  # nothing beyond the cursor
        assert page.locator("#play").inner_text() == CATALOGUES[lang]["viz.play"]
        assert page.locator("#all-label").inner_text() == CATALOGUES[lang]["player.show_all"]
        page.click("#play")
        page.wait_for_function("() => playerState().cursor >= 20", timeout=30_000)
        page.click("#play")
        during = page.evaluate("playerState()")
        cursor = during["cursor"]
        assert not during["playing"] and set(during["drawn"].values()) == {cursor + 1}
        assert page.evaluate("document.documentElement.lang") == lang
    assert not errors and refused == [], (errors, refused)
    return during


def test_a_3d_page_carries_plotly_js_inline_and_still_loads_nothing():
    from ui.player import player_html

    chart, _ = race_chart_of("en", steps=20)
    layer = surface_layer(get_surface("rosenbrock"), mesh_n=20)
    page = player_html(layer, chart["runs"], title="Race", panels=("3d", "loss", "lr"))
    assert get_plotlyjs() in page and "cdn" not in page.split("window.PLAYER_ARGS", 1)[0].lower()
    assert not [(t, a) for t, a in Tags(page).tags if {"src", "href", "srcset", "data"} & set(a)]

