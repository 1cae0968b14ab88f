"""Incremental rebuilds never serve a stale page: after each kind of change, a rebuild
from the cache equals a clean build byte for byte."""

from __future__ import annotations

import gzip
import json
import os
import pickle
import shutil
from pathlib import Path

import pytest

from reportgen import build as build_module
from reportgen.build import build_site, finish_build
from tests.conftest import CONTENT, DATA, TEMPLATES

FACTS = "facts/kota-contoh.yaml"

EXTRA_FACT = """
  - id: kota-contoh-anggaran-2024-warta
    region: kota-contoh
    programs: [iuran-apbd]
    metric: contribution-budget
    value: 2500000000
    unit: IDR
    period: "2024"
    status: budget
    sources:
      - source: warta-2024
        quote: Anggaran tahun ini 2,5 miliar rupiah.
"""


@pytest.fixture
def project(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(DATA / "minimal" / "content", content)
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    return tmp_path, content, templates


@pytest.fixture
def seed_project(tmp_path):
    """A copy of the project's own content: (content, cache, site, clean site) paths."""
    shutil.copytree(CONTENT, tmp_path / "content")
    return tmp_path / "content", tmp_path / "cache", tmp_path / "site", tmp_path / "clean"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def all_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


NEW_SOURCE = """  - id: koran-2024-05
    publisher: Koran Baru
    title: Berita baru
    date: "2024-05-02"
    authors: []
    url: null
    archive: null
"""
NEW_CITY = """  - id: kota-baru
    name: Kota Baru
    name_en: New City
    kind: city
    parent: provinsi-contoh
    code: "99.72"
"""
OTHER_PROVINCE = """  - id: provinsi-lain
    name: Provinsi Lain
    name_en: Other Province
    kind: province
    parent: indonesia
    code: "98"
"""
NEW_METRIC = """  - id: villages-enrolled
    label: Desa terdaftar
    label_en: Villages enrolled
    unit: villages
"""
JKK = """  - id: jkk
    short: JKK
    name: Jaminan Kecelakaan Kerja
    name_en: Work Accident Insurance
    kind: program
"""
FACT_OF_NEW_SOURCE = EXTRA_FACT.replace("kota-contoh-anggaran-2024-warta", "kota-contoh-koran") \
    .replace("source: warta-2024", "source: koran-2024-05")

# name: ([(file, old text, new text), ...], the mode of the rebuild that follows).  A
# change to a registry record (a source, a region, a program, a metric) is rendered
# incrementally, like a fact's; what every page shows (the site's title, the menu's
# prose pages, the order of programs and metrics) renders everything.
CHANGES = {
    "a fact's value": ([(FACTS, "value: 1000\n", "value: 1200\n")], "incremental"),
    "a fact's quote": ([(FACTS, "quote: Tahun lalu seribu pekerja sudah terlindungi.",
                         "quote: Tahun lalu seribu pekerja telah terlindungi.")], "incremental"),
    "a fact made a headline": ([(FACTS, "  - id: kota-contoh-anggaran-2024\n",
                                 "  - id: kota-contoh-anggaran-2024\n    headline: true\n")],
                               "incremental"),
    "a source's publisher": ([("sources.yaml", "publisher: Harian Contoh",
                               "publisher: Harian Contoh Baru")], "incremental"),
    "a source's date": ([("sources.yaml", 'date: "2024-03-01"', 'date: "2024-03-09"')],
                        "incremental"),
    "an uncited source added": ([("sources.yaml", "sources:\n", "sources:\n" + NEW_SOURCE)],
                                "incremental"),
    "a source added with a fact citing it": ([("sources.yaml", "sources:\n",
                                               "sources:\n" + NEW_SOURCE),
                                              (FACTS, "facts:\n", "facts:" + FACT_OF_NEW_SOURCE)],
                                             "incremental"),
    "a region's name": ([("regions.yaml", "name: Kota Contoh", "name: Kota Contoh Raya")],
                        "incremental"),
    "a province's English name": ([("regions.yaml", "name_en: Example Province",
                                    "name_en: Sample Province")], "incremental"),
    "a city added": ([("regions.yaml", "regions:\n", "regions:\n" + NEW_CITY)], "incremental"),
    "a city moved to another province": ([("regions.yaml", "regions:\n",
                                           "regions:\n" + OTHER_PROVINCE),
                                          ("regions.yaml", "parent: provinsi-contoh",
                                           "parent: provinsi-lain")], "incremental"),
    "a program's name": ([("programs.yaml", "name: Jaminan Kecelakaan Kerja",
                           "name: Jaminan Kecelakaan Kerja (JKK)")], "incremental"),
    "a program's short name": ([("programs.yaml", "short: APBD", "short: APBD-K")],
                               "incremental"),
    "a metric's label": ([("metrics.yaml", "label: Anggaran iuran",
                           "label: Anggaran iuran APBD")], "incremental"),
    "a metric's other units": ([("metrics.yaml", "other_units: [families]",
                                 "other_units: [families, villages]")], "incremental"),
    "a metric added": ([("metrics.yaml", "metrics:\n", "metrics:\n" + NEW_METRIC)], "full"),
    "the programs reordered": ([("programs.yaml", JKK, ""),
                                ("programs.yaml", "kind: scheme\n", "kind: scheme\n" + JKK)],
                               "full"),
    "the site's title": ([("site.yaml", "title: Contoh Kecil", "title: Contoh Kecil Baru")],
                         "full"),
    "a Markdown page's text": ([("pages/tentang.md", "dua", "tiga")], "incremental"),
    "a Markdown page's title": ([("pages/tentang.md", "# Tentang", "# Tentang situs")],
                                "full"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_incremental_rebuild_equals_clean_build(project, change):
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    first = build_site(content, templates, out, cache_dir=cache)
    assert first.mode == "full"
    edits, mode = CHANGES[change]
    for rel, old, new in edits:
        edit(content / rel, old, new)
    again = build_site(content, templates, out, cache_dir=cache)
    assert again.mode == mode
    if mode == "incremental":
        assert 0 < again.rendered < again.pages
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)


def test_a_removed_fact_leaves_every_page_that_showed_it(project):
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    facts = content / FACTS
    original = facts.read_text(encoding="utf-8")
    facts.write_text(original + EXTRA_FACT, encoding="utf-8")
    build_site(content, templates, out, cache_dir=cache)
    assert "kota-contoh-anggaran-2024-warta" in (out / "programs/iuran-apbd/index.html").read_text()
    facts.write_text(original, encoding="utf-8")
    again = build_site(content, templates, out, cache_dir=cache)
    assert again.mode == "incremental" and 0 < again.rendered < again.pages
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)


def test_template_change_rebuilds_every_page(project):
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    build_site(content, templates, out, cache_dir=cache)
    edit(templates / "base.html", "Unduh data:", "Unduh semua data:")
    again = build_site(content, templates, out, cache_dir=cache)
    assert again.mode == "full" and again.rendered == again.pages
    # The footer is not indexed: the search index's bundles are the last build's.
    assert again.search_shards == (0, 2)
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)
    assert "Unduh semua data:" in (out / "index.html").read_text()
    # Compiled templates are kept in the cache; the one whose source changed is compiled
    # again, each time its source changes.
    assert len(list((cache / "templates").glob("*/__jinja2_*.cache"))) >= 10
    edit(templates / "base.html", "Unduh semua data:", "Unduh data:")
    build_site(content, templates, out, cache_dir=cache)
    assert "Unduh semua data:" not in (out / "index.html").read_text()
    assert "Unduh data:" in (out / "index.html").read_text()


