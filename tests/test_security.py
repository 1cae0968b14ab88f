"""Hardening: nothing in a fact file may run code, inject markup, reach a path outside the
site, or make the build work without bound.

The injection test puts a script and an ``onerror`` payload into every text field the
schema declares (found from :mod:`reportgen.schema`, so a new field is covered without
touching this file), plus the Markdown pages, builds the site and the PDF, and checks
every output by its format: in HTML and SVG no payload may survive as markup; in
``facts.json`` and ``facts.csv`` it is data and must come back exactly as written.
"""

from __future__ import annotations

import csv
import io
import json
import pickle
import re
import shutil
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from reportgen import schema
from reportgen.build import SiteFiles
from reportgen.errors import BuildError
from reportgen.loader import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES
from tests.conftest import DATA, ROOT, TEMPLATES, run_cli

MINIMAL = DATA / "minimal" / "content"


def payload(tag: str) -> str:
    """Markup that would run script if it reached a page unescaped; *tag* names the field."""
    return (f'<script>alert("{tag}")</script><img src=x onerror=alert("{tag}")>'
            f'"\'><svg onload=alert("{tag}")>')


RAW_MARKUP = ("<script>alert", "<img src=x", "<svg onload")
"""Payload pieces that must never appear unescaped in an HTML or SVG file."""

NOT_FREE_TEXT = {("metrics", "other_units")}
"""Text-typed fields that are really vocabularies (checked against the list of units)."""

TEXT_TYPES = ("text", "text?", "texts")


def _inject_record(record: dict, specs: list[schema.FieldSpec], where: str,
                   skip: set[str] = frozenset()) -> list[str]:
    """Put the payload into every text field of one record, present or not."""
    tags = []
    for spec in specs:
        if spec.type not in TEXT_TYPES or spec.name in skip:
            continue
        tag = f"{where}.{spec.name}"
        if spec.type == "texts":
            record[spec.name] = [*(record.get(spec.name) or []), payload(tag)]
        else:
            record[spec.name] = f"{record.get(spec.name) or 'x'} {payload(tag)}"
        tags.append(tag)
    return tags


