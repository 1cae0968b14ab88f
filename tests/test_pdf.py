"""report.pdf, read back with pypdf: every figure with its citation marker, a bibliography
of every source, an outline of every region, charts as vector drawings, metadata, and the
same bytes for the same content.

The minimal fixture and the real content are each built once (with ``pdf=True``) for the
whole module; the real content and a small synthetic content (benchmarks/generate.py, a
country, a province and three regencies and cities) are also printed in the compact form
a large report gets, and every test of the report's contents runs on all four.
"""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen.build import build_site
from reportgen.charts import format_source_date
from reportgen.content import load_content
from reportgen.errors import BuildError
from reportgen.model import Content
from reportgen.numbers import describe_value, format_value
from reportgen.pages import plan_pages
from reportgen.pdf import CHARTED_KINDS, COMPACT_CHARTS, WORD_JOINER, no_break, print_spec
from tests.conftest import CONTENT, DATA, ROOT, TEMPLATES

MINIMAL = DATA / "minimal" / "content"
FIGURE_CAPTION = re.compile(r"Gambar (\d+)\. ")


def date_parts(date: str) -> tuple[int, int, int]:
    """'2024' -> (2024, 1, 1): a date as precise as known, for ordering."""
    parts = [int(p) for p in date.split("-")]
    return tuple(parts + [1] * (3 - len(parts)))  # type: ignore[return-value]


def flat(text: str) -> str:
    """White space folded, as extracted text breaks lines wherever the layout did."""
    return " ".join(text.split())


@dataclass
class Report:
    name: str
    content: Content
    data: bytes
    reader: PdfReader
    pages: list[str]  # each page's text, flattened
    compact: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.pages)

    def first_page_with(self, needle: str) -> int:
        return next(i for i, text in enumerate(self.pages) if needle in text)

    @property
    def bibliography(self) -> str:
        """The text from the bibliography's heading to the end, without the running header
        and page numbers (a compact bibliography's quotes run on across pages)."""
        start = self.page_of_destination("bibliography")
        furniture = re.compile(re.escape(self.content.site.title) + r" Daftar pustaka"
                               r"|Halaman \d+ dari \d+")
        text = flat(" ".join(furniture.sub(" ", page) for page in self.pages[start:]))
        return text[text.index("Daftar pustaka"):]

    def page_of_destination(self, name: str) -> int:
        return self.reader.get_destination_page_number(self.reader.named_destinations[name])

    def source_numbers(self) -> dict[str, int]:
        """Each source's number, as the bibliography prints it: '[3] Publisher.'"""
        numbers = {}
        for source in self.content.sources.values():
            pattern = r"\[(\d+)\] " + re.escape(source.publisher) + r"\."
            match = re.search(pattern, self.bibliography)
            assert match, f"{self.name}: {source.id} is not in the bibliography"
            numbers[source.id] = int(match.group(1))
        return numbers

    def outline(self) -> list[tuple[str, str | None, int]]:
        """(title, parent title, page index) of every bookmark."""
        found: list[tuple[str, str | None, int]] = []

        def walk(items, parent):
            last = parent
            for item in items:
                if isinstance(item, list):
                    walk(item, last)
                else:
                    page = self.reader.get_destination_page_number(item)
                    found.append((item.title, parent, page))
                    last = item.title

        walk(self.reader.outline, None)
        return found


def build_report(tmp_path_factory, content_dir: Path, name: str) -> Report:
    out = tmp_path_factory.mktemp(f"pdf-{name}") / "site"
    build_site(content_dir, TEMPLATES, out, pdf=True)
    data = (out / "report.pdf").read_bytes()
    content, _ = load_content(content_dir)
    reader = PdfReader(out / "report.pdf")
    return Report(name, content, data, reader, [flat(p.extract_text()) for p in reader.pages])


