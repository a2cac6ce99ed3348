"""Share links, saved configurations and lessons on a page: the page state ⇄ the widgets.

A page's state (see `share.py`) lives in its widgets.  `restore` puts a state
into the widgets before they are drawn — from the URL's ``c``, a lesson, or the
page's last state in this session — and `share_panel` (called once the page has
read its widgets) writes the state back into the URL, so the address bar is
always a share link, and offers save/load of the state as a JSON file.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import streamlit as st

from lessons import LESSONS, Lesson
from pagestate import PAGE, Page
from share import HIDEABLE, decode, default_state, encode, query_flags, sanitize

from .i18n import labels, language, t
from .run_editor import run_widgets, scheduler_widgets
from .surface_picker import surface_widgets
from .upload import file_uploader

FILE_KIND = "optimizer-playground"
MAX_FILE_MB = 2
SHARE_SLOT = "share.slot"  # the sidebar place `setup` keeps for the share panel, under the language switch
LESSON_SLOT = "share.lesson_slot"  # the lesson banner's place for what the student changed (filled by share_panel)
# Fields that change how a scene is shown, not the experiment a lesson's text describes
SHOWN_ONLY = frozenset({"cursor", "view", "step", "table", "log", "color"})
# A run's keys, as the change note names them
RUN_PARTS = {"optimizer": "optimizer", "scheduler": "scheduler", "scheduler_params": "scheduler",
             "clip_grad_norm": "clip", "clip_grad_value": "clip", "lr_multipliers": "lr_multipliers"}
NAMED = frozenset({"mode", "surface", "start", "steps", "runs", "grid", "data", "standardize", "modes", "batch_size",
                   "seed", "lr_multipliers", "adamw", "dataset", "points", "n", "noise", "data_seed", "test_fraction",
                   "hidden", "activation", "init_seed", "plane"})  # fields the note names in words (change.<field>)
FOLLOWS = {"hparams": "optimizer", "scheduler_params": "scheduler", "surface_params": "surface", "start": "surface"}


def _data_text(data: dict) -> str:
    """Regression data as the text a student could paste (exact floats)."""
    return "x,y\n" + "\n".join(f"{x!r},{y!r}" for x, y in zip(data["x"], data["y"], strict=True))


def _data(key: str, data: dict | None) -> dict:
    return {f"{key}.data_source": "course"} if data is None else {f"{key}.data_source": "paste",
                                                                 f"{key}.paste": _data_text(data)}


def _xy(key: str, xy: list) -> dict:
    return {f"{key}_x": xy[0], f"{key}_y": xy[1]}


def _multipliers(key: str, multipliers: list | None) -> dict:
    """The parameter-groups toggle, and the two multipliers when it is on."""
    if multipliers is None:
        return {key: False}
    return {key: True, f"{key}.w": multipliers[0], f"{key}.b": multipliers[1]}


def _runs(key: str, runs: list) -> dict:
    out = {key: list(range(len(runs)))}  # the runs' ids (ui.runs)
    for run_id, run in enumerate(runs):
        out.update(run_widgets(f"{key}.{run_id}", run))
    return out


def _net_runs(key: str, runs: list) -> dict:
    """The network page's runs, each with its parameter groups."""
    out = _runs(key, runs)
    for run_id, run in enumerate(runs):
        out.update(_multipliers(f"{key}.{run_id}.groups", run["lr_multipliers"]))
    return out


def _points(key: str, points: dict | None) -> dict:
    """A student's classification points as the text they could paste (exact floats), or the generated data."""
    if points is None:
        return {f"{key}.data_source": "generated"}
    rows = zip(points["x1"], points["x2"], points["label"], strict=True)
    return {f"{key}.data_source": "paste", f"{key}.paste": "x1,x2,label\n" + "\n".join(
        f"{a!r},{b!r},{c}" for a, b, c in rows)}


def _plane(key: str, plane: dict) -> dict:
    return {key: plane["kind"], f"{key}.first": plane["runs"][0], f"{key}.second": plane["runs"][1],
            f"{key}.seed": plane["seed"]}


def _schedulers(key: str, chosen: dict) -> dict:
    out = {key: list(chosen)}
    for name, params in chosen.items():
        out.update(scheduler_widgets(name, key, params))
    return out


# How each kind of field (pagestate.fields.Field.kind) puts its value into widgets: (key, value) -> {key: value}
KINDS = {"value": lambda key, value: {key: value}, "text_list": lambda key, value: {key: ", ".join(map(str, value))},
         "surface": surface_widgets, "xy": _xy, "data": _data, "multipliers": _multipliers, "run": run_widgets,
         "runs": _runs, "schedulers": _schedulers, "net_runs": _net_runs, "points": _points, "plane": _plane}


