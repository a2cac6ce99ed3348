"""AppTest: a run over the cost budget is a message on the page, not an exception box."""

from apptest import open_app


def test_a_swarm_over_the_budget_says_what_to_change():
    at = open_app(lang="zh")
    at.session_state["pg.mode"] = "swarm"
    at.run()
    at.selectbox(key="pg.runs.0.optimizer").set_value("Adafactor").run()  # not element-wise: one optimizer per start
    at.slider(key="pg.grid").set_value(64).run()
    assert not at.exception
    assert any("太大" in e.value and "Adafactor" in e.value for e in at.error), [e.value for e in at.error]
