"""Property tests of the whole build: generated and damaged fact files, built over a good
site.

Whatever a fact file holds (random text in every field, numbers negative, huge, infinite
or not numbers at all, values nested where a scalar belongs, a damaged copy of a real
file), ``reportgen build`` either succeeds or fails with a clean report: exit 0 or 1, no
traceback, every problem on one located line, ``check`` agreeing with ``build``; and a
build that fails leaves the site that was there byte for byte as it was.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reportgen.model import QUALIFIERS, STATUSES
from tests.conftest import DATA, TEMPLATES, run_cli
from tests.test_properties import mutated_facts

MINIMAL = DATA / "minimal" / "content"
PROBLEM = re.compile(r"^.+:\d+:\d+: (warning: )?RG\d{3} ")

text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "<script>alert(1)</script>", "&amp;", "}}{{", "{% raw %}",
                     "\u202e", "x" * 300, "../../etc/passwd", "null", "2024"]),
)
number = st.one_of(
    st.integers(-10**15, 10**15),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 10**30, 10**400, -0.0, 1e308, 5e-324, 0.1 + 0.2, 2**53 + 1]),
)
scalar = st.one_of(text, number, st.booleans(), st.none())
nested = st.recursive(scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8)


slug = st.from_regex(r"\A[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}\Z")
printable = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Cn")), min_size=1,
                    max_size=30).filter(lambda t: t.strip())
good_text = st.one_of(printable, st.sampled_from(
    ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "&amp; &lt;", "}}{{ x }}",
     "{% raw %}", "\u202eevil", "x" * 300, "../../etc/passwd", "null", "2024", "'\"`"]))
good_number = st.one_of(st.integers(0, 10**13), st.floats(0, 1e13), st.sampled_from(
    [0, 0.5, 1, 999_999_999_999, 1e13, 0.1 + 0.2]))
good_range = st.tuples(good_number, good_number).map(
    lambda pair: {"low": min(pair), "high": max(pair)})
bad_number = st.one_of(st.integers(-10**15, -1), st.sampled_from(
    [math.nan, math.inf, -math.inf, 10**400, 10**30, -0.5, 1e308]))
MEASURES = [("participants-protected", "people"), ("participants-protected", "families"),
            ("contribution-budget", "IDR")]

GOOD = {
    "region": st.sampled_from(["kota-contoh", "provinsi-contoh", "indonesia"]),
    "programs": st.lists(st.sampled_from(["jkk", "iuran-apbd"]), min_size=1, unique=True),
    "value": st.one_of(good_number, good_range),
    "period": st.sampled_from(["2022", "2023", "2023-12", "2020/2023"]),
    "status": st.sampled_from([s for s in STATUSES if s != "actual"] + ["actual"]),
    "qualifier": st.sampled_from([*QUALIFIERS, None]),
    "note": st.one_of(good_text, st.none()),
    "derivation": st.one_of(good_text, st.none()),
    "headline": st.booleans(),
}
BAD = {
    "id": st.one_of(text, st.sampled_from(["../x", "Kota", "a b", "/etc/passwd"])),
    "region": st.sampled_from(["nowhere", "../x", ""]),
    "programs": st.one_of(st.just([]), st.lists(st.sampled_from(["nope", "JKK"]), min_size=1)),
    "metric": st.sampled_from(["no-such-metric", "Participants"]),
    "unit": st.sampled_from(["kg", "percent", "IDR "]),
    "value": st.one_of(bad_number, st.tuples(good_number, bad_number).map(
        lambda p: {"low": p[0], "high": p[1]}), text),
    "period": st.one_of(st.sampled_from(["2024-02-30", "2024/2020", "2025-13", "2030"]),
                        st.integers(0, 99999), text),
    "status": st.sampled_from(["guess", "Actual", ""]),
    "qualifier": st.sampled_from(["roughly", "About"]),
    "note": st.sampled_from(["bad\x00char", "\x1b[31m", "\ufffe"]),
    "headline": st.sampled_from(["yes please", 1]),
    "sources": st.one_of(st.just([]), st.lists(st.fixed_dictionaries(
        {"source": st.sampled_from(["nope", "harian-2024-03-01"])},
        optional={"quote": st.one_of(st.just(""), text), "quote_en": nested}), min_size=1)),
    "colour": scalar,
}


@st.composite
def fact(draw, index: int) -> dict:
    """One fact record: valid, or with a few fields made wrong (or nested where a scalar
    belongs)."""
    metric, unit = draw(st.sampled_from(MEASURES))
    record = {"id": f"gen-{index}-{draw(slug)}", "metric": metric, "unit": unit}
    for key, strategy in GOOD.items():
        if key in ("qualifier", "note", "derivation", "headline") and draw(st.booleans()):
            continue
        record[key] = draw(strategy)
    if record["status"] == "actual":
        record["period"] = "2023"  # the sources date from 2024: 'actual' cannot be later
    record["sources"] = [{"source": source, "quote": draw(good_text),
                          **({"quote_en": draw(good_text)} if draw(st.booleans()) else {})}
                         for source in draw(st.lists(st.sampled_from(
                             ["harian-2024-03-01", "warta-2024"]), min_size=1, unique=True))]
    if draw(st.integers(0, 3)) == 0:  # a quarter of the records are broken somewhere
        for key in draw(st.lists(st.sampled_from(sorted(BAD)), min_size=1, max_size=3,
                                 unique=True)):
            record[key] = draw(st.one_of(BAD[key], BAD[key], BAD[key], nested))
    return record


@st.composite
def fact_file(draw) -> str:
    """A new fact file: generated records, a damaged copy of the fixture's, or raw text."""
    kind = draw(st.sampled_from(["records"] * 6 + ["mutated", "nested"]))
    if kind == "mutated":
        return draw(mutated_facts())
    if kind == "nested":
        return yaml.safe_dump({"facts": draw(nested)}, allow_unicode=True)
    facts = [draw(fact(i)) for i in range(draw(st.integers(1, 2)))]
    return yaml.safe_dump({"facts": facts}, allow_unicode=True, sort_keys=False)


