"""Field-level checks: one record against its :mod:`~reportgen.schema` field list.

:class:`RecordChecker` turns a parsed mapping into clean Python values (periods parsed,
numbers made exact) and records a located :class:`~reportgen.errors.Problem` for every
unknown key, missing field, wrong type or impossible value.  Checks that span records
(references, duplicate ids, quotes) live in :mod:`reportgen.content`.
"""

from __future__ import annotations

import difflib
import math
import re

from . import schema
from .errors import Problem
from .loader import REJECTED, SourceFile, YamlMap, YamlSeq
from .model import SLUG, Period, Value

DATE = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?$")
_SPAN = re.compile(r"^(\d{4})/(\d{4})$")
_URL = re.compile(r"^https?://[^\s/$.?#\"<>\\^`{|}][^\s\"<>\\^`{|}]*$", re.IGNORECASE)
"""An http(s) address without spaces or the characters URLs must percent-encode."""


_SCHEME = re.compile(r"^\s*([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_GROUPED = re.compile(r"^[-+]?[1-9]\d{0,2}([.,])\d{3}(?:\1\d{3})*$")
"""Digits grouped in threes by dots or by commas: 7.500, 1.250.000, 7,500."""


def is_http_address(text: str) -> bool:
    """Whether *text* is an http(s) address as the content's ``url`` fields take them."""
    return bool(_URL.match(text))


def link_allowed(url: str) -> bool:
    """A link a Markdown page may make: an http(s) address, or a path or anchor in the site."""
    scheme = _SCHEME.match(url)
    return scheme is None or scheme[1].lower() in ("http", "https")


def bad_character(text: str) -> str | None:
    """The first character no page may hold (a control character other than tab and line
    breaks, a lone surrogate, a Unicode noncharacter), as 'U+XXXX'; None if there is none."""
    for char in text:
        code = ord(char)
        if (code < 32 and char not in "\t\n\r") or 0x7F <= code <= 0x9F or \
                0xD800 <= code <= 0xDFFF or 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE:
            return f"U+{code:04X}"
    return None


def without_separators(text: str) -> str | None:
    """*text* as it should be written when it is a whole number with its thousands grouped
    by dots or commas ('7.500' -> '7500', '-1,250,000' -> '-1250000'); None otherwise."""
    grouped = _GROUPED.match(text)
    return text.replace(grouped[1], "").lstrip("+") if grouped else None


def did_you_mean(word: object, choices) -> str:
    """A 'did you mean ...' hint for a near-miss name, or ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def parse_period(text: str) -> Period | None:
    """A Period from 'YYYY', 'YYYY-MM', 'YYYY-MM-DD' or 'YYYY/YYYY'; None if malformed."""
    if (span := _SPAN.match(text)) and int(span[1]) < int(span[2]):
        return Period(text, int(span[1]), int(span[2]))
    if match := DATE.match(text):
        return Period(text, int(match[1]), int(match[1]))
    return None


class RecordChecker:
    """Collects problems for one file while records are checked against their FieldSpecs."""

    def __init__(self, file: SourceFile, problems: list[Problem]):
        self.file = file
        self.problems = problems

    def problem(self, loc, rule, message, hint="", severity="error"):
        self.problems.append(
            Problem(self.file.display, loc[0], loc[1], rule, message, hint, severity))

    def record(self, data: object, loc, specs: list[schema.FieldSpec], kind: str) -> dict | None:
        """Check one mapping against *specs*; returns the cleaned values, or None if unusable."""
        values, whole = self.fields(data, loc, specs, kind)
        return values if whole else None

    def fields(self, data: object, loc, specs: list[schema.FieldSpec],
               kind: str) -> tuple[dict | None, bool]:
        """Check one mapping against *specs*: (the cleaned values of the fields that are
        right, or None if it is not a mapping at all; whether every field is right).  The
        caller can go on checking what the good fields refer to, so that one run reports
        every problem of a record."""
        if data is REJECTED:
            return None, False
        if not isinstance(data, YamlMap):
            self.problem(loc, "RG103", f"a {kind} must be a mapping of fields",
                         f"write it as 'key: value' lines; fields: {', '.join(s.name for s in specs)}")
            return None, False
        known = {spec.name: spec for spec in specs}
        ok = True
        for key in data:
            if key not in known:
                hint = did_you_mean(key, known) or f"allowed: {', '.join(known)}"
                self.problem(data.key_loc(key), "RG101", f"unknown key '{key}' in {kind}", hint)
                ok = False
        values: dict = {}
        for spec in specs:
            blank = spec.name in data and data[spec.name] in (None, "", [])
            if spec.name not in data or (blank and spec.missing_rule != "RG102"):
                if spec.required:
                    where = data.loc_of(spec.name) if spec.name in data else data.loc
                    message = (f"{kind} is missing required field '{spec.name}'"
                               if spec.missing_rule == "RG102" else f"{kind} has no {spec.name}")
                    self.problem(where, spec.missing_rule, message,
                                 f"add '{spec.name}:' ({schema.TYPES[spec.type]})")
                    ok = False
                continue
            value = data[spec.name]
            checked = self.field(spec, value, data.loc_of(spec.name), kind)
            if checked is _BAD:
                ok = False
            else:
                values[spec.name] = checked
        return values, ok

    def field(self, spec: schema.FieldSpec, value: object, loc, kind: str):
        """Check one value against its spec; returns the clean value or _BAD."""
        kind_name = f"'{spec.name}' of {kind}"
        if value is REJECTED:
            return _BAD
        optional = spec.type.endswith("?")
        if value is None and optional:
            return None
        base = spec.type.rstrip("?")
        if base in ("text", "slug", "date", "period", "url", "choice"):
            if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
                return self.wrong(loc, kind_name, spec)
            text = str(value).strip()
            if base == "text" and (char := bad_character(text)):
                self.problem(loc, "RG103", f"{kind_name} contains the control character {char}",
                             "delete it: content holds printable text only")
                return _BAD
            if base == "slug" and not SLUG.match(text):
                self.problem(loc, "RG105", f"{kind_name} is not a slug: {text!r}",
                             "use lowercase letters, digits and hyphens, e.g. 'kota-sorong'")
                return _BAD
            if base == "date" and not DATE.match(text):
                self.problem(loc, "RG205", f"{kind_name} is not a date: {text!r}",
                             "write YYYY, YYYY-MM or YYYY-MM-DD")
                return _BAD
            if base == "period":
                period = parse_period(text)
                if period is None:
                    self.problem(loc, "RG205", f"{kind_name} is not a period: {text!r}",
                                 "write YYYY, YYYY-MM, YYYY-MM-DD, or a span of years as YYYY/YYYY")
                    return _BAD
                return period
            if base == "url" and not is_http_address(text):
                self.problem(loc, "RG107", f"{kind_name} must be an http(s) address: {text!r}",
                             "use null when the address is unknown; write spaces and "
                             "\" < > \\ ^ ` { | } as %20, %22 and so on")
                return _BAD
            if base == "choice" and text not in spec.choices:
                hint = did_you_mean(text, spec.choices) or f"one of: {', '.join(spec.choices)}"
                self.problem(loc, "RG107", f"{kind_name} cannot be {text!r}", hint)
                return _BAD
            return text
        if base == "bool":
            return value if isinstance(value, bool) else self.wrong(loc, kind_name, spec)
        if base in ("texts", "slugs"):
            if not isinstance(value, YamlSeq) or (base == "slugs" and not value):
                return self.wrong(loc, kind_name, spec)
            items = []
            item_spec = schema.FieldSpec(spec.name, "slug" if base == "slugs" else "text", True, "")
            for index, item in enumerate(value):
                checked = self.field(item_spec, item, value.loc_of(index), kind)
                if checked is _BAD:
                    return _BAD
                items.append(checked)
            return items
        if base == "value":
            return self.value(value, loc, kind_name)
        if base == "citations":
            if not isinstance(value, YamlSeq) or not value:
                self.problem(loc, "RG301", f"{kind} has no sources",
                             "every figure needs at least one '- source: ID' with its 'quote:'")
                return _BAD
            return value
        raise AssertionError(f"unknown field type {spec.type}")  # a bug in schema.py

    def value(self, value: object, loc, kind_name: str):
        if isinstance(value, YamlMap):
            extra = set(value) - {"low", "high"}
            if extra or not {"low", "high"} <= set(value):
                self.problem(loc, "RG103", f"{kind_name} range must have exactly 'low' and 'high'",
                             "write value: {low: 1500, high: 2000}")
                return _BAD
            low = self.number(value["low"], value.loc_of("low"), kind_name)
            high = self.number(value["high"], value.loc_of("high"), kind_name)
            if low is _BAD or high is _BAD:
                return _BAD
            if low > high:
                self.problem(loc, "RG204", f"{kind_name} range low {low} exceeds high {high}",
                             "swap them")
                return _BAD
            return Value(low, high)
        number = self.number(value, loc, kind_name)
        return _BAD if number is _BAD else Value(number, number)

    def number(self, value: object, loc, kind_name: str):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            digits = without_separators(value) if isinstance(value, str) else None
            self.problem(loc, "RG103", f"{kind_name} must be a number, not {value!r}",
                         f"write digits without separators: {digits or '530000, 2200000000, 70'}")
            return _BAD
        try:
            finite = math.isfinite(value)
        except OverflowError:  # an integer beyond any float
            self.problem(loc, "RG201", f"{kind_name} is too large to be a figure "
                         f"({len(str(abs(value)))} digits)", "write the figure")
            return _BAD
        if not finite:
            self.problem(loc, "RG201", f"{kind_name} is not a finite number")
            return _BAD
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return value

    def wrong(self, loc, kind_name, spec):
        self.problem(loc, "RG103", f"{kind_name} must be {schema.TYPES[spec.type]}")
        return _BAD


_BAD = object()
"""Marker for a value that failed its check (None is a legitimate value)."""


def top_level_records(file: SourceFile, key: str, checker: RecordChecker):
    """The records listed under *key* at the top of *file*, each with its location."""
    data = file.data
    if not isinstance(data, YamlMap) or key not in data:
        checker.problem((1, 1), "RG102", f"file must hold a top-level '{key}:' list",
                        f"start the file with '{key}:' and list the records under it")
        return []
    for extra in data:
        if extra != key:
            checker.problem(data.key_loc(extra), "RG101", f"unknown top-level key '{extra}'",
                            did_you_mean(extra, [key]) or f"this file holds only '{key}:'")
    items = data[key]
    if not isinstance(items, YamlSeq):
        checker.problem(data.loc_of(key), "RG103", f"'{key}' must be a list of records",
                        "put each record after a '- ' on its own line")
        return []
    return [(item, items.loc_of(i)) for i, item in enumerate(items)]
