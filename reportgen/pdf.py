"""The printable report, ``report.pdf``: what it holds, its citation numbering, and WeasyPrint.

This module owns the print edition and nothing else.  It plans the document from the
same pieces as the site (:func:`reportgen.pages.plan_pages` groups the figures and makes
the charts, :meth:`VegaRenderer.svg` draws them, the Jinja environment of
:mod:`reportgen.render` formats the numbers) and renders ``templates/print/report.html``
with ``templates/print/print.css`` through WeasyPrint, which is imported only here, only
when a PDF is asked for.

The document, in order: a cover (title, the content's own date range), a table of
contents with page numbers, the overview (headline figures), a section per region
(the country, then each province or combined area with its regencies and cities), a
section per program, the Markdown pages (the methodology), and the bibliography.

Citations: **one number per source**, in the order of the site's list of sources (by
date, then id), e.g. ``[3]``.  A figure reported by two articles carries two markers.
In print a reader follows a number by turning pages, so a short list of articles with
stable numbers reads better than one note per (figure, source) pair: the same article
keeps the same number in the overview, in the region and in every program section the
figure appears in, and the numbers do not change when a figure is added elsewhere.  The
bibliography entry gives the publisher, the title (or "tanpa judul"), the date and the
URL (or that it is unknown), then every sentence quoted from that article, each with the
figures it states and the page of each; a marker links to its own quoted sentence.

Large content (more than :data:`LARGE_REPORT` figures) is printed in a compact form that
keeps all of this but is denser and far quicker to lay out: see :data:`LARGE_REPORT`.

Charts are vector graphics: vl-convert's SVG, made from the site's spec with the report's
font (DejaVu Sans, so labels are measured as they are drawn) and without the title drawn
inside (the caption gives it, with the sources' numbers), embedded as ``data:`` URIs.
The URL fetcher refuses everything else, so the PDF never depends on a file or a host; a
template that refers to anything else fails the build.

Deterministic bytes: the creation and modification dates are the date of the newest
source (or ``SOURCE_DATE_EPOCH`` when set), never the clock, and the PDF identifier is a
hash of the rendered HTML, so the same content gives a byte-identical file.  The embedded
fonts carry that date too: where HarfBuzz's subsetter (``libharfbuzz-subset0``) is not
installed, WeasyPrint subsets them with fontTools, which dates each font by the clock
unless ``SOURCE_DATE_EPOCH`` is set, so the PDF is written with it set to that date.
"""

from __future__ import annotations

import base64
import datetime
import gc
import hashlib
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup, escape

from .charts import Chart, format_source_date
from .errors import BuildError
from .model import Citation, Content, Fact, Program, Region, Source
from .pages import Page, plan_pages
from .render import make_environment, render_template
from .vega import VegaRenderer

REPORT_TEMPLATE = "print/report.html"
REPORT_CSS = "print/print.css"
LANGUAGE = "id"
FONT = "DejaVu Sans"
MAX_BOOKMARK_LEVEL = 6
LARGE_REPORT = 1000
"""Content with more figures than this is printed in its compact form, which WeasyPrint
lays out in a fraction of the time and which reads better at that size:

- each region gives its figures in one table, a row per metric, the row's figures run on
  in one cell ("2021 Rencana 333.726 orang[339] JKK; ...") instead of a row per figure;
- a program section's table gives what its chart draws: each compared region's latest
  figures per metric (the provinces only, at national scale); every figure, with its
  programs, is in its region's section;
- the bibliography runs each source's quotes on in one paragraph; a marker links to the
  source's entry rather than to its quote;
- only the country's 'figures' chart and each program's chart are printed, their panels
  in two columns so that they fit a page, their captions giving the sources' numbers;
- no page references (target-counter()) outside the table of contents.

What costs WeasyPrint time is the number of boxes (every table cell, every inline element
such as a marker's link), the lines of text, and the text inside charts; page references
make it lay pages out again."""
COMPACT_CHARTS = ("figures",)
"""The region chart printed in a compact report (each program keeps its chart)."""
CHARTED_KINDS = ("country",)
"""In a compact report, the regions whose 'figures' chart is printed (every region's
charts are on its page of the site).  A chart costs WeasyPrint about as much to draw as
two pages of text."""
COMPACT_CHART_COLUMNS = 2
COMPACT_PANEL_WIDTH = 250