def render_compact(content_dir: Path) -> bytes:
    """The PDF of *content_dir* in the compact form (as content over LARGE_REPORT gets it)."""
    from reportgen.pdf import render_pdf
    from reportgen.vega import VegaRenderer, default_cache_dir

    content, _ = load_content(content_dir)
    return render_pdf(content, TEMPLATES, VegaRenderer(default_cache_dir()), compact=True)


def compact_report(tmp_path_factory, content_dir: Path, name: str) -> Report:
    path = tmp_path_factory.mktemp(f"pdf-{name}") / "report.pdf"
    path.write_bytes(render_compact(content_dir))
    content, _ = load_content(content_dir)
    reader = PdfReader(path)
    return Report(name, content, path.read_bytes(), reader,
                  [flat(p.extract_text()) for p in reader.pages], compact=True)


@pytest.fixture(scope="module")
def synthetic_content(tmp_path_factory) -> Path:
    """A country, a province and three regencies and cities, 40 figures each (synthetic)."""
    from benchmarks.generate import generate

    folder = tmp_path_factory.mktemp("synthetic") / "content"
    generate(folder, regions=3, facts_per_region=40)
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory, request):
    """Builds each project at most once for the module."""
    cache: dict[str, Report] = {}

    def get(name: str) -> Report:
        if name not in cache:
            if name.endswith("-compact"):
                content_dir = {"real-compact": CONTENT}.get(name) or \
                    request.getfixturevalue("synthetic_content")
                cache[name] = compact_report(tmp_path_factory, content_dir, name)
            else:
                content_dir = {"minimal": MINIMAL, "real": CONTENT}[name]
                cache[name] = build_report(tmp_path_factory, content_dir, name)
        return cache[name]

    return get


@pytest.fixture(params=["minimal", "real", "synthetic-compact", "real-compact"])
def report(request, built) -> Report:
    return built(request.param)


# --- Figures and citations -------------------------------------------------------------

def test_every_figure_is_shown_formatted_with_its_citation_markers(report):
    numbers = report.source_numbers()
    for fact in report.content.facts:
        value = format_value(fact.value, fact.unit)
        assert value in report.text, (report.name, fact.id, value)
        cited = list(dict.fromkeys(numbers[c.source.id] for c in fact.citations))
        markers = "".join(f"[{n}]" for n in cited)
        figure = describe_value(fact.value, fact.unit, fact.qualifier)
        assert re.search(re.escape(figure) + r" ?" + re.escape(markers), report.text), (
            report.name, fact.id, figure + markers)


def test_bibliography_numbers_every_source_by_date_with_its_details_and_quotes(report):
    numbers = report.source_numbers()
    ordered = sorted(report.content.sources.values(), key=lambda s: (s.date, s.id))
    assert [numbers[s.id] for s in ordered] == list(range(1, len(ordered) + 1))
    bibliography = report.bibliography
    for source in ordered:
        number = numbers[source.id]
        start = bibliography.index(f"[{number}] {source.publisher}.")
        following = bibliography.find(f"[{number + 1}] ", start)
        entry = bibliography[start:following if following > 0 else None]
        title = source.title if source.title else "(tanpa judul)"
        assert f"[{number}] {source.publisher}. {title}" in entry, entry[:200]
        assert format_source_date(source.date) in entry
        if source.url:
            assert source.url in entry.replace(" ", ""), source.id
        else:
            assert "Alamat web tidak diketahui." in entry, source.id
        for fact in report.content.facts:
            for citation in fact.citations:
                if citation.source.id == source.id:
                    assert flat(citation.quote) in entry, (source.id, fact.id)


def test_citation_markers_link_to_the_bibliography(report):
    bibliography_page = report.page_of_destination("bibliography")
    targets = []
    for page in report.reader.pages:
        for annotation in page.get("/Annots", []):
            dest = annotation.get_object().get("/Dest")
            if isinstance(dest, str) and dest.startswith(("quote-", "ref-")):
                targets.append(dest)
    cited = sum(len({c.source.id for c in f.citations}) for f in report.content.facts)
    assert len(targets) >= cited
    for dest in set(targets):
        assert report.page_of_destination(dest) >= bibliography_page, dest
        number = int(dest.split("-")[1])
        assert 1 <= number <= len(report.content.sources)


