"""Every page is valid HTML5, by the Nu HTML Checker (the W3C validator), run on Java.

The checker comes from npm (the ``vnu-jar`` package holds ``vnu.jar``); the first run on
a fresh machine installs the pinned version into ``.cache/tools/vnu`` (git-ignored; its own
npm prefix, as an install into a shared prefix removes the other tools there) with npm,
without running the package's install script (which would download a Java: the
machine's own is used).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import DATA, ROOT, TEMPLATES, run_cli

VNU_VERSION = "26.9.27"
TOOLS = ROOT / ".cache" / "tools" / "vnu"
PACKAGE = TOOLS / "node_modules" / "vnu-jar"
JAR = PACKAGE / "build" / "dist" / "vnu.jar"


def installed_version() -> str | None:
    try:
        return json.loads((PACKAGE / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return None


@pytest.fixture(scope="session")
def vnu_jar() -> Path:
    """vnu.jar of the pinned version, installed with npm when missing."""
    if shutil.which("java") is None:
        pytest.skip("the Nu HTML Checker needs Java (java on PATH)")
    if not JAR.is_file() or installed_version() != VNU_VERSION:
        npm = shutil.which("npm")
        assert npm, "npm is needed once, to install the Nu HTML Checker (vnu-jar)"
        TOOLS.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [npm, "install", "--no-save", "--no-audit", "--no-fund", "--ignore-scripts",
             "--prefix", str(TOOLS), f"vnu-jar@{VNU_VERSION}"],
            capture_output=True, text=True, timeout=600)
        assert result.returncode == 0 and JAR.is_file(), result.stderr[-2000:]
    return JAR


@pytest.fixture(scope="session")
def injected_site(tmp_path_factory) -> Path:
    """The minimal content with markup in every text field (see test_security)."""
    from tests.test_security import inject_everywhere

    root = tmp_path_factory.mktemp("xss-valid")
    content = root / "content"
    shutil.copytree(DATA / "minimal" / "content", content)
    inject_everywhere(content)
    out = root / "site"
    result = run_cli("build", "--content", content, "--templates", TEMPLATES, "--out", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def validation(vnu_jar, minimal_site, real_site, injected_site) -> tuple[list[Path], list[dict]]:
    """One run of the checker over every page of the three sites: (pages, messages)."""
    pages = sorted(p for site in (minimal_site, real_site, injected_site)
                   for p in site.rglob("*.html"))
    result = subprocess.run(["java", "-jar", str(vnu_jar), "--errors-only", "--format", "json",
                             *map(str, pages)], capture_output=True, text=True, timeout=600)
    report = json.loads(result.stderr or result.stdout)
    return pages, report["messages"]


def test_every_page_is_valid_html5(validation):
    pages, messages = validation
    assert len(pages) > 40
    readable = [f"{m.get('url', '?')}:{m.get('lastLine', '?')}: {m.get('type')}: "
                f"{m.get('message')}" for m in messages]
    assert readable == []


def test_the_checker_does_report_invalid_markup(vnu_jar, tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><title>x</title>'
                    "</head><body><figure><figcaption>a</figcaption><p>b</p><figcaption>c"
                    "</figcaption></figure><p id=a></p><p id=a></p></body></html>",
                    encoding="utf-8")
    result = subprocess.run(["java", "-jar", str(vnu_jar), "--errors-only", "--format", "json",
                             str(page)], capture_output=True, text=True, timeout=120)
    messages = json.loads(result.stderr or result.stdout)["messages"]
    assert any("figcaption" in m["message"] for m in messages)
    assert any("Duplicate ID" in m["message"] for m in messages)