# --- Citations: one number per source -------------------------------------------------

@dataclass
class Quote:
    """One sentence quoted from a source, and the figures it states."""

    anchor: str
    text: str
    text_en: str | None
    facts: list[Fact] = field(default_factory=list)


@dataclass
class Reference:
    """A bibliography entry: one source, its number, and every sentence quoted from it."""

    number: int
    source: Source
    quotes: list[Quote] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"ref-{self.number}"

    @property
    def marker(self) -> str:
        return f"[{self.number}]"


@dataclass(frozen=True)
class Marker:
    """A citation marker beside a figure: the source's number, linked to the quote."""

    reference: Reference
    quote: Quote


class Bibliography:
    """Numbers every source (by date, then id) and collects the quotes under it."""

    def __init__(self, content: Content):
        ordered = sorted(content.sources.values(), key=lambda s: (s.date, s.id))
        self.references = [Reference(i, s) for i, s in enumerate(ordered, start=1)]
        self.by_source = {r.source.id: r for r in self.references}
        self._quotes: dict[tuple[str, str], Quote] = {}
        self._markers: dict[str, list[Marker]] = {}
        for fact in sorted(content.facts, key=_fact_order):
            self._markers[fact.id] = [self._add(fact, c) for c in fact.citations]

    def _add(self, fact: Fact, citation: Citation) -> Marker:
        reference = self.by_source[citation.source.id]
        key = (citation.source.id, citation.quote)
        quote = self._quotes.get(key)
        if quote is None:
            quote = Quote(f"quote-{reference.number}-{len(reference.quotes) + 1}",
                          citation.quote, citation.quote_en)
            self._quotes[key] = quote
            reference.quotes.append(quote)
        if all(other.id != fact.id for other in quote.facts):
            quote.facts.append(fact)
        return Marker(reference, quote)

    def markers(self, fact: Fact) -> list[Marker]:
        """The markers beside a figure, one per source, in the order the fact cites them."""
        seen: dict[int, Marker] = {}
        for marker in self._markers[fact.id]:
            seen.setdefault(marker.reference.number, marker)
        return list(seen.values())

    def for_chart(self, chart: Chart) -> list[Reference]:
        return [self.by_source[s.id] for s in chart.sources]


def _fact_order(fact: Fact):
    """Under its source, quotes are listed by region name, metric, period."""
    return (fact.region.name, fact.metric.label, fact.period.sort_key, fact.id)


# --- Sections --------------------------------------------------------------------------

@dataclass
class Figure:
    """A chart in print: numbered, drawn as vector SVG, with its sources' numbers."""

    number: int
    chart: Chart
    image: str  # data: URI of the SVG
    references: list[Reference]

    @property
    def anchor(self) -> str:
        return f"figure-{self.number}"


@dataclass
class FactRow:
    """A row of a compact table: a heading (a metric, or a region) and its figures, which
    the row gives one after another, each with its period, status and markers."""

    label: str
    facts: list[Fact]


@dataclass
class RegionSection:
    region: Region
    page: Page
    level: int  # bookmark level: 2 for the country, 3 for a province, ...
    figures: list[Figure]
    children: list["RegionSection"] = field(default_factory=list)
    rows: list[FactRow] = field(default_factory=list)  # compact: a row per metric

    @property
    def anchor(self) -> str:
        return f"region-{self.region.id}"


@dataclass
class ProgramGroup:
    title: str
    facts: list[Fact]


@dataclass
class ProgramSection:
    program: Program
    page: Page
    figures: list[Figure]
    groups: list[ProgramGroup] = field(default_factory=list)
    latest_only: bool = False  # compact: each region's latest figure per metric
    rows: list[FactRow] = field(default_factory=list)  # compact: a row per region

    @property
    def anchor(self) -> str:
        return f"program-{self.program.id}"


@dataclass(frozen=True)
class TocEntry:
    level: int
    label: str
    anchor: str


class _Figures:
    """Numbers the charts in document order and renders each one once."""

    def __init__(self, vega: VegaRenderer, bibliography: Bibliography, compact: bool = False):
        self.vega = vega
        self.bibliography = bibliography
        self.compact = compact  # only COMPACT_CHARTS (and programs'), panels in two columns
        self.count = 0

    def make(self, page: Page, every_chart: bool = False) -> list[Figure]:
        figures = []
        for chart in page.charts:
            if self.compact and not every_chart and chart.name not in COMPACT_CHARTS:
                continue
            self.count += 1
            spec = print_spec(chart.spec, columns=COMPACT_CHART_COLUMNS if self.compact else 1)
            figures.append(Figure(self.count, chart, svg_data_uri(self.vega.svg(spec)),
                                  self.bibliography.for_chart(chart)))
        return figures


