"""`reportgen diff BASE [HEAD]`: the facts that changed between two git revisions."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from reportgen.diff import ContentDiff, markdown_report
from reportgen.errors import Problem
from tests.conftest import DATA, run_cli

MINIMAL = DATA / "minimal" / "content"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

NEW_FACT = """\
  - id: kota-contoh-peserta-2022
    region: kota-contoh
    programs: [jkk]
    metric: participants-protected
    value: 800
    unit: people
    period: "2022"
    status: actual
    sources:
      - source: warta-2024
        quote: Pada 2022 ada 800 peserta.
"""

OLD_QUOTE = "Tahun ini targetnya sekitar 1500 hingga 2000 orang."
NEW_QUOTE = "Tahun ini targetnya 1500 sampai 2000 orang."


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org",
         "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", "-C", str(repo), *args],
        check=True, capture_output=True, text=True).stdout.strip()


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A git repository whose first commit holds the minimal content as content/."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    shutil.copytree(MINIMAL, root / "content")
    (root / "README.md").write_text("test repository\n", encoding="utf-8")
    commit(root, "base")
    monkeypatch.chdir(root)
    return root


def change_facts(root: Path) -> None:
    """Add a fact, remove one, change a value and a quote."""
    facts = root / "content" / "facts" / "kota-contoh.yaml"
    text = facts.read_text(encoding="utf-8")
    start = text.index("  - id: kota-contoh-peserta-2023")
    end = text.index("  - id: kota-contoh-target-2024")
    facts.write_text(text[:start] + text[end:] + NEW_FACT, encoding="utf-8")
    edit(facts, "value: 2200000000", "value: 2500000000")
    edit(facts, OLD_QUOTE, NEW_QUOTE)


@pytest.fixture
def revisions(repo) -> tuple[str, str]:
    base = git(repo, "rev-parse", "HEAD")
    change_facts(repo)
    head = commit(repo, "change facts")
    return base, head


def both_languages(*paths: str) -> list[str]:
    """The output paths of pages in Indonesian (at the root) and English (under en/)."""
    return sorted([*paths, *(f"en/{path}" for path in paths)])


def pages_section(*paths: str) -> str:
    """The 'Pages affected' section of a report listing *paths* in both languages."""
    return (f"Paths of the Bahasa Indonesia pages; each one's English version, at the same "
            f"path under `en/`, is affected too ({2 * len(paths)} pages in all).\n\n"
            + "\n".join(f"- `{path}`" for path in sorted(paths)))


def sections(markdown: str) -> dict[str, str]:
    """'### Title (n)' sections of a report, by title without the count: their text
    without the blank lines around it."""
    found = {}
    for part in markdown.split("\n### ")[1:]:
        title, _, body = part.partition("\n")
        found[title.rsplit(" (", 1)[0]] = body.strip("\n")
    return found


def test_diff_between_two_commits(revisions):
    base, head = revisions
    result = run_cli("diff", base, head)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(f"## Fact changes: {base} → {head}\n")
    assert "1 added, 1 removed, 2 changed; 0 new problem(s)." in out
    parts = sections(out)
    assert set(parts) == {"Added", "Removed", "Changed", "Pages affected"}
    assert "`kota-contoh-peserta-2022`" in parts["Added"]
    assert "800 orang" in parts["Added"]
    assert "`kota-contoh-peserta-2023`" in parts["Removed"]
    assert "`kota-contoh-peserta-2023`" not in parts["Added"] + parts["Changed"]
    changed = parts["Changed"]
    assert "`kota-contoh-anggaran-2024`" in changed
    assert "`kota-contoh-target-2024`" in changed
    assert "  - value: Rp2,2 miliar → Rp2,5 miliar (+13.6%)" in changed
    assert f"  - quote (harian-2024-03-01): {OLD_QUOTE} → {NEW_QUOTE}" in changed
    # Nothing else about the two changed facts changed.
    assert len([line for line in changed.split("\n") if line.startswith("  - ")]) == 2
    # The removed fact was a headline figure: the overview showed it.  The list of
    # sources counts the figures of each source, and the overview those of each region.
    assert "### Pages affected (7)\n" in out
    assert parts["Pages affected"] == pages_section(
        "index.html", "programs/iuran-apbd/index.html", "programs/jkk/index.html",
        "regions/kota-contoh/index.html", "sources/harian-2024-03-01/index.html",
        "sources/index.html", "sources/warta-2024/index.html")
    assert "Traceback" not in result.output


def test_diff_output_is_stable(revisions):
    base, head = revisions
    first = run_cli("diff", base, head)
    second = run_cli("diff", base, head)
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout
    json_first = run_cli("diff", base, head, "--format", "json").stdout
    assert json_first == run_cli("diff", base, head, "--format", "json").stdout


def test_diff_as_json(revisions):
    base, head = revisions
    result = run_cli("diff", base, head, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["base"], report["head"]) == (base, head)
    assert [f["id"] for f in report["added"]] == ["kota-contoh-peserta-2022"]
    assert report["added"][0]["value"] == 800
    assert [f["id"] for f in report["removed"]] == ["kota-contoh-peserta-2023"]
    changed = {c["id"]: c for c in report["changed"]}
    assert set(changed) == {"kota-contoh-anggaran-2024", "kota-contoh-target-2024"}
    budget = changed["kota-contoh-anggaran-2024"]
    assert budget["percent"] == pytest.approx(300 / 22)
    assert budget["fields"] == [{"field": "value", "old": "Rp2,2 miliar", "new": "Rp2,5 miliar"}]
    assert changed["kota-contoh-target-2024"]["percent"] is None
    assert changed["kota-contoh-target-2024"]["fields"] == [
        {"field": "quote (harian-2024-03-01)", "old": OLD_QUOTE, "new": NEW_QUOTE}]
    assert report["pages"] == both_languages(
        "index.html", "programs/iuran-apbd/index.html", "programs/jkk/index.html",
        "regions/kota-contoh/index.html", "sources/harian-2024-03-01/index.html",
        "sources/index.html", "sources/warta-2024/index.html")
    assert report["broken"] == []
    assert report["new_problems"] == []


def test_head_defaults_to_the_working_tree(repo):
    facts = repo / "content" / "facts" / "kota-contoh.yaml"
    edit(facts, "value: 2200000000", "value: 2400000000")  # not committed
    result = run_cli("diff", "HEAD")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("## Fact changes: HEAD → working tree\n")
    assert "0 added, 0 removed, 1 changed; 0 new problem(s)." in result.stdout
    assert "  - value: Rp2,2 miliar → Rp2,4 miliar (+9.1%)" in result.stdout
    # Not a headline figure, and no count changes: the overview and the list of sources
    # look the same.
    assert sections(result.stdout)["Pages affected"] == pages_section(
        "programs/iuran-apbd/index.html", "regions/kota-contoh/index.html",
        "sources/harian-2024-03-01/index.html", "sources/warta-2024/index.html")
    # An explicit HEAD is the commit, not the working tree.
    same = run_cli("diff", "HEAD", "HEAD")
    assert "No fact changes and no new problems." in same.stdout
    assert json.loads(run_cli("diff", "HEAD", "--format", "json").stdout)["head"] is None


def test_revision_against_itself_reports_no_change(revisions):
    base, head = revisions
    for rev in (base, head):
        result = run_cli("diff", rev, rev)
        assert result.exit_code == 0
        assert result.stdout == (f"## Fact changes: {rev} → {rev}\n\n"
                                 "No fact changes and no new problems.\n\n")
        report = json.loads(run_cli("diff", rev, rev, "--format", "json").stdout)
        assert (report["added"], report["removed"], report["changed"], report["pages"],
                report["new_problems"]) == ([], [], [], [], [])


def test_new_problems_are_listed_but_old_ones_are_not(repo):
    facts = repo / "content" / "facts" / "kota-contoh.yaml"
    edit(facts, "value: 1000\n", "value: -1000\n")  # a problem already in the base
    base = commit(repo, "negative value")
    text = facts.read_text(encoding="utf-8")
    facts.write_text(text + NEW_FACT.replace("region: kota-contoh", "region: kota-contho"),
                     encoding="utf-8")
    line = text.count("\n") + 2  # the region line of the appended fact

    result = run_cli("diff", base)
    assert result.exit_code == 1, result.output
    assert result.stderr == "Diff failed: 1 new error(s) at the working tree.\n"
    assert "0 added, 0 removed, 0 changed; 1 new problem(s)." in result.stdout
    problems = sections(result.stdout)["Problems this change introduces"]
    assert (f"- `content/facts/kota-contoh.yaml:{line}:13: RG104 unknown region 'kota-contho' "
            "(did you mean 'kota-contoh'?)`") in problems
    assert "RG202" not in problems

    as_json = run_cli("diff", base, "--format", "json")
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert [(p["rule"], p["path"], p["line"]) for p in report["new_problems"]] == [
        ("RG104", "content/facts/kota-contoh.yaml", line)]


@pytest.mark.parametrize("args, rev", [
    (["no-such-revision"], "no-such-revision"),
    (["HEAD", "no-such-revision"], "no-such-revision"),
    (["--", "--output=/tmp/x"], "--output=/tmp/x"),  # never passed to git as an option
])
def test_unknown_revision_exits_2_with_a_message(repo, args, rev):
    result = run_cli("diff", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (f"Error: unknown revision '{rev}' (a commit, branch or tag of "
                             "this repository)\n")


def test_diff_outside_a_repository_exits_2(tmp_path, monkeypatch):
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    result = run_cli("diff", "HEAD")
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {outside} is not in a git repository (run reportgen "
                             "diff inside the repository whose revisions it compares)\n")


def test_diff_without_git_exits_2(repo, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    result = run_cli("diff", "HEAD")
    assert result.exit_code == 2
    assert result.stderr == ("Error: git is not installed (reportgen diff reads the revisions "
                             "with it)\n")


def test_diff_of_a_missing_content_folder_exits_2(repo):
    result = run_cli("diff", "HEAD", "--content", "no-such-folder")
    assert result.exit_code == 2
    assert result.stderr == ("Error: no content folder 'no-such-folder' in the working tree "
                             "(--content names it, relative to the repository's top folder)\n")


def test_a_second_occurrence_of_an_old_problem_is_new(repo):
    facts = repo / "content" / "facts" / "kota-contoh.yaml"
    edit(facts, "    region: kota-contoh\n    programs: [jkk]\n",
         "    region: kota-contho\n    programs: [jkk]\n")
    base = commit(repo, "one unknown region")
    edit(facts, "    region: kota-contoh\n    programs: [jkk, iuran-apbd]\n",
         "    region: kota-contho\n    programs: [jkk, iuran-apbd]\n")
    result = run_cli("diff", base)
    assert result.exit_code == 1, result.output
    problems = sections(result.stdout).get("Problems this change introduces", "")
    assert "kota-contoh.yaml:15:13: RG104 unknown region 'kota-contho'" in problems


def test_new_warnings_alone_do_not_fail_the_diff(repo):
    """Removing the only fact citing a source leaves that source uncited (a warning)."""
    facts = repo / "content" / "facts" / "kota-contoh.yaml"
    text = facts.read_text(encoding="utf-8")
    facts.write_text(text[:text.index("  - id: kota-contoh-anggaran-2024")], encoding="utf-8")
    result = run_cli("diff", "HEAD")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    problems = sections(result.stdout)["Problems this change introduces"]
    assert "warning: RG303 source 'warta-2024' is not cited by any fact" in problems


def test_pages_affected_are_every_page_showing_the_fact_in_both_languages(repo):
    """A headline figure is on the overview as well as on its region's, programs' and
    sources' pages; every one of them also exists in English."""
    facts = repo / "content" / "facts" / "kota-contoh.yaml"
    edit(facts, "value: 1000\n", "value: 1200\n")  # kota-contoh-peserta-2023, a headline
    result = run_cli("diff", "HEAD")
    assert result.exit_code == 0, result.output
    assert "  - value: 1.000 orang → 1.200 orang (+20%)" in result.stdout
    assert "### Pages affected (4)\n" in result.stdout
    assert sections(result.stdout)["Pages affected"] == pages_section(
        "index.html", "programs/jkk/index.html", "regions/kota-contoh/index.html",
        "sources/harian-2024-03-01/index.html")
    report = json.loads(run_cli("diff", "HEAD", "--format", "json").stdout)
    assert report["pages"] == both_languages(
        "index.html", "programs/jkk/index.html", "regions/kota-contoh/index.html",
        "sources/harian-2024-03-01/index.html")


