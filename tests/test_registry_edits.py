"""Edits of the registries (sources, regions, programs, metrics) that an incremental
rebuild could get wrong: after each, the rebuild from the cache equals a clean build byte
for byte, its warnings (and those a later 'nothing changed' build says again) are an
uncached load's, and a check through the cache finds what a check without it finds.
(The common kinds of change are in tests/test_incremental.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reportgen.build import build_site
from reportgen.content import load_content
from reportgen.factcache import FactFileCache
from tests.conftest import CONTENT, DATA, TEMPLATES
from tests.test_incremental import (  # noqa: F401 (project: a fixture)
    FACTS, NEW_CITY, NEW_SOURCE, OTHER_PROVINCE, all_files, edit, project,
)

AREA = """  - id: {id}
    name: {name}
    name_en: {name}
    kind: area
    parent: indonesia
    code: null
    includes: [{includes}]
"""
TWIN = """  - id: {id}
    name: Kota Kembar
    name_en: Twin City
    kind: city
    parent: provinsi-contoh
    code: null
"""
REGENCY = """  - id: kab-contoh
    name: Kabupaten Contoh
    name_en: Example Regency
    kind: regency
    parent: provinsi-contoh
    code: null
"""

AREA_A = AREA.format(id="area-a", name="Wilayah A", includes="kota-contoh")
AREA_B = AREA.format(id="area-b", name="Wilayah B", includes="kota-contoh")
TWIN_1, TWIN_2 = TWIN.format(id="kota-kembar-1"), TWIN.format(id="kota-kembar-2")


def differing(out: Path, clean: Path) -> list[str]:
    a, b = all_files(out), all_files(clean)
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def uncached_problems(content: Path):
    return sorted(load_content(content)[1])


def run(root: Path, content: Path, templates: Path, pre, edits, **kw):
    """Build after the edits *pre*, rebuild from the cache after *edits*: (the rebuild's
    result, the files that differ from a clean build, its warnings, those a third build
    says again, those of an uncached load)."""
    cache, out, clean = root / "cache", root / "site", root / "clean"
    for rel, old, new in pre:
        edit(content / rel, old, new)
    build_site(content, templates, out, cache_dir=cache, **kw)
    for rel, old, new in edits:
        edit(content / rel, old, new)
    again = build_site(content, templates, out, cache_dir=cache, **kw)
    build_site(content, templates, clean, use_cache=False, **kw)
    diff = differing(out, clean)
    # warnings: this build's, and the 'nothing changed' replay of a third build
    third = build_site(content, templates, out, cache_dir=cache, **kw)
    fresh = [p for p in uncached_problems(content) if p.severity == "warning"]
    return again, diff, sorted(again.warnings), sorted(third.warnings), fresh


def swap(text_a: str, text_b: str, anchor: str = "regions:\n"):
    """Edits that turn '<anchor>A B' into '<anchor>B A'."""
    return [("regions.yaml", anchor + text_a + text_b, anchor + text_b + text_a)]


MINIMAL = {
    # order of records only (no record's fields change)
    "two areas including a city swapped": (
        [("regions.yaml", "regions:\n", "regions:\n" + AREA_A + AREA_B)], swap(AREA_A, AREA_B)),
    "two same-named cities swapped": (
        [("regions.yaml", "regions:\n", "regions:\n" + TWIN_1 + TWIN_2)], swap(TWIN_1, TWIN_2)),
    "two areas swapped, with a fact edited too": (
        [("regions.yaml", "regions:\n", "regions:\n" + AREA_A + AREA_B)],
        swap(AREA_A, AREA_B) + [(FACTS, "value: 1000\n", "value: 1200\n")]),
    # regions
    "a city's kind to regency": ([], [("regions.yaml", "kind: city", "kind: regency")]),
    "a city's code": ([], [("regions.yaml", 'code: "99.71"', 'code: "99.79"')]),
    "a city's note added": ([], [("regions.yaml", 'code: "99.71"\n',
                                  'code: "99.71"\n    note: Catatan kota.\n')]),
    "a city becomes a province": ([], [("regions.yaml", "kind: city\n    parent: provinsi-contoh",
                                        "kind: province\n    parent: indonesia")]),
    "a province ceases to be one": ([], [("regions.yaml", "kind: province", "kind: regency")]),
    "an area's includes changed": (
        [("regions.yaml", "regions:\n",
          "regions:\n" + AREA.format(id="area-a", name="Wilayah A", includes="provinsi-contoh"))],
        [("regions.yaml", "includes: [provinsi-contoh]", "includes: [kota-contoh]")]),
    "an area added including the city": ([], [("regions.yaml", "regions:\n",
                                               "regions:\n" + AREA_A)]),
    "a regency moved to another province (grandchild)": (
        [("regions.yaml", "regions:\n", "regions:\n" + OTHER_PROVINCE + REGENCY),
         ("regions.yaml", "kind: city\n    parent: provinsi-contoh",
          "kind: city\n    parent: kab-contoh")],
        [("regions.yaml", "kind: regency\n    parent: provinsi-contoh",
          "kind: regency\n    parent: provinsi-lain")]),
    "a region without facts removed": ([("regions.yaml", "regions:\n", "regions:\n" + NEW_CITY)],
                                       [("regions.yaml", NEW_CITY, "")]),
    "a province renamed": ([], [("regions.yaml", "name: Provinsi Contoh",
                                 "name: Provinsi Contoh Baru")]),
    # sources
    "an uncited source removed": ([("sources.yaml", "sources:\n", "sources:\n" + NEW_SOURCE)],
                                  [("sources.yaml", NEW_SOURCE, "")]),
    "a source's date reorders the list": ([], [("sources.yaml", 'date: "2024"\n',
                                                'date: "2025"\n')]),
    "a source becomes uncited": ([], [(FACTS, """      - source: warta-2024
        quote: Anggaran tahun ini 2,2 miliar rupiah.
