"""Full-text search: a Pagefind index of the built pages, in ``pagefind/`` of the site.

Pagefind (the binary shipped by the ``pagefind-bin`` package) reads the HTML pages of the
staging folder just before it is swapped in (see :func:`reportgen.build.build_site`),
so the index always matches the pages beside it, carried-over pages included.  Only the
element marked ``data-pagefind-body`` is indexed: the ``<main>`` of the pages whose kind
is in :data:`SEARCHABLE_KINDS` (figures and prose), not the search page, the 404 page or
the list of sources.  Each thing is indexed once: a figure on its region's page (not
again in the tables of its program's and its source's pages), a quoted sentence on its
source's page (not in the list of quotes of every page that cites it).  Pagefind keeps
one index per page language (``lang="id"``, ``lang="en"``), made by a run of its own
(see :func:`index_site`), and its UI searches the index of the search page's language.

The index is rebuilt every time pages are written: on the seed content it takes about a
fifth of a second, on a national site about a minute (see the README).  Its bytes depend
only on the pages (checked by the tests: two builds give identical files).  The search page starts Pagefind's default UI from
``static/search.js``; the other UI flavours Pagefind writes are removed (see
:data:`UNUSED`) so the site carries no file nothing loads.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import BuildError
from .i18n import split_path

BUNDLE_DIR = "pagefind"
"""Where the index and Pagefind's scripts go, relative to the site's root."""

SEARCH_PAGE = "cari/index.html"

SEARCHABLE_KINDS = frozenset({"overview", "region", "program", "source", "page"})
"""Kinds of page (``Page.kind``) whose ``<main>`` is indexed."""

UNUSED = ("pagefind-component-ui.css", "pagefind-component-ui.js", "pagefind-modular-ui.css",
          "pagefind-modular-ui.js", "pagefind-highlight.js")
"""Files Pagefind writes for UIs the site does not use."""


def pagefind_executable() -> Path:
    try:
        from pagefind_bin import get_executable
    except ImportError:
        raise BuildError("the search index needs the pagefind binary: "
                         "pip install 'pagefind[bin]' (it is in requirements.lock)") from None
    try:
        return get_executable()
    except FileNotFoundError as exc:
        raise BuildError(f"the pagefind binary is missing: {exc}") from None


def index_site(site: Path, into: Path | None = None, work_prefix: str | None = None) -> list[str]:
    """Index the HTML pages of *site* into ``site/pagefind/`` (or into the folder *into*,
    to be put there later); returns the files of the bundle as paths under
    ``pagefind/``, relative to the site.  Pagefind works in a folder beside *site* whose
    name starts with *work_prefix* (by default ``.{site name}.search-``).  Raises
    BuildError when Pagefind fails.

    Pagefind holds everything it indexes in memory until it writes (about 200 bytes per
    indexed word: 2.3 GB for both languages of a national site), so each language is
    indexed by a run of its own, on a folder of links to that language's pages, and the
    runs' bundles are merged: their files do not overlap (each index is named by its
    language and hash, the scripts are the same bytes) and the entry file lists each
    run's language.  The result is the bundle one run over every page would write."""
    site = site.resolve()
    bundle = into or site / BUNDLE_DIR
    by_language: dict[str, list[Path]] = {}
    for path in sorted(site.rglob("*.html")):
        relative = path.relative_to(site).as_posix()
        if not relative.startswith(BUNDLE_DIR + "/"):
            by_language.setdefault(split_path(relative)[0], []).append(path)
    languages: dict[str, dict] = {}
    entry: dict = {}
    # The work folder lies beside the site (the same file system, so pages are linked,
    # not copied), not in it: a site being served never shows it.  The build names it
    # after the output folder, so that the next build removes it if this one is killed
    # (see reportgen.build.recover_interrupted).
    prefix = work_prefix or f".{site.name}.search-"
    with tempfile.TemporaryDirectory(prefix=prefix, dir=site.parent) as work:
        for lang, pages in sorted(by_language.items()):
            tree, output = Path(work) / lang / "site", Path(work) / lang / "bundle"
            for page in pages:
                link = tree / page.relative_to(site)
                link.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(page, link)
                except OSError:
                    shutil.copy2(page, link)
            _run_pagefind(tree, output)
            entry_path = output / "pagefind-entry.json"
            entry = json.loads(entry_path.read_text(encoding="utf-8"))
            entry_path.unlink()
            languages.update(entry.get("languages", {}))
            shutil.copytree(output, bundle, dirs_exist_ok=True)
    if not any(bundle.glob("pagefind.*.pf_meta")):
        raise BuildError("search index: pagefind wrote no index (no page to index?)")
    for name in UNUSED:
        (bundle / name).unlink(missing_ok=True)
    entry["languages"] = languages
    # Sorted keys: the same pages always give the same bytes.
    (bundle / "pagefind-entry.json").write_text(
        json.dumps(entry, sort_keys=True, separators=(",", ":")), encoding="utf-8")
    return sorted(f"{BUNDLE_DIR}/{p.relative_to(bundle).as_posix()}"
                  for p in bundle.rglob("*") if p.is_file())


def _run_pagefind(site: Path, output: Path) -> None:
    # No configuration but ours: Pagefind reads PAGEFIND_* variables and a pagefind.yml
    # (or .toml, .json) in its working folder, so it runs in the site with a clean env.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAGEFIND_")}
    command = [str(pagefind_executable()), "--site", ".", "--output-path", str(output),
               "--keep-index-url", "--silent"]
    try:
        done = subprocess.run(command, cwd=site, env=env, capture_output=True, text=True,
                              timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"search index: could not run pagefind: {exc}") from None
    if done.returncode != 0:
        raise BuildError(f"search index: pagefind failed ({done.returncode}): "
                         f"{(done.stderr or done.stdout).strip()[-2000:]}")


