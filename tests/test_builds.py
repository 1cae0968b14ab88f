"""Builds are reproducible and atomic.

Reproducible: the real content, built twice, gives the same bytes in every file, the PDF
included; with and without the chart cache; under another hash seed, time zone and
locale; and nothing in the output comes from the clock (``SOURCE_DATE_EPOCH`` is honoured).

Atomic: a build that fails (bad content, a broken template) or is interrupted half-way
through writing leaves the previous site byte for byte as it was, and no staging folder.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from reportgen import build as build_module
from reportgen.build import SiteFiles, build_site
from reportgen.errors import BuildError
from reportgen.charts import format_source_date
from tests.conftest import CONTENT, DATA, ROOT, TEMPLATES, run_cli

MINIMAL = DATA / "minimal" / "content"
EPOCH = "1700000000"  # 2023-11-14 22:13:20 UTC


def all_files(folder: Path) -> dict[str, bytes]:
    """Every file under *folder*, static files and the PDF included."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_same(a: dict[str, bytes], b: dict[str, bytes]) -> None:
    assert sorted(a) == sorted(b)
    assert [path for path in a if a[path] != b[path]] == []


def build_in_subprocess(out: Path, *extra: str, **env: str) -> None:
    """A build in a fresh interpreter with another hash seed, time zone and locale."""
    environment = {**os.environ, "PYTHONHASHSEED": "4242", "TZ": "Pacific/Kiritimati",
                   "LC_ALL": "C", "LANG": "C", **env}
    result = subprocess.run([sys.executable, "-m", "reportgen", "build", "--content",
                             str(CONTENT), "--templates", str(TEMPLATES), "--out", str(out),
                             "--pdf", *extra], capture_output=True, text=True, cwd=out.parent,
                            env=environment, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]


def clock_marks() -> set[str]:
    """Ways today's date could appear in output, minus any the content itself contains."""
    content_text = "".join(p.read_text(encoding="utf-8") for p in CONTENT.rglob("*.*")
                           if p.suffix in (".yaml", ".md"))
    marks = set()
    for now in (dt.datetime.now(), dt.datetime.now(dt.timezone.utc)):
        for day in (now.date() - dt.timedelta(days=1), now.date(), now.date() + dt.timedelta(days=1)):
            marks |= {day.isoformat(), day.strftime("%Y%m%d"), format_source_date(day.isoformat()),
                      day.strftime("%d/%m/%Y")}
        marks |= {now.strftime("%Y-%m"), format_source_date(now.strftime("%Y-%m"))}
    return {m for m in marks if m not in content_text}


def assert_no_clock(files: dict[str, bytes]) -> None:
    from pypdf import PdfReader
    import io

    marks = clock_marks()
    for path, data in files.items():
        text = data.decode("utf-8", "replace")
        if path.endswith(".pdf"):
            reader = PdfReader(io.BytesIO(data))
            text += "".join(page.extract_text() or "" for page in reader.pages)
            text += repr(dict(reader.metadata or {}))
        found = [m for m in marks if m in text]
        assert not found, f"{path} contains {found}: a date from the clock"


def test_real_content_builds_byte_identical_pdf_included(tmp_path):
    first, second = tmp_path / "a" / "site", tmp_path / "b" / "out"
    second.parent.mkdir()
    result = run_cli("build", "--content", CONTENT, "--templates", TEMPLATES, "--out", first,
                     "--pdf")
    assert result.exit_code == 0, result.output
    # Charts and the bundle made afresh, in another interpreter, into a folder of another name.
    build_in_subprocess(second, "--no-cache")
    a, b = all_files(first), all_files(second)
    assert "report.pdf" in a and "static/vendor/vega-bundle.js" in a and len(a) > 40
    assert_same(a, b)
    assert_no_clock(a)


