"""A computed run as pages hand it to the charts, the run colours, the figures' texts and the plotly template."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import plotly.io as pio

from texts import CATALOGUES, DEFAULT, text

if TYPE_CHECKING:
    from optimizers.engine import Trajectory

# Okabe & Ito's (2008) colour-blind-safe blue, vermilion, green and pink, then a brown and a violet in place of their
# orange and sky blue (under 3:1 against white: too light for a line); yellow and black left out.  Every pair stays
# apart under simulated deuteranopia, protanopia and tritanopia: tests/test_palette.py.
PALETTE: list[str] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#875A3C", "#A578FF"]
DIFFERS = "#A84A00"  # text marking a difference: a darker vermilion, 5.8:1 on white (#D55E00 is 3.9:1: a line's colour)


def figure_texts(lang: str = DEFAULT) -> dict[str, str]:
    """Every visible string of the figures in `lang`: the catalogue's `viz.*` texts, without the prefix."""
    return {key.removeprefix("viz."): text(key, lang) for key in CATALOGUES[DEFAULT] if key.startswith("viz.")}


@cache
def _plotly_white() -> dict:
    return pio.templates["plotly_white"].to_plotly_json()


def template() -> dict:
    """plotly's "plotly_white" template spelled out (6.5 kB), so the figure looks the same unvalidated.

    plotly.py expands the name "plotly_white" only when it validates a figure; plotly.js ignores the bare name.
    """
    return copy.deepcopy(_plotly_white())


@dataclass(frozen=True, eq=False)  # arrays inside: compared by identity, not element-wise
class RunResult:
    """One computed run, as pages hand it to the figures: its label and colour, the engine config it ran and
    the engine's `optimizers.Trajectory` (single start)."""

    label: str
    color: str
    config: dict
    traj: Trajectory
