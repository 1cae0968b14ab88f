"""Loading a content folder into the validated model, with every problem found.

:func:`load_content` is the entry point of the first two build stages: it finds and
parses the files (:mod:`reportgen.loader`), checks each record against its field list
(:mod:`reportgen.validate`), then checks what spans records: ids unique across files,
references that resolve, units that fit their metric, figures that fit their unit and
date, sources that are cited.  It never stops at the first problem and never raises for
bad content: the content is ``None`` when any problem is an error.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterator

from . import schema
from .crosscheck import (disagreement_map, disagreement_problems, find_disagreements,
                         translation_problems)
from .errors import Problem, current_file, display_path, display_paths
from .factcache import FactFileCache, freeze, record_prints, thaw
from .loader import SourceFile, YamlMap, find_content_files, parse_yaml
from .model import (
    COUNT_UNITS, Citation, Content, Fact, MarkdownPage, Metric, Program, Region, Site, Source,
    UNITS, SLUG, newest_date,
)
from .validate import (
    DATE, RecordChecker, bad_character, did_you_mean, link_allowed, top_level_records,
    without_separators,
)
from .workers import WorkerFailed, can_fork, cores, forked_map

FileChecked = tuple[list[Fact], list[Problem], list[tuple[str, tuple]],
                    tuple[tuple[str, ...], bool]]
"""One fact file checked: its facts, its problems, the id and place of each fact in it
whose id is right, whether or not the rest of the fact is, and the registry records its
facts refer to (their keys, and whether one of them was not found: see
:func:`reportgen.factcache.dependency_digest`)."""


def load_content(content_dir: Path, base: Path | None = None, partial: bool = False,
                 cache: FactFileCache | None = None,
                 workers: int | None = None) -> tuple[Content | None, list[Problem]]:
    """Read, parse and validate a whole content folder: (content or None, sorted problems).

    With *partial*, the content is returned despite errors, holding what did validate
    (for comparing revisions); otherwise it is None whenever there is an error.  With a
    *cache*, fact files whose bytes (and the registry records they refer to) are
    unchanged since an earlier run are not parsed or checked again.  Many fact files are checked in *workers*
    processes (default: one per core).
    """
    problems: list[Problem] = []
    current_file.set(str(content_dir))
    if not content_dir.is_dir():
        return None, [Problem(display_path(content_dir, base), 1, 1, "RG006",
                              "content folder does not exist",
                              "pass --content DIR, or run reportgen from the project folder")]
    files = find_content_files(content_dir)
    shown_registries = [display_path(path, base) for path in files["registries"]]
    registry_files = [(shown, path.read_bytes() if path.exists() else None)
                      for shown, path in zip(shown_registries, files["registries"])]
    # A process that loads the same content again (serve) keeps the registries' objects
    # while their files are unchanged, and with them the facts linked to them.
    held = cache.held_registries(registry_files) if cache else None
    if held is None:
        held = _load_registries(files["registries"], shown_registries, cache)
        if cache:
            cache.hold_registries(registry_files, held)
    (site, sources, regions, programs, metrics, registry_problems, broken_ids, prints,
     checked_prints) = held
    problems.extend(registry_problems)
    builder = _ContentBuilder(problems)
    builder.broken_ids.update(broken_ids)
    context = (sources, regions, programs, metrics)
    checked: list[FileChecked | None] = []
    unchecked: list[tuple[int, Path, str]] = []  # files the cache does not hold
    for path, shown in zip(files["facts"], display_paths(files["facts"], base)):
        checked.append(cache.get(path, shown, context, checked_prints, broken_ids)
                       if cache else None)
        if checked[-1] is None:
            unchecked.append((len(checked) - 1, path, shown))
    for (index, path, shown), found in zip(unchecked,
                                           _check_fact_files(builder, unchecked, context,
                                                             workers or cores())):
        checked[index] = found[:3]  # (the records it looked up are the cache's concern)
        if cache:
            cache.put(path, shown, *found, checked_prints, broken_ids)
    facts: list[Fact] = []
    ids: list[tuple[str, tuple]] = []
    for found_facts, found_problems, found_ids in checked:
        facts.extend(found_facts)
        problems.extend(found_problems)
        ids.extend(found_ids)
    facts = builder.unique_facts(facts, ids)
    disagreements = cited = None
    if not any(p.severity == "error" for p in problems):  # else facts are missing anyway
        cited = builder.check_cited(sources, facts)
        found = find_disagreements(facts)
        problems.extend(disagreement_problems(found))
        problems.extend(translation_problems(facts))
        disagreements = found[0]
    pages = builder.pages(files["pages"], base)

    if cache:
        cache.loaded()
    problems.sort()
    if partial:
        site = site or Site("", "", "", "")
    elif any(p.severity == "error" for p in problems) or site is None:
        return None, problems
    content = Content(site, sources, regions, programs, metrics,
                      sorted(facts, key=lambda f: f.id), pages)
    content.__dict__["record_prints"] = prints  # (worked out with the registries)
    if disagreements is not None:  # found above: not worked out again when asked for
        content.__dict__["disagreeing"] = disagreement_map(disagreements)
        content.__dict__["newest_cited"] = newest_date(sources[s].date for s in cited)
    return content, problems


def _load_registries(paths: list[Path], shown: list[str], cache: FactFileCache | None) -> tuple:
    """The registry files read and checked: (site, sources, regions, programs, metrics,
    the problems found, the ids of records that failed their checks, the records'
    fingerprints (:func:`reportgen.factcache.record_prints`), and those of what checking
    a fact reads of them (:data:`CHECKED_FIELDS`))."""
    problems: list[Problem] = []
    registries: dict[str, SourceFile | None] = {}
    for path, display in zip(paths, shown):
        if not path.exists():
            problems.append(Problem(display, 1, 1, "RG006", f"required file {path.name} is "
                                    "missing", "a content folder has site, sources, regions, "
                                    "programs and metrics .yaml files"))
            registries[path.stem] = None
            continue
        registries[path.stem], found = (cache.parsed(path, display) if cache
                                        else parse_yaml(path, display))
        problems.extend(found)
    builder = _ContentBuilder(problems)
    site = builder.site(registries["site"])
    sources = builder.registry(registries["sources"], "sources", _make_source)
    regions = builder.registry(registries["regions"], "regions", _make_region)
    programs = builder.registry(registries["programs"], "programs", _make_program)
    metrics = builder.registry(registries["metrics"], "metrics", _make_metric)
    builder.check_regions(regions)
    builder.check_metrics(metrics)
    registries = (sources, regions, programs, metrics)
    return (site, *registries, problems, frozenset(builder.broken_ids),
            record_prints(*registries), record_prints(*registries, only=CHECKED_FIELDS))


CHECKED_FIELDS = {Source: ("date",), Region: (), Program: (), Metric: ("unit", "other_units")}
"""What checking a fact reads of the registry records it refers to, besides whether they
exist (see ``_ContentBuilder.fact`` and ``check_figure``): a fact file checked before is
checked again only when one of these changed (see :mod:`reportgen.factcache`)."""


PARALLEL_FROM = 32
"""Fewer fact files to check than this are checked in this process: workers cost more."""


def _check_fact_files(builder: "_ContentBuilder", files: list[tuple[int, Path, str]],
                      context: tuple, processes: int) -> Iterator[FileChecked]:
    """(facts, problems, ids) of each fact file, in order.  Many files are parsed and checked
    in forked workers, one per core (each file depends only on itself and the
    registries); their facts come back with references as ids and are linked to this
    process's registries again, so the result is the same as checking them here."""
    if len(files) < PARALLEL_FROM or processes < 2 or not can_fork():
        for _, path, shown in files:
            yield builder.fact_file(path, shown, *context)
        return

    def check(item: tuple[int, Path, str]):
        try:
            found, problems, ids, lookups = builder.fact_file(item[1], item[2], *context)
        except Exception as exc:  # a bug of reportgen's: raised again in the parent
            return None, (item[2], f"{type(exc).__name__}: {exc}"), [], None
        return [freeze(fact) for fact in found], problems, ids, lookups

    for frozen, problems, ids, lookups in forked_map(check, files, processes, chunk=8):
        if frozen is None:
            shown, message = problems
            current_file.set(shown)  # the command reports it as RG900 at this file
            raise WorkerFailed(message)
        yield [thaw(item, *context) for item in frozen], problems, ids, lookups