# --- Structure ---------------------------------------------------------------------------

def test_outline_lists_every_region_under_its_parent_and_every_program(report):
    outline = report.outline()
    parents: dict[str, set] = {}
    for title, parent, _page in outline:
        parents.setdefault(title, set()).add(parent)
    regions = report.content.regions
    for region in regions.values():
        assert region.name in parents, region.id
        expected = regions[region.parent].name if region.parent else "Wilayah"
        assert expected in parents[region.name], (region.id, parents[region.name])
    for program in report.content.programs.values():
        assert f"{program.name} ({program.short})" in parents
    for part in ("Daftar isi", "Ringkasan", "Wilayah", "Program dan skema", "Daftar pustaka"):
        assert part in parents
    for document in report.content.pages:
        assert document.title in parents


def test_table_of_contents_gives_the_page_of_every_region(report):
    toc = report.pages[report.first_page_with("Daftar isi")]
    bookmarks = {title: page for title, _parent, page in report.outline()}
    for region in report.content.regions.values():
        match = re.search(re.escape(region.name) + r"[ .]*\.[ .]*(\d+)", toc)
        assert match, region.name
        assert int(match.group(1)) == bookmarks[region.name] + 1, region.name


def test_cover_gives_title_and_the_contents_own_dates(report):
    cover = report.pages[0]
    assert report.content.site.title in cover
    dates = sorted((s.date for s in report.content.sources.values()), key=date_parts)
    assert format_source_date(dates[0]) in cover and format_source_date(dates[-1]) in cover
    assert "Halaman" not in cover  # no running header or page number on the cover
    assert re.search(r"Halaman 2 dari \d+", report.pages[1])
    assert report.content.site.title in report.pages[1]  # running header


# --- Charts --------------------------------------------------------------------------------

def _painting_operators(page) -> set[bytes]:
    """Operators of a page's content and of the form XObjects it draws."""
    xobjects = page["/Resources"].get("/XObject", {})
    seen: set[bytes] = set()
    streams = [page.get_contents().get_data()]
    found: set[bytes] = set()
    while streams:
        data = streams.pop()
        found |= set(re.findall(rb"(?<![\w/.])(h|c|f|S|B)(?=\s)", data))
        for name in re.findall(rb"/([\w.]+)\s+Do\b", data):
            if name not in seen:
                seen.add(name)
                streams.append(xobjects["/" + name.decode()].get_object().get_data())
    return found


def printed_charts(report: Report):
    """The charts the report prints, in order: every chart; in the compact form the
    country's 'figures' chart and each program's chart."""
    pages = plan_pages(report.content)
    if not report.compact:
        return [c for page in pages for c in page.charts]
    regions = [c for p in pages if p.kind == "region" and p.extra["region"].kind in CHARTED_KINDS
               for c in p.charts if c.name in COMPACT_CHARTS]
    programs = [c for p in pages if p.kind == "program" and "part_of" not in p.extra
                for c in p.charts]
    return regions + programs


def test_every_chart_is_a_vector_drawing_with_its_caption_and_sources(report):
    numbers = report.source_numbers()
    charts = printed_charts(report)
    assert charts or not report.content.facts
    captions = FIGURE_CAPTION.findall(report.text)
    assert sorted(map(int, captions)) == list(range(1, len(charts) + 1))
    for chart in charts:
        if report.compact:  # a province's chart has dozens of sources: their numbers only
            sources = "Sumber (nomor daftar pustaka): " + " ".join(
                f"[{numbers[s.id]}]" for s in chart.sources)
        else:
            sources = "Sumber: " + "; ".join(
                f"[{numbers[s.id]}] {s.publisher}, {format_source_date(s.date)}"
                for s in chart.sources)
        assert re.search(r"Gambar \d+\. " + re.escape(f"{chart.title} {sources}."),
                         report.text), chart.title
    for index, text in enumerate(report.pages):
        if FIGURE_CAPTION.search(text):
            operators = _painting_operators(report.reader.pages[index])
            # closed paths (bars, legend symbols) filled or stroked: the SVG drawn as vectors
            assert b"h" in operators and operators & {b"f", b"S", b"B"}, index
    for index in range(len(report.reader.pages)):
        resources = report.reader.pages[index]["/Resources"]
        for xobject in resources.get("/XObject", {}).values():
            assert xobject.get_object().get("/Subtype") != "/Image"


