"""The typed content model: sources, regions, programs, metrics, facts and pages.

These classes are what every later stage (charts, pages, data export) works from.  They
are built only by :mod:`reportgen.validate`, which guarantees the invariants documented
on each field: every reference resolves, every fact has at least one quoted source.

The controlled vocabularies (statuses, qualifiers, units, region kinds) live here, with
their Indonesian and English labels, because code depends on them (an *actual* figure is
checked against its article's date; a *percent* must lie in 0-100; a count is a whole
number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from functools import cached_property
from operator import attrgetter
from pathlib import Path
from typing import Iterable

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
"""Ids: lowercase letters, digits and single hyphens; safe in paths and HTML ids."""


def date_key(iso: str) -> tuple[int, int, int]:
    """An ISO date as precise as known ("2024", "2024-02", "2024-02-26"), for sorting."""
    parts = [int(p) for p in iso.split("-")] + [0, 0]
    return parts[0], parts[1], parts[2]


def newest_date(dates: Iterable[str]) -> str | None:
    """The latest of some ISO dates (as precise as known), or None when there are none."""
    return max(dates, key=lambda d: (date_key(d), d), default=None)


@dataclass(frozen=True)
class Term:
    """One entry of a controlled vocabulary."""

    id: str
    label: str  # Indonesian
    label_en: str
    description: str = ""


def _vocabulary(*terms: Term) -> dict[str, Term]:
    return {term.id: term for term in terms}


STATUSES = _vocabulary(
    Term("actual", "Realisasi", "Actual", "A count or amount that has happened, as reported."),
    Term("target", "Target", "Target", "A goal that an agency or government has set."),
    Term("plan", "Rencana", "Plan", "An intention or commitment without a set target date."),
    Term("budget", "Anggaran", "Allocated budget", "Money set aside in a budget."),
    Term("benefit", "Besaran manfaat", "Benefit amount", "What a program pays out per case."),
)

QUALIFIERS = _vocabulary(
    Term("about", "sekitar", "about", "The article hedges: 'sekitar', 'kisaran', '-an'."),
    Term("more-than", "lebih dari", "more than", "The article says 'lebih dari' or '... lebih'."),
    Term("at-least", "sedikitnya", "at least", "The article says 'sedikitnya' or 'minimal'."),
    Term("up-to", "hingga", "up to", "The article gives only an upper bound ('hingga')."),
    Term("less-than", "kurang dari", "less than", "The article says 'kurang dari'."),
)

UNITS = _vocabulary(
    Term("people", "orang", "people"),
    Term("families", "keluarga", "families"),
    Term("villages", "kampung/desa", "villages"),
    Term("IDR", "rupiah", "rupiah"),
    Term("percent", "persen", "percent"),
)

COUNT_UNITS = ("people", "families", "villages")
"""The units that count things (not amounts of money or shares): their figures are whole
numbers."""
assert set(COUNT_UNITS) <= set(UNITS), "COUNT_UNITS names a unit that is not in UNITS"

REGION_KINDS = _vocabulary(
    Term("country", "Negara", "Country"),
    Term("area", "Wilayah gabungan", "Combined area",
         "Several provinces reported together, as an article does."),
    Term("province", "Provinsi", "Province"),
    Term("regency", "Kabupaten", "Regency"),
    Term("city", "Kota", "City"),
)

PROGRAM_KINDS = _vocabulary(
    Term("program", "Program BPJS Ketenagakerjaan", "BPJS Ketenagakerjaan program"),
    Term("scheme", "Skema pembiayaan", "Funding scheme"),
    Term("unspecified", "Program tidak dirinci", "Program not specified"),
)


@dataclass(frozen=True, slots=True)
class Period:
    """A year, month, day, or span of years ("2025/2026"), as written in the content."""

    text: str
    start_year: int
    end_year: int

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (self.start_year, self.end_year, self.text)


@dataclass(frozen=True, slots=True)
class Value:
    """A figure: one number (low == high) or a range low..high."""

    low: int | float
    high: int | float

    @property
    def is_range(self) -> bool:
        return self.low != self.high

    def as_json(self) -> int | float | dict[str, int | float]:
        return {"low": self.low, "high": self.high} if self.is_range else self.low


@dataclass
class Site:
    """Site-wide settings from ``site.yaml``."""

    title: str
    title_en: str
    description: str
    description_en: str
    url: str | None = None  # where the site is published; absolute links in sitemap.xml


@dataclass
class Source:
    """A news article that facts are quoted from."""

    id: str
    publisher: str
    title: str | None  # None when the captured page shows no headline
    date: str  # ISO, as precise as the article allows: "2024", "2024-02", "2024-02-26"
    authors: list[str]
    url: str | None  # None when unknown; never invented
    archive: str | None  # file name of the article's text in the archive folder
    editors: list[str] = field(default_factory=list)
    place: str | None = None
    note: str | None = None
    title_note: str | None = None
    date_note: str | None = None
    note_en: str | None = None
    loc: tuple[str, int, int] = ("", 0, 0)

    @property
    def year(self) -> int:
        return int(self.date[:4])


@dataclass
class Region:
    """A country, province, regency, city, or an area several provinces make together."""

    id: str
    name: str
    name_en: str
    kind: str
    parent: str | None
    code: str | None  # Kemendagri code, where known
    includes: list[str] = field(default_factory=list)  # for kind "area"
    note: str | None = None
    note_en: str | None = None
    loc: tuple[str, int, int] = ("", 0, 0)


@dataclass
class Program:
    """A BPJS Ketenagakerjaan program (JKK, JKM, ...) or a funding scheme."""

    id: str
    name: str
    name_en: str
    short: str
    kind: str
    description: str = ""
    description_en: str = ""
    loc: tuple[str, int, int] = ("", 0, 0)


@dataclass
class Metric:
    """What a figure counts, with the unit it is normally given in."""

    id: str
    label: str
    label_en: str
    unit: str
    other_units: list[str] = field(default_factory=list)
    description: str = ""
    description_en: str = ""
    loc: tuple[str, int, int] = ("", 0, 0)

    @property
    def units(self) -> list[str]:
        return [self.unit, *self.other_units]


@dataclass(slots=True)
class Citation:
    """One source a fact is quoted from, with the sentence that states the figure."""

    source: Source
    quote: str
    quote_en: str | None = None
    loc: tuple[str, int, int] = ("", 0, 0)  # where the quote stands in its fact file


@dataclass(slots=True)
class Fact:
    """One figure, about one region and period, cited to one or more sources."""

    id: str
    region: Region
    programs: list[Program]
    metric: Metric
    value: Value
    unit: str
    period: Period
    status: str
    citations: list[Citation]
    qualifier: str | None = None
    note: str | None = None
    derivation: str | None = None  # how the figure follows from its quote, when not literal
    headline: bool = False
    loc: tuple[str, int, int] = ("", 0, 0)
    note_en: str | None = None


fact_id = attrgetter("id")
"""A fact's id (``map(fact_id, facts)`` is quicker than a generator at national scale)."""


