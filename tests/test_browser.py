"""The built real site in a real browser: Debian's Chromium driven by Playwright.

The site is served over HTTP from 127.0.0.1 (a free port, a thread, for this module) as a
reader's web server would.  Checked: a live chart replaces its image, search finds a
region and a figure, axe-core finds no serious or critical accessibility problem (light
and dark), nothing scrolls sideways at 360 px, the skip link works, and screenshots at
360 px and 1280 px are written to /tmp/reportgen-screenshots for a person to look at.

axe-core comes from npm, installed on first use into ``.cache/tools/axe`` (its own
prefix: an npm install into a shared prefix would remove the other tools there).
Without /usr/bin/chromium the tests are skipped, except under CI (``CI`` set), where
they must run (``.ci/run`` installs Chromium).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, serve_folder

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
AXE_VERSION = "4.14.1"
AXE_PREFIX = ROOT / ".cache" / "tools" / "axe"
AXE = AXE_PREFIX / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(tempfile.gettempdir()) / "reportgen-screenshots"

if not CHROMIUM.is_file():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: CI must install chromium (see .ci/run)",
                    pytrace=False)
    pytest.skip(f"browser tests need {CHROMIUM} (apt-get install chromium)",
                allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

PAGES = {
    "overview": "index.html",
    "region": "regions/parepare/index.html",
    "chart-region": "regions/kota-sorong/index.html",
    "program": "programs/iuran-apbd/index.html",
    "source": "sources/bacapesan-2025-04-28/index.html",
}


@pytest.fixture(scope="module")
def server(real_site):
    with serve_folder(real_site) as address:
        yield address


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser):
    """open_page(url, width=1280, dark=False) -> (page, console messages).  The pages'
    Content-Security-Policy is in force unless *bypass_csp* (only to inject axe-core)."""
    contexts = []

    def open_(url: str, width: int = 1280, dark: bool = False, bypass_csp: bool = False):
        context = browser.new_context(viewport={"width": width, "height": 900},
                                      color_scheme="dark" if dark else "light",
                                      bypass_csp=bypass_csp)
        contexts.append(context)
        page = context.new_page()
        messages: list[str] = []
        page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
        page.goto(url)
        return page, messages

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe.min.js of the pinned version, installed with npm when missing."""
    try:
        version = json.loads((AXE.parent / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        version = None
    if version != AXE_VERSION:
        npm = shutil.which("npm")
        assert npm, "npm is needed once, to install axe-core"
        AXE_PREFIX.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([npm, "install", "--no-save", "--no-audit", "--no-fund",
                               "--ignore-scripts", "--prefix", str(AXE_PREFIX),
                               f"axe-core@{AXE_VERSION}"],
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0 and AXE.is_file(), done.stderr[-2000:]
    return AXE


def errors(messages: list[str]) -> list[str]:
    return [m for m in messages if m.startswith(("error", "pageerror"))]


# --- charts and search ------------------------------------------------------------------

def all_live(page) -> None:
    """Waits until every chart of the page is drawn live."""
    page.wait_for_function("""() => [...document.querySelectorAll('figure.chart')]
        .every(f => f.classList.contains('is-live'))""", timeout=20000)


def chart_pages(site) -> list[str]:
    return sorted(path.relative_to(site).as_posix() for path in site.rglob("index.html")
                  if 'class="chart-spec"' in path.read_text(encoding="utf-8"))


def test_live_chart_replaces_the_image(server, open_page):
    page, messages = open_page(server + PAGES["chart-region"])
    page.wait_for_selector("figure.chart.is-live .chart-live svg", timeout=20000)
    figures = page.locator("figure.chart")
    assert figures.count() == page.locator("figure.chart.is-live").count() > 0
    assert page.locator("figure.chart.is-live .chart-static").first.is_hidden()
    assert not errors(messages), messages


def test_on_a_phone_the_live_chart_is_drawn_narrower_not_scaled_down(server, open_page):
    page, messages = open_page(server + PAGES["chart-region"], width=360)
    all_live(page)
    sizes = page.evaluate("""() => [...document.querySelectorAll('figure.chart.is-live')]
        .map(f => { const svg = f.querySelector('.chart-live svg');
                    const label = svg.querySelector('.role-axis-label text');
                    return [svg.getBoundingClientRect().width, f.clientWidth,
                            parseFloat(getComputedStyle(label).fontSize)]; })""")
    assert sizes, "no live chart at 360 px"
    for chart_width, figure_width, label_px in sizes:
        # The desktop chart is about 700 px wide; the phone's is made to fit its figure,
        # labels beside its panels and all (less the figure's padding), and its labels
        # keep their size.
        assert chart_width <= figure_width - 24 + 1
        assert label_px == 11
    # The sources the chart names are all there, in lines, not cut off with an ellipsis.
    subtitle = page.evaluate("""() => [...document.querySelectorAll(
        'figure.chart.is-live .chart-live svg .role-title-subtitle text')].map(t =>
        [...t.querySelectorAll('tspan')].map(line => line.textContent))""")
    lines = [line for text in subtitle for line in text]
    assert len(lines) > len(subtitle) and not any("…" in line for line in lines), lines
    assert "sorongraya.co, 26 Februari 2024" in " ".join(lines)
    assert not errors(messages), messages


@pytest.mark.parametrize("width", [320, 360])
def test_on_a_phone_every_live_chart_fits_its_figure(server, open_page, real_site, width):
    # Labels, figures, legend and all: nothing of a chart hidden past its figure's edge,
    # and its text at (nearly) its real size: a chart is scaled down, if at all, by less
    # than a tenth (when its panels are as narrow as they go, or its legend is wider).
    pages = chart_pages(real_site)
    assert len(pages) >= 10, pages
    for path in pages:
        page, messages = open_page(server + path, width=width)
        all_live(page)
        charts = page.evaluate("""() => [...document.querySelectorAll('figure.chart')].map(f => {
            const svg = f.querySelector('.chart-live svg');
            return [Math.round(svg.getBoundingClientRect().width), f.clientWidth - 24,
                    parseFloat(svg.getAttribute('width')) / svg.viewBox.baseVal.width]; })""")
        for drawn, available, scale in charts:
            assert drawn <= available + 1, (path, drawn, available)
            assert scale >= 0.9, (path, scale)
        assert not errors(messages), (path, messages)


CHART_SIZES = """() => [...document.querySelectorAll('figure.chart.is-live')].map(f => {
    const svg = f.querySelector('.chart-live svg');
    return [parseFloat(svg.getAttribute('width')), f.clientWidth - 24,
            parseFloat(svg.getAttribute('width')) / svg.viewBox.baseVal.width]; })"""
"""[the chart's width, the room its figure gives it, the scale it is drawn at] of each
live chart."""


def test_a_chart_is_fitted_again_when_a_phone_is_turned(server, open_page):
    # Drawn for a phone on its side, then turned upright: the charts are drawn again
    # for the narrower figure (not left wider than it, nor only scaled down), and again
    # as wide as at first when it is turned back.
    page, messages = open_page(server + PAGES["chart-region"], width=740)
    all_live(page)
    on_its_side = page.evaluate(CHART_SIZES)
    assert on_its_side and all(drawn > 400 for drawn, _, _ in on_its_side), on_its_side
    page.set_viewport_size({"width": 360, "height": 740})
    page.wait_for_function(f"""() => ({CHART_SIZES})().every(
        ([drawn, available, scale]) => drawn <= available + 1 && scale >= 0.9)""",
                           timeout=20000)
    page.set_viewport_size({"width": 740, "height": 360})
    page.wait_for_function(f"""() => ({CHART_SIZES})().every(([drawn]) => drawn > 400)""",
                           timeout=20000)
    again = page.evaluate(CHART_SIZES)
    assert sum(again, []) == pytest.approx(sum(on_its_side, []), abs=1), (again, on_its_side)
    assert not errors(messages), messages


def test_a_chart_that_fails_to_draw_again_shows_its_image_and_is_tried_again(server,
                                                                            open_page):
    page, _ = open_page(server + PAGES["chart-region"], width=740)
    all_live(page)
    page.evaluate("""() => { window.keptEmbed = window.vegaEmbed;
        window.vegaEmbed = () => Promise.reject(new Error('no drawing')); }""")
    page.set_viewport_size({"width": 600, "height": 740})
    page.wait_for_function("""() => [...document.querySelectorAll('figure.chart')]
        .every(f => !f.classList.contains('is-live'))""", timeout=20000)
    assert page.locator("figure.chart .chart-static").first.is_visible()
    # Drawing works again: a change of width too small to redraw a live chart for is
    # enough to try the failed one again.
    page.evaluate("() => { window.vegaEmbed = window.keptEmbed; }")
    page.set_viewport_size({"width": 596, "height": 740})
    all_live(page)


def test_on_a_phone_long_labels_and_figures_are_broken_into_lines(server, open_page):
    # The program's comparison names regions and years beside its bars ("Provinsi Papua
    # Barat Daya (2023)"): too long for a phone in one line, but never cut short.
    page, _ = open_page(server + PAGES["program"], width=360)
    all_live(page)
    labels = page.evaluate("""() => [...document.querySelectorAll(
        'figure.chart.is-live .role-axis-label text')].map(t => {
          const box = t.getBoundingClientRect();
          return [[...t.querySelectorAll('tspan')].map(s => s.textContent).join(' ') ||
                  t.textContent, t.querySelectorAll('tspan').length, box.top, box.bottom];
        })""")
    texts = [text for text, *_ in labels]
    assert "Provinsi Papua Barat Daya (2023)" in texts  # (whole, in its lines)
    assert any(lines == 2 for _, lines, *_ in labels)
    # The labels (one above the other: this page's chart has bars only) do not overlap.
    boxes = sorted((top, bottom) for _, _, top, bottom in labels)
    assert all(upper[1] <= lower[0] + 1 for upper, lower in zip(boxes, boxes[1:])), boxes
    # A range at a bar's end is broken after its dash.
    page, _ = open_page(server + "en/" + PAGES["region"], width=360)
    all_live(page)
    lines = page.evaluate("""() => [...document.querySelectorAll(
        'figure.chart.is-live .role-mark text')].map(t =>
        [...t.querySelectorAll('tspan')].map(s => s.textContent))""")
    assert ["IDR 100 million\u2013", "IDR 200 million"] in lines, lines


def _results(page, *expected: str) -> list[tuple[str, str]]:
    """The result links shown; with *expected* hrefs, once they are all shown (results
    appear one by one, as each one's data arrives)."""
    page.wait_for_selector(".pagefind-ui__result-link", timeout=20000)
    if expected:
        try:
            page.wait_for_function(
                """(wanted) => { const shown = [...document.querySelectorAll(
                     '.pagefind-ui__result-link')].map(a => a.getAttribute('href'));
                   return wanted.every(w => shown.includes(w)); }""",
                arg=list(expected), timeout=20000)
        except Exception:  # noqa: BLE001 - the assertion below shows what was there
            pass
    return [tuple(r) for r in page.evaluate(
        """() => [...document.querySelectorAll('.pagefind-ui__result-link')]
                 .map(a => [a.getAttribute('href'), a.textContent.trim()])""")]


def test_search_finds_a_region_and_a_figure(server, open_page):
    page, messages = open_page(server + "cari/?q=Parepare")
    results = _results(page)
    assert ("/regions/parepare/index.html", "Kota Parepare") in results, results
    assert page.locator("#search-offline").is_hidden()
    page.fill(".pagefind-ui__search-input", "744")
    page.wait_for_function("""() => [...document.querySelectorAll('.pagefind-ui__result-excerpt')]
                              .some(e => e.textContent.includes('744'))""", timeout=20000)
    hrefs = [href for href, _ in _results(page)]
    assert "/regions/parepare/index.html" in hrefs, hrefs
    page.click(".pagefind-ui__result-link >> nth=0")
    page.wait_for_load_state()
    assert "744" in page.content()
    assert not errors(messages), messages  # no CSP violation, no missing file


def test_english_search_finds_english_pages(server, open_page):
    page, messages = open_page(server + "en/cari/?q=Parepare")
    results = _results(page)
    assert ("/en/regions/parepare/index.html", "Parepare City") in results, results
    assert all(href.startswith("/en/") for href, _ in results), results
    assert not errors(messages), messages


@pytest.fixture(scope="module")
def sharded_site(tmp_path_factory):
    """The real content with a province per search shard: five bundles to merge
    (a national site has nine), served over HTTP."""
    from reportgen import search
    from reportgen.build import build_site
    from tests.conftest import CONTENT, TEMPLATES

    out = tmp_path_factory.mktemp("sharded") / "site"
    saved = search.PROVINCES_PER_SHARD
    search.PROVINCES_PER_SHARD = 1
    try:
        build_site(CONTENT, TEMPLATES, out, use_cache=False)
    finally:
        search.PROVINCES_PER_SHARD = saved
    with serve_folder(out) as address:
        yield address


def test_search_merges_every_shard_of_the_index(sharded_site, open_page):
    """Each shard's pages are found from the one search page: a query per province
    (shards by province id), and the overview from the main shard."""
    found = {"Penjabat Gubernur": "/regions/papua-barat/index.html",  # regions-1
             "Tambrauw": "/regions/tambrauw/index.html",  # regions-2: Papua Barat Daya
             "Merauke": "/regions/merauke/index.html",  # regions-3: Papua Selatan
             "Parepare": "/regions/parepare/index.html"}  # regions-4: Sulawesi Selatan
    for query, expected in found.items():
        page, messages = open_page(sharded_site + "cari/?q=" + query)
        merge = page.get_attribute("#search", "data-merge")
        assert merge == " ".join(f"../pagefind/regions-{n}/" for n in range(1, 5)), merge
        wanted = [expected, "/index.html"] if query == "Merauke" else [expected]
        hrefs = [href for href, _ in _results(page, *wanted)]
        assert expected in hrefs, (query, hrefs)
        if query == "Merauke":
            assert "/index.html" in hrefs, hrefs  # the overview's headline figure: main
        assert not errors(messages), messages


@pytest.mark.parametrize("name", ["overview", "chart-region", "program", "source"])
def test_language_switch_leads_to_the_same_page(server, open_page, name):
    page, messages = open_page(server + PAGES[name])
    assert page.evaluate("() => document.documentElement.lang") == "id"
    page.click("nav.languages a[hreflang='en']")
    page.wait_for_load_state()
    assert page.url == server + "en/" + PAGES[name]
    assert page.evaluate("() => document.documentElement.lang") == "en"
    assert page.locator("nav.languages [aria-current]").inner_text() == "English"
    page.click("nav.languages a[hreflang='id']")
    page.wait_for_load_state()
    assert page.url == server + PAGES[name]
    assert not errors(messages), messages


def test_english_chart_renders_with_english_numbers(server, open_page):
    """The figures' labels are written in English, and the live chart's own numbers
    (the time series' value axis) follow the English locale too."""
    page, messages = open_page(server + "en/regions/parepare/index.html")
    page.wait_for_selector("#chart-trends.is-live .chart-live svg", timeout=20000)
    figures = page.locator("#chart-figures .chart-live svg").first.text_content()
    assert "about 7,000 families" in figures, figures[:500]
    trends = page.locator("#chart-trends .chart-live svg").first.text_content()
    assert "1,000" in trends and "2,000" in trends and "1.000" not in trends, trends[:500]
    assert not errors(messages), messages


def test_search_page_opened_from_disk_says_it_needs_a_web_server(real_site, open_page):
    page, _ = open_page((real_site / "cari" / "index.html").as_uri())
    message = page.locator("#search-offline")
    assert message.is_visible()
    assert "http://" in message.inner_text()
    assert page.locator(".pagefind-ui").count() == 0


# --- accessibility ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["overview", "region", "program", "source", "search"])
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_axe_finds_no_serious_or_critical_problem(server, open_page, axe_script, name, dark,
                                                  lang):
    path = ("" if lang == "id" else "en/") + PAGES.get(name, "cari/?q=Parepare")
    page, _ = open_page(server + path, dark=dark, bypass_csp=True)  # axe runs inline
    if name == "search":
        _results(page)
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(axe_script))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5])
               for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, serious


