"""End to end through the command line: exit codes, messages, atomic and reproducible builds."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA, ROOT, TEMPLATES, run_cli
from tests.golden import site_files

MINIMAL = DATA / "minimal" / "content"


def build(content: Path, out: Path, templates: Path = TEMPLATES):
    return run_cli("build", "--content", content, "--templates", templates, "--out", out)


def test_build_succeeds_and_reports_counts(tmp_path):
    result = build(MINIMAL, tmp_path / "site")
    assert result.exit_code == 0
    assert "Built 24 pages, 8 charts, 3 facts" in result.stdout
    assert (tmp_path / "site" / "regions" / "kota-contoh" / "index.html").is_file()
    assert (tmp_path / "site" / "static" / "vendor" / "vega-bundle.js").stat().st_size > 100_000


def test_check_passes_on_good_content():
    result = run_cli("check", "--content", MINIMAL)
    assert result.exit_code == 0
    assert "OK: 3 facts, 2 sources, 3 regions" in result.stdout


def test_bad_content_exits_1_with_located_errors_and_no_traceback(copy_fixture, tmp_path):
    content = copy_fixture("minimal/content")
    facts = content / "facts" / "kota-contoh.yaml"
    text = facts.read_text().replace("region: kota-contoh\n", "region: kota-contho\n", 1)
    text = text.replace("value: 2200000000", "value: -5")
    facts.write_text(text)
    result = build(content, tmp_path / "site")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert any(line.endswith("facts/kota-contoh.yaml:3:13: RG104 unknown region 'kota-contho' "
                             "(did you mean 'kota-contoh'?)") for line in lines), lines
    assert any(":30:12: RG202 value -5 is negative" in line for line in lines), lines
    assert "2 error(s)" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "site").exists()


def test_fact_without_source_or_quote_is_refused(copy_fixture, tmp_path):
    content = copy_fixture("minimal/content")
    facts = content / "facts" / "kota-contoh.yaml"
    text = facts.read_text()
    text = text.replace("""    sources:
      - source: harian-2024-03-01
        quote: Tahun lalu seribu pekerja sudah terlindungi.
