"""The built minimal site as a reader meets it: citations, numbers, charts, no outside hosts."""

from __future__ import annotations

import json
import re

from tests.htmlquery import Page


def page(site, path: str) -> Page:
    return Page.read(site / path)


def test_every_fact_is_on_its_home_page_with_citation_markers(minimal_site):
    facts = json.loads((minimal_site / "data" / "facts.json").read_text())["facts"]
    for fact in facts:
        html = page(minimal_site, fact["page"])
        element = html.by_id(fact["id"])
        assert element is not None, fact["id"]
        markers = html.descendants(element, "a")
        cites = [a for a in markers if "cite" in (a.attrs.get("class") or "").split()]
        assert len(cites) == len(fact["citations"]), fact["id"]
        for cite, citation in zip(cites, fact["citations"]):
            note = html.by_id(cite.attrs["href"].lstrip("#"))
            assert note is not None and note.tag == "li"
            assert citation["quote"] in note.text
            assert citation["publisher"] in note.text
            assert citation["publisher"] in cite.attrs["title"]
            assert citation["quote"] in cite.attrs["title"]
            links = [a.attrs["href"] for a in html.descendants(note, "a")]
            assert f"../../sources/{citation['source']}/index.html#{fact['id']}" in links


def test_footnote_gives_date_and_says_when_url_is_unknown(minimal_site):
    html = page(minimal_site, "regions/kota-contoh/index.html")
    notes = [e.text for e in html.find_all("li") if (e.attrs.get("id") or "").startswith("cite-")]
    assert any("1 Maret 2024" in n and "https://example.org/berita/1" in n for n in notes)
    assert any("Warta Uji" in n and "Alamat web tidak diketahui" in n for n in notes)


def test_numbers_are_formatted_the_indonesian_way(minimal_site):
    html = page(minimal_site, "regions/kota-contoh/index.html")
    assert html.by_id("kota-contoh-anggaran-2024").text.count("Rp2,2 miliar") == 1
    target = html.by_id("kota-contoh-target-2024").text
    assert "sekitar 1.500–2.000 orang" in target
    assert "1.000 orang" in html.by_id("kota-contoh-peserta-2023").text


def test_source_page_lists_every_fact_it_is_cited_for(minimal_site):
    html = page(minimal_site, "sources/harian-2024-03-01/index.html")
    for fact_id in ("kota-contoh-peserta-2023", "kota-contoh-target-2024",
                    "kota-contoh-anggaran-2024"):
        assert html.by_id(fact_id) is not None
    assert "Tahun ini targetnya sekitar 1500 hingga 2000 orang." in html.by_id(
        "kota-contoh-target-2024").text
    warta = page(minimal_site, "sources/warta-2024/index.html")
    assert warta.by_id("kota-contoh-peserta-2023") is None
    assert "Halaman yang diarsipkan tidak menampilkan judul" in warta.html


def test_program_page_shows_every_region_figure_for_it(minimal_site):
    html = page(minimal_site, "programs/iuran-apbd/index.html")
    assert html.by_id("kota-contoh-target-2024") and html.by_id("kota-contoh-anggaran-2024")
    assert html.by_id("kota-contoh-peserta-2023") is None  # JKK only


def test_charts_have_static_svg_spec_caption_and_data_table(minimal_site):
    html = page(minimal_site, "regions/kota-contoh/index.html")
    figures = html.find_all("figure", class_="chart")
    assert [f.attrs["id"] for f in figures] == ["chart-figures",
                                                "chart-trends"]
    for figure in figures:
        img = html.descendants(figure, "img")[0]
        svg = (minimal_site / "regions" / "kota-contoh" / img.attrs["src"]).read_text()
        assert svg.startswith("<svg") and "Harian Contoh" in svg
        assert img.attrs["alt"]
        spec = json.loads(html.descendants(figure, "script")[0].text)
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
        caption = html.descendants(figure, "figcaption")[0].text
        assert "Sumber:" in caption and "Harian Contoh, 1 Maret 2024" in caption
        table = html.descendants(figure, "table")[0]
        assert "Rp2,2 miliar" in table.text or "1.000" in table.text
    scripts = [s.attrs.get("src") for s in html.find_all("script") if s.attrs.get("src")]
    assert scripts == ["../../static/vendor/vega-bundle.js", "../../static/charts.js"]


def test_pages_without_charts_load_no_chart_javascript(minimal_site):
    html = page(minimal_site, "sources/index.html")
    assert not [s for s in html.find_all("script") if s.attrs.get("src")]


def test_no_page_loads_anything_from_another_host(minimal_site):
    for path in minimal_site.rglob("*.html"):
        text = path.read_text()
        loads = re.findall(r'<(?:script|img|link|iframe|source)\b[^>]*(?:src|href)="([^"]+)"', text)
        assert not [u for u in loads if re.match(r"(?i)(https?:)?//", u)], path


def test_markdown_page_is_rendered_and_raw_html_escaped(minimal_site):
    html = page(minimal_site, "tentang/index.html")
    assert "<strong>dua</strong>" in html.html
    assert "<script>alert(1)</script>" not in html.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.html


