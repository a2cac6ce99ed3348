"""Any JSON a page, a share link or a saved file might hold: a ConfigError or a valid config, nothing else.

Per field: each optimizer's and scheduler's keywords and the config's own fields get hostile values (huge
and negative integers, bools, NaN/inf, tiny floats, strings, nested lists and dicts, arrays) mixed with
plausible ones; `run` must return a Trajectory or raise a ConfigError that names one of the fields given.
"""

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizers import DEFAULTS, OPTIMIZERS, SCHEDULERS, ConfigError, Trajectory, normalize_config, run
from surfaces import SURFACES

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12)
names = st.sampled_from([*SURFACES, *OPTIMIZERS, *SCHEDULERS, "Momentum", "x", ""])
keys = st.sampled_from([*DEFAULTS, "lr", "bogus"])
params = st.dictionaries(st.sampled_from(["lr", "momentum", "betas", "a", "b", "step_size", "gamma", "T_max",
                                          "milestones", "formula", "x", "y", "max_lr", "schedulers", "nesterov"]),
                         json_values, max_size=4)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, json_values | names | params, max_size=8))
def test_normalize_never_raises_anything_but_config_error(config):
    try:
        out = normalize_config(config)
    except ConfigError:
        return
    assert normalize_config(out) == out  # a valid config is a fixed point


# Hostile scalars: beyond float range, beyond int64, subnormal, non-finite, of the wrong type.
EXTREMES = [10**39, -10**38, 10**400, -10**400, 2**63, 1e308, -1e308, 1e-308, 5e-324, -5e-324, 2.2e-308,
            float("nan"), float("inf"), -float("inf"), -0.0, True, False, None, "", "0.1", "strong_wolfe", "cos"]
scalars = (st.sampled_from(EXTREMES) | st.integers(max_value=0) | st.integers(min_value=10**6)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8))
hostile = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
                       | st.dictionaries(st.text(max_size=4), inner, max_size=2), max_leaves=6)
arrays = st.sampled_from([np.array(["float32", "float64"]), np.array([0.1, 0.2]), np.array(["cos", "linear"])])


def plausible(p):
    """Values a form could send for `p`: its bounds, its slider's ends, small ints, its choices."""
    edges = [v for v in (p.low, p.high, *(p.slider or ())) if v is not None]
    if p.kind == "int":
        low = int(p.low) if p.low is not None else 0
        return st.integers(low, low + 30)
    if p.kind in ("float", "pair"):
        item = st.sampled_from(edges or [0.0]) | st.floats(p.low or -10.0, min(p.high or 10.0, 1e3))
        return st.tuples(item, item).map(list) if p.kind == "pair" else item
    if p.kind == "int_list":
        return st.lists(st.integers(1, 40), max_size=3)
    if p.kind == "choice":
        return st.sampled_from(p.choices)
    if p.kind == "bool":
        return st.booleans()
    return st.just(p.default)


def field_values(schema):
    """A dict over some keys of `schema`, each value hostile or plausible."""
    return st.fixed_dictionaries({}, optional={p.key: hostile | arrays | plausible(p) for p in schema
                                               if p.kind != "float_list"})


@st.composite
def configs(draw):
    """A run config whose optimizer, scheduler and config fields are drawn field by field."""
    optimizer = draw(st.sampled_from(list(OPTIMIZERS)))
    scheduler = draw(st.sampled_from([None, *(n for n in SCHEDULERS if n != "SequentialLR")]))
    config = {"optimizer": optimizer, "hparams": draw(field_values(OPTIMIZERS[optimizer].params)),
              "scheduler": scheduler, "steps": draw(st.integers(1, 12))}
    if scheduler is not None:
        config["scheduler_params"] = draw(field_values(SCHEDULERS[scheduler].params))
    own = {"steps": st.integers(1, 12), "seed": st.integers(0, 10), "dtype": st.sampled_from(["float32", "float64"]),
           "clip_grad_norm": st.floats(1e-3, 10.0), "clip_grad_value": st.floats(1e-3, 10.0),
           "lr_multipliers": st.tuples(st.floats(1e-3, 10.0), st.floats(1e-3, 10.0)).map(list),
           "start": st.tuples(st.floats(-3.0, 3.0), st.floats(-3.0, 3.0)).map(list)}
    for key in draw(st.lists(st.sampled_from(list(own)), max_size=2, unique=True)):
        value = draw(own[key] | hostile | arrays)
        if key != "steps" or not (isinstance(value, int | float) and not isinstance(value, bool) and value > 12):
            config[key] = value  # a plausible long run is the budget's business, not this test's
    return config


