"""Linear regression: batch, mini-batch and stochastic gradient descent on the course's data."""

import streamlit as st

from optimizers.course import course_runs, printout
from pagestate import PAGE
from pagestate.regression import MODES as MODE_NAMES
from pagestate.regression import RUN
from schema import ConfigError
from surfaces import get_surface
from surfaces.regression import conditioning
from ui.charts import chart_state, run_results, summary_table
from ui.exports import code_tabs, export_row
from ui.forms import seed
from ui.i18n import labels, t
from ui.page import setup, visible
from ui.regression_chart import regression_chart
from ui.run_editor import group_multipliers, run_editor
from ui.share import share_panel
from ui.surface_picker import apply_player_events
from ui.upload import data_source
from viz import PALETTE

page = PAGE["regression"]
lang = setup(page.name)
apply_player_events(page.prefix, chart_key=page.key("chart"))  # a click on the MSE map sets (w₀, b₀)
MODES = dict(zip(MODE_NAMES, (None, "batch", 1), strict=True))  # the batch size of each mode
COLORS = dict(zip(MODES, PALETTE, strict=False))

st.sidebar.subheader(t("lr.data"))
data = data_source(page.prefix)
standardize = st.sidebar.toggle(t("lr.standardize"), key=page.key("standardize"), help=t("lr.standardize.help"))
surface_params = {**(data or {}), "standardize": standardize}
try:
    surface = get_surface("linear_regression", surface_params)
except ConfigError as err:
    st.sidebar.error(err.message(lang))
    data, surface_params = None, {"standardize": standardize}
    surface = get_surface("linear_regression", surface_params)
n = surface.n_samples
kappa, lr_max = conditioning(surface.data["x"])
st.sidebar.caption(t("lr.conditioning", kappa=f"{kappa:.3g}", lr_max=f"{lr_max:.3g}"))

st.sidebar.subheader(t("lr.gradients"))
modes = st.sidebar.pills(t("lr.modes"), list(MODES), selection_mode="multi", key=page.key("modes"),
                         format_func=labels("lr.mode", MODES), help=t("lr.modes.help")) or ["full"]
key = page.key("batch_size")
if st.session_state.get(key, 0) > n:  # fewer rows than the batch: back to the default
    del st.session_state[key]
batch_size = st.sidebar.slider(t("lr.batch_size"), 1, n, **seed(key, value=min(4, n)), key=key,
                               help=t("lr.batch_size.help"))
data_seed = st.sidebar.number_input(t("lr.seed"), 0, 2**31 - 1, key=page.key("seed"))
left, right = st.sidebar.columns(2)
w_start = left.number_input("w₀", -1e6, 1e6, format="%.4g", key=page.key("start") + "_x")
b_start = right.number_input("b₀", -1e6, 1e6, format="%.4g", key=page.key("start") + "_y")
steps = st.sidebar.number_input(t("steps.label"), 1, 10_000, step=10, key=page.key("steps"))

st.sidebar.subheader(t("pg.optimizer"))
with st.sidebar.expander(t("lr.optimizer"), expanded=True):
    run = run_editor(page.key("run"), RUN, int(steps))
    multipliers = group_multipliers(page.key("groups"), "lr")
color = run.pop("color")
share_panel(page.name, {"data": data, "standardize": standardize, "modes": modes, "batch_size": batch_size,
                        "seed": int(data_seed), "start": [w_start, b_start], "steps": int(steps),
                        "run": {**run, "color": color}, "lr_multipliers": multipliers,
                        "cursor": chart_state(page.key("chart"))["cursor"]})

st.title(t("lr.title"))
st.markdown(t("lr.intro", n=n, batch=batch_size, per_epoch=-(-n // batch_size)))

sizes = [batch_size if MODES[mode] == "batch" else MODES[mode] for mode in modes]
configs = [{"surface": "linear_regression", "surface_params": surface_params, "start": [w_start, b_start],
            "steps": int(steps), **run, "batch_size": size, "seed": int(data_seed), "lr_multipliers": multipliers}
           for size in sizes]
done = run_results([(t(f"lr.mode.{mode}") + (f" (B={size})" if size else ""), COLORS[mode], config)
                    for mode, size, config in zip(modes, sizes, configs, strict=True)])

chart = regression_chart(surface, done, chart_key=page.key("chart"))
export_row(chart, done, "regression")
if run["optimizer"] == "LBFGS" and done:
    st.info(t("lr.lbfgs", evals=int(done[0].traj.evals.sum()), steps=int(steps)))

if visible("table"):
    st.subheader(t("pg.summary"))
    summary_table(surface, done, page.key("chart"), position="col.final_wb")
if done:
    final = {r.label: r.traj.xy[r.traj.finite_len - 1] for r in done}
    line = "\n".join(f"{label}: y = {w:.6g}·x + {b:.6g}" for label, (w, b) in final.items())
    st.code(line, language="text")
    st.download_button(t("lr.download_line"), "run,w,b\n" + "\n".join(f"{k},{w},{b}" for k, (w, b) in final.items()),
                       "fitted_line.csv", "text/csv", icon=":material/download:")

st.subheader(t("lr.course"))
st.markdown(t("lr.course.intro"))
if st.button(t("lr.course.run"), icon=":material/play_arrow:", key="lr.course.button"):
    st.session_state["lr.course.shown"] = True
if st.session_state.get("lr.course.shown"):
    runs = course_runs()
    shown = run_results([(r.name, color, r.config) for r, color in zip(runs, PALETTE, strict=False)])
    if len(shown) < len(runs):  # the engine failed (the error is shown)
        st.stop()
    regression_chart(get_surface("linear_regression"), shown, chart_key="lr.course.chart", clickable=False)
    printout_column, note_column = st.columns([3, 2])
    printout_column.code(printout(runs, [r.traj for r in shown]), language="text")
    with note_column:
        st.info(t("lr.course.adam"))

if visible("code") and done:
    code_tabs(done)
