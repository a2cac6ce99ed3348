"""The surface registry: `SURFACES[key]` is a `SurfaceSpec`; `get_surface` builds one.

>>> s = get_surface("rosenbrock", {"b": 10})
>>> s.minima, s.min_value
(((1.0, 1.0),), 0.0)
"""

from __future__ import annotations

import json
from functools import lru_cache

from schema import ConfigError, Param, shown, validate_params

from . import classic, regression
from .base import Surface, SurfaceSpec
from .formula import FormulaError, formula_body, formula_latex, parse_formula


def custom(params: dict) -> Surface:
    text = params["formula"]
    try:
        fn = parse_formula(text)
    except FormulaError as err:
        raise ConfigError("surface.error.custom", problem=err.msg) from err
    (x0, x1), (y0, y1) = bounds = ((params["x_min"], params["x_max"]), (params["y_min"], params["y_max"]))
    if not (x0 < x1 and y0 < y1):
        raise ConfigError("surface.error.custom_bounds")
    start = (x0 + 0.2 * (x1 - x0), y0 + 0.8 * (y1 - y0))
    return Surface("custom", fn, "f(x, y) = " + formula_latex(text), bounds, starts=(start,))


def _limit(key: str, default: float) -> Param:
    return Param(key, "float", default, f"surface.custom.{key}", low=-1e4, high=1e4, slider=(-10.0, 10.0))


CUSTOM = SurfaceSpec(
    "custom", custom, lambda params: formula_body(params["formula"]), (
        Param("formula", "text", "sin(x) * cos(y) + 0.1 * (x^2 + y^2)", "surface.custom.formula"),
        _limit("x_min", -3.0), _limit("x_max", 3.0), _limit("y_min", -3.0), _limit("y_max", 3.0),
    ))

SURFACES: dict[str, SurfaceSpec] = {s.key: s for s in (*classic.SPECS, regression.SPEC, CUSTOM)}


def validate_surface(key: str, params: dict | None) -> dict:
    """Check a surface key and its parameters; fill the defaults."""
    if not isinstance(key, str) or key not in SURFACES:
        valid = ", ".join(SURFACES)
        raise ConfigError("surface.error.unknown", got=shown(key), valid=valid)
    return validate_params(SURFACES[key].params, params, key)


def get_surface(key: str, params: dict | None = None) -> Surface:
    """The built surface for `key` and `params` (validated, cached). Raises ConfigError."""
    params = validate_surface(key, params)
    return _build(key, json.dumps(params, sort_keys=True))


@lru_cache(maxsize=64)
def _build(key: str, params_json: str) -> Surface:
    return SURFACES[key].build(json.loads(params_json))


__all__ = ["SURFACES", "Surface", "SurfaceSpec", "get_surface", "validate_surface"]
