"""Planning the site: which pages exist, where they go, and which figures each shows.

:func:`plan_pages` decides everything about a page except its markup: its output path,
template, title, the facts it shows (in display order, which also numbers its
citations) and its charts.  Every fact has one *home* page, its region's page, which is
what ``facts.json`` links to.

The site is planned once per language (:data:`reportgen.i18n.LANGUAGES`): the same pages
at the same paths, the English ones under ``en/``.  The ``*_path`` functions give a
page's path within its language; ``Page.out_path`` is where it is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from .charts import Chart, program_chart, program_chart_facts, region_charts
from .i18n import PRIMARY, localized, prefix, split_path, translator
from .model import Content, Fact, MarkdownPage, Program, Region, Source, fact_id, record_key
from .search import SEARCH_PAGE, SearchShards

NOT_FOUND_PAGE = "404.html"
"""Shown by web servers for a missing address (at any depth: it links from the root)."""


def region_path(region: Region) -> str:
    return f"regions/{region.id}/index.html"


def program_path(program: Program) -> str:
    return f"programs/{program.id}/index.html"


def source_path(source: Source) -> str:
    return f"sources/{source.id}/index.html"


def markdown_path(page: MarkdownPage) -> str:
    return f"{page.slug}/index.html"


def home_path(fact: Fact) -> str:
    """The page whose element with id = fact id shows the fact: its region's page."""
    return region_path(fact.region)


def path_for(thing) -> str:
    """Site path of a region, program, source or Markdown page."""
    for kind, make in ((Region, region_path), (Program, program_path), (Source, source_path),
                       (MarkdownPage, markdown_path)):
        if isinstance(thing, kind):
            return make(thing)
    raise TypeError(f"no page for {type(thing).__name__}")


@dataclass
class Group:
    """A heading on a page and the facts under it, possibly split into subgroups."""

    title: str
    facts: list[Fact] = field(default_factory=list)
    subgroups: list["Group"] = field(default_factory=list)
    anchor: str = ""
    program: Program | None = None

    def all_facts(self) -> list[Fact]:
        return self.facts + [f for g in self.subgroups for f in g.all_facts()]


_SHOWN_EXTRAS: dict[str, Callable[[object], list[str]]] = {
    # a program's national page: the count of figures per province
    "parts": lambda parts: [f"{province.id} {count}" for province, count, _ in parts],
    # the list of sources: the count of figures per source
    "counts": lambda counts: [f"{source} {count}" for source, count in counts.items()],
    # the overview: the count of figures per region, and its date (the newest source cited)
    "facts_by_region": lambda by_region: [f"{region} {len(facts)}"
                                          for region, facts in by_region.items() if facts],
    "newest_cited": lambda date: [f"newest cited {date}"],
    # the search page: the shards of the index it searches
    "shards": lambda shards: list(shards),
    # a prose page: its text (its title is in every page's menu: a change renders all)
    "document": lambda page: [repr((page.markdown, page.markdown_en))],
}
"""What a page shows beyond its facts and records (``Page.extra``): counts of figures,
the search index's shards, a prose page's text; as lines of :meth:`Page.shown`."""


