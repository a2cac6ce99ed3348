"""Share links and saved configurations: a page's whole state as one JSON-able dict.

A page state speaks the engine config's language (``surface``, ``start``,
``steps``, runs of ``{optimizer, hparams, scheduler, …}``) plus what the page
shows (the mode, the animation's cursor); its fields are declared once per page
in `pagestate`.  `encode` writes it as compact JSON for the URL's ``c``
parameter or a saved file, leaving out what equals the defaults; `decode` reads
it back.  Nothing from outside is trusted: every field is checked against the
same schemas (and the engine's rules across fields) the widgets and the engine
use, a bad field takes the page's default, and the problems returned name fields
of *our* schema only — never a value or a key from the input, so nothing
hostile is ever echoed.
"""

from __future__ import annotations

import json
from functools import cache

from pagestate import PAGE
from pagestate.fields import Problems
from texts import LANGUAGES

MAX_QUERY = 16_000           # longest `c` accepted (characters); a link is refused beyond it
HIDEABLE = ("code", "table", "controls")  # what a lecture link may hide besides the sidebar


def _read(page: str, raw: dict, problems: Problems) -> dict:
    state = {}
    for field in PAGE[page].fields:
        value = field.read(raw, state, problems)
        state.update(value if field.flat else {field.name: value})
    return state


@cache
def known_keys(page: str) -> frozenset:
    """The keys a link of `page` may hold."""
    return frozenset(_read(page, {}, Problems()))


def sanitize(page: str, raw) -> tuple[dict, list[str]]:
    """The page's full state from a (partial, untrusted) dict, and the fields that took their default."""
    problems = Problems()
    if not isinstance(raw, dict):
        problems.flag("config")
        raw = {}
    if any(k not in known_keys(page) for k in raw):
        problems.flag("?")
    state = json.loads(json.dumps(_read(page, raw, problems)))  # tuples become lists, as in JSON
    return state, list(problems)


def default_state(page: str) -> dict:
    return sanitize(page, {})[0]


def compact(page: str, state: dict) -> dict:
    """The state without what equals the page's defaults: what a link or a saved file needs to hold."""
    short = {}
    for field in PAGE[page].fields:
        short.update(field.link(state))
    return short


def encode(page: str, state: dict) -> str:
    """Compact JSON of the state's non-default fields (the URL's `c`, "" when everything is default)."""
    short = compact(page, state)
    return json.dumps(short, separators=(",", ":"), ensure_ascii=False) if short else ""


def decode(page: str, text) -> tuple[dict, list[str]]:
    """The page state for a `c` parameter (or a saved file's state); never raises."""
    if text is None or text == "":
        return default_state(page), []
    if not isinstance(text, str) or len(text) > MAX_QUERY:
        return default_state(page), ["config"]
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):
        return default_state(page), ["config"]
    return sanitize(page, raw)


def query_flags(query: dict) -> dict:
    """The URL's other parameters, checked: lang, lecture, hidden sections and lesson id (None if absent/bad)."""
    def one(key):
        value = query.get(key)
        return value if isinstance(value, str) and len(value) <= 200 else None

    lang = one("lang")
    hide = (one("hide") or "").split(",")
    return {"lang": lang if lang in LANGUAGES else None,
            "lecture": one("lecture") in ("1", "true", "yes"),
            "hide": [h for h in HIDEABLE if h in hide],
            "lesson": one("lesson")}
