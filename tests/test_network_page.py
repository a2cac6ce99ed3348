"""AppTest for the neural-network page: runs, the table's numbers against a hand-written torch loop, parameter
groups, a lesson's link, the student's own points, bad input, the landscape's plane, the generated code, Chinese."""

import json
import uuid

import numpy as np
import pytest
import torch
from apptest import APP
from streamlit.testing.v1 import AppTest
from torch import nn

from surfaces.classification import make_points, split
from texts import text


def network_page(lang="en", **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update({"lang": lang, **query})
    return at.switch_page("pages/network.py").run()


def link(state: dict) -> str:
    """A share link's `c` for a partial page state."""
    return json.dumps(state)


def players(at) -> list[dict]:
    return [json.loads(el.proto.json_args) for el in at.get("component_instance")]


def table(at, index: int = 0) -> list[dict]:
    return at.dataframe[index].value.to_dict("records")


def hand_accuracy(optimizer, steps: int, dataset="moons", noise=0.2, hidden=(16, 16), head=None, **hparams):
    """Train the page's default network with a plain torch loop; its final training and test accuracy."""
    x, y = make_points(dataset, 400, noise, 0)
    x_train, y_train, x_test, y_test = (torch.from_numpy(a) for a in split(x, y, 0.25, 0))
    torch.manual_seed(0)
    widths = [2, *hidden]
    layers = []
    for a, b in zip(widths, widths[1:], strict=False):
        layers += [nn.Linear(a, b), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(widths[-1], 2))
    if head is None:
        groups = [{"params": model.parameters()}]
    else:
        groups = [{"params": model[:-1].parameters()}, {"params": model[-1].parameters(), "lr": hparams["lr"] * head}]
    opt = optimizer(groups, **hparams)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(model(x_train), y_train).backward()
        opt.step()
    with torch.no_grad():
        return [(model(x).argmax(1) == t).float().mean().item() for x, t in ((x_train, y_train), (x_test, y_test))]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_default_page_trains_three_runs_as_torch_does(lang):
    at = network_page(lang)
    assert not at.exception and not at.error
    assert at.title[0].value == text("net.title", lang)
    rows = table(at)
    assert [r[text("col.run", lang)] for r in rows] == ["1 · SGD lr=0.1", "2 · Momentum lr=0.1", "3 · Adam lr=0.01"]
    train, test = hand_accuracy(torch.optim.Adam, 500, lr=0.01)
    assert rows[2][text("net.col.accuracy", lang)] == f"{100 * train:.1f} %"
    assert rows[2][text("net.col.test_accuracy", lang)] == f"{100 * test:.1f} %"
    (args,) = [p for p in players(at) if "boundary" in p["panels"]]
    assert [r["label"] for r in args["runs"]] == [r[text("col.run", lang)] for r in rows]


def test_a_lesson_link_opens_its_parameter_groups():
    at = network_page(lesson="head-lr")
    assert not at.exception and not at.error
    assert at.session_state["nn.runs.1.groups"] and at.session_state["nn.runs.1.groups.b"] == 0.1
    assert [r["Run"] for r in table(at)] == ["1 · SGD lr=4", "2 · SGD lr=4 · lr×(1, 0.1)"]
    assert table(at)[0]["Train accuracy"] == "55.3 %"  # the lesson hides the future: the table is at step 0
    at.session_state["nn.chart.player"] = {"cursor": 300, "show_all": False, "id": uuid.uuid4().hex}
    rows = table(at.run())
    assert rows[0]["Train accuracy"] == f"{100 * hand_accuracy(torch.optim.SGD, 300, lr=4.0)[0]:.1f} %"
    assert rows[1]["Train accuracy"] == f"{100 * hand_accuracy(torch.optim.SGD, 300, lr=4.0, head=0.1)[0]:.1f} %"
    code = at.tabs[1].code[0].value
    assert '{"params": model[-1].parameters(), "lr": 0.4}' in code and "], lr=4.0)" in code  # the course's groups


def test_a_share_link_with_own_points_and_a_plane():
    x, y = make_points("xor", 60, 0.1, 3)
    points = {"x1": x[:, 0].astype(float).tolist(), "x2": x[:, 1].astype(float).tolist(), "label": y.tolist()}
    state = {"points": points, "hidden": [8], "steps": 50, "runs": [{"optimizer": "Adam", "hparams": {"lr": 0.05}},
                                                                    {"optimizer": "SGD", "hparams": {"lr": 0.5}}],
             "plane": {"kind": "three", "runs": [0, 1], "seed": 0}}
    at = network_page(c=link(state))
    assert not at.exception and not at.error
    assert at.session_state["nn.points.data_source"] == "paste" and at.session_state["nn.hidden"] == "8"
    assert at.session_state["nn.plane"] == "three"
    assert len(table(at)) == 2


def test_bad_hidden_layers_and_bad_points_are_told_not_crashed():
    at = network_page("zh")
    at.text_input(key="nn.hidden").set_value("16, abc").run()
    assert not at.exception
    assert text("net.hidden.error", "zh", n=3, width=64) in [e.value for e in at.error]
    assert len(table(at)) == 3  # the page goes on with 16, 16
    at.radio(key="nn.points.data_source").set_value("paste").run()
    at.text_area(key="nn.points.paste").set_value("x1,x2,label\n1,2,0.5\n2,3,1\n3,4,0\n4,5,1").run()
    assert not at.exception
    assert any("0.5" in e.value for e in at.error)


def test_one_run_means_no_second_run_for_the_three_point_plane():
    at = network_page(c=link({"runs": [{"optimizer": "Adam", "hparams": {"lr": 0.01}}], "steps": 30}))
    assert not at.exception and not at.error
    at.segmented_control(key="nn.plane").set_value("three").run()
    assert not at.exception


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_plane_choices_draw_without_error(lang):
    at = network_page(lang, c=link({"steps": 60}))
    for kind in ("random", "three", "pca"):
        at.segmented_control(key="nn.plane").set_value(kind).run()
        assert not at.exception and not at.error, kind


def test_mini_batches_and_a_diverging_run_are_shown():
    state = {"steps": 40, "batch_size": 32, "runs": [{"optimizer": "SGD", "hparams": {"lr": 1000.0}},
                                                     {"optimizer": "Adam", "hparams": {"lr": 0.01}}]}
    at = network_page(c=link(state))
    assert not at.exception
    diverged, fine = table(at)
    assert diverged["Diverged"] == "at step 5" and diverged["Train loss"] == "—"  # SGD lr 1000: NaN at step 5
    assert fine["Diverged"] == "—" and np.isfinite(float(fine["Train loss"]))


def test_the_landscape_and_the_boundaries_share_one_cursor():
    at = network_page(c=link({"steps": 200}))
    at.session_state["nn.landscape.player"] = {"cursor": 120, "show_all": False, "id": uuid.uuid4().hex}
    at.run()
    boundary, landscape = players(at)
    assert "boundary" in boundary["panels"] and "landscape" in landscape["panels"]
    assert boundary["cursor"] == landscape["cursor"] == 120 and not boundary["show_all"]
    assert text("chart.table_at", "en", step=120, steps=200) in [c.value for c in at.caption]
    at.session_state["nn.chart.player"] = {"cursor": 30, "show_all": False, "id": uuid.uuid4().hex}
    at.run()
    assert [p["cursor"] for p in players(at)] == [30, 30]