def field_names(config: dict) -> set[str]:
    """The names of the config's fields: its keys, its optimizer's and its scheduler's keywords."""
    schemas = [OPTIMIZERS[config["optimizer"]].params, SCHEDULERS[config["scheduler"]].params
               if config["scheduler"] else (), SURFACES[config.get("surface", "rosenbrock")].params]
    return {*DEFAULTS, *(p.key for schema in schemas for p in schema)}


def assert_result_or_named_error(config: dict) -> None:
    try:
        traj = run(config)
    except ConfigError as err:
        assert any(re.search(rf"\b{key}\b", str(err)) for key in field_names(config)), str(err)
        assert err.message("zh") and err.message("zh") != str(err)
        return
    assert isinstance(traj, Trajectory)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_hostile_fields_give_a_run_or_an_error_naming_the_field(config):
    assert_result_or_named_error(config)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_hostile_sequential_chains_give_a_run_or_a_named_error(data):
    later = [n for n in SCHEDULERS if n not in ("SequentialLR", "ReduceLROnPlateau")]
    chain = [{"name": n, "params": data.draw(field_values(SCHEDULERS[n].params))}
             for n in data.draw(st.lists(st.sampled_from(later), min_size=2, max_size=2))]
    config = {"optimizer": data.draw(st.sampled_from(list(OPTIMIZERS))), "hparams": {}, "steps": 8,
              "scheduler": "SequentialLR", "scheduler_params": {"schedulers": chain, "milestones": [4]}}
    try:
        run(config)
    except ConfigError as err:
        named = {"SequentialLR", *(c["name"] for c in chain), *(k for c in chain for k in c["params"])}
        assert any(key in str(err) for key in named), str(err)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_hostile_surfaces_and_starts_give_a_run_or_a_named_error(data):
    surface = data.draw(st.sampled_from(list(SURFACES)))
    data_column = st.lists(st.floats(-1e12, 1e12) | scalars, min_size=2, max_size=12)
    params = data.draw(st.fixed_dictionaries({}, optional={p.key: hostile | plausible(p) | data_column
                                                           for p in SURFACES[surface].params}))
    points = st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)).map(list)
    config = {"surface": surface, "surface_params": params, "steps": 5, "scheduler": None,
              "optimizer": data.draw(st.sampled_from(["SGD", "Adam", "Adafactor", "LBFGS"])), "hparams": {},
              "start": data.draw(hostile | points | st.lists(points, min_size=1, max_size=3))}
    if data.draw(st.booleans()):
        config["batch_size"] = data.draw(hostile | st.integers(1, 5))
    assert_result_or_named_error(config)