@dataclass
class Page:
    """One HTML page to render.  Its groups of figures (in display order) and its charts
    are made when first asked for, so planning every page stays cheap when a rebuild
    renders only a few of them: what a page shows is known without them (*members*)."""

    out_path: str  # where it is written: its language's folder, then its path
    template: str
    title: str
    kind: str
    grouping: Callable[[], list[Group]] | None = None  # makes the groups
    chart_maker: Callable[[], list[Chart]] | None = None
    extra: dict = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)  # ids of facts shown beyond groups
    # Registry records the page shows itself, not through its facts (a region's page:
    # the region, its parents, its parts): a change to one renders the page again.
    records: tuple = ()
    lang: str = PRIMARY
    members: list[Fact] = field(default_factory=list)  # the facts in the groups, by id
    _groups: list[Group] | None = field(default=None, repr=False, compare=False)
    _charts: list[Chart] | None = field(default=None, repr=False, compare=False)

    def shown_key(self) -> tuple:
        """What :meth:`shown` reads, by identity: pages with equal keys show the same (the
        languages' pages share their lists), so it is worked out once for them."""
        return (id(self.members), id(self.depends_on) if self.depends_on else None,
                id(self.records) if self.records else None,
                *(id(self.extra.get(name)) for name in _SHOWN_EXTRAS))

    def shown(self, prints: dict[str, str]) -> str:
        """What the page shows of the content, as text: the ids of the facts in its groups
        and of those it shows beyond them (``depends_on``, a chart), the records it shows
        itself (``records``) with their fingerprints (*prints*: see
        :func:`reportgen.factcache.record_prints`), and the counts of figures some pages
        show (:data:`_SHOWN_EXTRAS`).  (What the facts hold is compared apart, fact by
        fact: a page that shows a changed fact is rendered again anyway.)"""
        parts = [line for name, lines in _SHOWN_EXTRAS.items() if name in self.extra
                 for line in lines(self.extra[name])]
        keys = map(record_key, self.records)
        return "\n\n".join(["\n".join(map(fact_id, self.members)), "\n".join(self.depends_on),
                             "\n".join(f"{key} {prints.get(key)}" for key in keys),
                             "\n".join(parts)])

    @property
    def groups(self) -> list[Group]:
        if self._groups is None:
            self._groups = self.grouping() if self.grouping else []
        return self._groups

    @property
    def path(self) -> str:
        """The page's path within its language: the same for every language's page."""
        return split_path(self.out_path)[1]

    @property
    def charts(self) -> list[Chart]:
        if self._charts is None:
            self._charts = self.chart_maker() if self.chart_maker else []
        return self._charts

    @property
    def facts(self) -> list[Fact]:
        """Facts shown on the page with their id, in display order."""
        return [f for g in self.groups for f in g.all_facts()]

    def forget(self) -> None:
        """Let go of the groups and charts made for the page (made again if asked for)."""
        self._groups = self._charts = None


# The orders figures are shown in.  A page sorts its own figures when it is rendered.

def period_order(fact: Fact) -> tuple:
    return (fact.period.sort_key, fact.status, fact.id)


def region_order(fact: Fact) -> tuple:
    return (fact.region.name, fact.period.sort_key, fact.status, fact.id)


def source_order(fact: Fact) -> tuple:
    return (fact.region.name, fact.metric.label, fact.period.sort_key, fact.id)


def _metric_groups(content: Content, facts: list[Fact], order_key, lang: str) -> list[Group]:
    by_metric: dict[str, list[Fact]] = {}
    for fact in facts:
        by_metric.setdefault(fact.metric.id, []).append(fact)
    groups = []
    for metric in content.metrics.values():
        if metric.id in by_metric:
            groups.append(Group(localized(metric, "label", lang),
                                sorted(by_metric[metric.id], key=order_key),
                                anchor=f"metric-{metric.id}"))
    return groups


def plan_region(content: Content, region: Region, facts: list[Fact],
                lang: str = PRIMARY, grouped: "_Grouped | None" = None) -> Page:
    """A region's page: figures grouped by (first-named) program, then metric.  It shows
    the region itself, its parents, its parts and the areas it is in (its records)."""
    related = {"region": region, "children": content.children(region),
               "ancestors": content.ancestors(region),
               "includes": [content.regions[r] for r in region.includes],
               "included_in": content.included_in(region)}
    records = (region, *related["ancestors"], *related["children"], *related["includes"],
               *related["included_in"])
    return Page(prefix(lang) + region_path(region), "region.html",
                localized(region, "name", lang), "region",
                partial(_region_groups, content, facts, lang),
                partial(_region_charts, region, facts, lang), related,
                records=_shared(grouped, records), lang=lang, members=facts)


def _shared(grouped: "_Grouped | None", records: tuple) -> tuple:
    """A page's *records*, as a tuple the other languages' pages showing them share (when
    planned together, with *grouped*), so that what they show is worked out once."""
    return grouped.shared(records) if grouped else records


def _region_groups(content: Content, facts: list[Fact], lang: str) -> list[Group]:
    by_program: dict[str, list[Fact]] = {}
    for fact in facts:
        by_program.setdefault(fact.programs[0].id, []).append(fact)
    return [Group(localized(program, "name", lang), subgroups=_metric_groups(
                content, by_program[program.id], period_order, lang),
                anchor=f"program-{program.id}", program=program)
            for program in content.programs.values() if program.id in by_program]


def _region_charts(region: Region, facts: list[Fact], lang: str) -> list[Chart]:
    return region_charts(region, sorted(facts, key=period_order), lang)


PROGRAM_PAGE_LIMIT = 500
"""A program with more figures than this gets a page per province, linked from its page."""


