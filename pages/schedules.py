"""Learning-rate schedules: every torch scheduler's curve, its formula, and what it does to a trajectory."""

import numpy as np
import streamlit as st

from optimizers import SCHEDULERS, lr_curve
from optimizers.schedule_formulas import formula_latex, markers
from pagestate import PAGE
from pagestate.schedules import BASE_LR, MAX_SCHEDULES, RUN, default_table
from schema import ConfigError
from ui.charts import chart_state, plotly_chart, race_chart, run_results
from ui.exports import code_tabs, export_row
from ui.forms import _float as float_widget  # the hyperparameters' slider and box (to be made public in forms)
from ui.forms import parse_int_list, seed
from ui.i18n import t
from ui.page import lecture_mode, setup, visible
from ui.player import lecture_scale
from ui.run_editor import breakable, run_editor, scheduler_form
from ui.share import share_panel
from ui.surface_picker import apply_player_events, start_and_steps, surface_picker
from viz import PALETTE
from viz.latex_fit import definitions, fitted
from viz.schedules import lr_curves_figure, schedule_warning, stable_lr


def table_steps(steps: int) -> tuple[list[int], ConfigError | None]:
    """The steps the table shows (the box's whole numbers within the run), or the defaults and why the box's
    text does not parse."""
    text = st.session_state.get(page.key("at"))
    if text is None:
        return default_table(steps), None
    try:
        return [s for s in parse_int_list(text, t("sch.table.steps")) if 0 <= s < steps][:50], None
    except ConfigError as err:
        return default_table(steps), err


def lr_csv(curves: list, steps: int) -> str:
    """Every step's learning rate of every curve (made when the download button is pressed)."""
    return "step," + ",".join(n for n, _, _, _ in curves) + "\n" + "\n".join(
        f"{s}," + ",".join(repr(float(lr[s])) for _, _, lr, _ in curves) for s in range(steps))


page = PAGE["schedules"]
lang = setup(page.name)
apply_player_events(page.prefix, chart_key=page.key("chart"))

st.sidebar.subheader(t("sch.schedules"))
# slid over a 1–2–5 grid or typed exactly, as every hyperparameter (errors name the optimizer's lr: SGD.lr)
base_lr = float_widget(BASE_LR, page.key("lr"), t("sch.base_lr"), None, st.sidebar,
                       owner=st.session_state.get(page.key("run") + ".optimizer", RUN["optimizer"]))
steps = int(st.sidebar.number_input(t("sch.steps"), 2, 10_000, step=10, key=page.key("epochs"),
                                    help=t("sch.steps.help")))
names = st.sidebar.multiselect(t("sch.pick"), list(SCHEDULERS), key=page.key("schedulers"), format_func=breakable,
                               max_selections=MAX_SCHEDULES, help=t("sch.pick.help"))
context = {"steps": steps, "lr": base_lr}
chosen = {}
for name in names:
    with st.sidebar.expander(name, expanded=len(names) == 1):
        st.caption(SCHEDULERS[name].summary(lang))
        chosen[name] = scheduler_form(name, page.key("schedulers"), context)

st.title(t("sch.title"))
if lecture_mode()["on"]:  # a projector: the race a lecturer plays (its lr panel too) on the first screen first
    race_box, curves_box = st.container(), st.container()
else:  # at a screen: the curves, then (as the intro says) the race below them
    st.markdown(t("sch.intro"))
    curves_box, race_box = st.container(), st.container()

st.sidebar.subheader(t("sch.trajectory"))
surface_choice, surface = surface_picker(page.prefix)
where = start_and_steps(page.prefix, surface, with_steps=False) if surface is not None else None
with st.sidebar.expander(t("sch.optimizer"), expanded=False):
    st.caption(t("sch.optimizer.caption"))
    optimizer = run_editor(page.key("run"), RUN, steps, fixed={"lr": base_lr}, schedule=False)
for key in ("color", "scheduler", "scheduler_params"):
    optimizer.pop(key)
table_at, table_error = table_steps(steps)
if where:
    share_panel(page.name, {"lr": base_lr, "steps": steps, "schedulers": chosen, **surface_choice, **where,
                            **optimizer, "hparams": {k: v for k, v in optimizer["hparams"].items() if k != "lr"},
                            "log": st.session_state.get(page.key("log"), False), "table": table_at,
                            **chart_state(page.key("chart"))})

colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(chosen)}
plain = {**surface_choice, "start": where["start"] if where else None, "steps": steps, **optimizer} if where else None
runs = run_results([(t("sch.none"), "#555555", plain),
                    *((name, colors[name], {**plain, "scheduler": name, "scheduler_params": params})
                      for name, params in chosen.items())]) if plain else []
trajectories = {r.label: r.traj for r in runs}
curves = []
with curves_box:
    for name, params in chosen.items():
        if SCHEDULERS[name].needs_loss:  # ReduceLROnPlateau reacts to the run's own loss: its curve is the run's
            if name in trajectories:
                curves.append((name, colors[name], trajectories[name].lr, params))
            elif not plain:
                st.error(f"{name}: {t('sch.needs_trajectory')}")
            continue
        try:
            curves.append((name, colors[name], lr_curve(name, params, steps, base_lr), params))
        except ConfigError as err:
            st.error(f"{name}: {err.message(lang)}")

    if curves:
        log = st.toggle(t("sch.log"), key=page.key("log"))
        plotly_chart(lr_curves_figure([(n, c, lr, markers(n, p, steps, base_lr, lang)) for n, c, lr, p in curves],
                                      step_title=t("viz.step"), lr_title=t("viz.lr"), log=log,
                                      scale=lecture_scale()), key="sch.curves")
        columns = st.columns(min(2, len(curves)))  # two formulas a row at most: each fits a phone's width (FIT_EM)
        for i, (name, _, _, _) in enumerate(curves):
            columns[i % len(columns)].markdown(f"**{name}**")
            columns[i % len(columns)].latex(fitted(definitions(formula_latex(name, chosen[name]))))

        st.subheader(t("sch.table"))
        key = page.key("at")
        st.text_input(t("sch.table.steps"), **seed(key, value=", ".join(map(str, default_table(steps)))), key=key,
                      help=t("sch.table.help"))
        if table_error:
            st.error(table_error.message(lang))
        else:
            table = {t("viz.step"): table_at, **{name: np.asarray(lr)[table_at] for name, _, lr, _ in curves}}
            st.dataframe(table, hide_index=True, column_config={n: st.column_config.NumberColumn(format="%.6g")
                                                                for n, _, _, _ in curves})
            st.download_button(t("sch.download"), lambda: lr_csv(curves, steps), "learning_rates.csv", "text/csv",
                               icon=":material/download:", on_click="ignore")

with race_box:
    st.subheader(t("sch.effect"))
    st.caption(t("sch.effect.caption"))
    limit = stable_lr(surface_choice, optimizer) if plain else None
    for result in runs:
        if warning := schedule_warning(result.traj, limit):
            st.warning(t(warning[0], name=result.label, **warning[1]), icon=":material/warning:")
    if runs:
        race = race_chart(surface, runs, chart_key=page.key("chart"))
        export_row(race, runs, "schedules")

scheduled = [r for r in runs if r.config.get("scheduler")]
if visible("code") and scheduled:
    code_tabs(scheduled, t("sch.order"))
