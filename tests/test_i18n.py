"""Two languages: every page in Indonesian and in English, a switch between them, interface
strings from the message catalog, numbers and dates in each locale, quotes kept original."""

from __future__ import annotations

import json
import posixpath
import re
import shutil

import pytest

from reportgen import i18n
from tests.conftest import DATA, run_cli
from tests.htmlquery import Page


def page(site, path: str) -> Page:
    return Page.read(site / path)


def html_pages(site) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


# --- The catalog --------------------------------------------------------------------------

def _catalog(lang: str):
    from babel.messages.pofile import read_po

    with i18n.catalog_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang)


def _key(message) -> tuple:
    return (message.context, message.id)


def test_catalog_holds_exactly_the_strings_of_the_code_and_templates():
    extracted = {_key(m) for m in i18n.extract_messages() if m.id}
    for lang in i18n.LANGUAGES[1:]:
        in_catalog = {_key(m) for m in _catalog(lang) if m.id}
        assert extracted - in_catalog == set(), "new strings: run ./tasks i18n and translate them"
        assert in_catalog - extracted == set(), "strings no longer used: run ./tasks i18n"


def test_every_string_is_translated_with_the_same_placeholders():
    for lang in i18n.LANGUAGES[1:]:
        for message in _catalog(lang):
            if not message.id:
                continue
            assert i18n.is_complete(message), f"{lang}: untranslated or fuzzy: {message.id!r}"
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            wanted = {p for text in ids for p in re.findall(r"%\(\w+\)s|\{\w+\}", text)}
            for text in strings[-1:]:  # the plural form carries every placeholder
                found = set(re.findall(r"%\(\w+\)s|\{\w+\}", text))
                assert found == wanted, f"{lang}: placeholders differ in {message.id!r}"


def test_catalog_is_compiled_in_memory_and_translates():
    english = i18n.translations("en")
    assert english.gettext("Kutipan sumber") == "Quoted sources"
    assert english.ngettext("%(num)s angka", "%(num)s angka", 1) == "%(num)s figure"
    assert english.pgettext("nav", "Wilayah") == "Regions"
    assert i18n.translations("id").gettext("Kutipan sumber") == "Kutipan sumber"


# --- Every page in both languages ------------------------------------------------------------

def test_every_page_exists_in_both_languages(minimal_site):
    pages = html_pages(minimal_site)
    indonesian = [p for p in pages if not p.startswith("en/")]
    english = [p[3:] for p in pages if p.startswith("en/")]
    assert indonesian and sorted(indonesian) == sorted(english)
    for path in indonesian:
        assert page(minimal_site, path).find_all("html")[0].attrs["lang"] == "id"
        assert page(minimal_site, "en/" + path).find_all("html")[0].attrs["lang"] == "en"


def _switch(html: Page) -> dict[str, str]:
    """The language switch of a page: {language: link} (the current one is not a link)."""
    nav = [n for n in html.find_all("nav") if "languages" in (n.attrs.get("class") or "")]
    assert len(nav) == 1
    return {a.attrs["hreflang"]: a.attrs["href"] for a in html.descendants(nav[0], "a")}


@pytest.mark.parametrize("path", ["index.html", "regions/kota-contoh/index.html",
                                  "programs/jkk/index.html", "sources/warta-2024/index.html",
                                  "sources/index.html", "tentang/index.html", "cari/index.html"])
def test_language_switch_leads_to_the_same_page_in_the_other_language(minimal_site, path):
    for here, there, other in ((path, "en/" + path, "en"), ("en/" + path, path, "id")):
        links = _switch(page(minimal_site, here))
        assert set(links) == {other}
        target = posixpath.normpath(posixpath.join(posixpath.dirname(here), links[other]))
        assert target == there
        assert (minimal_site / target).is_file()
        alternates = {link.attrs["hreflang"]: link.attrs["href"]
                      for link in page(minimal_site, here).find_all("link", rel="alternate")}
        assert set(alternates) == {"id", "en"}