def test_overview_lists_headline_regions_and_programs(minimal_site):
    html = page(minimal_site, "index.html")
    assert html.by_id("kota-contoh-peserta-2023") is not None  # headline: true
    assert html.by_id("kota-contoh-target-2024") is None
    links = {a.attrs.get("href") for a in html.find_all("a")}
    assert {"regions/provinsi-contoh/index.html", "regions/kota-contoh/index.html",
            "programs/jkk/index.html", "programs/iuran-apbd/index.html"} <= links


def test_region_page_shows_breadcrumbs_and_children(minimal_site):
    html = page(minimal_site, "regions/provinsi-contoh/index.html")
    assert "Indonesia" in html.find_all("nav", class_="breadcrumbs")[0].text
    assert "../../regions/kota-contoh/index.html" in {a.attrs.get("href") for a in html.find_all("a")}


def test_all_internal_links_resolve(minimal_site):
    for path in minimal_site.rglob("*.html"):
        html = Page.read(path)
        for a in html.find_all("a"):
            href = a.attrs.get("href") or ""
            if not href or re.match(r"(?i)[a-z]+:", href):
                continue
            target, _, anchor = href.partition("#")
            if path.name == "404.html" and target.startswith("/"):  # served at any depth
                target = str(minimal_site / target.lstrip("/"))
            file = (path.parent / target).resolve() if target else path
            assert file.is_file(), f"{path}: broken link {href}"
            if anchor and file.suffix == ".html":
                assert Page.read(file).by_id(anchor) is not None, f"{path}: missing #{anchor}"


DISAGREEING_FACT = """
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


def test_disagreeing_sources_are_shown_side_by_side(copy_fixture, tmp_path):
    from tests.conftest import TEMPLATES, run_cli

    content = copy_fixture("minimal/content")
    facts = content / "facts" / "kota-contoh.yaml"
    facts.write_text(facts.read_text() + DISAGREEING_FACT)
    out = tmp_path / "site"
    result = run_cli("build", "--content", content, "--templates", TEMPLATES, "--out", out)
    assert result.exit_code == 0
    assert "warning: RG307 sources disagree" in result.stderr
    html = page(out, "regions/kota-contoh/index.html")
    first = html.by_id("kota-contoh-anggaran-2024")
    second = html.by_id("kota-contoh-anggaran-2024-warta")
    assert "Dikuatkan 2 sumber" in first.text
    assert "Sumber lain: Rp2,5 miliar" in first.text
    assert "Sumber lain: Rp2,2 miliar" in second.text
    links = {a.attrs["href"] for a in html.descendants(first, "a")}
    assert "../../regions/kota-contoh/index.html#kota-contoh-anggaran-2024-warta" in links
    rows = [e.attrs.get("id") for e in html.find_all("tr")]
    assert abs(rows.index("kota-contoh-anggaran-2024") -
               rows.index("kota-contoh-anggaran-2024-warta")) == 1


def test_large_program_gets_a_page_per_province(tmp_path, monkeypatch):
    import reportgen.pages as pages_module
    from reportgen.build import build_site
    from tests.conftest import DATA, TEMPLATES

    monkeypatch.setattr(pages_module, "PROGRAM_PAGE_LIMIT", 1)
    out = tmp_path / "site"
    build_site(DATA / "minimal" / "content", TEMPLATES, out, use_cache=False)
    index = page(out, "programs/iuran-apbd/index.html")
    # Its figures are in its chart's data table only.
    assert len(index.find_all("table", class_="facts")) == len(
        index.find_all("details", class_="chart-data")) > 0
    assert "programs/iuran-apbd/provinsi-contoh/index.html" in "".join(
        a.attrs.get("href", "") for a in index.find_all("a"))
    assert index.find_all("figure", class_="chart")
    part = page(out, "programs/iuran-apbd/provinsi-contoh/index.html")
    assert part.by_id("kota-contoh-target-2024") is not None
    assert part.by_id("kota-contoh-anggaran-2024") is not None
    assert "Iuran dibayar APBD: Provinsi Contoh" in part.html


def test_backlinks_of_a_note_are_lettered_without_end():
    from reportgen.render import backlink_label

    assert [backlink_label(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "a", "b", "z", "aa", "ab", "az", "ba", "zz", "aaa"]


def test_a_note_shows_the_translation_of_whichever_figure_gives_one():
    from dataclasses import replace

    from reportgen.content import load_content
    from reportgen.render import number_citations
    from tests.conftest import DATA

    content, _ = load_content(DATA / "minimal" / "content")
    target = next(f for f in content.facts if f.id == "kota-contoh-target-2024")
    translated = replace(target.citations[0], quote_en="This year the target is about 1,500.")
    again = replace(target, id="kota-contoh-target-2025", citations=[translated])
    by_fact, notes = number_citations([target, again])
    assert len(notes) == 1 and notes[0].facts == [target, again]
    assert by_fact[target.id] == by_fact[again.id] == notes
    assert notes[0].citation.quote_en == "This year the target is about 1,500."
