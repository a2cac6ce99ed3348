"""Words a user reads are the right ones, in their language: each mode's own title, a lesson card that does not say
"Predict · Predict …"."""

import pytest
from apptest import open_app

from lessons import LESSONS
from texts import text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_swarm_mode_has_its_own_title_and_intro(lang):
    at = open_app(None, lang)
    assert at.title[0].value == text("pg.title", lang)
    at.sidebar.button_group(key="pg.mode").set_value("swarm").run()
    assert not at.exception
    assert at.title[0].value == text("pg.swarm.title", lang) != text("pg.title", lang)
    assert text("pg.caption", lang) not in [c.value for c in at.caption]  # "… from the same start"
    assert text("pg.swarm.intro", lang) in [c.value for c in at.caption]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_lesson_card_names_the_question_once(lang):
    """The card's label and the question's own first words ("Predict before you press ▶") are not the same word."""
    label = text("ls.predict", lang)
    for lesson in LESSONS.values():
        assert not lesson.text("question", lang).startswith(label), lesson.id


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_state_dict_upload_says_its_limit_in_the_users_language(lang):
    """Streamlit's own "5MB per file" under the uploader is English: the label says the limit in the user's words."""
    at = open_app("pages/inside.py", lang)
    labels = [u.proto.label for u in at.get("file_uploader")]
    assert text("in.state_dict.load", lang, mb=5) in labels and text("in.state_dict.load", "en", mb=5).count("5 MB")
