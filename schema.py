"""Parameter schemas: one `Param` per keyword (optimizer, scheduler, surface), and validation.

A schema entry holds torch's keyword, its type, torch's default, the valid range
(enforced), a suggested slider range with a log-scale flag (for the UI) and a
one-line help text in English and Chinese.  Every error is a `ConfigError`: a
`ValueError` whose message names the field and what is allowed, in both languages.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

KINDS = ("float", "int", "bool", "choice", "pair", "int_list", "float_list", "text")
MAX_LIST = 10_000   # longest list accepted (a dataset column)
MAX_TEXT = 200     # longest text accepted (a formula)


class ConfigError(ValueError):
    """A bad config value. `str(err)` is English; `err.zh` is the Chinese message."""

    def __init__(self, en: str, zh: str | None = None):
        super().__init__(en)
        self.en = en
        self.zh = zh or en

    def message(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Param:
    """One hyperparameter: torch's keyword, type, default, valid range and UI hints.

    `low`/`high` bound the value (each element of a pair or list); `open_low` /
    `open_high` make a bound strict.  `required` marks keywords torch has no
    default for; `suggest(context)` then gives the value used when one is
    missing (`context` holds the run's `steps` and `lr`).
    `none_items` lets items of a pair be None (Adafactor's eps).  `check` is an
    extra rule returning an error message (en, zh) or None.
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
    none_items: bool = False
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
        """Return `value` converted to this parameter's type, or raise ConfigError."""
        name = f"{owner}.{self.key}"
        if value is None:
            if self.optional:
                return None
            raise ConfigError(f"{name} is required", f"{name} 不能为空")
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ConfigError(f"{name} must be true or false, got {value!r:.40}",
                                  f"{name} 必须是 true 或 false，收到 {value!r:.40}")
            return value
        if self.kind == "choice":
            if value not in self.choices:
                allowed = ", ".join(map(repr, self.choices))
                raise ConfigError(f"{name} must be one of {allowed}, got {value!r:.40}",
                                  f"{name} 必须是 {allowed} 之一，收到 {value!r:.40}")
            return value
        if self.kind == "text":
            if not isinstance(value, str) or len(value) > MAX_TEXT:
                raise ConfigError(f"{name} must be a text of at most {MAX_TEXT} characters",
                                  f"{name} 必须是不超过 {MAX_TEXT} 个字符的文本")
            return value
        if self.kind == "pair":
            if not isinstance(value, list | tuple) or len(value) != 2:
                raise ConfigError(f"{name} must be a pair of numbers, got {value!r:.40}",
                                  f"{name} 必须是两个数，收到 {value!r:.40}")
            value = [None if v is None and self.none_items else self._number(v, name, float) for v in value]
        elif self.kind in ("int_list", "float_list"):
            cast, what, what_zh = (int, "integers", "整数") if self.kind == "int_list" else (float, "numbers", "数")
            if not isinstance(value, list | tuple) or len(value) > MAX_LIST:
                raise ConfigError(f"{name} must be a list of at most {MAX_LIST} {what}, got {value!r:.40}",
                                  f"{name} 必须是不超过 {MAX_LIST} 个{what_zh}的列表，收到 {value!r:.40}")
            value = [self._number(v, name, cast) for v in value]
        else:
            value = self._number(value, name, int if self.kind == "int" else float)
        if self.check is not None and (problem := self.check(value)) is not None:
            en, zh = problem
            raise ConfigError(f"{name}: {en}", f"{name}：{zh}")
        return value

    def _number(self, value: Any, name: str, cast: type) -> float | int:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and cast is int and isinstance(value, float) and value.is_integer():
            value = int(value)
        if not ok or (cast is int and not isinstance(value, int)) or not math.isfinite(value):
            what, what_zh = ("an integer", "整数") if cast is int else ("a finite number", "有限的数")
            raise ConfigError(f"{name} must be {what}, got {value!r:.40}",
                              f"{name} 必须是{what_zh}，收到 {value!r:.40}")
        too_low = self.low is not None and (value <= self.low if self.open_low else value < self.low)
        too_high = self.high is not None and (value >= self.high if self.open_high else value > self.high)
        if too_low or too_high:
            raise ConfigError(f"{name} must be in {self.range_text()}, got {value!r}",
                              f"{name} 必须在 {self.range_text()} 之内，收到 {value!r}")
        return cast(value)


def mapping(value: Any, owner: str) -> dict:
    """`value` as a dict ({} for None), or a ConfigError naming `owner`."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{owner} parameters must be a mapping, got {value!r:.40}",
                          f"{owner} 的参数必须是键值映射，收到 {value!r:.40}")
    return value


def validate_params(schema: tuple[Param, ...], values: dict | None, owner: str,
                    context: dict | None = None) -> dict:
    """Check `values` against `schema`; fill missing keys with torch's defaults.

    Unknown keys are refused with the list of valid ones.  `context` ({"steps",
    "lr"}) feeds the suggestions for keywords torch has no default for.
    """
    context = context or {"steps": 100, "lr": 0.01}
    values = mapping(values, owner)
    known = {p.key: p for p in schema}
    unknown = [k for k in values if k not in known]
    if unknown:
        valid = ", ".join(known) or "none"
        raise ConfigError(f"{owner} has no parameter {unknown[0]!r:.40}; valid: {valid}",
                          f"{owner} 没有参数 {unknown[0]!r:.40}；可用的参数：{valid}")
    return {p.key: p.validate(values.get(p.key, p.fallback(context)), owner) for p in schema}


def log_grid(low: float, high: float, extra: tuple = ()) -> list[float]:
    """1–2–5 values from `low` to `high` (plus `extra`), sorted: a log slider's stops."""
    values = set(extra)
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for mantissa in (1, 2, 5):
            v = float(f"{mantissa}e{exponent}")
            if low <= v <= high:
                values.add(v)
    return sorted(values)
