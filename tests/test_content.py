"""reportgen.content.load_content: the minimal fixture, then one located problem per class."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reportgen.content import load_content
from tests.conftest import ROOT

MINIMAL = Path(__file__).resolve().parent / "data" / "minimal" / "content"
FACTS = "facts/kota-contoh.yaml"

UNCITED_SOURCE = """\
sources:
  - id: lain-2024
    publisher: Koran Lain
    title: Berita Lain
    date: "2024"
    authors: []
    url: null
"""

PERCENT_METRIC = """\
  - id: coverage-rate
    label: Cakupan
    label_en: Coverage
    unit: percent
"""


@pytest.fixture
def content_dir(tmp_path) -> Path:
    """A fresh copy of the minimal content folder."""
    target = tmp_path / "content"
    shutil.copytree(MINIMAL, target)
    return target


def edit(content_dir: Path, rel: str, old: str, new: str) -> None:
    """Replace the one occurrence of *old* in a content file."""
    path = content_dir / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur exactly once in {rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def load(content_dir: Path):
    """Load with paths shown relative to the content folder."""
    return load_content(content_dir, base=content_dir)


def the_problem(problems, rule: str):
    """The one problem with *rule*."""
    found = [p for p in problems if p.rule == rule]
    assert len(found) == 1, [p.format() for p in problems]
    return found[0]


def assert_error(content_dir: Path, rule: str, path: str, line: int, text: str):
    """Loading fails with *rule* at path:line whose message or hint contains *text*."""
    content, problems = load(content_dir)
    assert content is None
    problem = the_problem(problems, rule)
    assert problem.severity == "error"
    assert Path(problem.path).as_posix().endswith(path)
    assert problem.line == line, problem.format()
    assert text in problem.message + " " + problem.hint, problem.format()
    return problem


# --- the fixture -----------------------------------------------------------------------

def test_minimal_fixture_loads_without_problems():
    content, problems = load_content(MINIMAL)
    assert problems == []
    assert content.site.title == "Contoh Kecil"
    assert [f.id for f in content.facts] == [
        "kota-contoh-anggaran-2024", "kota-contoh-peserta-2023", "kota-contoh-target-2024"]
    assert set(content.sources) == {"harian-2024-03-01", "warta-2024"}
    assert set(content.regions) == {"indonesia", "provinsi-contoh", "kota-contoh"}
    target = next(f for f in content.facts if f.id == "kota-contoh-target-2024")
    assert (target.value.low, target.value.high, target.qualifier) == (1500, 2000, "about")
    assert [p.id for p in target.programs] == ["jkk", "iuran-apbd"]
    assert [c.source.id for c in content.facts[0].citations] == ["harian-2024-03-01", "warta-2024"]
    assert [page.title for page in content.pages] == ["Tentang"]


# --- shape of a record -----------------------------------------------------------------

def test_unknown_key_in_citation_suggests_the_right_one(content_dir):
    edit(content_dir, FACTS, "        quote: Tahun lalu", "        qoute: Tahun lalu")
    problem = assert_error(content_dir, "RG101", FACTS, 13, "did you mean 'quote'?")
    assert problem.column == 9
    assert "unknown key 'qoute' in citation" in problem.message


def test_unknown_key_in_fact_suggests_the_right_one(content_dir):
    edit(content_dir, FACTS, "    region: kota-contoh\n    programs: [jkk]\n",
         "    regoin: kota-contoh\n    programs: [jkk]\n")
    problem = assert_error(content_dir, "RG101", FACTS, 3, "did you mean 'region'?")
    assert problem.column == 5
    assert "'regoin'" in problem.message


def test_missing_required_field(content_dir):
    edit(content_dir, FACTS, "    status: actual\n", "")
    problem = assert_error(content_dir, "RG102", FACTS, 2, "missing required field 'status'")
    assert "add 'status:'" in problem.hint


def test_wrong_type_of_value(content_dir):
    edit(content_dir, FACTS, "value: 1000", 'value: "banyak"')
    problem = assert_error(content_dir, "RG103", FACTS, 6, "must be a number, not 'banyak'")
    assert problem.column == 12


def test_id_not_a_slug(content_dir):
    edit(content_dir, FACTS, "id: kota-contoh-peserta-2023", "id: Kota_Contoh")
    problem = assert_error(content_dir, "RG105", FACTS, 2, "is not a slug: 'Kota_Contoh'")
    assert problem.column == 9


@pytest.mark.parametrize("old, new, line, hint", [
    ("region: kota-contoh\n    programs: [jkk]\n", "region: kota-contih\n    programs: [jkk]\n",
     3, "did you mean 'kota-contoh'?"),
    ("programs: [jkk]\n", "programs: [jjk]\n", 4, "did you mean 'jkk'?"),
    ("metric: contribution-budget", "metric: contribution-budgte", 29,
     "did you mean 'contribution-budget'?"),
    ("source: harian-2024-03-01\n        quote: Tahun lalu",
     "source: harain-2024-03-01\n        quote: Tahun lalu", 12, "did you mean 'harian-2024-03-01'?"),
], ids=["region", "program", "metric", "source"])
def test_unknown_reference_suggests_a_known_id(content_dir, old, new, line, hint):
    edit(content_dir, FACTS, old, new)
    problem = assert_error(content_dir, "RG104", FACTS, line, hint)
    assert problem.message.startswith("unknown ")


@pytest.mark.parametrize("old, new, line", [
    ("source: warta-2024", "source: warta-2042", 38),
    ("programs: [jkk, iuran-apbd]", "programs:\n      - jkk\n      - iuran-apdb", 18),
], ids=["second-citation", "second-program"])
def test_unknown_reference_in_a_later_list_item_points_at_that_item(content_dir, old, new, line):
    edit(content_dir, FACTS, old, new)
    assert_error(content_dir, "RG104", FACTS, line, "did you mean")


def test_same_fact_id_in_two_files(content_dir):
    shutil.copy(content_dir / FACTS, content_dir / "facts/salinan.yaml")
    content, problems = load(content_dir)
    assert content is None
    assert [(p.rule, p.path, p.line) for p in problems] == [
        ("RG106", "facts/salinan.yaml", 2), ("RG106", "facts/salinan.yaml", 14),
        ("RG106", "facts/salinan.yaml", 26)]
    assert problems[0].message == "fact id 'kota-contoh-peserta-2023' is used twice"
    assert "first at facts/kota-contoh.yaml:2:5" in problems[0].hint
    assert "first at facts/kota-contoh.yaml:14:5" in problems[1].hint


def test_a_repeated_fact_id_is_reported_beside_the_other_problems_of_its_fact(content_dir):
    """A fact that fails another check still holds its id: the repeat is not hidden."""
    edit(content_dir, FACTS, "id: kota-contoh-target-2024", "id: kota-contoh-peserta-2023")
    edit(content_dir, FACTS, "status: target", "status: targte")
    content, problems = load(content_dir)
    assert content is None
    assert [p.format() for p in problems] == [
        f"{FACTS}:14:5: RG106 fact id 'kota-contoh-peserta-2023' is used twice "
        f"(first at {FACTS}:2:5; ids must be unique)",
        f"{FACTS}:21:13: RG107 'status' of fact cannot be 'targte' (did you mean 'target'?)"]


def test_a_fact_that_fails_its_checks_takes_its_id_from_a_later_one(content_dir):
    edit(content_dir, FACTS, "status: actual", "status: aktual")
    edit(content_dir, FACTS, "id: kota-contoh-target-2024", "id: kota-contoh-peserta-2023")
    content, problems = load(content_dir)
    assert [(p.line, p.column, p.rule) for p in problems] == [(9, 13, "RG107"), (14, 5, "RG106")]
    assert problems[1].hint == f"first at {FACTS}:2:5; ids must be unique"
    partial, _ = load_content(content_dir, base=content_dir, partial=True)
    assert [f.id for f in partial.facts] == ["kota-contoh-anggaran-2024"]


@pytest.mark.parametrize("first, second, expected", [
    ("  - id: Kota_Contoh\n    region: kota-contoh", "  - id: Kota_Contoh\n    region: kota-contoh",
     [(2, 9, "RG105"), (14, 9, "RG105")]),
    ("  - region: kota-contoh", "  - region: kota-contoh", [(2, 5, "RG102"), (13, 5, "RG102")]),
], ids=["not-a-slug", "missing"])
def test_facts_whose_id_is_wrong_do_not_repeat_it(content_dir, first, second, expected):
    """Two facts with the same wrong (or no) id: each is reported once, not as a repeat."""
    edit(content_dir, FACTS, "  - id: kota-contoh-peserta-2023\n    region: kota-contoh", first)
    edit(content_dir, FACTS, "  - id: kota-contoh-target-2024\n    region: kota-contoh", second)
    content, problems = load(content_dir)
    assert content is None
    assert [(p.line, p.column, p.rule) for p in problems] == expected, \
        [p.format() for p in problems]


def test_a_repeated_registry_id_is_reported_beside_the_other_problems_of_its_record(
        content_dir):
    edit(content_dir, "regions.yaml", "  - id: kota-contoh\n", "  - id: provinsi-contoh\n")
    edit(content_dir, "regions.yaml", "    kind: city\n", "    kind: kota\n")
    content, problems = load(content_dir)
    assert content is None
    assert [p.format() for p in problems if p.path == "regions.yaml"] == [
        "regions.yaml:14:5: RG106 region id 'provinsi-contoh' is used twice "
        "(first at 8:5; ids must be unique)",
        "regions.yaml:17:11: RG107 'kind' of region cannot be 'kota' "
        "(one of: country, area, province, regency, city)"]


# --- values ----------------------------------------------------------------------------

def test_negative_value(content_dir):
    edit(content_dir, FACTS, "value: 1000", "value: -1000")
    assert_error(content_dir, "RG202", FACTS, 6, "value -1000 is negative")


@pytest.mark.parametrize("value, ok", [(150, False), (100, True), (70.5, True)])
def test_percentage_must_lie_between_0_and_100(content_dir, value, ok):
    metrics = content_dir / "metrics.yaml"
    metrics.write_text(metrics.read_text(encoding="utf-8") + PERCENT_METRIC, encoding="utf-8")
    edit(content_dir, FACTS, "metric: participants-protected\n    value: 1000\n    unit: people",
         f"metric: coverage-rate\n    value: {value}\n    unit: percent")
    if ok:
        content, problems = load(content_dir)
        assert problems == [] and content is not None
    else:
        assert_error(content_dir, "RG203", FACTS, 6, "percentage 150 is outside 0-100")


SEPARATOR_HINT = "YAML reads a dot as a decimal point; write digits without separators: "


@pytest.mark.parametrize("old, new, line, column, message, digits", [
    ("value: 1000", "value: 7.500", 6, 12, "value 7.500 reads as 7.5, not 7500", "7500"),
    ("value: 1000", "value: 7.000", 6, 12, "value 7.000 reads as 7, not 7000", "7000"),
    ("{low: 1500, high: 2000}", "{low: 1.500, high: 2000}", 18, 18,
     "range low 1.500 reads as 1.5, not 1500", "1500"),
    ("{low: 1500, high: 2000}", "{low: 1.500, high: 2.000}", 18, 31,
     "range high 2.000 reads as 2, not 2000", "2000"),
    ("value: 2200000000", "value: 12.345", 30, 12, "value 12.345 reads as 12.345, not 12345",
     "12345"),
], ids=["thousands", "round-thousands", "range-low", "range-high", "rupiah"])
def test_thousands_separated_by_a_dot_is_rg103_at_the_number(content_dir, old, new, line,
                                                             column, message, digits):
    """YAML reads 7.500 (Indonesian for 7,500) as the float 7.5: refused where it stands."""
    edit(content_dir, FACTS, old, new)
    content, problems = load(content_dir)
    assert content is None
    found = [p for p in problems if p.rule == "RG103" and p.message == message]
    assert [(p.path, p.line, p.column, p.hint) for p in found] == [
        (FACTS, line, column, SEPARATOR_HINT + digits)], [p.format() for p in problems]
    assert all(p.rule == "RG103" for p in problems), [p.format() for p in problems]


def test_a_range_misread_by_a_separator_is_explained_beside_low_above_high(content_dir):
    edit(content_dir, FACTS, "{low: 1500, high: 2000}", "{low: 500, high: 1.500}")
    content, problems = load(content_dir)
    assert [(p.line, p.column, p.rule, p.message) for p in problems] == [
        (18, 12, "RG204", "'value' of fact range low 500 exceeds high 1.5"),
        (18, 29, "RG103", "range high 1.500 reads as 1.5, not 1500")]


def test_a_separator_is_reported_beside_the_other_problems_of_its_fact(content_dir):
    edit(content_dir, FACTS, "value: 1000", "value: 7.500")
    edit(content_dir, FACTS, "status: actual", "status: aktual")
    content, problems = load(content_dir)
    assert [(p.line, p.column, p.rule) for p in problems] == [(6, 12, "RG103"), (9, 13, "RG107")]


@pytest.mark.parametrize("written, digits", [
    ('"1.250.000"', "1250000"), ("7,500", "7500"), ("2.200.000.000", "2200000000")])
def test_number_yaml_reads_as_text_for_its_separators_names_the_digits(content_dir, written,
                                                                      digits):
    edit(content_dir, FACTS, "value: 1000", f"value: {written}")
    problem = assert_error(content_dir, "RG103", FACTS, 6, "must be a number, not ")
    assert problem.hint == f"write digits without separators: {digits}"


@pytest.mark.parametrize("value", ["12.345", "2.5", "0.75", "99.999"])
def test_a_percentage_keeps_its_decimals(content_dir, value):
    """In a percentage a dot before three digits is a decimal point: read as thousands,
    12.345 would be far above 100%."""
    metrics = content_dir / "metrics.yaml"
    metrics.write_text(metrics.read_text(encoding="utf-8") + PERCENT_METRIC, encoding="utf-8")
    edit(content_dir, FACTS, "metric: participants-protected\n    value: 1000\n    unit: people",
         f"metric: coverage-rate\n    value: {value}\n    unit: percent")
    content, problems = load(content_dir)
    assert problems == [] and content is not None
    assert content.fact_by_id["kota-contoh-peserta-2023"].value.low == float(value)


@pytest.mark.parametrize("value", ["2200000000.5", "0.75", "1.5"])
def test_rupiah_may_have_decimals(content_dir, value):
    edit(content_dir, FACTS, "value: 2200000000", f"value: {value}")
    content, problems = load(content_dir)
    assert problems == [] and content is not None


@pytest.mark.parametrize("old, new, line, column, message", [
    ("value: 1000", "value: 1000.5", 6, 12, "value 1000.5 is not a whole number of people"),
    ("{low: 1500, high: 2000}", "{low: 1500, high: 2000.25}", 18, 30,
     "range high 2000.25 is not a whole number of people"),
    ("value: 1000\n    unit: people", "value: 0.5\n    unit: families", 6, 12,
     "value 0.5 is not a whole number of families"),
], ids=["people", "range-high", "families"])
def test_a_count_must_be_a_whole_number(content_dir, old, new, line, column, message):
    edit(content_dir, FACTS, old, new)
    problem = assert_error(content_dir, "RG208", FACTS, line, message)
    assert (problem.column, problem.message) == (column, message)
    assert problem.hint == "people, families and villages are counted in whole numbers"


def test_a_whole_float_count_is_a_whole_number(content_dir):
    edit(content_dir, FACTS, "value: 1000", "value: 1000.0")
    content, problems = load(content_dir)
    assert problems == [] and content.fact_by_id["kota-contoh-peserta-2023"].value.low == 1000


def test_range_low_above_high(content_dir):
    edit(content_dir, FACTS, "{low: 1500, high: 2000}", "{low: 2500, high: 2000}")
    assert_error(content_dir, "RG204", FACTS, 18, "low 2500 exceeds high 2000")


def test_bad_period(content_dir):
    edit(content_dir, FACTS, 'period: "2023"', 'period: "20244"')
    problem = assert_error(content_dir, "RG205", FACTS, 8, "is not a period: '20244'")
    assert problem.column == 13


def test_actual_figure_dated_after_its_article(content_dir):
    edit(content_dir, FACTS, 'period: "2023"', 'period: "2024-06"')
    problem = assert_error(content_dir, "RG206", FACTS, 8, "'harian-2024-03-01' dated 2024-03-01")
    assert "actual figure for 2024-06" in problem.message


def test_actual_figure_in_the_month_of_its_article_is_fine(content_dir):
    edit(content_dir, FACTS, 'period: "2023"', 'period: "2024-03"')
    content, problems = load(content_dir)
    assert problems == [] and content is not None


def test_unit_not_fitting_metric(content_dir):
    edit(content_dir, FACTS, 'unit: people\n    period: "2023"', 'unit: IDR\n    period: "2023"')
    problem = assert_error(content_dir, "RG207", FACTS, 7,
                           "unit 'IDR' does not fit metric 'participants-protected'")
    assert "people, families" in problem.hint


# --- citations -------------------------------------------------------------------------

def test_fact_with_empty_sources(content_dir):
    edit(content_dir, FACTS, "    sources:\n      - source: harian-2024-03-01\n"
         "        quote: Tahun lalu seribu pekerja sudah terlindungi.\n", "    sources: []\n")
    assert_error(content_dir, "RG301", FACTS, 11, "fact has no sources")


def test_citation_without_quote(content_dir):
    edit(content_dir, FACTS, "        quote: Anggaran tahun ini 2,2 miliar rupiah.\n", "")
    problem = assert_error(content_dir, "RG302", FACTS, 38, "citation has no quote")
    assert problem.hint.startswith("add 'quote:'")


def test_citation_with_blank_quote(content_dir):
    edit(content_dir, FACTS, "quote: Anggaran tahun ini 2,2 miliar rupiah.", 'quote: ""')
    assert_error(content_dir, "RG302", FACTS, 39, "citation has no quote")


def test_the_same_sentence_cited_twice_for_one_figure(content_dir):
    # (white space in the quote aside: it is folded)
    edit(content_dir, FACTS, "        quote: Anggaran tahun ini 2,2 miliar rupiah.\n",
         "        quote: Anggaran tahun ini 2,2 miliar rupiah.\n"
         "      - source: harian-2024-03-01\n"
         "        quote: Pemerintah  kota menganggarkan\n          Rp2,2 miliar.\n")
    problem = assert_error(content_dir, "RG310", FACTS, 40,
                           "the same sentence of 'harian-2024-03-01' is cited twice")
    assert problem.column == 9 and problem.hint == "remove one of the two citations"


def test_one_sentence_translated_two_ways_is_a_warning(content_dir):
    # The target's sentence, quoted again for another figure with another translation.
    second = """  - id: kota-contoh-target-2024-lagi
    region: kota-contoh
    programs: [jkk]
    metric: participants-protected
    value: {low: 1500, high: 2000}
    unit: people
    period: "2025"
    status: target
    qualifier: about
    sources:
      - source: harian-2024-03-01
        quote: Tahun ini targetnya sekitar 1500 hingga 2000 orang.
        quote_en: The target this year is 1,500 to 2,000 people.
