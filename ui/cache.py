"""Cached engine calls: a widget change recomputes only the runs whose config changed.

Bounded for a classroom on one server (see bench/load.py):

- One cache of Trajectories for the whole server, least recently used first out, bounded by its
  arrays' bytes (CACHE_BYTES): a run records 36–76 bytes per point (start × step; more for optimizers
  with more state), 38 kB for Adam from one start × 500 steps, 10–17 MB for the swarm's 24 × 24 starts,
  123 MB for 64 × 64.  A typical class holds a few tens of MB.  Cached arrays are read-only: every
  session shares them (no copy per rerun, unlike `st.cache_data`).
- Runs are computed by `ui.engine_pool` in worker processes, batched across sessions; `prefetch`
  sends a page's missing runs together.
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

from optimizers import ConfigError, Trajectory, normalize_config

from .engine_pool import EnginePool, default_workers

CACHE_BYTES = 300 * 2**20


def _arrays(traj: Trajectory):
    for f in fields(traj):
        value = getattr(traj, f.name)
        for item in value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]:
            if isinstance(item, np.ndarray):
                yield item


class TrajectoryCache:
    """Trajectories by config key, least recently used out first once their arrays pass `max_bytes`."""

    def __init__(self, max_bytes: int):
        self.max_bytes, self.bytes = max_bytes, 0
        self._items: OrderedDict[str, tuple[Trajectory, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Trajectory | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: str, traj: Trajectory) -> None:
        arrays = list(_arrays(traj))
        for a in arrays:
            a.flags.writeable = False
        size = sum(a.nbytes for a in arrays)
        with self._lock:
            if key in self._items or size > self.max_bytes:
                return
            self._items[key] = (traj, size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped

    def __len__(self) -> int:
        return len(self._items)


CACHE = TrajectoryCache(CACHE_BYTES)
ENGINE = EnginePool(default_workers(), on_result=CACHE.put)
ENGINE.warm_up()  # the workers start while the first page builds its widgets


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


def _key(config: dict) -> str:
    return json.dumps(config, sort_keys=True)


def prefetch(configs: list[dict]) -> None:
    """Start computing every run of `configs` not cached yet, together (bad configs are left to `cached_run`)."""
    missing = []
    for config in configs:
        key = _key(config)
        if CACHE.get(key) is None:
            try:
                normalize_config(config)
            except ConfigError:  # cached_run reports it
                continue
            missing.append(key)
    if missing:
        ENGINE.submit(missing)


def cached_run(config: dict) -> Trajectory:
    """`run(config)`, cached on the config's JSON (raises ConfigError for bad input, uncached)."""
    freeze_imported()
    key = _key(config)
    traj = CACHE.get(key)
    if traj is None:
        normalize_config(config)  # bad input raises here, before it reaches a worker
        traj = ENGINE.submit([key])[0].result()
    return traj
