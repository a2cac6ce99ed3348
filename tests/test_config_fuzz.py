"""Any JSON a page, a share link or a saved file might hold: a ConfigError or a valid config, nothing else."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizers import DEFAULTS, OPTIMIZERS, SCHEDULERS, ConfigError, normalize_config
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
