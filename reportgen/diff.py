"""Comparing the content of two revisions, fact by fact, for pull-request reviews.

:func:`content_at` reads the content folder as it was at a git revision (or as it is in
the working tree); :func:`diff_contents` compares two loaded contents by fact id; and
:func:`markdown_report` / :func:`json_report` print the result in a stable order: facts
added, removed, renamed (only the id differs), changed (old -> new value, the change in
percent, changed sources and quotes) and broken (still in the head's files, but with
problems there that keep them off the site), the registry records (sources, regions,
programs, metrics) added, removed or changed (:func:`record_changes`), the pages
affected (:func:`affected_pages`, from the site as planned at each revision), and the
problems the change introduces.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .buildstate import page_shows
from .content import load_content
from .errors import Problem, ReportgenError, display_path
from .i18n import LANGUAGE_NAMES, LANGUAGES, PRIMARY, prefix, split_path
from .loader import YamlMap, YamlSeq, find_content_files, parse_yaml
from .model import (
    Content, Fact, edited_records, fact_id, facts_referring, record_key, record_values,
)
from .numbers import describe_value, format_number
from .pages import pages_showing, plan_pages

WORKTREE = None
"""Revision value meaning 'the files as they are now'."""


class _GitFailed(ReportgenError):
    """A git command that ran and failed; its message is git's last line of errors."""


def _git(repo: Path, *args: str) -> bytes:
    """The output of ``git -C repo ARGS``; a failure is a ReportgenError with a plain
    message (never the command line Python ran)."""
    try:
        return subprocess.run(["git", "-C", str(repo), *args], check=True,
                              capture_output=True).stdout
    except FileNotFoundError:
        raise ReportgenError("git is not installed (reportgen diff reads the revisions "
                             "with it)") from None
    except subprocess.CalledProcessError as exc:
        message = exc.stderr.decode("utf-8", "replace").strip().splitlines()
        said = message[-1] if message else f"exit status {exc.returncode}"
        raise _GitFailed(f"git {args[0]} failed: {said}") from None


def repo_root(start: Path) -> Path:
    """The top folder of the git repository *start* is in."""
    try:
        return Path(_git(start, "rev-parse", "--show-toplevel").decode().strip())
    except _GitFailed:
        raise ReportgenError(f"{start} is not in a git repository (run reportgen diff "
                             "inside the repository whose revisions it compares)") from None


def resolve_commit(repo: Path, rev: str) -> str:
    """The commit *rev* names (its full hash), or a ReportgenError saying it is unknown."""
    unknown = ReportgenError(f"unknown revision '{rev}' (a commit, branch or tag of this "
                             "repository)")
    if not rev or rev.startswith("-"):  # never read as an option of git's
        raise unknown
    try:
        found = _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except _GitFailed:
        raise unknown from None
    return found.decode().strip()


def content_at(repo: Path, rev: str | None, content_rel: str, into: Path) -> Path:
    """The content folder at *rev* extracted under *into* (or the working tree's, for None)."""
    if rev is WORKTREE:
        return repo / content_rel
    commit = resolve_commit(repo, rev)
    listing = _git(repo, "ls-tree", "-r", "--name-only", commit, "--", content_rel).decode()
    target = into / content_rel
    target.mkdir(parents=True, exist_ok=True)
    if listing.strip():
        archive = _git(repo, "archive", "--format=tar", commit, "--", content_rel)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            for member in tar.getmembers():
                if member.isfile() and not member.name.startswith(("/", "..")):
                    tar.extract(member, into, filter="data")
    return target


@dataclass
class FactChange:
    """What changed in one fact: (field, old text, new text) triples."""

    old: Fact
    new: Fact
    fields: list[tuple[str, str, str]]
    percent: float | None = None


@dataclass
class BrokenFact:
    """A fact of the base that the head's files still hold but that does not load there:
    the head's problems within its record (within its file, when the file cannot be read
    as a list of facts).  No problem of its own means it refers to a region, program,
    metric or source that has problems at head."""

    old: Fact
    problems: list[Problem]


@dataclass
class RecordChange:
    """A registry record (a source, region, program or metric) added, removed or changed:
    its key ('source:<id>'), which, and (field, old text, new text) for each field that
    differs (for one added or removed, its fields that have a value)."""

    key: str
    change: str  # "added", "removed" or "changed"
    fields: list[tuple[str, str, str]]