def test_headings_stay_with_what_follows_them(report):
    """No region or program heading alone at the foot of a page: the page it is on also
    has its chart, its table or its note that it has no figures."""
    from reportgen.model import PROGRAM_KINDS, REGION_KINDS

    def check(anchor: str, heading: str, following: tuple[str, ...]):
        text = report.pages[report.page_of_destination(anchor)]
        assert heading in text, (anchor, heading)
        after = text[text.index(heading):]
        assert any(f in after for f in following), (anchor, after[:300])

    for region in report.content.regions.values():
        check(f"region-{region.id}", f"{region.name} {REGION_KINDS[region.kind].label} ·",
              ("Indikator", "Belum ada angka", "Gambar "))
    for program in report.content.programs.values():
        check(f"program-{program.id}",
              f"{program.name} ({program.short}) {PROGRAM_KINDS[program.kind].label} ·",
              ("Gambar ", "Periode", "Angka terbaru:", "Belum ada angka"))


# --- Document --------------------------------------------------------------------------------

def test_metadata_language_and_embedded_dejavu_fonts(report):
    info = report.reader.metadata
    assert info.title == report.content.site.title
    assert info["/Subject"] == report.content.site.description
    assert report.reader.trailer["/Root"]["/Lang"] == "id"
    newest = max(date_parts(s.date) for s in report.content.sources.values())
    assert info["/CreationDate"].startswith("D:%04d%02d%02d" % newest)
    assert info["/ModDate"] == info["/CreationDate"]
    fonts = set()
    for page in report.reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor") or \
                font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            descriptor = descriptor.get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), \
                font["/BaseFont"]  # embedded
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
    assert fonts and all(name.startswith("DejaVu") for name in fonts), fonts


def test_same_content_gives_the_same_bytes(built, tmp_path):
    """A second build, in another process with another hash seed, writes the same file."""
    out = tmp_path / "again"
    code = ("import sys; from pathlib import Path; from reportgen.build import build_site; "
            "build_site(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), pdf=True)")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    env.pop("SOURCE_DATE_EPOCH", None)
    subprocess.run([sys.executable, "-c", code, str(MINIMAL), str(TEMPLATES), str(out)],
                   check=True, cwd=ROOT, env=env)
    assert (out / "report.pdf").read_bytes() == built("minimal").data


def test_compact_form_gives_the_same_bytes(built, synthetic_content):
    assert render_compact(synthetic_content) == built("synthetic-compact").data


def embedded_font_dates(data: bytes) -> set[int]:
    """The modification dates (seconds since 1904, as fonts count) of a PDF's fonts."""
    import io

    from fontTools.ttLib import TTFont

    dates = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor") or \
                font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            program = descriptor.get_object().get("/FontFile2")
            if program is not None:
                dates.add(TTFont(io.BytesIO(program.get_object().get_data()))["head"].modified)
    return dates


def test_fonts_subset_by_fonttools_are_dated_by_the_content_not_the_clock(monkeypatch):
    """Without HarfBuzz's subsetter (libharfbuzz-subset0) WeasyPrint subsets the fonts with
    fontTools, which dates each font by the clock: two builds a second apart differed.
    Here fontTools is made to subset, with a clock that moves between the two prints."""
    from types import SimpleNamespace

    import fontTools.misc.timeTools as font_time
    import weasyprint.pdf.fonts

    from reportgen.pdf import render_pdf
    from reportgen.vega import VegaRenderer, default_cache_dir

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    content, _ = load_content(MINIMAL)
    printed = []
    for now in (1_700_000_000.0, 1_800_000_000.0):
        monkeypatch.setattr(font_time, "time", SimpleNamespace(time=lambda now=now: now))
        printed.append(render_pdf(content, TEMPLATES, VegaRenderer(default_cache_dir())))
    assert printed[0] == printed[1]
    newest = datetime.datetime(*max(date_parts(s.date) for s in content.sources.values()),
                               tzinfo=datetime.timezone.utc)
    since_1904 = int(newest.timestamp()) - font_time.epoch_diff
    assert embedded_font_dates(printed[0]) == {since_1904}
    assert "SOURCE_DATE_EPOCH" not in os.environ  # as it was before the print


