"""The shape of every content file, declared once.

Each record kind (source, region, program, metric, fact, citation) is a list of
:class:`FieldSpec`.  :mod:`reportgen.validate` checks content against these lists, and the
same lists document the format (README, contributor guide) and can be turned into a JSON
Schema for editors.  Change a field here and both follow.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import COUNT_UNITS, PROGRAM_KINDS, QUALIFIERS, REGION_KINDS, SLUG, STATUSES, UNITS


@dataclass(frozen=True)
class FieldSpec:
    """One key of a record."""

    name: str
    type: str  # see TYPES
    required: bool
    doc: str
    choices: tuple[str, ...] = ()
    missing_rule: str = "RG102"  # rule id reported when the field is absent or blank


TYPES = {
    "text": "non-empty text",
    "text?": "text, or null",
    "slug": "an id: lowercase letters, digits and hyphens",
    "slug?": "an id, or null",
    "slugs": "a non-empty list of ids",
    "texts": "a list of text",
    "bool": "true or false",
    "choice": "one of a fixed set of words",
    "choice?": "one of a fixed set of words, or null",
    "date": "a date as precise as known: YYYY, YYYY-MM or YYYY-MM-DD",
    "period": "YYYY, YYYY-MM, YYYY-MM-DD, or a span of years YYYY/YYYY",
    "url?": "an http(s) address, or null when unknown",
    "value": "a number, or a range {low: n, high: n}",
    "citations": "a non-empty list of {source, quote}",
}

SITE = [
    FieldSpec("title", "text", True, "Site title, in Indonesian."),
    FieldSpec("title_en", "text", True, "Site title in English."),
    FieldSpec("description", "text", True, "One-sentence description, in Indonesian."),
    FieldSpec("description_en", "text", True, "One-sentence description in English."),
    FieldSpec("url", "url?", False, "Address the site is published at, e.g. "
              "'https://example.org/laporan/': makes sitemap.xml and og:url absolute "
              "('reportgen build --url' takes its place)."),
]

SOURCE = [
    FieldSpec("id", "slug", True, "Unique id, e.g. publisher and date: 'antara-2024-kota-sorong'."),
    FieldSpec("publisher", "text", True, "Publisher as the page names it."),
    FieldSpec("title", "text?", True, "Headline as published; null when the page shows none."),
    FieldSpec("title_note", "text?", False, "Why the title is missing or unusual."),
    FieldSpec("date", "date", True, "Publication date as precise as the article allows."),
    FieldSpec("date_note", "text?", False, "Where the date comes from, when not a dateline."),
    FieldSpec("authors", "texts", True, "Reporters named by the article (may be empty)."),
    FieldSpec("editors", "texts", False, "Editors named by the article."),
    FieldSpec("place", "text?", False, "Dateline place."),
    FieldSpec("url", "url?", True, "Web address; null when unknown. Never invent one."),
    FieldSpec("archive", "text?", False, "File name of the article's text in the archive folder."),
    FieldSpec("note", "text?", False, "Anything a reader should know about this source."),
    FieldSpec("note_en", "text?", False, "The note in English, for the English pages."),
]

REGION = [
    FieldSpec("id", "slug", True, "Unique id, e.g. 'kota-sorong'."),
    FieldSpec("name", "text", True, "Name in Indonesian, e.g. 'Kota Sorong'."),
    FieldSpec("name_en", "text", True, "Name in English."),
    FieldSpec("kind", "choice", True, "What kind of region.", tuple(REGION_KINDS)),
    FieldSpec("parent", "slug?", True, "Id of the region it lies in today; null for the country."),
    FieldSpec("code", "text?", True, "Kemendagri region code; null when not known."),
    FieldSpec("includes", "slugs", False, "For an area: the regions it is made of."),
    FieldSpec("note", "text?", False, "History or remarks (e.g. when it was formed)."),
    FieldSpec("note_en", "text?", False, "The note in English, for the English pages."),
]

PROGRAM = [
    FieldSpec("id", "slug", True, "Unique id, e.g. 'jkk'."),
    FieldSpec("short", "text", True, "Abbreviation shown in tags, e.g. 'JKK'."),
    FieldSpec("name", "text", True, "Name in Indonesian."),
    FieldSpec("name_en", "text", True, "Name in English."),
    FieldSpec("kind", "choice", True, "Program, funding scheme, or not specified.",
              tuple(PROGRAM_KINDS)),
    FieldSpec("description", "text?", False, "What it covers, in Indonesian."),
    FieldSpec("description_en", "text?", False, "What it covers, in English."),
]

METRIC = [
    FieldSpec("id", "slug", True, "Unique id, e.g. 'participants-protected'."),
    FieldSpec("label", "text", True, "Label in Indonesian."),
    FieldSpec("label_en", "text", True, "Label in English."),
    FieldSpec("unit", "choice", True, "The unit it is normally counted in.", tuple(UNITS)),
    FieldSpec("other_units", "texts", False, "Other units articles use for it."),
    FieldSpec("description", "text?", False, "What exactly is counted."),
    FieldSpec("description_en", "text?", False, "What is counted, in English."),
]

FACT = [
    FieldSpec("id", "slug", True, "Unique id across all content; becomes the HTML anchor."),
    FieldSpec("region", "slug", True, "Id of the region the figure is about."),
    FieldSpec("programs", "slugs", True, "Ids of the programs or schemes it concerns."),
    FieldSpec("metric", "slug", True, "Id of what is counted."),
    FieldSpec("value", "value", True, "The figure: a number, or {low, high} for a range; "
              "digits without thousands separators (7500, not 7.500), whole for counts."),
    FieldSpec("unit", "choice", True, "Unit of the value.", tuple(UNITS)),
    FieldSpec("period", "period", True, "Year or date the figure refers to."),
    FieldSpec("status", "choice", True, "What kind of figure it is.", tuple(STATUSES)),
    FieldSpec("qualifier", "choice?", False, "How the article hedges it.", tuple(QUALIFIERS)),
    FieldSpec("sources", "citations", True, "Where it is reported, each with the quoted sentence.",
              missing_rule="RG301"),
    FieldSpec("note", "text?", False, "Anything odd about the figure, for readers."),
    FieldSpec("note_en", "text?", False, "The note in English, for the English pages."),
    FieldSpec("derivation", "text?", False, "How the value follows from the quote, if not literal."),
    FieldSpec("headline", "bool", False, "Show it among the headline figures of the overview."),
]

CITATION = [
    FieldSpec("source", "slug", True, "Id of the source."),
    FieldSpec("quote", "text", True, "The article's sentence stating the figure, verbatim.",
              missing_rule="RG302"),
    FieldSpec("quote_en", "text?", False, "An English translation of the quote."),
]

REGISTRIES = {
    "sources": SOURCE,
    "regions": REGION,
    "programs": PROGRAM,
    "metrics": METRIC,
}
"""Registry file name -> record fields; each file holds ``{name: [records]}``."""


# --- JSON Schema, for editors ------------------------------------------------------------

_DATE_PATTERN = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"
_PERIOD_PATTERN = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$|^\d{4}/\d{4}$"
_YEAR = {"type": "integer", "minimum": 1000, "maximum": 9999}


def _json_type(spec: FieldSpec) -> dict:
    """The JSON Schema of one field."""
    base = spec.type.rstrip("?")
    slug = {"type": "string", "pattern": SLUG.pattern}
    schemas = {
        "text": {"anyOf": [{"type": "string", "minLength": 1}, {"type": "integer"}]},
        "slug": slug,
        "slugs": {"type": "array", "items": slug, "minItems": 1},
        "texts": {"type": "array",
                  "items": {"anyOf": [{"type": "string", "minLength": 1}, {"type": "integer"}]}},
        "bool": {"type": "boolean"},
        "choice": {"enum": list(spec.choices)},
        "date": {"anyOf": [{"type": "string", "pattern": _DATE_PATTERN}, _YEAR]},
        "period": {"anyOf": [{"type": "string", "pattern": _PERIOD_PATTERN}, _YEAR]},
        "url": {"type": "string",
                "pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/$.?#\"<>\\^`{|}][^\s\"<>\\^`{|}]*$"},
        "value": {"anyOf": [
            {"type": "number"},
            {"type": "object", "properties": {"low": {"type": "number"},
                                              "high": {"type": "number"}},
             "required": ["low", "high"], "additionalProperties": False}]},
    }
    if base == "citations":
        schemas[base] = {"type": "array", "minItems": 1, "items": _record(CITATION)}
    schema = dict(schemas[base])
    if spec.type.endswith("?"):
        schema = {"anyOf": [schema, {"type": "null"}]}
    schema["description"] = spec.doc
    return schema


def _record(specs: list[FieldSpec]) -> dict:
    return {
        "type": "object",
        "properties": {spec.name: _json_type(spec) for spec in specs},
        "required": [spec.name for spec in specs if spec.required],
        "additionalProperties": False,
    }


def _whole_counts() -> dict:
    """The rule across a fact's fields that a schema can state: a value counted in people,
    families or villages is whole (RG208).  Thousands separators (RG103) it cannot see:
    ``7.500`` reaches it as the number 7.5."""
    whole = {"type": "integer"}
    return {"if": {"properties": {"unit": {"enum": list(COUNT_UNITS)}}, "required": ["unit"]},
            "then": {"properties": {"value": {"anyOf": [
                whole, {"type": "object", "properties": {"low": whole, "high": whole}}]}}}}


def json_schemas() -> dict[str, dict]:
    """A JSON Schema (draft 2020-12) per kind of content file, by file kind."""
    def document(kind: str, title: str, body: dict) -> dict:
        return {"$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": f"https://reportgen.invalid/schemas/{kind}.schema.json",
                "title": title, **body}

    def listing(key: str, specs: list[FieldSpec]) -> dict:
        items = _record(specs)
        if key == "facts":
            items["allOf"] = [_whole_counts()]
        return {"type": "object", "properties": {key: {"type": "array", "items": items}},
                "required": [key], "additionalProperties": False}

    schemas = {"site": document("site", "reportgen site.yaml", _record(SITE))}
    for key, specs in (*REGISTRIES.items(), ("facts", FACT)):
        schemas[key] = document(key, f"reportgen {key} file", listing(key, specs))
    return schemas