@pytest.mark.parametrize("name", ["overview", "region", "chart-region", "program", "source"])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_nothing_scrolls_sideways_at_360_px(server, open_page, name, lang):
    page, _ = open_page(server + ("" if lang == "id" else "en/") + PAGES[name], width=360)
    page.wait_for_load_state("networkidle")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"{PAGES[name]} is {width} px wide"


@pytest.mark.parametrize("name", ["chart-region", "program", "source"])
def test_on_a_phone_every_figure_and_note_is_in_sight(server, open_page, name):
    # A table of figures is a list on a phone: nothing of a row lies beyond the screen's
    # right edge (a figure, its citation, its note), and the headings are still there
    # for screen readers.
    page, _ = open_page(server + PAGES[name], width=360)
    page.wait_for_load_state("networkidle")
    page.evaluate("() => document.querySelectorAll('details.chart-data').forEach(d => d.open = true)")
    cells = page.evaluate("""() => [...document.querySelectorAll('table.facts td')].map(td => {
        const box = td.getBoundingClientRect();
        return [td.className, box.left, box.right, td.textContent.trim().slice(0, 40)]; })""")
    assert any(kind == "note" and text for kind, _, _, text in cells), "no note on the page"
    outside = [(kind, text) for kind, left, right, text in cells
               if text and (left < 0 or right > 360 - 16 + 1)]
    assert not outside, outside
    heads = page.evaluate("""() => [...document.querySelectorAll('table.facts thead')].map(
        head => { const box = head.getBoundingClientRect();
                  return [head.textContent.split(/\\s+/).filter(Boolean), box.width,
                          box.height]; })""")
    assert heads and all(width <= 1 and height <= 1 for _, width, height in heads), heads
    assert all("Angka" in words for words, *_ in heads)
    # On a wide screen it is a table, its headings shown.
    page, _ = open_page(server + PAGES[name], width=1280)
    shown = page.evaluate("""() => [...document.querySelectorAll('table.facts')]
        .filter(table => !table.closest('details'))  // (not a chart's data, folded away)
        .map(table => [getComputedStyle(table).display,
                       table.querySelector('thead th').getBoundingClientRect().width])""")
    assert shown and all(display == "table" and width > 20 for display, width in shown)


def test_skip_link_is_shown_on_focus_and_leads_to_the_content(server, open_page):
    page, _ = open_page(server + PAGES["region"])
    page.keyboard.press("Tab")
    link = page.locator(".skip-link")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    box = link.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#main"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('main') !== null")


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("name", ["overview", "chart-region"])
def test_screenshots_for_review(server, open_page, name, width):
    """Written to /tmp/reportgen-screenshots/ for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for dark, lang in ((False, "id"), (True, "id"), (False, "en")):
        page, _ = open_page(server + ("" if lang == "id" else "en/") + PAGES[name], width=width,
                            dark=dark)
        page.wait_for_load_state("networkidle")
        if width >= 1280 and name == "chart-region":
            page.wait_for_selector("figure.chart.is-live .chart-live svg", timeout=20000)
        out = SCREENSHOTS / f"{name}-{width}{'-dark' if dark else ''}-{lang}.png"
        page.screenshot(path=str(out), full_page=True)
        assert out.stat().st_size > 10_000
