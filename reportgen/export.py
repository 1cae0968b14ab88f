"""The data download: every fact with its citations as ``facts.json`` and ``facts.csv``.

``facts.json`` is a public contract: the fields named in :data:`JSON_FIELDS` keep their
names and meaning; new fields may be added.  Output is deterministic: facts sorted by
id, keys in a fixed order.

Each fact's line (JSON) or row (CSV) depends on that fact and the registries only.  So an
incremental build, whose registries are the last build's, passes the files the last
build wrote as *previous*, with the ids of the facts that changed since (*changed*): the
other facts' lines are taken from it as they are, instead of being made again (at
national scale, most of the time these files take).  When the facts are the ones the
file holds (none added or removed, so none moved), only the changed facts' lines are
found in it and replaced (:func:`_spliced`); otherwise the file is read line by line.
The result is what a clean build writes, byte for byte.  The build passes the files as
it reads them, bytes, and gets bytes back: at national scale they are tens of megabytes,
and only the changed lines are encoded.
"""

from __future__ import annotations

import csv
import io
import json
from bisect import bisect_left
from typing import Collection

from .model import Content, Fact
from .pages import home_path

JSON_FIELDS = ("id", "region", "programs", "metric", "value", "unit", "period", "status",
               "page", "citations")


def fact_record(fact: Fact) -> dict:
    """One fact as published in facts.json."""
    return {
        "id": fact.id,
        "region": {"id": fact.region.id, "name": fact.region.name},
        "programs": [p.id for p in fact.programs],
        "metric": fact.metric.id,
        "value": fact.value.as_json(),
        "unit": fact.unit,
        "period": fact.period.text,
        "status": fact.status,
        "qualifier": fact.qualifier,
        "note": fact.note,
        "page": home_path(fact),
        "citations": [
            {"source": c.source.id, "publisher": c.source.publisher, "title": c.source.title,
             "date": c.source.date, "url": c.source.url, "quote": c.quote}
            for c in fact.citations
        ],
    }


def facts_json(content: Content, previous: str | bytes | None = None,
               changed: Collection[str] = ()) -> str | bytes:
    """``{"facts": [...]}`` with one fact per line: diffable, and quick to write at scale.
    With *previous*, the lines of facts not in *changed* come from it (see above); bytes
    when *previous* is bytes."""
    return _made_again(content, previous, changed, _json_line_in, _json_line, _json_file)


def _json_file(content: Content, previous: str | None, changed: Collection[str]) -> str:
    """facts.json made line by line, the lines of unchanged facts taken from *previous*
    by their ids."""
    kept = _json_lines(previous) if previous else {}
    lines = ",\n".join(
        kept[f.id] if f.id in kept and f.id not in changed
        else _json_line(f) for f in content.facts)
    return '{"facts": [\n' + lines + "\n]}\n"


def _json_line(fact: Fact) -> str:
    return json.dumps(fact_record(fact), ensure_ascii=False)


def _json_line_in(text: str, fact_id: str, start: int) -> tuple[int, int] | None:
    """Where the line of *fact_id* is in a facts.json, from *start* on: (start, end),
    without its comma.  A line break in the file always ends a line (JSON writes one
    inside a string as an escape), so the line is the one that starts with its id."""
    line_end, comma = _kind(text, "\n"), _kind(text, ",")
    at = text.find(_kind(text, f'\n{_JSON_LINE_START}{fact_id}"'), start)
    if at < 0:
        return None
    end = text.find(line_end, at + 1)
    if end < 0:
        return None
    return at + 1, end - 1 if text[end - 1:end] == comma else end


def _json_lines(text: str) -> dict[str, str]:
    """Fact id -> its line, in a facts.json as :func:`facts_json` writes it (each line
    starts with the fact's id, a slug: nothing in it is escaped)."""
    lines = {}
    for line in text.split("\n")[1:-2]:
        if line.startswith(_JSON_LINE_START):
            line = line[:-1] if line.endswith(",") else line
            lines[line[len(_JSON_LINE_START):line.index('"', len(_JSON_LINE_START))]] = line
    return lines


_JSON_LINE_START = '{"id": "'



CSV_COLUMNS = ["id", "region_id", "region_name", "programs", "metric", "value", "value_low",
               "value_high", "unit", "period", "status", "qualifier", "page", "sources",
               "publishers", "dates", "urls", "quotes", "note"]


