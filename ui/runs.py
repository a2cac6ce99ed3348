"""The list of runs on a page: defaults, add, duplicate, remove (up to six), each in an expander."""

from __future__ import annotations

import streamlit as st

from share import MAX_RUNS, PLAYGROUND_RUNS
from share import new_run as _initial
from viz import PALETTE

from .i18n import t
from .run_editor import copy_run_widgets, forget_run_widgets, optimizer_spec, run_editor, run_label

IDS = "runs.ids"


def _ids() -> list[int]:
    return st.session_state.setdefault(IDS, list(range(len(PLAYGROUND_RUNS))))


def _free_color() -> str:
    used = {st.session_state.get(f"run{i}.color") for i in _ids()}
    return next((c for c in PALETTE if c not in used), PALETTE[len(_ids()) % len(PALETTE)])


def add_run() -> None:
    ids = _ids()
    new = max(ids, default=-1) + 1
    st.session_state[f"run{new}.color"] = _free_color()
    st.session_state[f"run{new}.optimizer"] = "Adam"
    ids.append(new)


def duplicate_run(source: int) -> None:
    ids = _ids()
    new = max(ids) + 1
    copy_run_widgets(source, new)
    st.session_state[f"run{new}.color"] = _free_color()
    ids.insert(ids.index(source) + 1, new)


def remove_run(run_id: int) -> None:
    _ids().remove(run_id)
    forget_run_widgets(run_id)


def _current_label(run_id: int) -> str:
    """The expander's title from the widgets' last values (the widgets are drawn inside it)."""
    initial = _initial(run_id)
    choice = st.session_state.get(f"run{run_id}.optimizer", initial["optimizer"])
    spec, preset = optimizer_spec(choice)
    lr = st.session_state.get(f"run{run_id}.hp.{choice}.lr",
                              initial["hparams"].get("lr") if choice == initial["optimizer"] else None)
    run = {"optimizer": choice, "hparams": {"lr": lr if lr is not None else spec.params[0].default},
           "scheduler": st.session_state.get(f"run{run_id}.scheduler")}
    return run_label(run)


def run_list(steps: int, limit: int = MAX_RUNS, container=st.sidebar) -> list[dict]:
    """Draw the editors of runs of `steps` steps; returns [{"id", "label", "color", "config"}] in order."""
    ids = _ids()
    runs = []
    for number, run_id in enumerate(ids[:limit], start=1):
        with container.expander(f"{number} · {_current_label(run_id)}", expanded=number == 1 and limit == 1):
            values = run_editor(run_id, _initial(run_id), steps)
            left, right = st.columns(2)
            left.button(t("run.duplicate"), key=f"duplicate-run{run_id}", on_click=duplicate_run, args=(run_id,),
                        disabled=len(ids) >= MAX_RUNS or limit == 1, icon=":material/content_copy:", width="stretch")
            right.button(t("run.remove"), key=f"remove-run{run_id}", on_click=remove_run, args=(run_id,),
                         disabled=len(ids) <= 1 or limit == 1, icon=":material/delete:", width="stretch")
        color = values.pop("color")
        runs.append({"id": run_id, "label": f"{number} · {run_label(values)}", "color": color, "config": values})
    return runs