""", "")]),
    "a source's url": ([], [("sources.yaml", "url: https://example.org/berita/1",
                             "url: https://example.org/berita/2")]),
    "a source's title made null": ([], [("sources.yaml", "title: Seribu Pekerja Terlindungi",
                                         "title: null")]),
    "a source's authors": ([], [("sources.yaml", "authors: [Ani Penulis]",
                                 "authors: [Ani Penulis, Budi]")]),
    "a source's note": ([], [("sources.yaml", "archive: harian.txt\n",
                              "archive: harian.txt\n    note: Catatan.\n")]),
    "an uncited source moved in its file": (
        [("sources.yaml", "sources:\n", "sources:\n" + NEW_SOURCE)],
        [("sources.yaml", NEW_SOURCE, ""), ("sources.yaml", "archive: warta.txt\n",
                                            "archive: warta.txt\n" + NEW_SOURCE)]),
    # programs and metrics
    "a program's kind": ([], [("programs.yaml", "kind: scheme", "kind: unspecified")]),
    "a program's description": ([], [("programs.yaml", "kind: scheme\n",
                                      "kind: scheme\n    description: Uraian.\n")]),
    "a program's English name": ([], [("programs.yaml", "name_en: Work Accident Insurance",
                                       "name_en: Work Accident Cover")]),
    "a metric's English label": ([], [("metrics.yaml", "label_en: Budget for contributions",
                                       "label_en: Contribution budget")]),
    "a metric's description": ([], [("metrics.yaml", "unit: IDR\n",
                                     "unit: IDR\n    description: Uraian.\n")]),
}


@pytest.mark.parametrize("case", sorted(MINIMAL))
def test_a_registry_edit_rebuilds_as_a_clean_build_does(project, case):
    tmp_path, content, templates = project
    pre, edits = MINIMAL[case]
    again, diff, warnings, replayed, fresh = run(tmp_path, content, templates, pre, edits)
    assert diff == [], (again.mode, diff)
    assert warnings == fresh
    assert replayed == fresh


NATIONAL = {
    "a regency above a city moved to another province": (
        [("regions.yaml", "kind: city\n    parent: papua-barat-daya",
          "kind: city\n    parent: kabupaten-sorong")],
        [("regions.yaml", "name_en: Sorong Regency\n    kind: regency\n    parent: papua-barat-daya",
          "name_en: Sorong Regency\n    kind: regency\n    parent: papua-barat")]),
    "a province renamed": ([], [("regions.yaml", "name: Provinsi Papua Barat Daya\n",
                                 "name: Provinsi Papua Barat Daya Raya\n")]),
    "kota sorong moved to papua barat": (
        [], [("regions.yaml", "kind: city\n    parent: papua-barat-daya",
              "kind: city\n    parent: papua-barat")]),
    "kota sorong becomes a province": (
        [], [("regions.yaml", "kind: city\n    parent: papua-barat-daya",
              "kind: province\n    parent: indonesia")]),
    "papua barat daya ceases to be a province": (
        [], [("regions.yaml", "kind: province\n    parent: indonesia\n    code: \"96\"",
              "kind: area\n    parent: indonesia\n    code: \"96\"")]),
    "a province added (shards shift)": (
        [], [("regions.yaml", "regions:\n", "regions:\n" + """  - id: aceh
    name: Aceh
    name_en: Aceh
    kind: province
    parent: indonesia
    code: "11"