def test_a_page_affected_in_one_language_only_is_listed_by_its_own_path():
    diff = ContentDiff(pages=["en/about/index.html", "en/index.html", "index.html"],
                       new_problems=[Problem("content/x.yaml", 1, 1, "RG303", "m",
                                             severity="warning")])
    pages = sections(markdown_report(diff, "main", None))["Pages affected"]
    assert pages == ("Paths of the Bahasa Indonesia pages; each one's English version, at "
                     "the same path under `en/`, is affected too (3 pages in all).\n\n"
                     "- `en/about/index.html` (its English version only)\n"
                     "- `index.html`")


def test_an_added_figure_changes_the_counts_on_the_overview_and_the_list_of_sources(repo):
    facts = repo / "content" / "facts" / "kota-contoh.yaml"
    facts.write_text(facts.read_text(encoding="utf-8") + NEW_FACT, encoding="utf-8")
    result = run_cli("diff", "HEAD")
    assert result.exit_code == 0, result.output
    assert sections(result.stdout)["Pages affected"] == pages_section(
        "index.html", "programs/jkk/index.html", "regions/kota-contoh/index.html",
        "sources/index.html", "sources/warta-2024/index.html")


def test_pages_showing_a_figure_that_disagrees_with_a_new_one_are_affected(repo):
    """kota-contoh-peserta-2023 (JKK, from harian-2024-03-01) gets a marker naming the
    new figure: its pages change too, as the build renders them again."""
    facts = repo / "content" / "facts" / "kota-contoh.yaml"
    other = (NEW_FACT.replace("peserta-2022", "peserta-2023-warta")
             .replace("programs: [jkk]", "programs: [iuran-apbd]").replace('"2022"', '"2023"')
             .replace("value: 800", "value: 1100")
             .replace("Pada 2022 ada 800 peserta.", "Tahun lalu 1.100 peserta."))
    facts.write_text(facts.read_text(encoding="utf-8") + other, encoding="utf-8")
    result = run_cli("diff", "HEAD")
    assert result.exit_code == 0, result.output
    assert "RG307" in sections(result.stdout)["Problems this change introduces"]
    assert sections(result.stdout)["Pages affected"] == pages_section(
        "index.html", "programs/iuran-apbd/index.html", "programs/jkk/index.html",
        "regions/kota-contoh/index.html", "sources/harian-2024-03-01/index.html",
        "sources/index.html", "sources/warta-2024/index.html")