def test_source_date_epoch_builds_byte_identical_without_the_clock(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    first, second = tmp_path / "a" / "site", tmp_path / "b" / "site"
    second.parent.mkdir()
    result = run_cli("build", "--content", CONTENT, "--templates", TEMPLATES, "--out", first,
                     "--pdf")
    assert result.exit_code == 0, result.output
    build_in_subprocess(second, SOURCE_DATE_EPOCH=EPOCH)
    a, b = all_files(first), all_files(second)
    assert_same(a, b)
    assert_no_clock(a)
    from pypdf import PdfReader
    import io

    created = PdfReader(io.BytesIO(a["report.pdf"])).metadata.creation_date
    assert created.date() == dt.date(2023, 11, 14)  # from SOURCE_DATE_EPOCH


# --- atomic builds ------------------------------------------------------------------------


@pytest.fixture
def built(tmp_path) -> tuple[Path, Path, dict[str, bytes]]:
    """A copy of the minimal content and a good site built from it: (content, out, files)."""
    content = tmp_path / "content"
    shutil.copytree(MINIMAL, content)
    out = tmp_path / "public" / "site"
    result = run_cli("build", "--content", content, "--templates", TEMPLATES, "--out", out)
    assert result.exit_code == 0, result.output
    return content, out, all_files(out)


def edit_a_fact(content: Path) -> None:
    """Change one figure (1,000 participants to 1,001): an incremental rebuild."""
    facts = content / "facts" / "kota-contoh.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace("value: 1000", "value: 1001"),
                     encoding="utf-8")


def interrupt_after(monkeypatch, owner, name: str, count: int, counted=lambda *args: True):
    """Make ``owner.name`` raise KeyboardInterrupt (as Ctrl-C would) on the one call
    after the first *count* calls that *counted* accepts (later calls, such as the
    clean-up's, go through); returns the list of those calls."""
    real = getattr(owner, name)
    calls = []

    def interrupted(*args):
        if counted(*args):
            calls.append(args)
            if len(calls) == count + 1:
                raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(owner, name, interrupted)
    return calls


def moves_into(out: Path):
    """For :func:`interrupt_after` on os.replace: count only moves into the site."""
    return lambda source, target: Path(target).is_relative_to(out)


def assert_unchanged(out: Path, before: dict[str, bytes]) -> None:
    assert_same(all_files(out), before)
    assert sorted(p.name for p in out.parent.iterdir()) == ["site"], "staging folder left behind"


@pytest.mark.parametrize("broken", [
    "{% if %}",                                   # does not compile
    "{{ no_such_name }}",                         # undefined
    "{{ 1 / 0 }}",                                # fails while rendering
    "{{ 1 + 'a' }}",                              # a type error while rendering
    "{% include 'no-such-partial.html' %}",       # missing template
])
def test_template_error_leaves_the_previous_site_as_it_was(built, tmp_path, broken):
    content, out, before = built
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    region = templates / "region.html"
    region.write_text(region.read_text(encoding="utf-8").replace(
        "{% block content %}", "{% block content %}" + broken, 1), encoding="utf-8")
    result = run_cli("build", "--content", content, "--templates", templates, "--out", out)
    assert result.exit_code == 1
    assert "RG402" in result.stderr and "previous site is unchanged" in result.stderr
    assert "Traceback" not in result.output
    assert_unchanged(out, before)


def test_content_error_leaves_the_previous_site_as_it_was(built):
    content, out, before = built
    facts = content / "facts" / "kota-contoh.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace("value: 1000", "value: -1"),
                     encoding="utf-8")
    result = run_cli("build", "--content", content, "--templates", TEMPLATES, "--out", out)
    assert result.exit_code == 1 and "RG202" in result.stderr
    assert_unchanged(out, before)


@pytest.mark.parametrize("after", [0, 3, 12])
def test_interrupted_write_leaves_the_previous_site_as_it_was(built, monkeypatch, after):
    """Ctrl-C while the new site is being written (after some files, or before any)."""
    content, out, before = built
    edit_a_fact(content)
    # (Ctrl-C reaches the main thread: chart images are made in a thread of their own)
    calls = interrupt_after(monkeypatch, Path, "write_bytes", after,
                            lambda *args: threading.current_thread() is threading.main_thread())
    with pytest.raises(KeyboardInterrupt):
        build_site(content, TEMPLATES, out)
    monkeypatch.undo()
    assert_unchanged(out, before)
    assert len(calls) == after + 1
    assert not [t for t in threading.enumerate() if t.name.startswith("reportgen-charts")]


