"""The app's pages, and for each page with a share link the fields of its state (Streamlit-free).

One list, `PAGES`, in the navigation's order: the page's file, its title (`nav.<name>` in the catalogues),
icon, the prefix of its widget keys and the table of its state's fields (`pagestate/<name>.py`).  The
share link (`share.py`), the widgets a state goes into (`ui.share`), the navigation (`ui.page`) and the
lessons all read it.  A page with a link is its file, its module here, one line below and its texts.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import inside, network, playground, regression, schedules
from .fields import Field


@dataclass(frozen=True)
class Page:
    name: str  # the page in links and saved files; its title is the catalogue's `nav.<name>`
    path: str  # its file, for st.page_link
    icon: str
    prefix: str = ""  # every widget key of the page starts with f"{prefix}."
    fields: tuple[Field, ...] = ()  # its state, in the order it is read (the first one's widget always drawn);
    # () = no share link

    @property
    def title(self) -> str:
        return f"nav.{self.name}"

    def key(self, widget: str | None) -> str:
        """The page's widget key for a field's `widget` (None: the prefix itself)."""
        return self.prefix if widget is None else f"{self.prefix}.{widget}"


PAGES = (
    Page("playground", "app.py", ":material/sports_score:", "pg", playground.FIELDS),
    Page("lessons", "pages/lessons.py", ":material/school:"),
    Page("regression", "pages/regression.py", ":material/scatter_plot:", "lr", regression.FIELDS),
    Page("network", "pages/network.py", ":material/hub:", "nn", network.FIELDS),
    Page("schedules", "pages/schedules.py", ":material/timeline:", "sch", schedules.FIELDS),
    Page("inside", "pages/inside.py", ":material/biotech:", "in", inside.FIELDS),
    Page("about", "pages/about.py", ":material/menu_book:"),
)
PAGE = {page.name: page for page in PAGES}