def test_another_site_address_rebuilds_every_page(project):
    # The address the site is published at shows on every page (og:url) and in the
    # sitemap: the same one given again changes nothing, another renders every page, and
    # so does giving none again.
    root, content, templates = project
    cache, out = root / "cache", root / "site"
    build_site(content, templates, out, cache_dir=cache, site_url="https://a.example.org/")
    same = build_site(content, templates, out, cache_dir=cache,
                      site_url="https://a.example.org/")
    assert same.mode == "unchanged"
    for url in ("https://b.example.org/laporan/", None):
        again = build_site(content, templates, out, cache_dir=cache, site_url=url)
        assert again.mode == "full" and again.rendered == again.pages
        clean = root / f"clean-{url is None}"
        build_site(content, templates, clean, use_cache=False, site_url=url)
        assert all_files(out) == all_files(clean)
    assert "og:url" not in (out / "index.html").read_text()


def test_added_disagreeing_fact_updates_the_other_facts_pages(project):
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    build_site(content, templates, out, cache_dir=cache)
    facts = content / FACTS
    facts.write_text(facts.read_text() + EXTRA_FACT)
    again = build_site(content, templates, out, cache_dir=cache)
    assert again.mode == "incremental"
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)
    page = (out / "sources/harian-2024-03-01/index.html").read_text()
    assert 'class="disagrees"' in page and "Rp2,5 miliar</a>" in page


def test_nothing_changed_writes_nothing(project):
    root, content, templates = project
    cache, out = root / "cache", root / "site"
    build_site(content, templates, out, cache_dir=cache)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = build_site(content, templates, out, cache_dir=cache)
    assert again.mode == "unchanged" and again.rendered == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before


def test_a_removed_region_loses_its_page(project):
    root, content, templates = project
    cache, out = root / "cache", root / "site"
    regions = content / "regions.yaml"
    regions.write_text(regions.read_text() + """  - id: kota-lain
    name: Kota Lain
    name_en: Other City
    kind: city
    parent: provinsi-contoh
    code: null
""")
    build_site(content, templates, out, cache_dir=cache)
    assert (out / "regions/kota-lain/index.html").is_file()
    regions.write_text(regions.read_text().split("  - id: kota-lain")[0])
    build_site(content, templates, out, cache_dir=cache)
    assert not (out / "regions/kota-lain").exists()


def test_site_edited_by_hand_is_rebuilt_in_full(project):
    root, content, templates = project
    cache, out = root / "cache", root / "site"
    build_site(content, templates, out, cache_dir=cache)
    (out / "index.html").write_text("tampered")
    again = build_site(content, templates, out, cache_dir=cache)
    assert again.mode == "full"
    assert "tampered" not in (out / "index.html").read_text()


def test_parallel_rendering_gives_the_same_site(project):
    """In a fresh process (vl-convert not yet started), so the build really forks."""
    import subprocess
    import sys

    root, content, templates = project
    script = (
        "import sys; from pathlib import Path; import reportgen.build as b\n"
        "b.PARALLEL_FROM = 1\n"
        "r = b.build_site(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]),"
        " use_cache=False, workers=int(sys.argv[4]))\n"
        "print(r.rendered)\n")
    for name, workers in (("parallel", "2"), ("serial", "1")):
        done = subprocess.run([sys.executable, "-c", script, str(content), str(templates),
                               str(root / name), workers], capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip() == "24"  # 12 pages in each language
    assert all_files(root / "parallel") == all_files(root / "serial")


# --- reportgen serve: the pages first, the data files and the search index right after ------

def bundle(folder: Path) -> dict[str, bytes]:
    return {path: data for path, data in all_files(folder).items()
            if path.startswith("pagefind/")}


def test_show_first_shows_the_pages_then_finishing_gives_the_clean_build(project):
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    build_site(content, templates, out, cache_dir=cache)
    old_index, old_data = bundle(out), (out / "data/facts.json").read_bytes()
    (out / "stray.txt").write_text("not built", encoding="utf-8")
    edit(content / FACTS, "value: 1000\n", "value: 1200\n")
    quick = build_site(content, templates, out, cache_dir=cache, show_first=True)
    assert quick.mode == "incremental" and quick.search_pending and quick.later
    assert "1.200" in (out / "regions/kota-contoh/index.html").read_text(encoding="utf-8")
    assert bundle(out) == old_index  # the previous index, still whole
    assert (out / "data/facts.json").read_bytes() == old_data  # the previous data, whole

    assert finish_build(quick) == (True, True)  # done, and the search index changed
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)  # the stray file gone too
    assert bundle(out) != old_index
    assert b"1200" in (out / "data/facts.json").read_bytes()
    assert not list(root.glob(".*search-*"))  # no work folder left beside the site
    assert not list(root.glob(".site.new-*"))  # nor a staging folder
    assert finish_build(quick) == (False, False)  # nothing left to do
    assert build_site(content, templates, out, cache_dir=cache).mode == "unchanged"


def test_a_build_after_show_first_not_finished_renders_everything(project):
    """serve stopped between showing the pages and saving the state: the site is part
    old, part new, and no saved state says what it was made from."""
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    build_site(content, templates, out, cache_dir=cache)
    edit(content / FACTS, "value: 1000\n", "value: 1200\n")
    assert build_site(content, templates, out, cache_dir=cache, show_first=True).later
    again = build_site(content, templates, out, cache_dir=cache)
    assert again.mode == "full"
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)
    assert build_site(content, templates, out, cache_dir=cache).mode == "unchanged"


def test_a_build_after_show_first_whose_index_failed_indexes_again(project, monkeypatch):
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    build_site(content, templates, out, cache_dir=cache)
    edit(content / FACTS, "value: 1000\n", "value: 1200\n")
    quick = build_site(content, templates, out, cache_dir=cache, show_first=True)

    def pagefind_fails(*args):
        raise build_module.BuildError("pagefind failed")

    monkeypatch.setattr(build_module, "_refresh_search", pagefind_fails)
    with pytest.raises(build_module.BuildError):
        finish_build(quick)
    monkeypatch.undo()
    assert b"1200" in (out / "data/facts.json").read_bytes()  # done before the index
    again = build_site(content, templates, out, cache_dir=cache)
    assert again.mode == "incremental" and again.search_shards[0] >= 1
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)
    assert build_site(content, templates, out, cache_dir=cache).mode == "unchanged"


def test_a_build_after_show_first_whose_data_failed_makes_them_again(project, monkeypatch):
    """The data files could not be written while finishing (a full disk; or serve stopped
    then): the next build makes them again, from scratch, and removes the stray file."""
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    build_site(content, templates, out, cache_dir=cache)
    edit(content / FACTS, "value: 1000\n", "value: 1200\n")
    quick = build_site(content, templates, out, cache_dir=cache, show_first=True)
    (out / "stray.txt").write_text("not built", encoding="utf-8")

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(build_module, "facts_csv", disk_full)
    with pytest.raises(OSError):
        finish_build(quick)
    monkeypatch.undo()
    again = build_site(content, templates, out, cache_dir=cache)
    assert again.mode == "incremental" and again.rendered < again.pages
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)
    assert build_site(content, templates, out, cache_dir=cache).mode == "unchanged"


