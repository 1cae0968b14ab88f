"""What a reader's browser fetches for a search on a built site: print a table.

    python benchmarks/search_bytes.py SITE [--one-index] [QUERY ...]

Serves SITE on 127.0.0.1, opens its search page (``cari/?q=QUERY``) in headless Chromium
(Debian's ``/usr/bin/chromium``, driven by Playwright as in tests/test_browser.py), once
per query in a fresh browser context (nothing cached), and counts the responses under
``pagefind/``: Pagefind's scripts, the bundles' entry and meta files, the index chunks
and the result fragments.

With ``--one-index``, the site's pages are first indexed in one Pagefind run, into a
scratch folder holding a copy of the search page that merges nothing: the same searches
on one index over the same pages, to compare with the shards the build writes (see
reportgen/search.py).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportgen.search import SEARCH_PAGE, pagefind_executable  # noqa: E402
from tests.conftest import serve_folder  # noqa: E402  (the browser tests' server)

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
QUERIES = ["peserta", "Kabupaten Sintetis 002"]
"""Queries of the national benchmark's content (benchmarks/generate.py): one word, three."""


def one_index_site(site: Path, scratch: Path) -> Path:
    """A folder with the site's search page and styles, and one Pagefind bundle made by
    one run over every page of *site*; the search page merges no other bundle."""
    folder = scratch / "one-index"
    (folder / "cari").mkdir(parents=True)
    shutil.copytree(site / "static", folder / "static")
    page = (site / SEARCH_PAGE).read_text(encoding="utf-8")
    (folder / SEARCH_PAGE).write_text(re.sub(r'data-merge="[^"]*"', 'data-merge=""', page),
                                      encoding="utf-8")
    subprocess.run([str(pagefind_executable()), "--site", str(site.resolve()), "--output-path",
                    str((folder / "pagefind" / "main").resolve()), "--keep-index-url",
                    "--silent"], check=True)
    return folder


def _part(url: str) -> str:
    """Which part of a bundle a fetched file is."""
    if "/index/" in url:
        return "index"
    if "/fragment/" in url:
        return "fragment"
    if url.endswith((".pf_meta", "pagefind-entry.json")):
        return "meta"
    return "scripts"


def measure(site: Path, queries: list[str]) -> list[dict]:
    from playwright.sync_api import sync_playwright

    rows = []
    with serve_folder(site) as address, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for query in queries:
            context = browser.new_context()
            page = context.new_page()
            fetched: list[tuple[str, int]] = []
            page.on("response", lambda response: fetched.append(
                (response.url, len(response.body()))) if "/pagefind/" in response.url
                else None)
            page.goto(address + "cari/?q=" + query.replace(" ", "%20"))
            page.wait_for_selector(".pagefind-ui__result-link", timeout=60000)
            page.wait_for_load_state("networkidle")
            row = {"query": query, "requests": len(fetched),
                   "KB": sum(size for _, size in fetched) / 1024}
            for url, size in fetched:
                row[_part(url) + " KB"] = row.get(_part(url) + " KB", 0) + size / 1024
            rows.append(row)
            context.close()
        browser.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("queries", nargs="*", default=QUERIES)
    parser.add_argument("--one-index", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        site = one_index_site(args.site, Path(scratch)) if args.one_index else args.site
        rows = measure(site, args.queries)
    columns = ["requests", "KB", "scripts KB", "meta KB", "index KB", "fragment KB"]
    print("| query | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for row in rows:
        print(f"| {row['query']} | " + " | ".join(
            str(row.get(c, 0)) if c == "requests" else f"{row.get(c, 0):.0f}"
            for c in columns) + " |")


if __name__ == "__main__":
    main()
