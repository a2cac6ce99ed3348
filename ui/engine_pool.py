"""Engine runs for the server, in worker processes, batched across sessions.

The engine is many tiny torch calls; in the server's own process they would hold its GIL, so
one core would both step optimizers and serve every page.  Here each run goes to a worker
process (`python -m ui.engine_pool`, fed pickled batches through its stdin/stdout; the server's
threads only wait), and the runs asked for while the workers are busy, by any session, go to
the next free worker together and are stepped in lock-step (`optimizers.run_many`: one
forward/backward for all of them, each run to its own end).  Results equal `optimizers.run`
(tests/test_engine_pool.py).

`PLAYGROUND_ENGINE_WORKERS` sets the number of worker processes (default: the CPUs this process
may use); 0 runs the engine in a thread of the server.  This module does not import Streamlit.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import math
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

MAX_BATCH = 8  # runs per batch: a batch waits for its longest run
MAX_DEFAULT_WORKERS = 4
ROOT = Path(__file__).resolve().parents[1]


def run_batch(config_jsons: list[str]) -> list:
    """The Trajectory of each config (as JSON), or the exception it raised: one bad run sinks no other."""
    from optimizers import run, run_many

    configs = [json.loads(c) for c in config_jsons]
    try:
        return run_many(configs)
    except Exception:  # find which run failed and keep the others
        out = []
        for config in configs:
            try:
                out.append(run(config))
            except Exception as err:
                out.append(err)
        return out


def serve(requests, replies) -> None:
    """A worker's loop: a pickled batch in, its pickled results out, until the server closes the pipe."""
    import torch

    torch.set_num_threads(1)  # tiny tensors: intra-op threads would only compete for the cores
    while True:
        try:
            batch = pickle.load(requests)
        except EOFError:  # the server is gone
            return
        pickle.dump(run_batch(batch), replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()
        _give_back_memory()


def _give_back_memory() -> None:
    """Return the freed heap to the system (glibc keeps it otherwise: a swarm's 10-20 MB, batch after batch)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def default_workers() -> int:
    """`PLAYGROUND_ENGINE_WORKERS`, else one per CPU this process may use (its affinity and its container's CPU
    quota), at most MAX_DEFAULT_WORKERS: each worker holds ~220 MB (torch), and a container's memory limit
    counts them all."""
    setting = os.environ.get("PLAYGROUND_ENGINE_WORKERS", "").strip()
    if setting.isdigit():
        return int(setting)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:  # cgroup v2: "max 100000" (no quota) or "150000 100000" (1.5 CPUs)
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, min(cpus, MAX_DEFAULT_WORKERS))


class WorkerLost(RuntimeError):
    """A worker process ended in the middle of a batch (e.g. killed for memory)."""


class _Worker:
    """One worker process, started on first use and again after it was lost."""

    def __init__(self):
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if self.process is None:
            self.process = subprocess.Popen([sys.executable, "-m", "ui.engine_pool"], cwd=ROOT,
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def run(self, batch: list[str]) -> list:
        self.start()
        try:
            pickle.dump(batch, self.process.stdin)
            self.process.stdin.flush()
            return pickle.load(self.process.stdout)
        except (OSError, EOFError, pickle.UnpicklingError) as err:
            self.process.kill()
            self.process.wait()
            self.process = None
            raise WorkerLost(f"the engine's worker process stopped ({type(err).__name__})") from err


class EnginePool:
    """Runs configs (JSON keys) on `workers` processes; `on_result(key, trajectory)` sees each result first."""

    def __init__(self, workers: int, on_result: Callable[[str, object], None] = lambda key, traj: None):
        self.workers, self.on_result = workers, on_result
        self.batch_sizes: list[int] = []  # of the last batches (bounded): for tests and benchmarks
        self._changed = threading.Condition()
        self._pending: list[str] = []  # keys waiting for a free worker, oldest first
        self._waiting: dict[str, Future] = {}  # every key asked for and not done, with its future
        self._slots = [_Worker() if workers else None for _ in range(max(1, workers))]
        for slot in self._slots:
            threading.Thread(target=self._serve, args=(slot,), name="engine", daemon=True).start()

    def warm_up(self) -> None:
        """Start the worker processes now (each imports torch: ~2 s)."""
        for slot in self._slots:
            if slot is not None:
                slot.start()

    def submit(self, keys: list[str]) -> list[Future]:
        """A future per key; a key already asked for shares the first request's future."""
        with self._changed:
            futures = []
            for key in keys:
                if key not in self._waiting:
                    self._waiting[key] = Future()
                    self._pending.append(key)
                futures.append(self._waiting[key])
            self._changed.notify()
        return futures

    def _serve(self, slot: _Worker | None) -> None:
        """A slot's thread: take the oldest waiting keys (up to MAX_BATCH), run them, hand out the results."""
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._pending)
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                self.batch_sizes = [*self.batch_sizes[-99:], len(batch)]
            results = self._run(slot, batch)
            for key, result in zip(batch, results, strict=True):
                if not isinstance(result, BaseException):
                    self.on_result(key, result)
            with self._changed:
                futures = [self._waiting.pop(key) for key in batch]
            for future, result in zip(futures, results, strict=True):
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    @staticmethod
    def _run(slot: _Worker | None, batch: list[str]) -> list:
        if slot is None:
            return run_batch(batch)
        try:
            return slot.run(batch)
        except WorkerLost:
            try:  # once more, on a new process
                return slot.run(batch)
            except WorkerLost as err:
                return [err] * len(batch)


if __name__ == "__main__":
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not corrupt the replies
    serve(sys.stdin.buffer, replies)
