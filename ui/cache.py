"""Cached engine calls: a widget change recomputes only the runs whose config changed."""

from __future__ import annotations

import json

import streamlit as st

from optimizers import Trajectory, run


@st.cache_data(max_entries=256, show_spinner=False)
def _run(config_json: str) -> Trajectory:
    return run(json.loads(config_json))


def cached_run(config: dict) -> Trajectory:
    """`run(config)`, cached on the config's JSON (raises ConfigError for bad input, uncached)."""
    return _run(json.dumps(config, sort_keys=True))
