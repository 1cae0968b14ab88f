"""What the last build of an output folder was made from, for incremental rebuilds.

A :class:`BuildState` records, per output folder, a digest of every input that every
page depends on (templates, the site settings, reportgen's own code, the build options:
:func:`inputs_digest`), the order of the programs and of the metrics and the prose pages'
titles (:func:`layout_digest`), each fact's fingerprint and each registry record's (a source,
a region, a program, a metric: see :func:`reportgen.factcache.record_prints`), what
each page shows (a digest of the ids of its facts and of the records it shows itself,
see :func:`page_shows`), which facts disagree, the files written with their sizes, the
digest of each page's search copy (see :class:`reportgen.search.SearchCopies`), the
shard of the index each page is in, what each shard's bundle was made from, and the
cache entries of each page's chart images.  It lives in the cache folder, never in the
site.

The build goes on from it only when both digests match and the output folder still
holds every recorded file at its recorded size; otherwise it renders everything again
(keeping, of a site still whole, the search bundles whose pages read the same: see
``reportgen.build._keep_bundle``).  An edited registry record is like an edited fact: the
pages that show it, or a fact that refers to it, are rendered again.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import secrets
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from .cachetidy import mark_used, unpickle_entry, write_entry
from .factcache import code_version
from .loader import REGISTRY_FILES

STATE_FORMAT = 5

SHARED_INPUTS = ("site",)
"""The registry files every page depends on as a whole (the site's title is on each);
the records of the others are compared one by one."""


OUTPUT_LIBRARIES = ("altair", "babel", "jinja2", "markdown-it-py", "pagefind-bin",
                    "vl-convert-python", "weasyprint")
"""The libraries whose version shapes what a build writes (pages, charts, the search
index, the PDF): another version of any of them means a full build, so that no kept
file is what the old version made."""


def library_version(name: str) -> str:
    """The installed version of the package *name*, or 'none'."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "none"


def library_versions() -> str:
    return " ".join(f"{name}={library_version(name)}" for name in OUTPUT_LIBRARIES)


def inputs_digest(content_dir: Path, templates_dir: Path, pdf: bool,
                  site_url: str | None = None) -> str:
    """A hash of what every page depends on: reportgen's code, the libraries of
    :data:`OUTPUT_LIBRARIES`, the site settings (:data:`SHARED_INPUTS`, and *site_url*,
    the address given in place of theirs) and the templates; not the fact files, the
    registries of records nor the prose pages, which are compared fact by fact, record
    by record and page by page (the menu's titles of the prose pages are in
    :func:`layout_digest`)."""
    digest = hashlib.sha256(f"{STATE_FORMAT} {code_version()} {library_versions()} "
                            f"pdf={pdf} url={site_url or ''}".encode())
    paths = [content_dir / f"{name}.yaml" for name in SHARED_INPUTS]
    paths += sorted(p for p in templates_dir.rglob("*") if p.is_file())
    for path in paths:
        digest.update(str(path.relative_to(path.parents[len(path.parents) - 1])).encode())
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"missing")
    return digest.hexdigest()


