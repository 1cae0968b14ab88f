"""The data download: every fact with its citations as ``facts.json`` and ``facts.csv``.

``facts.json`` is a public contract: the fields named in :data:`JSON_FIELDS` keep their
names and meaning; new fields may be added.  Output is deterministic: facts sorted by
id, keys in a fixed order.
"""

from __future__ import annotations

import csv
import io
import json

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


def facts_json(content: Content) -> str:
    """``{"facts": [...]}`` with one fact per line: diffable, and quick to write at scale."""
    lines = ",\n".join(json.dumps(fact_record(f), ensure_ascii=False) for f in content.facts)
    return '{"facts": [\n' + lines + "\n]}\n"


CSV_COLUMNS = ["id", "region_id", "region_name", "programs", "metric", "value", "value_low",
               "value_high", "unit", "period", "status", "qualifier", "page", "sources",
               "publishers", "dates", "urls", "quotes", "note"]


def _cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def facts_csv(content: Content) -> str:
    """One row per fact; several citations are joined with ' | ' in their columns.  Text
    cells that start like a formula are prefixed with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for fact in content.facts:
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
    return out.getvalue()
