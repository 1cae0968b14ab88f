"""`reportgen check`: every problem in one run, located, with a stable rule id.

The fixtures in tests/data/invalid/ each hold one kind of problem.  Their first comment
lines say how to use them:

    # target: facts/zz-case.yaml     where the file goes inside a copy of the minimal content
    # expect: RG104 8:13 unknown ... rule, line:col and part of the message (one or more)
    # exit: 1                        the exit code of `reportgen check`
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import reportgen.content
from reportgen.errors import RULES
from tests.conftest import CONTENT, DATA, SEEDS, run_cli

MINIMAL = DATA / "minimal" / "content"
ARCHIVE = DATA / "minimal" / "archive"
INVALID = DATA / "invalid"

PROBLEM_LINE = re.compile(
    r"^(?P<path>.+):(?P<line>\d+):(?P<col>\d+): (?P<warning>warning: )?(?P<rule>RG\d{3}) "
    r"(?P<rest>.*)$")
GITHUB_LINE = re.compile(
    r"^::(?P<type>error|warning) file=(?P<file>[^,:]*),line=(?P<line>\d+),col=(?P<col>\d+),"
    r"title=(?P<title>RG\d{3})::(?P<message>.*)$")


# --- helpers -----------------------------------------------------------------------------

@dataclass
class Expect:
    rule: str
    line: int
    col: int
    message: str


@dataclass
class Fixture:
    path: Path
    target: str
    exit: int
    expects: list[Expect] = field(default_factory=list)


def read_fixture(path: Path) -> Fixture:
    """The header of a fixture: its leading '# key: value' comment lines."""
    target, exit_code, expects = None, None, []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].strip().partition(":")
        value = value.strip()
        if key == "target":
            target = value
        elif key == "exit":
            exit_code = int(value)
        elif key == "expect":
            match = re.fullmatch(r"(RG\d{3}) (\d+):(\d+) (.+)", value)
            assert match, f"{path.name}: bad expect line {line!r}"
            expects.append(Expect(match[1], int(match[2]), int(match[3]), match[4]))
    assert target and exit_code is not None and expects, f"{path.name}: incomplete header"
    return Fixture(path, target, exit_code, expects)


FIXTURES = sorted(INVALID.glob("*.yaml"))


def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(MINIMAL, target)
    return target


def problem_lines(output: str) -> list[re.Match]:
    """Every printed problem line, parsed (lines are split at '\\n' only, as terminals do)."""
    return [m for line in output.split("\n") if (m := PROBLEM_LINE.match(line))]


def find(output: str, path_end: str, rule: str, line: int | None = None,
         col: int | None = None) -> list[re.Match]:
    return [m for m in problem_lines(output)
            if m["path"].endswith(path_end) and m["rule"] == rule
            and (line is None or int(m["line"]) == line)
            and (col is None or int(m["col"]) == col)]


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not found exactly once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


# --- one fixture per problem class -------------------------------------------------------

def test_fixtures_cover_every_required_problem_class():
    rules = {e.rule for path in FIXTURES for e in read_fixture(path).expects}
    required = {"RG002", "RG003", "RG004", "RG005", "RG101", "RG102", "RG103", "RG104",
                "RG105", "RG106", "RG107", "RG201", "RG202", "RG203", "RG204", "RG205",
                "RG206", "RG207", "RG208", "RG301", "RG302", "RG303", "RG307", "RG308"}
    assert required <= rules, sorted(required - rules)
    assert rules <= set(RULES)


@pytest.mark.parametrize("fixture_path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_invalid_fixture(fixture_path: Path, tmp_path):
    fixture = read_fixture(fixture_path)
    content = content_copy(tmp_path)
    target = content / fixture.target
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(fixture_path, target)

    result = run_cli("check", "--content", content)

    assert "Traceback" not in result.output
    assert result.exit_code == fixture.exit, result.output
    for expect in fixture.expects:
        at = find(result.output, fixture.target, expect.rule, expect.line, expect.col)
        assert at, (f"expected {expect.rule} at {fixture.target}:{expect.line}:{expect.col}"
                    f"\n{result.output}")
        assert any(expect.message in m["rest"] for m in at), result.output
        severity = {bool(m["warning"]) for m in at}
        assert severity == {fixture.exit == 0}, "warnings exit 0, errors exit 1"
    summary = "OK: " if fixture.exit == 0 else "Check failed: "
    assert summary in result.output


def real_content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


def test_thousands_separator_is_rg103_at_the_number(tmp_path):
    """'7.500 keluarga' written as `value: 7.500` reads as 7.5 in YAML: check refuses it
    where it stands instead of saying OK (the site would show '7,5 keluarga')."""
    content = real_content_copy(tmp_path)
    facts = content / "facts" / "parepare.yaml"
    replace_once(facts, "    value: 744\n", "    value: 7.500\n")
    result = run_cli("check", "--content", content)
    assert result.exit_code == 1, result.output
    assert [m.group(0) for m in problem_lines(result.output)] == [
        f"{facts}:29:12: RG103 value 7.500 reads as 7.5, not 7500 (YAML reads a dot as a "
        "decimal point; write digits without separators: 7500)"]
    assert "Check failed: 1 error(s), 0 warning(s)" in result.output


def test_repeated_fact_id_is_reported_with_the_other_problems_of_its_fact(tmp_path):
    """The second fact of a file takes the first one's id and has a misspelt status: one
    run reports both, and so does the next run, which reads the file from the cache."""
    content = real_content_copy(tmp_path)
    facts = content / "facts" / "parepare.yaml"
    lines = facts.read_text(encoding="utf-8").split("\n")
    assert lines[53] == "  - id: parepare-target-peserta-2026" and lines[60] == "    status: target"
    lines[53], lines[60] = "  - id: parepare-target-keluarga-2025", "    status: targte"
    facts.write_text("\n".join(lines), encoding="utf-8")
    expected = [
        f"{facts}:54:5: RG106 fact id 'parepare-target-keluarga-2025' is used twice "
        f"(first at {facts}:39:5; ids must be unique)",
        f"{facts}:61:13: RG107 'status' of fact cannot be 'targte' (did you mean 'target'?)"]
    for _ in range(2):
        result = run_cli("check", "--content", content)
        assert result.exit_code == 1, result.output
        assert [m.group(0) for m in problem_lines(result.output)] == expected
        assert "Check failed: 2 error(s), 0 warning(s)" in result.output


def test_non_utf8_file_is_reported_with_the_other_problems(tmp_path):
    content = content_copy(tmp_path)
    (content / "facts" / "latin1.yaml").write_bytes(
        b"facts:\n  - id: caf\xe9-2024\n    region: kota-contoh\n")
    shutil.copyfile(INVALID / "rg104-unknown-reference.yaml", content / "facts" / "zz-case.yaml")
    result = run_cli("check", "--content", content)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [match] = find(result.output, "facts/latin1.yaml", "RG001", 2, 12)
    assert "byte 0xe9 is not UTF-8" in match["rest"]
    # One run reports every problem: the other file's errors are there too.
    assert len(find(result.output, "facts/zz-case.yaml", "RG104")) == 3
    assert "4 error(s)" in result.output


def test_missing_registry_file(tmp_path):
    content = content_copy(tmp_path)
    (content / "metrics.yaml").unlink()
    result = run_cli("check", "--content", content)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [match] = find(result.output, "metrics.yaml", "RG006", 1, 1)
    assert "metrics.yaml is missing" in match["rest"]


def test_every_problem_line_has_rule_hint_and_location(tmp_path):
    content = content_copy(tmp_path)
    shutil.copyfile(INVALID / "rg104-unknown-reference.yaml", content / "facts" / "zz-case.yaml")
    result = run_cli("check", "--content", content)
    lines = [line for line in result.stderr.split("\n") if line and
             not line.startswith("Check failed: ")]
    assert len(lines) == 3
    for line in lines:
        match = PROBLEM_LINE.match(line)
        assert match, line
        assert match["rule"] in RULES
        assert match["rest"].endswith(")"), "every problem here has a hint in parentheses"


# --- quotes against the archive ---------------------------------------------------------

def test_archive_check_passes_on_minimal_content():
    result = run_cli("check", "--content", MINIMAL, "--archive", ARCHIVE, "--strict")
    assert result.exit_code == 0, result.output
    assert "OK: 3 facts, 2 sources, 3 regions; 0 error(s), 0 warning(s)" in result.output


def test_changed_quote_is_rg304_at_the_quote(tmp_path):
    content = content_copy(tmp_path)
    replace_once(content / "facts" / "kota-contoh.yaml",
                 "Tahun lalu seribu pekerja sudah terlindungi.",
                 "Tahun lalu seribu pekerja telah terlindungi.")
    assert run_cli("check", "--content", content).exit_code == 0  # only the archive knows
    result = run_cli("check", "--content", content, "--archive", ARCHIVE)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [match] = find(result.output, "facts/kota-contoh.yaml", "RG304", 13, 16)
    assert "quote is not in the text of 'harian-2024-03-01' (harian.txt)" in match["rest"]
    assert not find(result.output, "", "RG305"), "the figure ('seribu') is still quoted"
    assert len(problem_lines(result.output)) == 1


def test_quote_matching_normalises_white_space_and_quote_marks(tmp_path):
    content = content_copy(tmp_path)
    archive = tmp_path / "archive"
    shutil.copytree(ARCHIVE, archive)
    replace_once(archive / "harian.txt", "Pemerintah kota menganggarkan Rp2,2 miliar.",
                 "Pemerintah  kota\u00a0menganggarkan\n\u201cRp2,2 miliar\u201d.")
    replace_once(content / "facts" / "kota-contoh.yaml",
                 "quote: Pemerintah kota menganggarkan Rp2,2 miliar.",
                 "quote: 'Pemerintah kota menganggarkan \"Rp2,2 miliar\".'")
    result = run_cli("check", "--content", content, "--archive", archive)
    assert result.exit_code == 0, result.output
    assert problem_lines(result.output) == []
    # ... but nothing more than that is forgiven: letter case is not normalised.
    replace_once(content / "facts" / "kota-contoh.yaml", "'Pemerintah kota", "'pemerintah kota")
    result = run_cli("check", "--content", content, "--archive", archive)
    assert result.exit_code == 1
    assert find(result.output, "facts/kota-contoh.yaml", "RG304", 37, 16)


def test_value_not_in_its_quote_is_rg305(tmp_path):
    content = content_copy(tmp_path)
    replace_once(content / "facts" / "kota-contoh.yaml", "value: 1000\n", "value: 1200\n")
    result = run_cli("check", "--content", content, "--archive", ARCHIVE)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [match] = find(result.output, "facts/kota-contoh.yaml", "RG305", 13, 16)
    assert "of fact 'kota-contoh-peserta-2023' is not in its quote" in match["rest"]
    assert "derivation:" in match["rest"]  # the hint says how to fix it
    assert not find(result.output, "", "RG304")


def test_derivation_silences_rg305(tmp_path):
    content = content_copy(tmp_path)
    replace_once(content / "facts" / "kota-contoh.yaml", "value: 1000\n",
                 "value: 1200\n    derivation: Seribu ditambah dua ratus dari tabel lampiran.\n")
    result = run_cli("check", "--content", content, "--archive", ARCHIVE, "--strict")
    assert result.exit_code == 0, result.output
    assert problem_lines(result.output) == []


def test_missing_article_text_is_rg306(tmp_path):
    content = content_copy(tmp_path)
    replace_once(content / "sources.yaml", "archive: warta.txt", "archive: warta-hilang.txt")
    result = run_cli("check", "--content", content, "--archive", ARCHIVE)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [match] = find(result.output, "sources.yaml", "RG306", 9, 5)
    assert "article text 'warta-hilang.txt' of source 'warta-2024' is not in" in match["rest"]
    assert not match["warning"]


def test_source_without_archive_is_rg309_warning_and_strict_fails(tmp_path):
    content = content_copy(tmp_path)
    replace_once(content / "sources.yaml", "    archive: warta.txt\n", "")
    result = run_cli("check", "--content", content, "--archive", ARCHIVE)
    assert result.exit_code == 0, result.output
    [match] = find(result.output, "sources.yaml", "RG309", 9, 5)
    assert match["warning"]
    assert "source 'warta-2024' names no article text" in match["rest"]
    assert "0 error(s), 1 warning(s)" in result.output
    # Without --archive nothing is verified, so nothing is said about it.
    assert problem_lines(run_cli("check", "--content", content).output) == []
    strict = run_cli("check", "--content", content, "--archive", ARCHIVE, "--strict")
    assert strict.exit_code == 1
    assert find(strict.output, "sources.yaml", "RG309", 9, 5)
    assert "Check failed: 0 error(s), 1 warning(s)" in strict.output


def test_archive_folder_that_does_not_exist_is_a_usage_error(tmp_path):
    result = run_cli("check", "--content", MINIMAL, "--archive", tmp_path / "no-such-folder")
    assert result.exit_code == 2
    assert "--archive" in result.output
    assert "no-such-folder" in result.output
    assert "Traceback" not in result.output


def test_quote_problems_are_reported_alongside_unrelated_errors(tmp_path):
    content = content_copy(tmp_path)
    replace_once(content / "facts" / "kota-contoh.yaml",
                 "Tahun lalu seribu pekerja sudah terlindungi.",
                 "Tahun lalu seribu pekerja telah terlindungi.")
    (content / "facts" / "zz-case.yaml").write_text(
        (INVALID / "rg104-unknown-reference.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    result = run_cli("check", "--content", content, "--archive", ARCHIVE)
    assert result.exit_code == 1
    assert len(find(result.output, "facts/zz-case.yaml", "RG104")) == 3
    assert find(result.output, "facts/kota-contoh.yaml", "RG304", 13, 16), result.output


# --- --strict ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["rg303-uncited-source", "rg307-disagreement",
                                  "rg308-repeated-figure"])
def test_strict_turns_warnings_into_failure(name, tmp_path):
    fixture = read_fixture(INVALID / f"{name}.yaml")
    content = content_copy(tmp_path)
    shutil.copyfile(fixture.path, content / fixture.target)
    relaxed = run_cli("check", "--content", content)
    assert relaxed.exit_code == 0
    assert "0 error(s), 1 warning(s)" in relaxed.output
    strict = run_cli("check", "--content", content, "--strict")
    assert strict.exit_code == 1
    assert "Check failed: 0 error(s), 1 warning(s)" in strict.output
    assert find(strict.output, fixture.target, fixture.expects[0].rule)


def test_strict_passes_clean_content():
    result = run_cli("check", "--content", MINIMAL, "--strict")
    assert result.exit_code == 0
    assert "OK: " in result.output


# --- --format json -------------------------------------------------------------------------

def test_json_format_lists_every_problem(tmp_path):
    content = content_copy(tmp_path)
    shutil.copyfile(INVALID / "rg104-unknown-reference.yaml", content / "facts" / "zz-case.yaml")
    result = run_cli("check", "--content", content, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["summary"] == {"errors": 3, "warnings": 0}
    problems = report["problems"]
    assert [(p["rule"], p["line"], p["column"]) for p in problems] == [
        ("RG104", 8, 13), ("RG104", 9, 21), ("RG104", 16, 17)]
    for p in problems:
        assert p["path"].endswith("facts/zz-case.yaml")
        assert p["severity"] == "error"
        assert p["rule_summary"] == RULES["RG104"]
        assert p["message"].startswith("unknown ")
        assert p["hint"].startswith("did you mean")
    assert problems[0]["message"] == "unknown region 'kota-contho'"


def test_json_format_warnings_and_clean_content(tmp_path):
    clean = run_cli("check", "--content", MINIMAL, "--format", "json")
    assert clean.exit_code == 0
    assert json.loads(clean.stdout) == {"summary": {"errors": 0, "warnings": 0}, "problems": []}

    content = content_copy(tmp_path)
    shutil.copyfile(INVALID / "rg307-disagreement.yaml", content / "facts" / "zz-case.yaml")
    result = run_cli("check", "--content", content, "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["summary"] == {"errors": 0, "warnings": 1}
    [problem] = report["problems"]
    assert (problem["rule"], problem["severity"], problem["line"]) == ("RG307", "warning", 7)
    assert run_cli("check", "--content", content, "--format", "json",
                   "--strict").exit_code == 1


# --- --format github ---------------------------------------------------------------------

def github_escape_property(text: str) -> str:
    return (text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            .replace(":", "%3A").replace(",", "%2C"))


def test_github_format_escapes_properties_and_messages(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    odd = tmp_path / "a,b:c%d"
    odd.mkdir()
    content = odd / "content"
    shutil.copytree(MINIMAL, content)
    with open(content / "facts" / "kota-contoh.yaml", "a", encoding="utf-8") as out:
        out.write('    "re%gion\\nx": 1\n')  # a key holding '%' and a line break
    (content / "facts" / "zz-broken.yaml").write_text(
        (INVALID / "rg002-yaml-syntax.yaml").read_text(encoding="utf-8"), encoding="utf-8")

    result = run_cli("check", "--content", content, "--format", "github")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [line for line in result.stdout.split("\n") if line.startswith("::")]
    assert len(lines) == 2, result.stdout
    for line in lines:
        assert GITHUB_LINE.match(line), line
    facts_file = github_escape_property(str(content / "facts" / "kota-contoh.yaml"))
    assert "%2C" in facts_file and "%3A" in facts_file and "%25" in facts_file
    assert (f"::error file={facts_file},line=40,col=5,title=RG101::"
            "unknown key 're%25gion\\nx' in fact (did you mean 'region'?)") in lines
    broken = github_escape_property(str(content / "facts" / "zz-broken.yaml"))
    # In the message, ':' and ',' stay as they are; only properties escape them.
    assert (f"::error file={broken},line=6,col=17,title=RG002::YAML does not parse: mapping "
            "values are not allowed in this context (check indentation, colons and quotes on "
            "this line and the one above)") in lines
    assert result.stdout.rstrip("\n").split("\n")[-1] == "Check failed: 2 error(s), 0 warning(s)"


def many_errors_file(count: int) -> str:
    facts = ["facts:"]
    for i in range(count):
        facts += [f"  - id: zz-many-{i}", f"    region: kota-hilang-{i}", "    programs: [jkk]",
                  "    metric: participants-protected", "    value: 10", "    unit: people",
                  '    period: "2024"', "    status: target", "    sources:",
                  "      - source: harian-2024-03-01",
                  "        quote: Tahun lalu seribu pekerja sudah terlindungi."]
    return "\n".join(facts) + "\n"


def test_github_format_shows_ten_annotations_and_summarises_all(tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    content = content_copy(tmp_path)
    (content / "facts" / "zz-many.yaml").write_text(many_errors_file(12), encoding="utf-8")

    result = run_cli("check", "--content", content, "--format", "github")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    annotations = [line for line in result.stdout.split("\n") if line.startswith("::")]
    assert len(annotations) == 10
    assert all(line.startswith("::error ") and "title=RG104::" in line for line in annotations)
    assert "Check failed: 12 error(s), 0 warning(s)" in result.stdout

    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n"), "the summary is appended, not overwritten"
    rows = [line for line in text.split("\n") if line.startswith("| ") and "RG104" in line]
    assert len(rows) == 12
    for i, row in enumerate(rows):
        assert f"zz-many.yaml:{3 + 11 * i}:13`" in row
        assert f"unknown region 'kota-hilang-{i}'" in row
    assert "12 error(s), 0 warning(s)" in text


def test_github_format_without_summary_variable_writes_no_file(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.chdir(tmp_path)
    result = run_cli("check", "--content", MINIMAL, "--format", "github")
    assert result.exit_code == 0
    assert result.stdout.strip() == "OK: 0 error(s), 0 warning(s)"
    assert list(tmp_path.iterdir()) == []


def test_problem_with_line_break_in_a_key_stays_on_one_line(tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    content = content_copy(tmp_path)
    with open(content / "facts" / "kota-contoh.yaml", "a", encoding="utf-8") as out:
        out.write('    "re%gion\\nx": 1\n')
    result = run_cli("check", "--content", content)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.split("\n") if line]
    assert len(lines) == 2, lines  # the problem and 'Check failed'
    assert PROBLEM_LINE.match(lines[0])
    run_cli("check", "--content", content, "--format", "github")
    rows = [line for line in summary.read_text().split("\n") if line.startswith("|")]
    assert len(rows) == 3  # header, separator, the problem
    assert all(row.endswith("|") and row.count("|") - row.count("\\|") == 6 for row in rows)


# --- the real content --------------------------------------------------------------------

def test_real_content_passes_strict_check_against_the_seeds():
    if not SEEDS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SEEDS} is missing: CI must verify every quote")
        pytest.skip(f"{SEEDS} is missing")
    result = run_cli("check", "--content", CONTENT, "--archive", SEEDS, "--strict")
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output
    assert problem_lines(result.output) == []


# --- internal errors ---------------------------------------------------------------------

def test_internal_error_is_rg900_naming_the_file(tmp_path, monkeypatch):
    def explode(self, fact, data, display):
        raise RuntimeError("boom")

    monkeypatch.setattr(reportgen.content._ContentBuilder, "check_figure", explode)
    content = content_copy(tmp_path)
    result = run_cli("check", "--content", content)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [match] = find(result.output, "facts/kota-contoh.yaml", "RG900", 1, 1)
    assert match["path"] == str(content / "facts" / "kota-contoh.yaml")
    assert "internal error" in match["rest"]
    assert "RuntimeError: boom" in match["rest"]
    assert "Check failed: 1 error(s)" in result.output

    report = json.loads(run_cli("check", "--content", content, "--format", "json").stdout)
    assert [p["rule"] for p in report["problems"]] == ["RG900"]


def test_internal_error_before_any_file_names_this_content_folder(tmp_path, monkeypatch):
    assert run_cli("check", "--content", MINIMAL).exit_code == 0

    def explode(content_dir):
        raise RuntimeError("boom")

    monkeypatch.setattr(reportgen.content, "find_content_files", explode)
    content = content_copy(tmp_path)
    result = run_cli("check", "--content", content)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [match] = find(result.output, "", "RG900")
    assert match["path"].startswith(str(content)), match["path"]
