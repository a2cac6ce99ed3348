"""AppTest for the Linear-regression page: modes, groups, standardize, the course's example, data upload, and the
arrays its player receives (decoded and compared with the engine's runs, which tests/test_regression_exact.py
checks against torch)."""

import json
import uuid

import numpy as np
import pytest
from apptest import APP
from streamlit.testing.v1 import AppTest

from optimizers import run
from share import decode as decode_link
from share import default_state, encode
from surfaces import get_surface
from ui.player import SERVED
from viz.player_data import decode

PANELS = ["mse", "data", "loss_epochs"]


def regression_page(lang="en", **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": lang, **query})
    return at.switch_page("pages/regression.py").run()


def players(at) -> list[dict]:
    """What each player on the page receives: the runs' arrays, the cursor, the panels, the texts."""
    return [json.loads(el.proto.json_args) for el in at.get("component_instance")]


def player_event(at, **event) -> AppTest:
    """The page's player reporting `event` (a pause or step: cursor and show_all; a map click: click), then a rerun."""
    at.session_state["lr.chart.player"] = {**event, "id": uuid.uuid4().hex}
    return at.run()


def default_trajectory(batch_size, start=None, steps=200):
    """The engine's run of the page's optimizer in one mode (the defaults, or from `start`)."""
    state = default_state("regression")
    run_config = {k: v for k, v in state["run"].items() if k != "color"}
    return run({"surface": "linear_regression", "surface_params": {"standardize": False},
                "start": start or state["start"], "steps": steps, **run_config, "batch_size": batch_size,
                "seed": 0, "lr_multipliers": None})


def test_three_gradient_modes_side_by_side():
    at = regression_page()
    assert not at.exception and not at.error and not at.get("plotly_chart")
    (args,) = players(at)
    labels = list(at.dataframe[0].value.iloc[:, 0])
    assert labels == ["Full batch", "Mini-batch (B=4)", "Single sample (B=1)"] == [r["label"] for r in args["runs"]]
    assert args["panels"] == PANELS and args["cursor"] == 0 and args["show_all"]
    assert args["texts"]["x"] == "w" and args["texts"]["data_x"] == "x"  # the map's axes and the readout: w, b
    for entry, size in zip(args["runs"], (None, 4, 1), strict=True):
        traj = default_trajectory(size)
        np.testing.assert_array_equal(decode(entry["xy"], (201, 2)), traj.xy.astype(np.float32))
        np.testing.assert_array_equal(decode(entry["grad"], (200, 2)), traj.grad.astype(np.float32))
        assert ("batch" in entry) == (size is not None)
        if size:
            batch = decode(entry["batch"], (200, size), "u1")
            np.testing.assert_array_equal(np.where(traj.batches >= 0, traj.batches, 255), batch)
    layer = json.loads((SERVED / args["surface"]["url"]).read_text())  # fetched by the browser once per data set
    np.testing.assert_array_equal(decode(layer["data_x"]), get_surface("linear_regression").data["x"].astype("f4"))
    assert len(at.main.code) >= 4  # the fitted lines and one torch code per mode
    assert "DataLoader" in at.main.code[-1].value and "batch_size=1" in at.main.code[-1].value


def test_a_click_on_the_map_moves_every_runs_start():
    at = player_event(regression_page(), click=[0.5, 1.25])
    assert not at.exception
    assert at.number_input(key="lr.start_x").value == 0.5 and at.number_input(key="lr.start_y").value == 1.25
    (args,) = players(at)
    for entry, size in zip(args["runs"], (None, 4, 1), strict=True):
        np.testing.assert_array_equal(decode(entry["xy"], (201, 2)),
                                      default_trajectory(size, start=[0.5, 1.25]).xy.astype(np.float32))
    assert decode_link("regression", at.query_params["c"])[0]["start"] == [0.5, 1.25]


def test_the_summary_table_and_the_link_follow_the_players_cursor():
    at = player_event(regression_page(), cursor=17, show_all=False)
    assert not at.exception
    rows = at.dataframe[0].value
    for i, size in enumerate((None, 4, 1)):
        assert float(rows.iloc[i, 1]) == pytest.approx(float(default_trajectory(size).loss[17]), rel=1e-3)
    assert any("step 17 of 200" in c.value for c in at.caption)
    (args,) = players(at)
    assert args["cursor"] == 17 and not args["show_all"]
    assert decode_link("regression", at.query_params["c"])[0]["cursor"] == 17


def test_a_link_opens_at_its_cursor():
    state = {**default_state("regression"), "cursor": 42}
    at = regression_page(c=encode("regression", state))
    assert not at.exception and players(at)[0]["cursor"] == 42


def test_lecture_mode_enlarges_the_player():
    (args,) = players(regression_page(lecture="1"))
    assert args["scale"] == 1.5 and args["height"] == 840


def test_parameter_groups_show_the_per_group_code():
    at = regression_page()
    at.toggle(key="lr.groups").set_value(True).run()
    assert not at.exception
    code = at.main.code[-3].value  # the full-batch run's code
    assert '{"params": [b], "lr": 0.1}' in code


def test_standardize_changes_the_surface():
    at = regression_page()
    before = at.dataframe[0].value.iloc[0, 1]
    at.toggle(key="lr.standardize").set_value(True).run()
    assert not at.exception and at.dataframe[0].value.iloc[0, 1] != before


def test_the_course_example_button_shows_the_printout():
    at = regression_page()
    at.button(key="lr.course.button").click().run()
    assert not at.exception
    text = "\n".join(c.value for c in at.main.code)
    assert "--- Training with Adam ---" in text and "Epoch [100/100]" in text and "--- Training with LBFGS ---" in text
    _, course = players(at)
    assert course["panels"] == ["mse_fixed", *PANELS[1:]]  # a click on the course's map sets no start
    lbfgs = course["runs"][-1]
    assert lbfgs["label"] == "LBFGS" and len(decode(lbfgs["evaluated"])) > 2 * 5  # every point its closure evaluated


def test_lbfgs_is_explained():
    at = regression_page()  # the page's default 200 steps
    at.selectbox(key="lr.run.optimizer").set_value("LBFGS").run()
    assert not at.exception
    assert any("closure" in i.value for i in at.info)


@pytest.mark.parametrize(("lang", "title"), [("en", "Linear regression"), ("zh", "线性回归")])
def test_both_languages(lang, title):
    at = regression_page(lang)
    assert not at.exception and at.title[0].value.startswith(title)


@pytest.mark.parametrize(("data", "ok"), [
    (b"x,y\n1,2.1\n2,3.9\n3,6.2\n4,8.1\n", True),
    (b"", False),
    (b"x,y\n1,abc\n2,3\n", False),
    (b"x,y\n1,2\n", False),
    (b"x,y\n" + b"1,2\n" * 5_000_000, False),   # 20 MB: refused by size
    ("x,y\n1,2\n2,é\n".encode("latin-1"), False),  # not UTF-8
])
def test_uploads_on_the_page(data, ok):
    at = regression_page()
    at.radio(key="lr.data_source").set_value("upload").run()
    at.file_uploader(key="lr.file").set_value(("data.csv", data, "text/csv")).run()
    assert not at.exception
    assert len(at.dataframe) >= 1 and len(players(at)) == 1  # the page keeps working
    assert bool(at.sidebar.error) != ok


def test_the_summary_names_w_and_b_and_the_code_speaks_the_pages_language():
    from apptest import open_app

    from texts import text

    at = open_app("pages/regression.py", "zh")
    assert not at.exception
    columns = list(at.dataframe[0].value.columns)
    assert text("col.final_wb", "zh") in columns and text("col.final_xy", "zh") not in columns
    header = text("code.f_regression", "zh")
    assert at.code and all(header in c.value for c in at.code if "import torch" in c.value)