REGION_LINE = "    region: kota-contoh\n    programs: [jkk]\n"  # kota-contoh-peserta-2023's


def test_a_fact_made_invalid_is_broken_not_removed(repo):
    """A mistyped region keeps the fact off the head's site: it is reported with its
    problem, not as removed, and the diff fails."""
    facts = repo / "content" / "facts" / "kota-contoh.yaml"
    base = git(repo, "rev-parse", "HEAD")
    edit(facts, REGION_LINE, REGION_LINE.replace("kota-contoh", "kota-contho"))
    head = commit(repo, "mistyped region")
    problem = ("content/facts/kota-contoh.yaml:3:13: RG104 unknown region 'kota-contho' "
               "(did you mean 'kota-contoh'?)")
    result = run_cli("diff", base, head)
    assert result.exit_code == 1, result.output
    assert result.stderr == f"Diff failed: 1 new error(s) at {head}.\n"
    assert "0 added, 0 removed, 0 changed, 1 broken; 1 new problem(s)." in result.stdout
    parts = sections(result.stdout)
    assert set(parts) == {"Broken at head", "Pages affected", "Problems this change introduces"}
    assert parts["Broken at head"] == (
        "- `kota-contoh-peserta-2023` (Kota Contoh, Peserta terlindungi, 2023; 1.000 orang "
        f"at base): has problems at {head}, which leave it off the site\n"
        f"  - `{problem}`")
    assert parts["Pages affected"] == pages_section(
        "index.html", "programs/jkk/index.html", "regions/kota-contoh/index.html",
        "sources/harian-2024-03-01/index.html", "sources/index.html")

    as_json = run_cli("diff", base, head, "--format", "json")
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert report["removed"] == []
    assert [(b["id"], b["value"], [(p["rule"], p["line"]) for p in b["problems"]])
            for b in report["broken"]] == [("kota-contoh-peserta-2023", 1000, [("RG104", 3)])]


