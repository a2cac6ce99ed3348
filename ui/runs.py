"""The list of runs on a page: defaults, add, duplicate, remove (up to six), each in an expander.

The runs' ids are kept under the key `prefix` (the page's runs field, e.g. ``pg.runs``), and run `i`'s widgets
under ``{prefix}.{i}.``.
"""

from __future__ import annotations

import streamlit as st

from pagestate.playground import MAX_RUNS, PLAYGROUND_RUNS, new_run
from viz import PALETTE

from .i18n import t
from .run_editor import copy_run_widgets, forget_run_widgets, optimizer_spec, run_editor, run_label


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


def _current_label(prefix: str, run_id: int) -> str:
    """The expander's title from the widgets' last values (the widgets are drawn inside it)."""
    initial = new_run(run_id)
    choice = st.session_state.get(f"{prefix}.{run_id}.optimizer", initial["optimizer"])
    spec, preset = optimizer_spec(choice)
    lr = st.session_state.get(f"{prefix}.{run_id}.hp.{choice}.lr",
                              initial["hparams"].get("lr") if choice == initial["optimizer"] else None)
    run = {"optimizer": choice, "hparams": {"lr": lr if lr is not None else spec.params[0].default},
           "scheduler": st.session_state.get(f"{prefix}.{run_id}.scheduler")}
    return run_label(run)


def run_list(prefix: str, steps: int, limit: int = MAX_RUNS, container=st.sidebar) -> list[dict]:
    """Draw the editors of runs of `steps` steps; returns [{"id", "label", "color", "config"}] in order."""
    ids = _ids(prefix)
    runs = []
    for number, run_id in enumerate(ids[:limit], start=1):
        # keyed: the title names the run's settings, and an edit that changes it leaves the editor open
        with container.expander(f"{number} · {_current_label(prefix, run_id)}", expanded=number == 1 and limit == 1,
                                key=f"{prefix}.{run_id}.open"):
            values = run_editor(f"{prefix}.{run_id}", new_run(run_id), steps)
            left, right = st.columns(2)
            left.button(t("run.duplicate"), key=f"duplicate-run{run_id}", on_click=duplicate_run,
                        args=(prefix, run_id), disabled=len(ids) >= MAX_RUNS or limit == 1,
                        icon=":material/content_copy:", width="stretch")
            right.button(t("run.remove"), key=f"remove-run{run_id}", on_click=remove_run, args=(prefix, run_id),
                         disabled=len(ids) <= 1 or limit == 1, icon=":material/delete:", width="stretch")
        color = values.pop("color")
        runs.append({"id": run_id, "label": f"{number} · {run_label(values)}", "color": color, "config": values})
    return runs
