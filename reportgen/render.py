"""Turning planned pages into HTML: the Jinja environment, its filters, page contexts.

Templates come from the project's ``templates/`` folder.  Autoescaping is on for every
template and undefined names are errors, so a missing field fails the build instead of
printing nothing.  Citations are numbered here, per page, in the order the page shows
its figures; the markup for a citation lives in ``templates/_citation.html`` alone.

There is one environment per language (:func:`make_environment`): its ``_()`` gives the
interface strings from that language's message catalog, its filters format numbers and
dates in that locale, and ``|tr("name")`` picks a content record's field in that
language (``name_en`` in English, when given).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import jinja2
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markupsafe import Markup

from .cachetidy import mark_used
from .charts import d3_format_locale, format_source_date, source_label
from .errors import BuildError
from .i18n import (
    LANGUAGE_NAMES, LANGUAGES, OG_LOCALES, PRIMARY, is_translated, localized, prefix, translations,
)
from .model import PROGRAM_KINDS, QUALIFIERS, REGION_KINDS, STATUSES, UNITS, Citation, Content, Fact
from .numbers import describe_value, format_number, format_value, qualifier_label, unit_label
from .meta import absolute, page_updated, site_base, structured_data
from .pages import Page, home_path, path_for
from .search import SEARCH_PAGE, SEARCHABLE_KINDS
from .validate import link_allowed


@dataclass(eq=False)
class Note:
    """A numbered citation on one page: a quoted sentence of a source, and the figures on
    the page it is cited for (one sentence often states two figures: they share a note)."""

    number: int
    citation: Citation
    facts: list[Fact]  # in the order the page shows them
    lang: str = PRIMARY

    @property
    def anchor(self) -> str:
        return f"cite-{self.number}"

    @property
    def hover(self) -> str:
        """The tooltip of a marker: publisher, date and the quote as published."""
        source = self.citation.source
        return (f"{source.publisher}, {format_source_date(source.date, self.lang)}: "
                f"“{self.citation.quote}”")


def number_citations(facts: list[Fact], lang: str = PRIMARY
                     ) -> tuple[dict[str, list[Note]], list[Note]]:
    """Number the quoted sentences the figures cite, in display order: the notes of each
    fact, and all of them as one list.  Figures that cite the same sentence of the same
    source share its note and its number; the note shows the first translation given
    (``reportgen check`` warns of another: RG311)."""
    by_fact: dict[str, list[Note]] = {}
    ordered: list[Note] = []
    by_sentence: dict[tuple, Note] = {}
    for fact in facts:
        if fact.id in by_fact:
            continue
        notes = by_fact[fact.id] = []
        for citation in fact.citations:
            key = (citation.source.id, citation.quote)
            note = by_sentence.get(key)
            if note is None:
                note = by_sentence[key] = Note(len(ordered) + 1, citation, [], lang)
                ordered.append(note)
            elif note.citation.quote_en is None and citation.quote_en:
                note.citation = citation
            note.facts.append(fact)  # (once: a fact citing a sentence twice is RG310)
            notes.append(note)
    return by_fact, ordered


def backlink_label(index: int) -> str:
    """The label of a note's link back to its *index*-th figure (from 0) when it has
    several: a, b ... z, aa, ab ..."""
    label = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        label = "abcdefghijklmnopqrstuvwxyz"[rest] + label
    return label


def json_for_script(data: object) -> Markup:
    """JSON safe inside <script type="application/json">: no '<', '>' or '&' survives."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _image_as_text(self, tokens, idx, options, env) -> str:
    """Markdown images are not shown (pages load nothing from elsewhere): only their text."""
    return escapeHtml(self.renderInlineAsText(tokens[idx].children or [], options, env))


def markdown_parser() -> MarkdownIt:
    """Markdown for content/pages: CommonMark and tables; raw HTML is shown as text, images
    as their alternative text, and links to anything but http(s) or the site as text.
    (The checker reports images and such links as problems before a build gets here.)"""
    markdown = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(
        ["table", "replacements", "smartquotes"])
    markdown.validateLink = link_allowed
    markdown.add_render_rule("image", _image_as_text)
    return markdown


ENVIRONMENT_OPTIONS = dict(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                           lstrip_blocks=True, keep_trailing_newline=True,
                           extensions=["jinja2.ext.i18n"])