def test_finishing_a_build_another_has_come_after_does_nothing(project):
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    build_site(content, templates, out, cache_dir=cache)
    edit(content / FACTS, "value: 1000\n", "value: 1200\n")
    quick = build_site(content, templates, out, cache_dir=cache, show_first=True)
    edit(content / FACTS, "value: 1200\n", "value: 1300\n")
    assert build_site(content, templates, out, cache_dir=cache).mode == "full"
    assert finish_build(quick) == (False, False)
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)  # the later build's site, 1300 everywhere
    assert build_site(content, templates, out, cache_dir=cache).mode == "unchanged"


def test_a_chart_that_fails_stops_the_build_and_its_chart_thread(project, monkeypatch):
    import threading

    from reportgen.errors import BuildError
    from reportgen.vega import VegaRenderer

    root, content, templates = project
    cache, out = root / "cache", root / "site"
    build_site(content, templates, out, cache_dir=cache)
    before = all_files(out)
    edit(content / FACTS, "value: 1000\n", "value: 1200\n")
    made = []

    def fails(self, spec, locale="id"):
        made.append(locale)
        raise BuildError("vl-convert could not make a chart: broken")

    monkeypatch.setattr(VegaRenderer, "svg_entry", fails)
    with pytest.raises(BuildError, match="broken"):
        build_site(content, templates, out, cache_dir=cache)
    assert len(made) == 1  # the other pages' charts were not begun
    assert not [t for t in threading.enumerate() if t.name.startswith("reportgen-charts")]
    assert all_files(out) == before


def test_remove_files_leaves_a_linked_folder_alone(tmp_path):
    from reportgen.buildstate import remove_files

    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    (site / "regions/a").mkdir(parents=True)
    (site / "regions/a/index.html").write_text("a")
    (site / "regions/b").mkdir()
    (site / "regions/b/index.html").write_text("b")
    elsewhere.mkdir()
    (elsewhere / "index.html").write_text("not the site's")
    (site / "linked").symlink_to(elsewhere)
    remove_files(site, {"regions/a/index.html", "linked/index.html", "not/there.html"})
    assert not (site / "regions/a").exists()  # its folder, left empty, too
    assert (site / "regions/b/index.html").is_file()
    assert (elsewhere / "index.html").is_file()


def test_remove_unlisted_removes_only_what_it_listed_and_no_build_keeps(tmp_path):
    """From a listing made earlier: files not kept go, and the folders nothing kept is in
    (empty ones too); a folder that holds a kept file stays, and so does one a file was
    put in after the listing; a link to a folder goes, never what it leads to."""
    from reportgen.buildstate import remove_unlisted, site_listing

    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    for path in ("a/kept.html", "a/b/gone.html", "c/gone.html", "d/later/x.html"):
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text("x")
    (site / "empty/deeper").mkdir(parents=True)
    elsewhere.mkdir()
    (elsewhere / "theirs.html").write_text("not the site's")
    (site / "a/link").symlink_to(elsewhere)
    listing = site_listing(site)
    assert listing[0] == {"a/kept.html", "a/b/gone.html", "c/gone.html", "d/later/x.html",
                          "a/link"}
    assert sorted(listing[1]) == ["a", "a/b", "c", "d", "d/later", "empty", "empty/deeper"]
    (site / "d/later/new.html").write_text("put there since")  # (and kept by nobody)
    remove_unlisted(site, {"a/kept.html"}, listing)
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*")) == [
        "a", "a/kept.html", "d", "d/later", "d/later/new.html"]
    assert (elsewhere / "theirs.html").is_file()


def test_show_first_makes_the_index_when_there_is_none_to_keep(project):
    root, content, templates = project
    cache, out = root / "cache", root / "site"
    result = build_site(content, templates, out, cache_dir=cache, show_first=True)
    assert result.mode == "full" and not result.search_pending and result.later is None
    assert bundle(out) and (out / "data/facts.json").is_file()


def test_show_first_removes_a_page_that_is_gone_at_once(seed_project, monkeypatch):
    """A page the edit leaves without figures (a program's page for a province) is gone
    from the site as soon as the pages are shown, not only when the build is finished."""
    from reportgen import pages as pages_module

    monkeypatch.setattr(pages_module, "PROGRAM_PAGE_LIMIT", 1)
    content, cache, out, clean = seed_project
    build_site(content, TEMPLATES, out, cache_dir=cache)
    province_pages = {p.relative_to(out).as_posix()
                      for p in (out / "programs/bpjs-ketenagakerjaan").glob("*/index.html")}
    facts = content / "facts/parepare.yaml"
    text = facts.read_text(encoding="utf-8")
    kept = [chunk for chunk in text.split("\n  - id: ")[1:]
            if "bpjs-ketenagakerjaan" not in chunk.split("metric:")[0]]
    facts.write_text(text.split("\n  - id: ")[0] + "".join("\n  - id: " + c for c in kept),
                     encoding="utf-8")
    quick = build_site(content, TEMPLATES, out, cache_dir=cache, show_first=True)
    assert quick.mode == "incremental"
    now = {p.relative_to(out).as_posix()
           for p in (out / "programs/bpjs-ketenagakerjaan").glob("*/index.html")}
    assert now < province_pages  # Sulawesi Selatan's page is gone
    finish_build(quick)
    build_site(content, TEMPLATES, clean, use_cache=False)
    assert all_files(out) == all_files(clean)


def test_search_copies_missing_from_the_cache_are_made_again_from_the_pages(project):
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    build_site(content, templates, out, cache_dir=cache)
    shutil.rmtree(cache / "search-copies")  # a pruned or partly lost cache
    edit(content / FACTS, "value: 1000\n", "value: 1200\n")
    again = build_site(content, templates, out, cache_dir=cache)
    assert again.mode == "incremental" and again.rendered < again.pages
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)
    assert not list(root.glob(".*search-*"))


# --- the search index, in shards ---------------------------------------------------------

def test_an_edit_indexes_again_only_the_shards_whose_pages_changed(seed_project, monkeypatch):
    """A province per shard here (the seed content has four): an edited figure in
    Parepare changes its region's shard and the main one (the programs' pages, which list
    every figure at this scale); the three shards of Papua are left as they were, file
    for file, and the site is still the clean build's."""
    from reportgen import search

    monkeypatch.setattr(search, "PROVINCES_PER_SHARD", 1)
    content, cache, out, clean = seed_project
    first = build_site(content, TEMPLATES, out, cache_dir=cache)
    assert first.search_shards == (5, 5)
    shards = sorted(p.name for p in (out / "pagefind").iterdir())
    assert shards == ["main", "regions-1", "regions-2", "regions-3", "regions-4"]

    def stats(shard: str) -> dict[str, tuple[int, int]]:
        return {p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
                for p in (out / "pagefind" / shard).rglob("*") if p.is_file()}

    before = {shard: stats(shard) for shard in shards}
    edit(content / "facts/parepare.yaml", "value: 744\n", "value: 745\n")
    again = build_site(content, TEMPLATES, out, cache_dir=cache)
    assert again.mode == "incremental" and again.search_shards == (2, 5)
    # regions-4 is Sulawesi Selatan's (the last province by id)
    for shard in ("regions-1", "regions-2", "regions-3"):
        assert stats(shard) == before[shard], shard
    for shard in ("main", "regions-4"):
        assert stats(shard) != before[shard], shard
    build_site(content, TEMPLATES, clean, use_cache=False)
    assert all_files(out) == all_files(clean)


