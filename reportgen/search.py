"""Full-text search: a Pagefind index of the built pages, in ``pagefind/`` of the site.

Pagefind (the binary shipped by the ``pagefind-bin`` package) reads the HTML pages of the
staging folder just before it is swapped in (see :func:`reportgen.build.build_site`),
so the index always matches the pages beside it, carried-over pages included.  Only the
element marked ``data-pagefind-body`` is indexed: the ``<main>`` of the pages whose kind
is in :data:`SEARCHABLE_KINDS` (figures and prose), not the search page, the 404 page or
the list of sources.  A page's list of quoted sentences is indexed on source pages only,
where each quote stands with its figures, not again on every page that cites it.
Pagefind keeps one index per page language (``lang="id"``, ``lang="en"``), and its UI
searches the index of the search page's language.

The index is rebuilt every time pages are written: on the seed content it takes about a
tenth of a second.  Its bytes depend only on the pages (checked by the tests: two builds
give identical files).  The search page starts Pagefind's default UI from
``static/search.js``; the other UI flavours Pagefind writes are removed (see
:data:`UNUSED`) so the site carries no file nothing loads.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from .errors import BuildError

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


def index_site(site: Path) -> list[str]:
    """Index the HTML pages of *site* into ``site/pagefind/``; returns the files written,
    relative to *site*.  Raises BuildError when Pagefind fails."""
    site = site.resolve()
    # No configuration but ours: Pagefind reads PAGEFIND_* variables and a pagefind.yml
    # (or .toml, .json) in its working folder, so it runs in the site with a clean env.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAGEFIND_")}
    command = [str(pagefind_executable()), "--site", ".", "--output-subdir", BUNDLE_DIR,
               "--keep-index-url", "--silent"]
    try:
        done = subprocess.run(command, cwd=site, env=env, capture_output=True, text=True,
                              timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"search index: could not run pagefind: {exc}") from None
    if done.returncode != 0:
        raise BuildError(f"search index: pagefind failed ({done.returncode}): "
                         f"{(done.stderr or done.stdout).strip()[-2000:]}")
    bundle = site / BUNDLE_DIR
    for name in UNUSED:
        (bundle / name).unlink(missing_ok=True)
    _sort_entry(bundle / "pagefind-entry.json")
    if not any(bundle.glob("pagefind.*.pf_meta")):
        raise BuildError("search index: pagefind wrote no index (no page to index?)")
    return sorted(p.relative_to(site).as_posix() for p in bundle.rglob("*") if p.is_file())


def _sort_entry(path: Path) -> None:
    """Pagefind lists the languages of its entry file in no fixed order; sorted, the same
    pages always give the same bytes.  (Readers of the file do not depend on the order.)"""
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")),
                        encoding="utf-8")
