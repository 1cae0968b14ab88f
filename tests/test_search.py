"""Search copies: what Pagefind is given of a page instead of the whole page (the index
they give is compared with a run over the whole pages in tests/test_readers.py)."""

from __future__ import annotations

import os
from types import SimpleNamespace

from reportgen import search
from reportgen.content import load_content
from reportgen.i18n import LANGUAGES
from reportgen.pages import plan_pages
from reportgen.search import SearchCopies, SearchShards, search_copy
from tests.conftest import CONTENT

PAGE = """<!DOCTYPE html>
<html lang="en" data-theme="auto"><head><title>T</title>
<script type="application/ld+json">{"a": "<div>"}</script></head><body>
<nav>menu</nav>
<main id="main" class="wrap" data-pagefind-body>
<h1><span data-pagefind-meta="title">Kota Contoh</span></h1>
<div class="a"><p>kept</p>
<div class="table-wrap" data-pagefind-ignore><div><div>nested</div></div><p>table</p></div>
<p>after</p></div>
<span class="cites" data-pagefind-ignore><a href="#n1">[1]</a></span> tail
<details data-pagefind-ignore><summary>x</summary><span data-pagefind-filter="year">2024</span></details>
<img src="a.png" alt="" data-pagefind-ignore>
<span data-pagefind-ignore data-pagefind-meta="image:b.png">own tag</span>
</main>
<section class="notes" data-pagefind-ignore>notes</section>
</body></html>
"""


def test_a_search_copy_keeps_the_indexed_main_without_what_pagefind_ignores():
    copy = search_copy(PAGE)
    assert copy.startswith('<!DOCTYPE html>\n<html lang="en" data-theme="auto"><head>')
    body = copy[copy.index("<body>") + 6:copy.index("</body>")]
    assert body.startswith('<main id="main" class="wrap" data-pagefind-body>')
    assert body.endswith("</main>")
    for gone in ("nested", "table", "[1]", "a.png", "menu", "notes", "ld+json", "<title>"):
        assert gone not in copy
    assert "<p>kept</p>\n\n<p>after</p></div>" in body  # the nested divs end where they should
    assert " tail" in body
    # Pagefind reads filters and metadata even inside ignored elements: those stay.
    assert '<span data-pagefind-filter="year">2024</span>' in body
    assert '<span data-pagefind-meta="title">Kota Contoh</span>' in body
    assert 'data-pagefind-meta="image:b.png">own tag</span>' in body


def test_only_the_attribute_itself_leaves_an_element_out():
    """The words data-pagefind-ignore in text, in an attribute's value or as part of a
    longer attribute name leave nothing out; the attribute anywhere in a tag does."""
    page = ('<html lang="id"><body><main data-pagefind-body>'
            '<p>about data-pagefind-ignore in text</p>'
            '<p title="see data-pagefind-ignore">titled</p>'
            '<p data-pagefind-ignored="x">longer name</p>'
            '<p\ndata-pagefind-ignore class="a">gone 1</p>'
            '<td class="n" data-pagefind-ignore><span>gone 2</span></td>'
            '<p>end</p></main></body></html>')
    body = search_copy(page)
    for kept in ("about data-pagefind-ignore in text", "titled", "longer name", "end"):
        assert kept in body
    assert "gone" not in body


def test_a_page_without_an_indexed_body_has_no_search_copy():
    assert search_copy("<html lang='id'><body><main id='main'>x</main></body></html>") is None


def test_search_copies_are_stored_by_their_hash(tmp_path):
    copies = SearchCopies(tmp_path / "copies")
    digest = copies.put("<html>ä</html>")
    assert copies.put("<html>ä</html>") == digest and copies.has(digest)
    assert copies.path(digest).read_bytes() == "<html>ä</html>".encode()
    assert copies.path(digest).parent.name == digest[:2]
    assert not copies.has("0" * 64)
    assert [p.name for p in (tmp_path / "copies").rglob("*.tmp*")] == []


def test_a_failing_pagefind_run_is_reported_with_what_it_said(tmp_path):
    """Pagefind's own words come back in the error, and its process and files are done
    with (it writes them to a file: a pipe nobody reads while it runs could fill)."""
    import pytest

    from reportgen.errors import BuildError
    from reportgen.search import _start_pagefind, _wait_for_pagefind

    (tmp_path / "site").mkdir()  # no page in it: Pagefind refuses
    process = _start_pagefind(tmp_path / "site", tmp_path / "out")
    with pytest.raises(BuildError, match=r"pagefind failed \(1\): .*not able to build an index"):
        _wait_for_pagefind(process)
    assert process.returncode == 1 and process.messages.closed


