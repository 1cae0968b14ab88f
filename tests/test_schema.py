"""JSON Schema of the content files, generated from reportgen/schema.py."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from reportgen.schema import json_schemas
from tests.conftest import CONTENT, DATA, ROOT, run_cli

MINIMAL = DATA / "minimal" / "content"
INVALID = DATA / "invalid"
SCHEMAS = ROOT / "schemas"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
KINDS = {"site", "sources", "regions", "programs", "metrics", "facts"}


def kind_of(path: Path) -> str:
    return "facts" if path.parent.name == "facts" else path.stem


def validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(json_schemas()[kind])


def content_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yaml")) + sorted((folder / "facts").glob("*.yaml"))


def test_every_schema_is_a_valid_draft_2020_12_schema():
    schemas = json_schemas()
    assert set(schemas) == KINDS
    for kind, schema in schemas.items():
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == DRAFT
        assert schema["$id"].endswith(f"/{kind}.schema.json")


@pytest.mark.parametrize("path", content_files(CONTENT) + content_files(MINIMAL),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_content_files_validate(path: Path):
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = [e.message for e in validator(kind_of(path)).iter_errors(document)]
    assert errors == []


def test_real_content_has_every_kind():
    assert {kind_of(p) for p in content_files(CONTENT)} == KINDS


def minimal_facts() -> dict:
    return yaml.safe_load((MINIMAL / "facts" / "kota-contoh.yaml").read_text(encoding="utf-8"))


def _unknown_key(fact):
    fact["regoin"] = fact.pop("region")


def _missing_field(fact):
    del fact["metric"]


def _words_for_value(fact):
    fact["value"] = "banyak"


def _non_slug_id(fact):
    fact["id"] = "Kota_Contoh 2023"


def _status_not_in_enum(fact):
    fact["status"] = "realisasi"


def _empty_sources(fact):
    fact["sources"] = []


def _citation_without_quote(fact):
    del fact["sources"][0]["quote"]


def _range_with_extra_key(fact):
    fact["value"] = {"low": 1, "high": 2, "mid": 1.5}


BREAKAGES = [_unknown_key, _missing_field, _words_for_value, _non_slug_id, _status_not_in_enum,
             _empty_sources, _citation_without_quote, _range_with_extra_key]


@pytest.mark.parametrize("break_it", BREAKAGES, ids=lambda f: f.__name__.strip("_"))
def test_broken_fact_is_rejected_by_the_schema_and_the_checker(break_it, tmp_path):
    document = minimal_facts()
    assert validator("facts").is_valid(document)
    broken = copy.deepcopy(document)
    break_it(broken["facts"][0])
    assert not validator("facts").is_valid(broken)
    # The checker agrees with the schema.
    content = tmp_path / "content"
    shutil.copytree(MINIMAL, content)
    (content / "facts" / "kota-contoh.yaml").write_text(
        yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    result = run_cli("check", "--content", content)
    assert result.exit_code == 1, result.output


def test_broken_registries_are_rejected():
    sources = yaml.safe_load((MINIMAL / "sources.yaml").read_text(encoding="utf-8"))
    assert validator("sources").is_valid(sources)
    no_url = copy.deepcopy(sources)
    del no_url["sources"][0]["url"]
    assert not validator("sources").is_valid(no_url)
    ftp = copy.deepcopy(sources)
    ftp["sources"][0]["url"] = "ftp://example.org/berita"
    assert not validator("sources").is_valid(ftp)
    site = yaml.safe_load((MINIMAL / "site.yaml").read_text(encoding="utf-8"))
    assert not validator("site").is_valid({**site, "title": ""})
    assert not validator("site").is_valid({**site, "subtitle": "x"})
    regions = yaml.safe_load((MINIMAL / "regions.yaml").read_text(encoding="utf-8"))
    regions["regions"][0]["kind"] = "village"
    assert not validator("regions").is_valid(regions)
    assert not validator("facts").is_valid({"fakta": []})


SCHEMA_RULES = {"RG101", "RG102", "RG103", "RG105", "RG107", "RG205", "RG208", "RG301",
                "RG302"}
"""Rules a JSON Schema can express: an editor using the schema flags these too."""


def _fixture_header(path: Path) -> tuple[str, set[str]]:
    target, rules = "", set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# target:"):
            target = line.split(":", 1)[1].strip()
        elif line.startswith("# expect:"):
            rules.add(line.split()[2])
    return target, rules


SCHEMA_FIXTURES = [p for p in sorted(INVALID.glob("*.yaml"))
                   if (rules := _fixture_header(p)[1]) and rules <= SCHEMA_RULES]


def test_some_invalid_fixtures_are_schema_checkable():
    assert len(SCHEMA_FIXTURES) >= 6


@pytest.mark.parametrize("path", SCHEMA_FIXTURES, ids=lambda p: p.stem)
def test_invalid_fixtures_are_rejected_by_the_schema(path: Path):
    target, _ = _fixture_header(path)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert not validator(kind_of(Path(target))).is_valid(document)


def test_committed_schemas_are_in_sync(tmp_path):
    out = tmp_path / "schemas"
    result = run_cli("schema", "--out", out)
    assert result.exit_code == 0, result.output
    assert "Wrote 6 schemas" in result.stdout
    generated = sorted(p.name for p in out.iterdir())
    assert generated == sorted(f"{kind}.schema.json" for kind in KINDS)
    assert sorted(p.name for p in SCHEMAS.glob("*.json")) == generated, \
        "schemas/ is out of date: run `reportgen schema --out schemas`"
    for name in generated:
        assert (SCHEMAS / name).read_bytes() == (out / name).read_bytes(), \
            f"schemas/{name} is out of date: run `reportgen schema --out schemas`"


def test_schema_command_prints_the_facts_schema():
    result = run_cli("schema", "facts")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["$schema"] == DRAFT
    assert document == json_schemas()["facts"]
    Draft202012Validator.check_schema(document)
    assert json.loads(run_cli("schema").stdout) == document  # facts is the default
    fact = document["properties"]["facts"]["items"]
    assert fact["additionalProperties"] is False
    assert {"id", "region", "programs", "metric", "value", "unit", "period", "status",
            "sources"} == set(fact["required"])


def test_schema_command_for_each_kind_and_unknown_kind():
    for kind in KINDS:
        result = run_cli("schema", kind)
        assert result.exit_code == 0
        assert json.loads(result.stdout) == json_schemas()[kind]
    result = run_cli("schema", "pages")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


AGREEMENT_CASES = {
    # (file, text replaced, replacement)
    "number-as-site-title": ("site.yaml", "title: Contoh Kecil", "title: 2024"),
    "number-as-region-code": ("regions.yaml", 'code: "99"\n', "code: 99\n"),
    "empty-author-name": ("sources.yaml", "authors: []", 'authors: [""]'),
    "fractional-count": ("facts/kota-contoh.yaml", "value: 1000\n", "value: 1000.5\n"),
    "fractional-count-in-a-range": ("facts/kota-contoh.yaml", "high: 2000}", "high: 2000.5}"),
    "whole-float-count": ("facts/kota-contoh.yaml", "value: 1000\n", "value: 1000.0\n"),
    "fractional-rupiah": ("facts/kota-contoh.yaml", "value: 2200000000\n",
                          "value: 2200000000.5\n"),
}


@pytest.mark.parametrize("case", sorted(AGREEMENT_CASES))
def test_schema_and_checker_agree(case, tmp_path):
    name, old, new = AGREEMENT_CASES[case]
    content = tmp_path / "content"
    shutil.copytree(MINIMAL, content)
    path = content / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    checker_accepts = run_cli("check", "--content", content).exit_code == 0
    schema_accepts = validator(kind_of(path)).is_valid(
        yaml.safe_load(path.read_text(encoding="utf-8")))
    assert schema_accepts == checker_accepts