def inject_everywhere(content: Path) -> list[str]:
    """Inject the payload into every text field of every record of *content*; returns the
    tags of the fields injected."""
    tags = []
    site_file = content / "site.yaml"
    site = yaml.safe_load(site_file.read_text(encoding="utf-8"))
    tags += _inject_record(site, schema.SITE, "site")
    if any(spec.name == "url" for spec in schema.SITE):  # an address that tries to break out
        site["url"] = "https://example.org/a'onmouseover='alert(1)'/"
    site_file.write_text(yaml.safe_dump(site, allow_unicode=True), encoding="utf-8")
    for key, specs in schema.REGISTRIES.items():
        path = content / f"{key}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        skip = {name for kind, name in NOT_FREE_TEXT if kind == key}
        for record in data[key]:
            tags += _inject_record(record, specs, f"{key}.{record['id']}", skip)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for path in sorted((content / "facts").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for fact in data["facts"]:
            tags += _inject_record(fact, schema.FACT, f"facts.{fact['id']}")
            for i, citation in enumerate(fact["sources"]):
                tags += _inject_record(citation, schema.CITATION, f"facts.{fact['id']}.{i}")
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    # A source URL is http(s), but may still try to break out of its attribute.
    sources = content / "sources.yaml"
    data = yaml.safe_load(sources.read_text(encoding="utf-8"))
    data["sources"][0]["url"] = "https://example.org/a'onmouseover='alert(1)'"
    sources.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for path in sorted((content / "pages").glob("*.md")):
        body = path.read_text(encoding="utf-8").split("\n", 1)[1]
        path.write_text(
            f"# Judul {payload('page-title')}\n{body}\n\n{payload('page-body')}\n\n"
            "<img src=x onerror=alert(1)>\n\n<div onclick=alert(1)>blok</div>\n\n"
            "[tautan](https://example.org/\"onmouseover=\"alert(1)) `<script>alert(1)</script>`\n",
            encoding="utf-8")
        tags += ["page-title", "page-body"]
    return tags


@pytest.fixture(scope="module")
def injected(tmp_path_factory) -> tuple[Path, list[str]]:
    """The minimal content with the payload in every text field, built with the PDF."""
    root = tmp_path_factory.mktemp("xss")
    content = root / "content"
    shutil.copytree(MINIMAL, content)
    tags = inject_everywhere(content)
    check = run_cli("check", "--content", content)
    assert check.exit_code == 0, check.output  # the payload is valid text: it must be built
    out = root / "site"
    result = run_cli("build", "--content", content, "--templates", TEMPLATES, "--out", out,
                     "--pdf")
    assert result.exit_code == 0, result.output
    return out, tags


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of every <script> element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


BAD_SCHEMES = re.compile(r"^\s*(javascript|data|file|vbscript):", re.IGNORECASE)


def assert_no_markup_from_content(path: Path, html: str) -> None:
    for raw in RAW_MARKUP:
        assert raw not in html, f"{path}: unescaped {raw!r}"
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        events = [a for a in attrs if a.startswith("on")]
        assert not events, f"{path}: <{tag}> has event handler attributes {events}"
        assert tag not in ("iframe", "object", "embed", "svg", "base", "form"), f"{path}: <{tag}>"
        for name in ("href", "src", "action", "formaction", "xlink:href"):
            value = attrs.get(name) or ""
            assert not BAD_SCHEMES.match(value), f"{path}: <{tag} {name}={value!r}>"
        if tag == "script":  # a JSON data block, or one of the site's own script files
            src = attrs.get("src") or ""
            assert attrs.get("type") in ("application/json", "application/ld+json") or (
                src.endswith(".js") and not re.match(r"(?i)([a-z][a-z0-9+.-]*:|/)", src)
                and (path.parent / src).resolve().is_file()), f"{path}: script {attrs}"
        if tag == "img":
            assert attrs.get("src", "").endswith(".svg") and "://" not in attrs["src"], (
                f"{path}: image {attrs}")
    for script in parser.scripts:
        # JSON blocks: never a '<' that could end the element or open a comment.
        assert "<" not in script, f"{path}: '<' inside a <script> element"
        if script.strip():
            json.loads(script)


def test_payload_in_every_text_field_never_becomes_markup(injected):
    site, tags = injected
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 10
    shown = ""
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert_no_markup_from_content(path, html)
        parser = _Tags()
        parser.feed(html)
        shown += "".join(parser.text) + "".join(
            v or "" for _, attrs in parser.tags for v in attrs.values())
    # The fields readers see did reach the pages, as text (so the test tested something).
    for tag in ("site.title", "site.description", "sources.harian-2024-03-01.publisher",
                "sources.harian-2024-03-01.title", "sources.harian-2024-03-01.authors",
                "sources.harian-2024-03-01.note", "regions.kota-contoh.name",
                "regions.kota-contoh.note", "regions.kota-contoh.code", "programs.jkk.name",
                "programs.jkk.short", "programs.jkk.description",
                "metrics.participants-protected.label", "facts.kota-contoh-anggaran-2024.note",
                "facts.kota-contoh-anggaran-2024.0.quote",
                "facts.kota-contoh-anggaran-2024.0.quote_en", "page-title", "page-body"):
        assert tag in tags, tag
        if tag == "page-body":  # Markdown's typographer curls the quotes: compare the rest
            assert '<script>alert(“page-body”)</script><img src=x onerror=alert(' in shown
        else:
            assert payload(tag) in shown, f"{tag} is not shown as text"


BAD_MARKDOWN = """# Halaman

![gambar](https://evil.example/pixel.png)

- [klik](javascript:alert(1)) dan <file:///etc/passwd>
- [data](data:text/html,x) [baik](https://example.org/) [situs](../regions/x/index.html) [sini](#a)
"""


def test_markdown_images_and_links_to_other_schemes_are_problems(copy_fixture):
    content = copy_fixture("minimal/content")
    write(content / "pages" / "jahat.md", BAD_MARKDOWN)
    result = run_cli("check", "--content", content)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert any(l.endswith("jahat.md:3:1: RG401 Markdown pages cannot show images: "
                          "'https://evil.example/pixel.png' (the site loads nothing from other "
                          "hosts; describe it in words)") for l in lines), lines
    for url in ("javascript:alert(1)", "file:///etc/passwd", "data:text/html,x"):
        assert any(f"RG107 a link must be an http(s) address or a page of the site: {url!r}" in l
                   for l in lines), url
    assert sum("RG107" in l or "RG401" in l for l in lines) == 4


def test_markdown_renderer_itself_makes_no_image_and_no_bad_link():
    from reportgen.render import markdown_parser

    html = markdown_parser().render(BAD_MARKDOWN + "\n<img src=x onerror=alert(1)>\n")
    assert "<img" not in html and "gambar" in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs == ["https://example.org/", "../regions/x/index.html", "#a"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_url_cannot_break_out_of_its_attribute(injected):
    site, _ = injected
    html = (site / "sources" / "harian-2024-03-01" / "index.html").read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(html)
    hrefs = [a["href"] for tag, a in parser.tags if tag == "a" and "example.org" in a.get("href", "")]
    assert set(hrefs) == {"https://example.org/a'onmouseover='alert(1)'"}
    assert "a&#39;onmouseover=&#39;alert(1)&#39;" in html


def test_chart_images_carry_the_payload_as_text_only(injected):
    site, _ = injected
    svgs = sorted(site.rglob("*.svg"))
    assert svgs
    seen = False
    for path in svgs:
        text = path.read_text(encoding="utf-8")
        for raw in RAW_MARKUP:
            assert raw not in text, f"{path}: unescaped {raw!r}"
        root = ET.fromstring(text)
        for element in root.iter():
            name = element.tag.rsplit("}", 1)[-1]
            assert name not in ("script", "foreignObject", "img", "image", "iframe"), path
            assert not [a for a in element.attrib if a.rsplit("}", 1)[-1].startswith("on")], path
            for key, value in element.attrib.items():
                if key.endswith("href"):
                    assert not BAD_SCHEMES.match(value), path
        seen = seen or "alert(" in "".join(root.itertext())
    assert seen, "no chart label carried the payload: the test did not test the charts"


def test_data_files_keep_the_payload_as_data(injected):
    site, _ = injected
    facts = json.loads((site / "data" / "facts.json").read_text(encoding="utf-8"))
    text = json.dumps(facts, ensure_ascii=False)
    assert payload("facts.kota-contoh-anggaran-2024.0.quote").replace('"', '\\"') in text
    rows = list(csv.DictReader(io.StringIO((site / "data" / "facts.csv").read_text(encoding="utf-8"))))
    assert any(payload("facts.kota-contoh-anggaran-2024.note") in value
               for row in rows for value in row.values() if value)


def test_pdf_prints_the_payload_as_text_and_holds_no_script(injected):
    from pypdf import PdfReader

    site, _ = injected
    data = (site / "report.pdf").read_bytes()
    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() or "" for page in reader.pages)
    assert "alert(" in " ".join(text.split()), "the payload should be printed as text"
    for name in (b"/JavaScript", b"/JS ", b"/JS(", b"/Launch", b"/EmbeddedFile", b"/SubmitForm"):
        assert name not in data, name
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and "/URI" in action:
                assert re.match(r"https?://", str(action["/URI"])), action["/URI"]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which(
    "google-chrome")


def chromium_dom(url: str) -> tuple[str, str]:
    """The page's DOM after its scripts ran, and the browser's console log."""
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
             "--virtual-time-budget=8000", "--window-size=1200,1600", "--dump-dom", url],
            capture_output=True, text=True, timeout=120)
    return result.stdout, result.stderr