def print_spec(spec: dict, columns: int = 1) -> dict:
    """The site's chart spec for print: in the report's font, so that vl-convert measures
    the labels in the font they are drawn in (measured as its generic sans-serif, DejaVu's
    wider labels run past the edges of the image), and without the title and sources
    drawn inside the chart, which the figure's caption gives with their citation numbers.

    With *columns* > 1 (a compact report), a chart of a panel per metric puts its panels
    side by side in that many columns, each narrower, so that a region's or a program's
    chart of ten metrics fits on one page instead of running off its foot."""
    printed = {key: value for key, value in spec.items() if key != "title"}
    printed["config"] = {**spec.get("config", {}), "font": FONT}
    row = spec.get("facet", {}).get("row") if isinstance(spec.get("facet"), dict) else None
    if columns > 1 and row is not None:
        printed["facet"] = row
        printed["columns"] = columns
        printed["spec"] = {**spec["spec"], "width": COMPACT_PANEL_WIDTH}
    return printed


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def region_tree(content: Content, region_pages: dict[str, Page], figures: _Figures,
                compact: bool = False) -> list[RegionSection]:
    """Every region once: the roots (the country), then their children, depth first.
    A compact report gives each region its figures as a row per metric, and prints the
    country's chart only."""
    seen: set[str] = set()

    def section(region: Region, level: int) -> RegionSection:
        seen.add(region.id)
        page = region_pages[region.id]
        charted = not compact or region.kind in CHARTED_KINDS
        node = RegionSection(region, page, min(level, MAX_BOOKMARK_LEVEL),
                             figures.make(page) if charted else [])
        if compact:
            node.rows = metric_rows(content, page.facts)
        node.children = [section(child, level + 1) for child in content.children(region)
                         if child.id not in seen]
        return node

    roots = [section(r, 2) for r in content.regions.values() if r.parent is None]
    # A region whose parent chain never reaches a root (validation should prevent it)
    # still gets its section: every region is in the report.
    roots += [section(r, 2) for r in content.regions.values() if r.id not in seen]
    return roots


def metric_rows(content: Content, facts: list[Fact]) -> list[FactRow]:
    """A region's figures as a row per metric (in the metrics' order), each row's figures
    by period, then status."""
    by_metric: dict[str, list[Fact]] = {}
    for fact in facts:
        by_metric.setdefault(fact.metric.id, []).append(fact)
    return [FactRow(metric.label, sorted(by_metric[metric.id], key=lambda f: (
        f.period.sort_key, f.status, f.id))) for metric in content.metrics.values()
        if metric.id in by_metric]


def latest_per_metric(facts: list[Fact]) -> list[Fact]:
    """Each region's most recent figure(s) of each metric (ties: every fact of that
    period), in the order given."""
    newest: dict[tuple[str, str], tuple] = {}
    for fact in facts:
        key = (fact.region.id, fact.metric.id)
        newest[key] = max(newest.get(key, fact.period.sort_key), fact.period.sort_key)
    return [f for f in facts if f.period.sort_key == newest[(f.region.id, f.metric.id)]]


def program_sections(content: Content, pages: list[Page], figures: _Figures,
                     compact: bool, region_order: dict[str, int] | None = None,
                     ) -> list[ProgramSection]:
    """A section per program: its chart and its figures by metric; at scale (*compact*)
    the figures its chart draws (each compared region's latest), as a row per region in
    the order of the region sections."""
    sections = []
    order = region_order or {}
    for program in content.programs.values():
        mine = [p for p in pages if p.kind == "program" and p.extra["program"].id == program.id]
        index = next((p for p in mine if "part_of" not in p.extra), mine[0])
        if not compact and len(mine) == 1:
            groups = [ProgramGroup(g.title, g.facts) for g in index.groups]
        else:
            by_metric: dict[str, list[Fact]] = {}
            for page in mine:
                for group in page.groups:
                    for fact in group.all_facts():
                        by_metric.setdefault(fact.metric.id, []).append(fact)
            groups = []
            for metric in content.metrics.values():
                facts = sorted(by_metric.get(metric.id, []), key=lambda f: (
                    f.region.name, f.period.sort_key, f.status, f.id))
                if compact:
                    facts = latest_per_metric(facts)
                if facts:
                    groups.append(ProgramGroup(metric.label, facts))
        section = ProgramSection(program, index, figures.make(index, every_chart=True),
                                 groups, compact)
        if compact:  # the figures its chart draws
            section.rows = region_rows(content, [f for figure in section.figures
                                                 for f in figure.chart.facts], order)
        sections.append(section)
    return sections


