"""Share links and saved files (share.py): states round-trip, and untrusted input never breaks or leaks."""

import json
import re
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_config_fuzz import configs

from optimizers import run as run_engine
from optimizers.config import normalize_config
from pagestate import PAGES
from schema import ConfigError
from share import MAX_QUERY, decode, default_state, encode, query_flags, sanitize

STATES = {
    "playground": {"mode": "race", "surface": "bowl", "surface_params": {"condition": 50.0, "rotation": 30.0},
                   "start": [-2.0, 1.5], "steps": 321, "grid": 12, "view": "3d", "cursor": 17,
                   "runs": [{"optimizer": "Nesterov", "hparams": {"lr": 0.02}, "scheduler": "StepLR",
                             "scheduler_params": {"step_size": 50, "gamma": 0.5}, "clip_grad_norm": 2.5},
                            {"optimizer": "Adam", "hparams": {"betas": [0.8, 0.99], "amsgrad": True},
                             "scheduler": "SequentialLR",
                             "scheduler_params": {"schedulers": [{"name": "ConstantLR", "params": {"factor": 0.2}},
                                                                 {"name": "MultiStepLR",
                                                                  "params": {"milestones": [100, 200]}}]},
                             "color": "#123abc"},
                            {"optimizer": "LBFGS", "hparams": {"line_search_fn": "strong_wolfe", "max_iter": 2},
                             "clip_grad_value": 0.5}]},
    "regression": {"data": {"x": [0.5, 1.25, 3.0, 4.5], "y": [1.0, 2.0, 2.5, 5.125]}, "standardize": True,
                   "modes": ["full", "single"], "batch_size": 3, "seed": 7, "start": [1.0, -1.0], "steps": 150,
                   "run": {"optimizer": "RMSprop", "hparams": {"lr": 0.005, "centered": True}},
                   "lr_multipliers": [2.0, 0.5], "cursor": 40},
    "schedules": {"lr": 0.05, "steps": 300, "schedulers": {"OneCycleLR": {"max_lr": 0.5, "pct_start": 0.4,
                                                                          "cycle_momentum": False},
                                                           "ReduceLROnPlateau": {"patience": 3}, "StepLR": {}},
                  "surface": "himmelblau", "start": [1.0, 1.0], "optimizer": "Adagrad",
                  "hparams": {"lr_decay": 0.01}, "log": True, "table": [0, 10, 299], "view": "contour",
                  "cursor": 5},
    "inside": {"surface": "custom", "surface_params": {"formula": "x^2 + 3*y^2", "x_max": 4.0},
               "start": [2.0, 2.0], "steps": 80, "run": {"optimizer": "AdamW", "hparams": {"weight_decay": 0.1}},
               "step": 9, "adamw": True},
}
FIELD = re.compile(r"[A-Za-z0-9_.?]*")  # what a problem may contain: our own field names only


@pytest.mark.parametrize("page", [page.name for page in PAGES])
def test_defaults_need_no_link(page):
    assert encode(page, default_state(page)) == ""
    assert decode(page, "") == (default_state(page), [])


@pytest.mark.parametrize("page", list(STATES))
def test_a_state_round_trips_through_its_link(page):
    state, problems = sanitize(page, STATES[page])
    assert problems == []
    assert state != default_state(page)
    text = encode(page, state)
    assert len(text) < len(json.dumps(state))  # only what differs from the defaults travels
    assert decode(page, text) == (state, [])
    assert sanitize(page, json.loads(json.dumps(state))) == (state, [])  # a saved file is the full state


