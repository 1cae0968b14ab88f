"""Every link, anchor and asset of the built sites resolves, for the small fixture and for
the real content: a walk over every page that fails on the first thing a reader (or the
browser) would find missing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.htmlquery import Page

LOADS = {"img": "src", "script": "src", "link": "href", "source": "src", "iframe": "src",
         "video": "src", "audio": "src", "embed": "src", "object": "data"}
"""Elements whose address the browser fetches while showing the page."""
NOT_LOADED = {"canonical", "alternate", "author", "license", "help", "next", "prev"}
"""<link> relations that name an address without loading it (checked like links)."""


def site_base(site: Path) -> str:
    """The path the site is published under: from the home page's canonical address when
    it has one (site.yaml's url), else '/'."""
    for link in Page.read(site / "index.html").find_all("link"):
        if link.attrs.get("rel") == "canonical":
            path = urlsplit(link.attrs["href"]).path
            return path.rsplit("/", 1)[0] + "/"
    return "/"


def _ids(path: Path, cache: dict[Path, set[str]]) -> set[str]:
    if path not in cache:
        cache[path] = set(Page.read(path).ids())
    return cache[path]


def broken_references(site: Path) -> list[str]:
    """Every reference in *site* that does not resolve, as 'page: problem' lines."""
    problems: list[str] = []
    ids: dict[Path, set[str]] = {}
    base = site_base(site)
    pages = sorted(site.rglob("*.html"))
    assert pages, f"no pages in {site}"
    for path in pages:
        page = Page.read(path)
        rel = path.relative_to(site).as_posix()
        if len(page.ids()) != len(set(page.ids())):
            problems.append(f"{rel}: duplicate ids")
        refs = [(e.tag, "href", e.attrs.get("href")) for e in page.find_all("a")]
        refs += [(e.tag, LOADS[e.tag], e.attrs.get(LOADS[e.tag]))
                 for e in page.elements if e.tag in LOADS and not (
                     e.tag == "link" and e.attrs.get("rel") in NOT_LOADED)]
        refs += [("a", "href", e.attrs.get("href")) for e in page.elements
                 if e.tag == "link" and e.attrs.get("rel") in NOT_LOADED]
        for tag, attr, url in refs:
            if url is None:
                if tag in ("img", "link"):  # a <script> without src is a JSON data block
                    problems.append(f"{rel}: <{tag}> without {attr}")
                continue
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                if tag != "a":
                    problems.append(f"{rel}: <{tag} {attr}={url!r}> loads from elsewhere")
                elif parts.scheme not in ("http", "https"):
                    problems.append(f"{rel}: link to {url!r}")
                continue
            if parts.path.startswith("/"):
                # Only the 404 page links from the root (a server shows it at any depth);
                # every other page must work when opened from disk.
                if rel not in ("404.html", "en/404.html") or not parts.path.startswith(base):
                    problems.append(f"{rel}: {url!r} is not relative")
                    continue
                target = (site / unquote(parts.path[len(base):])).resolve()
            else:
                target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if site.resolve() not in target.parents:
                problems.append(f"{rel}: {url!r} points outside the site")
                continue
            if not target.is_file():
                problems.append(f"{rel}: <{tag} {attr}={url!r}>: no such file")
                continue
            if parts.fragment and target.suffix == ".html" and \
                    unquote(parts.fragment) not in _ids(target, ids):
                problems.append(f"{rel}: {url!r}: no element with id '{parts.fragment}'")
    for css in sorted(site.rglob("*.css")):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(encoding="utf-8")):
            if not url.startswith(("data:", "#")) and not (css.parent / url).is_file():
                problems.append(f"{css.relative_to(site)}: url({url}) missing")
    return problems


def unreferenced_charts(site: Path) -> list[str]:
    """Chart images no page shows."""
    shown = set()
    for path in site.rglob("*.html"):
        for img in Page.read(path).find_all("img"):
            shown.add((path.parent / img.attrs["src"]).resolve())
    return [p.relative_to(site).as_posix() for p in sorted(site.rglob("chart-*.svg"))
            if p.resolve() not in shown]


@pytest.fixture(params=["minimal_site", "real_site"])
def site(request) -> Path:
    return request.getfixturevalue(request.param)


def test_every_link_anchor_and_asset_resolves(site):
    assert broken_references(site) == []


def test_every_link_resolves_when_programs_are_split_by_province(tmp_path, monkeypatch):
    # A national program's page then shows its figures only in its chart: the notes'
    # links back lead to the chart's data table.
    import reportgen.pages as pages_module
    from reportgen.build import build_site
    from tests.conftest import DATA, TEMPLATES

    monkeypatch.setattr(pages_module, "PROGRAM_PAGE_LIMIT", 1)
    out = tmp_path / "site"
    build_site(DATA / "minimal" / "content", TEMPLATES, out, use_cache=False)
    assert broken_references(out) == []
    index = Page.read(out / "programs" / "iuran-apbd" / "index.html")
    row = index.by_id("kota-contoh-target-2024")
    assert row is not None and row.tag == "tr"


def test_every_chart_image_is_shown_somewhere(site):
    assert unreferenced_charts(site) == []


def test_every_fact_in_the_data_file_has_its_anchor(site):
    facts = json.loads((site / "data" / "facts.json").read_text(encoding="utf-8"))["facts"]
    assert facts
    for fact in facts:
        page = site / fact["page"]
        assert page.is_file(), fact["page"]
        assert Page.read(page).by_id(fact["id"]) is not None, fact["id"]


def test_the_checker_finds_what_is_broken(minimal_site, tmp_path):
    """The walk above would notice a missing page, anchor, asset or outside load."""
    import shutil

    site = tmp_path / "site"
    shutil.copytree(minimal_site, site)
    page = site / "sources" / "index.html"
    html = page.read_text(encoding="utf-8")
    html = html.replace("</main>", '<a href="nowhere/index.html">x</a><a href="#no-such-id">y</a>'
                        '<a href="../index.html#no-such-id">z</a><img src="gone.svg" alt="">'
                        '<a href="javascript:alert(1)">j</a>'
                        '<script src="https://cdn.example/x.js"></script></main>')
    page.write_text(html, encoding="utf-8")
    (site / "static" / "charts.js").unlink()
    problems = broken_references(site)
    for expected in ("'nowhere/index.html'", "'#no-such-id'", "'../index.html#no-such-id'",
                     "'gone.svg'", "'javascript:alert(1)'", "loads from elsewhere",
                     "static/charts.js"):
        assert any(expected in p for p in problems), (expected, problems)
