"""Inside the optimizer: one update at a time, torch's rule with this step's numbers, and its state."""

import json

import numpy as np
import streamlit as st

from optimizers.explain import StepExplained, explain, scheduled_hparams
from optimizers.explain_latex import rule_latex, step_hparams, substituted_latex
from optimizers.rules.latex import num
from optimizers.specs import OPTIMIZERS
from pagestate import PAGE
from pagestate.inside import RUN
from schema import ConfigError
from surfaces import get_surface
from ui.cache import cached_run, engine_task
from ui.charts import cursor_box, plotly_chart, race_chart, run_results, viz_texts
from ui.i18n import t
from ui.page import setup
from ui.run_editor import run_editor
from ui.share import share_panel
from ui.surface_picker import start_and_steps, surface_picker
from viz import PALETTE
from viz.inside import inside_figure, stacked, state_figure


@st.cache_data(max_entries=32, show_spinner=False)
def explained(config_json: str):
    return explain(cached_run(json.loads(config_json)))


@st.cache_data(max_entries=32, show_spinner=False)
def saved_state(config_json: str, t: int) -> dict:
    return engine_task("checkpoint", json.loads(config_json), t=t)


def _shown(value) -> str:
    """A hyperparameter as the caption shows it: 0.8712, or (0.8712, 0.999) for betas."""
    if isinstance(value, tuple | list):
        return "(" + ", ".join(f"{v:.4g}" for v in value) + ")"
    return f"{value:.4g}" if isinstance(value, int | float) else str(value)


def float_note(traj, now: StepExplained, step: int, coordinate: int) -> str | None:
    """Where torch's recorded change of θ (float32 or float64 arithmetic) differs from the replay's exact
    formula at the 4 digits shown: a note saying so, with both numbers; else None."""
    exact, moved = float(now.quantities["update"][coordinate]), float(traj.update[step][coordinate])
    if num(exact) == num(moved):
        return None
    theta = traj.xy[step][coordinate]
    return t("in.float_note.still" if moved == 0 else "in.float_note", dtype=traj.config["dtype"],
             axis="xy"[coordinate], theta=f"${num(theta)}$", spacing=f"${num(np.spacing(np.abs(theta)))}$",
             moved=f"${num(moved)}$", exact=f"${num(exact)}$")


def aligned(lines: list[str]) -> str:
    """Lines aligned at their first '=' (a coloured line keeps its group whole)."""
    return (r"\begin{aligned}" + r"\\".join(line if line.startswith(r"\color") else line.replace(" = ", " &= ", 1)
                                              for line in lines) + r"\end{aligned}")


page = PAGE["inside"]
lang = setup(page.name)
st.sidebar.subheader(t("pg.surface"))
surface_choice, surface = surface_picker(page.prefix)
if surface is None:
    st.stop()
where = start_and_steps(page.prefix, surface)
st.sidebar.subheader(t("pg.optimizer"))
with st.sidebar.expander(t("in.optimizer"), expanded=True):
    run = run_editor(page.key("run"), RUN, where["steps"])
color = run.pop("color")
config = {**surface_choice, **where, **run}
share_panel(page.name, {**surface_choice, **where, "run": {**run, "color": color},
                        "step": st.session_state.get(page.key("step"), 0),
                        "adamw": st.session_state.get(page.key("adamw"), False)})

st.title(t("in.title"))
st.markdown(t("in.intro"))
try:
    traj = cached_run(config)
except ConfigError as err:
    st.error(err.message(lang))
    st.stop()
last = traj.finite_len - 1
step = min(cursor_box(traj.steps - 1, page.key("step")), max(last - 1, 0))
name = traj.config["optimizer"]
spec = OPTIMIZERS[name]

figure_column, rule_column = st.columns(2)  # half the width: the numbers beside the figure fit
arrows = [(t("in.update"), traj.update[step], color)]  # torch's change of θ at this step
steps = None
if spec.replay is not None:
    try:  # the replay and its LaTeX: a failure is a message on the page, never a traceback
        steps = explained(json.dumps(config, sort_keys=True))
        now = steps[step]
        rule = aligned(rule_latex(name, step_hparams(traj.config["hparams"], now, 0)))
        numbers = [substituted_latex(name, traj.config["hparams"], now, coordinate,
                                     previous=steps[step - 1] if step else None,
                                     moved=float(traj.update[step][coordinate]), dtype=traj.config["dtype"])
                   for coordinate in (0, 1)]
        notes = [float_note(traj, now, step, coordinate) for coordinate in (0, 1)]
        cycled = scheduled_hparams(traj, step)
    except Exception as err:  # any error of the explanation (torch's run itself is fine): a message
        steps = None
        rule_column.warning(t("in.explain_failed", optimizer=name, step=step + 1,
                              problem=f"{type(err).__name__}: {err}"[:200]))