@dataclass
class ContentDiff:
    added: list[Fact] = field(default_factory=list)
    removed: list[Fact] = field(default_factory=list)
    renamed: list[tuple[Fact, Fact]] = field(default_factory=list)  # (old, new): see _renamed
    changed: list[FactChange] = field(default_factory=list)
    broken: list[BrokenFact] = field(default_factory=list)
    records: list[RecordChange] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)  # output paths, every language's
    new_problems: list[Problem] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.renamed or self.changed
                    or self.broken or self.records or self.new_problems)

    @property
    def new_errors(self) -> list[Problem]:
        """The new problems that are errors: the head would not build (warnings aside)."""
        return [p for p in self.new_problems if p.severity == "error"]


def _figure(fact: Fact) -> str:
    return describe_value(fact.value, fact.unit, fact.qualifier)


EXACT = "value (exact)"
"""The field of a fact's value as a plain number: listed only when the figure as shown
("value") reads the same."""


def _describe_fields(fact: Fact) -> dict[str, str]:
    """The comparable parts of a fact, as text: all it holds but its id and where it
    stands in its file."""
    low, high = (format_number(n, "en") for n in (fact.value.low, fact.value.high))
    parts = {
        "region": fact.region.id, "programs": ", ".join(p.id for p in fact.programs),
        "metric": fact.metric.id, "value": _figure(fact),
        # (the figure as shown rounds: Rp2,2 miliar is 2,200,000,000 and 2,204,000,000)
        EXACT: low if low == high else f"{low}–{high}",
        "period": fact.period.text, "status": fact.status,
        "headline": "yes" if fact.headline else "",
        "note": fact.note or "", "note_en": fact.note_en or "",
        "derivation": fact.derivation or "",
        # in their order, which numbers the citation markers
        "sources": ", ".join(c.source.id for c in fact.citations),
    }
    seen: Counter = Counter()
    for citation in fact.citations:  # (a source may be quoted twice)
        seen[citation.source.id] += 1
        name = citation.source.id + (f", {seen[citation.source.id]}"
                                     if seen[citation.source.id] > 1 else "")
        parts[f"quote ({name})"] = citation.quote
        parts[f"quote_en ({name})"] = citation.quote_en or ""
    return parts


def _renamed(removed: list[Fact], added: list[Fact]) -> list[tuple[Fact, Fact]]:
    """The (old, new) pairs of a fact removed and a fact added that differ in their id
    only (a mistyped id corrected, say): everything :func:`_describe_fields` compares is
    the same.  Paired only where that is unambiguous: one such fact on each side."""
    def by_fields(facts: list[Fact]) -> dict[tuple, list[Fact]]:
        found: dict[tuple, list[Fact]] = {}
        for fact in facts:
            found.setdefault(tuple(_describe_fields(fact).items()), []).append(fact)
        return found

    olds, news = by_fields(removed), by_fields(added)
    pairs = [(olds[key][0], news[key][0]) for key in olds.keys() & news.keys()
             if len(olds[key]) == len(news[key]) == 1]
    return sorted(pairs, key=lambda pair: pair[0].id)


def _percent(old: Fact, new: Fact) -> float | None:
    before = (old.value.low + old.value.high) / 2
    after = (new.value.low + new.value.high) / 2
    if old.unit != new.unit or before == 0 or before == after:
        return None
    return (after - before) / before * 100


def record_changes(base: Content, head: Content) -> list[RecordChange]:
    """The registry records added, removed or changed from *base* to *head*, by key
    (where a record stands in its file is not a change)."""
    old, new = _records(base), _records(head)
    changes = []
    for key in sorted(edited_records(base.record_prints, head.record_prints)):
        before = record_values(old[key]) if key in old else {}
        after = record_values(new[key]) if key in new else {}
        fields = [(name, _text(before.get(name)), _text(after.get(name)))
                  for name in after or before
                  if _text(before.get(name)) != _text(after.get(name))]
        changes.append(RecordChange(key, "changed" if before and after
                                    else "added" if after else "removed", fields))
    return changes


def _records(content: Content) -> dict:
    return {record_key(record): record
            for registry in (content.sources, content.regions, content.programs,
                             content.metrics)
            for record in registry.values()}