def plan_program(content: Content, program: Program, facts: list[Fact],
                 lang: str = PRIMARY, grouped: "_Grouped | None" = None) -> list[Page]:
    """A program's page: every region's figures for it, grouped by metric, and a chart.
    At national scale the figures go on a page per province, which the program's page
    lists; its chart still compares the provinces."""
    chart = partial(_program_chart, program, facts, lang)
    name = localized(program, "name", lang)
    if len(facts) <= PROGRAM_PAGE_LIMIT:
        return [Page(prefix(lang) + program_path(program), "program.html", name, "program",
                     partial(_metric_groups, content, facts, region_order, lang), chart,
                     {"program": program}, records=_shared(grouped, (program,)), lang=lang,
                     members=facts)]
    by_province = grouped.by_province(program) if grouped else _by_province(content, facts)
    parts, pages = [], []
    for province_id, mine in by_province.items():
        province = content.regions[province_id]
        path = f"programs/{program.id}/{province.id}/index.html"
        parts.append((province, len(mine), path))
        pages.append(Page(prefix(lang) + path, "program.html",
                          f"{name}: {localized(province, 'name', lang)}", "program",
                          partial(_metric_groups, content, mine, region_order, lang), None,
                          {"program": program, "part_of": province},
                          records=_shared(grouped, (program, province)), lang=lang,
                          members=mine))
    index = Page(prefix(lang) + program_path(program), "program.html", name, "program", None,
                 chart, {"program": program, "parts": parts},
                 depends_on=(grouped.charted(program) if grouped
                             else [f.id for f in program_chart_facts(facts)]),
                 records=_shared(grouped, (program, *(province for province, _, _ in parts))),
                 lang=lang)
    return [index, *pages]


def _by_province(content: Content, facts: list[Fact]) -> dict[str, list[Fact]]:
    """Province id -> its facts among *facts*, the provinces by name."""
    by_province: dict[str, list[Fact]] = {}
    for fact in facts:
        by_province.setdefault(content.province_of(fact.region).id, []).append(fact)
    return {province: by_province[province]
            for province in sorted(by_province, key=lambda r: content.regions[r].name)}


def _program_chart(program: Program, facts: list[Fact], lang: str) -> list[Chart]:
    return program_chart(program, sorted(facts, key=lambda f: (f.metric.id, region_order(f))),
                         lang)


def plan_source(content: Content, source: Source, facts: list[Fact],
                lang: str = PRIMARY, grouped: "_Grouped | None" = None) -> Page:
    """A source's page: the article's details and every figure cited from it."""
    return Page(prefix(lang) + source_path(source), "source.html", source.publisher, "source",
                partial(_source_groups, source, facts), None,
                {"source": source}, records=_shared(grouped, (source,)), lang=lang,
                members=facts)


def _source_groups(source: Source, facts: list[Fact]) -> list[Group]:
    return [Group(source.title or source.publisher, sorted(facts, key=source_order))]


def plan_overview(content: Content, facts_by_region: dict[str, list[Fact]],
                  lang: str = PRIMARY, grouped: "_Grouped | None" = None) -> Page:
    """The overview: headline figures, the regions by province, the programs, the sources.
    It shows every region, program and source (their tree, names and counts): its
    *records* are all of them, in registry order; and it is dated by the newest source
    any figure cites."""
    headline = [f for f in content.facts if f.headline]
    top = [r for r in content.regions.values() if r.parent is None]
    return Page(prefix(lang) + "index.html", "overview.html",
                localized(content.site, "title", lang), "overview",
                partial(_headline_groups, headline), None,
                {"top_regions": top, "facts_by_region": facts_by_region,
                 "newest_cited": content.newest_cited},
                records=_shared(grouped, (*content.regions.values(), *content.programs.values(),
                                          *content.sources.values())),
                lang=lang, members=headline)


def _headline_groups(headline: list[Fact]) -> list[Group]:
    return [Group("headline", sorted(headline, key=source_order))]


def plan_pages(content: Content, languages: tuple[str, ...] = (PRIMARY,)) -> list[Page]:
    """Every page of the site in each of *languages* (the build asks for all of
    :data:`reportgen.i18n.LANGUAGES`; the default is the primary one), in a stable order.
    The languages' pages share their lists of facts (*members*): the same facts, grouped
    once."""
    grouped = _Grouped(content)
    return [page for lang in languages for page in plan_language(content, lang, grouped)]


