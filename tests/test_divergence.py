"""A run that diverges (SGD, lr 1 on Rosenbrock): the summary counts up to the divergence and its numbers fit their
cells, the warning sits under the chart, and the player marks the × where the path leaves the plot box. Numbers are
checked against the engine's Trajectory (tested against torch)."""

import json
import re

import pytest
from apptest import APP
from streamlit.testing.v1 import AppTest

from optimizers import run
from optimizers.metrics import evaluations, summary

DIVERGING = {"optimizer": "SGD", "hparams": {"lr": 1}}
CONFIG = {"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 500, **DIVERGING}
LINK = {"runs": [DIVERGING, {"optimizer": "Adam", "hparams": {"lr": 0.05}}]}


@pytest.fixture(scope="module")
def diverged():
    traj = run(CONFIG)
    assert traj.diverged_at == 2  # the engine stepped on (NaN) for a few steps before it noticed
    assert int(traj.evals.sum()) > traj.diverged_at
    return traj


def test_evaluations_stop_at_the_step_that_diverged(diverged):
    assert summary(diverged, [[1.0, 1.0]], 0.0)["evaluations"] == int(diverged.evals[:diverged.diverged_at].sum())
    assert evaluations(diverged, 1) == int(diverged.evals[0])
    assert evaluations(diverged, 400) == evaluations(diverged) == 2
    adam = run({**CONFIG, "optimizer": "Adam", "hparams": {"lr": 0.05}})
    assert evaluations(adam) == int(adam.evals.sum()) == 500 and evaluations(adam, 137) == 137


@pytest.fixture(scope="module")
def page():
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": "en", "c": json.dumps(LINK)})
    return at.run()


def test_the_summary_row_of_a_diverged_run(page, diverged):
    assert not page.exception
    row = page.dataframe[0].value.iloc[0]
    last = diverged.diverged_at - 1  # its last finite position
    loss = row["Final loss"]
    assert re.fullmatch(r"-?\d(\.\d+)?e-?\d+", loss), loss  # 5.527e10, not 55270000000 cut on the left
    assert float(loss) == pytest.approx(float(diverged.loss[last]), rel=1e-3)
    x, y = (float(v) for v in row["Final (x, y)"].strip("()").split(", "))
    assert (x, y) == pytest.approx(tuple(diverged.xy[last]), rel=1e-3)
    assert row["Function evaluations"] == diverged.diverged_at  # not the engine's steps past it
    assert row["Diverged"] == "at step 2"


def test_the_warning_sits_under_the_chart(page):
    kinds = [node.type for node in page.main.children.values()]
    player = kinds.index("component_instance")
    assert kinds[player + 1] == "warning" and "diverged" in page.warning[0].value
    assert kinds.index("dataframe") > player + 1
