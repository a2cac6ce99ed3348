"""Widgets generated from a parameter schema: one `Param` in, one Streamlit widget out.

Log-scale floats (learning rates) get a slider over a 1–2–5 grid, bounded floats
a linear slider, each with a box beside it to type the value exactly (off the
slider's grid too; checked as the engine checks it); everything else the input
that fits its type.  Each widget's key is ``f"{prefix}.{param.key}"`` (a float's
box: ``….typed``) so pages can preset or copy values through `st.session_state`.
Labels (`label_of`) and help texts come from the schema in the page's language.
"""

from __future__ import annotations

import contextlib
import math
import unicodedata

import streamlit as st

from schema import ConfigError, Param, log_grid
from texts import CATALOGUES, DEFAULT

from .i18n import language, t


def seed(key: str, **initial) -> dict:
    """The initial-value keyword for a widget, unless its key already holds a value (set by a
    copy or by the user): passing both makes Streamlit warn."""
    return {} if key in st.session_state else initial


def fmt(v) -> str:
    """A value as widgets show it: short (0.001, 1e-08), and exact where %g would round it."""
    if v is None:
        return "None"
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    short = f"{v:g}"
    return short if float(short) == v else repr(float(v))


def typed_key(key: str) -> str:
    """The key of the box where a float parameter's value (widget `key`) is typed."""
    return f"{key}.typed"


def parse_typed(p: Param, text: str, owner: str) -> float:
    """The number typed for `p` (full-width digits too), checked as the engine checks it; else a ConfigError."""
    text = unicodedata.normalize("NFKC", text).strip()
    try:
        value = float(text)
    except ValueError:
        value = text  # refused by `validate`, with the text in the message
    return p.validate(value, owner)


def _take_typed(p: Param, key: str, owner: str) -> None:
    """The box's callback: a valid value moves the slider; a bad one stays in the box, explained, the run unchanged."""
    with contextlib.suppress(ConfigError):
        st.session_state[key] = parse_typed(p, st.session_state[typed_key(key)], owner)


def _show_slid(key: str) -> None:
    """The slider's callback: its new value into the box."""
    st.session_state[typed_key(key)] = fmt(st.session_state[key])


def _typed_box(p: Param, key: str, label: str, value: float, owner: str, container) -> str | None:
    """The box beside a float's slider, showing its value or the text being typed; returns why that text cannot
    be used (None: it can)."""
    box = typed_key(key)
    problem = None
    if box in st.session_state:
        try:
            if parse_typed(p, st.session_state[box], owner) != value:  # the value came from a link, copy or reset
                del st.session_state[box]
        except ConfigError as err:
            problem = err.message(language())
    st.session_state.setdefault(box, fmt(value))
    container.text_input(t("form.typed", name=label), key=box, on_change=_take_typed, args=(p, key, owner),
                         label_visibility="collapsed", max_chars=30)
    return problem


def _float(p: Param, key: str, label: str, value: float | None, container, owner: str = "") -> float:
    """A slider and a box to type the value exactly; returns the value (the slider's, which the box sets)."""
    lo, hi = p.slider or (p.low, p.high)
    value = p.default if value is None else value
    value = st.session_state.get(key, value)  # a value typed or set by a link may lie off the grid or the range
    if key in st.session_state:  # so that a slider whose range follows its value (a new widget) keeps it
        st.session_state[key] = value
    slider, box = container.columns([3, 2], vertical_alignment="bottom")
    if p.log and lo is not None and lo > 0:
        options = log_grid(lo, hi, extra=(value,))
        value = slider.select_slider(label, options, **seed(key, value=value), format_func=fmt, key=key,
                                     on_change=_show_slid, args=(key,), help=p.help_text(language()))
    else:
        lo = lo if lo is not None else min(0.0, value)
        hi = hi if hi is not None else max(1.0, value)
        lo, hi = min(lo, value), max(hi, value)
        step = _nice_step((hi - lo) / 200)
        value = slider.slider(label, float(lo), float(hi), **seed(key, value=float(value)), step=step, format="%g",
                              key=key, on_change=_show_slid, args=(key,), help=p.help_text(language()))
    if (problem := _typed_box(p, key, label, value, owner, box)) is not None:
        container.error(t("form.typed.kept", problem=problem, name=label, value=fmt(value)), icon=":material/error:")
    return value


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