class _Grouped:
    """The facts by region, program and source, for every language's pages."""

    def __init__(self, content: Content):
        self.by_region: dict[str, list[Fact]] = {r: [] for r in content.regions}
        self.by_program: dict[str, list[Fact]] = {p: [] for p in content.programs}
        self.by_source: dict[str, list[Fact]] = {s: [] for s in content.sources}
        for fact in content.facts:
            self.by_region[fact.region.id].append(fact)
            for program in fact.programs:
                self.by_program[program.id].append(fact)
            for citation in fact.citations:
                cited = self.by_source[citation.source.id]
                if not cited or cited[-1] is not fact:  # once, if it cites a source twice
                    cited.append(fact)
        self.counts = {s: len(f) for s, f in self.by_source.items()}
        self.sources = tuple(sorted(content.sources.values(), key=lambda s: (s.date, s.id)))
        self.shards = SearchShards(content).names
        self.content = content
        self._tuples: dict[tuple[str, ...], tuple] = {}  # (see shared)
        self._charted: dict[str, list[str]] = {}
        self._by_province: dict[str, dict[str, list[Fact]]] = {}

    def charted(self, program: Program) -> list[str]:
        """The ids of the facts a program's chart is drawn from."""
        if program.id not in self._charted:
            self._charted[program.id] = [
                f.id for f in program_chart_facts(self.by_program[program.id])]
        return self._charted[program.id]

    def shared(self, records: tuple) -> tuple:
        """*records* as the tuple every language's page showing them shares, so that what
        a page shows is worked out once for them (:meth:`Page.shown_key`)."""
        return self._tuples.setdefault(tuple(map(record_key, records)), records)

    def by_province(self, program: Program) -> dict[str, list[Fact]]:
        """A program's facts by province (the provinces by name)."""
        if program.id not in self._by_province:
            self._by_province[program.id] = _by_province(self.content,
                                                         self.by_program[program.id])
        return self._by_province[program.id]


def plan_language(content: Content, lang: str, grouped: _Grouped | None = None) -> list[Page]:
    """Every page of the site in one language, in a stable order."""
    _ = translator(lang)
    at = prefix(lang)
    grouped = grouped or _Grouped(content)
    by_region, by_program, by_source = grouped.by_region, grouped.by_program, grouped.by_source
    pages = [plan_overview(content, by_region, lang, grouped)]
    pages += [plan_region(content, r, by_region[r.id], lang, grouped)
              for r in content.regions.values()]
    pages += [page for p in content.programs.values()
              for page in plan_program(content, p, by_program[p.id], lang, grouped)]
    pages += [plan_source(content, s, by_source[s.id], lang, grouped)
              for s in content.sources.values()]
    pages.append(Page(at + "sources/index.html", "sources.html", _("Sumber"), "sources",
                      extra={"sources": grouped.sources, "counts": grouped.counts},
                      records=grouped.sources, lang=lang))
    pages += [Page(at + markdown_path(p), "page.html", localized(p, "title", lang), "page",
                   extra={"document": p}, lang=lang) for p in content.pages]
    pages.append(Page(at + SEARCH_PAGE, "search.html", _("Cari"), "search",
                      extra={"shards": grouped.shards}, lang=lang))
    pages.append(Page(at + NOT_FOUND_PAGE, "404.html", _("Halaman tidak ditemukan"), "notfound",
                      lang=lang))
    return pages


def pages_showing(pages: list[Page], touched: set[str], shows: dict[str, str],
                  shown_before: dict[str, str]) -> set[str]:
    """The paths of *pages* that show one of the facts *touched* (ids), in their lists or
    beyond them (a chart drawn from it), and of those that show other facts than
    *shown_before* says (path -> digest of :meth:`Page.shown`, as *shows*: a page new
    since, or one that lost a fact).  What a build renders again, and what ``reportgen
    diff`` lists; the languages' pages share their lists, each looked at once."""
    paths: set[str] = set()
    touches: dict[int, bool] = {}  # id of a list of facts -> whether a touched one is in it
    for page in pages:
        members = page.members
        if id(members) not in touches:
            touches[id(members)] = not touched.isdisjoint(map(fact_id, members))
        if (touches[id(members)] or shown_before.get(page.out_path) != shows[page.out_path]
                or not touched.isdisjoint(page.depends_on)):
            paths.add(page.out_path)
    return paths