@pytest.mark.skipif(CHROMIUM is None, reason="needs a headless Chromium")
@pytest.mark.parametrize("page", ["regions/kota-contoh/index.html", "programs/jkk/index.html"])
def test_live_charts_run_under_the_csp_and_the_payload_stays_text(injected, page):
    """In a real browser: the live chart replaces the image with the CSP in force, no
    directive is violated (no eval, no inline script or style), and after every script
    ran the DOM still holds no element made from content."""
    site, _ = injected
    dom, log = chromium_dom((site / page).as_uri())
    assert dom.count('class="chart is-live"') == dom.count('<figure class="chart'), log[-2000:]
    assert "<svg" in dom.split('class="chart-live', 1)[1]
    assert "Content Security Policy" not in log, [l for l in log.splitlines() if "Security" in l]
    assert "chart kept static" not in log
    for raw in ('<img src="x"', "<script>alert", 'onerror="', 'onload="alert'):
        assert raw not in dom, raw


@pytest.fixture(scope="module")
def injected_server(injected):
    """The injected site over HTTP (search needs it), from a thread."""
    from tests.conftest import serve_folder

    site, _ = injected
    with serve_folder(site) as address:
        yield address


INJECTED_ELEMENTS = """() => Array.from(document.querySelectorAll('body *')).filter(e =>
    e.matches('img[src="x"], script:not([src]):not([type*="json"]), iframe, object, embed') ||
    Array.from(e.attributes).some(a => a.name.startsWith('on'))).map(e => e.outerHTML.slice(0, 200))"""


