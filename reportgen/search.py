"""Full-text search: a Pagefind index of the built pages, in ``pagefind/`` of the site.

Pagefind (the binary shipped by the ``pagefind-bin`` package) indexes every page of the
new site, those rendered again and those an incremental build keeps, before the new
pages go into the site (see :func:`reportgen.build.build_site`), so the index always
matches the pages beside it.  Only the element
marked ``data-pagefind-body`` is indexed: the ``<main>`` of the pages whose kind is in
:data:`SEARCHABLE_KINDS` (figures and prose), not the search page, the 404 page or the
list of sources.  Each thing is indexed once: a figure on its region's page (not again in
the tables of its program's and its source's pages), a quoted sentence on its source's
page (not in the list of quotes of every page that cites it).  Pagefind keeps one index
per page language (``lang="id"``, ``lang="en"``), made by a run of its own (see
:class:`Indexing`), and its UI searches the index of the search page's language.

Pagefind is not given the pages themselves but their *search copies*
(:func:`search_copy`): the indexed ``<main>`` without the parts it ignores (data tables,
notes, head).  That is a fifth of a national page's bytes, and Pagefind, which reads every
byte of what it is given, takes about 40% less time; the index it writes is the same,
byte for byte (a test compares it with a run over the whole pages).  The build makes a
page's copy when it renders the page and keeps it, named by its hash, in
:class:`SearchCopies` in the cache: an incremental build gives Pagefind the copies of
the pages it did not render again without reading those pages.

The index is rebuilt every time pages are written: on the seed content it takes about a
fifth of a second, on a national site about 20 s (see the README).  Its bytes depend
only on the pages (checked by the tests: two builds give identical files).  The search
page starts Pagefind's default UI from ``static/search.js``; the other UI flavours
Pagefind writes are removed (see :data:`UNUSED`) so the site carries no file nothing
loads.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .buildstate import remove_unlisted
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


_BODY = re.compile(r"<(main)\b[^>]*\sdata-pagefind-body\b[^>]*>")
_IGNORED = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*\sdata-pagefind-ignore\b[^>]*>")
_KEPT_IN_IGNORED = ("data-pagefind-meta", "data-pagefind-filter", "data-pagefind-sort")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                   "meta", "source", "track", "wbr"})


def _element_end(html: str, start: re.Match) -> int:
    """Where the element whose start tag *start* matched ends (after its end tag).  The
    pages are reportgen's own: every element is closed, and text and attribute values
    are escaped, so counting the element's own start and end tags is enough."""
    name = start[1].lower()
    if name in _VOID:
        return start.end()
    tags = re.compile(rf"<(/?){name}\b[^>]*>", re.IGNORECASE)
    depth, position = 1, start.end()
    while depth:
        tag = tags.search(html, position)
        if tag is None:
            return len(html)
        depth += -1 if tag[1] else 1
        position = tag.end()
    return position


def search_copy(html: str) -> str | None:
    """What Pagefind reads of a page, as a page of its own: the ``<html>`` start tag (its
    ``lang`` names the index) and the element marked ``data-pagefind-body``, without the
    elements inside it marked ``data-pagefind-ignore`` (unless they carry metadata or
    filters, which Pagefind reads even there).  None for a page with nothing to index."""
    body = _BODY.search(html)
    if body is None:
        return None
    root = re.search(r"<html\b[^>]*>", html)
    main = html[body.start():_element_end(html, body)]
    kept, position = [], 0
    for ignored in _IGNORED.finditer(main):
        if ignored.start() < position:
            continue  # inside an element already left out
        end = _element_end(main, ignored)
        if any(marker in main[ignored.start() + 1:end] for marker in _KEPT_IN_IGNORED):
            continue
        kept.append(main[position:ignored.start()])
        position = end
    kept.append(main[position:])
    return ("<!DOCTYPE html>\n" + (root[0] if root else "<html>")
            + '<head><meta charset="utf-8"></head><body>' + "".join(kept)
            + "</body></html>\n")