"""How templates are read and compiled (with new-style gettext, installed per language)."""


def make_environment(templates_dir: Path, lang: str = PRIMARY,
                     cache_dir: Path | None = None) -> jinja2.Environment:
    """The Jinja environment the pages of one language are rendered with.  With a
    *cache_dir*, compiled templates are kept there (:func:`compiled_templates`)."""
    if not (templates_dir / "base.html").is_file():
        raise BuildError(f"{templates_dir}: no base.html here; pass --templates DIR")
    compiled = compiled_templates(cache_dir, lang) if cache_dir else None
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir)),
                             bytecode_cache=compiled, **ENVIRONMENT_OPTIONS)
    env.install_gettext_translations(translations(lang), newstyle=True)
    env.globals.update(interface_strings(lang))
    markdown = markdown_parser()
    env.filters.update(
        number=lambda number: format_number(number, lang),
        value=lambda fact: format_value(fact.value, fact.unit, lang),
        figure=lambda fact: describe_value(fact.value, fact.unit, fact.qualifier, lang),
        qualifier=lambda qualifier: qualifier_label(qualifier, lang),
        unit=lambda unit: unit_label(unit, lang),
        date=lambda date: format_source_date(date, lang),
        source_label=lambda source: source_label(source, lang),
        tr=lambda thing, field: localized(thing, field, lang),
        markdown=lambda text: Markup(markdown.render(text)),
        json_script=json_for_script,
    )
    env.tests["translated"] = lambda thing, field: is_translated(thing, field, lang)
    env.globals.update(statuses=STATUSES, qualifiers=QUALIFIERS, units=UNITS,
                       region_kinds=REGION_KINDS, program_kinds=PROGRAM_KINDS,
                       path_for=path_for, home_path=home_path, lang=lang,
                       backlink_label=backlink_label,
                       in_language=lambda other: translations(other).gettext)
    return env


def interface_strings(lang: str) -> dict[str, Callable]:
    """``_``, ``gettext``, ``ngettext`` and ``pgettext`` for templates, as Jinja's
    new-style gettext makes them: the translation is trusted markup, and the variables
    are escaped into it (``%``).  Jinja's own take a detour through the template context
    on every call; these look each string up once.  At national scale, pages ask for
    interface strings a million times."""
    catalog = translations(lang)
    one = lru_cache(maxsize=None)(lambda message: Markup(catalog.gettext(message)))
    bare = lru_cache(maxsize=None)(lambda message: one(message) % {})  # no variables
    plural = lru_cache(maxsize=None)(lambda s, p, n: Markup(catalog.ngettext(s, p, n)))
    in_context = lru_cache(maxsize=None)(
        lambda context, message: Markup(catalog.pgettext(context, message)))

    def gettext(message: str, /, **variables) -> Markup:
        return one(message) % variables if variables else bare(message)

    def ngettext(singular: str, plural_form: str, count: int, /, **variables) -> Markup:
        variables.setdefault("num", count)
        return plural(singular, plural_form, count) % variables

    def pgettext(context: str, message: str, /, **variables) -> Markup:
        variables.setdefault("context", context)
        return in_context(context, message) % variables

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext, "pgettext": pgettext}


def compiled_templates(cache_dir: Path, lang: str) -> jinja2.FileSystemBytecodeCache:
    """Jinja's cache of compiled templates, in *cache_dir*: compiling them all takes a
    quarter of a second, the most of a small rebuild's rendering.  Jinja checks each
    template's source against its entry; what else compiled code depends on names the
    folder: the language and reportgen's own code (Jinja works out a filter given a
    constant when it compiles, so ``{{ 1234.5|number }}`` is compiled per language and
    per version of the filter), the libraries' versions and the options above."""
    from .buildstate import library_versions
    from .factcache import code_version

    options = repr(sorted((k, getattr(v, "__name__", v)) for k, v in ENVIRONMENT_OPTIONS.items()))
    key = hashlib.sha256(f"{lang} {code_version()} {library_versions()} {options} "
                         "newstyle gettext".encode()).hexdigest()
    folder = cache_dir / "templates" / key[:24]
    folder.mkdir(parents=True, exist_ok=True)
    mark_used(folder)  # (removed whole once unused: see reportgen.cachetidy)
    return jinja2.FileSystemBytecodeCache(str(folder))