@pytest.mark.skipif(CHROMIUM is None, reason="needs a headless Chromium")
def test_search_results_and_chart_tooltips_show_the_payload_as_text(injected_server):
    """What scripts build from content at run time (Pagefind's results, vega-tooltip's
    tooltips) escapes it too: no element from content, no dialog, no CSP report."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            dialogs, messages = [], []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("console", lambda m: messages.append(m.text))
            page.goto(injected_server + "cari/index.html?q=alert")
            page.wait_for_selector(".pagefind-ui__result-link", timeout=20000)
            titles = page.locator(".pagefind-ui__result-link").all_inner_texts()
            assert any('<script>alert("' in t for t in titles), titles
            assert page.evaluate(INJECTED_ELEMENTS) == []

            page.goto(injected_server + "regions/kota-contoh/index.html")
            page.wait_for_selector("figure.chart.is-live .chart-live svg", timeout=20000)
            marks = page.locator("figure.chart.is-live .chart-live svg path[role='graphics-symbol']")
            assert marks.count() > 0
            box = marks.first.bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_selector("#vg-tooltip-element.visible", timeout=5000)
            tooltip = page.locator("#vg-tooltip-element").inner_text()
            assert "<script>alert(" in tooltip or "<img src=x" in tooltip, tooltip
            assert page.evaluate(INJECTED_ELEMENTS) == []
            assert dialogs == []
            assert not [m for m in messages if "Content Security Policy" in m], messages
        finally:
            browser.close()


def test_every_page_carries_the_content_security_policy(minimal_site):
    policy = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
              "object-src 'none'; base-uri 'none'; form-action 'none'")
    for path in sorted(minimal_site.rglob("*.html")):
        html = path.read_text(encoding="utf-8")
        head = html.split("</head>", 1)[0]
        expected = policy
        if 'class="page-search"' in html:  # the search index is WebAssembly: compiling it
            expected = policy.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")
        assert f'<meta http-equiv="Content-Security-Policy" content="{expected}">' in head, path
        # The policy must come before anything it governs.
        assert head.index("Content-Security-Policy") < min(
            (head.index(t) for t in ("<link", "<script") if t in head), default=len(head)), path
        parser = _Tags()
        parser.feed(html)
        assert not [a for tag, a in parser.tags if tag == "style" or "style" in a], path
        for tag, attrs in parser.tags:
            if tag == "script" and attrs.get("type") not in ("application/json",
                                                             "application/ld+json"):
                assert "src" in attrs, f"{path}: inline script"


def test_charts_css_is_what_vega_embed_and_vega_tooltip_would_inject(minimal_site):
    """The CSP forbids the <style> elements vega-embed and vega-tooltip inject, so their
    CSS is served from static/charts.css; it must follow the bundle when vl-convert is
    upgraded."""
    bundle = (minimal_site / "static" / "vendor" / "vega-bundle.js").read_text(encoding="utf-8")
    ours = (minimal_site / "static" / "charts.css").read_text(encoding="utf-8")
    for start in (".vega-embed {", "#vg-tooltip-element {"):
        match = re.search(r"""(['"`])(%s\\n.*?)(?<!\\)\1""" % re.escape(start), bundle, re.S)
        assert match, f"{start} not found in the bundle: has vega-embed changed?"
        css = json.loads('"' + match[2].replace('"', '\\"').replace("\\'", "'") + '"')
        assert css.strip() in ours, f"static/charts.css is out of date for {start}"
    script = (minimal_site / "static" / "charts.js").read_text(encoding="utf-8")
    for option in ("ast: true", "defaultStyle: false", "disableDefaultStyle: true"):
        assert option in script


# --- input ------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "data:text/html,x",
    "file:///etc/passwd", "vbscript:msgbox(1)", "//evil.example/x", "ftp://example.org/x",
    "example.org/berita", "https:/example.org", "http://", "https://exa mple.org/",
    'https://example.org/a"onmouseover="alert(1)', "https://example.org/<script>",
    "https://example.org/a>b", "https://example.org/\\x", "https://example.org/a`b",
])
def test_only_http_and_https_urls_are_accepted(copy_fixture, url):
    content = copy_fixture("minimal/content")
    sources = content / "sources.yaml"
    sources.write_text(sources.read_text().replace("https://example.org/berita/1",
                                                   json.dumps(url)))
    result = run_cli("check", "--content", content)
    assert result.exit_code == 1
    assert "RG107 'url' of source must be an http(s) address" in result.stderr