def region_rows(content: Content, facts: list[Fact], order: dict[str, int]) -> list[FactRow]:
    """A program's figures as a row per region (in *order*, then by name), each row's
    figures by metric, then period and status."""
    metrics = {metric_id: i for i, metric_id in enumerate(content.metrics)}
    by_region: dict[str, list[Fact]] = {}
    for fact in facts:
        by_region.setdefault(fact.region.id, []).append(fact)
    regions = sorted(by_region, key=lambda r: (order.get(r, len(order)),
                                               content.regions[r].name, r))
    return [FactRow(content.regions[r].name, sorted(by_region[r], key=lambda f: (
        metrics.get(f.metric.id, len(metrics)), f.period.sort_key, f.status, f.id)))
        for r in regions]


def _walk(sections: list[RegionSection]):
    for node in sections:
        yield node
        yield from _walk(node.children)


def table_of_contents(regions: list[RegionSection], programs: list[ProgramSection],
                      content: Content) -> list[TocEntry]:
    entries = [TocEntry(1, "Ringkasan", "part-overview"), TocEntry(1, "Wilayah", "part-regions")]
    entries += [TocEntry(n.level, n.region.name, n.anchor) for n in _walk(regions)]
    entries.append(TocEntry(1, "Program dan skema", "part-programs"))
    entries += [TocEntry(2, f"{p.program.name} ({p.program.short})", p.anchor) for p in programs]
    entries += [TocEntry(1, d.title, f"page-{d.slug}") for d in content.pages]
    entries.append(TocEntry(1, "Daftar pustaka", "bibliography"))
    return entries


# --- Dates -----------------------------------------------------------------------------

def _date_key(date: str) -> tuple[int, int, int]:
    parts = [int(p) for p in date.split("-")]
    return tuple(parts + [1] * (3 - len(parts)))  # type: ignore[return-value]


def source_date_range(content: Content) -> str:
    """'5 April 2023 – 28 April 2025': the first and last article, as precise as known."""
    dates = sorted({s.date for s in content.sources.values()}, key=_date_key)
    if not dates:
        return ""
    first, last = format_source_date(dates[0]), format_source_date(dates[-1])
    return first if first == last else f"{first} – {last}"


def period_range(content: Content) -> str:
    """'2021–2026': the years the figures are about."""
    if not content.facts:
        return ""
    low = min(f.period.start_year for f in content.facts)
    high = max(f.period.end_year for f in content.facts)
    return str(low) if low == high else f"{low}–{high}"


