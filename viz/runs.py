"""What a figure needs to know about a run, the run colours and the default (English) texts."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import plotly.io as pio

from texts import CATALOGUES, DEFAULT, text

if TYPE_CHECKING:
    from optimizers.engine import Trajectory

# Okabe & Ito (2008) colour-blind-safe palette without yellow and black (weak on a projector / on the text).
PALETTE: list[str] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]


def figure_texts(lang: str = DEFAULT) -> dict[str, str]:
    """Every visible string of the figures in `lang`: the catalogue's `viz.*` texts, without the prefix."""
    return {key.removeprefix("viz."): text(key, lang) for key in CATALOGUES[DEFAULT] if key.startswith("viz.")}


TEXTS_EN = figure_texts()  # what a figure shows where the page passes no texts of its own


def texts_with_defaults(texts: dict | None) -> dict[str, str]:
    return {**TEXTS_EN, **(texts or {})}


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


@dataclass(frozen=True, eq=False)  # arrays: compared by identity, not element-wise
class RunView:
    """One run as drawn: label and colour, and the Trajectory's four fixed arrays (single start)."""

    label: str
    color: str
    xy: np.ndarray  # (steps + 1, 2); NaN from diverged_at (or stopped_at) on
    loss: np.ndarray  # (steps + 1,)
    lr: np.ndarray  # (steps,)
    diverged_at: int | None
    stopped_at: int | None = None  # the first position not computed: the run reached the server's cost budget

    @classmethod
    def of(cls, traj, label: str, color: str) -> RunView:
        """A view of a single-start `optimizers.Trajectory`."""
        return cls(label, color, np.asarray(traj.xy, float), np.asarray(traj.loss, float),
                   np.asarray(traj.lr, float), traj.diverged_at, traj.stopped_at)

    @property
    def finite_len(self) -> int:
        """How many leading positions are finite (the path up to divergence or the budget's stop)."""
        return next((a for a in (self.diverged_at, self.stopped_at) if a is not None), len(self.xy))
