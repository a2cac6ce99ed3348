"""Parameter schemas: one `Param` per keyword (optimizer, scheduler, surface), and validation.

A schema entry holds torch's keyword, its type, torch's default, the valid range
(enforced), a suggested slider range with a log-scale flag (for the UI) and a
one-line help text in English and Chinese.  Every error is a `ConfigError`: a
`ValueError` whose message names the field and what is allowed, in both languages.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

KINDS = ("float", "int", "bool", "choice", "pair", "int_list", "float_list", "text")
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


# A rule over several parameters: (values, context) -> None, or (the key to blame, English, Chinese).
Rule = Callable[[dict, dict], tuple[str, str, str] | None]


class ConfigError(ValueError):
    """A bad config value. `str(err)` is English; `err.zh` is the Chinese message."""

    def __init__(self, en: str, zh: str | None = None, key: str | None = None):
        super().__init__(en)
        self.en = en
        self.zh = zh or en
        self.key = key  # the parameter the error is about, when it is one parameter's

    def message(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Param:
    """One hyperparameter: torch's keyword, type, default, valid range and UI hints.

    `low`/`high` bound the value (each element of a pair or list); `open_low` /
    `open_high` make a bound strict.  `required` marks keywords torch has no
    default for; `suggest(context)` then gives the value used when one is
    missing (`context` holds the run's `steps` and `lr`).
    `none_items` holds the positions of a pair that may be None (Adafactor's eps₁).
    `check` is an extra rule returning an error message (en, zh) or None.  Floats
    are finite and either 0 or at least `TINY` in size.
    """

    key: str
    kind: str
    default: Any
    help_en: str
    help_zh: str
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
    check: Callable[[Any], tuple[str, str] | None] | None = field(default=None, compare=False)

    def __post_init__(self):
        assert self.kind in KINDS, self.kind

    def help(self, lang: str = "en") -> str:
        return self.help_zh if lang == "zh" else self.help_en

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
            en, zh = problem
            raise ConfigError(f"{name}: {en}", f"{name}：{zh}", key=self.key)
        return value

    def _error(self, name: str, en: str, zh: str, value: Any) -> ConfigError:
        return ConfigError(f"{name} {en}, got {shown(value)}", f"{name} {zh}，收到 {shown(value)}", key=self.key)

    def _convert(self, value: Any, name: str) -> Any:
        if value is None:
            if self.optional:
                return None
            raise ConfigError(f"{name} is required", f"{name} 不能为空", key=self.key)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise self._error(name, "must be true or false", "必须是 true 或 false", value)
            return value
        if self.kind == "choice":  # same type as well as equal: no True for 1, no array compared item by item
            if not any(type(value) is type(c) and value == c for c in self.choices):
                allowed = ", ".join(map(repr, self.choices))
                raise self._error(name, f"must be one of {allowed}", f"必须是 {allowed} 之一", value)
            return value
        if self.kind == "text":
            if not isinstance(value, str) or len(value) > MAX_TEXT:  # a formula is not echoed
                raise ConfigError(f"{name} must be a text of at most {MAX_TEXT} characters",
                                  f"{name} 必须是不超过 {MAX_TEXT} 个字符的文本", key=self.key)
            return value
        if self.kind == "pair":
            if not isinstance(value, list | tuple) or len(value) != 2:
                raise self._error(name, "must be a pair of numbers", "必须是两个数", value)
            return [None if v is None and i in self.none_items else self._number(v, name, float)
                    for i, v in enumerate(value)]
        if self.kind in ("int_list", "float_list"):
            cast, what, what_zh = (int, "integers", "整数") if self.kind == "int_list" else (float, "numbers", "数")
            if not isinstance(value, list | tuple) or len(value) > MAX_LIST:
                raise self._error(name, f"must be a list of at most {MAX_LIST} {what}",
                                  f"必须是不超过 {MAX_LIST} 个{what_zh}的列表", value)
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
            what, what_zh = ("an integer", "整数") if cast is int else ("a finite number", "有限的数")
            raise self._error(name, f"must be {what}", f"必须是{what_zh}", value)
        if self._outside(value):
            raise self._error(name, f"must be in {self.range_text()}", f"必须在 {self.range_text()} 之内", value)
        if cast is float and 0 < abs(value) < TINY:
            zero, zero_zh = ("", "") if self._outside(0) else (" (or 0)", "（或为 0）")
            raise self._error(name, f"must be at least {TINY:.3g} in size{zero}",
                              f"绝对值必须不小于 {TINY:.3g}{zero_zh}", value)
        return cast(value)

    def _outside(self, value: float | int) -> bool:
        too_low = self.low is not None and (value <= self.low if self.open_low else value < self.low)
        return too_low or (self.high is not None and (value >= self.high if self.open_high else value > self.high))


def mapping(value: Any, owner: str) -> dict:
    """`value` as a dict ({} for None), or a ConfigError naming `owner`."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{owner} parameters must be a mapping, got {shown(value)}",
                          f"{owner} 的参数必须是键值映射，收到 {shown(value)}")
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
        raise ConfigError(f"{owner} has no parameter {shown(unknown[0])}; valid: {valid}",
                          f"{owner} 没有参数 {shown(unknown[0])}；可用的参数：{valid}")
    out = {p.key: p.validate(values.get(p.key, p.fallback(context)), owner) for p in schema}
    if (err := rule_error(rules, out, owner, context)) is not None:
        raise err
    return out


def rule_error(rules: tuple[Rule, ...], values: dict, owner: str, context: dict) -> ConfigError | None:
    """The first broken rule as a ConfigError naming `owner.key`, or None."""
    for rule in rules:
        if (problem := rule(values, context)) is not None:
            key, en, zh = problem
            return ConfigError(f"{owner}.{key}: {en}", f"{owner}.{key}：{zh}", key=key)
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