""", "    sources: []\n")
    text = text.replace("        quote: Tahun ini targetnya sekitar 1500 hingga 2000 orang.\n", "")
    facts.write_text(text)
    result = build(content, tmp_path / "site")
    assert result.exit_code == 1
    assert "RG301 fact has no sources" in result.stderr
    assert "RG302 citation has no quote" in result.stderr


def test_failed_build_leaves_previous_site_untouched(copy_fixture, tmp_path):
    content = copy_fixture("minimal/content")
    out = tmp_path / "site"
    assert build(content, out).exit_code == 0
    before = site_files(out)
    (content / "facts" / "kota-contoh.yaml").write_text("facts:\n  - id: [broken\n")
    result = build(content, out)
    assert result.exit_code == 1
    assert "RG002 YAML does not parse" in result.stderr
    assert "previous site is unchanged" in result.stderr
    assert site_files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["minimal_content", "site"]


def test_template_error_is_reported_without_traceback(tmp_path):
    templates = tmp_path / "templates"
    import shutil

    shutil.copytree(TEMPLATES, templates)
    (templates / "source.html").write_text("{% extends 'base.html' %}{% block content %}"
                                           "{{ source.no_such_field }}{% endblock %}")
    result = build(MINIMAL, tmp_path / "site", templates)
    assert result.exit_code == 1
    assert "RG402" in result.stderr and "no_such_field" in result.stderr
    assert "Traceback" not in result.output


def test_missing_content_folder(tmp_path):
    result = run_cli("check", "--content", tmp_path / "nowhere")
    assert result.exit_code == 1
    assert "RG006 content folder does not exist" in result.stderr


def test_usage_error_exits_2():
    result = run_cli("build", "--no-such-option")
    assert result.exit_code == 2
    assert "No such option" in result.output


def test_same_content_builds_byte_identical_output(tmp_path):
    assert build(MINIMAL, tmp_path / "a").exit_code == 0
    assert build(MINIMAL, tmp_path / "b").exit_code == 0
    a = {k: v for k, v in site_files(tmp_path / "a").items()}
    b = {k: v for k, v in site_files(tmp_path / "b").items()}
    assert a.keys() == b.keys() and a == b


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "reportgen", "check", "--content",
                             str(MINIMAL)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "OK: 3 facts" in result.stdout


@pytest.mark.parametrize("args, code, said", [
    (["--version"], 0, "version"),
    (["build", "--no-such-option"], 2, "No such option"),
    (["check", "--content", "no-such-folder"], 1, "RG006"),
])
def test_the_program_ends_with_the_commands_exit_code_and_all_its_output(args, code, said):
    """The process ends at once when the command is over (cli.run): with the command's
    exit code, and nothing it printed lost."""
    result = subprocess.run([sys.executable, "-m", "reportgen", *args], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == code, result.stderr
    assert said in result.stdout + result.stderr


# --- The output folder: a build replaces it whole, so it must be a site ---------------------

def test_build_refuses_a_folder_holding_other_files(tmp_path):
    out = tmp_path / "notes"
    out.mkdir()
    (out / "notes.txt").write_text("precious")
    result = build(MINIMAL, out)
    assert result.exit_code == 1
    assert (f"Error: refusing to replace {out}: it holds files, and is not a site reportgen "
            "built (it has no .reportgen-site file); remove it, or pass another --out"
            in result.stderr)
    assert "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes"]  # nothing left beside it


def test_build_refuses_the_content_the_templates_and_the_folder_it_runs_in(
        copy_fixture, tmp_path, monkeypatch):
    content = copy_fixture("minimal/content")
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    before = sorted(p.relative_to(content) for p in content.rglob("*"))
    monkeypatch.chdir(tmp_path)
    for out, said in ((content, f"it holds the content ({content})"),
                      (tmp_path, f"it holds the content ({content})"),
                      (Path("."), f"it holds the content ({content})"),
                      (content / "site", f"it lies inside the content ({content})"),
                      (templates / "site", f"it lies inside the templates ({templates})")):
        result = build(content, out, templates)
        assert result.exit_code == 1, out
        assert f"Error: refusing to build into {out}: {said}" in result.stderr, result.stderr
    assert sorted(p.relative_to(content) for p in content.rglob("*")) == before
    assert not (templates / "site").exists()
    monkeypatch.chdir(content / "facts")  # the site would replace the folder one is in
    result = build(content, tmp_path, templates)
    assert "it holds the content" in result.stderr and result.exit_code == 1
    inside = tmp_path / "elsewhere" / "here"
    inside.mkdir(parents=True)
    monkeypatch.chdir(inside)
    result = build(content, tmp_path / "elsewhere", templates)
    assert result.exit_code == 1
    assert (f"refusing to build into {tmp_path / 'elsewhere'}: it holds the folder you are in "
            f"({inside})" in result.stderr)
    assert inside.is_dir()


def test_build_refuses_a_file_as_its_output(tmp_path):
    out = tmp_path / "site"
    out.write_text("not a folder")
    result = build(MINIMAL, out)
    assert result.exit_code == 1
    assert f"Error: --out {out}: a file, not a folder" in result.stderr
    assert out.read_text() == "not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_build_replaces_an_empty_folder_and_a_site_it_built(tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    assert build(MINIMAL, out).exit_code == 0  # an empty folder
    assert (out / ".reportgen-site").read_text().startswith("This folder is a site built by "
                                                           "reportgen.")
    (out / "stray.txt").write_text("left by hand")
    result = run_cli("build", "--content", MINIMAL, "--templates", TEMPLATES, "--out", out,
                     "--no-cache")
    assert result.exit_code == 0, result.output
    assert not (out / "stray.txt").exists()  # a site reportgen built is replaced whole
    (out / ".reportgen-site").unlink()  # a site built before there was a mark:
    assert build(MINIMAL, out).exit_code == 0  # its JavaScript bundle says reportgen made it
    (out / ".reportgen-site").unlink()
    (out / "static" / "vendor" / "vega-bundle.js").unlink()
    assert build(MINIMAL, out).exit_code == 1  # without the mark, it is not taken for one


def test_an_unchanged_rebuild_says_the_warnings_again(copy_fixture, tmp_path):
    content = copy_fixture("minimal/content")
    sources = content / "sources.yaml"
    sources.write_text(sources.read_text() + """
  - id: lepas-2024
    publisher: Lepas
    title: Tidak dikutip
    url: https://example.org/lepas
    date: "2024-05-01"
    authors: []
""")
    first = build(content, tmp_path / "site")
    assert first.exit_code == 0, first.output
    said = [line for line in first.stderr.splitlines() if "warning: RG303" in line]
    assert said and "lepas-2024" in said[0]
    second = build(content, tmp_path / "site")
    assert second.exit_code == 0
    assert "Nothing changed: 26 pages" in second.stdout
    assert [line for line in second.stderr.splitlines() if "warning:" in line] == said
    # From another folder: the same quick answer, the warnings' paths shown from there.
    os.chdir(content)
    try:
        third = build(content, tmp_path / "site")
    finally:
        os.chdir(ROOT)
    assert "Nothing changed: 26 pages" in third.stdout
    assert [line for line in third.stderr.splitlines() if "warning:" in line] == [
        line.replace(f"{content}/", "") for line in said]


def test_the_site_folder_can_be_read_by_others_as_any_new_folder(tmp_path):
    """A web server running as another user serves the folder: the site's top folder gets
    the permissions the umask gives a new folder (it was its owner's alone, 0700)."""
    old = os.umask(0o022)
    try:
        assert build(MINIMAL, tmp_path / "site").exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "site").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "site" / "regions").stat().st_mode) == 0o755
