"""Turn numpy arrays into small JSON-ready lists for a plotly figure dict (the schedules page's learning-rate
curves): rounded, with NaN/inf as ``None`` so plotly breaks lines there and the JSON stays valid."""

from __future__ import annotations

import math

import numpy as np


def round_sig(a, sig: int = 6) -> np.ndarray:
    """`a` rounded to `sig` significant digits (NaN, inf and 0 unchanged)."""
    a = np.array(a, dtype=float)
    ok = np.isfinite(a) & (a != 0)
    v = a[ok]
    exp = sig - 1 - np.floor(np.log10(np.abs(v)))
    up = exp >= 0  # divide by an exact power of ten so the result prints short
    out = np.empty_like(v)
    out[up] = np.round(v[up] * 10.0 ** exp[up]) / 10.0 ** exp[up]
    out[~up] = np.round(v[~up] / 10.0 ** -exp[~up]) * 10.0 ** -exp[~up]
    a[ok] = out
    return a


def round_to_span(a, span: float, sig: int = 4) -> np.ndarray:
    """`a` rounded to a fixed number of decimals: `sig` significant digits at the scale of `span`.

    Suited to coordinates: a span of 10 keeps 2 decimals (1/1000 of the axis) for every value.
    """
    decimals = sig - 1 - math.floor(math.log10(span)) if span > 0 and math.isfinite(span) else sig
    return np.round(np.asarray(a, dtype=float), max(decimals, 0))


def clean(a, sig: int = 6, span: float | None = None) -> list:
    """A (nested) list of `a` rounded (see `round_sig`/`round_to_span`), NaN and ±inf as None."""
    r = round_sig(a, sig) if span is None else round_to_span(a, span, sig)
    finite = np.isfinite(r)
    if finite.all():
        return r.tolist()
    return np.where(finite, r, None).tolist()