def _cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe.  Line
    breaks become line feeds: the CSV writer quotes a cell with a line feed, not one
    with a lone carriage return, which would end the row in a spreadsheet."""
    if not isinstance(value, str):
        return value
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if value[:1] in ("=", "+", "-", "@", "\t"):
        return "'" + value
    return value


def facts_csv(content: Content, previous: str | bytes | None = None,
              changed: Collection[str] = ()) -> str | bytes:
    """One row per fact; several citations are joined with ' | ' in their columns.  Text
    cells that start like a formula are prefixed with an apostrophe.  With *previous*,
    the rows of facts not in *changed* come from it (see above); bytes when *previous* is
    bytes."""
    return _made_again(content, previous, changed, _csv_row_in, _csv_row, _csv_file)


def _csv_file(content: Content, previous: str | None, changed: Collection[str]) -> str:
    """facts.csv made row by row, the rows of unchanged facts taken from *previous* by
    their ids."""
    kept = _csv_rows(previous) if previous else {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for fact in content.facts:
        if fact.id in kept and fact.id not in changed:
            out.write(kept[fact.id])
        else:
            _write_csv_row(writer, fact)
    return out.getvalue()


def _csv_row(fact: Fact) -> str:
    out = io.StringIO()
    _write_csv_row(csv.writer(out, lineterminator="\n"), fact)
    return out.getvalue()


def _write_csv_row(writer, fact: Fact) -> None:
    cites = fact.citations
    writer.writerow([_cell(value) for value in [
        fact.id, fact.region.id, fact.region.name, ";".join(p.id for p in fact.programs),
        fact.metric.id, "" if fact.value.is_range else fact.value.low, fact.value.low,
        fact.value.high, fact.unit, fact.period.text, fact.status, fact.qualifier or "",
        home_path(fact), " | ".join(c.source.id for c in cites),
        " | ".join(c.source.publisher for c in cites), " | ".join(c.source.date for c in cites),
        " | ".join(c.source.url or "" for c in cites), " | ".join(c.quote for c in cites),
        fact.note or "",
    ]])


def _csv_row_in(text: str, fact_id: str, start: int) -> tuple[int, int] | None:
    """Where the row of *fact_id* is in a facts.csv, from *start* on, which is where a
    row starts: (start, end), its line break included.  A row starts where a line does
    outside a quoted cell, where an even number of quote marks precede it (a quote mark
    inside a cell is written twice)."""
    needle, line_end, quote = (_kind(text, f"\n{fact_id},"), _kind(text, "\n"),
                               _kind(text, '"'))
    at, quotes = max(start - 1, 0), 0  # (from the line break that ends the row before)
    while True:
        found = text.find(needle, at)
        if found < 0:
            return None
        quotes += text.count(quote, at, found)
        at = found + 1
        if quotes % 2 == 0:
            break
    end = text.find(line_end, at)
    while end >= 0 and text.count(quote, at, end) % 2:  # a line break inside a quoted cell
        end = text.find(line_end, end + 1)
    return (at, end + 1) if end >= 0 else None


def _made_again(content: Content, previous: str | bytes | None, changed: Collection[str],
                locate, make_line, whole) -> str | bytes:
    """A data file made from the last build's (*previous*: None, str, or bytes as the
    build reads it, and then the result is bytes): the *changed* facts' lines spliced
    into it (found by ``locate``, made by ``make_line``) when it holds the same facts,
    else the file made line by line by ``whole`` (from it decoded, or anew if it is not
    UTF-8).  Spliced as bytes, only the changed lines are encoded; the rest of the file
    is the one the last build wrote (its size checked: see BuildState.intact)."""
    as_bytes = isinstance(previous, bytes)
    if previous:
        make = (lambda fact: make_line(fact).encode("utf-8")) if as_bytes else make_line
        spliced = _spliced(previous, content.facts, changed, locate, make)
        if spliced is not None:
            return spliced
    if as_bytes:
        try:
            previous = previous.decode("utf-8")
        except UnicodeDecodeError:  # (not as a build wrote it: made anew)
            previous = None
    made = whole(content, previous or None, changed)
    return made.encode("utf-8") if as_bytes else made


def _kind(text: str | bytes, piece: str) -> str | bytes:
    """*piece* as the same kind of string as *text*, to look for it there."""
    return piece if isinstance(text, str) else piece.encode("utf-8")


def _spliced(previous: str | bytes, facts: list[Fact], changed: Collection[str], locate,
             make) -> str | bytes | None:
    """*previous* with the lines of the *changed* facts made again (``make(fact)``, of
    the same kind of string), found in it in order (``locate(text, id, start)``; *facts*
    sorted by id, as a file lists them); None unless every changed fact is both in
    *facts* and in the file, that is, unless the file holds the same facts in the same
    order, none added or removed."""
    if not changed:
        return previous
    again = []  # (in the file's order: by id, as the content's facts are)
    for changed_id in sorted(set(changed)):
        at = bisect_left(facts, changed_id, key=lambda fact: fact.id)
        if at == len(facts) or facts[at].id != changed_id:
            return None  # a fact removed
        again.append(facts[at])
    pieces, at = [], 0
    for fact in again:
        found = locate(previous, fact.id, at)
        if found is None:
            return None  # a fact added
        start, end = found
        pieces += [previous[at:start], make(fact)]
        at = end
    pieces.append(previous[at:])
    return previous[:0].join(pieces)


def _csv_rows(text: str) -> dict[str, str]:
    """Fact id -> its row as written (a row spans several lines where a cell holds a line
    break), in a facts.csv as :func:`facts_csv` writes it."""
    lines = [line + "\n" for line in text.split("\n")[:-1]]
    reader = csv.reader(lines)
    rows, start = {}, 1
    next(reader, None)  # the header
    for row in reader:
        rows[row[0]] = "".join(lines[start:reader.line_num])
        start = reader.line_num
    return rows
