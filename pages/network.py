"""A neural network: real torch.optim optimizers race to train a small MLP on 2-D points."""

import streamlit as st

from optimizers.network import ACTIVATIONS, MAX_LAYERS, MAX_WIDTH, data_of, normalize_network
from optimizers.network import NETWORK as NETWORK_DEFAULTS
from pagestate import PAGE
from pagestate.network import MAX_RUNS, PLANES, hidden_widths
from schema import ConfigError
from surfaces.classification import DATASETS
from ui.charts import chart_state, network_table, run_results
from ui.exports import code_tabs, export_row
from ui.i18n import labels, t
from ui.network_chart import landscape_chart, network_chart
from ui.page import setup, visible
from ui.run_editor import group_multipliers, last_multipliers
from ui.runs import NETWORK, add_run, run_list
from ui.share import share_panel
from ui.surface_picker import apply_player_events
from ui.upload import CLASSIFICATION, data_source

page = PAGE["network"]
lang = setup(page.name)
for player_key in (page.key("chart.player"), page.key("landscape.player")):  # one cursor for both players
    apply_player_events(page.prefix, chart_key=page.key("chart"), player_key=player_key)
side = st.sidebar

side.subheader(t("net.data"))
points = data_source(page.key("points"), kind=CLASSIFICATION)
if points is None:
    dataset = side.selectbox(t("net.dataset"), DATASETS, format_func=labels("net.dataset", DATASETS),
                             key=page.key("dataset"))
    n = side.slider(t("net.n"), 10, 2_000, step=10, key=page.key("n"), help=t("net.n.help"))
    noise = side.slider(t("net.noise"), 0.0, 2.0, step=0.05, key=page.key("noise"), help=t("net.noise.help"))
else:  # the student's points: the generator's settings are kept for the link
    dataset, n, noise = (st.session_state.get(page.key(k), NETWORK_DEFAULTS[k]) for k in ("dataset", "n", "noise"))
test_fraction = side.slider(t("net.test_fraction"), 0.0, 0.9, step=0.05, key=page.key("test_fraction"),
                            help=t("net.test_fraction.help"))
data_seed = side.number_input(t("net.data_seed"), 0, 2**31 - 1, key=page.key("data_seed"), help=t("net.data_seed.help"))

side.subheader(t("net.model"))
hidden_text = side.text_input(t("net.hidden"), key=page.key("hidden"), help=t("net.hidden.help", n=MAX_LAYERS,
                                                                                  width=MAX_WIDTH))
hidden = hidden_widths(hidden_text)
if hidden is None:
    side.error(t("net.hidden.error", n=MAX_LAYERS, width=MAX_WIDTH))
    hidden = NETWORK_DEFAULTS["hidden"]
activation = side.selectbox(t("net.activation"), ACTIVATIONS, key=page.key("activation"))
init_seed = side.number_input(t("net.init_seed"), 0, 2**31 - 1, key=page.key("init_seed"), help=t("net.init_seed.help"))
net = {"dataset": dataset, "n": int(n), "noise": float(noise), "data_seed": int(data_seed), "points": points,
       "test_fraction": float(test_fraction), "hidden": hidden, "activation": activation, "init_seed": int(init_seed)}
try:
    normalize_network(net)
except ConfigError as err:  # e.g. too few points of the student's: the generated ones meanwhile
    side.error(err.message(lang))
    net["points"] = None

side.subheader(t("net.training"))
steps = int(side.number_input(t("steps.label"), 1, 10_000, step=50, key=page.key("steps")))
n_train = len(data_of(net).y_train)
key = page.key("batch_size")
if (st.session_state.get(key) or 0) > n_train:  # fewer training points than the batch: a batch is all of them
    st.session_state[key] = n_train
batch_size = side.number_input(t("net.batch_size"), 1, n_train, key=key, placeholder=t("net.full_batch"),
                               help=t("net.batch_size.help", n=n_train))
seed = int(side.number_input(t("net.seed"), 0, 2**32 - 1, key=page.key("seed"), help=t("net.seed.help")))

side.subheader(t("pg.runs"))


def groups(prefix: str, draw: bool) -> dict:
    """A run's parameter groups (hidden layers, output layer), with hidden layers to group."""
    key = f"{prefix}.groups"
    if not hidden:
        return {"lr_multipliers": None}
    return {"lr_multipliers": group_multipliers(key, "net", (1.0, 1.0)) if draw else last_multipliers(key, (1.0, 1.0))}


runs = run_list(page.key("runs"), steps, runs=NETWORK, extra=groups)
if len(runs) < MAX_RUNS:
    side.button(t("pg.add_run"), on_click=add_run, args=(page.key("runs"), NETWORK), icon=":material/add:",
                width="stretch")

plane_key = page.key("plane")
plane = {"kind": st.session_state.get(plane_key) or "pca", "seed": int(st.session_state.get(f"{plane_key}.seed", 0)),
         "runs": [st.session_state.get(f"{plane_key}.first", 0), st.session_state.get(f"{plane_key}.second", 1)]}
share_panel(page.name, {**net, "steps": steps, "batch_size": batch_size, "seed": seed,
                        "runs": [{**run["config"], "color": run["color"]} for run in runs], "plane": plane,
                        **chart_state(page.key("chart"))})

st.title(t("net.title"))
st.caption(t("net.caption"))
configs = [{"network": net, "steps": steps, "batch_size": batch_size, "seed": seed, **run["config"]} for run in runs]
done = run_results([(run["label"], run["color"], config) for run, config in zip(runs, configs, strict=True)])

chart = network_chart(done, chart_key=page.key("chart"))
export_row(chart, done, "network")
if visible("table") and done:
    st.subheader(t("pg.summary"))
    network_table(done, page.key("chart"))

if done:
    st.subheader(t("net.landscape"))
    st.markdown(t("net.landscape.intro"))
    kind_column, first_column, second_column = st.columns([2, 1, 1])
    numbers = list(range(len(done)))
    kind = kind_column.segmented_control(t("net.plane"), PLANES, format_func=labels("net.plane", PLANES),
                                         key=plane_key) or "pca"
    if kind != "pca":
        for key in (f"{plane_key}.first", f"{plane_key}.second"):
            if st.session_state.get(key) not in numbers:
                st.session_state.pop(key, None)
        first = first_column.selectbox(t("net.plane.run" if kind == "random" else "net.plane.first"), numbers,
                                       format_func=lambda i: done[i].label, key=f"{plane_key}.first")
        if kind == "random":
            second_column.number_input(t("net.plane.seed"), 0, 2**31 - 1, key=f"{plane_key}.seed")
        elif len(done) > 1:
            second_column.selectbox(t("net.plane.second"), [i for i in numbers if i != first],
                                    format_func=lambda i: done[i].label, key=f"{plane_key}.second")
    landscape_chart(done, plane, chart_key=page.key("landscape"), cursor_key=page.key("chart"))

if visible("code") and done:
    code_tabs(done, t("net.code.caption"))
