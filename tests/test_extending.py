"""A new surface is one declaration plus its texts: follow the README's recipe in a copy of the app, and every
part of the app (engine, generated script, home page) knows the surface."""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).parents[1]

# The recipe: one entry at the end of SPECS in surfaces/classic.py ...
DECLARATION = '''
    formula_surface(
        "dummy_valley", "k*(x - 1)^2 + (y + 0.5)^2/k",
        Param("k", "float", 2.0, "surface.dummy_valley.k", low=0.1, high=10.0, slider=(0.5, 5.0)),
        bounds=((-2.0, 3.0), (-2.5, 2.0)), starts=((-1.5, 1.5),), minima=((1.0, -0.5),), min_value=0.0),
'''
# ... and its texts, appended to each catalogue.
TEXTS = {
    "en": '\n[surface.dummy_valley]\nname = "Dummy valley"\ndescription = "A test valley"\nk = "Its stretch"\n',
    "zh": '\n[surface.dummy_valley]\nname = "测试山谷"\ndescription = "测试用的山谷"\nk = "拉伸程度"\n',
}

CHECKS = '''
import numpy as np
from streamlit.testing.v1 import AppTest

import surfaces
import texts
from optimizers import run
from optimizers.codegen import torch_code

assert surfaces.__file__.startswith(ROOT), surfaces.__file__
assert set(texts.CATALOGUES["en"]) == set(texts.CATALOGUES["zh"])
spec = surfaces.SURFACES["dummy_valley"]
assert spec.params[0].help_text("zh") == "拉伸程度"

config = {"surface": "dummy_valley", "surface_params": {"k": 3.0}, "steps": 40, "optimizer": "Adam",
          "hparams": {"lr": 0.1}}
traj = run(config)
assert traj.diverged_at is None and traj.loss[-1] < traj.loss[0]
script = {}
exec(torch_code(config), script)
assert np.array_equal(script["positions"].numpy(), traj.xy)

latex = surfaces.get_surface("dummy_valley", {"k": 3.0}).latex
for lang, name in (("en", "Dummy valley"), ("zh", "测试山谷")):
    at = AppTest.from_file("app.py", default_timeout=60)
    at.query_params["lang"] = lang
    at = at.switch_page("pages/about.py").run()
    assert not at.exception, at.exception
    assert any(name in m.value for m in at.markdown), lang
    assert len(at.latex) == len(surfaces.SURFACES) and any("x - 1" in x.value for x in at.latex)
print("ok")
'''


def test_a_surface_is_one_declaration_and_its_texts(tmp_path):
    app = tmp_path / "app"
    shutil.copytree(ROOT, app, ignore=shutil.ignore_patterns(".git", ".venv*", "tests", "__pycache__", ".*_cache",
                                                             ".hypothesis", ".benchmarks"))
    classic = app / "surfaces" / "classic.py"
    source = classic.read_text("utf-8").rstrip()
    assert source.endswith("\n)"), "SPECS must end the file"
    classic.write_text(source.removesuffix(")") + DECLARATION.lstrip("\n") + ")\n", "utf-8")
    for lang, entry in TEXTS.items():
        with (app / "locales" / f"{lang}.toml").open("a", encoding="utf-8") as catalogue:
            catalogue.write(entry)

    script = f"ROOT = {str(app)!r}\n" + textwrap.dedent(CHECKS)
    done = subprocess.run([sys.executable, "-c", script], cwd=app, env={"PYTHONPATH": str(app), "PATH": ""},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-3000:]