class SearchCopies:
    """Search copies of pages, each in a file named by the SHA-256 of its bytes, so a copy
    never goes stale: a build that fails after writing some leaves nothing wrong behind.
    Safe to write from several processes at once."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._root = str(folder)

    def path(self, digest: str) -> Path:
        return Path(f"{self._root}/{digest[:2]}/{digest}")

    def put(self, copy: str) -> str:
        """Store *copy*; returns its digest."""
        data = copy.encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        path = self.path(digest)
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{digest}.tmp{os.getpid()}")
            tmp.write_bytes(data)
            tmp.replace(path)
        return digest

    def has(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def files(self, digests: dict[str, str]) -> dict[str, Path]:
        """The file of each copy: page path -> digest becomes page path -> file."""
        return {page: self.path(digest) for page, digest in digests.items()}


def index_documents(documents: dict[str, Path], bundle: Path, work_parent: Path,
                    work_prefix: str, trees: Path | None = None) -> list[str]:
    """Index *documents* into *bundle* and wait for it: see :class:`Indexing`."""
    with Indexing(bundle, work_parent, work_prefix, trees) as indexing:
        return indexing.start(documents).finish()


class Indexing:
    """Indexing pages into the folder *bundle*: :meth:`start` takes the documents (a
    page's path in the site -> the file of its search copy), sets Pagefind going on the
    first language, in a process of its own, and returns, so the build can write its other files
    meanwhile; :meth:`finish` indexes the other languages and returns the files of the
    bundle as paths under ``pagefind/``, relative to the site.  Raises BuildError when
    Pagefind fails.  Use it as a context manager: however the build ends, Pagefind is
    stopped and the work folder removed.

    Pagefind is run on a folder of links to the copies, laid out as the site is.  With
    *trees* (a folder in the cache, one per site), those folders stay from one build to
    the next, and only the links of pages whose copy changed are made again; without,
    they are made in a folder in *work_parent* whose name starts with *work_prefix*, and
    removed.

    Pagefind holds everything it indexes in memory until it writes (about 200 bytes per
    indexed word: 2.3 GB for both languages of a national site), so each language is
    indexed by a run of its own, one after the other, and the runs write into the same
    bundle: their files do not overlap (each index is named by its language and hash,
    the scripts are the same bytes) and the entry file lists each run's language.  The
    result is the bundle one run over every page would write."""

    def __init__(self, bundle: Path, work_parent: Path, work_prefix: str,
                 trees: Path | None = None):
        self.bundle, self.trees = bundle, trees
        self.work_parent, self.work_prefix = work_parent, work_prefix
        self.by_language: dict[str, dict[str, Path]] = {}
        self.work: Path | None = None
        self.running: subprocess.Popen | None = None
        self.waiting: list[str] = []
        self.languages: dict[str, dict] = {}
        self.entry: dict = {}

    def __enter__(self) -> "Indexing":
        return self

    def __exit__(self, *exc) -> None:
        if self.running is not None:
            _stop_pagefind(self.running)
            self.running = None
        if self.work is not None:
            shutil.rmtree(self.work, ignore_errors=True)
            self.work = None

    def start(self, documents: dict[str, Path]) -> "Indexing":
        for relative in sorted(documents):
            self.by_language.setdefault(split_path(relative)[0], {})[relative] = \
                documents[relative]
        self.waiting = sorted(self.by_language)
        self.bundle.mkdir(parents=True, exist_ok=True)
        if self.trees is None:
            # The work folder lies beside the site (the same file system, so copies are
            # linked, not copied), not in it: a site being served never shows it.  The
            # build names it after the output folder, so that the next build removes it
            # if this one is killed (see reportgen.build.recover_interrupted).
            self.work = Path(tempfile.mkdtemp(prefix=self.work_prefix, dir=self.work_parent))
        if self.waiting:
            self._next()
        return self

    def _next(self) -> None:
        lang = self.waiting.pop(0)
        tree = (self.trees or self.work) / lang
        _link_tree(tree, self.by_language[lang])
        self.running = _start_pagefind(tree, self.bundle)

    def finish(self) -> list[str]:
        while self.running is not None:
            _wait_for_pagefind(self.running)
            self.running = None
            entry_path = self.bundle / "pagefind-entry.json"
            self.entry = json.loads(entry_path.read_text(encoding="utf-8"))
            entry_path.unlink()
            self.languages.update(self.entry.get("languages", {}))
            if self.waiting:
                self._next()
        if self.trees and self.trees.is_dir():
            for other in self.trees.iterdir():
                if other.name not in self.by_language:  # a language no page has any more
                    shutil.rmtree(other, ignore_errors=True)
        bundle = self.bundle
        if not any(bundle.glob("pagefind.*.pf_meta")):
            raise BuildError("search index: pagefind wrote no index (no page to index?)")
        for name in UNUSED:
            (bundle / name).unlink(missing_ok=True)
        self.entry["languages"] = self.languages
        # Sorted keys: the same pages always give the same bytes.
        (bundle / "pagefind-entry.json").write_text(
            json.dumps(self.entry, sort_keys=True, separators=(",", ":")), encoding="utf-8")
        return sorted(f"{BUNDLE_DIR}/{p.relative_to(bundle).as_posix()}"
                      for p in bundle.rglob("*") if p.is_file())


def _link_tree(tree: Path, documents: dict[str, Path]) -> None:
    """Make the folder *tree* hold exactly *documents* (path -> file), each a link to its
    file: a link already to the right file stays, the others are made again, and files
    and folders not among them are removed."""
    made: set[str] = set()
    root = str(tree)
    for relative, source in documents.items():
        link = f"{root}/{relative}"
        try:
            if os.path.samefile(link, source):
                continue
        except OSError:
            pass
        folder = os.path.dirname(link)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        fresh = link + ".new"
        if os.path.lexists(fresh):
            os.unlink(fresh)
        _link_or_copy(source, fresh)
        os.replace(fresh, link)
    remove_unlisted(tree, documents.keys())


def _link_or_copy(source, target) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _start_pagefind(site: Path, output: Path) -> subprocess.Popen:
    # No configuration but ours: Pagefind reads PAGEFIND_* variables and a pagefind.yml
    # (or .toml, .json) in its working folder, so it runs in the site with a clean env.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAGEFIND_")}
    command = [str(pagefind_executable()), "--site", ".", "--output-path", str(output),
               "--keep-index-url", "--silent"]
    # Its messages go to a file, not a pipe: nothing reads a pipe while it runs, and a
    # full one would stop it.
    messages = tempfile.TemporaryFile()
    try:
        process = subprocess.Popen(command, cwd=site, env=env, stdout=messages,
                                   stderr=subprocess.STDOUT)
    except OSError as exc:
        messages.close()
        raise BuildError(f"search index: could not run pagefind: {exc}") from None
    process.messages = messages
    return process


def _stop_pagefind(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    process.messages.close()


def _wait_for_pagefind(process: subprocess.Popen) -> None:
    try:
        process.wait(timeout=1800)
    except subprocess.TimeoutExpired:
        _stop_pagefind(process)
        raise BuildError("search index: pagefind took more than 30 minutes") from None
    process.messages.seek(0)
    said = process.messages.read().decode("utf-8", "replace").strip()
    _stop_pagefind(process)
    if process.returncode != 0:
        raise BuildError(f"search index: pagefind failed ({process.returncode}): "
                         f"{said[-2000:]}")