def test_lost_search_copies_are_made_again_when_their_shard_is_indexed(seed_project,
                                                                       monkeypatch):
    """A build looks for the search copies of the shards it indexes only: with the cache's
    copies lost, an edit in Parepare makes its shards' again from the pages in the site,
    then an edit in Merauke (another shard) makes those of that shard; the index is the
    clean build's each time, and then finishing a show_first build finds them too."""
    from reportgen import search
    from reportgen.buildstate import load_state

    monkeypatch.setattr(search, "PROVINCES_PER_SHARD", 1)
    content, cache, out, clean = seed_project
    build_site(content, TEMPLATES, out, cache_dir=cache)
    for edit_in, old, new in (("parepare", "value: 744\n", "value: 745\n"),
                              ("merauke", "value: 179\n", "value: 180\n")):
        shutil.rmtree(cache / "search-copies")
        edit(content / f"facts/{edit_in}.yaml", old, new)
        before = load_state(cache, out).search_bundles
        again = build_site(content, TEMPLATES, out, cache_dir=cache)
        state = load_state(cache, out)
        indexed = {shard for shard, made_from in state.search_bundles.items()
                   if before[shard] != made_from}  # (and the main one, if a page there
        # indexes the figure: Merauke's is a headline on the overview)
        assert state.search_shards[f"regions/{edit_in}/index.html"] in indexed
        assert again.mode == "incremental" and again.search_shards[0] == len(indexed) < 3
        made = {p.name for p in (cache / "search-copies").rglob("*") if p.is_file()}
        # The copies of the indexed shards' pages, and of the pages rendered again
        # (the overview and the programs' pages, in the main shard), and no other.
        copies_in = lambda shards: {digest for page, digest in state.search_copies.items()
                                    if state.search_shards[page] in shards}  # noqa: E731
        assert copies_in(indexed) <= made <= copies_in(indexed | {"main"}), edit_in
        shutil.rmtree(clean, ignore_errors=True)
        build_site(content, TEMPLATES, clean, use_cache=False)
        assert all_files(out) == all_files(clean), edit_in
    shutil.rmtree(cache / "search-copies")
    edit(content / "facts/parepare.yaml", "value: 745\n", "value: 746\n")
    quick = build_site(content, TEMPLATES, out, cache_dir=cache, show_first=True)
    assert quick.search_pending
    assert finish_build(quick).searched
    shutil.rmtree(clean)
    build_site(content, TEMPLATES, clean, use_cache=False)
    assert all_files(out) == all_files(clean)


def test_a_rendered_pages_lost_copy_is_made_again_from_the_new_page(project, monkeypatch):
    """If the copy of a page rendered in this build is gone by the time its shard is
    indexed (another build tidying the cache), it is made again from the page this build
    rendered, not from the previous one still in the site."""
    from reportgen.search import SearchCopies

    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    build_site(content, templates, out, cache_dir=cache)
    real_put = SearchCopies.put
    lost = []

    def put_then_lose(self, copy):
        digest = real_put(self, copy)
        if "1.234" in copy and not lost:  # the first rendered page's copy, once
            self.path(digest).unlink()
            lost.append(digest)
        return digest

    monkeypatch.setattr(SearchCopies, "put", put_then_lose)
    edit(content / FACTS, "value: 1000\n", "value: 1234\n")
    assert build_site(content, templates, out, cache_dir=cache).mode == "incremental"
    assert lost and SearchCopies(cache / "search-copies").has(lost[0])  # made again
    monkeypatch.setattr(SearchCopies, "put", real_put)
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)


def test_show_first_then_finishing_indexes_only_the_changed_shards(seed_project, monkeypatch):
    from reportgen import search

    monkeypatch.setattr(search, "PROVINCES_PER_SHARD", 1)
    content, cache, out, clean = seed_project
    build_site(content, TEMPLATES, out, cache_dir=cache)
    papua = {p: p.stat().st_ino for p in (out / "pagefind/regions-1").rglob("*")}
    old_main = bundle(out)
    edit(content / "facts/parepare.yaml", "value: 744\n", "value: 745\n")
    quick = build_site(content, TEMPLATES, out, cache_dir=cache, show_first=True)
    assert quick.search_pending and bundle(out) == old_main
    assert finish_build(quick).searched
    assert {p: p.stat().st_ino for p in (out / "pagefind/regions-1").rglob("*")} == papua
    build_site(content, TEMPLATES, clean, use_cache=False)
    assert all_files(out) == all_files(clean)
    assert build_site(content, TEMPLATES, out, cache_dir=cache).mode == "unchanged"


def test_a_removed_figure_shown_only_in_a_programs_chart_updates_it(seed_project, monkeypatch):
    """At national scale a program's page shows no table, only a chart of the provinces'
    figures (``depends_on``); removing a province's figure must change that page too."""
    from reportgen import pages as pages_module

    monkeypatch.setattr(pages_module, "PROGRAM_PAGE_LIMIT", 1)
    content, cache, out, clean = seed_project
    build_site(content, TEMPLATES, out, cache_dir=cache)
    page = out / "programs/bpjs-ketenagakerjaan/index.html"
    assert "<table" not in page.read_text(encoding="utf-8").split("chart-data")[0]
    # The combined area's last figure (an area's, not a regency's or city's: on the
    # chart only; it disagrees with no other figure, which would bring the page along).
    facts = content / "facts/papua-barat-dan-papua-barat-daya.yaml"
    text = facts.read_text(encoding="utf-8")
    start = text.index("  - id: pb-pbd-target-organisasi-masyarakat-2023")
    assert "\n  - id:" not in text[start + 1:]
    facts.write_text(text[:start], encoding="utf-8")
    again = build_site(content, TEMPLATES, out, cache_dir=cache)
    assert again.mode == "incremental"
    build_site(content, TEMPLATES, clean, use_cache=False)
    assert all_files(out) == all_files(clean)


def test_a_carriage_return_in_a_csv_cell_survives_a_rebuild(project):
    """A note with a carriage return: facts.json keeps it (escaped), facts.csv has a
    line feed in a quoted cell (a lone carriage return would end the row in a
    spreadsheet), and the kept lines of both survive a rebuild as a clean build writes
    them."""
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    edit(content / FACTS, "    note: Dilaporkan oleh dua sumber.\n",
         '    note: "Dilaporkan oleh\\rdua sumber."\n')
    build_site(content, templates, out, cache_dir=cache)
    assert b'"Dilaporkan oleh\ndua sumber."' in (out / "data/facts.csv").read_bytes()
    assert b"oleh\\rdua" in (out / "data/facts.json").read_bytes()
    edit(content / FACTS, "value: 1000\n", "value: 1200\n")  # another fact
    assert build_site(content, templates, out, cache_dir=cache).mode == "incremental"
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)