@pytest.mark.parametrize("page", list(STATES))
def test_the_given_values_are_kept(page):
    state = sanitize(page, STATES[page])[0]
    for key, value in STATES[page].items():
        if key not in ("runs", "run", "schedulers", "surface_params", "hparams"):
            assert state[key] == value, key
    if page == "playground":
        assert state["runs"][0]["hparams"]["momentum"] == 0.9  # the Nesterov preset filled in
        assert state["runs"][1]["scheduler_params"]["milestones"] == [321 // 10]  # the warm-up's default length
        assert state["runs"][1]["color"] == "#123abc"


def engine_configs(page: str, state: dict) -> list[dict]:
    """The engine configs a page runs for a state (what its pages build from their widgets)."""
    def run(r):
        return {k: v for k, v in r.items() if k != "color"}
    if page == "playground":
        where = {k: state[k] for k in ("surface", "surface_params", "start", "steps")}
        return [{**where, **run(r)} for r in state["runs"]]
    if page == "inside":
        return [{k: state[k] for k in ("surface", "surface_params", "start", "steps")} | run(state["run"])]
    if page == "regression":
        params = {**(state["data"] or {}), "standardize": state["standardize"]}
        sizes = {"full": None, "mini": state["batch_size"], "single": 1}
        return [{"surface": "linear_regression", "surface_params": params, "start": state["start"],
                 "steps": state["steps"], **run(state["run"]), "batch_size": sizes[m], "seed": state["seed"],
                 "lr_multipliers": state["lr_multipliers"]} for m in state["modes"]]
    if page == "schedules":
        plain = {k: state[k] for k in ("surface", "surface_params", "start", "steps", "optimizer",
                                       "clip_grad_norm", "clip_grad_value")} | {"hparams": {**state["hparams"],
                                                                                           "lr": state["lr"]}}
        return [plain] + [{**plain, "scheduler": n, "scheduler_params": p} for n, p in state["schedulers"].items()]
    return []


@pytest.mark.parametrize("page", list(STATES))
def test_shared_states_are_valid_engine_configs(page):
    for config in engine_configs(page, sanitize(page, STATES[page])[0]):
        normalize_config(config)


HOSTILE = [
    "<script>alert(1)</script>", "{", "[]", "null", "0", '"text"', "x" * (MAX_QUERY + 1), '{"steps": NaN}',
    '{"steps": Infinity, "start": [1e400, 0]}', "[" * 5000 + "]" * 5000, '{"runs": [' + "{}," * 50 + "{}]}",
    '{"surface": "__class__", "surface_params": {"formula": "__import__(\'os\')"}}',
    '{"runs": [{"optimizer": "<img src=x onerror=alert(1)>", "hparams": {"lr": "<b>"}}]}',
    '{"<script>": 1, "steps": "500", "start": "0,0", "mode": ["race"], "cursor": -1}',
    json.dumps({"surface": "custom", "surface_params": {"formula": "x" * 10_000}}),
    json.dumps({"data": {"x": [1, 2], "y": [1, None]}, "run": {"hparams": {"betas": [2, 3]}}}),
    json.dumps({"schedulers": {"SequentialLR": {"schedulers": [{"name": "StepLR"}, 7]}, "Bogus": {}}}),
]


def assert_safe(page: str, text) -> None:
    state, problems = decode(page, text)
    assert all(FIELD.fullmatch(p) for p in problems), problems
    assert sanitize(page, state) == (state, [])  # what a page shows is always valid as a whole
    for config in engine_configs(page, state):  # and valid for the engine (its cost is the budget's test)
        try:
            with patch("optimizers.budget.check"):
                normalize_config(config)
        except ConfigError as err:  # but a rule the scheduler's defaults break too (an optimizer without momentum
            # to cycle, LBFGS's line search and a schedule reaching 0): shown next to the run, as typed in
            with patch("optimizers.budget.check"), pytest.raises(ConfigError) as again:
                normalize_config({**config, "scheduler_params": {}})
            assert err.key is not None and again.value.key == err.key, str(err)


@pytest.mark.parametrize("page", list(STATES))
@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_links_open_with_defaults_and_a_notice(page, text):
    assert_safe(page, text)
    if text.startswith("<") or len(text) > MAX_QUERY:
        assert decode(page, text) == (default_state(page), ["config"])


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner,
                                                                                max_size=5), max_leaves=30)
NAMES = st.sampled_from(["surface", "surface_params", "start", "steps", "runs", "run", "optimizer", "hparams",
                         "scheduler", "scheduler_params", "lr", "schedulers", "data", "modes", "mode", "grid",
                         "cursor", "step", "color", "clip_grad_norm", "batch_size", "table", "x", "y", "a",
                         "condition", "formula", "momentum", "betas", "name", "params", "milestones"])
# structures that look like states: our own names with random values, nested
SHAPED = st.recursive(JSON, lambda inner: st.dictionaries(NAMES, inner, max_size=6) | st.lists(inner, max_size=3),
                      max_leaves=40)


@settings(max_examples=300, deadline=None)
@given(page=st.sampled_from(list(STATES)), raw=SHAPED)
def test_fuzzed_states_never_break_a_page(page, raw):
    assert_safe(page, json.dumps(raw, allow_nan=True))


@settings(max_examples=200, deadline=None)
@given(page=st.sampled_from(list(STATES)), text=st.text(max_size=300))
def test_fuzzed_text_never_breaks_a_page(page, text):
    assert_safe(page, text)


@settings(max_examples=200, deadline=None)
@given(query=st.dictionaries(st.sampled_from(["lang", "lecture", "hide", "lesson", "c", "x"]),
                             st.text(max_size=50) | st.lists(st.text(max_size=5)) | st.none()))
def test_query_flags_accept_only_known_values(query):
    flags = query_flags(query)
    assert flags["lang"] in (None, "en", "zh")
    assert isinstance(flags["lecture"], bool)
    assert set(flags["hide"]) <= {"code", "table", "controls"}
    assert flags["lesson"] is None or isinstance(flags["lesson"], str)