def test_a_removed_fact_beside_a_broken_one_is_still_removed(revisions, repo):
    base, _ = revisions  # kota-contoh-peserta-2023 removed, among other changes
    facts = repo / "content" / "facts" / "kota-contoh.yaml"
    edit(facts, "    metric: contribution-budget\n", "    metric: contribution-budgt\n")
    result = run_cli("diff", base)
    assert result.exit_code == 1
    assert "1 added, 1 removed, 1 changed, 1 broken; 1 new problem(s)." in result.stdout
    parts = sections(result.stdout)
    assert "`kota-contoh-peserta-2023`" in parts["Removed"]
    assert parts["Broken at head"].startswith("- `kota-contoh-anggaran-2024` (")
    assert "RG104 unknown metric 'contribution-budgt'" in parts["Broken at head"]


def test_facts_of_a_file_that_does_not_parse_are_broken(repo):
    facts = repo / "content" / "facts" / "kota-contoh.yaml"
    facts.write_text("facts: [\n", encoding="utf-8")
    result = run_cli("diff", "HEAD", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["removed"] == []
    assert [b["id"] for b in report["broken"]] == [
        "kota-contoh-anggaran-2024", "kota-contoh-peserta-2023", "kota-contoh-target-2024"]
    assert {tuple((p["rule"], p["line"]) for p in b["problems"])
            for b in report["broken"]} == {(("RG002", 2),)}
    # A fact file deleted is a removal.
    facts.unlink()
    report = json.loads(run_cli("diff", "HEAD", "--format", "json").stdout)
    assert [f["id"] for f in report["removed"]] == [
        "kota-contoh-anggaran-2024", "kota-contoh-peserta-2023", "kota-contoh-target-2024"]
    assert report["broken"] == []


def test_a_fact_whose_region_has_problems_is_broken(repo):
    """The fact's own lines are right; what it refers to is not."""
    edit(repo / "content" / "regions.yaml", "    kind: city\n", "    kind: town\n")
    result = run_cli("diff", "HEAD")
    assert result.exit_code == 1
    broken = sections(result.stdout)["Broken at head"]
    assert broken.count("- `kota-contoh-") == 3
    assert broken.count("  - none in its own lines: it refers to a region, program, metric "
                        "or source that has problems (below)") == 3
    assert "content/regions.yaml:" in sections(result.stdout)["Problems this change introduces"]


def test_pages_affected_by_registry_edits(tmp_path):
    """A source's publisher changed, or two areas only swapped in their file: no fact
    changed, but the pages that show them are affected, as a build renders them again."""
    from reportgen.content import load_content
    from reportgen.diff import affected_pages

    base = tmp_path / "base"
    shutil.copytree(DATA / "minimal" / "content", base)
    area = ("  - id: {0}\n    name: {0}\n    name_en: {0}\n    kind: area\n"
            "    parent: indonesia\n    code: null\n    includes: [kota-contoh]\n")
    edit(base / "regions.yaml", "regions:\n", "regions:\n" + area.format("a") + area.format("b"))
    head = tmp_path / "head"
    shutil.copytree(base, head)
    edit(head / "regions.yaml", area.format("a") + area.format("b"),
         area.format("b") + area.format("a"))
    loaded = [load_content(folder)[0] for folder in (base, head)]
    assert affected_pages(*loaded, set()) == both_languages("index.html",
                                                           "regions/kota-contoh/index.html")
    edit(head / "sources.yaml", "publisher: Warta Uji", "publisher: Warta Uji Baru")
    loaded[1] = load_content(head)[0]
    pages = affected_pages(*loaded, set())
    assert "sources/warta-2024/index.html" in pages and "sources/index.html" in pages
    assert "regions/kota-contoh/index.html" in pages  # it shows a figure citing it
    assert "en/programs/iuran-apbd/index.html" in pages


def test_registry_records_added_and_changed_are_reported(repo):
    """A source's publisher changed and a source added (uncited: a warning, not a new
    error): no fact changed, but the report lists the records, field by field, and the
    pages they change, in Markdown and in JSON."""
    edit(repo / "content" / "sources.yaml", "publisher: Warta Uji", "publisher: Warta Uji Baru")
    edit(repo / "content" / "sources.yaml", "sources:\n", "sources:\n"
         "  - id: koran-2024-05\n    publisher: Koran Baru\n    title: Berita baru\n"
         '    date: "2024-05-02"\n    authors: []\n    url: null\n    archive: null\n')
    result = run_cli("diff", "HEAD")
    assert result.exit_code == 0, result.output
    assert "0 added, 0 removed, 0 changed; 2 registry record(s) added, removed or changed" \
        in result.stdout
    found = sections(result.stdout)
    assert found["Registry records"] == (
        "- source `koran-2024-05`: added\n"
        "  - id: (none) → koran-2024-05\n"
        "  - publisher: (none) → Koran Baru\n"
        "  - title: (none) → Berita baru\n"
        "  - date: (none) → 2024-05-02\n"
        "- source `warta-2024`: changed\n"
        "  - publisher: Warta Uji → Warta Uji Baru")
    assert "`sources/koran-2024-05/index.html`" in found["Pages affected"]
    assert "`regions/kota-contoh/index.html`" in found["Pages affected"]
    report = json.loads(run_cli("diff", "HEAD", "--format", "json").stdout)
    assert report["records"][1] == {"record": "source:warta-2024", "change": "changed",
                                    "fields": [{"field": "publisher", "old": "Warta Uji",
                                                "new": "Warta Uji Baru"}]}
    assert report["added"] == report["changed"] == []


def test_a_fact_whose_id_alone_changed_is_renamed_not_removed_and_added(repo):
    """Correcting a mistyped id is a rename: the review names both ids once, and says
    that the figure's old anchor on the site is gone."""
    base = git(repo, "rev-parse", "HEAD")
    facts = repo / "content" / "facts" / "kota-contoh.yaml"
    edit(facts, "id: kota-contoh-target-2024\n", "id: kota-contoh-target-2024-harian\n")
    head = commit(repo, "rename a fact")
    result = run_cli("diff", base, head)
    assert result.exit_code == 0, result.output
    assert "0 added, 0 removed, 0 changed, 1 renamed; 0 new problem(s)." in result.stdout
    parts = sections(result.stdout)
    assert "Added" not in parts and "Removed" not in parts
    assert parts["Renamed"].endswith(
        "- `kota-contoh-target-2024` → `kota-contoh-target-2024-harian` (Kota Contoh, "
        "Peserta terlindungi, 2024: sekitar 1.500–2.000 orang)")
    assert "`#<old id>`" in parts["Renamed"]
    assert "regions/kota-contoh/index.html" in parts["Pages affected"]
    report = json.loads(run_cli("diff", base, head, "--format", "json").stdout)
    assert report["renamed"] == [{"old": "kota-contoh-target-2024",
                                  "new": "kota-contoh-target-2024-harian"}]
    assert report["added"] == report["removed"] == report["changed"] == []
    # An id changed together with anything else is a fact removed and another added.
    edit(facts, "id: kota-contoh-target-2024-harian\n", "id: kota-contoh-target-2024-b\n")
    edit(facts, "value: {low: 1500, high: 2000}", "value: {low: 1600, high: 2000}")
    commit(repo, "rename and change")
    report = json.loads(run_cli("diff", head, "HEAD", "--format", "json").stdout)
    assert report["renamed"] == []
    assert [f["id"] for f in report["removed"]] == ["kota-contoh-target-2024-harian"]
    assert [f["id"] for f in report["added"]] == ["kota-contoh-target-2024-b"]


def test_every_field_a_fact_holds_is_compared(repo):
    """A change to the English note or quote, or to whether a figure is a headline, is a
    change the review shows (both languages' pages show them)."""
    facts = repo / "content" / "facts" / "kota-contoh.yaml"
    edit(facts, "    headline: true\n", "")
    edit(facts, "note: Dilaporkan oleh dua sumber.\n",
         "note: Dilaporkan oleh dua sumber.\n    note_en: Reported by two sources.\n")
    edit(facts, "quote: Anggaran tahun ini 2,2 miliar rupiah.\n",
         "quote: Anggaran tahun ini 2,2 miliar rupiah.\n"
         "        quote_en: This year's budget is 2.2 billion rupiah.\n")
    result = run_cli("diff", "HEAD")
    assert result.exit_code == 0, result.output
    changed = sections(result.stdout)["Changed"]
    assert "  - headline: yes → (none)" in changed
    assert "  - note_en: (none) → Reported by two sources." in changed
    assert ("  - quote_en (warta-2024): (none) → This year's budget is 2.2 billion rupiah."
            in changed)


def test_a_value_change_the_shown_figure_rounds_away_is_still_a_change(repo):
    """Rp2,2 miliar is 2,200,000,000 and 2,204,000,000 alike: the exact value tells them
    apart, so such an edit is a change, and with a new id it is no rename."""
    facts = repo / "content" / "facts" / "kota-contoh.yaml"
    edit(facts, "value: 2200000000\n", "value: 2204000000\n")
    changed = sections(run_cli("diff", "HEAD").stdout)["Changed"]
    assert changed.endswith("  - value (exact): 2,200,000,000 → 2,204,000,000 (+0.2%)")
    assert "  - value:" not in changed
    edit(facts, "id: kota-contoh-anggaran-2024\n", "id: kota-contoh-anggaran-2024-apbd\n")
    report = json.loads(run_cli("diff", "HEAD", "--format", "json").stdout)
    assert report["renamed"] == []
    assert [f["id"] for f in report["added"]] == ["kota-contoh-anggaran-2024-apbd"]
    # A visible change lists the figure as shown, not the exact value again.
    edit(facts, "id: kota-contoh-anggaran-2024-apbd\n", "id: kota-contoh-anggaran-2024\n")
    edit(facts, "value: 2204000000\n", "value: 2500000000\n")
    changed = sections(run_cli("diff", "HEAD").stdout)["Changed"]
    assert "  - value: Rp2,2 miliar → Rp2,5 miliar (+13.6%)" in changed
    assert "exact" not in changed


def test_citations_are_compared_in_their_order_and_each_quote_of_a_source(repo):
    """The order of a fact's citations numbers its markers; a source quoted twice has
    each of its quotes compared."""
    facts = repo / "content" / "facts" / "kota-contoh.yaml"
    harian = ("      - source: harian-2024-03-01\n"
              "        quote: Pemerintah kota menganggarkan Rp2,2 miliar.\n")
    warta = ("      - source: warta-2024\n"
             "        quote: Anggaran tahun ini 2,2 miliar rupiah.\n")
    edit(facts, harian + warta, warta + harian)
    changed = sections(run_cli("diff", "HEAD").stdout)["Changed"]
    assert ("  - sources: harian-2024-03-01, warta-2024 → warta-2024, harian-2024-03-01"
            in changed)
    edit(facts, warta + harian, harian + warta + warta.replace("Anggaran tahun ini",
                                                               "Tahun ini anggaran"))
    commit(repo, "a source quoted twice")
    edit(facts, "quote: Tahun ini anggaran 2,2 miliar rupiah.",
         "quote: Tahun ini anggarannya 2,2 miliar rupiah.")
    result = run_cli("diff", "HEAD")
    assert result.exit_code == 0, result.output
    assert ("  - quote (warta-2024, 2): Tahun ini anggaran 2,2 miliar rupiah. → Tahun ini "
            "anggarannya 2,2 miliar rupiah.") in sections(result.stdout)["Changed"]