def test_a_new_figure_updates_the_count_per_province_on_a_programs_page(seed_project, monkeypatch):
    """A program's national page lists how many figures each province has: a city's new
    figure changes its province's count there, though the page shows no city figure."""
    from reportgen import charts, pages as pages_module

    # National scale in small: a page per province, and a chart of the provinces only.
    monkeypatch.setattr(pages_module, "PROGRAM_PAGE_LIMIT", 3)
    monkeypatch.setattr(charts, "MAX_COMPARED_REGIONS", 1)
    content, cache, out, clean = seed_project
    build_site(content, TEMPLATES, out, cache_dir=cache)
    page = out / "programs/iuran-apbd/index.html"
    assert 'class="parts"' in page.read_text(encoding="utf-8")
    facts = content / "facts/kota-sorong.yaml"
    text = facts.read_text(encoding="utf-8")
    first = text.index("  - id: ")
    end = text.index("\n  - id: ", first + 1)
    fact = text[first:end + 1]
    assert "iuran-apbd" in fact and "\n    id:" not in fact
    copy = fact.replace(fact.split("\n", 1)[0], fact.split("\n", 1)[0] + "-salinan", 1)
    copy = copy.replace('period: "2024"', 'period: "2019"', 1)
    facts.write_text(text + copy, encoding="utf-8")
    again = build_site(content, TEMPLATES, out, cache_dir=cache)
    assert again.mode == "incremental"
    build_site(content, TEMPLATES, clean, use_cache=False)
    assert page.read_text(encoding="utf-8") == (clean / "programs/iuran-apbd/index.html"
                                                ).read_text(encoding="utf-8")
    assert all_files(out) == all_files(clean)


def test_another_version_of_a_library_that_shapes_the_output_rebuilds_everything(
        project, monkeypatch):
    """Pagefind, vl-convert, Jinja ...: kept pages, charts and shards must not be the old
    version's work next to the new one's."""
    from reportgen import buildstate

    root, content, templates = project
    cache, out = root / "cache", root / "site"
    build_site(content, templates, out, cache_dir=cache)
    real = buildstate.metadata.version
    monkeypatch.setattr(buildstate.metadata, "version",
                        lambda name: "9.9.9" if name == "pagefind-bin" else real(name))
    edit(content / FACTS, "value: 1000\n", "value: 1200\n")
    assert build_site(content, templates, out, cache_dir=cache).mode == "full"


def test_a_citys_edited_figure_updates_a_programs_chart_of_every_region(seed_project, monkeypatch):
    """A program with a page per province but few regions: its chart compares every
    region, cities too, so a city's edited figure changes the program's page."""
    from reportgen import pages as pages_module

    monkeypatch.setattr(pages_module, "PROGRAM_PAGE_LIMIT", 3)
    content, cache, out, clean = seed_project
    build_site(content, TEMPLATES, out, cache_dir=cache)
    assert 'class="parts"' in (out / "programs/iuran-apbd/index.html").read_text()
    facts = content / "facts/kota-sorong.yaml"
    text = facts.read_text(encoding="utf-8")
    first = text.index("  - id: kota-sorong-anggaran-iuran-2024")
    value = text.index("    value: ", first)
    line_end = text.index("\n", value)
    facts.write_text(text[:value] + "    value: 123456789" + text[line_end:], encoding="utf-8")
    assert build_site(content, TEMPLATES, out, cache_dir=cache).mode == "incremental"
    build_site(content, TEMPLATES, clean, use_cache=False)
    assert all_files(out) == all_files(clean)


def test_a_source_whose_first_figure_moves_province_moves_shard(seed_project, monkeypatch):
    """A source page is in the shard of its first figure's province: when a Kota Sorong
    figure (Papua Barat Daya) comes to cite the Parepare article, the article's page
    leaves Sulawesi Selatan's shard for Papua Barat Daya's; both shards are indexed
    again and the site is the clean build's."""
    from reportgen import search

    monkeypatch.setattr(search, "PROVINCES_PER_SHARD", 1)
    content, cache, out, clean = seed_project
    build_site(content, TEMPLATES, out, cache_dir=cache)

    def fragments(shard: str) -> bytes:
        return b"".join(gzip.decompress(p.read_bytes())
                        for p in (out / "pagefind" / shard / "fragment").glob("id_*"))

    # by id: papua-barat, papua-barat-daya, papua-selatan, sulawesi-selatan
    assert b"/sources/bacapesan-2025-04-28/" in fragments("regions-4")
    assert b"/sources/bacapesan-2025-04-28/" not in fragments("regions-2")
    edit(content / "facts/kota-sorong.yaml", "      - source: sorongraya-2024-02-26\n",
         "      - source: bacapesan-2025-04-28\n        quote: Kutipan uji.\n"
         "      - source: sorongraya-2024-02-26\n")
    again = build_site(content, TEMPLATES, out, cache_dir=cache)
    assert again.mode == "incremental" and again.search_shards[0] >= 2
    assert b"/sources/bacapesan-2025-04-28/" in fragments("regions-2")
    assert b"/sources/bacapesan-2025-04-28/" not in fragments("regions-4")
    build_site(content, TEMPLATES, clean, use_cache=False)
    assert all_files(out) == all_files(clean)


def test_a_process_loading_again_reuses_unchanged_files_facts_and_registries(seed_project):
    """What serve does after an edit: the registries' objects and the facts of unchanged
    fact files are the last load's; an edited file's facts are new; an edited registry
    makes everything anew, linked to the new registry objects."""
    from reportgen.content import load_content
    from reportgen.factcache import FactFileCache

    content_dir, cache, _site, _clean = seed_project
    first, _ = load_content(content_dir, cache=FactFileCache.shared(cache))
    edit(content_dir / "facts" / "parepare.yaml", "value: 7000\n", "value: 7001\n")
    second, _ = load_content(content_dir, cache=FactFileCache.shared(cache))
    before = {f.id: f for f in first.facts}
    for fact in second.facts:
        same = fact is before[fact.id]
        assert same == (fact.region.id != "parepare"), fact.id
    assert second.regions["parepare"] is first.regions["parepare"]
    assert next(f for f in second.facts if f.region.id == "parepare" and f.value.low == 7001)

    edit(content_dir / "regions.yaml", "name: Kota Parepare", "name: Kota Pare-Pare")
    third, _ = load_content(content_dir, cache=FactFileCache.shared(cache))
    assert third.regions["parepare"].name == "Kota Pare-Pare"
    assert not any(f is before.get(f.id) for f in third.facts)
    assert all(f.region is third.regions[f.region.id] for f in third.facts)
    assert all(c.source is third.sources[c.source.id] for f in third.facts for c in f.citations)
    # A load in a fresh process (a new cache object) gives the same content.
    fresh, _ = load_content(content_dir, cache=FactFileCache(cache))
    assert fresh == third