def _make_source(v: dict, loc) -> Source:
    return Source(v["id"], v["publisher"], v["title"], v["date"], v["authors"], v["url"],
                  v.get("archive"), v.get("editors", []), v.get("place"), v.get("note"),
                  v.get("title_note"), v.get("date_note"), v.get("note_en"), loc)


def _make_region(v: dict, loc) -> Region:
    return Region(v["id"], v["name"], v["name_en"], v["kind"], v["parent"], v["code"],
                  v.get("includes", []), v.get("note"), v.get("note_en"), loc)


def _make_program(v: dict, loc) -> Program:
    return Program(v["id"], v["name"], v["name_en"], v["short"], v["kind"],
                   v.get("description") or "", v.get("description_en") or "", loc)


def _make_metric(v: dict, loc) -> Metric:
    return Metric(v["id"], v["label"], v["label_en"], v["unit"], v.get("other_units", []),
                  v.get("description") or "", v.get("description_en") or "", loc)


class _ContentBuilder:
    """Builds model objects from checked records, adding cross-record problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        # Ids of registry records that exist but failed their checks: references to them
        # are not reported again as unknown, which would only bury the real problem.
        self.broken_ids: set[str] = set()
        # The registry records the fact file being checked looked up ('source:<id>'),
        # and whether one was not found (see reportgen.factcache.dependency_digest).
        self.lookups: set[str] = set()
        self.unresolved = False

    def add(self, where: tuple[str, int, int], rule: str, message: str, hint: str = "",
            severity: str = "error") -> None:
        self.problems.append(Problem(where[0], where[1], where[2], rule, message, hint, severity))

    def site(self, file: SourceFile | None) -> Site | None:
        if file is None:
            return None
        checker = RecordChecker(file, self.problems)
        values = checker.record(file.data, (1, 1), schema.SITE, "site settings")
        return Site(**values) if values else None

    def registry(self, file: SourceFile | None, key: str, make) -> dict:
        """Records of one registry file, by id; duplicates and bad records reported.  An
        id is taken by the first record that gives it right, whether or not the rest of
        that record is."""
        if file is None:
            return {}
        current_file.set(file.display)
        checker = RecordChecker(file, self.problems)
        kind = key.rstrip("s")
        found: dict = {}
        first: dict[str, tuple] = {}  # id -> the place of the record that took it
        for data, loc in top_level_records(file, key, checker):
            values, whole = checker.fields(data, loc, schema.REGISTRIES[key], kind)
            record_id = values.get("id") if values else None
            if record_id is not None and self.taken(first, kind, record_id,
                                                     (file.display, *loc), in_file=True):
                continue
            if not whole:
                if isinstance(data, YamlMap) and isinstance(data.get("id"), str):
                    self.broken_ids.add(data["id"])
                continue
            found[record_id] = make(values, (file.display, *loc))
        return found

    def check_regions(self, regions: dict[str, Region]) -> None:
        for region in regions.values():
            for ref in [region.parent, *region.includes]:
                if ref is not None and ref not in regions:
                    self.add(region.loc, "RG104", f"region '{region.id}' refers to unknown region "
                             f"'{ref}'", did_you_mean(ref, regions))
            if region.parent is None and region.kind != "country":
                self.add(region.loc, "RG102", f"region '{region.id}' has no parent",
                         "only the country has 'parent: null'")
            seen, current = {region.id}, region
            while current.parent in regions:
                current = regions[current.parent]
                if current.id in seen:
                    self.add(region.loc, "RG104", f"region '{region.id}' lies inside itself",
                             "follow the 'parent' chain and break the loop")
                    break
                seen.add(current.id)

    def check_metrics(self, metrics: dict[str, Metric]) -> None:
        for metric in metrics.values():
            for unit in metric.other_units:
                if unit not in UNITS:
                    self.add(metric.loc, "RG107", f"metric '{metric.id}' has unknown unit '{unit}'",
                             did_you_mean(unit, UNITS) or f"one of: {', '.join(UNITS)}")

    def fact_file(self, path: Path, shown: str, sources, regions, programs,
                  metrics) -> FileChecked:
        """The facts of one file, the problems found in it (parsing included), and the id
        and place of each fact whose id is right, in order (for :meth:`unique_facts`)."""
        mine: list[Problem] = []
        outer, self.problems = self.problems, mine
        self.lookups, self.unresolved = set(), False
        try:
            file, found = parse_yaml(path, shown)
            mine.extend(found)
            facts: list[Fact] = []
            ids: list[tuple[str, tuple]] = []
            if file is not None:
                current_file.set(file.display)
                checker = RecordChecker(file, mine)
                for data, loc in top_level_records(file, "facts", checker):
                    fact_id, fact = self.fact(checker, data, loc, sources, regions, programs,
                                              metrics)
                    if fact_id is not None:
                        ids.append((fact_id, (file.display, *loc)))
                    if fact is not None:
                        facts.append(fact)
            return facts, mine, ids, (tuple(sorted(self.lookups)), self.unresolved)
        finally:
            self.problems = outer

    def unique_facts(self, facts: list[Fact], ids: list[tuple[str, tuple]]) -> list[Fact]:
        """The facts whose ids were not seen before; a repeated id is a problem (across
        files too).  *ids* are the id and place of every fact whose id is right, in file
        order, so that a fact that failed other checks still shows its id is taken."""
        first: dict[str, tuple] = {}
        repeated = {where for fact_id, where in ids if self.taken(first, "fact", fact_id, where)}
        return [fact for fact in facts if fact.loc not in repeated]

    def taken(self, first: dict[str, tuple], kind: str, record_id: str, where: tuple,
              in_file: bool = False) -> bool:
        """Whether *record_id* was taken already (by the record at ``first[record_id]``):
        if so it is an RG106 problem at *where* (file, line, column), else *where* takes
        it.  *in_file*: the ids are unique within one file, which the hint need not name."""
        if record_id not in first:
            first[record_id] = where
            return False
        at = first[record_id][1:] if in_file else first[record_id]
        self.add(where, "RG106", f"{kind} id '{record_id}' is used twice",
                 f"first at {':'.join(map(str, at))}; ids must be unique")
        return True

    def fact(self, checker: RecordChecker, data, loc, sources, regions, programs,
             metrics) -> tuple[str | None, Fact | None]:
        """One fact record checked: (its id, when the id itself is right; the Fact, when
        everything is).  Of the records it refers to, the check reads whether they exist
        and the fields of :data:`CHECKED_FIELDS`, and nothing else: a checked fact file is
        kept in the cache until one of those changes."""
        values, ok = checker.fields(data, loc, schema.FACT, "fact")
        if values is None:
            return None, None
        where = (checker.file.display, *loc)

        def resolve(loc, ref: str, registry: dict, kind: str):
            nonlocal ok
            self.lookups.add(f"{kind}:{ref}")  # what checking this file depends on
            if ref in registry:
                return registry[ref]
            ok = False
            if ref in self.broken_ids:
                return None
            self.unresolved = True
            hint = did_you_mean(ref, registry) or f"add '{ref}' to {kind}s.yaml first"
            self.add((checker.file.display, *loc), "RG104", f"unknown {kind} '{ref}'", hint)
            return None

        # What the fields that are right refer to is checked even when others are wrong.
        region = metric = None
        if "region" in values:
            region = resolve(data.loc_of("region"), values["region"], regions, "region")
        if "metric" in values:
            metric = resolve(data.loc_of("metric"), values["metric"], metrics, "metric")
        fact_programs = [resolve(data["programs"].loc_of(i), p, programs, "program")
                         for i, p in enumerate(values.get("programs", ()))]
        citations = []
        for index, item in enumerate(values.get("sources", ())):
            item_loc = data["sources"].loc_of(index)
            cited = checker.record(item, item_loc, schema.CITATION, "citation")
            if cited is None:
                ok = False
                continue
            source = resolve(item.loc_of("source"), cited["source"], sources, "source")
            if source is not None:
                quote = " ".join(cited["quote"].split())
                if any(c.source is source and c.quote == quote for c in citations):
                    self.add((checker.file.display, *item_loc), "RG310",
                             f"the same sentence of '{source.id}' is cited twice for this "
                             "figure", "remove one of the two citations")
                    ok = False
                    continue
                citations.append(Citation(source, quote, cited.get("quote_en"),
                                          (checker.file.display, *item.loc_of("quote"))))
        self.check_value(values, data, checker.file.display)  # even when other fields are wrong
        if not ok:
            return values.get("id"), None
        fact = Fact(values["id"], region, fact_programs, metric, values["value"], values["unit"],
                    values["period"], values["status"], citations, values.get("qualifier"),
                    values.get("note"), values.get("derivation"), values.get("headline", False),
                    where, values.get("note_en"))
        self.check_figure(fact, data, checker.file.display)
        return fact.id, fact

    def check_value(self, values: dict, data: YamlMap, display: str) -> None:
        """A fact's value that cannot be right for its unit, or that YAML read otherwise
        than it was meant: ``7.500``, an Indonesian 7,500, is the float 7.5.  *values* are
        the fact's fields that are right: what depends on the unit waits for a right unit.
        The numbers are checked as written, so that a range misread as 500 to 1.5 is
        explained too.  A percentage keeps its decimals (read as thousands, 12.345 would be
        far above 100%)."""
        value, unit = values.get("value"), values.get("unit")
        if value is not None and value.low < 0:
            self.add((display, *data.loc_of("value")), "RG202", f"value {value.low} is negative",
                     "counts and amounts cannot be below zero")
        if value is not None and unit == "percent" and not 0 <= value.high <= 100:
            self.add((display, *data.loc_of("value")), "RG203",
                     f"percentage {value.high} is outside 0-100",
                     "write 70 for 70%, not 0.7 or 7000")
        if unit is None:
            return
        written = data.get("value")
        numbers = ([("range low", written, "low"), ("range high", written, "high")]
                   if isinstance(written, YamlMap) else [("value", data, "value")])
        for name, mapping, key in numbers:
            number = mapping.get(key)
            if not isinstance(number, float) or not math.isfinite(number):
                continue  # whole, or reported as not a number
            where = (display, *mapping.loc_of(key))
            text = mapping.text_of(key)
            digits = without_separators(text) if text and unit != "percent" else None
            if digits:
                read = int(number) if number.is_integer() else number
                self.add(where, "RG103", f"{name} {text} reads as {read}, not {digits}",
                         "YAML reads a dot as a decimal point; write digits without "
                         f"separators: {digits}")
            elif unit in COUNT_UNITS and not number.is_integer():
                self.add(where, "RG208", f"{name} {number} is not a whole number of {unit}",
                         f"{', '.join(COUNT_UNITS[:-1])} and {COUNT_UNITS[-1]} are counted in "
                         "whole numbers")

    def check_figure(self, fact: Fact, data: YamlMap, display: str) -> None:
        """A figure whose unit does not fit its metric, or an actual figure dated after an
        article that reports it."""
        at = lambda key: (display, *data.loc_of(key))  # noqa: E731
        if fact.unit not in fact.metric.units:
            self.add(at("unit"), "RG207", f"unit '{fact.unit}' does not fit metric "
                     f"'{fact.metric.id}'", f"the metric is counted in {', '.join(fact.metric.units)}")
        if fact.status == "actual":
            start = (fact.period.start_year, *_month_day(fact.period.text, low=True))
            for citation in fact.citations:
                article = (citation.source.year, *_month_day(citation.source.date, low=False))
                if start > article:
                    self.add(at("period"), "RG206", f"actual figure for {fact.period.text} is "
                             f"reported by '{citation.source.id}' dated {citation.source.date}",
                             "an article cannot report what has not happened: use status "
                             "'target' or 'plan', or correct the period")

    def check_cited(self, sources: dict[str, Source], facts: list[Fact]) -> set[str]:
        """Warn of every source no fact cites; the ids of those cited."""
        cited = {c.source.id for fact in facts for c in fact.citations}
        for source in sources.values():
            if source.id not in cited:
                self.add(source.loc, "RG303", f"source '{source.id}' is not cited by any fact",
                         "add its figures, or remove it", severity="warning")
        return cited

    def pages(self, paths: list[Path], base: Path | None) -> list[MarkdownPage]:
        """The prose pages; ``<slug>.en.md`` is the English translation of ``<slug>.md``."""
        read: dict[str, tuple[str, str, Path]] = {}
        translated: dict[str, tuple[str, str, Path]] = {}
        for path in paths:
            shown = display_path(path, base)
            slug, _, lang = path.stem.partition(".")
            if not SLUG.match(slug) or lang not in ("", "en"):
                self.add((shown, 1, 1), "RG401", f"page file name '{path.name}' is not a slug",
                         "name it like 'metodologi.md', and its English translation "
                         "'metodologi.en.md'")
                continue
            page = self.read_page(path, shown)
            if page is not None:
                (translated if lang else read)[slug] = page
        for slug, (_, _, path) in sorted(translated.items()):
            if slug not in read:
                self.add((display_path(path, base), 1, 1), "RG401",
                         f"'{path.name}' translates a page that does not exist",
                         f"add '{slug}.md' (the Indonesian page), or rename this file")
        pages = []
        for slug, (title, body, path) in read.items():
            title_en, body_en, _ = translated.get(slug, (None, None, None))
            pages.append(MarkdownPage(slug, title, body, path, title_en, body_en))
        return pages

    def read_page(self, path: Path, shown: str) -> tuple[str, str, Path] | None:
        """(title, Markdown body, path) of one page file, or None after reporting why not."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.add((shown, 1, 1), "RG001", f"cannot read page: {exc}", "save it as UTF-8")
            return None
        if char := bad_character(text):
            line = text[:text.index(chr(int(char[2:], 16)))].count("\n") + 1
            self.add((shown, line, 1), "RG401", f"page contains the control character {char}",
                     "delete it: pages hold printable text only")
            return None
        first = next((line for line in text.splitlines() if line.strip()), "")
        if not first.startswith("# "):
            self.add((shown, 1, 1), "RG401", "page must start with a '# Title' heading")
            return None
        body = text.split(first, 1)[1]
        title_line = text.splitlines().index(first) + 1
        if not self.check_markdown(shown, title_line, body):
            return None
        return first[2:].strip(), body, path

    def check_markdown(self, shown: str, title_line: int, body: str) -> bool:
        """Images (a page loads nothing from elsewhere) and links to anything but http(s)
        or the site itself are problems; True when there are none."""
        from markdown_it import MarkdownIt

        parser = MarkdownIt("commonmark").enable(["table"])
        parser.validateLink = lambda url: True  # see every link, to report the bad ones
        ok = True
        for block in parser.parse(body):
            line = title_line + (block.map[0] if block.map else 0)
            for token in block.children or []:
                if token.type == "image":
                    self.add((shown, line, 1), "RG401", "Markdown pages cannot show images: "
                             f"{token.attrGet('src')!r}",
                             "the site loads nothing from other hosts; describe it in words")
                    ok = False
                elif token.type == "link_open" and not link_allowed(str(token.attrGet("href"))):
                    self.add((shown, line, 1), "RG107", "a link must be an http(s) address or "
                             f"a page of the site: {token.attrGet('href')!r}",
                             "write https://... or a relative path")
                    ok = False
        return ok


def _month_day(text: str, low: bool) -> tuple[int, int]:
    """Month and day of an ISO date or period text; unknown parts at the low or high end."""
    match = DATE.match(text.split("/")[0])
    month = int(match[2]) if match and match[2] else (1 if low else 12)
    day = int(match[3]) if match and match[3] else (1 if low else 31)
    return month, day