def document_date(content: Content) -> str:
    """The PDF's creation date: SOURCE_DATE_EPOCH if set, else the newest source's date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            moment = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise BuildError(f"SOURCE_DATE_EPOCH is not a number of seconds: {epoch!r}") from None
        return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    dates = [_date_key(s.date) for s in content.sources.values()]
    year, month, day = max(dates) if dates else (1970, 1, 1)
    return f"{year:04d}-{month:02d}-{day:02d}T00:00:00+00:00"


# --- Rendering -------------------------------------------------------------------------

WORD_JOINER = "\u2060"


def no_break(text: str) -> Markup:
    """*text* escaped, kept on one line: no-break spaces, and a word joiner after each
    slash and dash ("kampung/desa", "1.500–2.000") and at the end, so that a figure does
    not break from its markers either."""
    escaped = str(escape(text)).replace(" ", "\u00a0")
    for mark in "/–-":
        escaped = escaped.replace(mark, mark + WORD_JOINER)
    return Markup(escaped + WORD_JOINER)


def is_large(content: Content) -> bool:
    """Whether *content* is printed in the compact form (see LARGE_REPORT)."""
    return len(content.facts) > LARGE_REPORT


def report_html(content: Content, templates_dir: Path, vega: VegaRenderer,
                compact: bool | None = None) -> str:
    """The print edition as one HTML document (what WeasyPrint lays out); *compact*
    None means: compact when the content is large."""
    env = make_environment(templates_dir)
    pages = plan_pages(content)
    overview = next(p for p in pages if p.kind == "overview")
    region_pages = {p.extra["region"].id: p for p in pages if p.kind == "region"}
    compact = is_large(content) if compact is None else compact

    bibliography = Bibliography(content)
    figures = _Figures(vega, bibliography, compact)
    regions = region_tree(content, region_pages, figures, compact)
    region_order = {node.region.id: i for i, node in enumerate(_walk(regions))}
    programs = program_sections(content, pages, figures, compact, region_order)
    context = {
        "site": content.site,
        "content": content,
        "lang": LANGUAGE,
        "created": document_date(content),
        "date_range": source_date_range(content),
        "period_range": period_range(content),
        "headline": overview.facts,
        "regions": regions,
        "programs": programs,
        "documents": content.pages,
        "toc": table_of_contents(regions, programs, content),
        "references": bibliography.references,
        "markers_for": bibliography.markers,
        "disagreeing": content.disagreeing,
        "compact": compact,
        "compact_limit": LARGE_REPORT,
        "nbsp": no_break,
        "word_joiner": WORD_JOINER,
    }
    return render_template(env, REPORT_TEMPLATE, lambda: context, "report.pdf")


def render_pdf(content: Content, templates_dir: Path, vega: VegaRenderer,
               compact: bool | None = None) -> bytes:
    """``report.pdf``: the print templates rendered by WeasyPrint, byte-identical for the
    same content; *compact* None means: compact when the content is large."""
    css_path = templates_dir / REPORT_CSS
    if not css_path.is_file():
        raise BuildError(f"{css_path}: no print stylesheet here; pass --templates DIR")
    html = report_html(content, templates_dir, vega, compact)

    import weasyprint  # heavy (Pango, fontTools): imported only when a PDF is asked for
    from weasyprint.urls import URLFetcher

    refused: list[str] = []

    class EmbeddedOnly(URLFetcher):
        """Lets WeasyPrint read data: URIs and nothing else: no files, no hosts."""

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            refused.append(url)
            raise ValueError(f"report.pdf embeds everything; refusing to fetch {url}")

    fetcher = EmbeddedOnly(allowed_protocols=("data",))
    with _few_collections():
        document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None).render(
            stylesheets=[weasyprint.CSS(string=css_path.read_text(encoding="utf-8"),
                                        url_fetcher=fetcher)])
    if refused:
        raise BuildError("print templates refer to outside files or hosts: "
                         + ", ".join(sorted(set(refused))))
    created = document_date(content)
    metadata = document.metadata
    metadata.title = content.site.title
    metadata.description = content.site.description
    metadata.lang = LANGUAGE
    metadata.generator = "reportgen"
    metadata.created = metadata.modified = created
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    with _few_collections(), _fonts_dated(created):
        return document.write_pdf(pdf_identifier=identifier, uncompressed_pdf=False)


@contextmanager
def _fonts_dated(created: str):
    """Fonts subset meanwhile are dated *created* (an ISO date with its offset), not now.

    fontTools, which WeasyPrint falls back on to subset fonts when HarfBuzz's subsetter is
    missing, sets each font's modification date to ``SOURCE_DATE_EPOCH`` or else to the
    clock; it is set here for the writing and restored after."""
    name = "SOURCE_DATE_EPOCH"
    before = os.environ.get(name)
    os.environ[name] = str(int(datetime.datetime.fromisoformat(created).timestamp()))
    try:
        yield
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before


@contextmanager
def _few_collections():
    """Python's cyclic garbage collector, made to run rarely while WeasyPrint works.

    WeasyPrint makes millions of objects (boxes, styles, text layouts) that live until the
    PDF is written; with the default thresholds the collector runs thousands of times and
    walks all of them, and everything the build holds, again and again: a tenth of the
    time of a large report (about 4 s of 30 at 50 regions).  The objects alive before are
    frozen (never walked), unless the caller froze some itself; all is restored after."""
    thresholds = gc.get_threshold()
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    gc.set_threshold(max(thresholds[0], 100_000), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if freeze:
            gc.unfreeze()