def test_compiled_templates_are_kept_per_language(tmp_path):
    """Jinja works out a filter given a constant when it compiles: a template compiled
    for one language must not serve the other."""
    from reportgen.render import make_environment

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "base.html").write_text("{{ 1234.5|number }} {{ 'people'|unit }}\n")
    cache = tmp_path / "cache"
    for _ in range(2):  # compiled, then from the cache
        made = {lang: make_environment(templates, lang, cache).get_template("base.html").render()
                for lang in ("id", "en")}
        assert made == {"id": "1.234,5 orang\n", "en": "1,234.5 people\n"}
    assert len(list((cache / "templates").iterdir())) == 2


def test_only_a_one_shot_build_starts_vl_convert_when_no_chart_needs_it(project):
    """A process that goes on after a build (serve) must still be able to fork workers for
    a large rebuild: it starts vl-convert only when a chart is not in the cache.  The
    `build` command (one_shot) starts it early whatever comes: for an incremental build
    in a chart worker as soon as it knows there is a previous build (the process itself
    never runs it, and the worker is gone when the build is), for a full one in a thread
    when it renders its pages itself."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    root, content, templates = project
    cache, out = root / "cache", root / "site"
    build_site(content, templates, out, cache_dir=cache)  # every chart is in the cache now
    script = ("import sys, multiprocessing; from pathlib import Path;"
              "from reportgen.build import build_site;"
              "from reportgen.vega import ChartWorker, runtime_started;"
              "warm = ChartWorker.warm_up;"
              "ChartWorker.warm_up = lambda self: print('warming') or warm(self);"
              f"r = build_site(Path({str(content)!r}), Path({str(templates)!r}),"
              " Path(sys.argv[2]), cache_dir=Path(sys.argv[3]),"
              " one_shot=sys.argv[1] == 'yes');"
              "print(r.mode, r.rendered, runtime_started(), len(multiprocessing.active_children()))")
    said = []
    for one_shot, note, site, kept in (("no", "tiga", out, cache), ("yes", "empat", out, cache),
                                       ("yes", "lima", root / "other", root / "cache2"),
                                       ("yes", "", out, cache)):
        text = (content / FACTS).read_text(encoding="utf-8")  # a note: no chart shows it
        if note:
            start = text.index("note: Dilaporkan oleh")
            end = text.index("\n", start)
            text = text[:start] + f"note: Dilaporkan oleh {note} sumber." + text[end:]
        else:  # a figure: its charts are drawn again
            text = text.replace("value: 1000\n", "value: 1500\n", 1)
        (content / FACTS).write_text(text, encoding="utf-8")
        done = subprocess.run([sys.executable, "-c", script, one_shot, str(site), str(kept)],
                              cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        said.append(done.stdout.split())
    assert said[0][0] == "incremental" and int(said[0][1]) > 0 and said[0][2:] == ["False", "0"]
    assert said[1][:2] == ["warming", "incremental"] and said[1][3:] == ["False", "0"]
    assert said[2][0] == "full" and said[2][2] == "True" and "warming" not in said[2]
    assert said[3][:2] == ["warming", "incremental"] and said[3][3:] == ["False", "0"]
    clean = root / "clean"
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)


def test_with_a_chart_worker_the_process_never_runs_vl_convert_itself(project):
    """serve's way: charts of pages rendered in place are made in the chart worker, so
    the process can still fork page workers after any number of rebuilds; the charts are
    what vl-convert makes here, and its errors come back as build errors."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    root, content, templates = project
    script = f"""
import sys
from pathlib import Path
from reportgen.build import build_site
from reportgen.errors import BuildError
from reportgen.vega import ChartWorker, VegaRenderer, runtime_started
content, templates, root = Path({str(content)!r}), Path({str(templates)!r}), Path({str(root)!r})
with ChartWorker() as charts:
    first = build_site(content, templates, root / "site", cache_dir=root / "cache", charts=charts)
    facts = content / {FACTS!r}
    facts.write_text(facts.read_text().replace("value: 1000\\n", "value: 1100\\n"))
    again = build_site(content, templates, root / "site", cache_dir=root / "cache", charts=charts)
    try:
        VegaRenderer(None, charts).svg({{"mark": "no-such-mark"}})
    except BuildError as exc:
        print("error:", str(exc).split(":")[0])
    print(first.charts, again.mode, again.charts, runtime_started())
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    error, counts = done.stdout.splitlines()
    assert error == "error: vl-convert could not make a chart"
    charts, mode, rebuilt, started = counts.split()
    assert int(charts) > 0 and mode == "incremental" and int(rebuilt) > 0 and started == "False"
    clean = root / "clean"
    build_site(content, templates, clean, use_cache=False)
    assert all_files(root / "site") == all_files(clean)


def test_a_rebuild_makes_its_charts_from_the_kept_templates_without_altair(project):
    """The charts' templates are kept in the cache: a fresh process that rebuilds after
    an edit does not import Altair (half a second), and its charts are the same as a
    clean build's."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    build_site(content, templates, out, cache_dir=cache)
    [kept] = list((cache / "chart-templates").iterdir())
    script = ("import sys; from pathlib import Path; from reportgen.build import build_site;"
              f"r = build_site(Path({str(content)!r}), Path({str(templates)!r}),"
              f" Path({str(out)!r}), cache_dir=Path({str(cache)!r}));"
              "print(r.mode, r.charts, 'altair' in sys.modules)")
    edit(content / FACTS, "value: 1000\n", "value: 1300\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    mode, charts, imported = done.stdout.split()
    assert mode == "incremental" and int(charts) > 0 and imported == "False"
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)

    kept.write_text("{not json", encoding="utf-8")  # unreadable: made again, and kept
    edit(content / FACTS, "value: 1300\n", "value: 1400\n")
    again = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                           text=True)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split()[2] == "True"
    assert json.loads(kept.read_text(encoding="utf-8"))["en"]["bars"]["facet"]


def record_rendered_pages(monkeypatch) -> list[str]:
    """The output paths of the pages the builds render from now on, in order."""
    import reportgen.build

    rendered: list[str] = []
    real = reportgen.build.render_page

    def recording(env, content, page, names):
        rendered.append(page.out_path)
        return real(env, content, page, names)

    monkeypatch.setattr(reportgen.build, "render_page", recording)
    return rendered


def test_the_list_of_sources_is_rendered_again_only_when_its_counts_change(project, monkeypatch):
    """The list of sources shows each source's count of figures: an edited figure leaves
    it as it was (it is not rendered again), a figure more for a source changes it."""
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    build_site(content, templates, out, cache_dir=cache)
    rendered = record_rendered_pages(monkeypatch)
    edit(content / FACTS, "value: 1000\n", "value: 1100\n")
    assert build_site(content, templates, out, cache_dir=cache).mode == "incremental"
    assert rendered and "index.html" in rendered
    assert "sources/index.html" not in rendered and "en/sources/index.html" not in rendered
    rendered.clear()
    (content / FACTS).write_text((content / FACTS).read_text() + EXTRA_FACT)
    assert build_site(content, templates, out, cache_dir=cache).mode == "incremental"
    assert "sources/index.html" in rendered and "en/sources/index.html" in rendered
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)
    assert "2 angka" in (out / "sources/index.html").read_text()


