"""Widgets generated from a parameter schema: one `Param` in, one Streamlit widget out.

Log-scale floats (learning rates) get a slider over a 1–2–5 grid, bounded floats
a linear slider, everything else the input that fits its type.  Each widget's
key is ``f"{prefix}.{param.key}"`` so pages can preset or copy values through
`st.session_state`.  Help texts come from the schema in the page's language.
"""

from __future__ import annotations

import math

import streamlit as st

from schema import ConfigError, Param, log_grid

from .i18n import language, t


def seed(key: str, **initial) -> dict:
    """The initial-value keyword for a widget, unless its key already holds a value (set by a
    copy or by the user): passing both makes Streamlit warn."""
    return {} if key in st.session_state else initial


def _fmt(v) -> str:
    if v is None:
        return "None"
    return f"{v:g}" if isinstance(v, int | float) else str(v)


def _float(p: Param, key: str, label: str, value: float | None, container) -> float:
    lo, hi = p.slider or (p.low, p.high)
    value = p.default if value is None else value
    value = st.session_state.get(key, value)  # a value set by a link may lie outside the usual range
    if p.log and lo is not None and lo > 0:
        options = log_grid(lo, hi, extra=(value,) if value and value > 0 else ())
        return container.select_slider(label, options, **seed(key, value=value if value in options else options[0]),
                                       format_func=_fmt, key=key, help=p.help_text(language()))
    lo = lo if lo is not None else min(0.0, value)
    hi = hi if hi is not None else max(1.0, value)
    lo, hi = min(lo, value), max(hi, value)
    step = _nice_step((hi - lo) / 200)
    return container.slider(label, float(lo), float(hi), **seed(key, value=float(value)), step=step, format="%g",
                            key=key, help=p.help_text(language()))


def _nice_step(raw: float) -> float:
    """A 1–2–5 step no larger than `raw`."""
    if raw <= 0:
        return 0.01
    exponent = math.floor(math.log10(raw))
    for mantissa in (5, 2, 1):
        step = mantissa * 10.0 ** exponent
        if step <= raw:
            return float(f"{step:.1e}")
    return 10.0 ** exponent


DEFAULT_CONTEXT = {"steps": 500, "lr": 0.01}


def param_widget(p: Param, prefix: str, value=None, container=st, context: dict | None = None):
    """One widget for `p`; returns its current value (schema types: float, int, bool, …).

    Keywords torch has no default for start at the schema's suggestion for `context`
    ({"steps", "lr"} of the run), e.g. StepLR's step_size = steps / 4.
    """
    key = f"{prefix}.{p.key}"
    label = p.key
    help_text = p.help_text(language())
    if value is None and key not in st.session_state:
        value = p.fallback(context or DEFAULT_CONTEXT)
    if p.kind == "bool":
        return container.toggle(label, **seed(key, value=bool(value)), key=key, help=help_text)
    if p.kind == "choice":
        options = ([None] if p.optional else []) + list(p.choices)
        index = options.index(value) if value in options else 0
        return container.selectbox(label, options, **seed(key, index=index), format_func=_fmt, key=key,
                                   help=help_text)
    if p.kind == "int":
        return container.number_input(label, min_value=int(p.low) if p.low is not None else None,
                                      max_value=int(p.high) if p.high is not None else None,
                                      **seed(key, value=value if value is not None or p.optional else p.default),
                                      step=1, key=key, help=help_text, placeholder=t("form.empty"))
    if p.kind == "float" and not p.optional:
        return _float(p, key, label, value, container)
    if p.kind == "float":
        return container.number_input(label, min_value=p.low, max_value=p.high, **seed(key, value=value),
                                      format="%g", key=key, help=help_text, placeholder=t("form.empty"))
    if p.kind == "pair":
        left, right = container.columns(2)
        first = value[0] if value is not None else None
        second = value[1] if value is not None else None
        return [_pair_item(p, f"{key}.0", f"{label}[0]", first, left),
                _pair_item(p, f"{key}.1", f"{label}[1]", second, right)]
    if p.kind == "int_list":
        text = container.text_input(label, **seed(key, value=", ".join(map(str, value or []))), key=key,
                                    help=help_text)
        try:
            return parse_int_list(text, label)
        except ConfigError as err:  # the page goes on with the suggestion meanwhile
            container.error(err.message(language()))
            return p.fallback(context or DEFAULT_CONTEXT)
    if p.kind == "text":
        return container.text_input(label, **seed(key, value=value or ""), key=key, help=help_text, max_chars=200)
    raise ValueError(f"no widget for a {p.kind!r} parameter")  # float_list: data uploads, not a widget


def _pair_item(p: Param, key: str, label: str, value, container):
    if p.none_items:
        return container.number_input(label, min_value=p.low, max_value=p.high, **seed(key, value=value),
                                      format="%g", key=key, help=p.help_text(language()), placeholder="None")
    item = Param(p.key, "float", value, p.help, low=p.low, high=p.high, slider=p.slider, log=p.log)
    return _float(item, key, label, value, container)


def parse_int_list(text: str, label: str) -> list[int]:
    """'30, 60' -> [30, 60]; a ConfigError naming the label otherwise."""
    try:
        return [int(part) for part in text.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise ConfigError("config.error.int_list", label=label) from None


def schema_form(schema: tuple[Param, ...], prefix: str, values: dict | None = None, container=st,
                context: dict | None = None) -> dict:
    """Widgets for every parameter of a schema (data columns excluded); returns {key: value}."""
    values = values or {}
    return {p.key: param_widget(p, prefix, values.get(p.key), container, context) for p in schema
            if p.kind != "float_list"}


def schema_widgets(schema: tuple[Param, ...], prefix: str, values: dict) -> dict:
    """The widget values `schema_form` would need to return `values`: {widget key: value}."""
    out = {}
    for p in schema:
        key, value = f"{prefix}.{p.key}", values.get(p.key)
        if p.kind == "float_list" or p.key not in values:
            continue
        if p.kind == "pair":
            out[f"{key}.0"], out[f"{key}.1"] = (None if v is None else float(v) for v in value)
        elif p.kind == "float":  # as the widget returns it: 0 and 0.0 would make two cache keys of one run
            out[key] = None if value is None else float(value)
        elif p.kind == "int_list":
            out[key] = ", ".join(map(str, value or []))
        else:
            out[key] = value
    return out
