"""Building in CI (.github/workflows/site.yml publishes the site, content.yml builds pull
requests): the workflows keep and restore the cache and the site where a build looks for
them, and a build on a fresh checkout, with both restored, goes on from the last one
instead of building everything again."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from reportgen.cli import build as build_command
from reportgen.vega import default_cache_dir
from tests.conftest import DATA, ROOT, TEMPLATES
from tests.test_incremental import FACTS, all_files, edit

WORKFLOWS = ROOT / ".github" / "workflows"


def workflow(name: str = "site.yml") -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def steps(name: str = "site.yml", job: str = "build") -> list[dict]:
    return workflow(name)["jobs"][job]["steps"]


def step_using(action: str, name: str = "site.yml", job: str = "build") -> dict:
    found = [step for step in steps(name, job)
             if step.get("uses", "").startswith(action + "@")]
    assert len(found) == 1, action
    return found[0]


def build_step(name: str = "site.yml", job: str = "build") -> int:
    """The index of the step that builds the site with the project's defaults."""
    runs = [step.get("run", "") for step in steps(name, job)]
    build = next(i for i, run in enumerate(runs)
                 if any(line.startswith("./tasks site") for line in run.splitlines()))
    assert "--out" not in runs[build] and "--no-cache" not in runs[build]
    return build


def default_out() -> str:
    return next(p.default for p in build_command.params if p.name == "out_dir")


