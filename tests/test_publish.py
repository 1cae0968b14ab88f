"""Publishing from CI (.github/workflows/site.yml): the workflow keeps the cache and the
site where a build looks for them, and a build on a fresh checkout, with both restored,
goes on from the last one instead of building everything again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from reportgen.cli import build as build_command
from reportgen.vega import default_cache_dir
from tests.conftest import DATA, ROOT, TEMPLATES, run_cli
from tests.test_incremental import FACTS, all_files, edit

WORKFLOW = ROOT / ".github" / "workflows" / "site.yml"


def steps() -> list[dict]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return workflow["jobs"]["build"]["steps"]


def step_using(action: str) -> dict:
    found = [step for step in steps() if step.get("uses", "").startswith(action + "@")]
    assert len(found) == 1, action
    return found[0]


def default_out() -> str:
    return next(p.default for p in build_command.params if p.name == "out_dir")


def test_the_workflow_keeps_what_the_build_goes_on_from(monkeypatch):
    monkeypatch.delenv("REPORTGEN_CACHE", raising=False)
    kept = {default_cache_dir().as_posix(), default_out()}
    restore, save = step_using("actions/cache/restore"), step_using("actions/cache/save")
    assert set(restore["with"]["path"].split()) == kept
    assert set(save["with"]["path"].split()) == kept
    # Saved under a key of its own each run; restored from the newest saved.
    assert restore["with"]["key"] == save["with"]["key"]
    assert "github.run_id" in save["with"]["key"]
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"])
    # The build, with the project's defaults, between the two; what it wrote is published.
    runs = [step.get("run", "") for step in steps()]
    build = next(i for i, run in enumerate(runs) if run.startswith("./tasks site"))
    names = [step.get("uses", "") for step in steps()]
    assert names.index(restore["uses"]) < build < names.index(save["uses"])
    assert "--out" not in runs[build] and "--no-cache" not in runs[build]
    assert step_using("actions/upload-pages-artifact")["with"]["path"] == default_out()
    assert "site|build)" in (ROOT / "tasks").read_text()


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """make(): a fresh copy of the minimal project at the same path each time (as CI's
    checkout is), the working folder, with the build's default paths."""
    project = tmp_path / "repo"
    monkeypatch.delenv("REPORTGEN_CACHE", raising=False)

    def make() -> Path:
        if project.exists():
            shutil.rmtree(project)
        project.mkdir()
        shutil.copytree(DATA / "minimal" / "content", project / "content")
        shutil.copytree(TEMPLATES, project / "templates")
        monkeypatch.chdir(project)
        return project

    return make


def test_a_fresh_checkout_with_the_last_build_restored_goes_on_from_it(checkout, tmp_path):
    project = checkout()
    first = run_cli("build", "--verbose")
    assert first.exit_code == 0, first.output
    assert "Built" in first.output
    kept = tmp_path / "kept"
    for name in (".cache", "site"):  # what actions/cache saves, then restores
        shutil.copytree(project / name, kept / name, symlinks=True)

    project = checkout()  # the next run: new files, new times, nothing else
    for name in (".cache", "site"):
        shutil.copytree(kept / name, project / name, symlinks=True)
    again = run_cli("build", "--verbose")
    assert again.exit_code == 0, again.output
    assert again.output.startswith("Nothing changed")

    edit(project / "content" / FACTS, "value: 1000\n", "value: 1200\n")
    edited = run_cli("build", "--verbose")
    assert edited.exit_code == 0, edited.output
    assert edited.output.startswith("Rebuilt "), edited.output
    rendered, pages = (int(n) for n in edited.output.split()[1:4:2])  # "Rebuilt R of P"
    assert 0 < rendered < pages
    clean = run_cli("build", "--no-cache", "--out", tmp_path / "clean")
    assert clean.exit_code == 0, clean.output
    assert all_files(project / "site") == all_files(tmp_path / "clean")
