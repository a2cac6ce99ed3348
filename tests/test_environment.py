"""The tests run where nothing but the requirements files is installed (test.sh makes that virtualenv).

A package installed by hand on a developer's machine once made a test pass there and fail on a fresh one
(plotly writes non-ASCII text unescaped only when the undeclared `orjson` is importable)."""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
TOOLS = {"pip", "setuptools", "wheel"}  # what `python -m venv` itself puts there


def declared() -> list[Requirement]:
    lines = []
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            if line := re.sub(r"(^|\s)#.*", "", line).strip():
                lines.append(Requirement(line))
    return lines


def closure(requirements: list[Requirement]) -> set[str]:
    """The declared distributions and, recursively, what each of them requires (markers evaluated, no extras)."""
    environment, seen, todo = default_environment(), set(), list(requirements)
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen or (req.marker is not None and not req.marker.evaluate({**environment, "extra": ""})):
            continue
        seen.add(name)
        todo.extend(Requirement(r) for r in metadata.requires(req.name) or [])
    return seen


def test_every_declared_package_is_pinned_and_installed_at_its_pin():
    for req in declared():
        pins = [s for s in req.specifier if s.operator == "=="]
        assert len(pins) == 1, f"{req} is not pinned with =="
        installed = metadata.version(req.name)
        assert installed.split("+")[0] == pins[0].version, f"{req.name} {installed} installed, {pins[0]} declared"


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="not in a virtualenv: run the tests through test.sh")
def test_nothing_undeclared_is_installed():
    installed = {canonicalize_name(d.metadata["Name"]) for d in metadata.distributions()}
    extra = installed - closure(declared()) - TOOLS
    assert not extra, f"installed but not required by requirements*.txt: {sorted(extra)}; remove {sys.prefix}"


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="not in a virtualenv: run the tests through test.sh")
def test_the_virtualenv_does_not_see_the_system_site_packages():
    assert not any(Path(p).is_relative_to(sys.base_prefix) and "site-packages" in p for p in sys.path)
