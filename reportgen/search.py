"""Full-text search: a Pagefind index of the built pages, in ``pagefind/`` of the site.

Pagefind (the binary shipped by the ``pagefind-bin`` package) indexes the pages of the
new site before they go into the site (see :func:`reportgen.build.build_site`), so the
index always matches the pages beside it: the shards (below) whose pages' search copies
changed, the others' bundles kept (a full build links them into the new site).  Only the
element
marked ``data-pagefind-body`` is indexed: the ``<main>`` of the pages whose kind is in
:data:`SEARCHABLE_KINDS` (figures and prose), not the search page, the 404 page or the
list of sources.  Each thing is indexed once: a figure on its region's page (not again in
the tables of its program's and its source's pages), a quoted sentence on its source's
page (not in the list of quotes of every page that cites it); the tables' column headings,
the same on every table, and the charts, whose figures are in the tables and whose
sources have pages of their own, not at all.  Pagefind keeps one index
per page language (``lang="id"``, ``lang="en"``), and its UI searches the index of the
search page's language.

The index is in *shards* (:class:`SearchShards`): ``pagefind/main/`` (with Pagefind's
scripts and UI) and ``pagefind/regions-1/``, ``regions-2`` ..., each a bundle of its own
made by Pagefind runs of its own (see :class:`Indexing`), which the search page merges
(Pagefind's ``mergeIndex``).  A shard's bundle is made again only when the search copy of
one of its pages changed: an edited figure re-indexes its province's shard and perhaps
the main one, not the country.  The price: each shard scores its results by its own word
statistics before the UI orders them all by score, so the order of results can differ a
little from one index over everything; and a search loads a part of each shard's index
for each word (at national scale, 2 to 3 times the bytes of one index: README,
"Performance at national scale").

Pagefind is not given the pages themselves but their *search copies*
(:func:`search_copy`): the indexed ``<main>`` without the parts it ignores (data tables,
notes, head).  That is a fifth of a national page's bytes, and Pagefind, which reads every
byte of what it is given, takes about 40% less time; the index it writes is the same,
byte for byte (a test compares it with a run over the whole pages).  The build makes a
page's copy when it renders the page and keeps it, named by its hash, in
:class:`SearchCopies` in the cache: an incremental build gives Pagefind the copies of
the pages it did not render again without reading those pages.

Indexing the seed content takes about a fifth of a second; a national site is in the
README.  The bundles' bytes depend only on the pages (checked by the tests: an
incremental build gives the clean build's files).  The search
page starts Pagefind's default UI from ``static/search.js``; the other UI flavours
Pagefind writes are removed (see :data:`UNUSED`) so the site carries no file nothing
loads.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from functools import lru_cache
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .buildstate import remove_unlisted
from .cachetidy import mark_used, write_entry
from .errors import BuildError
from .i18n import split_path

BUNDLE_DIR = "pagefind"
"""Where the index and Pagefind's scripts go, relative to the site's root."""

SEARCH_PAGE = "cari/index.html"

SEARCHABLE_KINDS = frozenset({"overview", "region", "program", "source", "page"})
"""Kinds of page (``Page.kind``) whose ``<main>`` is indexed."""

MAIN_SHARD = "main"
"""The shard whose bundle holds Pagefind's scripts and UI beside its index: the overview,
the prose pages, the programs' national pages and the regions outside any province."""

PROVINCES_PER_SHARD = 2
"""How many provinces' pages share a shard (see :class:`SearchShards`)."""