def test_the_workflow_keeps_what_the_build_goes_on_from(monkeypatch):
    monkeypatch.delenv("REPORTGEN_CACHE", raising=False)
    kept = {default_cache_dir().as_posix(), default_out()}
    restore, save = step_using("actions/cache/restore"), step_using("actions/cache/save")
    assert set(restore["with"]["path"].split()) == kept
    assert set(save["with"]["path"].split()) == kept
    # Saved under a key of its own each run (and each attempt of it), restored from the
    # newest saved.
    assert restore["with"]["key"] == save["with"]["key"]
    assert "github.run_id" in save["with"]["key"] and "github.run_attempt" in save["with"]["key"]
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"])
    # The build, with the project's defaults, between the two; what it wrote is published.
    names = [step.get("uses", "") for step in steps()]
    assert names.index(restore["uses"]) < build_step() < names.index(save["uses"])
    assert step_using("actions/upload-pages-artifact")["with"]["path"] == default_out()
    tasks = subprocess.run(["bash", str(ROOT / "tasks")], capture_output=True, text=True)
    assert "./tasks site" in tasks.stdout  # (the task exists: its help names it)
    # Deployed only after a build that succeeded, from main, with Pages' own permissions.
    deploy = workflow()["jobs"]["deploy"]
    assert deploy["needs"] == "build" and "refs/heads/main" in deploy["if"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert workflow()["permissions"] == {"contents": "read"}


def test_pull_requests_build_from_the_last_published_build(monkeypatch):
    monkeypatch.delenv("REPORTGEN_CACHE", raising=False)
    published = step_using("actions/cache/restore")["with"]
    restore = step_using("actions/cache/restore", "content.yml", "check")
    assert set(restore["with"]["path"].split()) == set(published["path"].split())
    assert restore["with"]["restore-keys"] == published["restore-keys"]
    assert not any(step.get("uses", "").startswith("actions/cache/save@")
                   for step in steps("content.yml", "check"))  # (main's builds only)
    names = [step.get("uses", "") for step in steps("content.yml", "check")]
    assert names.index(restore["uses"]) < build_step("content.yml", "check")


def test_both_workflows_build_with_the_address_pages_publishes_at(tmp_path):
    # Published: sitemap.xml and og:url need the site's address, and the 404 page (which
    # Pages serves at any depth) its path; a pull request's build is given the same, or
    # it could not go on from the published build (the address shows on every page).
    pages = step_using("actions/configure-pages")
    names = [step.get("uses", "") for step in steps()]
    assert names.index(pages["uses"]) < build_step()
    build = steps()[build_step()]
    assert build["run"] == './tasks site --verbose --url "$SITE_URL"'
    assert build["env"]["SITE_URL"] == f"${{{{ steps.{pages['id']}.outputs.base_url }}}}/"
    assert workflow()["jobs"]["build"]["permissions"] == {"contents": "read", "pages": "read"}
    in_pr = step_using("actions/configure-pages", "content.yml", "check")
    # (Pages off, or its address not to be had: the build goes on without one)
    assert in_pr["if"] == "github.event.repository.has_pages"
    assert in_pr["continue-on-error"] is True
    build = steps("content.yml", "check")[build_step("content.yml", "check")]
    assert build["env"]["PAGES_URL"] == f"${{{{ steps.{in_pr['id']}.outputs.base_url }}}}"
    assert workflow("content.yml")["permissions"] == {"contents": "read", "pages": "read"}

    def pr_build_args(pages_url: str) -> list[str]:
        fake = tmp_path / "tasks"  # stands for ./tasks: prints what it was given
        fake.write_text('#!/bin/bash\nprintf "%s\\n" "$@"\n')
        fake.chmod(0o755)
        done = subprocess.run(["bash", "-e", "-c", build["run"]], cwd=tmp_path,
                              env={**os.environ, "PAGES_URL": pages_url},
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    assert pr_build_args("https://contoh.github.io/laporan") == [
        "site", "--verbose", "--url", "https://contoh.github.io/laporan/"]
    assert pr_build_args("") == ["site", "--verbose"]


def installs(name: str, job: str) -> list[str]:
    """The Debian packages a workflow's job installs with apt-get, in its steps before
    the build."""
    packages = []
    for step in steps(name, job)[:build_step(name, job)]:
        for line in step.get("run", "").splitlines():
            if "apt-get install" in line:
                packages += [word for word in line.split("install", 1)[1].split()
                             if not word.startswith("-")]
    return packages


def test_both_workflows_draw_charts_with_the_same_font():
    # A chart image drawn in a pull request's build must be the one main's would draw.
    published = installs("site.yml", "build")
    assert "fonts-dejavu-core" in published
    assert installs("content.yml", "check") == published


def test_the_workflow_says_when_the_site_is_over_the_pages_limit(tmp_path):
    size = next(step for step in steps() if step.get("name", "").startswith("Size of the site"))
    names = [step.get("uses", "") for step in steps()]
    assert build_step() < steps().index(size) < names.index(
        step_using("actions/upload-pages-artifact")["uses"])
    assert size["env"]["PAGES_LIMIT_BYTES"] == "1000000000"
    (tmp_path / "site" / "a").mkdir(parents=True)
    (tmp_path / "site" / "index.html").write_bytes(b"x" * 2_500_000)
    (tmp_path / "site" / "a" / "index.html").write_bytes(b"x" * 600_000)

    def run(limit: int) -> tuple[str, str]:
        summary = tmp_path / "summary.md"
        summary.write_text("")
        env = {**os.environ, "PAGES_LIMIT_BYTES": str(limit), "GITHUB_STEP_SUMMARY": str(summary)}
        done = subprocess.run(["bash", "-e", "-c", size["run"]], cwd=tmp_path, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout, summary.read_text()

    out, summary = run(int(size["env"]["PAGES_LIMIT_BYTES"]))
    assert summary == "The site: 3 MB in 2 files.\n" and "::warning" not in out
    out, summary = run(3_000_000)
    assert "::warning title=Site over 1 GB::the site is 3 MB;" in out


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """make(): a fresh copy of the minimal project at the same path each time, as CI's
    checkout is: every file written anew (new times, new inodes)."""
    project = tmp_path / "repo"
    monkeypatch.delenv("REPORTGEN_CACHE", raising=False)

    def make() -> Path:
        if project.exists():
            shutil.rmtree(project)
        project.mkdir()
        for name, source in (("content", DATA / "minimal" / "content"),
                             ("templates", TEMPLATES)):
            shutil.copytree(source, project / name, copy_function=shutil.copyfile)
        return project

    return make


def build_in(project: Path, *args: str) -> subprocess.CompletedProcess:
    """``reportgen build`` in a process of its own, run in *project* with the defaults
    (as the workflow runs it): nothing carried over in memory from an earlier build."""
    env = {k: v for k, v in os.environ.items() if k != "REPORTGEN_CACHE"}
    return subprocess.run([sys.executable, "-m", "reportgen", "build", *args], cwd=project,
                          env=env, capture_output=True, text=True, timeout=600)


def test_a_fresh_checkout_with_the_last_build_restored_goes_on_from_it(checkout, tmp_path):
    project = checkout()
    first = build_in(project)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Built ")
    kept = tmp_path / "kept"
    for name in (".cache", "site"):  # what actions/cache saves, then restores
        shutil.copytree(project / name, kept / name, symlinks=True)
    times = os.stat(project / "content" / FACTS).st_mtime_ns

    project = checkout()  # the next run
    assert os.stat(project / "content" / FACTS).st_mtime_ns != times
    for name in (".cache", "site"):
        shutil.copytree(kept / name, project / name, symlinks=True)
    again = build_in(project)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("Nothing changed"), again.stdout

    edit(project / "content" / FACTS, "value: 1000\n", "value: 1200\n")
    edited = build_in(project, "--verbose")
    assert edited.returncode == 0, edited.stderr
    rebuilt = re.match(r"Rebuilt (\d+) of (\d+) pages", edited.stdout)
    assert rebuilt, edited.stdout
    assert 0 < int(rebuilt[1]) < int(rebuilt[2])
    clean = build_in(project, "--no-cache", "--out", str(tmp_path / "clean"))
    assert clean.returncode == 0, clean.stderr
    assert all_files(project / "site") == all_files(tmp_path / "clean")
