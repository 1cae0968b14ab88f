"""The project's real content: it validates cleanly, every quote is verbatim in its article
in ../shared/seeds/, every figure is in its quote, and every fact is on its page, cited."""

from __future__ import annotations

import json
import os
import re

import pytest

from reportgen.content import load_content
from reportgen.numbers import figure_in_text
from tests.conftest import CONTENT, SEEDS
from tests.htmlquery import Page

QUOTE_MARKS = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})


def normalise(text: str) -> str:
    """White space (non-breaking spaces included) folded, quote marks made plain."""
    return " ".join(text.translate(QUOTE_MARKS).replace("\u00a0", " ").split())


@pytest.fixture(scope="module")
def content():
    loaded, problems = load_content(CONTENT)
    assert loaded is not None, "\n".join(p.format() for p in problems)
    return loaded


def test_content_has_no_problems_at_all():
    _, problems = load_content(CONTENT)
    assert [p.format() for p in problems] == []


def require_seeds() -> None:
    """The article texts sit in ../shared/seeds; CI always has them, a laptop may not."""
    if not SEEDS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SEEDS} is missing: CI must check quotes against the articles")
        pytest.skip(f"{SEEDS} not present")


def test_every_seed_article_is_a_source(content):
    require_seeds()
    archives = {s.archive for s in content.sources.values()}
    assert archives == {p.name for p in SEEDS.glob("*.txt")}


def test_every_quote_occurs_verbatim_in_its_article(content):
    require_seeds()
    missing = []
    for fact in content.facts:
        for citation in fact.citations:
            article = normalise((SEEDS / citation.source.archive).read_text(encoding="utf-8"))
            if normalise(citation.quote) not in article:
                missing.append(f"{fact.id}: {citation.quote}")
    assert missing == []


def test_every_figure_appears_in_its_quote(content):
    wrong = [f"{fact.id} ({c.source.id})" for fact in content.facts for c in fact.citations
             if not fact.derivation and not figure_in_text(fact.value, c.quote)]
    assert wrong == []


def test_units_and_periods_of_the_seed_figures(content):
    facts = {f.id: f for f in content.facts}
    sorong = facts["kota-sorong-anggaran-iuran-2024"]
    assert (sorong.value.low, sorong.unit, sorong.period.text, sorong.status) == (
        2_200_000_000, "IDR", "2024", "budget")
    assert {c.source.id for c in sorong.citations} == {"antara-2024-kota-sorong",
                                                      "sorongraya-2024-02-26"}
    parepare = [f for f in content.facts if f.region.id == "parepare"
                and f.metric.id == "participants-protected"]
    assert sorted(f.period.text for f in parepare) == ["2024", "2025", "2026"]
    assert facts["parepare-target-peserta-2026"].value.as_json() == {"low": 1500, "high": 2000}
    assert all(s.url is None for s in content.sources.values())


def test_every_fact_is_on_its_page_with_value_and_citation(real_site, content):
    published = json.loads((real_site / "data" / "facts.json").read_text())["facts"]
    assert [f["id"] for f in published] == [f.id for f in content.facts]
    from reportgen.numbers import format_value

    for fact, record in zip(content.facts, published):
        html = Page.read(real_site / record["page"])
        element = html.by_id(fact.id)
        assert element is not None, fact.id
        assert format_value(fact.value, fact.unit) in element.text
        cites = [a for a in html.descendants(element, "a") if "cite" in (a.attrs.get("class") or "")]
        assert len(cites) == len(fact.citations)
        for cite in cites:
            note = html.by_id(cite.attrs["href"][1:])
            assert any(c.source.publisher in note.text for c in fact.citations)


def test_a_sentence_is_listed_once_however_many_figures_cite_it(real_site):
    # Every page: no quoted sentence twice in its list; each note links back to every
    # figure that cites it, and each of those figures' markers leads to that note.
    merged = {}
    for path in real_site.rglob("*.html"):
        html = Page.read(path)
        notes = [li for li in html.find_all("li") if (li.attrs.get("id") or "").startswith("cite-")]
        sentences = [(html.descendants(li, "q")[0].text,  # (and the source's page)
                      next(a.attrs["href"].split("#")[0] for a in html.descendants(li, "a")
                           if not a.attrs["href"].startswith("#")
                           and a.attrs.get("class") != "url")) for li in notes]
        assert len(set(sentences)) == len(sentences), path
        for li in notes:
            backs = [a.attrs["href"][1:] for a in html.descendants(li, "a")
                     if a.attrs["href"].startswith("#")]
            assert backs, (path, li.attrs["id"])
            for fact_id in backs:
                figure = html.by_id(fact_id)
                assert figure is not None, (path, fact_id)
                assert f"#{li.attrs['id']}" in [a.attrs["href"]
                                                 for a in html.descendants(figure, "a")]
            if len(backs) > 1:
                merged[path.relative_to(real_site).as_posix(), li.attrs["id"]] = backs
    # The ANTARA sentence gives Kota Sorong's budget and the workers it protects: one
    # note on its program's page, linked back to both figures (a, b).
    assert merged[("programs/jkk/index.html", "cite-1")] == [
        "kota-sorong-target-pekerja-rentan-2024", "kota-sorong-anggaran-iuran-2024"]
    note = Page.read(real_site / "en/programs/jkk/index.html").by_id("cite-1")
    assert note.text.split("↩")[1].split() == ["a", "b"]


def test_every_page_cites_every_figure_it_shows(real_site):
    for path in real_site.rglob("*.html"):
        html = Page.read(path)
        shown = 0
        for row in html.find_all("tr") + html.find_all("li", class_="card"):
            figures = html.descendants(row, "data")
            if figures:
                shown += len(figures)
                cites = [a for a in html.descendants(row, "a")
                         if "cite" in (a.attrs.get("class") or "").split()]
                assert cites, f"{path}: uncited figure in {row.text[:80]}"
        assert shown == len(html.find_all("data")), f"{path}: figure outside a cited row"


def test_real_site_has_all_page_kinds(real_site, content):
    for region in content.regions:
        assert (real_site / "regions" / region / "index.html").is_file()
    for program in content.programs:
        assert (real_site / "programs" / program / "index.html").is_file()
    for source in content.sources:
        assert (real_site / "sources" / source / "index.html").is_file()
    methodology = Page.read(real_site / "metodologi" / "index.html")
    assert re.search(r"Arti status", methodology.html)
    parepare = Page.read(real_site / "regions" / "parepare" / "index.html")
    assert parepare.by_id("chart-trends") is not None