def test_english_pages_link_within_english_and_share_the_static_files(minimal_site):
    html = page(minimal_site, "en/regions/kota-contoh/index.html")
    links = [a.attrs.get("href", "") for a in html.find_all("a") if "hreflang" not in a.attrs]
    internal = [link for link in links if link and not link.startswith(("#", "http"))]
    for link in internal:
        resolved = posixpath.normpath(posixpath.join("en/regions/kota-contoh", link.split("#")[0]))
        if resolved.startswith("data/"):
            continue  # the downloads are shared
        assert resolved.startswith("en/"), link
    styles = [e.attrs["href"] for e in html.find_all("link", rel="stylesheet")]
    assert "../../../static/style.css" in styles
    assert not (minimal_site / "en" / "static").exists()


# --- What an English page says ----------------------------------------------------------------

def test_english_interface_strings_come_from_the_catalog(minimal_site):
    html = page(minimal_site, "en/regions/kota-contoh/index.html").html
    for english in ("Quoted sources", "Last updated:", "Download the data:", "Skip to content",
                    "Chart data (table)", "Period", "Figure"):
        assert english in html
    for indonesian in ("Kutipan sumber", "Terakhir diperbarui", "Unduh data", "Langsung ke isi",
                       "Data grafik"):
        assert indonesian not in html


def test_chart_menu_words_follow_the_page_language(minimal_site):
    """charts.js names vega-embed's menu with the words each page carries."""
    for path, words in (("regions/kota-contoh/index.html", "Simpan sebagai PNG"),
                        ("en/regions/kota-contoh/index.html", "Save as PNG")):
        block = re.search(r'<script type="application/json" id="chart-strings">(.*?)</script>',
                          page(minimal_site, path).html, re.S)
        assert block and json.loads(block[1])["png"] == words


def test_registry_labels_in_english(minimal_site):
    html = page(minimal_site, "en/regions/kota-contoh/index.html")
    assert "Example City" in html.find_all("h1")[0].text
    assert "Participants protected" in html.html
    overview = page(minimal_site, "en/index.html")
    assert overview.find_all("h1")[0].text == "Small Example"
    assert "A small test site." in overview.html


def test_numbers_and_dates_follow_each_locale(minimal_site):
    id_page = page(minimal_site, "regions/kota-contoh/index.html")
    en_page = page(minimal_site, "en/regions/kota-contoh/index.html")
    assert "Rp2,2 miliar" in id_page.by_id("kota-contoh-anggaran-2024").text
    assert "IDR 2.2 billion" in en_page.by_id("kota-contoh-anggaran-2024").text
    assert "sekitar 1.500–2.000 orang" in id_page.by_id("kota-contoh-target-2024").text
    assert "about 1,500–2,000 people" in en_page.by_id("kota-contoh-target-2024").text
    assert "1 Maret 2024" in id_page.html and "1 March 2024" in en_page.html
    assert "1 Maret 2024" not in en_page.html


def test_charts_use_each_locale_in_spec_number_format_and_static_svg(minimal_site):
    for lang, thousands, status in (("id", ".", "Target"), ("en", ",", "Target")):
        folder = minimal_site / i18n.prefix(lang) / "regions" / "kota-contoh"
        html = Page.read(folder / "index.html")
        locale = json.loads(html.by_id("chart-locale").parts[0])
        assert locale["thousands"] == thousands
        spec = json.loads([e for e in html.find_all("script")
                           if "chart-spec" in (e.attrs.get("class") or "")][0].parts[0])
        metrics = {row["metric"] for row in spec["data"]["values"]}
        assert metrics == ({"Peserta terlindungi", "Anggaran iuran"} if lang == "id"
                           else {"Participants protected", "Budget for contributions"})
        svg = (folder / "chart-figures.svg").read_text()
        assert f"2{thousands}000" in svg  # the axis of participants reaches 2,000 / 2.000
    en_svg = (minimal_site / "en/regions/kota-contoh/chart-figures.svg").read_text()
    assert "IDR 2.2 billion" in en_svg and "Sources:" in en_svg


