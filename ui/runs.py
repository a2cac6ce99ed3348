"""The list of runs on a page: defaults, add, duplicate, remove (up to six), each in an expander.

The runs' ids are kept under the key `prefix` (the page's runs field, e.g. ``pg.runs``), and run `i`'s widgets
under ``{prefix}.{i}.``.
"""

from __future__ import annotations

import streamlit as st

from optimizers.config import resolve_optimizer
from pagestate.playground import MAX_RUNS, PLAYGROUND_RUNS, new_run
from viz import PALETTE

from .i18n import t
from .run_editor import copy_run_widgets, forget_run_widgets, last_run, optimizer_spec, run_editor, run_label


def _ids(prefix: str) -> list[int]:
    return st.session_state.setdefault(prefix, list(range(len(PLAYGROUND_RUNS))))


def _free_color(prefix: str) -> str:
    used = {st.session_state.get(f"{prefix}.{i}.color") for i in _ids(prefix)}
    return next((c for c in PALETTE if c not in used), PALETTE[len(_ids(prefix)) % len(PALETTE)])


def add_run(prefix: str) -> None:
    ids = _ids(prefix)
    new = max(ids, default=-1) + 1
    st.session_state[f"{prefix}.{new}.color"] = _free_color(prefix)
    st.session_state[f"{prefix}.{new}.optimizer"] = "Adam"
    ids.append(new)


def duplicate_run(prefix: str, source: int) -> None:
    ids = _ids(prefix)
    new = max(ids) + 1
    copy_run_widgets(f"{prefix}.{source}", f"{prefix}.{new}")
    st.session_state[f"{prefix}.{new}.color"] = _free_color(prefix)
    ids.insert(ids.index(source) + 1, new)


def remove_run(prefix: str, run_id: int) -> None:
    _ids(prefix).remove(run_id)
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


def run_list(prefix: str, steps: int, limit: int = MAX_RUNS, container=st.sidebar) -> list[dict]:
    """Draw the editors of runs of `steps` steps; returns [{"id", "label", "color", "config"}] in order."""
    ids = _ids(prefix)
    runs = []
    for number, run_id in enumerate(ids[:limit], start=1):
        # keyed: the title names the run's settings, and an edit that changes it leaves the editor open
        title = run_label(last_run(f"{prefix}.{run_id}", new_run(run_id), steps), steps)
        with container.expander(f"{number} · {title}", expanded=number == 1 and limit == 1,
                                key=f"{prefix}.{run_id}.open"):
            values = run_editor(f"{prefix}.{run_id}", new_run(run_id), steps)
            left, right = st.columns(2)
            left.button(t("run.duplicate"), key=f"duplicate-run{run_id}", on_click=duplicate_run,
                        args=(prefix, run_id), disabled=len(ids) >= MAX_RUNS or limit == 1,
                        icon=":material/content_copy:", width="stretch")
            right.button(t("run.remove"), key=f"remove-run{run_id}", on_click=remove_run, args=(prefix, run_id),
                         disabled=len(ids) <= 1 or limit == 1, icon=":material/delete:", width="stretch")
        color = values.pop("color")
        runs.append({"id": run_id, "label": f"{number} · {run_label(values, steps)}", "color": color, "config": values})
    identical_notes([run["config"] for run in runs], container)
    return runs


def identical_notes(configs: list[dict], container=st) -> None:
    """A notice per group of runs (numbered from 1 in `configs`' order) whose paths coincide: in the sidebar
    under the runs, and next to the chart where one path hides the other (`ui.charts.race_chart`)."""
    for group in identical_runs(configs):
        *first, last = (str(i + 1) for i in group)
        numbers = t("run.identical.sep").join(first) + t("run.identical.last") + last
        container.info(t("run.identical", runs=numbers), icon=":material/layers:")