def test_the_overview_is_rendered_again_only_when_what_it_shows_changes(project, monkeypatch):
    """The overview shows the headline figures, the counts, the registries and, as its
    date, the newest source any figure cites: another figure's value leaves it as it
    was; a figure that comes to cite a newer source, without a figure more or a source
    more, dates it anew."""
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    edit(content / "sources.yaml", "sources:\n", "sources:\n" + NEW_SOURCE)
    build_site(content, templates, out, cache_dir=cache)
    rendered = record_rendered_pages(monkeypatch)
    edit(content / FACTS, "value: 2200000000\n", "value: 2300000000\n")
    assert build_site(content, templates, out, cache_dir=cache).mode == "incremental"
    assert "regions/kota-contoh/index.html" in rendered
    assert "index.html" not in rendered and "en/index.html" not in rendered
    rendered.clear()
    edit(content / FACTS, "source: warta-2024\n        quote: Anggaran tahun ini",
         "source: koran-2024-05\n        quote: Anggaran tahun ini")
    assert build_site(content, templates, out, cache_dir=cache).mode == "incremental"
    assert "index.html" in rendered and "en/index.html" in rendered
    assert "2 Mei 2024" in (out / "index.html").read_text()
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)


def test_a_new_process_finds_the_registries_checked_in_the_cache(seed_project, monkeypatch):
    """The registries' objects are kept in the cache, checked: a new process (a new cache
    object) does not read and check them again while their files are unchanged, and gets
    the same content and the same problems; an edited registry is checked again."""
    import reportgen.content
    from reportgen.content import load_content
    from reportgen.factcache import FactFileCache

    content_dir, cache, _site, _clean = seed_project
    edit(content_dir / "sources.yaml", "publisher: ", "publisher: ")  # (unchanged)
    edit(content_dir / "regions.yaml", "name: Kota Parepare", "name: Kota Parepare\n    bogus: 1")
    first, problems = load_content(content_dir, cache=FactFileCache(cache), partial=True)
    assert [p.rule for p in problems if p.path.endswith("regions.yaml")]
    checked = []
    real = reportgen.content._load_registries
    monkeypatch.setattr(reportgen.content, "_load_registries",
                        lambda *args: checked.append(1) or real(*args))
    again, again_problems = load_content(content_dir, cache=FactFileCache(cache), partial=True)
    assert checked == [] and again == first and again_problems == problems
    assert all(f.region is again.regions[f.region.id] for f in again.facts)

    edit(content_dir / "regions.yaml", "\n    bogus: 1", "")
    fixed, fixed_problems = load_content(content_dir, cache=FactFileCache(cache))
    assert checked == [1] and fixed is not None
    assert not [p for p in fixed_problems if p.path.endswith("regions.yaml")]


def test_a_saved_state_is_read_back_whole_and_another_process_s_from_its_file(tmp_path):
    """A process reads the state it saved without parsing the file again (serve), as a
    copy that the reader may change; one another process saved since is read from the
    file."""
    from reportgen.buildstate import BuildState, _state_path, load_state, save_state
    from reportgen.cachetidy import write_entry

    cache, out = tmp_path / "cache", tmp_path / "site"
    mine = BuildState("inputs", {"fact": "print"}, {"index.html": "shows"}, {}, {"a.html": 1})
    save_state(cache, out, mine)
    read = load_state(cache, out)
    assert read == mine and read is not mine
    read.files["b.html"] = 2
    assert load_state(cache, out).files == {"a.html": 1}

    token, theirs = pickle.loads(_state_path(cache, out).read_bytes())
    theirs.update(_token="0123456789abcdef", inputs="other inputs")
    write_entry(_state_path(cache, out), pickle.dumps(("0123456789abcdef", theirs)))
    assert load_state(cache, out).inputs == "other inputs"
    save_state(cache, out, mine)  # and one changed by another hand, its token kept
    token, edited = pickle.loads(_state_path(cache, out).read_bytes())
    write_entry(_state_path(cache, out), pickle.dumps((token, {**edited, "_": "x"}), 5))
    assert load_state(cache, out) is None  # (not a state any more: "_" is no field)
    write_entry(_state_path(cache, out), b"not a pickle")
    assert load_state(cache, out) is None
    # A state holds built-in types only: a file that names a class is refused, unrun.
    save_state(cache, out, mine)
    token, fields = pickle.loads(_state_path(cache, out).read_bytes())
    write_entry(_state_path(cache, out), pickle.dumps((token, {**fields, "inputs": Path("x")})))
    assert load_state(cache, out) is None
    write_entry(_state_path(cache, out), pickle.dumps(("another token", fields)))
    assert load_state(cache, out) == mine


def test_a_fact_file_is_checked_again_only_when_what_its_check_reads_changed(seed_project,
                                                                              monkeypatch):
    """A checked fact file is kept in the cache with the registry records it refers to:
    a new process (a new cache object) checks it again only when one of them changed in
    what the check reads (a source's date, not its publisher; not a region's name), and
    then only the files that refer to it, with the problems the change brings."""
    from reportgen.content import _ContentBuilder, load_content
    from reportgen.factcache import FactFileCache

    content_dir, cache, _site, _clean = seed_project
    load_content(content_dir, cache=FactFileCache(cache))
    checked = []
    real = _ContentBuilder.fact_file
    monkeypatch.setattr(_ContentBuilder, "fact_file", lambda self, path, shown, *rest: (
        checked.append(path.name) or real(self, path, shown, *rest)))

    def load():
        checked.clear()
        return load_content(content_dir, cache=FactFileCache(cache))

    edit(content_dir / "sources.yaml", "publisher: BACAPESAN", "publisher: Baca Pesan")
    edit(content_dir / "regions.yaml", "name: Kota Parepare", "name: Kota Pare-Pare")
    content, problems = load()
    assert checked == [] and content is not None
    cited = [c.source for f in content.facts for c in f.citations
             if c.source.id == "bacapesan-2025-04-28"]
    assert cited and all(s.publisher == "Baca Pesan" for s in cited)
    assert all(f.region.name == "Kota Pare-Pare" for f in content.facts
               if f.region.id == "parepare")

    # Dated before the year of an actual figure it reports: that file, and only it, is
    # checked again, and says so.
    edit(content_dir / "sources.yaml", 'date: "2025-04-28"', 'date: "2023-06-01"')
    content, problems = load()
    assert checked == ["parepare.yaml"] and content is None
    assert [p.path for p in problems if p.rule == "RG206"]
    assert all(p.path.endswith("facts/parepare.yaml") for p in problems if p.rule == "RG206")
    edit(content_dir / "sources.yaml", 'date: "2023-06-01"', 'date: "2025-04-28"')
    content, problems = load()
    assert checked == ["parepare.yaml"] and content is not None
    assert not [p for p in problems if p.rule == "RG206"]


def test_a_fact_citing_an_unknown_source_is_checked_again_when_it_is_added(project):
    """A fact file that refers to a record the registries lack depends on all of them:
    adding the source it cites makes its error go, in a process that finds it cached."""
    from reportgen.content import load_content
    from reportgen.factcache import FactFileCache

    root, content, _templates = project
    edit(content / FACTS, "facts:\n", "facts:" + FACT_OF_NEW_SOURCE)
    loaded, problems = load_content(content, cache=FactFileCache(root / "cache"))
    assert loaded is None
    assert [p.message for p in problems if p.rule == "RG104"] == [
        "unknown source 'koran-2024-05'"]
    edit(content / "sources.yaml", "sources:\n", "sources:\n" + NEW_SOURCE)
    loaded, problems = load_content(content, cache=FactFileCache(root / "cache"))
    assert loaded is not None and not [p for p in problems if p.severity == "error"]
    assert "kota-contoh-koran" in {f.id for f in loaded.facts}


