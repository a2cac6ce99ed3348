"""Lessons: prepared scenarios, each a question to predict, a run to watch and an explanation to read after."""

import streamlit as st

from lessons import LESSONS
from pagestate import PAGE
from ui.i18n import t
from ui.page import lecture_params, setup

lang = setup("lessons")
st.title(t("ls.title"))
st.markdown(t("ls.intro"))

lessons = list(LESSONS.values())
for number, lesson in enumerate(lessons, start=1):
    if number % 2:  # two per row; a phone stacks them in order
        columns = iter(st.columns(2))
    with next(columns).container(border=True, key=f"lesson-{lesson.id}"):
        st.markdown(f"#### {number}. {lesson.text('title', lang)}")
        st.caption(t("ls.on", page=t(f"nav.{lesson.page}")))
        st.markdown(f"**{t('ls.predict')}** · {lesson.text('question', lang)}")
        st.page_link(PAGE[lesson.page].path, label=t("ls.open"), icon=":material/play_circle:",
                     query_params={"lang": lang, "lesson": lesson.id, **lecture_params()})