class SearchShards:
    """Which part ("shard") of the search index each page goes in.  The index is split so
    that an edit re-indexes the part it touched, not the country: Pagefind has no
    incremental mode, and at national scale one run over everything takes longer than
    the rest of a rebuild.  The search page merges the shards in the browser
    (Pagefind's ``mergeIndex``), so readers search one site.

    The provinces, by id, go in groups of :data:`PROVINCES_PER_SHARD`, each a shard
    (``regions-1``, ``regions-2`` ...) holding the pages of its provinces and their
    regencies and cities, their programs' province pages, and the sources whose first
    figure (by id) is about one of them; everything else is in
    :data:`MAIN_SHARD`.  The groups depend only on the regions registry, and every
    province has a page, so no shard is ever empty."""

    def __init__(self, content):
        provinces = sorted(r.id for r in content.regions.values() if r.kind == "province")
        self.content = content
        self._of_province = {province: f"regions-{i // PROVINCES_PER_SHARD + 1}"
                             for i, province in enumerate(provinces)}
        groups = -(-len(provinces) // PROVINCES_PER_SHARD)  # rounded up
        self.names = [MAIN_SHARD] + [f"regions-{n}" for n in range(1, groups + 1)]

    def of_region(self, region) -> str:
        return self._of_province.get(self.content.province_of(region).id, MAIN_SHARD)

    def of_page(self, page) -> str:
        """The shard of a page (a :class:`reportgen.pages.Page`)."""
        if page.kind == "region":
            return self.of_region(page.extra["region"])
        if page.kind == "program" and "part_of" in page.extra:
            return self.of_region(page.extra["part_of"])
        if page.kind == "source" and page.members:
            return self.of_region(page.members[0].region)
        return MAIN_SHARD


def bundle_of(path: str) -> str | None:
    """The shard whose bundle a file of the site belongs to, or None if it is not one
    of the search index's."""
    parts = path.split("/", 2)
    return parts[1] if len(parts) == 3 and parts[0] == BUNDLE_DIR else None


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
_IGNORE = "data-pagefind-ignore"
_TAG_NAME = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)\b")
_AFTER_NAME = frozenset(" \t\n\r\f=>/")  # what may follow an attribute's name in a tag
_KEPT_IN_IGNORED = ("data-pagefind-meta", "data-pagefind-filter", "data-pagefind-sort")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                   "meta", "source", "track", "wbr"})


def _element_end(html: str, name: str, after_start_tag: int) -> int:
    """Where the element called *name* whose start tag ends at *after_start_tag* ends
    (after its end tag).  The pages are reportgen's own: every element is closed, and
    text and attribute values are escaped, so counting the element's own start and end
    tags is enough."""
    name = name.lower()
    if name in _VOID:
        return after_start_tag
    tags = _tags_named(name)
    depth, position = 1, after_start_tag
    while depth:
        tag = tags.search(html, position)
        if tag is None:
            return len(html)
        depth += -1 if tag[1] else 1
        position = tag.end()
    return position


def _ignored_elements(html: str):
    """(where its start tag starts, its name, where the start tag ends) of each element
    whose start tag has the attribute ``data-pagefind-ignore``, in order.  Found by the
    attribute's name, then the tag around it: quicker than a pattern tried at every tag
    of a page with thousands of them."""
    position = 0
    while (found := html.find(_IGNORE, position)) >= 0:
        position = found + len(_IGNORE)
        if found == 0 or not html[found - 1].isspace() or html[position:position + 1] \
                not in _AFTER_NAME:
            continue  # not the attribute itself: text, a value, a longer name
        start = html.rfind("<", 0, found)
        end = html.find(">", position)
        if start < 0 or end < 0 or html.find(">", start, found) >= 0:
            continue  # not inside a tag
        name = _TAG_NAME.match(html, start)
        if name is not None:
            yield start, name[1], end + 1


@lru_cache(maxsize=None)
def _tags_named(name: str) -> re.Pattern:
    """The start and end tags of elements called *name*."""
    return re.compile(rf"<(/?){name}\b[^>]*>", re.IGNORECASE)