WOLFE = {"optimizer": "LBFGS", "hparams": {"line_search_fn": "strong_wolfe", "max_iter": 4}}
# The hostile configs found from outside (issue 12) and by the fuzzing above, each once: a ConfigError naming
# the field, nothing else.
REGRESSIONS = {
    "steps=10**39": ({"steps": 10**39}, "steps"),
    "steps=10**400": ({"steps": 10**400}, "steps"),
    "seed=-10**38": ({"seed": -10**38}, "seed"),
    "seed=-10**400": ({"seed": -10**400}, "seed"),
    "lr=10**400": ({"hparams": {"lr": 10**400}}, "lr"),
    "start=[10**400, 0]": ({"start": [10**400, 0]}, "start"),
    "lr=10**5000": ({"hparams": {"lr": 10**5000}}, "lr"),
    "surface=10**5000": ({"surface": 10**5000}, "surface"),
    "milestones=[10**400]": ({"scheduler": "MultiStepLR", "scheduler_params": {"milestones": [10**400]}}, "milestones"),
    "Adafactor eps=[None, None]": ({"optimizer": "Adafactor", "hparams": {"eps": [None, None]}}, "eps"),
    "OneCycleLR div_factor=1e-308": ({"scheduler": "OneCycleLR", "scheduler_params": {"div_factor": 1e-308}},
                                     "div_factor"),
    "OneCycleLR div_factor=1e-300": ({"scheduler": "OneCycleLR", "scheduler_params": {"div_factor": 1e-300}},
                                     "div_factor"),
    "OneCycleLR final_div_factor=1e-308": ({"scheduler": "OneCycleLR",
                                            "scheduler_params": {"final_div_factor": 1e-308}}, "final_div_factor"),
    "dtype=array": ({"dtype": np.array(["float32", "float64"])}, "dtype"),
    "line_search_fn=array": ({"optimizer": "LBFGS", "hparams": {"line_search_fn": np.array(["strong_wolfe", "x"])}},
                             "line_search_fn"),
    "anneal_strategy=array": ({"scheduler": "OneCycleLR", "scheduler_params": {"anneal_strategy": np.array(["cos",
                                                                                                          "x"])}},
                              "anneal_strategy"),
    "CyclicLR mode=array": ({"scheduler": "CyclicLR", "scheduler_params": {"mode": np.array(["triangular", "x"])}},
                            "mode"),
    "Adadelta ExponentialLR gamma=10": ({"optimizer": "Adadelta", "steps": 60, "scheduler": "ExponentialLR",
                                         "scheduler_params": {"gamma": 10}}, "gamma"),
    "Adadelta StepLR gamma=10": ({"optimizer": "Adadelta", "steps": 60, "scheduler": "StepLR",
                                  "scheduler_params": {"step_size": 1, "gamma": 10}}, "gamma"),
    "CyclicLR exp_range gamma=10": ({"optimizer": "Rprop", "steps": 400, "scheduler": "CyclicLR",
                                     "scheduler_params": {"mode": "exp_range", "gamma": 10, "step_size_up": 1,
                                                          "cycle_momentum": False}}, "gamma"),
    "Adam OneCycleLR max_momentum=1": ({"steps": 60, "scheduler": "OneCycleLR",
                                        "scheduler_params": {"max_momentum": 1.0, "base_momentum": 1.0}},
                                       "momentum"),
    "RMSprop CyclicLR max_momentum=0": ({"optimizer": "RMSprop", "scheduler": "CyclicLR",
                                         "scheduler_params": {"max_momentum": 0.0}}, "max_momentum"),
    "LBFGS strong_wolfe CosineAnnealingLR T_max=1": ({**WOLFE, "scheduler": "CosineAnnealingLR",
                                                      "scheduler_params": {"T_max": 1}}, "eta_min"),
    "LBFGS strong_wolfe LinearLR end_factor=0": ({**WOLFE, "scheduler": "LinearLR",
                                                  "scheduler_params": {"end_factor": 0.0, "total_iters": 2}},
                                                 "end_factor"),
    "ConstantLR factor=0": ({"steps": 10, "scheduler": "ConstantLR", "scheduler_params": {"factor": 0,
                                                                                         "total_iters": 3}},
                            "factor"),
}


@pytest.mark.parametrize(("config", "field"), REGRESSIONS.values(), ids=REGRESSIONS.keys())
def test_found_hostile_configs_raise_a_config_error_naming_the_field(config, field):
    with pytest.raises(ConfigError, match=field):
        run({"steps": 5, **config})


@pytest.mark.parametrize("optimizer", ["LBFGS", "Adam"])
def test_a_start_whose_loss_overflows_diverges_at_step_0(optimizer):
    traj = run({"surface": "beale", "start": [-5e5, -5e5], "steps": 5, "optimizer": optimizer})
    assert traj.diverged_at == 0 and traj.lr.shape == (5,)