""")]),
}


@pytest.mark.parametrize("case", sorted(NATIONAL))
def test_a_registry_edit_of_the_real_content_planned_as_at_national_scale(tmp_path,
                                                                         monkeypatch, case):
    """The real content, planned as a national site is (a page per province for each
    program, charts comparing provinces, a shard of the index per province)."""
    from reportgen import charts, pages as pages_module, search

    monkeypatch.setattr(pages_module, "PROGRAM_PAGE_LIMIT", 3)
    monkeypatch.setattr(charts, "MAX_COMPARED_REGIONS", 1)
    monkeypatch.setattr(search, "PROVINCES_PER_SHARD", 1)
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    pre, edits = NATIONAL[case]
    again, diff, _warnings, _replayed, _fresh = run(tmp_path, content, TEMPLATES, pre, edits)
    assert diff == [], (again.mode, diff)


CHECK_STEPS = [
    ("metrics.yaml", "other_units: [families]", "other_units: []"),
    (FACTS, "value: 1000\n    unit: people", "value: 1000\n    unit: families"),
    ("metrics.yaml", "other_units: []", "other_units: [families]"),
    ("metrics.yaml", "unit: people", "unit: families"),
    ("metrics.yaml", "unit: families\n    other_units: [families]", "unit: people\n    other_units: [families]"),
    ("sources.yaml", 'date: "2024"\n', 'date: "20x4"\n'),  # broken source
    ("sources.yaml", 'date: "20x4"\n', 'date: "2022"\n'),
    ("sources.yaml", 'date: "2022"\n', 'date: "2024"\n'),
    ("regions.yaml", "id: kota-contoh", "id: kota-contoh2"),  # unknown region, hint
    ("regions.yaml", "id: kota-contoh2", "id: kota-contohh"),  # hint changes
    ("regions.yaml", "id: kota-contohh", "id: kota-contoh"),
    ("programs.yaml", "id: jkk", "id: jkk-x"),
    ("programs.yaml", "kind: program", "kind: nonsense"),  # broken program jkk-x
    ("programs.yaml", "id: jkk-x", "id: jkk"),  # broken program jkk
    ("programs.yaml", "kind: nonsense", "kind: program"),
    ("sources.yaml", "id: warta-2024", "id: jkk"),  # source named like a program
    ("sources.yaml", "id: jkk", "id: warta-2024"),
]


@pytest.mark.parametrize("shared", [False, True])
def test_a_check_through_the_cache_finds_what_one_without_it_finds(tmp_path, shared):
    """Registry edits one after another (a unit a metric no longer allows, a source's
    date broken and mended, an unknown region whose nearest id changes, a program broken,
    a source given a program's id), each checked through the cache (one object kept, as
    serve does, or a new one, as a new process does) and without it."""
    content = tmp_path / "content"
    shutil.copytree(DATA / "minimal" / "content", content)
    cache = tmp_path / "cache"
    one = FactFileCache(cache)
    load_content(content, cache=one)
    failures = []
    for step, (rel, old, new) in enumerate(CHECK_STEPS):
        edit(content / rel, old, new)
        cached = load_content(content, cache=one if shared else FactFileCache(cache))
        clean = load_content(content)
        if sorted(cached[1]) != sorted(clean[1]) or (cached[0] is None) != (clean[0] is None):
            failures.append((step, rel, new, sorted(set(cached[1]) ^ set(clean[1]))))
        if cached[0] is not None:
            assert sorted(f.id for f in cached[0].facts) == sorted(f.id for f in clean[0].facts)
    assert failures == []


def test_same_named_cities_swapped_rebuild_the_printed_report_too(project):
    tmp_path, content, templates = project
    pre, edits = MINIMAL["two same-named cities swapped"]
    again, diff, *_ = run(tmp_path, content, templates, pre, edits, pdf=True)
    assert again.mode == "incremental" and diff == []


SECOND_COUNTRY = """  - id: timor-leste
    name: Timor-Leste
    name_en: Timor-Leste
    kind: country
    parent: null
    code: null
"""


def test_two_countries_swapped_reorder_the_overview(project):
    tmp_path, content, templates = project
    first = """  - id: indonesia
    name: Indonesia
    name_en: Indonesia
    kind: country
    parent: null
    code: null
"""
    pre = [("regions.yaml", "regions:\n" + first, "regions:\n" + first + SECOND_COUNTRY)]
    edits = [("regions.yaml", first + SECOND_COUNTRY, SECOND_COUNTRY + first)]
    again, diff, *_ = run(tmp_path, content, templates, pre, edits)
    assert again.mode == "incremental" and diff == []


@pytest.mark.parametrize("case", ["a source's date reorders the list", "a city becomes a province",
                                  "a source becomes uncited", "an uncited source removed",
                                  "a regency moved to another province (grandchild)"])
def test_show_first_then_finishing_after_a_registry_edit_gives_the_clean_build(project,
                                                                               case):
    from reportgen.build import finish_build

    tmp_path, content, templates = project
    pre, edits = MINIMAL[case]
    cache, out, clean = tmp_path / "cache", tmp_path / "site", tmp_path / "clean"
    for rel, old, new in pre:
        edit(content / rel, old, new)
    build_site(content, templates, out, cache_dir=cache, show_first=True)
    for rel, old, new in edits:
        edit(content / rel, old, new)
    again = build_site(content, templates, out, cache_dir=cache, show_first=True)
    finish_build(again)
    build_site(content, templates, clean, use_cache=False)
    assert differing(out, clean) == [], again.mode
