"""AppTest: an LBFGS run the cost budget stops is shown as stopped (not diverged), in both languages."""

import json

import pytest
from apptest import open_app


@pytest.mark.parametrize(("lang", "words"), [("en", ["stopped after step", "budget", "did not diverge"]),
                                             ("zh", ["步后停止", "预算", "没有发散"])])
def test_a_stopped_lbfgs_run_is_explained(lang, words):
    at = open_app(lang=lang)
    at.selectbox(key="pg.runs.0.optimizer").set_value("LBFGS").run()
    for key, value in (("lr", 0.001), ("tolerance_grad", 1e-12), ("tolerance_change", 1e-12)):
        at.select_slider(key=f"pg.runs.0.hp.LBFGS.{key}").set_value(value)
    at.run()  # 500 steps (the Playground's default) on Rosenbrock: every step runs max_iter
    assert not at.exception
    notes = [w.value for w in at.warning if all(word in w.value for word in words)]
    assert len(notes) == 1 and "LBFGS" in notes[0], [w.value for w in at.warning]
    table = at.dataframe[0].value
    stopped = [c for c in table.columns if "Stopped" in c or "停止" in c]
    assert len(stopped) == 1 and table[stopped[0]].iloc[0] != "—" and (table[stopped[0]].iloc[1:] == "—").all()
    assert (table["Diverged" if lang == "en" else "发散"] == "—").all()
    (race,) = at.get("component_instance")  # the player marks where a run stopped (stopped, not diverged)
    first = json.loads(race.proto.json_args)["runs"][0]
    assert first["stopped"] is not None and first["diverged"] is None and first["end"] == first["stopped"]


def test_a_swarm_of_lbfgs_starts_the_budget_stopped_is_coloured_by_where_they_stopped():
    at = open_app()
    at.session_state["pg.mode"] = "swarm"
    at.run()
    assert not at.exception  # an Adam swarm: no start stopped
    at.selectbox(key="pg.surface").set_value("himmelblau").run()
    at.selectbox(key="pg.runs.0.optimizer").set_value("LBFGS").run()
    at.slider(key="pg.grid").set_value(8).run()  # 64 starts: each one's share of the budget is ~30 ms
    assert not at.exception
    assert any("stopped before the last step" in i.value for i in at.info), [i.value for i in at.info]
    shares = at.dataframe[-1].value.iloc[:, 1]
    assert shares.iloc[-1] < 0.5  # most starts reached a minimum before they stopped, not "none"
