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
from ui.charts import race_chart, run_results, surface_layer_of, whole_run_shown
from ui.i18n import t
from ui.page import setup
from ui.player import player, player_texts
from ui.run_editor import run_editor
from ui.share import share_panel
from ui.surface_picker import apply_player_events, start_and_steps, surface_picker
from ui.upload import file_uploader
from viz import PALETTE
from viz.inside import STATE_ROWS, inside_entry, state_series, update_vectors
from viz.latex_fit import fitted
from viz.runs import DIFFERS


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


def float_note(traj, now: StepExplained, i: int, coordinate: int) -> str | None:
    """Where torch's recorded change of θ at update `i` (0-based) in float32 or float64 arithmetic differs from the
    replay's exact formula at the 4 digits shown: a note saying so, with both numbers; else None."""
    exact, moved = float(now.quantities["update"][coordinate]), float(traj.update[i][coordinate])
    if num(exact) == num(moved):
        return None
    theta = traj.xy[i][coordinate]
    return t("in.float_note.still" if moved == 0 else "in.float_note", dtype=traj.config["dtype"],
             axis="xy"[coordinate], theta=f"${num(theta)}$", spacing=f"${num(np.spacing(np.abs(theta)))}$",
             moved=f"${num(moved)}$", exact=f"${num(exact)}$")


def marked(line: str) -> str:
    """A rule's line in the colour that marks a difference, each side of its first '=' or '←' coloured apart, so
    that `fitted` still aligns it with the others and fits it to the column (a phone's too)."""
    found = [(line.find(op), op) for op in (" = ", r" \leftarrow ") if op in line]
    if not found:
        return rf"\color{{{DIFFERS}}}{{{line}}}"
    at, op = min(found)
    return rf"\color{{{DIFFERS}}}{{{line[:at]}}}{op}\color{{{DIFFERS}}}{{{line[at + len(op):]}}}"


def follow_player(prefix: str, step_key: str, chart_key: str) -> None:
    """The player's pause, step or scrub (`apply_player_events`) moves the page's step to its cursor: the numbers
    and the state_dict below show the update the player shows. The page state's "step" is that update's 0-based
    index, as links always held it (cursor k = torch's k-th step = index k − 1; the start is −1)."""
    apply_player_events(prefix, chart_key)
    cursor = st.session_state.pop(f"{chart_key}.cursor", None)
    if isinstance(cursor, int):
        st.session_state[step_key] = cursor - 1


@st.cache_data(max_entries=32, show_spinner=False)
def player_entry(config_json: str, label: str, color: str, explained_ok: bool, _bounds) -> dict:
    """The run as the player draws it here: its path, the arrows of every step (each kind at one scale for the
    run, within the surface's `_bounds`), torch's state; with `explained_ok`, the rule's gradient, momentum and
    effective step size."""
    config = json.loads(config_json)
    traj = cached_run(config)
    spec = OPTIMIZERS[traj.config["optimizer"]]
    steps = explained(config_json) if explained_ok else None
    vectors = update_vectors(traj, steps, spec.momentum_quantity)
    series = state_series(traj, spec.state.charted(), steps)
    return inside_entry(label, color, config, traj, vectors, series, _bounds)


page = PAGE["inside"]
STEP, CHART = page.key("step"), page.key("chart")
lang = setup(page.name)
follow_player(page.prefix, STEP, CHART)
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
index = max(-1, min(int(st.session_state.get(STEP, 0)), where["steps"] - 1))  # the update shown, 0-based
share_panel(page.name, {**surface_choice, **where, "run": {**run, "color": color}, "step": index,
                        "adamw": st.session_state.get(page.key("adamw"), False)})

st.title(t("in.title"))
st.markdown(t("in.intro"))
try:
    traj = cached_run(config)
except ConfigError as err:
    st.error(err.message(lang))
    st.stop()
k = min(index + 1, traj.finite_len - 1)  # the player's step k: torch's k-th optimizer.step(), θ_{k−1} → θ_k
i = k - 1  # its row in the run's arrays
name = traj.config["optimizer"]
spec = OPTIMIZERS[name]
config_json = json.dumps(config, sort_keys=True)