def all_inputs_digest(inputs: str, content_dir: Path) -> str:
    """*inputs* plus the bytes of every registry, fact file and prose page: equal digests
    mean nothing to build."""
    digest = hashlib.sha256(inputs.encode())
    for path in ([content_dir / f"{name}.yaml" for name in RECORD_FILES]
                 + sorted((content_dir / "facts").glob("*.y*ml"))
                 + sorted((content_dir / "pages").glob("*.md"))):
        digest.update(path.relative_to(content_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest() if path.is_file()
                      else b"missing")
    return digest.hexdigest()


RECORD_FILES = tuple(name for name in REGISTRY_FILES if name not in SHARED_INPUTS)
"""The registry files whose records are compared one by one (see :func:`inputs_digest`)."""


def layout_digest(content) -> str:
    """A hash of what almost every page shows of the content besides its own part: the
    order of the programs and of the metrics (which orders the figures) and the prose
    pages' titles (the menu names them).  When it changes (a metric added, a page
    renamed), every page is rendered again.  (The order of the other registries shows
    nowhere but in the pages that list them, which show those records; a prose page's
    text, only on its own page.)"""
    layout = [list(content.programs), list(content.metrics),
              [[page.slug, page.title, page.title_en] for page in content.pages]]
    return hashlib.sha256(json.dumps(layout).encode()).hexdigest()


def page_shows(pages: list, prints: dict[str, str]) -> dict[str, str]:
    """Page path -> a digest of what the page (a :class:`reportgen.pages.Page`) shows of
    the content (:meth:`~reportgen.pages.Page.shown`, with the records' fingerprints
    *prints*).  A page whose digest differs from the last build's shows a fact more or
    less (one removed, say), or a record it shows itself changed, and is rendered again.
    Pages in other languages that share the same lists are worked out once."""
    shows, known = {}, {}
    for page in pages:
        key = page.shown_key()
        if key not in known:
            known[key] = hashlib.blake2b(page.shown(prints).encode(),
                                         digest_size=8).hexdigest()
        shows[page.out_path] = known[key]
    return shows


def files_in(out_dir: Path, folder: str = "") -> dict[str, int]:
    """Every file under *out_dir* (or its sub-folder *folder*): path relative to
    *out_dir* -> size in bytes."""
    top = f"{out_dir}/"
    return {path: os.stat(top + path).st_size for path in site_listing(out_dir, folder)[0]}


def site_listing(root: Path, folder: str = "") -> tuple[set[str], list[str]]:
    """(the paths of every file under *root*, or its sub-folder *folder*, links to folders
    among them, never followed; the paths of its folders), relative to *root*.  (Each
    folder is read once, and what each entry is comes with it: no call per file.)"""
    files, folders, top = set(), [], str(root)
    waiting = [f"{top}/{folder}" if folder else top]
    while waiting:
        below = waiting.pop()
        try:
            entries = list(os.scandir(below))
        except OSError:  # (gone meanwhile, or not a folder)
            continue
        inside = below[len(top) + 1:]
        start = f"{inside}/" if inside else ""
        if inside:
            folders.append(inside)
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                waiting.append(f"{below}/{entry.name}")
            else:
                files.add(start + entry.name)
    return files, folders


def remove_unlisted(root: Path, keep, listing: tuple[set[str], list[str]] | None = None
                    ) -> None:
    """Remove every file under *root* whose path relative to it is not in *keep* (a set
    of POSIX paths), links to folders too (the link, never what it leads to), and the
    folders left empty.  *listing*: :func:`site_listing` of *root*, made before (files
    put there since then stay)."""
    files, folders = listing if listing is not None else site_listing(root)
    top = str(root)
    gone = files - keep
    for path in gone:
        try:
            os.unlink(f"{top}/{path}")
        except FileNotFoundError:
            pass
    holding: set[str] = set()  # the folders of what stays (not tried: they hold it)
    for path in keep:
        folder = path.rpartition("/")[0]
        while folder and folder not in holding:
            holding.add(folder)
            folder = folder.rpartition("/")[0]
    for folder in sorted(set(folders) - holding, key=len, reverse=True):  # (deepest first)
        try:
            os.rmdir(f"{top}/{folder}")
        except OSError:
            pass  # it still holds files (put there since it was listed)


def remove_files(root: Path, paths) -> None:
    """Remove the files *paths* (POSIX paths relative to *root*) that are there, and the
    folders they leave empty; never through a link to a folder (where one of the site's
    folders was replaced by a link, its files are left alone)."""
    folders = set()
    top = os.path.realpath(root)
    for path in sorted(paths):
        parent = os.path.realpath(f"{top}/{path}".rpartition("/")[0])
        if parent != top and not parent.startswith(top + "/"):
            continue
        try:
            os.unlink(f"{top}/{path}")
        except FileNotFoundError:
            continue
        parts = path.split("/")
        folders.update("/".join(parts[:n]) for n in range(1, len(parts)))
    for folder in sorted(folders, key=len, reverse=True):  # (the deepest first)
        try:
            os.rmdir(f"{top}/{folder}")
        except OSError:
            pass  # it still holds files


def state_key(out_dir: Path) -> str:
    """A name for an output folder in the cache (its saved state, its search trees)."""
    return hashlib.sha256(str(out_dir.resolve()).encode()).hexdigest()[:24]


def _state_path(cache_dir: Path, out_dir: Path) -> Path:
    return cache_dir / "builds" / f"{state_key(out_dir)}{STATE_SUFFIX}"


STATE_SUFFIX = ".pickle"
"""The saved states' files: pickled (built-in types only, read back allowing no class),
about twice as quick to write and to read as JSON at national scale."""


@dataclass
class BuildState:
    inputs: str
    facts: dict[str, str]  # fact id -> fingerprint
    pages: dict[str, str]  # page path -> digest of what it shows (page_shows)
    disagree: dict[str, list[str]]  # fact id -> ids of the facts it disagrees with
    files: dict[str, int] = field(default_factory=dict)  # output path -> size in bytes
    all_inputs: str = ""  # inputs digest with every fact file's bytes too
    counts: dict[str, int] = field(default_factory=dict)  # pages and facts, for messages
    search_stale: bool = False  # the search index predates the pages (serve: show_first)
    data_stale: bool = False  # the data files and sitemap, too, and files no build made
    # may be in the site (a show_first build stopped while it was being finished)
    search_copies: dict[str, str] = field(default_factory=dict)  # page path -> copy digest
    search_shards: dict[str, str] = field(default_factory=dict)  # page path -> index shard
    # shard -> digest of the copies its bundle in the site was made from
    search_bundles: dict[str, str] = field(default_factory=dict)
    charts: dict[str, list[str]] = field(default_factory=dict)  # page path -> chart entries
    # The build's warnings (each a Problem's fields, its path absolute), said again by a
    # build that finds nothing changed.
    warnings: list[list] = field(default_factory=list)
    records: dict[str, str] = field(default_factory=dict)  # 'kind:id' -> fingerprint
    layout: str = ""  # programs' and metrics' order, the menu's titles (layout_digest)
    search_key: str = ""  # what made the search bundles besides the pages (build.search_key)
    _token: str = ""  # new each time it is saved (see load_state)

    @classmethod
    def make(cls, inputs: str, prints: dict[str, str], shows: dict[str, str],
             disagreeing: dict, files: dict[str, int]) -> "BuildState":
        return cls(inputs, prints, shows,
                   {fid: [f.id for f in others] for fid, others in disagreeing.items()},
                   files)

    def copy(self) -> "BuildState":
        """A state whose fields can be changed or replaced without changing this one's
        (the lists inside its dicts are shared: they are replaced, never changed)."""
        return BuildState(**{name: value.copy() if isinstance(value, (dict, list)) else value
                             for name, value in self.__dict__.items()})

    def intact(self, out_dir: Path) -> bool:
        """Whether the output folder still holds every file this build wrote, unchanged
        in size (a quick guard against a site edited or deleted by hand)."""
        root = f"{out_dir}/"  # (paths as text: a national site has tens of thousands)
        try:
            return all(os.stat(root + path).st_size == size for path, size in self.files.items())
        except OSError:
            return False



_saved: dict[Path, tuple[tuple[int, bytes], BuildState]] = {}
"""The states this process saved, by file, with the file's size and start: a process
that builds again (serve) reads its own back without reading tens of megabytes, unless
another process saved one since.  Each saved state has a token of its own (``_token``,
pickled first, within the file's first :data:`_SIGNATURE` bytes)."""

_SIGNATURE = 64


def _size_and_start(path: Path, length: int) -> tuple[int, bytes]:
    with open(path, "rb") as file:
        return os.fstat(file.fileno()).st_size, file.read(length)


_UNREADABLE = (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError,
               AttributeError, IndexError, KeyError)
"""What reading a saved state that is missing, cut short or not a state may raise."""


def load_state(cache_dir: Path, out_dir: Path) -> BuildState | None:
    """The saved state of *out_dir*'s last build, marked used (see
    :mod:`reportgen.cachetidy`), or None."""
    path = _state_path(cache_dir, out_dir)
    try:
        signature, saved = _saved.get(path, ((0, b""), None))
        if saved is not None and _size_and_start(path, len(signature[1])) == signature:
            state = saved.copy()
        else:
            _token, fields = unpickle_entry(path.read_bytes())  # (no class)
            state = BuildState(**fields)
    except _UNREADABLE:  # (or not a state: the next build renders everything)
        return None
    mark_used(path)
    return state


def referenced_entries(cache_dir: Path) -> dict[str, set[str]]:
    """The cache entries the saved states refer to, by folder of the cache: the search
    copies and chart images of the pages of every site built with *cache_dir*.  (The
    cache tidy keeps them: see :mod:`reportgen.cachetidy`.)"""
    copies: set[str] = set()
    charts: set[str] = set()
    for path in sorted((cache_dir / "builds").glob(f"*{STATE_SUFFIX}")):
        try:
            _token, data = unpickle_entry(path.read_bytes())  # (no class)
            copies.update(data.get("search_copies", {}).values())
            for entries in data.get("charts", {}).values():
                charts.update(entries)
        except _UNREADABLE:  # (refers to nothing)
            continue
    return {"search-copies": copies, "svg": charts}


def forget_state(cache_dir: Path | None, out_dir: Path) -> None:
    """Remove the saved state of *out_dir*: its next build renders everything."""
    if cache_dir:
        path = _state_path(cache_dir, out_dir)
        _saved.pop(path, None)
        path.unlink(missing_ok=True)


def save_state(cache_dir: Path, out_dir: Path, state: BuildState) -> None:
    path = _state_path(cache_dir, out_dir)
    _saved.pop(path, None)
    state._token = secrets.token_hex(8)
    data = pickle.dumps((state._token, state.__dict__), protocol=pickle.HIGHEST_PROTOCOL)
    write_entry(path, data)
    _saved[path] = ((len(data), data[:_SIGNATURE]), state.copy())
