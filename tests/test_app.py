"""AppTest: the entry (navigation, language) and the About page in both languages."""

from pathlib import Path

import pytest
from apptest import open_app
from streamlit.testing.v1 import AppTest

from optimizers import OPTIMIZERS, SCHEDULERS
from surfaces import SURFACES
from texts import CATALOGUES

ROOT = Path(__file__).parents[1]


def open_page(path: str, lang=None) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=60)
    if lang:
        at.query_params["lang"] = lang
    return at.run()


def home(lang=None) -> AppTest:
    return open_app("pages/about.py", lang)


def test_catalogues_hold_the_same_keys_and_no_empty_text():
    catalogues = CATALOGUES
    assert set(catalogues) == {"en", "zh"}
    assert set(catalogues["en"]) == set(catalogues["zh"])
    for lang, texts in catalogues.items():
        assert all(v.strip() for v in texts.values()), lang


def test_every_key_used_in_the_code_exists():
    import re
    keys = CATALOGUES["en"]
    sources = [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]
    used = {k for path in sources for k in re.findall(r"""\bt\(\s*["']([a-z_.]+)["']""", path.read_text("utf-8"))}
    assert used and used <= set(keys)


@pytest.mark.parametrize(("lang", "title"), [("en", "Optimizer Playground"), ("zh", "优化器游乐场")])
def test_home_page_in_each_language(lang, title):
    at = home(lang)
    assert not at.exception
    assert at.title[0].value == title
    assert len(at.latex) == len(SURFACES)
    names = [t.label for t in at.tabs]
    assert len(names) == 3
    optimizers_table, schedulers_table = at.dataframe
    assert len(optimizers_table.value) == len(OPTIMIZERS)
    assert len(schedulers_table.value) == len(SCHEDULERS)


def test_the_app_opens_on_the_playground():
    at = open_page("app.py")
    assert not at.exception and at.title[0].value in ("Optimizer race", "优化器赛跑")


def test_language_switch_changes_the_texts_and_the_url():
    at = open_page("app.py", "en")
    assert at.title[0].value == "Optimizer race"
    at.sidebar.button_group(key="lang_picker.playground").set_value("zh").run()
    assert not at.exception
    assert at.title[0].value == "优化器赛跑"  # the URL follows (checked in the browser test)


def test_unknown_language_in_the_url_falls_back():
    at = open_page("app.py", "klingon")
    assert not at.exception and at.title[0].value in ("Optimizer race", "优化器赛跑")