def label_of(p: Param) -> str:
    """A widget's label: the catalogue's `<help key>.label` where there is one (a surface's "condition" reads
    "Condition number κ"), else the keyword itself: torch's names (lr, momentum, betas) are what a
    student types in code, and a symbol (Rosenbrock's a, b) is the formula's."""
    key = f"{p.help}.label"
    return t(key) if key in CATALOGUES[DEFAULT] else p.key


def param_widget(p: Param, prefix: str, value=None, container=st, context: dict | None = None):
    """One widget for `p`; returns its current value (schema types: float, int, bool, …).

    Keywords torch has no default for start at the schema's suggestion for `context`
    ({"steps", "lr"} of the run), e.g. StepLR's step_size = steps / 4.
    """
    key = f"{prefix}.{p.key}"
    label = label_of(p)
    owner = prefix.rsplit(".", 1)[-1]  # the optimizer or scheduler, as error messages name it (SGD.lr)
    help_text = p.help_text(language())
    if value is None and key not in st.session_state:
        value = p.fallback(context or DEFAULT_CONTEXT)
    if p.kind == "bool":
        return container.toggle(label, **seed(key, value=bool(value)), key=key, help=help_text)
    if p.kind == "choice":
        options = ([None] if p.optional else []) + list(p.choices)
        index = options.index(value) if value in options else 0
        return container.selectbox(label, options, **seed(key, index=index), format_func=fmt, key=key,
                                   help=help_text)
    if p.kind == "int":
        return container.number_input(label, min_value=int(p.low) if p.low is not None else None,
                                      max_value=int(p.high) if p.high is not None else None,
                                      **seed(key, value=value if value is not None or p.optional else p.default),
                                      step=1, key=key, help=help_text, placeholder=t("form.empty"))
    if p.kind == "float" and not p.optional:
        return _float(p, key, label, value, container, owner)
    if p.kind == "float":
        return container.number_input(label, min_value=p.low, max_value=p.high, **seed(key, value=value),
                                      format="%g", key=key, help=help_text, placeholder=t("form.empty"))
    if p.kind == "pair":  # side by side when they are boxes; a slider and its box per row otherwise
        places = container.columns(2) if p.none_items else (container, container)
        return [_pair_item(p, f"{key}.{i}", f"{label}[{i}]", None if value is None else value[i], place, owner)
                for i, place in enumerate(places)]
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


def _pair_item(p: Param, key: str, label: str, value, container, owner: str):
    if p.none_items:
        return container.number_input(label, min_value=p.low, max_value=p.high, **seed(key, value=value),
                                      format="%g", key=key, help=p.help_text(language()), placeholder="None")
    item = Param(p.key, "float", value, p.help, low=p.low, high=p.high, open_low=p.open_low, open_high=p.open_high,
                 slider=p.slider, log=p.log)
    return _float(item, key, label, value, container, owner)


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


def last_values(schema: tuple[Param, ...], prefix: str, values: dict) -> dict:
    """What `schema_form` under `prefix` will return, from its widgets' values (`values` for those not drawn yet):
    for a title drawn before the widgets."""
    state = st.session_state
    out = {}
    for p in schema:
        key, value = f"{prefix}.{p.key}", values.get(p.key, p.default)
        if p.kind == "pair":
            value = [state.get(f"{key}.{i}", None if value is None else value[i]) for i in (0, 1)]
        elif p.kind == "int_list" and key in state:
            with contextlib.suppress(ConfigError):  # the form shows why; the label keeps the given values
                value = parse_int_list(state[key], p.key)
        elif p.kind != "float_list":
            value = state.get(key, value)
        out[p.key] = value
    return out


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