RECORD_KINDS = {Source: "source", Region: "region", Program: "program", Metric: "metric"}
"""The registry records' kinds, as they name a record (:func:`record_key`)."""


def record_key(record: Source | Region | Program | Metric) -> str:
    """How a registry record is named among every registry's records: 'source:<id>'."""
    return f"{RECORD_KINDS[type(record)]}:{record.id}"


def record_values(record: Source | Region | Program | Metric) -> dict[str, object]:
    """A registry record's fields by name, all but where it stands in its file (``loc``):
    what it is, for telling whether it changed."""
    return {name: getattr(record, name) for name in _RECORD_FIELDS[type(record)]}


_RECORD_FIELDS = {kind: tuple(f.name for f in fields(kind) if f.name != "loc")
                  for kind in RECORD_KINDS}


def refers_to(fact: Fact) -> set[str]:
    """The registry records a fact refers to (:func:`record_key`)."""
    return {record_key(fact.region), record_key(fact.metric), *map(record_key, fact.programs),
            *(record_key(c.source) for c in fact.citations)}


def edited_records(before: dict[str, str], after: dict[str, str]) -> set[str]:
    """The records (keys of two revisions' ``Content.record_prints``) added, removed or
    changed from *before* to *after*."""
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def facts_referring(facts: list[Fact], records: set[str]) -> set[str]:
    """The ids of the *facts* that refer to one of *records* (keys)."""
    if not records:
        return set()
    return {fact.id for fact in facts if not records.isdisjoint(refers_to(fact))}