def test_pagefind_runs_with_one_thread_and_none_of_our_pagefind_settings(tmp_path,
                                                                         monkeypatch):
    """Runs go side by side, one per core: each with one thread of its own; and no
    PAGEFIND_ variable of the caller's changes what it indexes."""
    import subprocess

    seen = {}

    class Recorded:
        def __init__(self, command, **kwargs):
            seen.update(kwargs["env"])

    monkeypatch.setenv("PAGEFIND_SITE", "/elsewhere")
    monkeypatch.setenv("RAYON_NUM_THREADS", "8")
    monkeypatch.setattr(subprocess, "Popen", Recorded)
    search._start_pagefind(tmp_path, tmp_path / "out").messages.close()
    assert seen["RAYON_NUM_THREADS"] == "1"
    assert not any(name.startswith("PAGEFIND_") for name in seen)


def test_pagefind_started_while_charts_are_drawn_gets_the_callers_environment(
        monkeypatch):
    """A build starts Pagefind while a thread may be drawing charts, each call into
    vl-convert setting fontconfig's configuration for its length: Pagefind gets the
    environment as it is outside those calls, every time, and copying it never fails
    while another thread changes it."""
    import threading

    from reportgen.vega import CHART_FONTS, chart_fonts

    monkeypatch.setenv("FONTCONFIG_FILE", "/the/callers/fonts.conf")
    stop = threading.Event()

    def drawing() -> None:
        while not stop.is_set():
            with chart_fonts():
                pass

    thread = threading.Thread(target=drawing)
    thread.start()
    try:
        seen = {search.pagefind_environment().get("FONTCONFIG_FILE") for _ in range(5000)}
    finally:
        stop.set()
        thread.join()
    assert seen == {"/the/callers/fonts.conf"}
    assert os.environ["FONTCONFIG_FILE"] == "/the/callers/fonts.conf"
    monkeypatch.delenv("FONTCONFIG_FILE")
    with chart_fonts():
        assert os.environ["FONTCONFIG_FILE"] == str(CHART_FONTS)
        assert "FONTCONFIG_FILE" not in search.pagefind_environment()


# --- shards of the index ---------------------------------------------------------------------

def test_pages_go_in_the_shard_of_their_province(monkeypatch):
    """Provinces by id in groups of PROVINCES_PER_SHARD; a region's page, its programs'
    province pages and the sources whose first figure is about it go in its province's
    shard; the rest in the main one."""
    from reportgen import search
    from reportgen.content import load_content
    from reportgen.i18n import LANGUAGES
    from reportgen.pages import plan_pages
    from tests.conftest import CONTENT

    content, _ = load_content(CONTENT)
    monkeypatch.setattr(search, "PROVINCES_PER_SHARD", 4)
    assert search.SearchShards(content).names == ["main", "regions-1"]  # 4 provinces
    monkeypatch.setattr(search, "PROVINCES_PER_SHARD", 2)
    shards = search.SearchShards(content)
    # by id: papua-barat, papua-barat-daya | papua-selatan, sulawesi-selatan
    assert shards.names == ["main", "regions-1", "regions-2"]
    of = {page.out_path: shards.of_page(page) for page in plan_pages(content, LANGUAGES)}
    assert of["regions/kota-sorong/index.html"] == "regions-1"  # in Papua Barat Daya
    assert of["en/regions/papua-barat/index.html"] == "regions-1"
    assert of["regions/parepare/index.html"] == "regions-2"  # in Sulawesi Selatan
    assert of["regions/merauke/index.html"] == "regions-2"
    assert of["regions/indonesia/index.html"] == "main"
    assert of["regions/papua-barat-dan-papua-barat-daya/index.html"] == "main"  # combined
    assert of["index.html"] == of["en/programs/jkk/index.html"] == "main"
    parepare_source = next(s for s in content.sources.values()
                           if any(f.region.id == "parepare" for f in content.facts
                                  if s in [c.source for c in f.citations]))
    assert of[f"sources/{parepare_source.id}/index.html"] == "regions-2"


def test_a_program_page_per_province_goes_in_that_provinces_shard(monkeypatch):
    """(The seed content has too few figures for pages per province: stand-ins with what
    SearchShards reads of a page.)"""
    monkeypatch.setattr(search, "PROVINCES_PER_SHARD", 2)
    content, _ = load_content(CONTENT)
    shards = SearchShards(content)
    program = content.programs["jkk"]

    def page(kind, **extra):
        return SimpleNamespace(kind=kind, extra=extra, members=[])

    assert shards.of_page(page("program", program=program,
                               part_of=content.regions["papua-selatan"])) == "regions-2"
    assert shards.of_page(page("program", program=program,
                               part_of=content.regions["papua-barat"])) == "regions-1"
    assert shards.of_page(page("program", program=program)) == "main"
    assert shards.of_page(page("source")) == "main"  # a source no figure cites
