"""What a page says about itself: when its figures were last reported, structured data
(JSON-LD) for the overview and the region pages, and ``sitemap.xml``.

Every date here is the content's own: the newest publication date of the sources behind
the figures a page shows, never the clock, so the same content gives the same bytes.
Source dates are as precise as the article allows ("2024", "2024-02", "2024-02-26");
they compare by year, then month, then day, a missing part counting as earlier.
"""

from __future__ import annotations

from typing import Callable, Collection
from urllib.parse import urljoin, urlsplit
from xml.sax.saxutils import escape

from .i18n import LANGUAGES, PRIMARY, localized, prefix, translator
from .model import STATUSES, Content, Fact, Source, date_key, newest_date
from .numbers import describe_value, qualifier_label, unit_label
from .pages import NOT_FOUND_PAGE, Page, home_path, region_path, source_path

NOT_IN_SITEMAP = {NOT_FOUND_PAGE}
"""Paths (within a language) that the sitemap leaves out."""

_PLACE_TYPES = {"country": "Country", "province": "AdministrativeArea",
                "regency": "AdministrativeArea", "city": "City", "area": "Place"}


def page_facts(content: Content, page: Page) -> list[Fact]:
    """The figures a page shows: its groups, and the facts its charts show beyond them
    (``depends_on``).  The overview and the list of sources stand for all the content."""
    if page.kind in ("overview", "sources"):
        return list(content.facts)
    facts = page.facts
    if page.depends_on:
        by_id = content.fact_by_id
        facts = facts + [by_id[i] for i in page.depends_on if i in by_id]
    return facts


def page_sources(content: Content, page: Page) -> list[Source]:
    """The sources behind a page's figures, oldest first."""
    if page.kind == "sources":
        found = {s.id: s for s in content.sources.values()}
    else:
        found = {c.source.id: c.source for f in page_facts(content, page) for c in f.citations}
    return sorted(found.values(), key=lambda s: (date_key(s.date), s.id))


def page_updated(content: Content, page: Page) -> str | None:
    """'Terakhir diperbarui' of a page: the newest date of the sources behind its figures;
    None for a page without figures (a prose page, the search page, the 404 page).  The
    same as the newest of :func:`page_sources`, without sorting them (every page of a
    national site asks, for the sitemap)."""
    if page.kind == "sources":
        return newest_date({s.date for s in content.sources.values()})
    if page.kind == "overview":
        return content.newest_cited
    return newest_date({c.source.date for f in page_facts(content, page) for c in f.citations})


def _updated_dates(content: Content) -> Callable[[Page], str | None]:
    """:func:`page_updated` for many pages of the same content: each source's date and
    each fact's newest is worked out once, when first needed, not again on every page
    that shows it (an incremental build needs few)."""
    key = {s.id: (date_key(s.date), s.date) for s in content.sources.values()}
    newest: dict[str, tuple] = {}
    by_id = content.fact_by_id

    def newest_of(fact_id: str) -> tuple | None:
        if fact_id not in newest:
            newest[fact_id] = max((key[c.source.id] for c in by_id[fact_id].citations),
                                  default=None)
        return newest[fact_id]

    def updated(page: Page) -> str | None:
        if page.kind == "sources":
            found = max(key.values(), default=None)
        elif page.kind == "overview":
            return content.newest_cited
        else:
            ids = [f.id for f in page.members] + [i for i in page.depends_on if i in by_id]
            found = max(filter(None, map(newest_of, ids)), default=None)
        return found[1] if found else None

    return updated


def site_base(content: Content) -> str:
    """The path the site is published under ('/' unless site.yaml's url says otherwise),
    for the 404 page, which a server shows at any depth and so links from the root."""
    path = urlsplit(content.site.url).path if content.site.url else "/"
    return path if path.endswith("/") else path + "/"


def absolute(content: Content, path: str) -> str | None:
    """The full address of a site path, when site.yaml gives the site's url."""
    if not content.site.url:
        return None
    base = content.site.url if content.site.url.endswith("/") else content.site.url + "/"
    return urljoin(base, path)


# --- sitemap.xml --------------------------------------------------------------------------

