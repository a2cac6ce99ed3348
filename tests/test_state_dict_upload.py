"""AppTest: a hostile state_dict uploaded on the Inside page gives a message naming the field, promptly."""

import json

import pytest
from apptest import open_app

from optimizers.checkpoint import checkpoint

LBFGS = {"surface": "bowl", "surface_params": {"condition": 10.0, "rotation": 0.0}, "start": [-2.5, 2.0],
         "steps": 500, "optimizer": "LBFGS", "hparams": {}}


@pytest.mark.parametrize(("lang", "words"), [("en", "max_iter"), ("zh", "max_iter")])
def test_a_hostile_lbfgs_state_dict_is_refused_with_a_message(lang, words):
    saved = checkpoint({**LBFGS, "steps": 100}, 3)  # the page's run, fewer steps (LBFGS: the budget allows ~130)
    saved["optimizer"]["param_groups"][0].update(max_iter=10**9, max_eval=10**9, tolerance_grad=-1,
                                                 tolerance_change=-1)
    at = open_app("pages/inside.py", lang, timeout=60)  # a hung resume would time out here
    at.selectbox(key="in.run.optimizer").set_value("LBFGS").run()
    at.number_input(key="in.steps").set_value(100).run()
    at.file_uploader(key="in.upload").set_value(("x.json", json.dumps(saved).encode(), "application/json")).run()
    assert not at.exception
    assert any(words in e.value and "state_dict" in e.value for e in at.error), [e.value for e in at.error]
