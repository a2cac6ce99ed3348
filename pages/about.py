"""About: what the app is, and what its engine knows (every surface, optimizer and scheduler)."""

import streamlit as st

from optimizers import OPTIMIZERS, PRESETS, SCHEDULERS
from surfaces import SURFACES, get_surface
from ui.i18n import t
from ui.page import setup
from ui.surface_picker import sidebar_latex

lang = setup("about")

st.title(t("app.title"))
st.subheader(t("app.tagline"))
st.markdown(t("home.intro"))

st.header(t("home.inside"))
surfaces_tab, optimizers_tab, schedulers_tab = st.tabs(
    [t("home.tab.surfaces"), t("home.tab.optimizers"), t("home.tab.schedulers")])

with surfaces_tab:
    st.caption(t("home.surfaces.caption", n=len(SURFACES)))
    for key, spec in SURFACES.items():
        surface = get_surface(key)
        with st.container(border=True):
            about, formula = st.columns([2, 3], vertical_alignment="center")
            about.markdown(f"**{spec.name(lang)}**  \n{spec.description(lang)}")
            if surface.minima:
                points = ", ".join(f"({x:.4g}, {y:.4g})" for x, y in surface.minima)
                about.caption(t("home.minima", minima=points))
            else:
                about.caption(t("home.custom_minima") if key == "custom" else t("home.no_minima"))
            formula.latex(sidebar_latex(surface.latex))  # fitted as in the sidebar: a phone's column too

with optimizers_tab:
    st.caption(t("home.optimizers.caption", presets=", ".join(PRESETS)))
    st.dataframe(
        [{t("col.name"): name, t("col.what"): spec.summary(lang), t("col.default_lr"): spec.params[0].default,
          t("col.keywords"): ", ".join(p.key for p in spec.params[1:])} for name, spec in OPTIMIZERS.items()],
        hide_index=True, width="stretch", height=35 * (len(OPTIMIZERS) + 1) + 3)

with schedulers_tab:
    st.caption(t("home.schedulers.caption"))
    st.dataframe(
        [{t("col.name"): name, t("col.what"): spec.summary(lang),
          t("col.keywords"): ", ".join(p.key for p in spec.params)} for name, spec in SCHEDULERS.items()],
        hide_index=True, width="stretch", height=35 * (len(SCHEDULERS) + 1) + 3)

st.header(t("home.code"))
st.markdown(t("home.code.python"))
st.code('from optimizers import run\n'
        'traj = run({"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 500,\n'
        '            "optimizer": "Adam", "hparams": {"lr": 0.01}})\n'
        'traj.xy, traj.loss, traj.lr, traj.diverged_at', language="python")
st.markdown(t("home.code.cli"))
st.code("python -m optimizers homework.json -o homework.csv", language="bash")