"""
    path = content_dir / FACTS
    path.write_text(path.read_text(encoding="utf-8") + second, encoding="utf-8")
    content, problems = load(content_dir)
    assert content is not None and problems == []  # one translation: nothing to say
    edit(content_dir, FACTS, "2000 orang.\n  - id: kota-contoh-anggaran-2024",
         "2000 orang.\n        quote_en: This year the target is about 1,500 to 2,000 people."
         "\n  - id: kota-contoh-anggaran-2024")
    content, problems = load(content_dir)
    assert content is not None
    problem = the_problem(problems, "RG311")
    assert (problem.severity, problem.line, problem.column) == ("warning", 52, 16)  # its quote
    assert "is translated otherwise for 'kota-contoh-target-2024'" in problem.message


def test_uncited_source_is_only_a_warning(content_dir):
    edit(content_dir, "sources.yaml", "sources:\n", UNCITED_SOURCE)
    content, problems = load(content_dir)
    assert content is not None
    problem = the_problem(problems, "RG303")
    assert len(problems) == 1
    assert (problem.severity, problem.path, problem.line) == ("warning", "sources.yaml", 2)
    assert "source 'lain-2024' is not cited by any fact" in problem.message
    assert "lain-2024" in content.sources


# --- files -----------------------------------------------------------------------------

def test_missing_registry_file(content_dir):
    (content_dir / "programs.yaml").unlink()
    problem = assert_error(content_dir, "RG006", "programs.yaml", 1,
                           "required file programs.yaml is missing")
    assert problem.column == 1


def test_missing_content_folder(tmp_path):
    content, problems = load_content(tmp_path / "nowhere", base=tmp_path)
    assert content is None
    assert [(p.rule, p.path, p.message) for p in problems] == [
        ("RG006", "nowhere", "content folder does not exist")]


def test_markdown_page_without_title(content_dir):
    edit(content_dir, "pages/tentang.md", "# Tentang", "Tentang")
    assert_error(content_dir, "RG401", "pages/tentang.md", 1, "'# Title'")


def test_yaml_problem_in_a_fact_file_stops_the_build(content_dir):
    edit(content_dir, FACTS, "    unit: IDR\n", "    unit: IDR\n    unit: IDR\n")
    problem = assert_error(content_dir, "RG003", FACTS, 32, "first at line 31")
    assert "'unit'" in problem.message


# --- many problems at once -------------------------------------------------------------

def test_many_problems_in_several_files_are_all_reported_sorted(content_dir):
    edit(content_dir, FACTS, "value: 1000", "value: -5")
    edit(content_dir, FACTS, "{low: 1500, high: 2000}", "{low: 2500, high: 2000}")
    edit(content_dir, FACTS, "    unit: IDR\n", "    unit: people\n")
    edit(content_dir, "metrics.yaml", "    label: Peserta terlindungi\n",
         "    label: Peserta terlindungi\n    label: Peserta\n")
    edit(content_dir, "site.yaml", "title_en:", "titel_en:")
    edit(content_dir, "pages/tentang.md", "# Tentang", "Tentang")
    content, problems = load(content_dir)
    assert content is None
    assert [(p.path, p.line, p.rule) for p in problems] == [
        (FACTS, 6, "RG202"),
        (FACTS, 18, "RG204"),
        (FACTS, 31, "RG207"),
        ("metrics.yaml", 4, "RG003"),
        ("pages/tentang.md", 1, "RG401"),
        ("site.yaml", 1, "RG102"),
        ("site.yaml", 2, "RG101"),
    ]
    assert problems == sorted(problems)
    assert all(p.severity == "error" for p in problems)
    assert "did you mean 'title_en'?" in problems[-1].hint


def test_a_fact_with_a_wrong_field_still_has_its_references_checked(content_dir):
    """One run names every problem of a fact: a bad value does not hide an unknown
    region, program, metric or source in the same fact."""
    edit(content_dir, FACTS, "    value: 1000\n", "    value: seribu lebih\n")
    edit(content_dir, FACTS, "    region: kota-contoh\n    programs: [jkk]\n",
         "    region: kota-cotnoh\n    programs: [jkm]\n")
    edit(content_dir, FACTS, "    metric: participants-protected\n    value: seribu",
         "    metric: participants-protectd\n    value: seribu")
    edit(content_dir, FACTS, "      - source: harian-2024-03-01\n        quote: Tahun lalu",
         "      - source: harian-2024-03-02\n        quote: Tahun lalu")
    content, problems = load(content_dir)
    assert content is None
    found = [(p.line, p.column, p.rule) for p in problems if p.path == FACTS]
    assert found == [(3, 13, "RG104"), (4, 16, "RG104"), (5, 13, "RG104"), (6, 12, "RG103"),
                     (12, 17, "RG104")], [p.format() for p in problems]
    region = next(p for p in problems if p.line == 3)
    assert "unknown region 'kota-cotnoh'" in region.message
    assert "did you mean 'kota-contoh'?" in region.hint


def test_broken_registry_record_is_reported_once_not_at_every_reference(content_dir):
    edit(content_dir, "regions.yaml", "    name: Kota Contoh\n", "    nmae: Kota Contoh\n")
    content, problems = load(content_dir)
    assert content is None
    assert sorted((p.rule, Path(p.path).name) for p in problems) == [
        ("RG101", "regions.yaml"), ("RG102", "regions.yaml")]


def test_fact_files_checked_in_forked_workers_give_what_checking_in_place_gives(tmp_path):
    """Many fact files are parsed and checked in worker processes.  The facts, their
    order and every problem (a broken file among them, and a broken fact in another
    that repeats an id of the first) are the same as checked here.  Run in a fresh
    interpreter: this one may have started vl-convert, after which the loader does not
    fork."""
    from benchmarks.generate import generate

    content = tmp_path / "content"
    generate(content, regions=40, facts_per_region=12)
    files = sorted((content / "facts").glob("*.yaml"))
    broken = files[3]
    text = broken.read_text(encoding="utf-8")
    broken.write_text(text.replace("status: actual", "status: aktual", 1))
    taken = text.split("- id: ", 1)[1].split("\n", 1)[0]
    text = files[20].read_text(encoding="utf-8")
    files[20].write_text(text.replace("- id: ", f"- id: {taken}\n  bogus: 1\n  former_id: ", 1))
    script = f"""
