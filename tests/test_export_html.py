"""The exported animation: one self-contained HTML file that plays offline (unit checks and headless Chromium).

The race (Playground, schedules page) exports the player's own page (`ui.exports.animation_page` of what
`race_chart` drew); the regression page still exports a plotly figure with frames (`viz.export_html.animation_html`).
"""

from __future__ import annotations

import contextlib
import json
from html.parser import HTMLParser

import pytest
from plotly.io.json import to_json_plotly
from plotly.offline import get_plotlyjs
from test_browser import KNOWN_PLOTLY_ERRORS

from optimizers import run_many
from surfaces import get_surface
from texts import CATALOGUES
from viz import PALETTE, RunView, race_figure
from viz.export_html import animation_html
from viz.player_data import decode, run_entry_of, surface_layer

ZH = {k.split(".", 1)[1]: v for k, v in CATALOGUES["zh"].items() if k.startswith("viz.")}  # the figure's Chinese texts
EVIL = "<script>alert(1)</script>"


def race(texts: dict, steps: int = 150) -> dict:
    """A real race: SGD with momentum and Adam on Rosenbrock, in the language of `texts`."""
    configs = [{"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": steps, "optimizer": name, "hparams": hp}
               for name, hp in (("SGD", {"lr": 1e-3, "momentum": 0.9}), ("Adam", {"lr": 0.02}))]
    views = [RunView.of(t, c["optimizer"], PALETTE[i])
             for i, (t, c) in enumerate(zip(run_many(configs), configs, strict=True))]
    return race_figure(get_surface("rosenbrock"), views, texts=texts)


@pytest.fixture(scope="module")
def fig():
    return race({})


class Tags(HTMLParser):
    """Every start tag with its attributes (script bodies are not parsed as markup)."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_a_complete_document_that_loads_nothing(fig):
    page = animation_html(fig, "Race", lang="zh")
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"zh\">")
    tags = Tags(page).tags
    assert ("meta", {"charset": "utf-8"}) in tags
    assert not [(t, a) for t, a in tags if {"src", "href", "srcset", "data"} & set(a)]  # nothing to fetch
    assert [t for t, _ in tags if t in ("link", "img", "iframe", "object", "embed")] == []
    assert "MathJax.js" not in page and "tex-svg" not in page


def test_plotly_js_is_inlined_and_nothing_plays_by_itself(fig):
    page = animation_html(fig, "Race")
    assert get_plotlyjs() in page
    own_script = page.rsplit("<script", 1)[1]  # the last script: the one that draws this figure
    assert "Plotly.newPlot" in own_script and "Plotly.addFrames" in own_script
    assert "Plotly.animate" not in own_script  # ▶ starts the animation, not the page load


def test_the_figure_and_its_frames_are_in_the_file(fig):
    page = animation_html(fig, "Race")
    assert to_json_plotly(fig["frames"]) in page
    assert to_json_plotly(fig["data"]) in page
    assert f"height:{fig['layout']['height']}px; width:100%" in page  # full width at the figure's height


def test_the_title_is_escaped(fig):
    page = animation_html(fig, EVIL)
    assert EVIL not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2  # <title> and the heading
    assert "<title>&lt;script&gt;" in page and "<h1>&lt;script&gt;" in page
    sneaky = {**fig, "data": [{**fig["data"][0], "name": EVIL}, *fig["data"][1:]]}
    assert EVIL not in animation_html(sneaky, "Race")  # plotly's JSON escapes < and > in the figure, too


def newplot_arguments(page: str) -> list:
    """The JSON arguments of the page's own `Plotly.newPlot(id, data, layout, config)` call, decoded as the
    browser decodes them (plotly writes non-ASCII as UTF-8 or as \\u escapes, depending on whether orjson is
    importable: either way the browser gets the same strings)."""
    own_script = page.rsplit("<script", 1)[1]
    rest, args, decoder = own_script.split("Plotly.newPlot(", 1)[1], [], json.JSONDecoder()
    for _ in range(4):
        value, end = decoder.raw_decode(rest := rest.lstrip(" \n,"))
        args.append(value)
        rest = rest[end:]
    return args


def test_chinese_texts_reach_the_browser_intact():
    page = animation_html(race(ZH, steps=20), "优化器赛跑", lang="zh")
    assert "<title>优化器赛跑</title>" in page and "<h1>优化器赛跑</h1>" in page  # our own markup: UTF-8
    _, data, layout, _ = newplot_arguments(page)
    texts = json.dumps([data, layout], ensure_ascii=False)
    assert ZH["play"] in texts and ZH["loss"] in texts
    page.encode("utf-8")


PLOT_JS = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  const frames = gd._transitionData ? gd._transitionData._frames : [];
  const i = frames.length ? frames[0].traces[0] : -1;  // the first trace a frame moves: the markers on the map
  return {frames: frames.length, index: i, x: i >= 0 ? Array.from(gd.data[i].x) : null,
          slider: gd._fullLayout.sliders[0].active,
          contourPaths: gd.querySelectorAll('.scatterlayer .trace path.js-line').length,
          heading: document.querySelector('h1').textContent, lang: document.documentElement.lang};
}"""


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


def assert_plays_offline(browser, path, play_label: str) -> dict:
    """Open an HTML file in Chromium with every other request refused, press ▶, and check the animation
    played; returns what the page showed before playing."""
    with file_only_page(browser, path) as (page, requests, refused, errors):
        page.wait_for_function("() => { const gd = document.querySelector('.js-plotly-plot');"
                               " return gd && gd._transitionData && gd._transitionData._frames.length > 0; }",
                               timeout=60_000)
        before = page.evaluate(PLOT_JS)
        assert before["index"] >= 0 and before["slider"] == 0 and before["contourPaths"] > 20
        page.locator(".updatemenu-button").filter(has_text=play_label).first.click()
        page.wait_for_function("() => document.querySelector('.js-plotly-plot')._fullLayout.sliders[0].active >= 5",
                               timeout=60_000)
        page.wait_for_timeout(500)
        during = page.evaluate(PLOT_JS)
        assert during["slider"] > before["slider"]
        assert during["x"] != before["x"]  # the markers moved along the paths
        assert during["contourPaths"] >= before["contourPaths"]  # the surface is still drawn while playing
    assert not [e for e in errors if e not in KNOWN_PLOTLY_ERRORS], errors
    assert refused == [] and set(requests) == {path.as_uri()}, (refused, requests)  # no request left the file
    return before


@pytest.mark.browser
def test_the_file_plays_offline_in_chromium(browser, tmp_path):
    title = "优化器赛跑 <SGD & Adam>"
    path = tmp_path / "race.html"
    path.write_text(animation_html(race(ZH), title, lang="zh"), encoding="utf-8")
    before = assert_plays_offline(browser, path, ZH["play"])
    assert before["heading"] == title and before["lang"] == "zh"


# ---- the race: the player's page ---------------------------------------------------------------------------

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
