"""Share links, saved configurations and lessons on a page: the page state ⇄ the widgets.

A page's state (see `share.py`) lives in its widgets.  `restore` puts a state
into the widgets before they are drawn — from the URL's ``c``, a lesson, or the
page's last state in this session — and `share_panel` (called once the page has
read its widgets) writes the state back into the URL, so the address bar is
always a share link, and offers save/load of the state as a JSON file.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlencode

import streamlit as st

from lessons import LESSONS
from share import HIDEABLE, decode, encode, query_flags, sanitize

from .i18n import labels, language, t
from .run_editor import run_widgets, scheduler_widgets
from .surface_picker import surface_widgets

FILE_KIND = "optimizer-playground"
MAX_FILE_MB = 2
# Widget keys each page owns (cleared before a state is put in) and one that exists once its widgets were drawn.
OWNED = {"playground": re.compile(r"(pg\.|run\d{1,2}\.|runs\.ids$)"), "regression": re.compile(r"(lr\.|run100\.)"),
         "schedules": re.compile(r"(sch\.|run200\.)"), "inside": re.compile(r"(in\.|run300\.)")}
SHARE_SLOT = "share.slot"  # the sidebar place `setup` keeps for the share panel, under the language switch
SENTINEL = {"playground": "pg.surface", "regression": "lr.steps", "schedules": "sch.lr", "inside": "in.surface"}


def _data_text(data: dict) -> str:
    """Regression data as the text a student could paste (exact floats)."""
    return "x,y\n" + "\n".join(f"{x!r},{y!r}" for x, y in zip(data["x"], data["y"], strict=True))


def _chart_widgets(key: str, state: dict) -> dict:
    return {f"{key}.view": state["view"], f"{key}.cursor": state["cursor"]}


def _playground(s: dict) -> dict:
    out = {"pg.mode": s["mode"], "runs.ids": list(range(len(s["runs"]))), "pg.grid": s["grid"],
           **surface_widgets("pg", s), **_chart_widgets("pg.chart", s)}
    for run_id, run in enumerate(s["runs"]):
        out.update(run_widgets(run_id, run))
    return out


def _regression(s: dict) -> dict:
    out = {"lr.data_source": "course" if s["data"] is None else "paste", "lr.standardize": s["standardize"],
           "lr.modes": s["modes"], "lr.batch_size": s["batch_size"], "lr.seed": s["seed"], "lr.w0": s["start"][0],
           "lr.b0": s["start"][1], "lr.steps": s["steps"], "lr.groups": s["lr_multipliers"] is not None,
           "lr.chart.cursor": s["cursor"], **run_widgets(100, s["run"])}
    if s["data"] is not None:
        out["lr.paste"] = _data_text(s["data"])
    if s["lr_multipliers"] is not None:
        out["lr.mw"], out["lr.mb"] = s["lr_multipliers"]
    return out


def _schedules(s: dict) -> dict:
    out = {"sch.lr": s["lr"], "sch.epochs": s["steps"], "sch.names": list(s["schedulers"]), "sch.log": s["log"],
           "sch.at": ", ".join(map(str, s["table"])), **surface_widgets("sch", s), **_chart_widgets("sch.chart", s),
           **run_widgets(200, {k: s[k] for k in ("optimizer", "hparams", "clip_grad_norm", "clip_grad_value")})}
    for name, params in s["schedulers"].items():
        out.update(scheduler_widgets(name, "sch.params", params))
    return out


def _inside(s: dict) -> dict:
    return {**surface_widgets("in", s), "in.step": s["step"], "in.adamw": s["adamw"], **run_widgets(300, s["run"])}


WIDGETS = {"playground": _playground, "regression": _regression, "schedules": _schedules, "inside": _inside}


def apply_state(page: str, state: dict) -> None:
    """Put a (sanitized) state into the page's widgets: call before they are drawn, or from a callback."""
    for key in [k for k in st.session_state if isinstance(k, str) and OWNED[page].match(k)]:
        del st.session_state[key]
    for key, value in WIDGETS[page](state).items():
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
    if page not in WIDGETS:
        return
    source = _source(page, query_flags(st.query_params))
    if SENTINEL[page] in st.session_state and source == st.session_state.get(f"share.{page}"):
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


def lesson_banner(page: str) -> None:
    """The lesson of the URL, if it is this page's: its question now, its explanation on demand."""
    lesson = LESSONS.get(query_flags(st.query_params)["lesson"] or "")
    if lesson is None or lesson.page != page:
        return
    lang = language()
    with st.container(border=True, key="lesson-banner"):
        st.markdown(f"#### {t('lesson.badge')} · {lesson.text('title', lang)}")
        st.info(lesson.text("question", lang), icon=":material/psychology_alt:")
        with st.expander(t("lesson.explain")):
            st.markdown(lesson.text("explanation", lang))
        st.page_link("pages/lessons.py", label=t("lesson.all"), icon=":material/school:",
                     query_params={"lang": lang})


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
        st.session_state["share.load_error"] = t("share.load.page", page=t(f"nav.{other}") if other in WIDGETS else "?")
        return
    state, problems = sanitize(page, saved["state"])
    apply_state(page, state)
    st.session_state["share.problems"] = problems
    st.session_state["share.loaded"] = True


def share_panel(page: str, state: dict) -> None:
    """The sidebar's share link, lecture link and save/load of the page's configuration."""
    c = publish(page, state)
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
        st.file_uploader(t("share.load"), type=["json"], key=key, max_upload_size=MAX_FILE_MB,
                         on_change=_load, args=(page, key), help=t("share.load.help"))
        if error := st.session_state.pop("share.load_error", None):
            st.error(error)
        if st.session_state.pop("share.loaded", False):
            st.success(t("share.loaded"))
