"""benchmarks/search_bytes.py counts what a reader's browser fetches for a search, on the
sharded index a build writes and on one index over the same pages (Chromium, as in
tests/test_browser.py: skipped without it, except under CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.search_bytes import CHROMIUM, measure, one_index_site

if not Path(CHROMIUM).is_file():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: CI must install chromium (see .ci/run)",
                    pytrace=False)
    pytest.skip(f"needs {CHROMIUM} (apt-get install chromium)", allow_module_level=True)


def test_counts_a_search_on_the_shards_and_on_one_index(real_site, tmp_path):
    sharded, = measure(real_site, ["Parepare"])
    # The site's three bundles each give their entry and meta files and, for the word,
    # a part of their index; the UI's scripts come from the main bundle.
    assert sharded["meta KB"] > 0 and sharded["index KB"] > 0 and sharded["scripts KB"] > 0
    assert sharded["KB"] == pytest.approx(sum(sharded[part + " KB"] for part in
                                              ("scripts", "meta", "index", "fragment")))

    one = one_index_site(real_site, tmp_path)
    assert 'data-merge=""' in (one / "cari" / "index.html").read_text(encoding="utf-8")
    assert [p.name for p in (one / "pagefind").iterdir()] == ["main"]
    single, = measure(one, ["Parepare"])
    assert single["index KB"] > 0 and single["fragment KB"] > 0  # it found results
    assert single["requests"] < sharded["requests"]
