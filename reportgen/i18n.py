"""The site's two languages: which exist, where their pages go, and their message catalogs.

Indonesian is the primary language: its pages sit at the site's root and the interface
strings are written in Indonesian, in the templates (``{{ _("Sumber") }}``) and in the
code (``_ = translator(lang)`` then ``_("Sumber")``).  Every page also exists in English
under ``en/``.  The English strings come from the gettext catalog
``reportgen/locale/en/LC_MESSAGES/messages.po``, made and kept up to date with Babel's
tools (``./tasks i18n`` extracts the strings into ``messages.pot`` and updates the
catalog; a test fails when a string is missing, untranslated or marked fuzzy).  The
catalog is compiled in memory when a build starts, so no compiled ``.mo`` file can go
stale.

Content carries both languages itself (``name``/``name_en``, ``label``/``label_en``,
``quote``/``quote_en``, ...): :func:`localized` picks the right one.  Quotes always stay
in their original Indonesian; a translation is shown beside them, never instead.
"""

from __future__ import annotations

import gettext as _gettext
import io
from functools import lru_cache
from pathlib import Path
from typing import Callable

LANGUAGES = ("id", "en")
"""Every language the site is built in; the first is the primary one (the site's root)."""
PRIMARY = LANGUAGES[0]

LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
"""How each language names itself, for the language switch."""

OG_LOCALES = {"id": "id_ID", "en": "en_GB"}
"""Open Graph locale of each language."""

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def prefix(lang: str) -> str:
    """Where a language's pages go, relative to the site's root: '' or 'en/'."""
    return "" if lang == PRIMARY else f"{lang}/"


def split_path(out_path: str) -> tuple[str, str]:
    """(language, path without the language folder) of a site path."""
    for lang in LANGUAGES[1:]:
        if out_path.startswith(prefix(lang)):
            return lang, out_path[len(prefix(lang)):]
    return PRIMARY, out_path


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def translations(lang: str) -> _gettext.NullTranslations:
    """The interface strings of *lang*.  The primary language is the strings themselves;
    another is its catalog, compiled here.  Fuzzy entries are left out (Babel skips
    them), so an unchecked translation shows the Indonesian string, never a wrong one."""
    if lang == PRIMARY:
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with catalog_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def translator(lang: str) -> Callable[[str], str]:
    """``_`` for Python code: ``_ = translator(lang)``, then ``_("Sumber")``."""
    return translations(lang).gettext


_EN_FIELDS = {"name": "name_en", "label": "label_en", "title": "title_en",
              "description": "description_en", "note": "note_en", "quote": "quote_en",
              "markdown": "markdown_en"}


def localized(thing, field: str, lang: str):
    """*thing*'s *field* in *lang*: ``name_en`` for English when it is given, else the
    Indonesian ``name``.  Works for every model class with paired fields."""
    if lang != PRIMARY:
        value = getattr(thing, _EN_FIELDS[field], None)
        if value:
            return value
    return getattr(thing, field)


def is_translated(thing, field: str, lang: str) -> bool:
    """Whether :func:`localized` gives *lang*'s own text (False: the Indonesian stands in)."""
    return lang == PRIMARY or bool(getattr(thing, _EN_FIELDS[field], None))


# --- Keeping the catalogs up to date (./tasks i18n) ---------------------------------------

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCES = (("reportgen", "*.py", "python"), ("templates", "**/*.html", "jinja2.ext:babel_extract"))
"""Where interface strings are: (folder, pattern, Babel extraction method)."""
_JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True",
                  "lstrip_blocks": "True"}


def extract_messages(root: Path = PROJECT_ROOT):
    """Every translatable string of the code and the templates, as a Babel catalog."""
    import datetime

    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file

    fixed = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)  # no clock time
    catalog = Catalog(project="reportgen", domain=DOMAIN, creation_date=fixed,
                      revision_date=fixed, charset="utf-8", fuzzy=False, version="",
                      header_comment="# The interface strings of reportgen's site, in "
                      "Indonesian (made by ./tasks i18n: do not edit).",
                      msgid_bugs_address="", last_translator="", language_team="")
    for folder, pattern, method in SOURCES:
        for path in sorted((root / folder).glob(pattern)):
            options = _JINJA_OPTIONS if method.startswith("jinja2") else {}
            relative = path.relative_to(root).as_posix()
            for lineno, message, comments, context in extract_from_file(
                    method, str(path), DEFAULT_KEYWORDS, options=options):
                catalog.add(message, None, [(relative, lineno)], auto_comments=comments,
                            context=context)
    return catalog


def update_catalogs(root: Path = PROJECT_ROOT) -> list[str]:
    """Write ``messages.pot`` and merge it into every language's catalog (new strings
    arrive untranslated, vanished ones are dropped).  Returns the strings that still
    need a translation, as 'lang: msgid'."""
    from babel.messages.pofile import read_po, write_po

    template = extract_messages(root)
    (root / "reportgen" / "locale").mkdir(exist_ok=True)
    with (root / "reportgen" / "locale" / f"{DOMAIN}.pot").open("wb") as handle:
        write_po(handle, template, width=88, sort_output=True)
    missing = []
    for lang in LANGUAGES[1:]:
        path = root / "reportgen" / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=lang, domain=DOMAIN)
        else:
            from babel.messages.catalog import Catalog

            catalog = Catalog(locale=lang, domain=DOMAIN, project="reportgen")
        catalog.update(template, no_fuzzy_matching=True)
        for attribute in ("creation_date", "revision_date", "fuzzy", "version",
                          "msgid_bugs_address", "last_translator", "language_team"):
            setattr(catalog, attribute, getattr(template, attribute))
        catalog.header_comment = (f"# The interface strings of reportgen's site in {lang!r}: "
                                  "write each msgstr; ./tasks i18n adds new strings.")
        with path.open("wb") as handle:
            write_po(handle, catalog, width=88, sort_output=True, ignore_obsolete=True)
        missing += [f"{lang}: {m.id}" for m in catalog if m.id and not is_complete(m)]
    return missing


def is_complete(message) -> bool:
    """Whether a catalog entry is translated (every plural form) and not marked fuzzy."""
    strings = message.string if isinstance(message.string, (tuple, list)) else [message.string]
    return not message.fuzzy and all(strings)


if __name__ == "__main__":  # python -m reportgen.i18n: what ./tasks i18n runs
    import sys

    untranslated = update_catalogs()
    for line in untranslated:
        print(f"untranslated {line}")
    print(f"catalogs updated; {len(untranslated)} string(s) to translate", file=sys.stderr)