def all_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def good_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("good") / "site"
    result = run_cli("build", "--content", MINIMAL, "--templates", TEMPLATES, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def assert_clean(result, command: str) -> None:
    assert result.exit_code in (0, 1), (command, result.exit_code, result.output[-2000:])
    assert "Traceback" not in result.output and "RG900" not in result.output, result.output
    for line in result.stderr.splitlines():
        if line.startswith(("Build failed", "Check failed", "Error: ")):
            continue
        assert PROBLEM.match(line), f"{command}: not a problem line: {line!r}"


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(generated=fact_file())
def test_build_succeeds_or_fails_cleanly_and_never_harms_the_site(good_site, generated):
    with tempfile.TemporaryDirectory() as tmp:
        content = Path(tmp) / "content"
        shutil.copytree(MINIMAL, content)
        (content / "facts" / "generated.yaml").write_text(generated, encoding="utf-8")
        out = Path(tmp) / "public" / "site"
        shutil.copytree(good_site, out)
        before = all_files(out)

        checked = run_cli("check", "--content", content)
        assert_clean(checked, "check")
        built = run_cli("build", "--content", content, "--templates", TEMPLATES, "--out", out)
        assert_clean(built, "build")
        assert built.exit_code == checked.exit_code, (checked.output, built.output)
        assert sorted(p.name for p in out.parent.iterdir()) == ["site"]
        event(f"build exit {built.exit_code}")
        if built.exit_code == 1:
            assert "previous site is unchanged" in built.stderr
            assert all_files(out) == before
        else:
            assert (out / "index.html").is_file() and (out / "data" / "facts.json").is_file()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -math.inf, 10**400, -5, "1.000",
                                 [1, 2], {"low": 2, "high": 1}, None, True])
def test_bad_values_fail_cleanly(good_site, tmp_path, bad):
    """The examples hypothesis might miss, always run."""
    content = tmp_path / "content"
    shutil.copytree(MINIMAL, content)
    record = {"id": "gen-bad", "region": "kota-contoh", "programs": ["jkk"],
              "metric": "participants-protected", "value": bad, "unit": "people",
              "period": "2023", "status": "actual",
              "sources": [{"source": "warta-2024", "quote": "x"}]}
    (content / "facts" / "generated.yaml").write_text(
        yaml.safe_dump({"facts": [record]}, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "site"
    shutil.copytree(good_site, out)
    before = all_files(out)
    result = run_cli("build", "--content", content, "--templates", TEMPLATES, "--out", out)
    assert_clean(result, "build")
    assert result.exit_code == 1
    assert all_files(out) == before