@dataclass
class MarkdownPage:
    """A prose page from ``content/pages/<slug>.md``, with its English translation from
    ``<slug>.en.md`` when there is one."""

    slug: str
    title: str
    markdown: str
    src_path: Path
    title_en: str | None = None
    markdown_en: str | None = None


@dataclass
class Content:
    """Everything a site is built from, validated."""

    site: Site
    sources: dict[str, Source]
    regions: dict[str, Region]
    programs: dict[str, Program]
    metrics: dict[str, Metric]
    facts: list[Fact]  # sorted by id
    pages: list[MarkdownPage]

    def children(self, region: Region) -> list[Region]:
        """Regions whose parent is *region*, by name."""
        return list(self._children.get(region.id, ()))

    def included_in(self, region: Region) -> list[Region]:
        """The combined areas that include *region*, in registry order."""
        return list(self._included_in.get(region.id, ()))

    # Worked out once, when first asked: the content does not change once loaded, and a
    # national site asks for every region.
    @cached_property
    def _children(self) -> dict[str, list[Region]]:
        index: dict[str, list[Region]] = {}
        for region in sorted(self.regions.values(), key=lambda r: r.name):
            index.setdefault(region.parent, []).append(region)
        return index

    @cached_property
    def _included_in(self) -> dict[str, list[Region]]:
        index: dict[str, list[Region]] = {}
        for area in self.regions.values():
            for member in dict.fromkeys(area.includes):
                index.setdefault(member, []).append(area)
        return index

    @cached_property
    def record_prints(self) -> dict[str, str]:
        """A fingerprint of every registry record, by 'kind:id' (see
        :func:`reportgen.factcache.record_prints`)."""
        from .factcache import record_prints

        return record_prints(self.sources, self.regions, self.programs, self.metrics)

    @cached_property
    def fact_by_id(self) -> dict[str, "Fact"]:
        return {fact.id: fact for fact in self.facts}

    @cached_property
    def newest_cited(self) -> str | None:
        """The newest date of a source that a figure cites (as precise as known)."""
        return newest_date({c.source.date for fact in self.facts for c in fact.citations})

    @cached_property
    def disagreeing(self) -> dict[str, list["Fact"]]:
        """For each fact whose sources disagree with another's: the facts it disagrees
        with (see :mod:`reportgen.crosscheck`; loading works it out along the way)."""
        from .crosscheck import disagreement_map, find_disagreements

        return disagreement_map(find_disagreements(self.facts)[0])

    def province_of(self, region: Region) -> Region:
        """The province a region lies in (itself for a province, the country or a
        combined area)."""
        current = region
        while current.kind in ("regency", "city") and current.parent in self.regions:
            current = self.regions[current.parent]
        return current

    def ancestors(self, region: Region) -> list[Region]:
        """From the top (the country) down to *region*'s parent."""
        chain: list[Region] = []
        current = region
        while current.parent and current.parent in self.regions and len(chain) < 20:
            current = self.regions[current.parent]
            chain.append(current)
        return list(reversed(chain))