@pytest.mark.parametrize("bad", ["../x", "..", "x/../../y", "/etc/passwd", "a/b", "x\\\\y",
                                 "Kota", "a b", "a.b", "-", "%2e%2e", "~x"])
@pytest.mark.parametrize("file, old", [
    ("facts/kota-contoh.yaml", "id: kota-contoh-peserta-2023"),
    ("facts/kota-contoh.yaml", "region: kota-contoh"),
    ("regions.yaml", "id: kota-contoh"),
    ("sources.yaml", "id: warta-2024"),
    ("programs.yaml", "id: jkk"),
    ("metrics.yaml", "id: contribution-budget"),
])
def test_ids_and_references_must_be_slugs(copy_fixture, bad, file, old):
    content = copy_fixture("minimal/content")
    path = content / file
    key = old.split(":")[0]
    path.write_text(path.read_text().replace(old, f"{key}: {json.dumps(bad)}", 1))
    result = run_cli("check", "--content", content)
    assert result.exit_code == 1
    assert f"RG105 '{key}' of" in result.stderr and "is not a slug" in result.stderr


def test_page_file_names_must_be_slugs(copy_fixture):
    content = copy_fixture("minimal/content")
    write(content / "pages" / "..evil.md", "# Jahat\n")
    result = run_cli("check", "--content", content)
    assert result.exit_code == 1 and "RG401 page file name '..evil.md' is not a slug" in result.stderr


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "a/../../x", "a/..", "", ".",
                                  "../site.new/index.html", "//x"])
