"""Cached engine calls: a widget change recomputes only the runs whose config changed.

Bounded for a classroom on one server (see bench/load.py):

- One cache of Trajectories for the whole server, least recently used first out, bounded by its
  arrays' bytes (CACHE_BYTES): a run records 36–76 bytes per point (start × step; more for optimizers
  with more state), 38 kB for Adam from one start × 500 steps, 10–17 MB for the swarm's 24 × 24 starts,
  123 MB for 64 × 64.  A typical class holds a few tens of MB.  Cached arrays are read-only: every
  session shares them (no copy per rerun, unlike `st.cache_data`).
- Runs are computed by `ui.engine_pool` in worker processes, batched across sessions; `prefetch`
  sends a page's missing runs together.  A failed worker reaches pages as a ConfigError in both
  languages (`EngineFailed`), shown like a bad config; `engine_task` saves or resumes a checkpoint
  in a worker too.
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
from collections import OrderedDict
from dataclasses import fields

import numpy as np

from optimizers import ConfigError, NetworkTrajectory, Trajectory, network, normalize, normalize_config
from optimizers.engine import first_steps

from .engine_pool import EnginePool, OverLimit, WorkerLost, default_workers

CACHE_BYTES = 200 * 2**20
Run = Trajectory | NetworkTrajectory  # a surface's run or a network's (a config with a "network" key)


def _arrays(traj: Run):
    for f in fields(traj):
        value = getattr(traj, f.name)
        for item in value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]:
            if isinstance(item, np.ndarray):
                yield item


def _without_steps(config: dict) -> str | None:
    """What runs that differ only in their number of steps share (None: the run depends on its steps)."""
    if config.get("scheduler") is not None:
        return None
    return json.dumps({k: v for k, v in config.items() if k != "steps"}, sort_keys=True, default=str)


class TrajectoryCache:
    """Trajectories by config key, least recently used out first once their arrays pass `max_bytes`.

    A run without a scheduler is also found by `first_steps_of` for any shorter number of steps."""

    def __init__(self, max_bytes: int):
        self.max_bytes, self.bytes = max_bytes, 0
        self._items: OrderedDict[str, tuple[Run, int, str | None]] = OrderedDict()  # run, bytes, base
        self._by_steps: dict[str, dict[int, str]] = {}  # _without_steps(config) -> {steps: key}
        self._lock = threading.Lock()

    def get(self, key: str) -> Run | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def first_steps_of(self, config: dict) -> Run | None:
        """A cached longer run of the normalized `config` cut to its steps, if there is one."""
        base = _without_steps(config)
        with self._lock:
            longer = [(steps, key) for steps, key in self._by_steps.get(base, {}).items() if steps >= config["steps"]]
            if not longer:
                return None
            key = min(longer)[1]
            self._items.move_to_end(key)
            traj = self._items[key][0]
        if isinstance(traj, NetworkTrajectory):
            return network.first_steps(traj, config["steps"])
        return first_steps(traj, config["steps"])

    def put(self, key: str, traj: Run) -> None:
        arrays = list(_arrays(traj))
        for a in arrays:
            a.flags.writeable = False
        size = sum(a.nbytes for a in arrays)
        base = _without_steps(traj.config)
        with self._lock:
            if key in self._items or size > self.max_bytes:
                return
            self._items[key] = (traj, size, base)
            if base is not None:
                self._by_steps.setdefault(base, {})[traj.steps] = key
            self.bytes += size
            while self.bytes > self.max_bytes:
                dropped_key, (dropped, dropped_size, dropped_base) = self._items.popitem(last=False)
                self.bytes -= dropped_size
                index = self._by_steps.get(dropped_base, {})
                if index.get(dropped.steps) == dropped_key:  # two keys (0 and 0.0) may name one run: keep the other
                    del index[dropped.steps]
                    if not index:
                        del self._by_steps[dropped_base]

    def __len__(self) -> int:
        return len(self._items)


CACHE = TrajectoryCache(CACHE_BYTES)


def _keep(key: str, result) -> None:
    if isinstance(result, Run):  # not a checkpoint task's result
        CACHE.put(key, result)


ENGINE = EnginePool(default_workers(), on_result=_keep)  # its workers start on first use (ui.page.setup)


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


def _lookup(config: dict) -> tuple[str, Run | None]:
    """The config's cache key and its cached run, or the first steps of a cached longer one, or None.

    Raises ConfigError for bad input, before anything reaches a worker."""
    key = json.dumps(config, sort_keys=True)
    traj = CACHE.get(key)
    if traj is None:
        traj = CACHE.first_steps_of(normalize(config))
    return key, traj


def prefetch(configs: list[dict]) -> list[int]:
    """Start computing every run of `configs` not cached yet, together (bad configs are left to `cached_run`);
    returns the indices of those runs."""
    missing = {}
    for i, config in enumerate(configs):
        try:
            key, traj = _lookup(config)
        except ConfigError:  # cached_run reports it
            continue
        if traj is None:
            missing[i] = key
    if missing:
        ENGINE.submit(list(missing.values()))
    return list(missing)


class EngineFailed(ConfigError):
    """The engine could not finish a request (its worker was lost twice, or it passed its limits), in both
    languages: pages show it as they show a bad config."""

    def __init__(self, err: WorkerLost):
        if isinstance(err, OverLimit):
            key, values = ("engine.memory", {"mb": f"{err.limit:,.0f}"}) if err.what == "memory" else (
                "engine.time", {"seconds": f"{err.limit:,.0f}"})
        else:
            key, values = "engine.lost", {}
        super().__init__(key, **values)


def _result(future):
    try:
        return future.result()
    except WorkerLost as err:
        raise EngineFailed(err) from err


def cached_run(config: dict) -> Run:
    """`run(config)` (a NetworkTrajectory for a network config), cached on the config's JSON (raises ConfigError
    for bad input or a failed engine, uncached).

    Fewer steps than a cached run (without a scheduler) are that run's first steps: no engine call."""
    freeze_imported()
    key, traj = _lookup(config)
    return traj if traj is not None else _result(ENGINE.submit([key])[0])


def engine_task(task: str, config: dict, **args):
    """`optimizers.checkpoint.<task>(config, ...)` ("checkpoint" or "resume") in an engine worker, under the
    run's cost budget and the worker's limits (raises ConfigError as `cached_run` does)."""
    config = normalize_config(config)  # refused here, over budget, before it reaches a worker
    return _result(ENGINE.submit([json.dumps({"task": task, "config": config, **args}, sort_keys=False)])[0])
