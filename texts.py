"""Every text a user reads, in every language: one catalogue per language, `locales/<code>.toml`.

The languages are the catalogues present (English first); a catalogue's
``[language] name`` is what the language switch shows.  Keys are dotted names
(``pg.mode.race``), TOML tables giving the first parts.  Code never holds a
sentence: it holds a key, or a `Message` (a key and the values for its
``{name}`` fields) rendered later in the reader's language.  Pure (no Streamlit),
so the engine can raise errors that the pages show in Chinese.

>>> text("pg.diverged_at", "en", step=3)
'at step 3'
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).parent / "locales"
DEFAULT = "en"


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        out.update(_flatten(value, name + ".") if isinstance(value, dict) else {name: value})
    return out


def load_catalogues(folder: Path = LOCALES) -> dict[str, dict[str, str]]:
    """{code: {dotted key: text}} for every `<code>.toml` in `folder`, English first."""
    found = {path.stem: _flatten(tomllib.loads(path.read_text("utf-8"))) for path in sorted(folder.glob("*.toml"))}
    return dict(sorted(found.items(), key=lambda item: item[0] != DEFAULT))


CATALOGUES = load_catalogues()
LANGUAGES = {code: catalogue["language.name"] for code, catalogue in CATALOGUES.items()}  # code -> its own name


def text(key: str, lang: str, **values: Any) -> str:
    """The text for `key` in `lang` (English where the language lacks it), `{name}` fields filled from
    `values`; a value that is itself a `Message` is rendered in the same language."""
    template = CATALOGUES.get(lang, {}).get(key) or CATALOGUES[DEFAULT][key]
    if not values:
        return template
    return template.format(**{k: v.render(lang) if isinstance(v, Message) else v for k, v in values.items()})


def language_of(locale: str | None) -> str:
    """The catalogue for a browser locale such as ``zh-CN`` (English when none matches)."""
    code = (locale or DEFAULT).lower().replace("_", "-").split("-")[0]
    return code if code in CATALOGUES else DEFAULT


@dataclass(frozen=True)
class Message:
    """A text to render later, in the reader's language: a catalogue key and its field values."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)

    def render(self, lang: str = DEFAULT) -> str:
        return text(self.key, lang, **self.values)


def message(key: str, **values: Any) -> Message:
    return Message(key, values)
