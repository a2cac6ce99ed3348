"""Playground benchmark: how fast the Playground page reruns on the server, and how many bytes its player gets.

What a user waits for in the browser (key press to the chart redrawn) is bench/player_bench.py.

Run from the repo root:  python bench/playground_bench.py  [--profile]

Prints one `name: value unit` line per figure; figures with a target print it, and the
baseline measured in the same run with the ratio.  Rerun times are medians over RERUNS
reruns after WARMUP reruns (the min is printed too); other times the median of REPEATS
calls after one warm-up call.

Reruns are driven with `streamlit.testing.v1.AppTest`, so they include AppTest's own
overhead (the script runs in a thread, the main thread polls for its end every 1 ms, then
parses the forward messages into an element tree) but not the websocket or the browser.
AppTest's share is printed: each rerun line gives the time of the page's script thread too.
To check that each rerun recomputes what it should, the bench wraps (in this process only,
the files are untouched) the engine's batches (`ui.engine_pool.run_batch`, run in this process:
PLAYGROUND_ENGINE_WORKERS=0) and AppTest's script thread: it counts and times them.

`--profile` also prints a cProfile of the page's script thread for one rerun of each kind.
"""

from __future__ import annotations

import cProfile
import json
import logging
import os
import pstats
import re
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["PLAYGROUND_ENGINE_WORKERS"] = "0"  # the engine in this process, where the bench can count its runs

import torch
from streamlit.runtime.scriptrunner.script_runner import ScriptRunner
from streamlit.testing.v1 import AppTest

import ui.engine_pool
import ui.i18n
from optimizers import run
from pagestate.playground import PLAYGROUND_RUNS as DEFAULT_RUNS
from surfaces import get_surface
from ui.forms import log_grid
from ui.i18n import CHOSEN
from ui.run_editor import optimizer_spec, run_label
from viz import PALETTE
from viz.player_data import run_entry_of, surface_layer

ROOT = Path(__file__).resolve().parent.parent
WARMUP, RERUNS, REPEATS = 3, 15, 7
TIMEOUT = 120  # s for one AppTest run (the first one imports torch and runs 4 × 500 steps)
SURFACE = "rosenbrock"
# Above these learning rates the run diverges within a few steps on Rosenbrock from the page's start; the engine
# then stops it early, which would flatter the one-run-changed figure (the bench checks no sampled run diverged).
MAX_STABLE_LR = {"SGD": 0.002, "Momentum": 0.002}
# What --profile shows: the page's own functions and the big library steps under them.
PROFILE_LINES = re.escape(str(ROOT)) + r"|components/v1|_pickle"

# Quiet Streamlit's bare-mode warnings (AppTest formats widget values in the main thread: "missing ScriptRunContext").
logging.disable(logging.WARNING)


class Spy:
    """Replace `owner.name` (looked up when called) by a wrapper recording each call's seconds, arguments and result."""

    def __init__(self, owner, name: str):
        self.calls: list[tuple[float, tuple, object]] = []
        inner = getattr(owner, name)

        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            out = inner(*args, **kwargs)
            self.calls.append((time.perf_counter() - t0, args, out))
            return out

        setattr(owner, name, wrapper)


ENGINE = Spy(ui.engine_pool, "run_batch")  # the engine's batches of cache misses
SCRIPT = Spy(ScriptRunner, "_run_script_thread")  # the page's run in AppTest's script thread (the rest is AppTest's)


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def median_min(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples), min(samples)


def repeat_times(fn, repeats: int = REPEATS) -> list[float]:
    """Seconds per call of `fn`: one warm-up call, then `repeats` timed calls."""
    fn()
    return [timed(fn) for _ in range(repeats)]


def rerun(at: AppTest, engine_calls: int) -> tuple[float, float]:
    """Seconds of one `at.run()` and of the page's script thread in it, checking the run was clean and called the
    engine as often as said."""
    e0 = len(ENGINE.calls)
    dt = timed(at.run)
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    got = sum(len(batch) for _, (batch,), _ in ENGINE.calls[e0:])
    if got != engine_calls:
        raise RuntimeError(f"expected {engine_calls} engine call(s), got {got}")
    return dt, SCRIPT.calls[-1][0]