def test_interrupted_swap_leaves_the_previous_site_as_it_was(built, monkeypatch):
    """Ctrl-C between moving the old site aside and moving the new one in (a full
    build: an incremental one moves files into the site instead, tested below)."""
    content, out, before = built
    edit_a_fact(content)
    interrupt_after(monkeypatch, Path, "rename", 1)
    with pytest.raises(KeyboardInterrupt):
        build_site(content, TEMPLATES, out, use_cache=False)
    monkeypatch.undo()
    assert out.exists()
    assert_unchanged(out, before)
    assert not list(out.parent.glob(f".{out.name}.new-*"))


def test_incremental_build_moves_only_its_files_into_the_site(built, tmp_path):
    content, out, before = built
    edit_a_fact(content)
    inode = {path: (out / path).stat().st_ino for path in before}
    result = build_site(content, TEMPLATES, out)
    assert result.mode == "incremental"
    after = all_files(out)
    clean = tmp_path / "clean"
    build_site(content, TEMPLATES, clean, use_cache=False)
    assert_same(after, all_files(clean))  # the old search index's files are gone too
    moved = {path for path in after if path in inode and (out / path).stat().st_ino != inode[path]}
    assert "regions/kota-contoh/index.html" in moved and "data/facts.json" in moved
    assert "tentang/index.html" not in moved  # a page the fact is not on stays as it was
    assert after["tentang/index.html"] == before["tentang/index.html"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["site"]


@pytest.mark.parametrize("after", [1, 5])
def test_interrupted_update_of_the_site_makes_the_next_build_a_full_one(
        built, monkeypatch, tmp_path, after):
    """Ctrl-C while an incremental build moves its files into the site: the site is part
    old, part new, and the next build renders everything and replaces it whole."""
    content, out, before = built
    edit_a_fact(content)
    calls = interrupt_after(monkeypatch, os, "replace", after, moves_into(out))
    with pytest.raises(KeyboardInterrupt):
        build_site(content, TEMPLATES, out)
    monkeypatch.undo()
    assert len(calls) == after + 1
    again = build_site(content, TEMPLATES, out)
    assert again.mode == "full"
    clean = tmp_path / "clean"
    build_site(content, TEMPLATES, clean, use_cache=False)
    assert_same(all_files(out), all_files(clean))
    assert sorted(p.name for p in out.parent.iterdir()) == ["site"]


def test_a_build_failing_while_pagefind_runs_stops_it_and_leaves_the_site(built, monkeypatch,
                                                                          tmp_path):
    """Pagefind indexes while the data files are written: when writing them fails, the
    build stops Pagefind, removes its work folder and leaves the previous site.  (A
    stand-in for Pagefind that takes a minute, so that it is surely still running.)"""
    import reportgen.search

    content, out, before = built
    edit_a_fact(content)
    slow = tmp_path / "slow-pagefind"
    slow.write_text("#!/bin/sh\nsleep 60\n")
    slow.chmod(0o755)
    monkeypatch.setattr(reportgen.search, "pagefind_executable", lambda: slow)
    started = []
    real_start = build_module.Indexing.start

    def start(self, documents):
        started.append(self)
        return real_start(self, documents)

    def broken_csv(content, *previous):
        assert started and started[0].running  # Pagefind is running
        assert all(process.poll() is None for _shard, _out, process in started[0].running)
        processes.extend(process for _shard, _out, process in started[0].running)
        raise BuildError("the CSV could not be written")

    processes = []
    monkeypatch.setattr(build_module.Indexing, "start", start)
    monkeypatch.setattr(build_module, "facts_csv", broken_csv)
    with pytest.raises(BuildError, match="CSV"):
        build_site(content, TEMPLATES, out, use_cache=False)
    assert processes and all(p.returncode is not None for p in processes)  # stopped, reaped
    assert started[0].running == [] and started[0].work is None
    assert_unchanged(out, before)


def test_leftovers_of_a_killed_build_are_recovered(built):
    """A killed process cannot clean up: the next build restores and removes leftovers."""
    content, out, before = built
    aside = out.with_name(f".{out.name}.old-killed")
    out.rename(aside)  # killed between the two renames
    (out.parent / f".{out.name}.new-killed").mkdir()  # and a half-written staging folder
    result = run_cli("build", "--content", content, "--templates", TEMPLATES, "--out", out)
    assert result.exit_code == 0, result.output
    assert out.is_dir()
    assert not list(out.parent.glob(f".{out.name}.old-*"))
    assert not list(out.parent.glob(f".{out.name}.new-*"))


def test_write_outside_the_site_is_refused_before_anything_is_written(built, monkeypatch):
    content, out, before = built
    edit_a_fact(content)
    real_render_pages = build_module.render_pages

    def render_pages(job, indexes, files, *args, **kwargs):
        rendered = real_render_pages(job, indexes, files, *args, **kwargs)
        files.add("../escaped.html", b"x")  # as if a template had asked for it
        return rendered

    monkeypatch.setattr(build_module, "render_pages", render_pages)
    result = run_cli("build", "--content", content, "--templates", TEMPLATES, "--out", out)
    assert result.exit_code == 1 and "refusing to write outside the site" in result.stderr
    assert_unchanged(out, before)
    assert not (out.parent / "escaped.html").exists()


def test_an_incremental_build_does_not_follow_a_link_out_of_the_site(built, tmp_path):
    """A folder of the site replaced by a link elsewhere (by hand, or by a tool): an
    incremental build refuses to move files through it, and the next build is a full
    one that replaces the site whole."""
    content, out, before = built
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(out / "regions", elsewhere)
    shutil.rmtree(out / "regions")
    (out / "regions").symlink_to(elsewhere, target_is_directory=True)
    edit_a_fact(content)
    inside = sorted(p.relative_to(elsewhere) for p in elsewhere.rglob("*"))
    untouched, site_before = all_files(elsewhere), all_files(out)
    result = run_cli("build", "--content", content, "--templates", TEMPLATES, "--out", out)
    assert result.exit_code == 1 and "refusing to write outside the site" in result.stderr
    assert "Traceback" not in result.output
    assert "the previous site is unchanged" in result.stderr
    assert sorted(p.relative_to(elsewhere) for p in elsewhere.rglob("*")) == inside
    assert all_files(elsewhere) == untouched
    assert_same(all_files(out), site_before)  # refused before anything was moved
    result = run_cli("build", "--content", content, "--templates", TEMPLATES, "--out", out)
    assert result.exit_code == 0, result.output
    assert not (out / "regions").is_symlink()
    assert "1.001" in (out / "regions/kota-contoh/index.html").read_text(encoding="utf-8")


def test_an_update_is_refused_before_moving_anything_when_a_folder_is_in_the_way(tmp_path):
    out = tmp_path / "site"
    (out / "regions" / "new" / "index.html").mkdir(parents=True)  # a folder, made by hand
    (out / "index.html").write_text("old")
    with pytest.raises(BuildError, match="regions/new/index.html is a folder there"), \
            SiteFiles(out) as files:
        files.add("index.html", "new")  # sorts before the refused path
        files.add("regions/new/index.html", "<html>")
        files.publish_update(set())
    assert (out / "index.html").read_text() == "old"
    assert (out / "regions" / "new" / "index.html").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_an_interrupted_update_says_the_site_was_partly_updated(built, monkeypatch):
    content, out, before = built
    edit_a_fact(content)
    interrupt_after(monkeypatch, os, "replace", 2, moves_into(out))
    result = run_cli("build", "--content", content, "--templates", TEMPLATES, "--out", out)
    assert result.exit_code == 1
    assert "Interrupted; the site was partly updated" in result.stderr
    assert "the next build replaces it whole" in result.stderr


def test_a_successful_build_replaces_the_site_and_leaves_nothing_beside_it(built):
    content, out, before = built
    edit_a_fact(content)
    (out / "stale.html").write_text("from an older build")
    result = run_cli("build", "--content", content, "--templates", TEMPLATES, "--out", out)
    assert result.exit_code == 0, result.output
    after = all_files(out)
    assert "stale.html" not in after and after != before
    assert b"1.001" in after["regions/kota-contoh/index.html"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["site"]
