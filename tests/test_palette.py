"""The run colours stay apart for readers with a colour-vision deficiency, and each is dark enough for a line on
the charts' white background.

Dichromacy is simulated with colorspacious (Machado, Oliveira & Fernandes 2009, severity 100: deuteranopia,
protanopia, tritanopia) and distances are measured in CAM02-UCS (ΔE′, Luo, Cui & Li 2006), where ΔE′ ≈ 1 is a
just-noticeable difference between two large patches.  Runs are drawn as lines a few pixels wide, and the
difference needed to tell thin marks apart grows several-fold as they get thinner (Stone, Szafir & Setlur 2014,
"An engineering model for color difference as a function of size"): we ask every pair for ΔE′ ≥ 10 — about
twice what thin lines need to be told apart side by side, so two runs are told apart at a glance, even when
their paths are far apart on the map.  Contrast is WCAG 2.1's relative-luminance ratio; 3:1 is its minimum for
graphical objects (success criterion 1.4.11).
"""

from itertools import combinations

import numpy as np
import pytest
from colorspacious import cspace_convert, deltaE

from viz.runs import DIFFERS, PALETTE

MIN_DELTA_E = 10.0
MIN_CONTRAST = 3.0
VISION = {"typical": None, "deuteranopia": "deuteranomaly", "protanopia": "protanomaly",
          "tritanopia": "tritanomaly"}


def srgb(color: str) -> np.ndarray:
    return np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)]) / 255


def seen(color: str, deficiency: str | None) -> np.ndarray:
    """`color` as a reader with `deficiency` (full severity) sees it, in sRGB (0–1)."""
    if deficiency is None:
        return srgb(color)
    cvd = {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}
    return np.clip(cspace_convert(srgb(color), cvd, "sRGB1"), 0, 1)


def contrast_on_white(color: str) -> float:
    """WCAG 2.1's contrast ratio of `color` against white."""
    c = srgb(color)
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    luminance = float(linear @ [0.2126, 0.7152, 0.0722])
    return 1.05 / (luminance + 0.05)


@pytest.mark.parametrize("vision", list(VISION))
def test_every_pair_of_run_colours_stays_distinguishable(vision):
    for a, b in combinations(PALETTE, 2):
        distance = deltaE(seen(a, VISION[vision]), seen(b, VISION[vision]), input_space="sRGB1")
        assert distance >= MIN_DELTA_E, (vision, a, b, distance)


@pytest.mark.parametrize("color", PALETTE)
def test_every_run_colour_stands_out_on_white(color):
    assert contrast_on_white(color) >= MIN_CONTRAST, (color, contrast_on_white(color))


def test_the_checks_catch_what_they_are_for():
    """Red and green merge for a deuteranope; Okabe–Ito's yellow is too light for a line on white."""
    assert deltaE(seen("#D55E00", None), seen("#009E73", None), input_space="sRGB1") > MIN_DELTA_E
    assert deltaE(seen("#CC0000", "deuteranomaly"), seen("#6B8E23", "deuteranomaly"), input_space="sRGB1") < MIN_DELTA_E
    assert contrast_on_white("#F0E442") < MIN_CONTRAST


def test_there_is_a_colour_for_every_run():
    from pagestate.playground import MAX_RUNS
    assert len(set(PALETTE)) >= MAX_RUNS


def test_text_marking_a_difference_meets_wcag_aa():
    """The Inside page's Adam+L2 / AdamW lines that differ are coloured text: 4.5:1 (AA) on white."""
    assert contrast_on_white(DIFFERS) >= 4.5
