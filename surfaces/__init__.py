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
from .formula import FormulaError, formula_latex, parse_formula


def custom(params: dict) -> Surface:
    text = params["formula"]
    try:
        fn = parse_formula(text)
    except FormulaError as err:
        raise ConfigError(f"custom formula: {err}", f"自定义公式：{err.message_zh}") from err
    (x0, x1), (y0, y1) = bounds = ((params["x_min"], params["x_max"]), (params["y_min"], params["y_max"]))
    if not (x0 < x1 and y0 < y1):
        raise ConfigError("custom formula: need x_min < x_max and y_min < y_max",
                          "自定义公式：需要 x_min < x_max 且 y_min < y_max")
    start = (x0 + 0.2 * (x1 - x0), y0 + 0.8 * (y1 - y0))
    return Surface("custom", fn, "f(x, y) = " + formula_latex(text), bounds, starts=(start,))


def _limit(key: str, default: float) -> Param:
    return Param(key, "float", default, f"Plot range: {key}", f"绘图范围：{key}", low=-1e4, high=1e4,
                 slider=(-10.0, 10.0))


CUSTOM = SurfaceSpec(
    "custom", "Custom formula", "自定义公式",
    "Your own f(x, y): numbers, x, y, + − * / ^, parentheses, sin cos tan exp log sqrt abs tanh sigmoid, pi, e",
    "你自己的 f(x, y)：数字、x、y、+ − * / ^、括号、sin cos tan exp log sqrt abs tanh sigmoid、pi、e",
    custom, (
        Param("formula", "text", "sin(x) * cos(y) + 0.1 * (x^2 + y^2)", "The formula in x and y",
              "关于 x 和 y 的公式"),
        _limit("x_min", -3.0), _limit("x_max", 3.0), _limit("y_min", -3.0), _limit("y_max", 3.0),
    ))

SURFACES: dict[str, SurfaceSpec] = {s.key: s for s in (*classic.SPECS, regression.SPEC, CUSTOM)}


def validate_surface(key: str, params: dict | None) -> dict:
    """Check a surface key and its parameters; fill the defaults."""
    if not isinstance(key, str) or key not in SURFACES:
        valid = ", ".join(SURFACES)
        raise ConfigError(f"unknown surface {shown(key)}; valid: {valid}", f"未知的曲面 {shown(key)}；可用：{valid}")
    return validate_params(SURFACES[key].params, params, key)


def get_surface(key: str, params: dict | None = None) -> Surface:
    """The built surface for `key` and `params` (validated, cached). Raises ConfigError."""
    params = validate_surface(key, params)
    return _build(key, json.dumps(params, sort_keys=True))


@lru_cache(maxsize=64)
def _build(key: str, params_json: str) -> Surface:
    return SURFACES[key].build(json.loads(params_json))


__all__ = ["SURFACES", "Surface", "SurfaceSpec", "get_surface", "validate_surface"]
