"""Checks across facts, and of facts against the articles they quote.

- :func:`verify_quotes`: with an archive of article texts, every quote must occur in its
  article (white space and quote marks normalised, nothing more), and the figure must be
  readable from its quote unless the fact says how it was derived.
- :func:`find_disagreements`: facts about the same region, metric, period and status
  that different sources give different values for (reported, and shown side by side),
  or the same value recorded twice instead of one fact citing both sources.
- :func:`translation_problems`: one sentence of a source given two translations.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import Problem
from .model import Citation, Content, Fact
from .numbers import describe_value, figure_in_text

_QUOTE_MARKS = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"',
                              "‘": "'", "’": "'", "‚": "'", "‛": "'", "`": "'"})


def normalise_text(text: str) -> str:
    """White space folded (non-breaking spaces too) and typographic quote marks made plain."""
    return " ".join(text.translate(_QUOTE_MARKS).split())


def verify_quotes(content: Content, archive_dir: Path) -> list[Problem]:
    """Every quote against its article text in *archive_dir*."""
    problems: list[Problem] = []
    articles: dict[str, str | None] = {}
    for source in content.sources.values():
        if not source.archive:
            problems.append(Problem(*source.loc, "RG309", f"source '{source.id}' names no "
                                    "article text, so its quotes cannot be verified",
                                    "add 'archive:' with the file name of the article's text",
                                    "warning"))
            continue
        path = archive_dir / source.archive
        try:
            articles[source.id] = normalise_text(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            articles[source.id] = None
            problems.append(Problem(*source.loc, "RG306", f"article text '{source.archive}' of "
                                    f"source '{source.id}' is not in {archive_dir}",
                                    "check the file name in 'archive:' or the --archive folder"))
    for fact in content.facts:
        for citation in fact.citations:
            article = articles.get(citation.source.id)
            if article and normalise_text(citation.quote) not in article:
                problems.append(Problem(*citation.loc, "RG304", f"quote is not in the text of "
                                        f"'{citation.source.id}' ({citation.source.archive})",
                                        "copy the sentence exactly as the article has it"))
            if not fact.derivation and not figure_in_text(fact.value, citation.quote):
                shown = describe_value(fact.value, fact.unit, None)
                problems.append(Problem(*citation.loc, "RG305", f"figure {shown} of fact "
                                        f"'{fact.id}' is not in its quote",
                                        "quote the sentence that states the figure, or say how "
                                        "it was derived in 'derivation:'"))
    return problems


@dataclass(frozen=True)
class Disagreement:
    """Facts that give one region, metric, period and status different values."""

    facts: tuple[Fact, ...]


def find_disagreements(facts: list[Fact]) -> tuple[list[Disagreement], list[tuple[Fact, Fact]]]:
    """(groups of facts whose sources disagree, pairs of facts that repeat one figure)."""
    first: dict[tuple, Fact] = {}  # (one region, metric, period and status) -> a fact
    groups: dict[tuple, list[Fact]] = {}  # those with more than one fact: all of them
    for fact in facts:  # (no list for each of the 55,000 keys of a national site)
        key = (fact.region.id, fact.metric.id, fact.period.text, fact.status)
        other = first.setdefault(key, fact)
        if other is not fact:
            group = groups.get(key)
            if group is None:
                groups[key] = [other, fact]
            else:
                group.append(fact)
    disagreements, repeats = [], []
    for key in sorted(groups):
        group = sorted(groups[key], key=lambda f: f.id)
        values = {(f.value, f.unit) for f in group}
        sources = {c.source.id for f in group for c in f.citations}
        if len(values) > 1 and len(sources) > 1:
            disagreements.append(Disagreement(tuple(group)))
        for i, first in enumerate(group):
            for second in group[i + 1:]:
                if (first.value, first.unit) == (second.value, second.unit):
                    repeats.append((first, second))
    return disagreements, repeats


def disagreement_problems(found: tuple[list[Disagreement], list[tuple[Fact, Fact]]]
                          ) -> list[Problem]:
    """Warnings for disagreeing sources and for figures recorded twice, from what
    :func:`find_disagreements` found."""
    disagreements, repeats = found
    problems = []
    for group in disagreements:
        first = group.facts[0]
        others = ", ".join(f"'{f.id}' ({describe_value(f.value, f.unit, f.qualifier)})"
                           for f in group.facts[1:])
        problems.append(Problem(*first.loc, "RG307", f"sources disagree: '{first.id}' "
                                f"({describe_value(first.value, first.unit, first.qualifier)}) "
                                f"and {others} for {first.region.id}, {first.metric.id}, "
                                f"{first.period.text}, {first.status}",
                                "both are shown side by side; add a 'note' if one is known to "
                                "be wrong", "warning"))
    for first, second in repeats:
        problems.append(Problem(*second.loc, "RG308", f"fact '{second.id}' repeats the figure "
                                f"of '{first.id}'", "make it one fact that cites both sources",
                                "warning"))
    return problems


def translation_problems(facts: list[Fact]) -> list[Problem]:
    """A warning for each citation that translates a sentence of a source otherwise than
    the first fact (by id) to translate it: the pages list a sentence once, with the
    first translation given.  Only the facts citing a sentence twice or more are ordered
    (the caller sorts the problems): at national scale this runs in every build."""
    translated: dict[tuple[str, str], list[tuple[Fact, Citation]]] = {}
    for fact in facts:
        for citation in fact.citations:
            if citation.quote_en:
                key = (citation.source.id, citation.quote)
                translated.setdefault(key, []).append((fact, citation))
    problems = []
    for cited in translated.values():
        if len(cited) < 2 or all(c.quote_en == cited[0][1].quote_en for _, c in cited):
            continue
        cited.sort(key=lambda pair: pair[0].id)
        first, first_citation = cited[0]
        for fact, citation in cited[1:]:
            if citation.quote_en != first_citation.quote_en:
                problems.append(Problem(*citation.loc, "RG311", "this sentence of "
                                        f"'{citation.source.id}' is translated otherwise for "
                                        f"'{first.id}'", "give it the same quote_en "
                                        "wherever it is quoted: a page lists the sentence "
                                        "once, with the first translation", "warning"))
    return problems


def disagreement_map(disagreements: list[Disagreement]) -> dict[str, list[Fact]]:
    """For each fact whose sources disagree with another's: the facts it disagrees with
    (:attr:`reportgen.model.Content.disagreeing` of loaded content)."""
    found: dict[str, list[Fact]] = {}
    for group in disagreements:
        for fact in group.facts:
            found[fact.id] = [other for other in group.facts if other.id != fact.id]
    return found
