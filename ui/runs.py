"""The list of runs on a page: defaults, add, duplicate, remove (up to a page's limit), each in an expander.

The runs' ids are kept under the key `prefix` (the page's runs field, e.g. ``pg.runs``), and run `i`'s widgets
under ``{prefix}.{i}.``.  A page's `Runs` says how many there may be and what a new one starts from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from optimizers.config import resolve_optimizer
from pagestate import network, playground
from viz import PALETTE

from .i18n import t
from .run_editor import copy_run_widgets, forget_run_widgets, last_run, optimizer_spec, run_editor, run_label


@dataclass(frozen=True)
class Runs:
    """A page's runs: at most `limit`, `first` of them at the start, run i starting from `new(i)`."""

    limit: int
    first: int
    new: Callable[[int], dict]


PLAYGROUND = Runs(playground.MAX_RUNS, len(playground.PLAYGROUND_RUNS), playground.new_run)
NETWORK = Runs(network.MAX_RUNS, len(network.NETWORK_RUNS), network.new_run)


def _ids(prefix: str, runs: Runs) -> list[int]:
    return st.session_state.setdefault(prefix, list(range(runs.first)))


def _free_color(ids: list[int], prefix: str) -> str:
    used = {st.session_state.get(f"{prefix}.{i}.color") for i in ids}
    return next((c for c in PALETTE if c not in used), PALETTE[len(ids) % len(PALETTE)])


def add_run(prefix: str, runs: Runs = PLAYGROUND) -> None:
    ids = _ids(prefix, runs)
    new = max(ids, default=-1) + 1
    st.session_state[f"{prefix}.{new}.color"] = _free_color(ids, prefix)
    st.session_state[f"{prefix}.{new}.optimizer"] = "Adam"
    ids.append(new)


def duplicate_run(prefix: str, source: int, runs: Runs = PLAYGROUND) -> None:
    ids = _ids(prefix, runs)
    new = max(ids) + 1
    copy_run_widgets(f"{prefix}.{source}", f"{prefix}.{new}")
    st.session_state[f"{prefix}.{new}.color"] = _free_color(ids, prefix)
    ids.insert(ids.index(source) + 1, new)


def remove_run(prefix: str, run_id: int, runs: Runs = PLAYGROUND) -> None:
    _ids(prefix, runs).remove(run_id)
    forget_run_widgets(f"{prefix}.{run_id}")


def _same_path(run: dict) -> dict:
    """What decides a run's path: its torch class with every keyword (a preset resolved), scheduler, clipping."""
    name, hparams = resolve_optimizer(run["optimizer"], run["hparams"])
    complete = {k: list(v) if isinstance(v, tuple) else v for k, v in optimizer_spec(name)[0].complete(hparams).items()}
    return {**{k: v for k, v in run.items() if k != "color"}, "optimizer": name, "hparams": complete}


def identical_runs(configs: list[dict]) -> list[list[int]]:
    """Groups (0-based positions, two or more) of runs whose settings are the same: their paths coincide."""
    groups: list[list[int]] = []
    for i, config in enumerate(configs):
        group = next((g for g in groups if _same_path(configs[g[0]]) == _same_path(config)), None)
        if group is None:
            groups.append([i])
        else:
            group.append(i)
    return [g for g in groups if len(g) > 1]


def run_list(prefix: str, steps: int, limit: int | None = None, container=st.sidebar, runs: Runs = PLAYGROUND,
             extra: Callable[[str, bool], dict] | None = None) -> list[dict]:
    """Draw the editors of runs of `steps` steps (at most `limit`, else the page's `runs.limit`).  `extra(prefix,
    draw)` adds more of a run's settings to its config: drawn in its editor, or (draw False) as its widgets will
    return them, for the editor's title.  Returns [{"id", "label", "color", "config"}] in order."""
    ids = _ids(prefix, runs)
    limit = runs.limit if limit is None else limit
    out = []
    for number, run_id in enumerate(ids[:limit], start=1):
        # keyed: the title names the run's settings, and an edit that changes it leaves the editor open
        last = last_run(f"{prefix}.{run_id}", runs.new(run_id), steps)
        title = run_label({**last, **(extra(f"{prefix}.{run_id}", False) if extra else {})}, steps)
        with container.expander(f"{number} · {title}", expanded=number == 1 and limit == 1,
                                key=f"{prefix}.{run_id}.open"):
            values = run_editor(f"{prefix}.{run_id}", runs.new(run_id), steps)
            if extra is not None:
                values.update(extra(f"{prefix}.{run_id}", True))
            left, right = st.columns(2)
            left.button(t("run.duplicate"), key=f"duplicate-run{run_id}", on_click=duplicate_run,
                        args=(prefix, run_id, runs), disabled=len(ids) >= runs.limit or limit == 1,
                        icon=":material/content_copy:", width="stretch", help=t("run.duplicate"))
            right.button(t("run.remove"), key=f"remove-run{run_id}", on_click=remove_run, args=(prefix, run_id, runs),
                         disabled=len(ids) <= 1 or limit == 1, icon=":material/delete:", width="stretch",
                         help=t("run.remove"))  # icons: their names (cut in the sidebar) are for screen readers
        color = values.pop("color")
        out.append({"id": run_id, "label": f"{number} · {run_label(values, steps)}", "color": color, "config": values})
    identical_notes([run["config"] for run in out], container)
    return out


def identical_notes(configs: list[dict], container=st) -> None:
    """A notice per group of runs (numbered from 1 in `configs`' order) whose paths coincide: in the sidebar
    under the runs, and next to the chart where one path hides the other (`ui.charts.race_chart`)."""
    for group in identical_runs(configs):
        *first, last = (str(i + 1) for i in group)
        numbers = t("run.identical.sep").join(first) + t("run.identical.last") + last
        container.info(t("run.identical", runs=numbers), icon=":material/layers:")