def test_large_content_is_printed_in_the_compact_form(monkeypatch):
    from reportgen import pdf
    from reportgen.vega import VegaRenderer, default_cache_dir

    content, _ = load_content(MINIMAL)
    vega = VegaRenderer(default_cache_dir())
    assert not pdf.is_large(content)
    assert 'class="facts dense"' not in pdf.report_html(content, TEMPLATES, vega)
    monkeypatch.setattr(pdf, "LARGE_REPORT", len(content.facts) - 1)
    assert pdf.is_large(content)
    html = pdf.report_html(content, TEMPLATES, vega)
    assert 'class="facts dense"' in html and "target-counter" not in html
    assert 'class="pageref"' not in html  # page references only in the contents


def test_compact_program_section_tables_give_what_their_charts_draw(synthetic_content):
    from reportgen.pdf import Bibliography, _Figures, _walk, program_sections, region_tree
    from reportgen.vega import VegaRenderer, default_cache_dir

    content, _ = load_content(synthetic_content)
    pages = plan_pages(content)
    figures = _Figures(VegaRenderer(default_cache_dir()), Bibliography(content), compact=True)
    regions = region_tree(content, {p.extra["region"].id: p for p in pages if p.kind == "region"},
                          figures, compact=True)
    order = {node.region.id: i for i, node in enumerate(_walk(regions))}
    sections = program_sections(content, pages, figures, True, order)
    assert len(sections) == len(content.programs)
    for section in sections:
        drawn = [f.id for figure in section.figures for f in figure.chart.facts]
        listed = [f.id for row in section.rows for f in row.facts]
        assert sorted(listed) == sorted(drawn)
        assert all(row.label == row.facts[0].region.name for row in section.rows)
        rows = [order[row.facts[0].region.id] for row in section.rows]
        assert rows == sorted(rows)  # in the order of the region sections
    # every figure is in its region's section, a row per metric
    for node in _walk(regions):
        assert sorted(f.id for row in node.rows for f in row.facts) == sorted(
            f.id for f in content.facts if f.region.id == node.region.id)


def test_compact_charts_put_their_panels_in_two_columns():
    spec = {"facet": {"row": {"field": "metric", "type": "nominal"}},
            "spec": {"layer": [], "width": 440}, "title": "T", "config": {"axis": {}}}
    printed = print_spec(spec, columns=2)
    assert printed["facet"] == {"field": "metric", "type": "nominal"}
    assert printed["columns"] == 2 and printed["spec"]["width"] < 440
    assert "title" not in printed and printed["config"]["font"] == "DejaVu Sans"
    assert print_spec(spec)["facet"] == spec["facet"]  # the full report: as on the site
    assert spec["spec"]["width"] == 440  # the site's spec is left as it was


def test_a_compact_figure_breaks_only_between_figures():
    text = str(no_break("lebih dari 80–90 kampung/desa"))
    assert " " not in text and text.endswith(WORD_JOINER)
    assert "/" + WORD_JOINER in text and "–" + WORD_JOINER in text
    assert str(no_break("<b>")).startswith("&lt;b&gt;")