def widget_values(page: Page, state: dict) -> dict:
    """Every widget value that shows `state` on `page`: {widget key: value}."""
    out = {}
    for field in page.fields:
        out.update(KINDS[field.kind](page.key(field.widget), field.value(state)))
    return out


def _owned(page: Page) -> list[str]:
    return [k for k in st.session_state if isinstance(k, str) and k.startswith(f"{page.prefix}.")]


def apply_state(page: str, state: dict) -> None:
    """Put a (sanitized) state into the page's widgets: call before they are drawn, or from a callback."""
    for key in _owned(PAGE[page]):
        del st.session_state[key]
    for key, value in widget_values(PAGE[page], state).items():
        st.session_state[key] = value


def _source(page: str, flags: dict) -> str:
    """The state to show: the URL's, else the lesson's, else the page's last one in this session."""
    if (c := st.query_params.get("c")) is not None:
        return c
    lesson = LESSONS.get(flags["lesson"] or "")
    if lesson is not None and lesson.page == page:
        return encode(page, sanitize(page, lesson.state)[0])
    return st.session_state.get(f"share.{page}", "")


def restore(page: str) -> None:
    """Before the page's widgets are drawn: show the state the URL, a lesson or this session holds."""
    if not PAGE[page].fields:
        return
    source = _source(page, query_flags(st.query_params))
    drawn = next(iter(widget_values(PAGE[page], default_state(page))))  # the first field's: always drawn
    if drawn in st.session_state and source == st.session_state.get(f"share.{page}"):
        return
    state, problems = decode(page, source)
    apply_state(page, state)
    st.session_state[f"share.{page}"] = source
    st.session_state["share.problems"] = problems


def _field_name(path: str) -> str:
    return f"`{path.rstrip('.?') or 'config'}`" + (" (" + t("share.unknown") + ")" if path.endswith("?") else "")


def show_problems() -> None:
    """A notice naming the fields of a link or file that could not be used (never their values)."""
    problems = st.session_state.pop("share.problems", None)
    if problems:
        st.warning(t("share.problems", fields=", ".join(map(_field_name, problems))), icon=":material/link_off:")


def _lesson(page: str) -> Lesson | None:
    """The lesson of the URL, if it is this page's."""
    lesson = LESSONS.get(query_flags(st.query_params)["lesson"] or "")
    return lesson if lesson is not None and lesson.page == page else None


def reset_lesson(page: str, lesson_id: str) -> None:
    """Callback of "Reset lesson": the lesson's scene back into the page's widgets."""
    apply_state(page, sanitize(page, LESSONS[lesson_id].state)[0])


def lesson_banner(page: str) -> None:
    """The lesson of the URL, if it is this page's: its question now, its explanation on demand, a place for what
    the student changed (filled by `share_panel`) and a button that puts the lesson's scene back."""
    lesson = _lesson(page)
    st.session_state.pop(LESSON_SLOT, None)
    if lesson is None:
        return
    lang = language()
    with st.container(border=True, key="lesson-banner"):
        st.markdown(f"#### {t('lesson.badge')} · {lesson.text('title', lang)}")
        st.info(lesson.text("question", lang), icon=":material/psychology_alt:")
        st.session_state[LESSON_SLOT] = st.container()
        with st.expander(t("lesson.explain")):
            st.markdown(lesson.text("explanation", lang))
        left, right = st.columns(2, vertical_alignment="center")
        left.page_link("pages/lessons.py", label=t("lesson.all"), icon=":material/school:",
                       query_params={"lang": lang})
        right.button(t("lesson.reset"), key="lesson.reset", on_click=reset_lesson, args=(page, lesson.id),
                     icon=":material/restart_alt:", help=t("lesson.reset_help"))