def test_an_edit_no_page_shows_renders_nothing_and_is_remembered(project):
    """A metric no figure has shows on no page: relabelling it renders nothing, and the
    state remembers the files it was built from, so the build after that need not even
    load the content."""
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    edit(content / "metrics.yaml", "metrics:\n", "metrics:\n" + NEW_METRIC)
    build_site(content, templates, out, cache_dir=cache)
    edit(content / "metrics.yaml", "label: Desa terdaftar", "label: Desa yang terdaftar")
    again = build_site(content, templates, out, cache_dir=cache)
    assert again.mode == "unchanged" and "load and validate" in again.timings
    third = build_site(content, templates, out, cache_dir=cache)
    assert third.mode == "unchanged" and "load and validate" not in third.timings
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)


def test_show_first_after_a_source_added_with_its_figure_then_finishing_gives_the_clean_build(
        project):
    """What serve does when an article is added: the pages that show it first, then the
    data files and the search index; the site is then the clean build's."""
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    build_site(content, templates, out, cache_dir=cache)
    edit(content / "sources.yaml", "sources:\n", "sources:\n" + NEW_SOURCE)
    edit(content / FACTS, "facts:\n", "facts:" + FACT_OF_NEW_SOURCE)
    quick = build_site(content, templates, out, cache_dir=cache, show_first=True)
    assert quick.mode == "incremental" and 0 < quick.rendered < quick.pages
    assert "Koran Baru" in (out / "sources/koran-2024-05/index.html").read_text(encoding="utf-8")
    assert finish_build(quick).done
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)
    assert b"koran-2024-05" in (out / "data/facts.json").read_bytes()


def folders(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_dir() and not p.is_symlink()}


def test_an_incremental_build_removes_files_no_build_made(project):
    """Files put in the site by hand (a folder of them, an empty folder, a link to a
    folder) are gone after an incremental build, as a clean build would not have them:
    the build looks through the site while Pagefind works, and removes them with the
    files it no longer makes (a link, never what it leads to)."""
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    build_site(content, templates, out, cache_dir=cache)
    (out / "stray.txt").write_text("not built", encoding="utf-8")
    (out / "regions" / "left" / "behind").mkdir(parents=True)
    (out / "regions" / "left" / "behind" / "page.html").write_text("old", encoding="utf-8")
    (out / "regions" / "old-city" / "empty").mkdir(parents=True)
    os.symlink(out / "regions", out / "alias")
    edit(content / FACTS, "value: 1000\n", "value: 1200\n")
    again = build_site(content, templates, out, cache_dir=cache)
    assert again.mode == "incremental" and "look through the site" in again.timings
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)
    assert folders(out) == folders(clean)
    assert not os.path.lexists(out / "alias") and (out / "regions").is_dir()


def test_a_full_build_indexes_again_only_the_shards_whose_pages_read_otherwise(
        seed_project, monkeypatch):
    """A template edit renders every page; the search index is made again only for the
    shards whose pages' indexed text changed (here the heading of a source page's table:
    the shards that hold sources), the others' bundles kept from the site; the site is
    the clean build's."""
    from reportgen import search

    monkeypatch.setattr(search, "PROVINCES_PER_SHARD", 1)
    content, cache, out, clean = seed_project
    templates = out.parent / "templates"
    shutil.copytree(TEMPLATES, templates)
    first = build_site(content, templates, out, cache_dir=cache)
    shards = first.search_shards[1]
    edit(templates / "source.html", "<h2>", "<h2 class=\"figures\">")
    again = build_site(content, templates, out, cache_dir=cache)
    assert again.mode == "full" and 0 < again.search_shards[0] < shards
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)


def test_a_full_build_keeps_only_the_files_of_a_bundle_the_last_build_made(project):
    """A full build keeps a shard's bundle from the site as the last build made it: a file
    put in it by hand is not carried into the new site, and a bundle with a file
    replaced by a link (to a copy elsewhere) is indexed again, not kept without it."""
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    build_site(content, templates, out, cache_dir=cache)
    main = out / "pagefind" / "main"
    (main / "stray.js").write_text("not built", encoding="utf-8")
    (main / "old").mkdir()
    (main / "old" / "x.pf_fragment").write_bytes(b"old")
    elsewhere = root / "elsewhere.js"
    shutil.copy(main / "pagefind-ui.js", elsewhere)
    (main / "pagefind-ui.js").unlink()
    os.symlink(elsewhere, main / "pagefind-ui.js")
    edit(templates / "base.html", "Unduh data:", "Unduh semua data:")  # (not indexed)
    again = build_site(content, templates, out, cache_dir=cache)
    assert again.mode == "full" and again.search_shards[0] == 1  # main, made again
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)
    assert not (out / "pagefind" / "main" / "pagefind-ui.js").is_symlink()


def test_show_first_builds_finished_or_not_then_full_builds_equal_the_clean_build(project):
    """A fact edit shown first and finished, then a template edit (a full build keeping
    the bundles); a show_first build left unfinished (its index stale), then a full build
    (which keeps none of the stale bundles)."""
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    build_site(content, templates, out, cache_dir=cache)
    edit(content / FACTS, "value: 1000\n", "value: 1200\n")
    quick = build_site(content, templates, out, cache_dir=cache, show_first=True)
    assert quick.search_pending
    finish_build(quick)
    edit(templates / "base.html", "Unduh data:", "Unduh semua data:")
    assert build_site(content, templates, out, cache_dir=cache).search_shards[0] == 0
    edit(content / FACTS, "value: 1200\n", "value: 1300\n")
    quick = build_site(content, templates, out, cache_dir=cache, show_first=True)
    assert quick.search_pending  # (not finished)
    edit(templates / "base.html", "Unduh semua data:", "Unduh data:")
    build_site(content, templates, out, cache_dir=cache)
    build_site(content, templates, clean, use_cache=False)
    assert all_files(out) == all_files(clean)


def test_an_english_page_added_edited_and_removed_equals_the_clean_build(project):
    """<slug>.en.md added (its title is in the English menu: every page), its text edited
    (its pages alone), the Indonesian text edited, the translation removed (every page),
    each shown first and then finished, as serve does."""
    root, content, templates = project
    cache, out, clean = root / "cache", root / "site", root / "clean"
    build_site(content, templates, out, cache_dir=cache)
    en = content / "pages" / "tentang.en.md"
    steps = [(lambda: en.write_text("# About\n\nA test site with **two** sources.\n"), "full"),
             (lambda: edit(en, "two", "three"), "incremental"),
             (lambda: edit(content / "pages" / "tentang.md", "dua", "tiga"), "incremental"),
             (lambda: en.unlink(), "full")]
    for step, mode in steps:
        step()
        quick = build_site(content, templates, out, cache_dir=cache, show_first=True)
        assert quick.mode == mode
        finish_build(quick)
        shutil.rmtree(clean, ignore_errors=True)
        build_site(content, templates, clean, use_cache=False)
        assert all_files(out) == all_files(clean), mode