import hashlib, pickle
from pathlib import Path
import reportgen.content as c
import reportgen.workers as w
forks = []
real = c.forked_map
c.forked_map = lambda *a, **k: (forks.append(1), real(*a, **k))[1]
folder = Path({str(content)!r})
parallel = c.load_content(folder, partial=True)
c.PARALLEL_FROM = 10 ** 9
in_place = c.load_content(folder, partial=True)
c.PARALLEL_FROM = 32
real_check = c._ContentBuilder.fact_file
def failing(self, path, shown, *rest):
    if path.name == {broken.name!r}:
        raise ValueError("a bug")
    return real_check(self, path, shown, *rest)
c._ContentBuilder.fact_file = failing
try:
    c.load_content(folder)
except w.WorkerFailed as exc:
    from reportgen.errors import current_file
    assert str(exc) == "ValueError: a bug", exc
    failed_at = Path(current_file.get()).name
print(len(forks), parallel[0].facts == in_place[0].facts, parallel[1] == in_place[1],
      len(parallel[0].facts), sum(p.rule == "RG107" for p in parallel[1]),
      sum(p.rule == "RG106" for p in parallel[1]), failed_at)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    forks, same_facts, same_problems, count, bad_status, repeated, failed_at = \
        done.stdout.split()
    assert forks == "2" and same_facts == same_problems == "True"
    assert int(count) > 400 and int(bad_status) == 1 and int(repeated) == 1
    assert failed_at == broken.name  # a bug in a worker is reported at its file (RG900)