def test_site_files_refuse_paths_outside_the_site(path, tmp_path):
    with pytest.raises(BuildError, match="refusing to write outside the site"):
        with SiteFiles(tmp_path / "site") as files:
            files.add(path, b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # the staging folder is gone


def test_site_files_refuse_a_path_that_a_link_leads_outside(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    with pytest.raises(BuildError, match="refusing to write outside the site"):
        with SiteFiles(tmp_path / "site") as files:
            (files.staging / "link").symlink_to(outside, target_is_directory=True)
            files.add("link/escaped.txt", b"x")
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outside"]


def timed_check(content: Path):
    start = time.perf_counter()
    result = run_cli("check", "--content", content)
    return result, time.perf_counter() - start


BILLION_LAUGHS = """facts:
  - &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
  - &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  - &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  - &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
  - &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
  - &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
  - &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
  - &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
  - &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


@pytest.mark.parametrize("name, text, message", [
    ("alias bomb", BILLION_LAUGHS, f"more than {MAX_NODES:,} YAML nodes"),
    ("many nodes", "facts:\n" + "  - 1\n" * (MAX_NODES + 10), f"more than {MAX_NODES:,} YAML nodes"),
    ("deep nesting", "facts: " + "[" * 5000 + "]" * 5000 + "\n", f"more than {MAX_DEPTH} deep"),
    ("deep mappings", "facts:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200)),
     f"more than {MAX_DEPTH} deep"),
    ("python tag", "facts: !!python/object/apply:os.system ['echo pwned > pwned.txt']\n",
     "RG005 YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
])
def test_hostile_yaml_ends_quickly_with_a_clear_error(copy_fixture, name, text, message, tmp_path,
                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    content = copy_fixture("minimal/content")
    write(content / "facts" / "hostile.yaml", text)
    result, seconds = timed_check(content)
    assert result.exit_code == 1
    assert message in result.stderr, result.stderr[-500:]
    assert "hostile.yaml:" in result.stderr and "Traceback" not in result.output
    assert seconds < 2, f"{name} took {seconds:.1f} s"
    assert not (tmp_path / "pwned.txt").exists()


def test_huge_file_is_refused_unread(copy_fixture):
    content = copy_fixture("minimal/content")
    with open(content / "facts" / "huge.yaml", "w", encoding="utf-8") as out:
        out.write("facts:\n")
        line = "  - note: " + "x" * 1000 + "\n"
        while out.tell() <= MAX_FILE_BYTES:
            out.write(line)
    result, seconds = timed_check(content)
    assert result.exit_code == 1
    assert f"more than the limit of {MAX_FILE_BYTES:,}" in result.stderr
    assert seconds < 2


def test_limits_are_documented_in_the_contributor_guide():
    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = guide.split("## Limits", 1)[1].split("\n## ", 1)[0]
    assert f"{MAX_FILE_BYTES // (1024 * 1024)} MB" in section
    assert f"{MAX_NODES:,}" in section
    assert f"{MAX_DEPTH}" in section


class _Planted:
    """A pickle that, read by plain ``pickle.loads``, would write *marker*."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_file_planted_in_the_cache_is_never_run(tmp_path):
    """The cache may lie in the working folder, where a repository cloned from elsewhere
    could have put files: a cache entry or a saved build state that names anything but
    reportgen's own records is refused (the fact file checked again, the site built in
    full), never run."""
    from reportgen.build import build_site
    from tests.conftest import TEMPLATES

    content, cache, out = tmp_path / "content", tmp_path / "cache", tmp_path / "site"
    shutil.copytree(MINIMAL, content)
    build_site(content, TEMPLATES, out, cache_dir=cache)
    marker = tmp_path / "ran"
    planted = list((cache / "facts").glob("*.pickle")) + list((cache / "builds").glob("*"))
    assert len(planted) >= 3
    for path in planted:
        path.write_bytes(pickle.dumps(_Planted(marker)))
    (content / "site.yaml").write_text((content / "site.yaml").read_text() + "\n")
    again = build_site(content, TEMPLATES, out, cache_dir=cache)
    assert not marker.exists()
    assert again.mode == "full" and again.facts == 3


@pytest.mark.parametrize("damage", ["frame too long", "cut short"])
def test_a_damaged_cache_entry_is_made_again_not_a_traceback(tmp_path, damage):
    """A cache entry or saved state damaged on disk (a frame's length garbled, a write cut
    short) makes Python's unpickler raise one of many errors (OverflowError, EOFError
    ...): each is a damaged entry, made again, and the build is the clean one."""
    from reportgen.build import build_site
    from tests.conftest import TEMPLATES
    from tests.test_incremental import all_files

    content, cache, out = tmp_path / "content", tmp_path / "cache", tmp_path / "site"
    shutil.copytree(MINIMAL, content)
    build_site(content, TEMPLATES, out, cache_dir=cache)
    damaged = list((cache / "facts").glob("*.pickle")) + list((cache / "builds").glob("*"))
    assert len(damaged) >= 3
    for path in damaged:
        data = path.read_bytes()
        # (protocol 4 and up: a frame's length is bytes 3 to 10, the last the highest)
        path.write_bytes(data[:10] + b"\xff" + data[11:] if damage == "frame too long"
                         else data[:len(data) // 2])
    (content / "site.yaml").write_text((content / "site.yaml").read_text() + "\n")
    again = build_site(content, TEMPLATES, out, cache_dir=cache)
    assert again.facts == 3
    clean = tmp_path / "clean"
    build_site(content, TEMPLATES, clean, use_cache=False)
    assert all_files(out) == all_files(clean)


@pytest.mark.parametrize("data", [
    b"\x80\x04X\x01\x00\x00\x00a\x94K\x01a.",  # APPEND onto a string: AttributeError
    b"\x80\x05\x95\x00\x00\x00\x00\x00\x00\x00\xff.",  # a frame too long: OverflowError
    b"\x80\x05\x82\x05.",  # an unregistered extension: ValueError
])
def test_every_error_of_a_damaged_entry_is_an_unpickling_error(data):
    from reportgen.cachetidy import unpickle_entry

    with pytest.raises(pickle.UnpicklingError, match="damaged cache entry"):
        unpickle_entry(data)