steps = None
problem = None
if spec.replay is not None:
    try:  # the replay and its LaTeX: a failure is a message on the page, never a traceback
        steps = explained(config_json)
        rule = fitted(rule_latex(name, step_hparams(traj.config["hparams"], steps[max(i, 0)], 0)))
        if k >= 1:
            now = steps[i]
            numbers = [substituted_latex(name, traj.config["hparams"], now, coordinate,
                                         previous=steps[i - 1] if i else None,
                                         moved=float(traj.update[i][coordinate]), dtype=traj.config["dtype"])
                       for coordinate in (0, 1)]
            notes = [float_note(traj, now, i, coordinate) for coordinate in (0, 1)]
            cycled = scheduled_hparams(traj, i)
    except Exception as err:  # any error of the explanation (torch's run itself is fine): a message
        steps, problem = None, f"{type(err).__name__}: {err}"[:200]

texts = {**player_texts(lang), **{f"inside.{key}": t(f"in.{key}") for key in ("path", "neg_grad", "update", "start")},
         "inside.neg_momentum": t("in.momentum"), "inside.scales": t("in.arrow_scale"),
         "inside.series.step_size": t("in.step_size")}
entry = player_entry(config_json, name, color, steps is not None, surface.bounds)
panels = ("arrows", *(f"state{row}" for row in range(min(len(entry["series"]), STATE_ROWS))))  # torch's state: rows
player(surface_layer_of(surface_choice, surface), [entry], key=f"{CHART}.player", cursor=k,
       show_all=whole_run_shown(CHART), panels=panels, texts=texts, height=620)
if entry["series"] and steps is not None:
    st.caption(t("in.state.caption"))

rule_column, numbers_column = st.columns(2)
if problem is not None:
    rule_column.warning(t("in.explain_failed", optimizer=name, step=k, problem=problem))
elif spec.replay is None and name != "LBFGS":
    rule_column.info(t("in.not_explained"))
if steps is not None:
    rule_column.markdown(t("in.rule", optimizer=name))
    rule_column.latex(rule)
if k < 1:  # the start: no update yet, so no numbers (not the first update's as a preview)
    numbers_column.info(t("in.at_start", x=f"{traj.xy[0][0]:.4g}", y=f"{traj.xy[0][1]:.4g}"))
elif steps is not None:
    with numbers_column:
        st.markdown(t("in.numbers", step=k))
        if cycled:
            st.caption(t("in.hparams_used", scheduler=traj.config["scheduler"] or "", names=", ".join(cycled),
                         values=", ".join(t("in.hparam_used", name=key, used=_shown(used), configured=_shown(was))
                                          for key, (used, was) in cycled.items())))
        for tab, lines, note in zip(st.tabs(["x", "y"]), numbers, notes, strict=True):
            tab.latex(fitted(lines))
            if note:
                tab.caption(note)
elif name == "LBFGS":
    numbers_column.info(t("in.lbfgs", evals=int(traj.evals[i])))
    recorded = spec.state.at(traj.state, i)
    d, step_length, h = recorded.d, recorded.t, recorded.H_diag
    update = traj.update[i]
    numbers_column.latex(fitted([rf"d_{{last}} = ({d[0]:.4g},\ {d[1]:.4g})", rf"t_{{last}} = {step_length[0]:.4g}",
                                 rf"H_{{diag}} = {h[0]:.4g}",
                                 rf"\theta_t - \theta_{{t-1}} = ({update[0]:.4g},\ {update[1]:.4g})"]))

st.subheader(t("in.state_dict"))
saved = saved_state(config_json, k)
left, right = st.columns([3, 2])
with left.expander(t("in.state_dict.show", step=k)):
    st.json(saved, expanded=2)
right.download_button(t("in.state_dict.save"), json.dumps(saved), f"state_dict_step{k}.json",
                      "application/json", icon=":material/download:", width="stretch")
STATE_DICT_MB = 5
uploaded = file_uploader(right, t("in.state_dict.load", mb=STATE_DICT_MB), key="in.upload", types=("json",),
                         mb=STATE_DICT_MB)
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
        column.latex(fitted([line if line in other else marked(line) for line in lines]))
    st.caption(t("in.adamw.differs"))
