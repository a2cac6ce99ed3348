"""Optimizer Playground — the first page: race up to six optimizers on a surface, animated in the browser.

Run with `streamlit run app.py`; the other pages are in `pages/`.
"""

import streamlit as st

from pagestate import PAGE
from pagestate.playground import GRID, MAX_RUNS, MODES
from ui.charts import chart_state, race_chart, run_results, summary_table
from ui.exports import code_tabs, export_row
from ui.i18n import labels, t
from ui.page import setup, visible
from ui.runs import add_run, run_list
from ui.share import share_panel
from ui.surface_picker import apply_player_events, start_and_steps, surface_picker
from ui.swarm import swarm_section

page = PAGE["playground"]
lang = setup(page.name)
apply_player_events(page.prefix, chart_key=page.key("chart"))

mode = st.sidebar.segmented_control(t("pg.mode"), MODES, key=page.key("mode"), format_func=labels("pg.mode", MODES),
                                    help=t("pg.mode.help")) or "race"
st.sidebar.subheader(t("pg.surface"))
surface_choice, surface = surface_picker(page.prefix)
if surface is None:
    st.stop()
where = start_and_steps(page.prefix, surface, with_start=mode != "swarm")  # the swarm starts on a grid

st.sidebar.subheader(t("pg.runs") if mode == "race" else t("pg.optimizer"))
runs = run_list(page.key("runs"), where["steps"], limit=1 if mode == "swarm" else MAX_RUNS)
if mode == "race" and len(runs) < MAX_RUNS:
    st.sidebar.button(t("pg.add_run"), on_click=add_run, args=(page.key("runs"),), icon=":material/add:",
                      width="stretch")
share_panel(page.name, {"mode": mode, **surface_choice, **where,
                        "runs": [{**run["config"], "color": run["color"]} for run in runs],
                        "grid": st.session_state.get(page.key("grid"), GRID[2]), **chart_state(page.key("chart"))})

st.title(t("pg.title") if mode == "race" else t("pg.swarm.title"))
st.caption(t("pg.caption") if mode == "race" else t("pg.swarm.intro"))

done = run_results([(run["label"], run["color"], {**surface_choice, **where, **run["config"]}) for run in runs])

if mode == "swarm":
    if done:
        swarm_section(surface, done[0])
    st.stop()

race = race_chart(surface, done, chart_key=page.key("chart"))
export_row(race, done, "playground")
if visible("table"):
    st.subheader(t("pg.summary"))
    summary_table(surface, done, chart_key=page.key("chart"))

if visible("code") and done:
    code_tabs(done, t("pg.code.caption"))
