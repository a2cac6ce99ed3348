"""Engine runs for the server, in worker processes, batched across sessions.

The engine is many tiny torch calls; in the server's own process they would hold its GIL, so
one core would both step optimizers and serve every page.  Here each run goes to a worker
process (`python -m ui.engine_pool`, fed pickled batches through its stdin/stdout; the server's
threads only wait), and the runs asked for while the workers are busy, by any session, go to
the next free worker together and are stepped in lock-step (`optimizers.run_many`: one
forward/backward for all of them, each run to its own end).  Results equal `optimizers.run`
(tests/test_engine_pool.py).

Each batch has hard limits from its runs' estimated cost (`batch_limits`, `optimizers.budget`): past its time
or its memory (the worker's RSS, watched from the server), the worker is killed and replaced, the batch's
other requests run again one at a time, and the request past the limit gets `OverLimit`.  A worker lost
otherwise is replaced and its batch tried once more.  Besides runs, a batch may hold checkpoint tasks
(`{"task": "checkpoint" | "resume", ...}`, see `optimizers.checkpoint`).

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
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

# Workers' glibc: allocations from 64 KB on get their own mapping.  Left to its dynamic threshold, the heap grew
# ~80 KB per step of a 10,000-row regression (each step's freed temporaries fragmented by the small records kept):
# +260 MB after 2,000 steps, +99 MB with this, at the same speed.
MMAP_THRESHOLD = 64 * 1024
MAX_BATCH = 8  # runs per batch: a batch waits for its longest run
MAX_DEFAULT_WORKERS = 4
# A batch's hard limits: its worker is killed past them.  The budget (optimizers.budget) keeps each run's
# estimate within a few seconds and ~160 MB of records, so allowed batches stay far inside these.
BATCH_SECONDS = (15.0, 4.0)  # base + this × the batch's estimated seconds (a busy machine runs slower)
BATCH_BYTES = (1024 * 2**20, 4)  # worker RSS: base (torch alone is ~220-310 MB) + this × the estimated bytes
WATCH_EVERY = 0.05  # seconds between looks at a working worker
ROOT = Path(__file__).resolve().parents[1]


def _task(key: str):
    """A non-run request (a JSON object with a "task"), run on its own; see `optimizers.checkpoint`."""
    from optimizers import checkpoint

    request = json.loads(key)
    if request["task"] == "checkpoint":
        return checkpoint.checkpoint(request["config"], request["t"])
    return checkpoint.resume(request["config"], request["saved"])


def is_task(key: str) -> bool:
    return key.startswith('{"task":')


def worker_env() -> dict[str, str]:
    """The environment a worker process starts with: the server's, with glibc's fixed mmap threshold."""
    return {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD)}


def run_batch(keys: list[str]) -> list:
    """The Trajectory of each config (as JSON) or the result of each task, or the exception it raised: one bad
    run sinks no other."""
    from optimizers import run, run_many

    configs = [json.loads(k) for k in keys if not is_task(k)]
    try:
        runs = iter(run_many(configs))
    except Exception:  # find which run failed and keep the others
        runs = iter([_attempt(run, c) for c in configs])
    return [_attempt(_task, k) if is_task(k) else next(runs) for k in keys]


def _attempt(fn, arg):
    try:
        return fn(arg)
    except Exception as err:
        return err


def batch_limits(keys: list[str]) -> tuple[float, int]:
    """(seconds, worker RSS bytes) a batch may take before its worker is killed, from the runs' estimated cost."""
    from optimizers import normalize
    from optimizers.budget import estimate

    seconds = size = 0
    for key in keys:
        config = json.loads(key)
        try:
            cost = estimate(normalize(config.get("config", config) if is_task(key) else config))
        except Exception:  # a bad config: the worker reports it
            continue
        seconds, size = seconds + cost.seconds, size + cost.bytes
    return BATCH_SECONDS[0] + BATCH_SECONDS[1] * seconds, BATCH_BYTES[0] + BATCH_BYTES[1] * size


