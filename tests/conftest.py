"""Shared fixtures: project paths, a chart cache shared by the whole test session, and a
helper that builds a fixture project through the real CLI."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from reportgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TEMPLATES = ROOT / "templates"
CONTENT = ROOT / "content"
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="session", autouse=True)
def chart_cache(tmp_path_factory) -> Path:
    """One vl-convert cache for the session: the JS bundle is made once, not per build."""
    cache = tmp_path_factory.mktemp("reportgen-cache")
    old = os.environ.get("REPORTGEN_CACHE")
    os.environ["REPORTGEN_CACHE"] = str(cache)
    yield cache
    if old is None:
        os.environ.pop("REPORTGEN_CACHE", None)
    else:
        os.environ["REPORTGEN_CACHE"] = old


def run_cli(*args: str):
    """Run the reportgen CLI in-process; returns click's Result (exit_code, output)."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def copy_fixture(tmp_path):
    """Copy a folder under tests/data/ to a temporary place and return its path."""

    def copy(name: str) -> Path:
        target = tmp_path / name.replace("/", "_")
        shutil.copytree(DATA / name, target)
        return target

    return copy


@pytest.fixture(scope="session")
def minimal_site(tmp_path_factory) -> Path:
    """The minimal fixture project, built once with the project's templates."""
    out = tmp_path_factory.mktemp("minimal") / "site"
    result = run_cli("build", "--content", DATA / "minimal" / "content",
                     "--templates", TEMPLATES, "--out", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def real_site(tmp_path_factory) -> Path:
    """The project's real content, built once."""
    out = tmp_path_factory.mktemp("real") / "site"
    result = run_cli("build", "--content", CONTENT, "--templates", TEMPLATES, "--out", out)
    assert result.exit_code == 0, result.output
    return out


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve *folder* over HTTP on a free port of 127.0.0.1, from a thread (search needs
    HTTP); yields the address, ending in '/'."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - http.server's signature
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
