"""README "Add a language": one catalogue file.  A copy of the app with `locales/xx.toml` (English with every
text marked) serves every page, a lesson and an engine error in it: every title and heading comes from the new
file, and the language switch offers it."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
MARK = "⟪xx⟫ "

PROBE = r'''
import sys
from streamlit.testing.v1 import AppTest
from schema import ConfigError
from optimizers import run

MARK = sys.argv[1]
pages = [None, "pages/lessons.py", "pages/regression.py", "pages/schedules.py", "pages/inside.py", "pages/about.py"]
for page in pages:
    at = AppTest.from_file("app.py", default_timeout=120)
    at.query_params["lang"] = "xx"
    at = at.run() if page is None else at.switch_page(page).run()
    assert not at.exception, (page, [e.value for e in at.exception])
    headings = [e.value for kind in ("title", "header", "subheader") for e in getattr(at, kind)]
    assert headings and all(h.startswith(MARK) for h in headings), (page, headings)
    switch = at.sidebar.get("button_group")[0]
    assert "Testish" in switch.options, (page, switch.options)
    print("ok", page or "app.py", len(headings))
at = AppTest.from_file("app.py", default_timeout=120)
at.query_params.update({"lang": "xx", "lesson": "lr-too-large"})
at = at.run()
banner = [m.value for m in at.markdown if m.value.startswith("#### ")]  # "#### Lesson · <its title>"
assert not at.exception and banner and banner[0].count(MARK) == 2, banner
try:
    run({"surface": "bowl", "steps": -1})
except ConfigError as err:
    assert err.message("xx").startswith(MARK), err.message("xx")
print("ok lesson and error")
'''


def marked(catalogue: str) -> str:
    """Every string value of a TOML catalogue prefixed with MARK (one-line, multi-line, basic or literal)."""
    return re.sub(r'^(\S[^=\n]*= )("""|\'\'\'|"|\')', lambda m: m[1] + m[2] + MARK, catalogue, flags=re.M)


def test_a_new_catalogue_file_is_a_new_language(tmp_path):
    app = tmp_path / "app"
    shutil.copytree(ROOT, app, ignore=shutil.ignore_patterns(".git", ".venv*", "tests", "bench", "deploy",
                                                             "__pycache__", ".hypothesis", ".pytest_cache"))
    catalogue = marked((ROOT / "locales" / "en.toml").read_text("utf-8"))
    catalogue = re.sub(r'^name = .*$', 'name = "Testish"', catalogue, count=1, flags=re.M)
    (app / "locales" / "xx.toml").write_text(catalogue, "utf-8")
    done = subprocess.run([sys.executable, "-c", PROBE, MARK], cwd=app, capture_output=True, text=True, timeout=600,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(app), "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert done.stdout.count("ok") == 7, done.stdout