def serve(requests, replies) -> None:
    """A worker's loop: a pickled batch in, its pickled results out, until the server closes the pipe."""
    import torch

    import optimizers

    torch.set_num_threads(1)  # tiny tensors: intra-op threads would only compete for the cores
    # One tiny run before "ready": torch imports its compiler stack (torch._dynamo, ~1.5 s) on the first optimizer
    # it builds, which would otherwise fall on a student's first change, inside the batch's time limit.
    optimizers.run({"surface": "rosenbrock", "steps": 2, "optimizer": "SGD", "hparams": {"lr": 1e-3}})
    pickle.dump("ready", replies)
    replies.flush()
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
    """A worker process ended in the middle of a batch (e.g. killed by the system)."""


class OverLimit(WorkerLost):
    """A batch passed its time or memory limit (`batch_limits`): its worker was killed."""

    def __init__(self, what: str, limit: float):
        super().__init__(f"the engine stopped a batch past its {what} limit ({limit:,.4g})")
        self.what, self.limit = what, limit


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class _Worker:
    """One worker process, started on first use and again after it was lost."""

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.ready = False  # the process has imported torch (its "ready" came)

    def start(self) -> None:
        if self.process is None:
            self.process = subprocess.Popen([sys.executable, "-m", "ui.engine_pool"], cwd=ROOT,
                                            env=worker_env(),
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            self.ready = False

    def run(self, batch: list[str], seconds: float = math.inf, max_rss: float = math.inf) -> list:
        """The batch's results; the worker is killed (OverLimit) past `seconds` or `max_rss` bytes of memory."""
        self.start()
        process, done, over = self.process, threading.Event(), []
        if not self.ready:  # its imports do not count against the batch's time
            try:
                self.ready = pickle.load(process.stdout) == "ready"
            except (OSError, EOFError, pickle.UnpicklingError) as err:
                self._lose(process)
                raise WorkerLost(f"the engine's worker process did not start ({type(err).__name__})") from err

        def watch():
            deadline = time.monotonic() + seconds
            while not done.wait(WATCH_EVERY):
                if time.monotonic() > deadline:
                    over.append(OverLimit("time", seconds))
                elif _rss(process.pid) > max_rss:
                    over.append(OverLimit("memory", max_rss / 2**20))
                else:
                    continue
                process.kill()
                return

        watcher = threading.Thread(target=watch, name="engine-watch", daemon=True)
        watcher.start()
        try:
            pickle.dump(batch, process.stdin)
            process.stdin.flush()
            return pickle.load(process.stdout)
        except (OSError, EOFError, pickle.UnpicklingError) as err:
            self._lose(process)
            done.set()
            watcher.join()
            raise (over[0] if over else WorkerLost(f"the engine's worker process stopped ({type(err).__name__})")) \
                from err
        finally:
            done.set()

    def _lose(self, process: subprocess.Popen) -> None:
        process.kill()
        process.wait()
        self.process = None


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
            try:
                results = self._run(slot, batch)
            except Exception as err:  # e.g. a result that cannot be unpickled: fail the batch, never hang
                results = [err] * len(batch)
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

    @classmethod
    def _run(cls, slot: _Worker | None, batch: list[str]) -> list:
        """The batch's results.  A lost worker is replaced and the batch tried once more; a batch past its limits
        is run again one request at a time, so that only the request that passed them fails."""
        if slot is None:
            return run_batch(batch)
        limits = batch_limits(batch)
        try:
            return slot.run(batch, *limits)
        except OverLimit as err:
            return [err] if len(batch) == 1 else [r for key in batch for r in cls._run(slot, [key])]
        except WorkerLost:
            try:  # once more, on a new process
                return slot.run(batch, *limits)
            except WorkerLost as err:
                return [err] * len(batch)


if __name__ == "__main__":
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not corrupt the replies
    serve(sys.stdin.buffer, replies)
