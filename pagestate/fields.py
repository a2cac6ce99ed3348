"""A page state's fields: each one's name in the state (and the link), how it is read and checked, its widgets.

Nothing from a link is trusted: a field's `read` checks its value against the same schemas the widgets
and the engine use, and a bad value takes the field's default with its path flagged in `Problems`
(field names of *our* schema only, never a value or key from the input).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from schema import ConfigError, Param, rule_error


class Problems(list):
    """Field paths whose value could not be used (and took the default)."""

    def flag(self, path: str) -> None:
        if path not in self:
            self.append(path)


@dataclass(frozen=True)
class Field:
    """One field of a page's state.

    `read(raw, state, problems)` is its value from a raw (untrusted) dict, given the fields read before it
    (`state`); read from {} it is the field's default.  A `flat` field's value is a dict of several state
    keys (the surface, its parameters and the start).  `widget` is its widget key under the page's prefix
    (None: the prefix itself) and `kind` how `ui.share` puts its value there.  `shorten(value, default,
    state)` is what a link holds of a value that differs from the default (all of it when None).
    """

    name: str
    read: Callable[[dict, dict, Problems], Any]
    widget: str | None
    kind: str = "value"
    flat: bool = False
    shorten: Callable[[Any, Any, dict], Any] | None = None

    def value(self, state: dict):
        """The field's value in a full state."""
        return {k: state[k] for k in self.default(state)} if self.flat else state[self.name]

    def default(self, state: dict):
        """Its value when a link leaves it out, after the fields before it took their values in `state`."""
        return self.read({}, state, Problems())

    def link(self, state: dict) -> dict:
        """What a link holds of this field ({} when it equals its default)."""
        value, default = self.value(state), self.default(state)
        if value == default:
            return {}
        short = value if self.shorten is None else self.shorten(value, default, state)
        return short if self.flat else {self.name: short}


def value_field(name: str, check: Callable[[Any, dict], Any], default, widget: str | None = "",
                kind: str = "value") -> Field:
    """A field of one value: `check(raw value, state)` gives the value or None, `default` is a value or a
    function of the state read so far; its widget is its name unless `widget` names another (None: the
    page's prefix itself)."""
    def read(raw: dict, state: dict, problems: Problems):
        fallback = default(state) if callable(default) else default
        return take(raw, name, fallback, problems, "", lambda v: check(v, state))
    return Field(name, read, name if widget == "" else widget, kind)


def take(raw: dict, key: str, default, problems: Problems, path: str, check):
    """raw[key] passed through `check` (None = invalid), else the default (a problem if it was given)."""
    if key not in raw:
        return default
    value = check(raw[key])
    if value is None and raw[key] is not None:
        problems.flag(path + key)
        return default
    return default if value is None else value


@lru_cache(maxsize=64)
def _bounded(low: float, high: float, kind: type) -> Param:
    return Param("value", "int" if kind is int else "float", None, "", low=low, high=high)


def valid(param: Param, raw):
    """`raw` as `param` validates it (the engine's own check), else None."""
    try:
        return param.validate(raw, "")
    except ConfigError:
        return None


def number(raw, low: float, high: float, kind: type = float):
    """`raw` as a number of `kind` in [low, high], else None."""
    return valid(_bounded(low, high, kind), raw)


def choice(options):
    return lambda v, state=None: v if isinstance(v, str) and v in options else None


def integer(low: int, high: int):
    return lambda v, state=None: number(v, low, high, int)


def boolean(v, state=None):
    return v if isinstance(v, bool) else None


def strip(value, default):
    """`value` without what equals `default` (dicts recursively; a dict left empty is dropped)."""
    if not (isinstance(value, dict) and isinstance(default, dict)):
        return value
    out = {}
    for key, v in value.items():
        if key in default and v == default[key]:
            continue
        v = strip(v, default.get(key))
        if v != {} or not isinstance(default.get(key), dict):
            out[key] = v
    return out


def params(schema, raw, defaults: dict, problems: Problems, path: str, rules=(), context=None) -> dict:
    """Every parameter of `schema`: the given value when valid, else `defaults[key]`.

    Then the schema's `rules`, as the engine checks them in `context`: the key a broken rule blames
    takes its default; if it holds it already, every parameter does, unless the defaults break the
    rule too (cycle_momentum on an optimizer without momentum), which is left for the run to show.
    """
    if raw is not None and not isinstance(raw, dict):
        problems.flag(path.rstrip("."))
    raw = raw if isinstance(raw, dict) else {}
    if any(k not in {p.key for p in schema} for k in raw):
        problems.flag(path + "?")
    fallback = {p.key: list(defaults[p.key]) if isinstance(defaults[p.key], tuple) else defaults[p.key]
                for p in schema if p.kind != "float_list"}
    out = dict(fallback)
    for p in schema:
        if p.key in raw and p.key in out:
            try:
                out[p.key] = p.validate(raw[p.key], "")
            except ConfigError:
                problems.flag(path + p.key)
    while out != fallback and (err := rule_error(rules, out, "", context)) is not None:
        if out[err.key] != fallback[err.key]:
            problems.flag(path + err.key)
            out = {**out, err.key: fallback[err.key]}
        elif rule_error(rules, fallback, "", context) is None:
            problems.flag(path.rstrip("."))
            out = dict(fallback)
        else:  # the defaults break it too: the run shows the error, as for a config typed in
            break
    return out