def open_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["lang"] = "en"
    at.run()
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    return at


def unseen_lr_changes() -> list[tuple[str, float]]:
    """(widget key, learning rate) pairs, run 0, 1, 2, 3, 0, …: each a 1–2–5 value its run has not had yet.

    A run's config depends only on its own widgets (and the surface, start and steps, left alone), so each
    change is an engine cache miss for that run and a hit for the three others.
    """
    queues = []
    for i, r in enumerate(DEFAULT_RUNS):
        param = optimizer_spec(r["optimizer"])[0].params[0]
        top = MAX_STABLE_LR.get(r["optimizer"], float("inf"))
        values = [v for v in log_grid(*param.slider) if v != r["hparams"]["lr"] and v <= top]
        queues.append([(f"pg.runs.{i}.hp.{r['optimizer']}.lr", v) for v in values])
    pairs = []
    while any(queues):
        pairs += [q.pop(0) for q in queues if q]
    return pairs


def figure_rerun_one_run_changed() -> None:
    at = open_page()
    rerun(at, 0)
    changes = unseen_lr_changes()
    assert len(changes) >= WARMUP + RERUNS, len(changes)
    samples, script, engine, configs = [], [], [], []
    for k, (key, lr) in enumerate(changes[:WARMUP + RERUNS]):
        at.select_slider(key=key).set_value(lr)
        dt, dt_script = rerun(at, 1)  # exactly one run recomputed
        seconds, (batch,), (traj,) = ENGINE.calls[-1]
        config = json.loads(batch[0])
        if traj.diverged_at is not None:
            raise RuntimeError(f"{key}={lr} diverged: lower MAX_STABLE_LR")
        if k >= WARMUP:
            samples.append(dt)
            script.append(dt_script)
            engine.append(seconds)
            configs.append(config)
    run(configs[0])
    alone = [timed(lambda c=c: run(c)) for c in configs]  # the same configs, in the main thread, without AppTest
    med, low = median_min(samples)
    eng = statistics.median(alone)
    print(f"rerun_one_run_changed_ms: {med * 1e3:.0f} ms (target <= 250; median of {RERUNS}, min {low * 1e3:.0f}; "
          f"page script thread {statistics.median(script) * 1e3:.0f})")
    print(f"engine_one_run_500_ms: {eng * 1e3:.0f} ms (optimizers.run of the same {RERUNS} configs alone, median; "
          f"{statistics.median(engine) * 1e3:.0f} inside the reruns)")
    print(f"rerun_one_run_changed_vs_engine: {med / eng:.2f} x")


class ShownLanguage:
    """Work around AppTest for language switches.

    At the start of each run AppTest formats the last run's widget values again, in the main thread, with the
    widgets' format_func; there `t()` has no session (so no language choice) and falls back to the browser's
    locale, "en", so after a run in Chinese the formatted values no longer match the options and AppTest fails.
    This makes that fallback, in the main thread only, the language the last run was drawn in.
    """

    def __init__(self):
        self.lang = "en"
        fallback = ui.i18n.language_of  # the browser locale's language

        def browser_language(locale) -> str:
            return self.lang if threading.current_thread() is threading.main_thread() else fallback(locale)

        ui.i18n.language_of = browser_language