def _text(value) -> str:
    """A record's field as the report shows it: lists joined, nothing for none."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def affected_pages(base: Content, head: Content, touched: set[str]) -> list[str]:
    """The output paths, in every language, of the pages that look different because the
    facts *touched* (ids) were added, removed, changed or broken.  Both revisions' sites
    are planned as the build plans them (:func:`reportgen.pages.plan_pages`); a page is
    affected when, at either revision, it shows one of those facts (in its groups, or a
    chart drawn from it), or a fact that disagrees with one of them (its disagreement
    marker shows the other figure: the build renders such pages again too), or when what
    it shows of the facts (:meth:`reportgen.pages.Page.shown`: which ones, and counts of
    them) differs between the revisions, or it is there at one of them only (the rule a
    build follows: :func:`reportgen.pages.pages_showing`).  A registry record that
    differs (a source's publisher, a region's name) affects the pages that show it and
    those that show a fact referring to it, as it does in a build; records only moved in
    their file, the pages that list them in that order.  Sorted."""
    prints = [content.record_prints for content in (base, head)]
    edited = edited_records(*prints)
    ids = set(touched)
    for content in (base, head):
        ids |= facts_referring(content.facts, edited)
        for touched_id in touched:
            ids.update(map(fact_id, content.disagreeing.get(touched_id, ())))
    planned = [plan_pages(content, LANGUAGES) for content in (base, head)]
    shows = [page_shows(pages, found) for pages, found in zip(planned, prints)]
    return sorted(pages_showing(planned[0], ids, shows[0], shows[1])
                  | pages_showing(planned[1], ids, shows[1], shows[0]))


def unloaded_facts(missing: list[Fact], folder: Path, root: Path,
                   problems: list[Problem]) -> dict[str, list[Problem]]:
    """Of the facts *missing* from a revision's loaded content (its *folder*, its files
    named relative to *root*), those its fact files still hold, by id, with *problems*
    (the revision's) within each one's record, or within its file when that file holds
    no list of facts that can be read (it does not parse, say).  The files looked in are
    the missing facts' own and the fact files with errors (a fact moved into one)."""
    if not missing:
        return {}
    fact_files = {display_path(path, root): path
                  for path in find_content_files(folder)["facts"]}
    with_errors = {p.path for p in problems if p.severity == "error"}
    records: dict[str, tuple[str, int, int]] = {}  # id -> (file, first line, last line)
    unreadable: set[str] = set()
    for shown in sorted(({f.loc[0] for f in missing} | with_errors) & fact_files.keys()):
        parsed, _ = parse_yaml(fact_files[shown], shown)
        data = parsed.data if parsed is not None else None
        items = data.get("facts") if isinstance(data, YamlMap) else None
        if not isinstance(items, YamlSeq):
            unreadable.add(shown)
            continue
        starts = [items.loc_of(i)[0] for i in range(len(items))] + [sys.maxsize]
        for index, item in enumerate(items):
            if isinstance(item, YamlMap) and isinstance(item.get("id"), str):
                records.setdefault(item["id"], (shown, starts[index], starts[index + 1] - 1))
    found: dict[str, list[Problem]] = {}
    for fact in missing:
        if fact.id in records:
            shown, first, last = records[fact.id]
            found[fact.id] = [p for p in problems if p.path == shown and first <= p.line <= last]
        elif fact.loc[0] in unreadable and fact.loc[0] in with_errors:
            found[fact.id] = [p for p in problems if p.path == fact.loc[0]]
    return found


def _problem_key(problem: Problem) -> tuple:
    return (problem.path, problem.rule, problem.message)


def diff_contents(base: Content, head: Content, base_problems: list[Problem],
                  head_problems: list[Problem],
                  unloaded: dict[str, list[Problem]] | None = None) -> ContentDiff:
    """Facts added, removed, renamed, changed and broken from *base* to *head*, by id.
    *unloaded*: the base's facts that the head's files hold but that did not load there,
    with their problems (:func:`unloaded_facts`); they are broken, not removed.  A fact
    removed and one added that differ in their id only are renamed (:func:`_renamed`),
    neither removed nor added."""
    old = {f.id: f for f in base.facts}
    new = {f.id: f for f in head.facts}
    unloaded = unloaded or {}
    result = ContentDiff()
    added = [new[i] for i in sorted(new.keys() - old.keys())]
    missing = sorted(old.keys() - new.keys())
    removed = [old[i] for i in missing if i not in unloaded]
    result.renamed = _renamed(removed, added)
    paired = {fact.id for pair in result.renamed for fact in pair}
    result.added = [f for f in added if f.id not in paired]
    result.removed = [f for f in removed if f.id not in paired]
    result.broken = [BrokenFact(old[i], unloaded[i]) for i in missing if i in unloaded]
    for shared_id in sorted(old.keys() & new.keys()):
        before, after = _describe_fields(old[shared_id]), _describe_fields(new[shared_id])
        names = list(after) + [n for n in before if n not in after]
        fields = [(n, before.get(n, ""), after.get(n, "")) for n in names
                  if before.get(n, "") != after.get(n, "")]
        if any(name == "value" for name, _, _ in fields):
            fields = [item for item in fields if item[0] != EXACT]
        if fields:
            result.changed.append(FactChange(old[shared_id], new[shared_id], fields,
                                             _percent(old[shared_id], new[shared_id])))
    result.records = record_changes(base, head)
    result.pages = affected_pages(base, head, (old.keys() ^ new.keys())
                                  | {c.new.id for c in result.changed})
    known = Counter(_problem_key(p) for p in base_problems)
    for problem in head_problems:  # a problem the base has once is new the second time
        key = _problem_key(problem)
        if known[key]:
            known[key] -= 1
        else:
            result.new_problems.append(problem)
    return result


def compare_revisions(repo: Path, content_rel: str, base_rev: str,
                      head_rev: str | None) -> ContentDiff:
    """Load the content at both revisions and compare them."""
    with tempfile.TemporaryDirectory(prefix="reportgen-diff-") as tmp:
        loaded = []
        for name, rev in (("base", base_rev), ("head", head_rev)):
            root = Path(tmp) / name if rev is not WORKTREE else repo
            folder = content_at(repo, rev, content_rel, Path(tmp) / name)
            content, problems = load_content(folder, base=root, partial=True)
            if content is None:  # only the working tree's: content_at makes a revision's
                raise ReportgenError(f"no content folder '{content_rel}' in the working "
                                     "tree (--content names it, relative to the "
                                     "repository's top folder)")
            loaded.append((content, problems, folder, root))
        (base, base_problems, _, _), (head, head_problems, head_folder, head_root) = loaded
        missing = [f for f in base.facts if f.id not in head.fact_by_id]
        unloaded = unloaded_facts(missing, head_folder, head_root, head_problems)
    return diff_contents(base, head, base_problems, head_problems, unloaded)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_report(diff: ContentDiff, base_rev: str, head_rev: str | None) -> str:
    """A pull-request comment: readable as Markdown and in a terminal."""
    head_name = head_rev or "working tree"
    lines = [f"## Fact changes: {base_rev} → {head_name}", ""]
    if diff.empty:
        return "\n".join(lines + ["No fact changes and no new problems.", ""])
    broken = f", {len(diff.broken)} broken" if diff.broken else ""
    renamed = f", {len(diff.renamed)} renamed" if diff.renamed else ""
    records = (f"; {len(diff.records)} registry record(s) added, removed or changed"
               if diff.records else "")
    lines += [f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} "
              f"changed{renamed}{broken}{records}; {len(diff.new_problems)} new "
              "problem(s).", ""]
    for title, facts in (("Added", diff.added), ("Removed", diff.removed)):
        if not facts:
            continue
        lines += [f"### {title} ({len(facts)})", "",
                  "| fact | region | metric | period | status | value | sources |",
                  "|---|---|---|---|---|---|---|"]
        for f in facts:
            lines.append("| " + " | ".join(_cell(x) for x in (
                f"`{f.id}`", f.region.name, f.metric.label, f.period.text, f.status, _figure(f),
                ", ".join(c.source.id for c in f.citations))) + " |")
        lines.append("")
    if diff.renamed:
        lines += [f"### Renamed ({len(diff.renamed)})", "",
                  "Only the id differs. A link to the figure's old anchor on the site "
                  "(`#<old id>`) no longer leads to it.", ""]
        lines += [f"- `{old.id}` → `{new.id}` ({new.region.name}, {new.metric.label}, "
                  f"{new.period.text}: {_figure(new)})" for old, new in diff.renamed]
        lines.append("")
    if diff.changed:
        lines += [f"### Changed ({len(diff.changed)})", ""]
        for change in diff.changed:
            f = change.new
            lines.append(f"- `{f.id}` ({f.region.name}, {f.metric.label}, {f.period.text})")
            for name, old, new in change.fields:
                extra = ""
                if name in ("value", EXACT) and change.percent is not None:
                    sign = "+" if change.percent > 0 else ""
                    extra = f" ({sign}{format_number(round(change.percent, 1), 'en')}%)"
                lines.append(f"  - {name}: {old or '(none)'} → {new or '(none)'}{extra}")
        lines.append("")
    if diff.broken:
        at_head = f"at {head_rev}" if head_rev else "in the working tree"
        lines += [f"### Broken at head ({len(diff.broken)})", ""]
        for item in diff.broken:
            f = item.old
            lines.append(f"- `{f.id}` ({f.region.name}, {f.metric.label}, {f.period.text}; "
                         f"{_figure(f)} at base): has problems {at_head}, which leave it "
                         "off the site")
            lines += [f"  - `{p.format()}`" for p in item.problems] or [
                "  - none in its own lines: it refers to a region, program, metric or source "
                "that has problems (below)"]
        lines.append("")
    if diff.records:
        lines += [f"### Registry records ({len(diff.records)})", ""]
        for record in diff.records:
            kind, _, record_id = record.key.partition(":")
            lines.append(f"- {kind} `{record_id}`: {record.change}")
            for name, old, new in record.fields:
                lines.append(f"  - {name}: {old or '(none)'} → {new or '(none)'}")
        lines.append("")
    if diff.pages:
        lines += _pages_section(diff.pages)
    if diff.new_problems:
        lines += [f"### Problems this change introduces ({len(diff.new_problems)})", ""]
        lines += [f"- `{p.format()}`" for p in diff.new_problems] + [""]
    return "\n".join(lines)


