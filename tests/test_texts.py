"""Every user-facing text lives in the catalogues: no Chinese in the code, no key the code names missing from
the English catalogue, and the same ``{fields}`` in every language's text of a key."""

import re
from pathlib import Path

import pytest

from texts import CATALOGUES, DEFAULT

ROOT = Path(__file__).parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
# ConfigError("key", ...), message("key", ...), Message("key", ...) with a plain (not f-) string literal
KEY_LITERAL = re.compile(r"\b(?:ConfigError|[Mm]essage)\(\s*([\"'])([^\"'\n]*)\1")
FIELD = re.compile(r"(?<!\{)\{([A-Za-z_]\w*)(?:![rsa])?(?::[^{}]*)?\}")  # a str.format field, not {{ or LaTeX {{x}}


def source_files() -> list[Path]:
    """The project's .py files, tests excluded (hidden folders such as virtualenvs skipped)."""
    return sorted(path for path in ROOT.rglob("*.py")
                  if not any(part.startswith(".") or part in ("tests", "__pycache__")
                             for part in path.relative_to(ROOT).parts))


def test_the_source_files_are_found():
    names = {path.relative_to(ROOT).as_posix() for path in source_files()}
    assert {"app.py", "texts.py", "lessons.py", "optimizers/schedulers.py"} <= names
    assert not any(name.startswith("tests/") for name in names)


def test_no_chinese_in_the_code():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()[:60]}"
             for path in source_files()
             for number, line in enumerate(path.read_text("utf-8").splitlines(), 1) if CJK.search(line)]
    assert not found, f"{len(found)} lines with Chinese outside the catalogues:\n" + "\n".join(found[:40])


def key_literals() -> list[tuple[str, str]]:
    """(where, key) for every key literal passed to ConfigError / message / Message in the source."""
    return [(f"{path.relative_to(ROOT)}:{source.count(chr(10), 0, match.start()) + 1}", match.group(2))
            for path in source_files() for source in [path.read_text("utf-8")]
            for match in KEY_LITERAL.finditer(source)]


def test_key_literals_are_found():
    keys = {key for _, key in key_literals()}
    assert {"scheduler.error.unknown", "budget.too_big", "error.rule"} <= keys


def test_every_key_the_code_names_is_in_the_english_catalogue():
    missing = [f"{where}: {key!r}" for where, key in key_literals() if key not in CATALOGUES[DEFAULT]]
    assert not missing, "not in locales/en.toml:\n" + "\n".join(missing)


# Keys whose code offers a choice of fields: a formula error's place as a 0-based `position` (English) or as the
# character counted from 1, `place` (Chinese: 第 N 个字符).
CHOICES = {"formula.at": {"position", "place"}, "formula.at_hint": {"position", "place"}}


def fields(key: str, text: str) -> set[str]:
    found = set(FIELD.findall(text))
    return found - CHOICES[key] if key in CHOICES else found


@pytest.mark.parametrize("lang", [lang for lang in CATALOGUES if lang != DEFAULT])
def test_every_language_has_the_english_fields(lang):
    english = CATALOGUES[DEFAULT]
    differ = [f"{key}: {sorted(fields(key, english[key]))} vs {sorted(fields(key, text))}"
              for key, text in CATALOGUES[lang].items()
              if key in english and fields(key, text) != fields(key, english[key])]
    assert not differ, f"fields that differ between en and {lang}:\n" + "\n".join(differ)


@pytest.mark.parametrize("lang", sorted(CATALOGUES))
def test_no_raw_subscript_outside_formulas(lang):
    """A Greek letter with a LaTeX-style subscript in plain text reads "2/λ_max" on a lesson card: plain text writes
    λₘₐₓ; formulas go between $…$ (and code between backticks)."""
    raw = {key: value for key, value in CATALOGUES[lang].items()
           if re.search(r"[α-ωΑ-Ω]_\w", re.sub(r"\$[^$]*\$|`[^`]*`", "", value))}
    assert not raw, raw