def figure_rerun_nothing_changed() -> None:
    # The language picker only stores the language under its key (CHOSEN); the bench sets that key: AppTest formats
    # widget values again in its main thread between runs (see ShownLanguage).
    at = open_page()
    shown = ShownLanguage()

    def switch(lang: str) -> tuple[float, float]:
        at.session_state[CHOSEN] = lang
        times = rerun(at, 0)
        shown.lang = lang
        return times

    # The first visit of each language draws the page in it…
    switch("zh")
    switch("en")
    rerun(at, 0)
    titles = set()
    switched, plain = [], []
    for k in range(WARMUP + RERUNS):
        times_switch = switch("zh" if k % 2 == 0 else "en")  # … later visits rebuild nothing (no engine call either)
        titles.add(at.title[0].value)
        times_plain = rerun(at, 0)
        if k >= WARMUP:
            switched.append(times_switch)
            plain.append(times_plain)
    assert len(titles) == 2, titles  # the language really switched
    med, low = median_min([dt for dt, _ in switched])
    base, base_low = median_min([dt for dt, _ in plain])
    print(f"rerun_nothing_changed_ms: {med * 1e3:.0f} ms (target <= 100; language switch, median of {RERUNS}, "
          f"min {low * 1e3:.0f}; page script thread {statistics.median(s for _, s in switched) * 1e3:.0f})")
    print(f"rerun_no_change_ms: {base * 1e3:.0f} ms (plain rerun, median of {RERUNS}, min {base_low * 1e3:.0f}; "
          f"page script thread {statistics.median(s for _, s in plain) * 1e3:.0f})")
    print(f"rerun_nothing_changed_vs_no_change: {med / base:.2f} x")


def player_runs(steps: int) -> list[dict]:
    """The player's run entries of the page's 4 default runs on Rosenbrock from its first start."""
    start = list(get_surface(SURFACE).starts[0])
    entries = []
    for i, r in enumerate(DEFAULT_RUNS, 1):
        config = {"surface": SURFACE, "start": start, "steps": steps, **r}
        entries.append(run_entry_of(f"{i} · {run_label(r, steps)}", PALETTE[i - 1], config, run(config)))
    return entries


def player_payload() -> None:
    """Bytes of the player's arguments: the runs (sent on every change of a run) and the surface layer (fetched
    once per surface, as a file)."""
    for steps in (500, 1000, 2000):
        size = len(json.dumps(player_runs(steps), separators=(",", ":")).encode())
        print(f"player_runs_4x{steps}_kb: {size / 1e3:.1f} KB" + (" (target <= 120)" if steps == 500 else ""))
    layer = surface_layer(get_surface(SURFACE))
    print(f"player_surface_layer_kb: {len(json.dumps(layer).encode()) / 1e3:.1f} KB (once per surface)")


def profile_reruns() -> None:
    """cProfile of the page's script thread (AppTest runs the page in a thread of its own), one rerun of each kind."""
    holder: dict[str, cProfile.Profile | None] = {"profile": None}
    inner = ScriptRunner._run_script_thread

    def profiled(self):
        profile = holder["profile"]
        if profile is None:
            return inner(self)
        profile.enable()
        try:
            return inner(self)
        finally:
            profile.disable()

    ScriptRunner._run_script_thread = profiled
    at = open_page()
    unseen = unseen_lr_changes()[-1]  # the last pair: a value figure 1 did not reach
    for title, change, engine_calls in (("no change", None, 0), ("one run changed", unseen, 1)):
        if change:
            at.select_slider(key=change[0]).set_value(change[1])
        holder["profile"] = cProfile.Profile()
        dt, _ = rerun(at, engine_calls)
        print(f"\n--- profile of one rerun, {title} ({dt * 1e3:.0f} ms with the profiler on) ---")
        pstats.Stats(holder["profile"], stream=sys.stdout).sort_stats("cumulative").print_stats(PROFILE_LINES, 25)
        holder["profile"] = None
    ScriptRunner._run_script_thread = inner


def main() -> None:
    t0 = time.perf_counter()
    print(f"torch_threads: {torch.get_num_threads()} threads")
    figure_rerun_one_run_changed()
    figure_rerun_nothing_changed()
    player_payload()
    print(f"bench_total_s: {time.perf_counter() - t0:.1f} s")
    if "--profile" in sys.argv[1:]:
        profile_reruns()


if __name__ == "__main__":
    main()