def _pages_section(pages: list[str]) -> list[str]:
    """The pages affected, a line each: a page affected in every language once, by its
    path in the primary language (the others are the same path under their folder);
    one affected in some languages only, by each of its output paths."""
    languages: dict[str, list[str]] = {}
    for out_path in pages:
        lang, path = split_path(out_path)
        languages.setdefault(path, []).append(lang)
    lines = [f"### Pages affected ({len(languages)})", ""]
    if any(len(langs) == len(LANGUAGES) for langs in languages.values()):
        others = " and ".join(f"each one's {LANGUAGE_NAMES[lang]} version, at the same path "
                              f"under `{prefix(lang)}`," for lang in LANGUAGES[1:])
        lines += [f"Paths of the {LANGUAGE_NAMES[PRIMARY]} pages; {others} is affected too "
                  f"({len(pages)} pages in all).", ""]
    for path, langs in sorted(languages.items()):
        if len(langs) == len(LANGUAGES):
            lines.append(f"- `{path}`")
        else:
            lines += [f"- `{prefix(lang)}{path}` (its {LANGUAGE_NAMES[lang]} version only)"
                      for lang in langs]
    return lines + [""]


def json_report(diff: ContentDiff, base_rev: str, head_rev: str | None) -> str:
    """The same as :func:`markdown_report`, for programs; ``pages`` lists every output
    path (every language's)."""
    def fact(f: Fact) -> dict:
        return {"id": f.id, "region": f.region.id, "metric": f.metric.id,
                "period": f.period.text, "status": f.status, "value": f.value.as_json(),
                "unit": f.unit, "sources": [c.source.id for c in f.citations]}

    def problem(p: Problem) -> dict:
        return {"path": p.path, "line": p.line, "column": p.column, "rule": p.rule,
                "severity": p.severity, "message": p.message}

    return json.dumps({
        "base": base_rev, "head": head_rev,
        "added": [fact(f) for f in diff.added],
        "removed": [fact(f) for f in diff.removed],
        "renamed": [{"old": old.id, "new": new.id} for old, new in diff.renamed],
        "changed": [{"id": c.new.id, "percent": c.percent,
                     "fields": [{"field": n, "old": o, "new": w} for n, o, w in c.fields]}
                    for c in diff.changed],
        "broken": [{**fact(b.old), "problems": [problem(p) for p in b.problems]}
                   for b in diff.broken],
        "records": [{"record": r.key, "change": r.change,
                     "fields": [{"field": n, "old": o, "new": w} for n, o, w in r.fields]}
                    for r in diff.records],
        "pages": diff.pages,
        "new_problems": [problem(p) for p in diff.new_problems],
    }, ensure_ascii=False, indent=2)
