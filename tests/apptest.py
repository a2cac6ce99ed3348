"""Open a page of the app in Streamlit's AppTest, in a language."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).parents[1] / "app.py")


def open_app(page: str | None = None, lang: str | None = "en", timeout: int = 90) -> AppTest:
    """Run app.py (the Playground), then switch to `page` (e.g. "pages/regression.py") if given.

    Pages are classic multipage files: their `st.page_link`s need app.py as the main script.
    """
    at = AppTest.from_file(APP, default_timeout=timeout)
    if lang:
        at.query_params["lang"] = lang
    return at.run() if page is None else at.switch_page(page).run()