def test_a_huge_integer_takes_the_default():
    for page in STATES:
        state, problems = decode(page, '{"steps": 1' + "0" * 400 + ', "start": [-1' + "0" * 400 + ', 0]}')
        assert sorted(problems) == ["start", "steps"] and state == default_state(page)


# Values that passed the link's checks and then broke the engine (issue 12): each takes its default, with a notice.
BREAKING = {
    "Adafactor eps=[null, null]": ({"optimizer": "Adafactor", "hparams": {"eps": [None, None]}}, "hparams.eps"),
    "OneCycleLR div_factor=1e-308": ({"scheduler": "OneCycleLR", "scheduler_params": {"div_factor": 1e-308}},
                                     "scheduler_params.div_factor"),
    "OneCycleLR div_factor=1e-300": ({"scheduler": "OneCycleLR", "scheduler_params": {"div_factor": 1e-300}},
                                     "scheduler_params.div_factor"),
    "OneCycleLR final_div_factor=1e-308": ({"scheduler": "OneCycleLR",
                                            "scheduler_params": {"final_div_factor": 1e-308}},
                                           "scheduler_params.final_div_factor"),
    "OneCycleLR total_steps=3": ({"scheduler": "OneCycleLR", "scheduler_params": {"total_steps": 3}},
                                 "scheduler_params.total_steps"),
    "ExponentialLR gamma=10": ({"optimizer": "Adadelta", "scheduler": "ExponentialLR",
                                "scheduler_params": {"gamma": 10}}, "scheduler_params.gamma"),
    "SequentialLR then StepLR gamma=10": ({"optimizer": "Adadelta", "scheduler": "SequentialLR", "scheduler_params": {
        "schedulers": [{"name": "LinearLR"}, {"name": "StepLR", "params": {"step_size": 1, "gamma": 10}}]}},
        "scheduler_params.gamma"),
    "SGD nesterov without momentum": ({"optimizer": "SGD", "hparams": {"nesterov": True}}, "hparams.nesterov"),
}


def breaking_link(page: str, run: dict, field: str) -> tuple[dict, str]:
    """The page's link carrying `run`, and the path the page names `field` of the run by."""
    if page == "playground":
        return {"runs": [run]}, "runs.0." + field
    if page == "schedules" and run.get("scheduler"):  # the page's own schedulers, the page's optimizer
        link = {"schedulers": {run["scheduler"]: run.get("scheduler_params")}, "optimizer": run.get("optimizer", "SGD")}
        return link, f"schedulers.{run['scheduler']}." + field.removeprefix("scheduler_params.")
    return ({"run": run}, "run." + field) if page != "schedules" else (run, field)


@pytest.mark.parametrize("page", list(STATES))
@pytest.mark.parametrize(("run", "field"), BREAKING.values(), ids=BREAKING.keys())
def test_values_that_break_the_engine_take_their_default(page, run, field):
    link, path = breaking_link(page, run, field)
    state, problems = decode(page, json.dumps(link))
    assert problems == [path]
    for config in engine_configs(page, state):
        run_engine({**config, "steps": 12})  # a result, not an exception


RUN_KEYS = ("optimizer", "hparams", "scheduler", "scheduler_params", "clip_grad_norm", "clip_grad_value")


@settings(max_examples=300, deadline=None)
@given(page=st.sampled_from(list(STATES)), config=configs())
def test_links_with_hostile_fields_open_with_valid_engine_configs(page, config):
    run = {k: v for k, v in config.items() if k in RUN_KEYS}
    link = breaking_link(page, run, "")[0]
    assert_safe(page, json.dumps(link, default=lambda a: a.tolist()))


@pytest.mark.parametrize(("run", "key"), [
    ({"optimizer": "Adagrad", "scheduler": "OneCycleLR", "scheduler_params": {"max_lr": 0.5}}, "cycle_momentum"),
    ({"optimizer": "LBFGS", "hparams": {"line_search_fn": "strong_wolfe"}, "scheduler": "PolynomialLR",
      "scheduler_params": {"power": 2.0}}, "total_iters")])
def test_a_rule_the_defaults_break_too_keeps_the_given_values(run, key):
    """Adagrad has no momentum for OneCycleLR to cycle; PolynomialLR reaches 0, where LBFGS's line search fails:
    the link keeps what it gave (the defaults would not help), and the run shows the error."""
    state, problems = decode("playground", json.dumps({"runs": [run]}))
    assert problems == [] and all(state["runs"][0]["scheduler_params"][k] == v
                                  for k, v in run["scheduler_params"].items())
    with pytest.raises(ConfigError, match=key):
        normalize_config(engine_configs("playground", state)[0])