if steps is not None:
    arrows.insert(0, (t("in.neg_grad"), -now.quantities["g"], "#555555"))
    if spec.momentum_quantity in now.quantities:  # the rule's momentum, where this step used one
        arrows.insert(1, (t("in.momentum"), -now.quantities[spec.momentum_quantity], "#D55E00"))
with figure_column:
    plotly_chart(inside_figure(surface, traj.xy, step, arrows, texts=viz_texts(), color=color), key="in.figure")
if steps is not None:
    with rule_column:
        st.markdown(t("in.rule", optimizer=name))
        st.latex(rule)
        st.markdown(t("in.numbers", step=step + 1))
        if cycled:
            st.caption(t("in.hparams_used", scheduler=traj.config["scheduler"] or "", names=", ".join(cycled),
                         values=", ".join(t("in.hparam_used", name=key, used=_shown(used), configured=_shown(was))
                                          for key, (used, was) in cycled.items())))
        for tab, lines, note in zip(st.tabs(["x", "y"]), numbers, notes, strict=True):
            tab.latex(stacked(lines))
            if note:
                tab.caption(note)
series = {key: np.asarray(traj.state[key]) for key in spec.state.charted() if key in traj.state}  # torch's state
if steps is not None:
    series[t("in.step_size")] = np.array([s.quantities["step_size"] * np.ones(2) for s in steps])
elif name == "LBFGS":
    rule_column.info(t("in.lbfgs", evals=int(traj.evals[step])))
    recorded = spec.state.at(traj.state, step)
    d, step_length, h = recorded.d, recorded.t, recorded.H_diag
    update = traj.update[step]
    rule_column.latex(aligned([rf"d_{{last}} = ({d[0]:.4g},\ {d[1]:.4g})",
                               rf"t_{{last}} = {step_length[0]:.4g},\quad H_{{diag}} = {h[0]:.4g}",
                               rf"\theta_t - \theta_{{t-1}} = ({update[0]:.4g},\ {update[1]:.4g})"]))
elif spec.replay is None:  # (a rule whose explanation failed has a warning above; its state is still torch's)
    rule_column.info(t("in.not_explained"))
    series = None
if series is not None:
    st.subheader(t("in.state"))
    if steps is not None:
        st.caption(t("in.state.caption"))
    plotly_chart(state_figure(series, step, texts=viz_texts()), key="in.state")

st.subheader(t("in.state_dict"))
saved = saved_state(json.dumps(config, sort_keys=True), step + 1)
left, right = st.columns([3, 2])
with left.expander(t("in.state_dict.show", step=step + 1)):
    st.json(saved, expanded=2)
right.download_button(t("in.state_dict.save"), json.dumps(saved), f"state_dict_step{step + 1}.json",
                      "application/json", icon=":material/download:", width="stretch")
uploaded = right.file_uploader(t("in.state_dict.load"), type=["json"], key="in.upload", max_upload_size=5)
if uploaded is not None:
    try:
        loaded = json.loads(uploaded.getvalue().decode("utf-8"))
        resumed = engine_task("resume", config, saved=loaded)  # checked field by field, in a worker, budgeted
        same = np.array_equal(resumed, traj.xy[loaded["step"]:], equal_nan=True)
        (right.success if same else right.warning)(
            t("in.resumed.same" if same else "in.resumed.differs", step=loaded["step"], n=len(resumed) - 1))
    except ConfigError as err:
        right.error(t("in.resumed.bad", problem=err.message(lang)))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RuntimeError) as err:
        right.error(t("in.resumed.bad", problem=str(err)[:200]))

st.subheader(t("in.adamw"))
st.markdown(t("in.adamw.intro"))
if st.toggle(t("in.adamw.show"), key=page.key("adamw")):
    pair = run_results([(label, PALETTE[i + 1], {"surface": "booth", "steps": 300, "optimizer": optimizer,
                                                  "hparams": {"lr": 0.1, "weight_decay": 0.5}})
                        for i, (label, optimizer) in enumerate((("Adam + L2", "Adam"), ("AdamW", "AdamW")))])
    race_chart(get_surface("booth"), pair, chart_key="in.pair", clickable=False)
    st.caption(" · ".join(f"{r.label}: ({r.traj.xy[-1][0]:.4g}, {r.traj.xy[-1][1]:.4g})" for r in pair))
    rules = [rule_latex(r.config["optimizer"], r.traj.config["hparams"]) for r in pair]
    for column, r, lines, other in zip(st.columns(2), pair, rules, rules[::-1], strict=True):
        column.markdown(f"**{r.label}**")
        column.latex(aligned([line if line in other else r"\color{#D55E00}{" + line + "}" for line in lines]))
    st.caption(t("in.adamw.differs"))
