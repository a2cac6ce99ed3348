"""Cached engine calls: a widget change recomputes only the runs whose config changed.

Bounded for a classroom on one server (see bench/load.py):

- Streamlit keeps each cached Trajectory pickled in the server's memory, 60–80 bytes per recorded point
  (start × step): 40 kB for one start × 500 steps, 17 MB for the swarm's 24 × 24 starts, 123 MB for 64 × 64.
  A count of entries cannot bound that alone, so a run goes to one of three caches by its number of points,
  each with its own count: ≤ 0.2 GB of single runs, ≤ 0.3 GB of swarms up to 600k points, and the last two
  larger ones (2 × 123 MB for 64 × 64 starts × 500 steps; more only if a page allows more points).  A typical
  class holds a few tens of MB.
- One engine run at a time (`_ENGINE`): the engine is many tiny torch calls, each of which lets go of the GIL
  and takes it back, so several script threads stepping at once mostly pass the GIL to and fro between
  the cores (≈ 30 % more CPU for 40 runs at once, up to 3 × on an otherwise idle 2-core machine) and all
  finish late; queued, each finishes as soon as its turn is done.
- `gc.freeze()` once the app's modules are imported: torch, plotly, pandas and Streamlit leave ~380k objects
  that every full garbage collection would walk again (≈ 0.2–0.4 s holding the GIL, which stalls every
  session of the server); frozen, they are skipped.  `runner.postScriptGC = false` in .streamlit/config.toml
  stops Streamlit's full collection after every script run for the same reason.
"""

from __future__ import annotations

import gc
import json
import sys
import threading

import streamlit as st

from optimizers import Trajectory, run

SMALL = 10_001  # points: one start × up to 10,000 steps (≤ 0.8 MB pickled)
LARGE = 600_000  # points: e.g. the swarm's 24 × 24 starts × up to 1,000 steps (≤ 40 MB pickled)


_ENGINE = threading.Lock()


def _compute(config_json: str) -> Trajectory:
    with _ENGINE:
        return run(json.loads(config_json))


@st.cache_data(max_entries=256, show_spinner=False)
def _run(config_json: str) -> Trajectory:
    return _compute(config_json)


@st.cache_data(max_entries=8, show_spinner=False)
def _run_large(config_json: str) -> Trajectory:
    return _compute(config_json)


@st.cache_data(max_entries=2, show_spinner=False)
def _run_huge(config_json: str) -> Trajectory:
    return _compute(config_json)


def points(config: dict) -> int:
    """How many points (start × step) a run records: what its cached Trajectory's size grows with."""
    start, steps = config.get("start"), config.get("steps")
    starts = len(start) if isinstance(start, list) and start and isinstance(start[0], list | tuple) else 1
    return starts * ((steps if isinstance(steps, int) and steps > 0 else 1) + 1)


_frozen_modules = 0
_freeze_lock = threading.Lock()


def freeze_imported() -> None:
    """Hide the objects alive now from the garbage collector, if modules were imported since the last time.

    Called from `cached_run`, i.e. from a page's script after its imports.  Collects first so no garbage is
    frozen; runs again only when new modules came in (a page first opened), a bounded number of times."""
    global _frozen_modules
    if len(sys.modules) == _frozen_modules:
        return
    with _freeze_lock:
        if len(sys.modules) != _frozen_modules:
            _frozen_modules = len(sys.modules)
            gc.collect()
            gc.freeze()


def cached_run(config: dict) -> Trajectory:
    """`run(config)`, cached on the config's JSON (raises ConfigError for bad input, uncached)."""
    freeze_imported()
    size = points(config)
    cache = _run if size <= SMALL else _run_large if size <= LARGE else _run_huge
    return cache(json.dumps(config, sort_keys=True))