@pytest.fixture(scope="module")
def translated_site(tmp_path_factory):
    """The minimal project with an English translation of a quote and of a note."""
    project = tmp_path_factory.mktemp("translated")
    shutil.copytree(DATA / "minimal", project, dirs_exist_ok=True)
    facts = project / "content" / "facts" / "kota-contoh.yaml"
    text = facts.read_text(encoding="utf-8")
    text = text.replace(
        "        quote: Tahun lalu seribu pekerja sudah terlindungi.\n",
        "        quote: Tahun lalu seribu pekerja sudah terlindungi.\n"
        "        quote_en: Last year a thousand workers were already protected.\n")
    text = text.replace("    note: Dilaporkan oleh dua sumber.\n",
                        "    note: Dilaporkan oleh dua sumber.\n"
                        "    note_en: Reported by two sources.\n")
    assert text.count("_en:") == 2
    facts.write_text(text, encoding="utf-8")
    out = project / "site"
    result = run_cli("build", "--content", project / "content", "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_quotes_stay_indonesian_with_the_translation_beside_them(translated_site):
    html = page(translated_site, "en/regions/kota-contoh/index.html")
    notes = [e for e in html.find_all("li") if (e.attrs.get("id") or "").startswith("cite-")]
    first = [n for n in notes if "seribu pekerja" in n.text][0]
    quote = html.descendants(first, "q")[0]
    assert quote.attrs["lang"] == "id"
    assert quote.text == "Tahun lalu seribu pekerja sudah terlindungi."
    assert "(translation: Last year a thousand workers were already protected.)" in first.text
    indonesian = page(translated_site, "regions/kota-contoh/index.html")
    notes = [e.text for e in indonesian.find_all("li") if "seribu pekerja" in e.text]
    assert "(terjemahan: Last year a thousand workers were already protected.)" in notes[0]


def test_notes_in_english_where_given_else_marked_indonesian(translated_site, minimal_site):
    html = page(translated_site, "en/regions/kota-contoh/index.html")
    row = html.by_id("kota-contoh-anggaran-2024")
    assert "Reported by two sources." in row.text
    assert "Dilaporkan oleh dua sumber" not in row.text
    assert "Dilaporkan oleh dua sumber" in page(
        translated_site, "regions/kota-contoh/index.html").by_id("kota-contoh-anggaran-2024").text
    untranslated = page(minimal_site, "en/regions/kota-contoh/index.html")
    assert '<span lang="id">Dilaporkan oleh dua sumber.</span>' in untranslated.html


def test_untranslated_markdown_page_says_so_and_keeps_its_language(minimal_site):
    html = page(minimal_site, "en/tentang/index.html")
    article = html.find_all("article")[0]
    assert article.attrs["lang"] == "id"
    assert "This page has not been translated yet" in html.html


def test_translated_markdown_page_and_orphan_translation(copy_fixture, tmp_path):
    project = copy_fixture("minimal")
    pages = project / "content" / "pages"
    (pages / "tentang.en.md").write_text("# About\n\nThis is the English text.\n",
                                         encoding="utf-8")
    out = tmp_path / "site"
    result = run_cli("build", "--content", project / "content", "--out", out)
    assert result.exit_code == 0, result.output
    html = page(out, "en/tentang/index.html")
    assert html.find_all("h1")[0].text == "About"
    assert "This is the English text." in html.html
    assert "not been translated" not in html.html
    assert "About" in page(out, "en/index.html").html  # in the English menu
    (pages / "lain.en.md").write_text("# Other\n\nText.\n", encoding="utf-8")
    result = run_cli("check", "--content", project / "content")
    assert result.exit_code == 1
    assert "lain.en.md:1:1: RG401 'lain.en.md' translates a page that does not exist" in \
        result.output


def test_sitemap_lists_both_languages_with_alternates(minimal_site):
    sitemap = (minimal_site / "sitemap.xml").read_text()
    assert "<loc>en/regions/kota-contoh/index.html</loc>" in sitemap
    assert ('<xhtml:link rel="alternate" hreflang="en" href="en/regions/kota-contoh/index.html"/>'
            in sitemap)
    assert "404.html" not in sitemap


def test_json_ld_of_english_page_is_english(minimal_site):
    html = page(minimal_site, "en/regions/kota-contoh/index.html")
    data = json.loads([e for e in html.find_all("script")
                       if e.attrs.get("type") == "application/ld+json"][0].parts[0])
    assert data["inLanguage"] == "en"
    assert "Example City" in data["name"]
    observation = data["mainEntity"][0]
    assert observation["subjectOf"][0]["inLanguage"] == "id"  # the quote stays Indonesian
