"""Links made before the page declarations (tests/data/old_links.json, written by the old share.py) still open
the same view: each decodes to the state it decoded to then, whose link now holds no more fields and opens it
again; and the page opened with the link shows those values in its widgets."""

import json
from pathlib import Path

import pytest
from apptest import APP
from streamlit.testing.v1 import AppTest

from share import decode, encode

OLD_LINKS = json.loads((Path(__file__).parent / "data" / "old_links.json").read_text())
BY_NAME = {link["name"]: link for link in OLD_LINKS}


@pytest.mark.parametrize("name", list(BY_NAME))
def test_an_old_link_decodes_to_its_state(name):
    link = BY_NAME[name]
    assert decode(link["page"], link["c"]) == (link["state"], [])
    again = encode(link["page"], link["state"])
    assert decode(link["page"], again) == (link["state"], [])
    assert set(json.loads(again)) <= set(json.loads(link["c"]))


def shown(page: str, state: dict) -> dict:
    """A few widgets of the page (their keys) and the values they must show for `state`."""
    if page == "playground":
        out = {"pg.mode": state["mode"], "pg.surface": state["surface"], "pg.steps": state["steps"]}
        if state["mode"] == "race":  # the swarm starts on a grid: no start boxes (its start is kept, below)
            out["pg.start_x"] = state["start"][0]
        for i, run in enumerate(state["runs"]):
            out |= {f"pg.runs.{i}.optimizer": run["optimizer"], f"pg.runs.{i}.scheduler": run["scheduler"],
                    f"pg.runs.{i}.hp.{run['optimizer']}.lr": run["hparams"]["lr"], f"pg.runs.{i}.color": run["color"]}
        return out | ({"pg.grid": state["grid"]} if state["mode"] == "swarm" else {"pg.chart.view": state["view"]})
    if page == "regression":
        return {"lr.data_source": "course" if state["data"] is None else "paste", "lr.modes": state["modes"],
                "lr.standardize": state["standardize"], "lr.steps": state["steps"], "lr.seed": state["seed"],
                "lr.start_y": state["start"][1], "lr.run.optimizer": state["run"]["optimizer"],
                "lr.run.scheduler": state["run"]["scheduler"], "lr.groups": state["lr_multipliers"] is not None}
    if page == "schedules":
        return {"sch.lr": state["lr"], "sch.epochs": state["steps"], "sch.schedulers": list(state["schedulers"]),
                "sch.surface": state["surface"], "sch.run.optimizer": state["optimizer"], "sch.log": state["log"],
                "sch.at": ", ".join(map(str, state["table"]))}
    # its "step" is the player's cursor (step + 1): test_inside_page.py checks it opens on the same update
    return {"in.surface": state["surface"], "in.steps": state["steps"],
            "in.run.optimizer": state["run"]["optimizer"], "in.adamw": state["adamw"]}


@pytest.mark.parametrize("name", list(BY_NAME))
def test_an_old_link_opens_its_view(name):
    link = BY_NAME[name]
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": "en", "c": link["c"]})
    at = at.run() if link["page"] == "playground" else at.switch_page(f"pages/{link['page']}.py").run()
    assert not at.exception, at.exception
    for key, value in shown(link["page"], link["state"]).items():
        assert at.get_by_key(key).value == value, key
    if link["page"] == "playground":
        assert at.session_state["pg.start_x"] == link["state"]["start"][0]