def page_context(content: Content, page: Page, chart_files: dict[str, str]) -> dict:
    """Everything a page template may use."""
    root = posixpath.relpath(".", posixpath.dirname(page.out_path) or ".")
    root = "" if root == "." else root + "/"
    if page.kind == "notfound":  # served at any depth: links from the site's root
        root = site_base(content)
    shown = page.facts + [f for chart in page.charts for f in chart.facts]
    notes_by_fact, notes = number_citations(shown, page.lang)
    # A figure shown only in a chart (a national program page's: its figures are on the
    # province pages) has its anchor, for the notes' links back, in the first chart's
    # data table that shows it.
    anchored = {fact.id for fact in page.facts}
    chart_anchors = {}
    for chart in page.charts:
        chart_anchors[chart.name] = {fact.id for fact in chart.facts} - anchored
        anchored |= chart_anchors[chart.name]
    pgettext = translations(page.lang).pgettext  # the menu: pgettext("nav", "Wilayah")

    def href(target) -> str:
        """Relative link from this page to a site path (within the page's language) or to
        a model object's page.  Shared files (static/, data/) are linked with ``root``."""
        path = target if isinstance(target, str) else path_for(target)
        return root + prefix(page.lang) + path

    return {
        "site": content.site,
        "site_title": localized(content.site, "title", page.lang),
        "site_description": localized(content.site, "description", page.lang),
        "content": content,
        "page": page,
        "root": root,
        "href": href,
        "languages": [(other, LANGUAGE_NAMES[other], root + prefix(other) + page.path,
                       absolute(content, prefix(other) + page.path))
                      for other in LANGUAGES],
        "og_locale": OG_LOCALES[page.lang],
        "notes_by_fact": notes_by_fact,
        "notes": notes,
        "chart_anchors": chart_anchors,
        "chart_files": chart_files,
        "has_charts": bool(page.charts),
        "chart_locale": d3_format_locale(page.lang),
        "nav": [("index.html", pgettext("nav", "Ringkasan")),
                ("index.html#regions", pgettext("nav", "Wilayah")),
                ("index.html#programs", pgettext("nav", "Program")),
                ("sources/index.html", pgettext("nav", "Sumber"))] + [
            (path_for(p), localized(p, "title", page.lang)) for p in content.pages] + [
            (SEARCH_PAGE, pgettext("nav", "Cari"))],
        "searchable": page.kind in SEARCHABLE_KINDS,
        "updated": page_updated(content, page),
        "structured_data": structured_data(content, page, href, root),
        "canonical": absolute(content, page.out_path),
        **page.extra,
    }


def render_page(env: jinja2.Environment, content: Content, page: Page,
                chart_files: dict[str, str]) -> str:
    """The HTML of one page; template mistakes become a BuildError naming the template."""
    return render_template(env, page.template, lambda: page_context(content, page, chart_files),
                           page.out_path)


def render_template(env: jinja2.Environment, name: str, make_context, output: str) -> str:
    """Render template *name* for *output* (a site path, or report.pdf); any mistake in a
    template becomes a BuildError at the template's line (RG402), never a traceback."""
    try:
        return env.get_template(name).render(make_context())
    except jinja2.TemplateSyntaxError as exc:
        raise BuildError(f"{exc.filename or exc.name}:{exc.lineno}: RG402 template error: "
                         f"{exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise BuildError(f"RG402 template '{exc.name}' not found (needed for "
                         f"{output})") from None
    except jinja2.UndefinedError as exc:
        raise BuildError(f"{name}: RG402 template error while rendering "
                         f"{output}: {exc.message}") from None
    except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError,
            AttributeError) as exc:
        # Any other mistake a template can make (1/0, a bad filter argument, a call on the
        # wrong type): reported at the template's line, never as a traceback.
        where = _template_line(exc.__traceback__) or name
        raise BuildError(f"{where}: RG402 template error while rendering {output}: "
                         f"{type(exc).__name__}: {exc}") from None


def _template_line(tb) -> str | None:
    """'file:line' of the innermost template frame of a traceback (Jinja maps template
    lines into the traceback of compiled templates)."""
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".html"):
            found = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found