def differences(before, after, path: tuple = ()):
    """The paths (tuples of keys and run positions) where two page states differ; fields that only change how the
    scene is shown (SHOWN_ONLY) and keys that follow a changed one (FOLLOWS) left out."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in [*after, *(k for k in before if k not in after)]:
            owner = FOLLOWS.get(key)  # another optimizer has other keywords: its change says it all
            if key not in SHOWN_ONLY and (owner is None or before.get(owner) == after.get(owner)):
                yield from differences(before.get(key), after.get(key), (*path, key))
    elif isinstance(before, list) and isinstance(after, list) and path[-1:] == ("runs",):
        if len(before) != len(after):
            yield path
        for i, (old, new) in enumerate(zip(before, after, strict=False)):
            yield from differences(old, new, (*path, i))
    elif before != after:
        yield path


def _change_name(path: tuple) -> str:
    """What changed, as the note names it: 'lr of run 1', 'steps', 'condition', 'StepLR'."""
    if path[:1] == ("runs",) and len(path) > 2:
        return t("change.of_run", what=_change_name(path[2:]), n=path[1] + 1)
    if path[:1] == ("run",) and len(path) > 1:
        path = path[1:]
    head = path[0]
    if head in RUN_PARTS:
        return t(f"change.{RUN_PARTS[head]}")
    if head in ("hparams", "surface_params", "schedulers") and len(path) > 1:
        return str(path[1])  # torch's keyword, the surface's parameter, the scheduler's name: as the widgets say
    return t(f"change.{head}") if head in NAMED else str(head)


def lesson_changes(page: str, state: dict) -> list[str]:
    """What differs between the page's state and the scene of the URL's lesson, named for the note."""
    lesson = _lesson(page)
    if lesson is None:
        return []
    paths = differences(sanitize(page, lesson.state)[0], sanitize(page, state)[0])
    return list(dict.fromkeys(_change_name(path) for path in paths))


def _changes_note(page: str, state: dict) -> None:
    """Under the lesson's question: what the student changed, since its text describes the lesson's own scene."""
    slot = st.session_state.get(LESSON_SLOT)
    if slot is not None and (changes := lesson_changes(page, state)):
        slot.warning(t("lesson.changed", changes=t("change.sep").join(changes)), icon=":material/edit_note:")


def link(params: dict) -> str:
    """An absolute link to this page with `params` (relative when the app's address is unknown)."""
    base = st.context.url or ""
    query = urlencode({k: v for k, v in params.items() if v not in ("", None)}, safe=":,[]{}", quote_via=quote)
    return f"{base}?{query}"


def publish(page: str, state: dict) -> str:
    """Write the state into the URL (and the session's memory); returns its `c` text."""
    c = encode(page, state)
    if st.query_params.get("c", "") != c:
        if c:
            st.query_params["c"] = c
        else:
            st.query_params.pop("c", None)
    st.session_state[f"share.{page}"] = c
    return c


def _load(page: str, key: str) -> None:
    """Callback of the file uploader: a saved configuration's state into the widgets, or a clear error."""
    file = st.session_state.get(key)
    if file is None:
        return
    try:
        saved = json.loads(file.getvalue().decode("utf-8"))
        if not isinstance(saved, dict) or saved.get("kind") != FILE_KIND or "state" not in saved:
            raise ValueError("not a saved configuration")
    except (ValueError, RecursionError):  # not JSON (nor UTF-8), nested too deep, or not our file
        st.session_state["share.load_error"] = t("share.load.bad")
        return
    other = saved.get("page") if isinstance(saved.get("page"), str) else None
    if other != page:
        shown = t(PAGE[other].title) if other in PAGE and PAGE[other].fields else "?"
        st.session_state["share.load_error"] = t("share.load.page", page=shown)
        return
    state, problems = sanitize(page, saved["state"])
    apply_state(page, state)
    st.session_state["share.problems"] = problems
    st.session_state["share.loaded"] = True


def share_panel(page: str, state: dict) -> None:
    """The sidebar's share link, lecture link and save/load of the page's configuration."""
    c = publish(page, state)
    _changes_note(page, state)
    lang = language()
    with st.session_state.get(SHARE_SLOT, st.sidebar).expander(t("share.title"), icon=":material/share:"):
        st.caption(t("share.link"))
        st.code(link({"lang": lang, "c": c}), language=None, wrap_lines=True)
        hide = st.pills(t("share.hide"), HIDEABLE, selection_mode="multi", key=f"share.hide.{page}",
                        format_func=labels("share.hide", HIDEABLE), help=t("share.hide.help"))
        lecture = link({"lang": lang, "lecture": "1", "hide": ",".join(hide), "c": c})
        st.link_button(t("share.lecture"), lecture, icon=":material/co_present:", width="stretch")
        saved = {"kind": FILE_KIND, "version": 1, "page": page, "lang": lang, "state": state}
        st.download_button(t("share.save"), json.dumps(saved, ensure_ascii=False, indent=1),
                           f"optimizer-playground-{page}.json", "application/json", icon=":material/download:",
                           width="stretch", on_click="ignore")
        key = f"share.file.{page}"
        file_uploader(st, t("share.load"), key=key, types=("json",), mb=MAX_FILE_MB, on_change=_load,
                      args=(page, key), help=t("share.load.help"))
        if error := st.session_state.pop("share.load_error", None):
            st.error(error)
        if st.session_state.pop("share.loaded", False):
            st.success(t("share.loaded"))