def test_the_garbage_collector_is_restored_after_weasyprint():
    import gc

    from reportgen.pdf import _few_collections

    before = gc.get_threshold(), gc.get_freeze_count()
    with _few_collections():
        assert gc.get_threshold()[0] >= 100_000
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_source_date_epoch_sets_the_dates(monkeypatch, tmp_path):
    from reportgen.pdf import render_pdf
    from reportgen.vega import VegaRenderer, default_cache_dir

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    content, _ = load_content(MINIMAL)
    data = render_pdf(content, TEMPLATES, VegaRenderer(default_cache_dir()))
    (tmp_path / "r.pdf").write_bytes(data)
    info = PdfReader(tmp_path / "r.pdf").metadata
    assert info["/CreationDate"].startswith("D:20231114221320")


def test_print_templates_may_not_load_anything_from_outside(tmp_path):
    import shutil

    from reportgen.pdf import render_pdf
    from reportgen.vega import VegaRenderer, default_cache_dir

    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    report_html = templates / "print" / "report.html"
    report_html.write_text(report_html.read_text().replace(
        "<body>", '<body><img src="https://example.org/logo.png" alt="">'))
    content, _ = load_content(MINIMAL)
    with pytest.raises(BuildError, match="example.org"):
        render_pdf(content, templates, VegaRenderer(default_cache_dir()))


def test_a_build_without_pdf_does_not_import_weasyprint(tmp_path):
    code = ("import sys; from pathlib import Path; from reportgen.build import build_site; "
            "build_site(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])); "
            "print('weasyprint' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, str(MINIMAL), str(TEMPLATES),
                             str(tmp_path / "site")], check=True, capture_output=True,
                            text=True, cwd=ROOT, env=dict(os.environ))
    assert result.stdout.strip() == "False"
    assert not (tmp_path / "site" / "report.pdf").exists()


def _templates_with_a_mistake(tmp_path: Path) -> Path:
    """A copy of the templates whose report template divides by zero."""
    import shutil

    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    report = templates / "print" / "report.html"
    report.write_text(report.read_text(encoding="utf-8").replace("<body", "{{ 1 / 0 }}<body", 1),
                      encoding="utf-8")
    return templates


def test_a_mistake_in_a_print_template_is_rg402_not_a_traceback(tmp_path):
    from tests.conftest import run_cli

    templates = _templates_with_a_mistake(tmp_path)
    result = run_cli("build", "--pdf", "--content", DATA / "minimal" / "content",
                     "--templates", templates, "--out", tmp_path / "site")
    assert result.exit_code == 1
    assert "RG402 template error while rendering report.pdf: ZeroDivisionError" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "site").exists()


def _build_in_fresh_process(*args) -> subprocess.CompletedProcess:
    """`reportgen build` in a new process, where the PDF is made in a forked process of
    its own while the pages render (in-process test builds make it in place)."""
    return subprocess.run([sys.executable, "-m", "reportgen", "build", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, env=dict(os.environ))


def test_the_pdf_made_in_its_own_process_is_the_one_made_in_place(tmp_path):
    from reportgen.pdf import render_pdf
    from reportgen.vega import VegaRenderer, default_cache_dir

    done = _build_in_fresh_process("--pdf", "--verbose", "--content", MINIMAL,
                                   "--templates", TEMPLATES, "--out", tmp_path / "site")
    assert done.returncode == 0, done.stderr
    assert "pdf (within, alongside the pages)" in done.stdout
    content, _ = load_content(MINIMAL)
    in_place = render_pdf(content, TEMPLATES, VegaRenderer(default_cache_dir()))
    assert (tmp_path / "site" / "report.pdf").read_bytes() == in_place


def test_a_failure_in_the_pdf_process_is_reported_and_leaves_the_previous_site(tmp_path):
    templates = _templates_with_a_mistake(tmp_path)
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("old", encoding="utf-8")
    (out / ".reportgen-site").write_text("")  # (a site reportgen built: see build.SITE_MARK)
    done = _build_in_fresh_process("--pdf", "--content", MINIMAL, "--templates", templates,
                                   "--out", out)
    assert done.returncode == 1
    assert "RG402 template error while rendering report.pdf: ZeroDivisionError" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert (out / "index.html").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "templates"]
