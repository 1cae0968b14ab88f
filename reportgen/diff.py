"""Comparing the content of two revisions, fact by fact, for pull-request reviews.

:func:`content_at` reads the content folder as it was at a git revision (or as it is in
the working tree); :func:`diff_contents` compares two loaded contents by fact id; and
:func:`markdown_report` / :func:`json_report` print the result in a stable order: facts
added, removed and changed (old -> new value, the change in percent, changed sources and
quotes), the pages affected, and the problems the change introduces.
"""

from __future__ import annotations

import io
import json
from collections import Counter
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .content import load_content
from .errors import Problem, ReportgenError
from .model import Content, Fact
from .numbers import describe_value, format_number
from .pages import home_path, program_path, source_path

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
class ContentDiff:
    added: list[Fact] = field(default_factory=list)
    removed: list[Fact] = field(default_factory=list)
    changed: list[FactChange] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    new_problems: list[Problem] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.new_problems)

    @property
    def new_errors(self) -> list[Problem]:
        """The new problems that are errors: the head would not build (warnings aside)."""
        return [p for p in self.new_problems if p.severity == "error"]


def _figure(fact: Fact) -> str:
    return describe_value(fact.value, fact.unit, fact.qualifier)


def _describe_fields(fact: Fact) -> dict[str, str]:
    """The comparable parts of a fact, as text."""
    parts = {
        "region": fact.region.id, "programs": ", ".join(p.id for p in fact.programs),
        "metric": fact.metric.id, "value": _figure(fact), "period": fact.period.text,
        "status": fact.status, "note": fact.note or "", "derivation": fact.derivation or "",
    }
    old_sources = {c.source.id: c.quote for c in fact.citations}
    parts["sources"] = ", ".join(sorted(old_sources))
    for source, quote in sorted(old_sources.items()):
        parts[f"quote ({source})"] = quote
    return parts


def _percent(old: Fact, new: Fact) -> float | None:
    before = (old.value.low + old.value.high) / 2
    after = (new.value.low + new.value.high) / 2
    if old.unit != new.unit or before == 0 or before == after:
        return None
    return (after - before) / before * 100


def _pages(fact: Fact) -> set[str]:
    return ({home_path(fact)} | {program_path(p) for p in fact.programs}
            | {source_path(c.source) for c in fact.citations})


def _problem_key(problem: Problem) -> tuple:
    return (problem.path, problem.rule, problem.message)


def diff_contents(base: Content, head: Content, base_problems: list[Problem],
                  head_problems: list[Problem]) -> ContentDiff:
    """Facts added, removed and changed from *base* to *head*, by id."""
    old = {f.id: f for f in base.facts}
    new = {f.id: f for f in head.facts}
    result = ContentDiff()
    result.added = [new[i] for i in sorted(new.keys() - old.keys())]
    result.removed = [old[i] for i in sorted(old.keys() - new.keys())]
    pages: set[str] = set()
    for fact in result.added + result.removed:
        pages |= _pages(fact)
    for fact_id in sorted(old.keys() & new.keys()):
        before, after = _describe_fields(old[fact_id]), _describe_fields(new[fact_id])
        names = list(after) + [n for n in before if n not in after]
        fields = [(n, before.get(n, ""), after.get(n, "")) for n in names
                  if before.get(n, "") != after.get(n, "")]
        if fields:
            result.changed.append(FactChange(old[fact_id], new[fact_id], fields,
                                             _percent(old[fact_id], new[fact_id])))
            pages |= _pages(old[fact_id]) | _pages(new[fact_id])
    result.pages = sorted(pages)
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
            loaded.append((content, problems))
    (base, base_problems), (head, head_problems) = loaded
    return diff_contents(base, head, base_problems, head_problems)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_report(diff: ContentDiff, base_rev: str, head_rev: str | None) -> str:
    """A pull-request comment: readable as Markdown and in a terminal."""
    head_name = head_rev or "working tree"
    lines = [f"## Fact changes: {base_rev} → {head_name}", ""]
    if diff.empty:
        return "\n".join(lines + ["No fact changes and no new problems.", ""])
    lines += [f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} "
              f"changed; {len(diff.new_problems)} new problem(s).", ""]
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
    if diff.changed:
        lines += [f"### Changed ({len(diff.changed)})", ""]
        for change in diff.changed:
            f = change.new
            lines.append(f"- `{f.id}` ({f.region.name}, {f.metric.label}, {f.period.text})")
            for name, old, new in change.fields:
                extra = ""
                if name == "value" and change.percent is not None:
                    sign = "+" if change.percent > 0 else ""
                    extra = f" ({sign}{format_number(round(change.percent, 1), 'en')}%)"
                lines.append(f"  - {name}: {old or '(none)'} → {new or '(none)'}{extra}")
        lines.append("")
    if diff.pages:
        lines += [f"### Pages affected ({len(diff.pages)})", ""]
        lines += [f"- `{page}`" for page in diff.pages] + [""]
    if diff.new_problems:
        lines += [f"### Problems this change introduces ({len(diff.new_problems)})", ""]
        lines += [f"- `{p.format()}`" for p in diff.new_problems] + [""]
    return "\n".join(lines)


def json_report(diff: ContentDiff, base_rev: str, head_rev: str | None) -> str:
    def fact(f: Fact) -> dict:
        return {"id": f.id, "region": f.region.id, "metric": f.metric.id,
                "period": f.period.text, "status": f.status, "value": f.value.as_json(),
                "unit": f.unit, "sources": [c.source.id for c in f.citations]}

    return json.dumps({
        "base": base_rev, "head": head_rev,
        "added": [fact(f) for f in diff.added],
        "removed": [fact(f) for f in diff.removed],
        "changed": [{"id": c.new.id, "percent": c.percent,
                     "fields": [{"field": n, "old": o, "new": w} for n, o, w in c.fields]}
                    for c in diff.changed],
        "pages": diff.pages,
        "new_problems": [{"path": p.path, "line": p.line, "column": p.column, "rule": p.rule,
                          "severity": p.severity, "message": p.message}
                         for p in diff.new_problems],
    }, ensure_ascii=False, indent=2)
