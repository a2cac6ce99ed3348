"""Parameter schemas: one `Param` per keyword (optimizer, scheduler, surface), and validation.

A schema entry holds torch's keyword, its type, torch's default, the valid range
(enforced), a suggested slider range with a log-scale flag (for the UI) and a
one-line help text (a catalogue key, see `texts.py`).  Every error is a
`ConfigError`: a `ValueError` whose message names the field and what is allowed,
rendered in the reader's language.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from texts import Message, text

Kind = Literal["float", "int", "bool", "choice", "pair", "int_list", "float_list", "text"]
KINDS: tuple[Kind, ...] = get_args(Kind)
MAX_LIST = 10_000   # longest list accepted (a dataset column)
MAX_TEXT = 200     # longest text accepted (a formula)
TINY = sys.float_info.min  # smallest normal float: a nonzero value below it loses precision and 1/x overflows


def shown(value, width: int = 40) -> str:
    """A short repr of an untrusted value (a huge int's repr raises; a long one is cut)."""
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        text = f"<{type(value).__name__}>"
    return text[:width]


# A rule over several parameters: (values, context) -> None, or (the key to blame, what is wrong).
Rule = Callable[[dict, dict], tuple[str, Message] | None]


class ConfigError(ValueError):
    """A bad config value: a catalogue message, rendered by `message(lang)`; `str(err)` is English.

    `ConfigError("error.range", key="lr", name="SGD.lr", range="[0, 1]", got="5")`; `key` is the
    parameter the error is about, when it is one parameter's."""

    def __init__(self, text_key: str, *, key: str | None = None, **values: Any):
        self.msg = Message(text_key, values)
        super().__init__(self.msg.render())
        self.key = key

    def message(self, lang: str = "en") -> str:
        return self.msg.render(lang)

    def __reduce__(self):  # pickled from an engine worker to the server: the message key and values, not the text
        return _config_error, (type(self), self.msg, self.key)


def _config_error(cls: type[ConfigError], msg: Message, key: str | None) -> ConfigError:
    return cls(msg.key, key=key, **msg.values)


@dataclass(frozen=True)
class Param:
    """One hyperparameter: torch's keyword, type, default, valid range and UI hints.

    `low`/`high` bound the value (each element of a pair or list); `open_low` /
    `open_high` make a bound strict.  `required` marks keywords torch has no
    default for; `suggest(context)` then gives the value used when one is
    missing (`context` holds the run's `steps` and `lr`).
    `none_items` holds the positions of a pair that may be None (Adafactor's eps₁).
    `check` is an extra rule returning what is wrong (a `Message`) or None.  Floats
    are finite and either 0 or at least `TINY` in size.  `symbol` is its short name in run
    labels, as torch's documentation writes it (μ for momentum); the keyword when empty.
    """

    key: str
    kind: Kind
    default: Any
    help: str  # the catalogue key of its one-line help
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    slider: tuple[float, float] | None = None
    log: bool = False
    choices: tuple = ()
    optional: bool = False
    none_items: tuple[int, ...] = ()
    required: bool = False
    suggest: Callable[[dict], Any] | None = None
    check: Callable[[Any], Message | None] | None = field(default=None, compare=False)
    symbol: str = ""

    def __post_init__(self):
        assert self.kind in KINDS, self.kind

    @property
    def short(self) -> str:
        """Its name in a run's label: the symbol, else the keyword."""
        return self.symbol or self.key

    def help_text(self, lang: str = "en") -> str:
        return text(self.help, lang)

    def fallback(self, context: dict) -> Any:
        """The value used when a config leaves this key out."""
        if self.required and self.suggest is not None:
            return self.suggest(context)
        return self.default

    def range_text(self) -> str:
        lo = "(" if self.open_low else "["
        hi = ")" if self.open_high else "]"
        a = "-inf" if self.low is None else f"{self.low:g}"
        b = "inf" if self.high is None else f"{self.high:g}"
        return f"{lo}{a}, {b}{hi}"

    def validate(self, value: Any, owner: str) -> Any:
        """Return `value` converted to this parameter's type, or raise ConfigError naming `owner.key`."""
        name = f"{owner}.{self.key}"
        value = self._convert(value, name)
        if self.check is not None and value is not None and (problem := self.check(value)) is not None:
            raise ConfigError("error.rule", key=self.key, name=name, problem=problem)
        return value

    def _error(self, text_key: str, name: str, value: Any, **values: Any) -> ConfigError:
        return ConfigError(text_key, key=self.key, name=name, got=shown(value), **values)

    def _convert(self, value: Any, name: str) -> Any:
        if value is None:
            if self.optional:
                return None
            raise ConfigError("error.required", key=self.key, name=name)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise self._error("error.bool", name, value)
            return value
        if self.kind == "choice":  # same type as well as equal: no True for 1, no array compared item by item
            if not any(type(value) is type(c) and value == c for c in self.choices):
                raise self._error("error.choice", name, value, allowed=", ".join(map(repr, self.choices)))
            return value
        if self.kind == "text":
            if not isinstance(value, str) or len(value) > MAX_TEXT:  # a formula is not echoed
                raise ConfigError("error.text", key=self.key, name=name, n=MAX_TEXT)
            return value
        if self.kind == "pair":
            if not isinstance(value, list | tuple) or len(value) != 2:
                raise self._error("error.pair", name, value)
            return [None if v is None and i in self.none_items else self._number(v, name, float)
                    for i, v in enumerate(value)]
        if self.kind in ("int_list", "float_list"):
            cast = int if self.kind == "int_list" else float
            if not isinstance(value, list | tuple) or len(value) > MAX_LIST:
                raise self._error(f"error.{self.kind}", name, value, n=MAX_LIST)
            return [self._number(v, name, cast) for v in value]
        return self._number(value, name, int if self.kind == "int" else float)

    def _number(self, value: Any, name: str, cast: type) -> float | int:
        """`value` as a finite `cast` within the bounds; ints are compared exactly (no float overflow)."""
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and isinstance(value, float):
            ok = math.isfinite(value) and (cast is float or value.is_integer())
        elif ok and cast is float:
            ok = abs(value) <= sys.float_info.max
        if not ok:
            raise self._error("error.int" if cast is int else "error.number", name, value)
        if self._outside(value):
            raise self._error("error.range", name, value, range=self.range_text())
        if cast is float and 0 < abs(value) < TINY:
            raise self._error("error.tiny" if self._outside(0) else "error.tiny_or_zero", name, value,
                              tiny=f"{TINY:.3g}")
        return cast(value)

    def _outside(self, value: float | int) -> bool:
        too_low = self.low is not None and (value <= self.low if self.open_low else value < self.low)
        return too_low or (self.high is not None and (value >= self.high if self.open_high else value > self.high))


def defaults(schema: tuple[Param, ...]) -> dict[str, Any]:
    """torch's default of every keyword of `schema`."""
    return {p.key: p.default for p in schema}


def mapping(value: Any, owner: str) -> dict:
    """`value` as a dict ({} for None), or a ConfigError naming `owner`."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError("error.mapping", owner=owner, got=shown(value))
    return value


def validate_params(schema: tuple[Param, ...], values: dict | None, owner: str,
                    context: dict | None = None, rules: tuple[Rule, ...] = ()) -> dict:
    """Check `values` against `schema` and `rules`; fill missing keys with torch's defaults.

    Unknown keys are refused with the list of valid ones.  `context` ({"steps",
    "lr"}) feeds the suggestions for keywords torch has no default for, and the rules.
    """
    context = context or {"steps": 100, "lr": 0.01}
    values = mapping(values, owner)
    known = {p.key: p for p in schema}
    unknown = [k for k in values if k not in known]
    if unknown:
        valid = ", ".join(known) or "none"
        raise ConfigError("error.unknown_param", owner=owner, got=shown(unknown[0]), valid=valid)
    out = {p.key: p.validate(values.get(p.key, p.fallback(context)), owner) for p in schema}
    if (err := rule_error(rules, out, owner, context)) is not None:
        raise err
    return out


def rule_error(rules: tuple[Rule, ...], values: dict, owner: str, context: dict) -> ConfigError | None:
    """The first broken rule as a ConfigError naming `owner.key`, or None."""
    for rule in rules:
        if (problem := rule(values, context)) is not None:
            key, what = problem
            return ConfigError("error.rule", key=key, name=f"{owner}.{key}", problem=what)
    return None


def log_grid(low: float, high: float, extra: tuple = ()) -> list[float]:
    """1–2–5 values from `low` to `high` (plus `extra`), sorted: a log slider's stops."""
    values = set(extra)
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for mantissa in (1, 2, 5):
            v = float(f"{mantissa}e{exponent}")
            if low <= v <= high:
                values.add(v)
    return sorted(values)
