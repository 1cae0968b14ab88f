"""reportgen.export on the minimal fixture: the facts.json contract and the CSV download."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from reportgen.content import load_content
from reportgen.export import CSV_COLUMNS, JSON_FIELDS, fact_record, facts_csv, facts_json

MINIMAL = Path(__file__).resolve().parent / "data" / "minimal" / "content"
CITATION_FIELDS = ["source", "publisher", "title", "date", "url", "quote"]


@pytest.fixture(scope="module")
def content():
    loaded, problems = load_content(MINIMAL)
    assert problems == []
    return loaded


@pytest.fixture(scope="module")
def records(content) -> dict[str, dict]:
    data = json.loads(facts_json(content))
    assert list(data) == ["facts"]
    return {record["id"]: record for record in data["facts"]}


@pytest.fixture(scope="module")
def rows(content) -> list[dict]:
    text = facts_csv(content)
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == CSV_COLUMNS
    return list(reader)


def test_json_facts_sorted_by_id(content):
    ids = [r["id"] for r in json.loads(facts_json(content))["facts"]]
    assert ids == ["kota-contoh-anggaran-2024", "kota-contoh-peserta-2023",
                   "kota-contoh-target-2024"]


def test_json_record_has_the_contract_fields(records):
    assert JSON_FIELDS == ("id", "region", "programs", "metric", "value", "unit", "period",
                           "status", "page", "citations")
    for record in records.values():
        # The contract fields, plus the two optional extras the exporter adds.
        assert set(record) == set(JSON_FIELDS) | {"qualifier", "note"}
        assert list(record["region"]) == ["id", "name"]
        for citation in record["citations"]:
            assert list(citation) == CITATION_FIELDS


def test_json_single_value_fact(records):
    record = records["kota-contoh-peserta-2023"]
    assert record["region"] == {"id": "kota-contoh", "name": "Kota Contoh"}
    assert record["programs"] == ["jkk"]
    assert record["metric"] == "participants-protected"
    assert record["value"] == 1000 and isinstance(record["value"], int)
    assert (record["unit"], record["period"], record["status"]) == ("people", "2023", "actual")
    assert record["page"] == "regions/kota-contoh/index.html"
    assert record["citations"] == [{
        "source": "harian-2024-03-01", "publisher": "Harian Contoh",
        "title": "Seribu Pekerja Terlindungi", "date": "2024-03-01",
        "url": "https://example.org/berita/1",
        "quote": "Tahun lalu seribu pekerja sudah terlindungi.",
    }]


def test_json_range_value_is_low_high_object(records):
    record = records["kota-contoh-target-2024"]
    assert record["value"] == {"low": 1500, "high": 2000}
    assert record["programs"] == ["jkk", "iuran-apbd"]
    assert record["qualifier"] == "about"


def test_json_unknown_url_and_title_are_null(records):
    citations = records["kota-contoh-anggaran-2024"]["citations"]
    assert [c["source"] for c in citations] == ["harian-2024-03-01", "warta-2024"]
    warta = citations[1]
    assert warta["url"] is None
    assert warta["title"] is None
    assert warta["date"] == "2024"
    assert '"url": null' in json.dumps(warta)


def test_csv_one_row_per_fact(rows):
    assert [row["id"] for row in rows] == ["kota-contoh-anggaran-2024", "kota-contoh-peserta-2023",
                                           "kota-contoh-target-2024"]
    single = rows[1]
    assert (single["value"], single["value_low"], single["value_high"]) == ("1000", "1000", "1000")
    assert single["page"] == "regions/kota-contoh/index.html"
    assert single["qualifier"] == ""


def test_csv_range_has_empty_value_and_both_ends(rows):
    target = rows[2]
    assert (target["value"], target["value_low"], target["value_high"]) == ("", "1500", "2000")
    assert target["programs"] == "jkk;iuran-apbd"
    assert target["qualifier"] == "about"


def test_csv_joins_two_citations_with_pipes(rows):
    budget = rows[0]
    assert budget["sources"] == "harian-2024-03-01 | warta-2024"
    assert budget["publishers"] == "Harian Contoh | Warta Uji"
    assert budget["dates"] == "2024-03-01 | 2024"
    assert budget["urls"] == "https://example.org/berita/1 | "
    assert budget["quotes"] == ("Pemerintah kota menganggarkan Rp2,2 miliar. | "
                                "Anggaran tahun ini 2,2 miliar rupiah.")
    assert budget["note"] == "Dilaporkan oleh dua sumber."


def test_output_is_identical_when_produced_twice(content):
    again, _ = load_content(MINIMAL)
    assert facts_json(content) == facts_json(content) == facts_json(again)
    assert facts_csv(content) == facts_csv(content) == facts_csv(again)
    assert facts_json(content).endswith("}\n")


def test_a_rebuild_takes_unchanged_lines_from_the_previous_files(content):
    """Lines of unchanged facts come from the last build's files as they are (a stale
    line there shows that it was taken); changed facts are made again; the result is
    otherwise the clean one.  A CSV row may span lines (a quote with a line break)."""
    first, second = content.facts[0], content.facts[1]
    clean_json, clean_csv = facts_json(content), facts_csv(content)
    stale_json = clean_json.replace(f'"id": "{first.id}", ', f'"id": "{first.id}", "old": 1, ')
    stale_json = stale_json.replace(f'"id": "{second.id}", ', f'"id": "{second.id}", "x": 2, ')
    rebuilt = facts_json(content, previous=stale_json, changed={second.id})
    assert f'"id": "{first.id}", "old": 1, ' in rebuilt  # taken as it was
    assert rebuilt == clean_json.replace(f'"id": "{first.id}", ', f'"id": "{first.id}", "old": 1, ')
    assert facts_json(content, previous=clean_json, changed={first.id}) == clean_json

    # The first fact's row stale and spread over two lines, one of which looks like the
    # start of the second fact's row; the second fact changed.
    rows = clean_csv.split("\n")
    assert rows[1].startswith(first.id + ",") and rows[2].startswith(second.id + ",")
    stale_row = f'{first.id},"two\n{second.id},lines"' + rows[1][len(first.id):]
    stale_second = rows[2] + "stale"
    stale_csv = "\n".join([rows[0], stale_row, stale_second] + rows[3:])
    rebuilt = facts_csv(content, previous=stale_csv, changed={second.id})
    assert rebuilt == "\n".join([rows[0], stale_row] + rows[2:])
    assert facts_csv(content, previous=stale_csv, changed={first.id, second.id}) == clean_csv
    assert list(csv.reader(io.StringIO(rebuilt)))[1][1] == f"two\n{second.id},lines"
    last = content.facts[-1]
    assert facts_csv(content, previous=clean_csv.replace(f"\n{last.id},", f"\n{last.id},x"),
                     changed={last.id}) == clean_csv  # the last row, up to the file's end


def test_a_rebuild_after_facts_were_added_or_removed_reads_the_whole_file(content):
    """Only the changed facts' lines are replaced when the file holds the same facts;
    a fact added (not in the last file) or removed (not in the content) makes the
    rebuild take every other line from the file by its id instead."""
    first, second = content.facts[0], content.facts[1]
    clean_json, clean_csv = facts_json(content), facts_csv(content)
    without_json = clean_json.replace(json.dumps(fact_record(second), ensure_ascii=False)
                                      + ",\n", "")
    without_csv = "".join(line + "\n" for line in clean_csv.split("\n")[:-1]
                          if not line.startswith(second.id + ","))
    assert without_json != clean_json and without_csv != clean_csv
    assert facts_json(content, previous=without_json, changed={second.id}) == clean_json
    assert facts_csv(content, previous=without_csv, changed={second.id}) == clean_csv
    gone = {first.id, "a-fact-removed-since"}
    assert facts_json(content, previous=clean_json, changed=gone) == clean_json
    assert facts_csv(content, previous=clean_csv, changed=gone) == clean_csv


def test_a_changed_facts_row_is_found_where_rows_start_not_inside_a_quoted_cell(content):
    """The rows of changed facts are found in the last file by their id at a line's
    start; one inside a quoted cell (after an odd number of quote marks) is not one."""
    from reportgen.export import _csv_row_in, _json_line_in

    first, second = content.facts[0], content.facts[1]
    rows = facts_csv(content).split("\n")
    trap = f'{first.id},"two\n{second.id},lines"' + rows[1][len(first.id):] + "\n"
    text = rows[0] + "\n" + trap + "\n".join(rows[2:])
    start = len(rows[0]) + 1 + len(trap)
    assert _csv_row_in(text, second.id, 0) == (start, start + len(rows[2]) + 1)
    assert _csv_row_in(text, second.id, start) == (start, start + len(rows[2]) + 1)
    assert _csv_row_in(text, "no-such-fact", 0) is None
    lines = facts_json(content).split("\n")
    at = len(lines[0]) + 1 + len(lines[1]) + 1
    assert _json_line_in("\n".join(lines), second.id, 0) == (at, at + len(lines[2]) - 1)


def test_a_rebuild_passing_the_files_as_bytes_gets_the_same_bytes(content):
    """The build passes the last files as it reads them, bytes: the changed lines are
    spliced in without decoding the rest (a stale line with a non-ASCII character there
    is kept as it is); a file whose facts were added or removed is read whole, and made
    anew if it is not UTF-8; each time the result is the str result, encoded."""
    first, second = content.facts[0], content.facts[1]
    for make, start in ((facts_json, f'{{"id": "{first.id}", '), (facts_csv, f"{first.id},")):
        clean = make(content)
        assert start in clean
        stale = clean.replace(start, start + "«lama» – ", 1)
        assert make(content, stale.encode(), {second.id}) == stale.encode()
        assert make(content, stale.encode(), {first.id}) == clean.encode()
        assert make(content, stale.encode(), set()) == stale.encode()
        # the second fact gone from the file: read whole, the stale line kept
        shorter = "".join(line + "\n" for line in stale.split("\n")[:-1]
                          if not line.startswith((f"{second.id},", f'{{"id": "{second.id}"')))
        assert shorter != stale
        assert make(content, shorter.encode(), {second.id}) == stale.encode()
        # read whole but not UTF-8 (not as a build wrote it): made anew
        assert make(content, b"\xff" + shorter.encode(), {second.id}) == clean.encode()
        assert make(content, b"", {second.id}) == make(content, b"", ()) == clean.encode()