def sitemap_xml(content: Content, pages: list[Page], previous: str | None = None,
                rendered: Collection[str] = ()) -> str:
    """Every page, sorted by path, with the date of its newest source as lastmod and its
    versions in the other languages (``xhtml:link`` alternates).  The addresses are
    absolute when site.yaml has a url, else relative to the site's root (search engines
    need the url; the relative list still maps the site).

    An incremental build passes the sitemap the last build wrote as *previous* and the
    pages it renders again as *rendered*: a page it keeps shows the same figures, so its
    entry is taken from *previous* as it is."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
             'xmlns:xhtml="http://www.w3.org/1999/xhtml">']
    built = {page.out_path for page in pages}
    kept = _sitemap_entries(previous) if previous else {}
    updated_of = _updated_dates(content)
    for page in sorted(pages, key=lambda p: p.out_path):
        if page.path in NOT_IN_SITEMAP:
            continue
        loc = escape(absolute(content, page.out_path) or page.out_path)
        if loc in kept and page.out_path not in rendered:
            lines.append(kept[loc])
            continue
        lines.append(f"  <url><loc>{loc}</loc>")
        updated = updated_of(page)
        if updated:
            lines[-1] += f"<lastmod>{updated}</lastmod>"
        for lang in LANGUAGES:
            other = prefix(lang) + page.path
            if other in built:
                href = absolute(content, other) or other
                lines[-1] += (f'<xhtml:link rel="alternate" hreflang="{lang}" '
                              f'href="{escape(href)}"/>')
        lines[-1] += "</url>"
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def _sitemap_entries(text: str) -> dict[str, str]:
    """Address -> its line, in a sitemap as :func:`sitemap_xml` writes it."""
    entries = {}
    for line in text.split("\n"):
        if line.startswith("  <url><loc>"):
            entries[line[12:line.index("</loc>")]] = line
    return entries


# --- JSON-LD ----------------------------------------------------------------------------

def _article(source: Source, link: Callable[[str], str]) -> dict:
    article = {"@type": "NewsArticle", "@id": link(source_path(source)) + "#source",
               "publisher": {"@type": "Organization", "name": source.publisher},
               "datePublished": source.date, "inLanguage": "id"}
    if source.title:
        article["headline"] = source.title
    if source.url:
        article["url"] = source.url
    if source.authors:
        article["author"] = [{"@type": "Person", "name": a} for a in source.authors]
    return article


def _place(region, link: Callable[[str], str], lang: str) -> dict:
    return {"@type": _PLACE_TYPES.get(region.kind, "Place"),
            "name": localized(region, "name", lang), "url": link(region_path(region))}


def observation(fact: Fact, link: Callable[[str], str], lang: str = PRIMARY) -> dict:
    """One figure as a schema.org Observation.  schema.org gives an Observation no
    ``citation`` property: each quoted sentence is a Quotation (``subjectOf``) that is
    part of its NewsArticle, listed in full under the Dataset's ``citation``."""
    _ = translator(lang)
    metric = localized(fact.metric, "label", lang)
    item = {
        "@type": "Observation",
        "@id": link(home_path(fact)) + "#" + fact.id,
        "name": f"{metric}, {localized(fact.region, 'name', lang)}, {fact.period.text}",
        "description": describe_value(fact.value, fact.unit, fact.qualifier, lang),
        "observationAbout": _place(fact.region, link, lang),
        "variableMeasured": metric,
        "observationPeriod": fact.period.text,
    }
    if fact.value.is_range:
        item["minValue"], item["maxValue"] = fact.value.low, fact.value.high
    else:
        item["value"] = fact.value.low
    item["unitText"] = unit_label(fact.unit, lang) or {
        "IDR": "rupiah", "percent": _("persen")}.get(fact.unit, fact.unit)
    item["additionalProperty"] = [
        {"@type": "PropertyValue", "name": "status",
         "value": localized(STATUSES[fact.status], "label", lang)}]
    if fact.qualifier:
        item["additionalProperty"].append(
            {"@type": "PropertyValue", "name": _("kualifikasi"),
             "value": qualifier_label(fact.qualifier, lang)})
    item["subjectOf"] = []
    for c in fact.citations:
        quotation = {"@type": "Quotation", "text": c.quote, "inLanguage": "id",
                     "isPartOf": {"@id": link(source_path(c.source)) + "#source"}}
        if c.quote_en:
            quotation["workTranslation"] = {"@type": "Quotation", "text": c.quote_en,
                                            "inLanguage": "en"}
        item["subjectOf"].append(quotation)
    return item


def structured_data(content: Content, page: Page, href: Callable[[str], str],
                    root: str = "") -> dict | None:
    """A schema.org Dataset for the overview (its headline figures) and for a region page
    (the region's figures), each figure an Observation with its citations; else None.
    Links are absolute when site.yaml gives the url, else relative to the page: *href*
    links within the page's language, *root* leads to the site's shared files."""
    if page.kind not in ("overview", "region") or not page.facts:
        return None
    lang = page.lang
    _ = translator(lang)

    def link(path: str) -> str:
        return absolute(content, prefix(lang) + path) or href(path)

    def shared(path: str) -> str:
        return absolute(content, path) or root + path

    facts = page.facts
    site_title = localized(content.site, "title", lang)
    if page.kind == "overview":
        name, description = site_title, localized(content.site, "description", lang)
    else:
        region_name = localized(page.extra["region"], "name", lang)
        name = f"{site_title}: {region_name}"
        description = _("Angka BPJS Ketenagakerjaan untuk {region}, masing-masing dikutip dari "
                        "beritanya.").format(region=region_name)
    years = [y for f in facts for y in (f.period.start_year, f.period.end_year)]
    data = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": name,
        "description": description,
        "url": link(page.path),
        "inLanguage": lang,
        "isAccessibleForFree": True,
        "temporalCoverage": str(min(years)) if min(years) == max(years)
        else f"{min(years)}/{max(years)}",
        "variableMeasured": sorted({localized(f.metric, "label", lang) for f in facts}),
        "distribution": [
            {"@type": "DataDownload", "encodingFormat": "application/json",
             "contentUrl": shared("data/facts.json")},
            {"@type": "DataDownload", "encodingFormat": "text/csv",
             "contentUrl": shared("data/facts.csv")},
        ],
    }
    if page.kind == "region":
        data["spatialCoverage"] = _place(page.extra["region"], link, lang)
    sources = sorted({c.source.id: c.source for f in facts for c in f.citations}.values(),
                     key=lambda s: (date_key(s.date), s.id))
    data["dateModified"] = newest_date(s.date for s in sources)
    data["citation"] = [_article(s, link) for s in sources]
    data["mainEntity"] = [observation(f, link, lang) for f in facts]
    return data

