"""The server's engine pool: worker processes, batches across sessions, the shared cache."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from optimizers import ConfigError, normalize_config, run
from ui.cache import TrajectoryCache
from ui.engine_pool import EnginePool


def key(config: dict) -> str:
    return json.dumps(config, sort_keys=True)


CONFIGS = [
    {"surface": "rosenbrock", "steps": 120, "optimizer": "Adam", "hparams": {"lr": 0.05}},
    {"surface": "rosenbrock", "steps": 37, "optimizer": "SGD", "hparams": {"lr": 0.001}},
    {"surface": "rosenbrock", "steps": 80, "optimizer": "Momentum", "hparams": {"lr": 0.001},
     "scheduler": "StepLR", "scheduler_params": {"step_size": 10}},
    {"surface": "linear_regression", "steps": 30, "optimizer": "SGD", "hparams": {"lr": 0.01}, "batch_size": 4},
    {"surface": "linear_regression", "steps": 60, "optimizer": "Adam", "hparams": {"lr": 0.1}, "batch_size": 4},
    {"surface": "bowl", "steps": 6, "optimizer": "LBFGS", "hparams": {"lr": 1.0}},
    {"surface": "himmelblau", "steps": 40, "optimizer": "Adam", "start": [[0.0, 0.0], [1.0, 2.0]]},
]


@pytest.fixture(scope="module")
def pool():
    return EnginePool(2)


def assert_same(a, b):
    np.testing.assert_array_equal(a.xy, b.xy)
    np.testing.assert_array_equal(a.loss, b.loss)
    np.testing.assert_array_equal(a.lr, b.lr)
    assert a.diverged_at == b.diverged_at


def test_runs_from_many_sessions_at_once_equal_runs_alone(pool):
    futures = {}

    def session(config):  # each session asks for its own run, as the page scripts do
        futures[key(config)] = pool.submit([key(config)])[0]

    sessions = [threading.Thread(target=session, args=(c,)) for c in CONFIGS]
    for s in sessions:
        s.start()
    for s in sessions:
        s.join()
    for config in CONFIGS:
        assert_same(futures[key(config)].result(timeout=120), run(config))


def test_runs_asked_for_while_the_workers_are_busy_go_together(pool):
    configs = [{"surface": "rosenbrock", "steps": 400 + i, "optimizer": "Adam", "hparams": {"lr": 0.01 + i / 1000}}
               for i in range(12)]
    before = len(pool.batch_sizes)
    futures = pool.submit([key(c) for c in configs[:2]])  # both workers busy
    time.sleep(0.05)
    futures += pool.submit([key(c) for c in configs[2:]])
    for config, future in zip(configs, futures, strict=True):
        assert_same(future.result(timeout=120), run(config))
    sizes = pool.batch_sizes[before:]
    assert sum(sizes) == len(configs) and max(sizes) > 1, sizes


def test_a_key_asked_for_twice_is_run_once(pool):
    config = {"surface": "bowl", "steps": 300, "optimizer": "RMSprop", "hparams": {"lr": 0.003}}
    first, second = pool.submit([key(config), key(config)])
    assert first is second
    assert_same(first.result(timeout=120), run(config))


def test_a_failing_run_fails_alone(pool):
    good = {"surface": "bowl", "steps": 20, "optimizer": "SGD", "hparams": {"lr": 0.1}}
    bad = {"surface": "bowl", "steps": 20, "optimizer": "NoSuchOptimizer"}
    ok, failing = pool.submit([key(good), key(bad)])
    assert_same(ok.result(timeout=120), run(good))
    with pytest.raises(ConfigError) as info:  # it crosses from the worker as its message key and values
        failing.result(timeout=120)
    assert "NoSuchOptimizer" in info.value.message("zh") and info.value.message("zh") != str(info.value)


def test_a_killed_worker_is_replaced_and_the_batch_runs_again():
    pool = EnginePool(1)
    pool.warm_up()
    config = {"surface": "rosenbrock", "steps": 5000, "optimizer": "Adam", "hparams": {"lr": 0.002}}
    worker = pool._slots[0].process
    future = pool.submit([key(config)])[0]
    time.sleep(0.5)
    worker.kill()
    assert_same(future.result(timeout=180), run(config))
    assert pool._slots[0].process.pid != worker.pid


def test_a_worker_leaves_when_the_server_closes_its_pipe():
    pool = EnginePool(1)
    pool.warm_up()
    worker = pool._slots[0].process
    worker.stdin.close()  # what the server's death does
    assert worker.wait(timeout=60) == 0


def test_a_worker_has_built_an_optimizer_before_it_says_ready():
    """torch imports its compiler stack (~1.5 s) when it builds its first optimizer: at the worker's start, not in
    a student's first request (it was the one slow learning-rate change of bench/player_bench.py)."""
    code = ("import io, pickle, sys; from ui.engine_pool import serve; replies = io.BytesIO(); "
            "serve(io.BytesIO(), replies); print(pickle.loads(replies.getvalue()), 'torch._dynamo' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[1], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.split() == ["ready", "True"], done.stderr[-2000:]


def test_no_workers_runs_in_a_thread_of_the_server():
    config = {"surface": "bowl", "steps": 15, "optimizer": "Adagrad", "hparams": {"lr": 0.5}}
    assert_same(EnginePool(0).submit([key(config)])[0].result(timeout=60), run(config))


def test_the_cache_drops_the_least_recently_used_runs_past_its_bytes():
    trajs = {lr: run({"surface": "bowl", "steps": 100, "optimizer": "Adam", "hparams": {"lr": lr}})
             for lr in (0.1, 0.2, 0.3)}
    probe = TrajectoryCache(max_bytes=2**30)
    probe.put("one", trajs[0.1])
    one_run = probe.bytes
    assert one_run >= trajs[0.1].xy.nbytes + trajs[0.1].loss.nbytes
    cache = TrajectoryCache(max_bytes=int(2.5 * one_run))
    cache.put("0.1", trajs[0.1])
    cache.put("0.2", trajs[0.2])
    assert cache.get("0.1") is trajs[0.1]  # now 0.2 is the least recently used
    cache.put("0.3", trajs[0.3])
    assert cache.get("0.2") is None
    assert cache.get("0.1") is trajs[0.1] and cache.get("0.3") is trajs[0.3]
    assert cache.bytes == 2 * one_run <= cache.max_bytes
    with pytest.raises(ValueError):
        trajs[0.1].xy[0, 0] = 1.0  # shared by every session: read-only


def test_fewer_steps_than_a_cached_run_are_its_first_steps():
    config = {"surface": "rosenbrock", "optimizer": "Adam", "hparams": {"lr": 0.05}}
    cache = TrajectoryCache(max_bytes=2**30)
    cache.put("long", run({**config, "steps": 300}))
    for steps in (1, 120, 300):
        found = cache.first_steps_of(normalize_config({**config, "steps": steps}))
        assert_same(found, run({**config, "steps": steps}))
    assert cache.first_steps_of(normalize_config({**config, "steps": 301})) is None
    assert cache.first_steps_of(normalize_config({**config, "hparams": {"lr": 0.04}, "steps": 10})) is None
    scheduled = {**config, "scheduler": "StepLR", "scheduler_params": {"step_size": 50}}
    cache.put("scheduled", run({**scheduled, "steps": 300}))
    assert cache.first_steps_of(normalize_config({**scheduled, "steps": 100})) is None  # its steps shape its LR


def test_a_dropped_run_no_longer_gives_first_steps():
    config = {"surface": "bowl", "optimizer": "SGD", "hparams": {"lr": 0.1}}
    long = run({**config, "steps": 200})
    probe = TrajectoryCache(max_bytes=2**30)
    probe.put("long", long)
    cache = TrajectoryCache(max_bytes=int(probe.bytes * 1.5))  # room for one such run
    cache.put("long", long)
    assert cache.first_steps_of(normalize_config({**config, "steps": 50})) is not None
    cache.put("other", run({**config, "hparams": {"lr": 0.2}, "steps": 200}))  # pushes the first one out
    assert cache.get("long") is None
    assert cache.first_steps_of(normalize_config({**config, "steps": 50})) is None


def test_the_number_of_workers_follows_the_setting_else_the_cpus(monkeypatch):
    from ui.engine_pool import MAX_DEFAULT_WORKERS, default_workers

    monkeypatch.setenv("PLAYGROUND_ENGINE_WORKERS", "3")
    assert default_workers() == 3
    monkeypatch.setenv("PLAYGROUND_ENGINE_WORKERS", "0")
    assert default_workers() == 0
    monkeypatch.delenv("PLAYGROUND_ENGINE_WORKERS")
    assert 1 <= default_workers() <= min(MAX_DEFAULT_WORKERS, len(os.sched_getaffinity(0)))


# Within the cost budget (~2.4 s estimated: refused at once otherwise) and far past the tests' 0.5 s and 50 MB.
SLOW = {"surface": "rosenbrock", "steps": 5_000, "optimizer": "Adam", "hparams": {"lr": 0.002},
        "start": [[0.1 * i, 1.0] for i in range(200)]}
QUICK = {"surface": "bowl", "steps": 20, "optimizer": "SGD", "hparams": {"lr": 0.1}}


def test_a_batch_past_its_time_limit_is_stopped_and_the_others_still_run(monkeypatch):
    from ui import engine_pool

    pool = EnginePool(1)
    pool.warm_up()
    first = pool._slots[0].process
    monkeypatch.setattr(engine_pool, "batch_limits", lambda keys: (0.5 if key(SLOW) in keys else 60, 2**40))
    slow, quick = pool.submit([key(SLOW), key(QUICK)])
    with pytest.raises(engine_pool.OverLimit) as info:
        slow.result(timeout=120)
    assert info.value.what == "time"
    assert_same(quick.result(timeout=120), run(QUICK))  # its batch was stopped, then it ran alone
    assert first.poll() is not None and pool._slots[0].process.pid != first.pid  # killed and replaced


def test_a_batch_past_its_memory_limit_is_stopped(monkeypatch):
    from ui import engine_pool

    pool = EnginePool(1)
    monkeypatch.setattr(engine_pool, "BATCH_BYTES", (50 * 2**20, 0))  # less than torch itself
    with pytest.raises(engine_pool.OverLimit) as info:
        pool.submit([key(SLOW)])[0].result(timeout=120)
    assert info.value.what == "memory"
    monkeypatch.setattr(engine_pool, "BATCH_BYTES", (2**40, 0))
    assert_same(pool.submit([key(QUICK)])[0].result(timeout=120), run(QUICK))


def test_the_limits_of_eight_allowed_runs_leave_room():
    from optimizers.budget import MAX_BYTES, MAX_SECONDS
    from ui.engine_pool import MAX_BATCH, batch_limits

    heavy = [{"surface": "rosenbrock", "optimizer": "LBFGS", "steps": 100 + i,
              "hparams": {"lr": 1e-4, "tolerance_grad": 0.0, "tolerance_change": 0.0}} for i in range(MAX_BATCH)]
    seconds, rss = batch_limits([key(c) for c in heavy])
    assert seconds >= 2 * sum(min(MAX_SECONDS, 3.0) for _ in heavy)
    assert batch_limits([key(QUICK)])[1] >= 4 * MAX_BYTES


def test_a_worker_lost_twice_is_reported_in_the_users_language(monkeypatch):
    from ui import cache, engine_pool

    pool = EnginePool(1)
    monkeypatch.setattr(engine_pool._Worker, "run", lambda self, batch, *limits: (_ for _ in ()).throw(
        engine_pool.WorkerLost("killed")))
    monkeypatch.setattr(cache, "ENGINE", pool)
    with pytest.raises(ConfigError) as info:
        cache.cached_run({**QUICK, "hparams": {"lr": 0.123}})
    assert "stopped twice" in info.value.message("en") and "两次中断" in info.value.message("zh")


def test_the_page_shows_a_lost_worker_in_plain_words(monkeypatch):
    from concurrent.futures import Future

    from tests.apptest import open_app
    from ui import cache, engine_pool

    def lost(keys):
        futures = [Future() for _ in keys]
        for f in futures:
            f.set_exception(engine_pool.WorkerLost("killed twice"))
        return futures

    monkeypatch.setattr(cache, "CACHE", TrajectoryCache(2**30))
    monkeypatch.setattr(cache.ENGINE, "submit", lost)
    for lang, words in (("en", "stopped twice"), ("zh", "两次中断")):
        at = open_app(lang=lang)
        assert not at.exception
        assert any(words in e.value for e in at.error)


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def test_a_long_big_data_run_does_not_grow_the_workers_heap():
    """glibc's dynamic mmap threshold let a 10,000-row regression's freed temporaries fragment the heap: the
    worker's peak grew ~80 KB per step (+260 MB after 2,000 steps)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=10_000)
    data = {"x": x.tolist(), "y": (2 * x + 1).tolist()}
    pool = EnginePool(1)
    pool.warm_up()
    short, long = ({"surface": "linear_regression", "surface_params": data, "steps": steps, "optimizer": "Adam",
                    "dtype": "float64"} for steps in (50, 2_000))
    pool.submit([key(short)])[0].result(timeout=120)
    before = peak_rss_mb(pool._slots[0].process.pid)
    pool.submit([key(long)])[0].result(timeout=120)
    assert peak_rss_mb(pool._slots[0].process.pid) - before < 60


def test_importing_the_cache_starts_no_process():
    """Worker processes start when a page first runs, not when a notebook or a test imports ui.cache."""
    code = "import ui.cache as c; print(sum(s is not None and s.process is not None for s in c.ENGINE._slots))"
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[1], capture_output=True, text=True,
                         env={**os.environ, "PLAYGROUND_ENGINE_WORKERS": "2"}, check=True)
    assert out.stdout.strip() == "0"
