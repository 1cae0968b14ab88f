"""reportgen.loader.parse_yaml: node positions, and every way a YAML file can be refused."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reportgen import loader
from reportgen.loader import YamlMap, YamlSeq, parse_yaml


def write(tmp_path: Path, text: str | bytes, name: str = "file.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def parse(tmp_path: Path, text: str | bytes):
    """Parse *text* as file.yaml; returns (SourceFile or None, problems)."""
    return parse_yaml(write(tmp_path, text), "file.yaml")


def single(problems):
    assert len(problems) == 1, problems
    return problems[0]


# --- positions -------------------------------------------------------------------------

NESTED = """\
title: Contoh
items:
  - id: a
    value: {low: 1, high: 2}
  - plain
"""


def test_positions_of_keys_and_values_are_one_based(tmp_path):
    file, problems = parse(tmp_path, NESTED)
    assert problems == []
    top = file.data
    assert isinstance(top, YamlMap)
    assert top == {"title": "Contoh",
                   "items": [{"id": "a", "value": {"low": 1, "high": 2}}, "plain"]}
    assert top.loc == (1, 1)
    assert top.key_loc("title") == (1, 1)
    assert top.loc_of("title") == (1, 8)
    assert top.key_loc("items") == (2, 1)
    assert top.loc_of("items") == (3, 3)


def test_positions_inside_sequences_and_flow_mappings(tmp_path):
    file, _ = parse(tmp_path, NESTED)
    items = file.data["items"]
    assert isinstance(items, YamlSeq)
    assert items.loc == (3, 3)
    assert items.item_locs == [(3, 5), (5, 5)]
    assert items.loc_of(1) == (5, 5)
    record = items[0]
    assert record.key_loc("value") == (4, 5)
    assert record.loc_of("value") == (4, 12)
    flow = record["value"]
    assert flow.key_loc("high") == (4, 21)
    assert flow.loc_of("high") == (4, 27)


def test_missing_key_or_index_falls_back_to_the_container(tmp_path):
    file, _ = parse(tmp_path, NESTED)
    record = file.data["items"][0]
    assert record.loc_of("absent") == record.loc == (3, 5)
    assert record.key_loc("absent") == (3, 5)
    assert file.data["items"].loc_of(7) == (3, 3)


def test_dates_stay_strings(tmp_path):
    file, problems = parse(tmp_path, "date: 2024-03-01\nstamp: 2024-03-01 10:00:00\n"
                                     "year: 2024\nflow: {d: 2023-12-31}\n")
    assert problems == []
    assert file.data == {"date": "2024-03-01", "stamp": "2024-03-01 10:00:00", "year": 2024,
                         "flow": {"d": "2023-12-31"}}
    assert isinstance(file.data["date"], str)
    assert isinstance(file.data["year"], int)


def test_floats_keep_the_text_they_were_written_as(tmp_path):
    """7.500 and 7.5 are the same float; the text tells a thousands separator apart."""
    file, problems = parse(tmp_path, "a: 7.500\nb: 7.5\nc: 7500\nd: '7.500'\n"
                                     "e: {low: 1.250, high: 2}\n")
    assert problems == []
    assert file.data == {"a": 7.5, "b": 7.5, "c": 7500, "d": "7.500",
                         "e": {"low": 1.25, "high": 2}}
    assert [file.data.text_of(key) for key in "abcd"] == ["7.500", "7.5", None, None]
    assert file.data["e"].text_of("low") == "1.250"
    assert file.data["e"].text_of("high") is None
    assert file.data.text_of("absent") is None


# --- duplicate keys and invalid YAML ---------------------------------------------------

def test_duplicate_key_is_rg003_at_the_second_key(tmp_path):
    file, problems = parse(tmp_path, "a: 1\nb: 2\na: 3\n")
    problem = single(problems)
    assert (problem.rule, problem.path, problem.line, problem.column) == ("RG003", "file.yaml", 3, 1)
    assert "'a'" in problem.message
    assert "first at line 1" in problem.hint
    assert file is not None and set(file.data) == {"a", "b"}


def test_duplicate_key_in_a_nested_mapping(tmp_path):
    _, problems = parse(tmp_path, "facts:\n  - id: x\n    value: 1\n    id: y\n")
    problem = single(problems)
    assert (problem.rule, problem.line, problem.column) == ("RG003", 4, 5)
    assert "first at line 2" in problem.hint


@pytest.mark.parametrize("text, line", [
    ("a: 1\n  b: 2\n", 2),  # mapping value where none is allowed
    ("a: 1\nb: [1, 2\nc: 3\n", 3),  # unclosed flow sequence
    ("a: 1\nb: 2\n- c\n", 3),  # a list item after mapping keys
])
def test_invalid_yaml_is_rg002_with_its_line(tmp_path, text, line):
    file, problems = parse(tmp_path, text)
    problem = single(problems)
    assert file is None
    assert (problem.rule, problem.line) == ("RG002", line)
    assert problem.message.startswith("YAML does not parse")


def test_non_utf8_byte_is_rg001_with_line_and_column(tmp_path):
    file, problems = parse(tmp_path, b"a: 1\nbc: caf\xe9\n")
    problem = single(problems)
    assert file is None
    assert (problem.rule, problem.line, problem.column) == ("RG001", 2, 8)
    assert "0xe9" in problem.message
    assert "UTF-8" in problem.hint


def test_byte_order_mark_is_accepted(tmp_path):
    file, problems = parse(tmp_path, "\ufeffa: 1\n")
    assert problems == []
    assert file.data == {"a": 1}


@pytest.mark.parametrize("text", ["", "\n\n   \n", "# only a comment\n\n  # another\n"],
                         ids=["empty", "blank", "comments"])
def test_empty_file_is_rg004(tmp_path, text):
    file, problems = parse(tmp_path, text)
    problem = single(problems)
    assert file is None
    assert (problem.rule, problem.line, problem.column) == ("RG004", 1, 1)
    assert problem.message == "file is empty"


def test_file_over_size_limit_is_rg002(tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 100)
    file, problems = parse(tmp_path, "a: " + "x" * 200 + "\n")
    problem = single(problems)
    assert file is None
    assert problem.rule == "RG002"
    assert "more than the limit of 100" in problem.message
    assert parse(tmp_path, "a: 1\n")[1] == []  # a small file still passes


# --- unsafe YAML -----------------------------------------------------------------------

def test_python_tag_is_rg005_and_not_executed(tmp_path, capfd):
    marker = tmp_path / "pwned"
    text = ('x: !!python/object/apply:os.system ["echo hi"]\n'
            f'y: !!python/object/apply:os.system ["touch {marker}"]\n')
    file, problems = parse(tmp_path, text)
    assert [(p.rule, p.line, p.column) for p in problems] == [("RG005", 1, 4), ("RG005", 2, 4)]
    assert "python/object/apply:os.system" in problems[0].message
    assert file.data == {"x": loader.REJECTED, "y": loader.REJECTED}
    assert not marker.exists()
    assert "hi" not in capfd.readouterr().out


def test_custom_tag_and_merge_key_are_rg005(tmp_path):
    _, problems = parse(tmp_path, "a: !secret value\nbase: &b {x: 1}\nc:\n  <<: *b\n")
    assert [(p.rule, p.line) for p in problems] == [("RG005", 1), ("RG005", 4)]
    assert "'!secret'" in problems[0].message
    assert "merge keys" in problems[1].message


def billion_laughs() -> str:
    """Nine levels of nine aliases each: 9**9 strings once expanded."""
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_rg005_and_fast(tmp_path):
    started = time.perf_counter()
    file, problems = parse(tmp_path, billion_laughs())
    elapsed = time.perf_counter() - started
    problem = single(problems)
    assert file is None
    assert problem.rule == "RG005"
    assert f"more than {loader.MAX_NODES:,} YAML nodes" in problem.message
    assert elapsed < 5, f"alias bomb took {elapsed:.1f}s"


def test_node_limit_counts_aliases_each_time(tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "MAX_NODES", 50)
    text = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*a, *a, *a, *a, *a]\n"
    file, problems = parse(tmp_path, text)
    problem = single(problems)
    assert file is None
    assert problem.rule == "RG005"
    assert "more than 50 YAML nodes" in problem.message
    file, problems = parse(tmp_path, "a: &a [1, 2]\nb: [*a, *a]\n")  # well under the limit
    assert problems == [] and file.data == {"a": [1, 2], "b": [[1, 2], [1, 2]]}


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n",
                                  "a: " + "[" * 3000 + "]" * 3000 + "\n"],
                         ids=["recursive-seq", "recursive-map", "deep-nesting"])
def test_recursive_or_deep_yaml_is_a_problem_not_a_crash(tmp_path, text):
    file, problems = parse(tmp_path, text)
    assert file is None
    assert [p.rule for p in problems] in (["RG005"], ["RG002"])
