"""Readers first (issue 7), checked on the built files: the search index and page, the 404
page, sitemap.xml, 'Terakhir diperbarui', Open Graph, JSON-LD and the colour contrast of
the style sheet.  What needs a browser is in test_browser.py."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from reportgen.build import SiteFiles, build_site
from reportgen.errors import BuildError
from reportgen.model import newest_date
from tests.conftest import DATA, ROOT, TEMPLATES, run_cli
from tests.htmlquery import Page

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def html(site: Path, path: str) -> str:
    return (site / path).read_text(encoding="utf-8")


def json_ld(text: str) -> dict:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


# --- search ---------------------------------------------------------------------------

def test_search_index_covers_the_pages_of_figures_only(minimal_site):
    # One province: the main shard and one of regions.
    assert sorted(p.name for p in (minimal_site / "pagefind").iterdir()) == ["main", "regions-1"]
    counts = {"en": 0, "id": 0}
    for shard in ("main", "regions-1"):
        entry = json.loads(html(minimal_site, f"pagefind/{shard}/pagefind-entry.json"))
        assert list(entry["languages"]) == ["en", "id"]  # an index per lang="..." of the pages
        for lang in counts:
            counts[lang] += entry["languages"][lang]["page_count"]
    indexed = [p for p in minimal_site.rglob("index.html")
               if "data-pagefind-body" in p.read_text(encoding="utf-8")]
    english = [p for p in indexed if p.relative_to(minimal_site).parts[0] == "en"]
    assert counts["id"] == len(indexed) - len(english)
    assert counts["en"] == len(english) == len(indexed) / 2
    names = {p.relative_to(minimal_site).as_posix() for p in indexed}
    assert "en/regions/kota-contoh/index.html" in names
    assert {"index.html", "regions/kota-contoh/index.html", "programs/jkk/index.html",
            "sources/warta-2024/index.html", "tentang/index.html"} <= names
    assert not {"cari/index.html", "sources/index.html"} & names
    assert "data-pagefind-body" not in html(minimal_site, "404.html")
    for unused in ("pagefind-component-ui.js", "pagefind-modular-ui.js", "pagefind-highlight.js"):
        assert not list((minimal_site / "pagefind").rglob(unused))
    # Only the main bundle has the scripts: the other shards are merged into its search.
    assert (minimal_site / "pagefind/main/pagefind-ui.js").is_file()
    assert sorted(p.name for p in (minimal_site / "pagefind/regions-1").iterdir()
                  if not p.name.endswith(".pf_meta")) == ["fragment", "index",
                                                           "pagefind-entry.json"]


def test_each_shard_is_the_bundle_one_pagefind_run_over_its_pages_writes(minimal_site,
                                                                          tmp_path):
    """Pagefind is given search copies, one run per shard and language; each shard's
    bundle is what one run over its whole pages writes (less the scripts, in a shard
    other than the main one)."""
    from reportgen.content import load_content
    from reportgen.i18n import LANGUAGES
    from reportgen.pages import plan_pages
    from reportgen.search import (
        BUNDLE_DIR, SEARCHABLE_KINDS, UNUSED, SearchShards, _index_data, pagefind_executable,
    )

    content, _ = load_content(DATA / "minimal" / "content")
    shards = SearchShards(content)
    pages = [p for p in plan_pages(content, LANGUAGES) if p.kind in SEARCHABLE_KINDS]
    for shard in shards.names:
        one_run = tmp_path / shard
        mine = [p.out_path for p in pages if shards.of_page(p) == shard]
        assert mine
        for path in mine:
            (one_run / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(minimal_site / path, one_run / path)
        subprocess.run([str(pagefind_executable()), "--site", ".", "--output-subdir",
                        BUNDLE_DIR, "--keep-index-url", "--silent"], cwd=one_run, check=True)
        bundle = one_run / BUNDLE_DIR
        expected = {p.relative_to(bundle).as_posix(): p.read_bytes()
                    for p in bundle.rglob("*")
                    if p.is_file() and p.name not in UNUSED and p.name != "pagefind-entry.json"
                    and (shard == "main" or _index_data(p.relative_to(bundle)))}
        ours_folder = minimal_site / BUNDLE_DIR / shard
        ours = {p.relative_to(ours_folder).as_posix(): p.read_bytes()
                for p in ours_folder.rglob("*") if p.is_file()}
        entry = json.loads(ours.pop("pagefind-entry.json"))
        assert ours == expected
        assert entry == json.loads((bundle / "pagefind-entry.json").read_text())
    # The runs' work folders (beside the site being indexed) are gone.
    assert not list(minimal_site.parent.glob(".*search-*"))
    assert not list(minimal_site.glob(".*search-*"))


def test_a_figure_is_indexed_on_its_region_page_only(minimal_site):
    source = html(minimal_site, "sources/warta-2024/index.html")
    rows = re.findall(r"<tr id=.*?</tr>", source, re.S)
    assert rows
    for row in rows:  # on a source page: the quote (and note) only
        cells = re.findall(r"<td[^>]*>", row)
        assert ["data-pagefind-ignore" in c for c in cells] == [True] * (len(cells) - 1) + [False]
        assert '<td class="note">' in row and "<q " in row.split('<td class="note">')[1]
    program = re.sub(r"<details.*?</details>", "",  # chart data: ignored as a whole
                     html(minimal_site, "programs/jkk/index.html"), flags=re.S)
    wraps = re.findall(r'<div class="table-wrap"[^>]*>', program)
    assert wraps and all("data-pagefind-ignore" in w for w in wraps)
    # The list of quoted sentences under every page repeats them: not indexed anywhere.
    assert re.search(r'<section class="notes"[^>]*data-pagefind-ignore', source)
    region = html(minimal_site, "regions/kota-contoh/index.html")
    table = region[region.index('<table class="facts">'):]
    table = table[:table.index("</table>")].replace('class="cites" data-pagefind-ignore', "")
    # (the column headings, the same on every table, are not indexed anywhere)
    assert table.count("<thead data-pagefind-ignore>") == 1
    assert "data-pagefind-ignore" not in table.replace("<thead data-pagefind-ignore>", "")


def test_search_page_loads_pagefind_from_the_site_and_explains_file_urls(minimal_site):
    page = Page.read(minimal_site / "cari" / "index.html")
    scripts = [s.attrs["src"] for s in page.find_all("script") if s.attrs.get("src")]
    assert scripts == ["../pagefind/main/pagefind-ui.js", "../static/search.js"]
    styles = [l.attrs["href"] for l in page.find_all("link") if l.attrs.get("rel") == "stylesheet"]
    assert "../pagefind/main/pagefind-ui.css" in styles
    box = page.by_id("search")
    assert box.attrs["data-bundle"] == "../pagefind/main/"
    assert box.attrs["data-merge"] == "../pagefind/regions-1/"  # the other shard, merged
    text = html(minimal_site, "cari/index.html")
    assert "script-src 'self' 'wasm-unsafe-eval';" in text
    assert "file://" in text and "http://" in text  # shown until search.js starts the UI
    script = html(minimal_site, "static/search.js")
    assert 'location.protocol === "file:"' in script and "offline.hidden = true" in script
    nav = [a.attrs["href"] for a in Page.read(minimal_site / "index.html").find_all("a")]
    assert "cari/index.html" in nav
    # Pages without search load no WebAssembly permission.
    assert "wasm-unsafe-eval" not in html(minimal_site, "index.html")


def test_index_is_rebuilt_with_the_pages(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(DATA / "minimal" / "content", content)
    out, cache = tmp_path / "site", tmp_path / "cache"
    build_site(content, TEMPLATES, out, cache_dir=cache)
    before = bundle_files(out)
    facts = content / "facts" / "kota-contoh.yaml"
    facts.write_text(facts.read_text().replace("seribu pekerja", "seribu pekerja Zamrudkota"))
    result = build_site(content, TEMPLATES, out, cache_dir=cache)
    assert result.mode == "incremental" and result.rendered < result.pages
    after = bundle_files(out)
    assert after != before
    clean = tmp_path / "clean"
    build_site(content, TEMPLATES, clean, use_cache=False)
    assert after == bundle_files(clean)


def bundle_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes()
            for p in (site / "pagefind").rglob("*") if p.is_file()}


def test_a_failing_index_leaves_the_previous_site(tmp_path, monkeypatch):
    import reportgen.search

    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("old")
    (out / ".reportgen-site").write_text("")  # (a site reportgen built: see build.SITE_MARK)
    seen = []

    def fail(process) -> None:
        reportgen.search._stop_pagefind(process)
        staging = next(tmp_path.glob(".site.new-*"))
        seen.append((staging / "index.html").read_text(encoding="utf-8"))
        raise BuildError("search index: pagefind failed")

    monkeypatch.setattr(reportgen.search, "_wait_for_pagefind", fail)
    with pytest.raises(BuildError, match="pagefind failed"):
        build_site(DATA / "minimal" / "content", TEMPLATES, out, use_cache=False)
    assert "<html" in seen[0]  # the index is made from the new pages, before the swap
    assert (out / "index.html").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


# --- 404, sitemap, dates ------------------------------------------------------------------

def test_404_page_links_from_the_site_root(minimal_site):
    page = Page.read(minimal_site / "404.html")
    loads = [l.attrs["href"] for l in page.find_all("link")] + [
        a.attrs["href"] for a in page.find_all("a")]
    assert "/static/style.css" in loads and "/index.html" in loads
    assert all(u.startswith(("/", "#", "http")) for u in loads), loads


def test_sitemap_lists_every_page_sorted_with_content_dates(minimal_site):
    root = ET.parse(minimal_site / "sitemap.xml").getroot()
    locs = [u.findtext(f"{SITEMAP}loc") for u in root]
    pages = sorted(p.relative_to(minimal_site).as_posix() for p in minimal_site.rglob("*.html")
                   if p.name != "404.html")
    assert locs == pages
    lastmod = {u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod") for u in root}
    assert lastmod["regions/kota-contoh/index.html"] == "2024-03-01"
    assert lastmod["sources/warta-2024/index.html"] == "2024-03-01"  # its figure: both sources
    assert lastmod["tentang/index.html"] is None  # prose: no figures, no date
    assert set(lastmod.values()) <= {"2024-03-01", "2024", None}  # never the clock


def test_sitemap_and_og_url_are_absolute_when_site_yaml_has_the_url(copy_fixture, tmp_path):
    content = copy_fixture("minimal/content")
    site_yaml = content / "site.yaml"
    site_yaml.write_text(site_yaml.read_text() + "url: https://example.org/laporan\n")
    out = tmp_path / "site"
    assert run_cli("build", "--content", content, "--out", out).exit_code == 0
    locs = [u.findtext(f"{SITEMAP}loc") for u in ET.parse(out / "sitemap.xml").getroot()]
    assert locs[0] == "https://example.org/laporan/cari/index.html"
    region = html(out, "regions/kota-contoh/index.html")
    assert ('<meta property="og:url" content="https://example.org/laporan/regions/kota-contoh/'
            'index.html">') in region
    assert json_ld(region)["url"] == "https://example.org/laporan/regions/kota-contoh/index.html"
    assert 'href="/laporan/static/style.css"' in html(out, "404.html")


def test_the_address_given_to_build_is_the_one_the_site_uses(copy_fixture, tmp_path):
    # (as the workflow builds it, with the address Pages gives: site.yaml has none)
    content = copy_fixture("minimal/content")
    out = tmp_path / "site"
    given = run_cli("build", "--content", content, "--out", out,
                    "--url", "https://contoh.github.io/laporan/")
    assert given.exit_code == 0, given.output
    locs = [u.findtext(f"{SITEMAP}loc") for u in ET.parse(out / "sitemap.xml").getroot()]
    assert locs and all(loc.startswith("https://contoh.github.io/laporan/") for loc in locs)
    region = html(out, "regions/kota-contoh/index.html")
    assert ('<meta property="og:url" content="https://contoh.github.io/laporan/regions/'
            'kota-contoh/index.html">') in region
    assert 'href="/laporan/static/style.css"' in html(out, "404.html")
    # In place of site.yaml's own (a mirror, say).
    site_yaml = content / "site.yaml"
    site_yaml.write_text(site_yaml.read_text() + "url: https://example.org/laporan\n")
    assert run_cli("build", "--content", content, "--out", out,
                   "--url", "https://cermin.example.net/").exit_code == 0
    assert ('<meta property="og:url" content="https://cermin.example.net/regions/kota-contoh/'
            'index.html">') in html(out, "regions/kota-contoh/index.html")
    assert 'href="/static/style.css"' in html(out, "404.html")


@pytest.mark.parametrize("url", ["contoh.github.io/laporan", "ftp://example.org/",
                                 "https://example.org/a b", "javascript:alert(1)"])
def test_build_refuses_an_address_that_is_not_http(copy_fixture, tmp_path, url):
    out = tmp_path / "site"
    refused = run_cli("build", "--content", copy_fixture("minimal/content"), "--out", out,
                      "--url", url)
    assert refused.exit_code == 2
    assert f"Invalid value for '--url': {url!r} is not an http(s) address" in refused.output
    assert not out.exists()


@pytest.mark.parametrize("folder", ["minimal", "real"])
def test_sitemap_dates_are_the_dates_each_page_shows(folder):
    """sitemap.xml works the dates out for all pages at once; each equals the
    'Terakhir diperbarui' the page itself says (reportgen.meta.page_updated)."""
    from reportgen.content import load_content
    from reportgen.i18n import LANGUAGES
    from reportgen.meta import _updated_dates, page_updated
    from reportgen.pages import plan_pages
    from tests.conftest import CONTENT

    content, _ = load_content(DATA / "minimal" / "content" if folder == "minimal" else CONTENT)
    pages = plan_pages(content, LANGUAGES)
    updated = _updated_dates(content)
    seen = [updated(page) for page in pages]
    assert seen == [page_updated(content, page) for page in pages]
    assert len(set(seen)) > 1 and None in seen  # several dates, and pages without one


def test_newest_date_compares_dates_as_precise_as_known():
    assert newest_date(["2024", "2023-12-31", "2024-01"]) == "2024-01"
    assert newest_date(["2024-02-26", "2024-02"]) == "2024-02-26"
    assert newest_date([]) is None


def test_every_page_of_figures_says_when_it_was_last_updated(minimal_site):
    for path in ("index.html", "regions/kota-contoh/index.html", "programs/jkk/index.html",
                 "sources/warta-2024/index.html", "sources/index.html"):
        assert ('Terakhir diperbarui: <time datetime="2024-03-01">1 Maret 2024</time>'
                in html(minimal_site, path)), path
    for path in ("tentang/index.html", "cari/index.html", "404.html"):
        assert "Terakhir diperbarui" not in html(minimal_site, path), path


def test_real_content_dates_are_written_the_indonesian_way(real_site):
    assert re.search(r'Terakhir diperbarui: <time datetime="\d{4}-\d\d-\d\d">\d{1,2} '
                     r'(Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober'
                     r'|November|Desember) \d{4}</time>', html(real_site, "index.html"))


# --- Open Graph and JSON-LD ---------------------------------------------------------------

def test_open_graph_tags(minimal_site):
    text = html(minimal_site, "regions/kota-contoh/index.html")
    for tag in ('<meta property="og:type" content="website">',
                '<meta property="og:title" content="Kota Contoh">',
                '<meta property="og:locale" content="id_ID">',
                '<meta property="og:site_name" content="Contoh Kecil">'):
        assert tag in text, tag
    description = re.search(r'<meta name="description" content="([^"]*)">', text)[1]
    assert f'<meta property="og:description" content="{description}">' in text
    assert "og:url" not in text  # no site url in site.yaml: no address to give


def test_json_ld_dataset_with_each_figure_as_a_cited_observation(minimal_site):
    for path, ids in (("index.html", ["kota-contoh-peserta-2023"]),
                      ("regions/kota-contoh/index.html", None)):
        data = json_ld(html(minimal_site, path))
        assert data["@context"] == "https://schema.org" and data["@type"] == "Dataset"
        observations = data["mainEntity"]
        assert all(o["@type"] == "Observation" for o in observations)
        found = [o["@id"].rsplit("#", 1)[1] for o in observations]
        if ids:
            assert found == ids
        else:
            assert sorted(found) == ["kota-contoh-anggaran-2024", "kota-contoh-peserta-2023",
                                     "kota-contoh-target-2024"]
        articles = {a["@id"]: a for a in data["citation"]}
        for o in observations:
            assert o["subjectOf"], o
            for quote in o["subjectOf"]:
                assert quote["@type"] == "Quotation" and quote["text"]
                assert quote["isPartOf"]["@id"] in articles
        assert data["dateModified"] == "2024-03-01"
    region = json_ld(html(minimal_site, "regions/kota-contoh/index.html"))
    budget = next(o for o in region["mainEntity"] if o["@id"].endswith("anggaran-2024"))
    assert budget["value"] == 2200000000 and len(budget["subjectOf"]) == 2
    target = next(o for o in region["mainEntity"] if o["@id"].endswith("target-2024"))
    assert (target["minValue"], target["maxValue"]) == (1500, 2000)
    for path in ("programs/jkk/index.html", "sources/index.html", "cari/index.html"):
        assert "application/ld+json" not in html(minimal_site, path)


# --- contrast -----------------------------------------------------------------------------

def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _palettes() -> tuple[dict[str, str], dict[str, str]]:
    css = (TEMPLATES / "static" / "style.css").read_text(encoding="utf-8")
    light = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", css.split("@media", 1)[0]))
    dark_block = css.split("prefers-color-scheme: dark", 1)[1].split("}", 1)[0]
    dark = {**light, **dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", dark_block))}
    return light, dark


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_colour_meets_wcag_aa(scheme):
    colours = _palettes()[0 if scheme == "light" else 1]
    pairs = [(text, ground) for text in ("ink", "muted", "accent", "ok", "warn")
             for ground in ("paper", "tint", "highlight")]
    pairs += [("accent-ink", "brand")]
    pairs += [("#ffffff", status) for status in ("actual", "target", "plan", "budget", "benefit")]
    for text, ground in pairs:
        fg = text if text.startswith("#") else colours[text]
        ratio = contrast(fg, colours[ground])
        assert ratio >= 4.5, f"{scheme}: {text} on {ground}: {ratio:.2f}"
    # The focus outline stands out (3:1) against the page and the header.
    assert contrast(colours["focus"], colours["brand"]) >= 3
    assert max(contrast(colours["focus"], colours["paper"]),
               contrast(colours["focus-ring"], colours["paper"])) >= 3


def test_style_sheet_has_dark_mode_and_no_fixed_width_wider_than_a_phone():
    css = (ROOT / "templates" / "static" / "style.css").read_text(encoding="utf-8")
    assert "prefers-color-scheme: dark" in css
    widths = [int(w) for w in re.findall(r"(?<![-\w])(?:min-)?width:\s*(\d+)px", css)]
    assert all(w <= 360 for w in widths), widths


def test_a_rebuild_takes_the_kept_pages_sitemap_entries_from_the_last_one():
    """A page not rendered again keeps its entry as the last sitemap had it (a stale
    entry there shows that it was taken); a rendered page's entry is made again."""
    from reportgen.content import load_content
    from reportgen.i18n import LANGUAGES
    from reportgen.meta import sitemap_xml
    from reportgen.pages import plan_pages

    content, _ = load_content(DATA / "minimal" / "content")
    pages = plan_pages(content, LANGUAGES)
    clean = sitemap_xml(content, pages)
    region, source = "regions/kota-contoh/index.html", "sources/warta-2024/index.html"
    stale = clean
    for path in (region, source):
        assert f"<loc>{path}</loc><lastmod>" in stale
        stale = stale.replace(f"<loc>{path}</loc><lastmod>", f"<loc>{path}</loc><lastmod>1999")
    rebuilt = sitemap_xml(content, pages, previous=stale, rendered={source})
    assert f"<loc>{region}</loc><lastmod>1999" in rebuilt  # kept: taken as it was
    assert rebuilt == clean.replace(f"<loc>{region}</loc><lastmod>",
                                    f"<loc>{region}</loc><lastmod>1999")
    assert sitemap_xml(content, pages, previous=clean, rendered={region}) == clean
    # A page the last sitemap lacks gets its entry.
    missing = "\n".join(line for line in clean.split("\n") if f"<loc>{region}</loc>" not in line)
    assert sitemap_xml(content, pages, previous=missing) == clean