def search_copy(html: str) -> str | None:
    """What Pagefind reads of a page, as a page of its own: the ``<html>`` start tag (its
    ``lang`` names the index) and the element marked ``data-pagefind-body``, without the
    elements inside it marked ``data-pagefind-ignore`` (unless they carry metadata or
    filters, which Pagefind reads even there).  None for a page with nothing to index."""
    body = _BODY.search(html)
    if body is None:
        return None
    root = re.search(r"<html\b[^>]*>", html)
    main = html[body.start():_element_end(html, body[1], body.end())]
    kept, position = [], 0
    for start, name, after in _ignored_elements(main):
        if start < position:
            continue  # inside an element already left out
        end = _element_end(main, name, after)
        if any(marker in main[start + 1:end] for marker in _KEPT_IN_IGNORED):
            continue
        kept.append(main[position:start])
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
        if path.is_file():
            mark_used(path)
        else:
            write_entry(path, data)
        return digest

    def has(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def files(self, digests: dict[str, str]) -> dict[str, Path]:
        """The file of each copy: page path -> digest becomes page path -> file."""
        return {page: self.path(digest) for page, digest in digests.items()}


def index_documents(shards: dict[str, dict[str, Path]], root: Path, work_parent: Path,
                    work_prefix: str, trees: Path | None = None, parallel: int = 1) -> None:
    """Index each shard's documents into its bundle under *root* and wait for it: see
    :class:`Indexing`."""
    with Indexing(root, work_parent, work_prefix, trees, parallel) as indexing:
        indexing.start(shards).finish()


class Indexing:
    """Indexing shards of the site into their bundles under *root* (the site's
    ``pagefind/``): :meth:`start` takes the documents of each shard to index (shard name
    -> page path in the site -> the file of its search copy), sets Pagefind going on
    the first of them, up to *parallel* runs at a time, each in a process of its own, and
    returns, so the build can write its other files meanwhile; :meth:`finish` runs the
    rest and puts each run's files into its shard's bundle.  Raises BuildError when
    Pagefind fails.  Use it as a context manager: however the build ends, Pagefind is
    stopped and the work folder removed.

    Each (shard, language) is a run of its own, over a folder of links to the copies,
    laid out as the site is, that writes into a folder of its own in the work folder
    (beside the site, so files move by renaming).  With *trees* (a folder in the cache,
    one per site), the folders of links stay from one build to the next and only the
    links of pages whose copy changed are made again; without, they are made in the work
    folder.  The work folder's name starts with *work_prefix*, so the next build removes
    it if this one is killed (see :func:`reportgen.build.recover_interrupted`).

    Pagefind holds everything it indexes in memory until it writes (about 200 bytes per
    indexed word), which is why a shard is a run: memory goes with the shard, not with
    the site.  A shard's runs write the same scripts and different index files (each
    named by its language and hash); their entry files are merged into one that lists
    each run's language.  A shard's bundle is what one run over its pages would write."""

    def __init__(self, root: Path, work_parent: Path, work_prefix: str,
                 trees: Path | None = None, parallel: int = 1):
        self.root, self.trees, self.parallel = root, trees, max(1, parallel)
        self.work_parent, self.work_prefix = work_parent, work_prefix
        self.work: Path | None = None
        self.waiting: list[tuple[str, str, dict[str, Path]]] = []
        self.running: list[tuple[str, Path, subprocess.Popen]] = []
        self.entries: dict[str, dict] = {}  # shard -> its merged entry file

    def __enter__(self) -> "Indexing":
        return self

    def __exit__(self, *exc) -> None:
        for _shard, _output, process in self.running:
            _stop_pagefind(process)
        self.running = []
        if self.work is not None:
            shutil.rmtree(self.work, ignore_errors=True)
            self.work = None

    def start(self, shards: dict[str, dict[str, Path]]) -> "Indexing":
        runs = []
        for shard in sorted(shards):
            by_language: dict[str, dict[str, Path]] = {}
            for relative in sorted(shards[shard]):
                by_language.setdefault(split_path(relative)[0], {})[relative] = \
                    shards[shard][relative]
            runs += [(shard, lang, docs) for lang, docs in sorted(by_language.items())]
            if self.trees:
                _remove_other_folders(self.trees / shard, set(by_language))
        # The largest first, so that the runs side by side end at about the same time.
        self.waiting = sorted(runs, key=lambda run: -len(run[2]))
        self.work = Path(tempfile.mkdtemp(prefix=self.work_prefix, dir=self.work_parent))
        self.root.mkdir(parents=True, exist_ok=True)
        self._start_runs()
        return self

    def _start_runs(self) -> None:
        while self.waiting and len(self.running) < self.parallel:
            shard, lang, documents = self.waiting.pop(0)
            tree = (self.trees or self.work / "trees") / shard / lang
            link_tree(tree, documents)
            output = self.work / f"{shard}.{lang}"
            self.running.append((shard, output, _start_pagefind(tree, output)))

    def finish(self) -> None:
        while self.running:
            done = next((run for run in self.running if run[2].poll() is not None), None)
            if done is None:  # the first run to end frees its core for the next
                oldest = self.running[0][2]
                if time.monotonic() - oldest.started > PAGEFIND_TIMEOUT:
                    _wait_for_pagefind(oldest, timeout=0)  # stops it, raises BuildError
                time.sleep(0.02)
                continue
            shard, output, process = done
            _wait_for_pagefind(process)
            self.running.remove(done)
            self._take(shard, output)
            self._start_runs()
        for shard, entry in sorted(self.entries.items()):
            bundle = self.root / shard
            if not any(bundle.glob("pagefind.*.pf_meta")):
                raise BuildError(f"search index: pagefind wrote no index for {shard}")
            # Sorted keys: the same pages always give the same bytes.
            (bundle / "pagefind-entry.json").write_text(
                json.dumps(entry, sort_keys=True, separators=(",", ":")), encoding="utf-8")

    def _take(self, shard: str, output: Path) -> None:
        """Move a finished run's files into its shard's bundle and merge its entry file.
        A shard other than the main one keeps only its index: the search page loads the
        scripts and WebAssembly from the main bundle."""
        entry_path = output / "pagefind-entry.json"
        entry = json.loads(entry_path.read_text(encoding="utf-8"))
        entry_path.unlink()
        merged = self.entries.setdefault(shard, {"languages": {}})
        languages = {**merged["languages"], **entry.get("languages", {})}
        merged.update(entry)
        merged["languages"] = languages
        bundle = self.root / shard
        for path in sorted(p for p in output.rglob("*") if p.is_file()):
            relative = path.relative_to(output)
            if relative.name in UNUSED or (shard != MAIN_SHARD and not _index_data(relative)):
                continue
            target = bundle / relative
            if not target.exists():  # else: a script the shard's other run wrote too
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
        shutil.rmtree(output, ignore_errors=True)


def prune_trees(trees: Path | None, shards: list[str]) -> None:
    """Remove the folders of links kept for shards the site no longer has (and mark the
    site's trees used: see :mod:`reportgen.cachetidy`)."""
    if trees is not None:
        _remove_other_folders(trees, set(shards))
        mark_used(trees)


def _index_data(relative: Path) -> bool:
    """Whether a file of a bundle is part of its index (not a script or the UI)."""
    return relative.suffix == ".pf_meta" or relative.parts[0] in ("index", "fragment", "filter")


def _remove_other_folders(folder: Path, names: set[str]) -> None:
    if folder.is_dir():
        for other in folder.iterdir():
            if other.name not in names:
                shutil.rmtree(other, ignore_errors=True)


def link_tree(tree: Path, documents: dict[str, Path]) -> None:
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


def pagefind_environment() -> dict[str, str]:
    """The environment Pagefind runs with: this process's, as it is outside the calls
    into vl-convert (a thread may be drawing charts meanwhile, which sets fontconfig's
    configuration for their length: see :func:`reportgen.vega.chart_fonts`), without
    PAGEFIND_* variables: no configuration but ours (Pagefind also reads a pagefind.yml,
    .toml or .json in its working folder, so it runs in the site)."""
    from .vega import environment_outside_charts

    env = {k: v for k, v in environment_outside_charts().items()
           if not k.startswith("PAGEFIND_")}
    # One thread each: runs go side by side, one per core, and the build goes on beside
    # them.  Left alone, each run starts a thread per core, and their contention costs
    # system time (a national shard alone: 1.9 s of CPU instead of 3.1 s); the output is
    # the same.
    env["RAYON_NUM_THREADS"] = "1"
    return env


def _start_pagefind(site: Path, output: Path) -> subprocess.Popen:
    env = pagefind_environment()
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
    process.started = time.monotonic()
    return process


def _stop_pagefind(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    process.messages.close()


PAGEFIND_TIMEOUT = 1800
"""Seconds a Pagefind run may take before the build gives up on it."""


def _wait_for_pagefind(process: subprocess.Popen, timeout: float = PAGEFIND_TIMEOUT) -> None:
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop_pagefind(process)
        raise BuildError("search index: pagefind took more than 30 minutes") from None
    process.messages.seek(0)
    said = process.messages.read().decode("utf-8", "replace").strip()
    _stop_pagefind(process)
    if process.returncode != 0:
        raise BuildError(f"search index: pagefind failed ({process.returncode}): "
                         f"{said[-2000:]}")
