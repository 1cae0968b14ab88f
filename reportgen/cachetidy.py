"""Keeping the cache folder from growing without end.

Everything in the cache is made again when it is missing, so removing any of it is
always safe; it only costs time.  But every edit adds entries: a chart image and a
search copy per page it changes, a checked fact file, and a folder of compiled templates
per version of reportgen.  The build therefore tidies the cache: an entry that no build
has used for :data:`UNUSED_DAYS` days is removed, at most once every
:data:`TIDY_EVERY_HOURS` hours (the time of the last tidy is the modification time of
``last-tidied`` in the cache).

"Used" is the modification time of an entry: whatever reads an entry from the cache
marks it used (:func:`mark_used`), and writing it does too.  A page an incremental build
keeps is not rendered, so its chart images and its search copy are not read; they stay
as long as the saved state of a site refers to them
(:func:`reportgen.buildstate.referenced_entries`).

Within the cache folder:

- ``svg/``, ``js/``, ``search-copies/``: entries in two-character sub-folders;
- ``facts/``: checked fact files and parsed registries; ``chart-templates/``: the
  charts' templates per version;
- ``templates/``: a folder of compiled templates per language and version, removed whole;
- ``builds/``: the saved state of each output folder (a site not built for a month is
  built in full next time; loading a state marks it used), and ``search-trees/``: each
  output folder's tree of links for Pagefind, removed with the state of its site once
  no build has used it for a month.

Builds that share the cache do not run while it is tidied: each holds a shared lock on
``lock`` in the cache for as long as it uses it (:func:`cache_in_use`), and a tidy needs
the lock alone; when another build holds it, the tidy is left for a later build.  (Where
the system has no file locks, whatever a build is using was marked used when it was
read, written or, for a kept page's entries, referred to by its site's state: only an
entry unused for a month and read again in the very instant a tidy removes it can fail
that one build.)

Temporary files of a write that was interrupted (``*.tmp<pid>``) go after a day.
"""

from __future__ import annotations

import io
import os
import pickle
import re
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

UNUSED_DAYS = 30
"""An entry no build has used for this many days is removed."""

TIDY_EVERY_HOURS = 24
"""The cache is tidied at most this often."""

MARKER = "last-tidied"

_ENTRY_FOLDERS = ("svg", "js", "search-copies", "facts", "chart-templates")
_TEMPORARY = re.compile(r"\.tmp\d+$")
_TEMPORARY_HOURS = 24


LOCK = "lock"

try:
    import fcntl
except ImportError:  # (no file locks here: see above)
    fcntl = None


@contextmanager
def cache_in_use(cache_dir: Path | None):
    """Within, the cache is in use by this build: not tidied by any other."""
    if cache_dir is None or fcntl is None:
        yield
        return
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        lock = open(cache_dir / LOCK, "a")
    except OSError:  # a read-only cache: nothing will be tidied or written either
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_SH)
        yield


def write_entry(path: Path, data: bytes) -> None:
    """Put *data* in the cache at *path* whole: written beside it under a temporary name
    (``<name>.tmp<pid>``, which a tidy removes if the write was interrupted), then
    renamed, so a reader, in this process or another, sees all of it or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(data)
    tmp.replace(path)


def unpickle_entry(data: bytes, classes: tuple[type, ...] = ()) -> object:
    """A pickled cache entry, read back with no class but *classes* (reportgen's own
    records): one that names any other class, or a function, is refused
    (``pickle.UnpicklingError``) instead of running what it names.  The cache may lie in
    the working folder (``.cache/reportgen``), where a repository cloned from elsewhere
    could have put files.  An entry damaged on disk (a bit flipped, a write cut short),
    which makes Python's unpickler raise any of a dozen errors (OverflowError,
    AttributeError, MemoryError ...), is refused the same way: callers make it again."""
    try:
        return _EntryUnpickler(io.BytesIO(data), _by_name(classes)).load()
    except pickle.UnpicklingError:
        raise
    except Exception as exc:
        raise pickle.UnpicklingError(f"a damaged cache entry: {exc!r}") from None


class _EntryUnpickler(pickle.Unpickler):
    def __init__(self, file, allowed: dict[tuple[str, str], type]):
        super().__init__(file)
        self.allowed = allowed

    def find_class(self, module: str, name: str):
        if (module, name) in self.allowed:
            return self.allowed[module, name]
        raise pickle.UnpicklingError(f"not a cache entry: it names {module}.{name}")


@lru_cache(maxsize=None)
def _by_name(classes: tuple[type, ...]) -> dict[tuple[str, str], type]:
    return {(kind.__module__, kind.__qualname__): kind for kind in classes}


def mark_used(path: Path | str) -> None:
    """Record that *path* (an entry just read from the cache) is still in use."""
    try:
        os.utime(path)
    except OSError:
        pass  # (removed meanwhile, or a read-only cache: nothing is lost)


@dataclass
class Tidied:
    """What a tidy removed."""

    files: int = 0
    bytes: int = 0

    def __bool__(self) -> bool:
        return bool(self.files)


def tidy_cache(cache_dir: Path, now: float | None = None, force: bool = False) -> Tidied | None:
    """Remove what has gone unused in *cache_dir*; None when it was tidied less than
    :data:`TIDY_EVERY_HOURS` ago (and not *force*), or when a build is using it.  Never
    raises for a file that cannot be removed: the cache stays usable whatever is left."""
    now = time.time() if now is None else now
    marker = cache_dir / MARKER
    try:
        if not force and now - marker.stat().st_mtime < TIDY_EVERY_HOURS * 3600:
            return None
    except OSError:
        pass  # never tidied
    if not cache_dir.is_dir():
        return None
    with _alone(cache_dir) as alone:
        return _tidy(cache_dir, now, marker) if alone else None


@contextmanager
def _alone(cache_dir: Path):
    """Whether no build holds the cache (see :func:`cache_in_use`); while True, none can
    start using it."""
    if fcntl is None:
        yield True
        return
    try:
        lock = open(cache_dir / LOCK, "a")
    except OSError:
        yield False
        return
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another build is using the cache: a later build tidies it
            yield False
            return
        yield True


def _tidy(cache_dir: Path, now: float, marker: Path) -> Tidied:
    # (imported here: buildstate imports what imports this module)
    from .buildstate import STATE_SUFFIX, referenced_entries

    unused_since = now - UNUSED_DAYS * 86400
    tidied = Tidied()
    # First the states of sites not built for a month, then whatever no state still
    # refers to (a kept page's chart and search copy are not read when it is kept).
    builds = cache_dir / "builds"
    _remove_files(builds, unused_since, now, tidied)
    referenced = referenced_entries(cache_dir)
    for name in _ENTRY_FOLDERS:
        _remove_files(cache_dir / name, unused_since, now, tidied, referenced.get(name, ()))
    for folder in _folders(cache_dir / "templates"):
        if _mtime(folder) < unused_since:
            _remove_tree(folder, tidied)
    kept_states = ({path.stem for path in builds.glob(f"*{STATE_SUFFIX}")} if builds.is_dir()
                   else set())
    for tree in _folders(cache_dir / "search-trees"):
        if tree.name not in kept_states and _mtime(tree) < unused_since:
            _remove_tree(tree, tidied)
    try:
        marker.touch()
        os.utime(marker, (now, now))
    except OSError:
        pass
    return tidied


def _remove_files(folder: Path, unused_since: float, now: float, tidied: Tidied,
                  keep=()) -> None:
    """Files under *folder* unused since *unused_since*, except those named in *keep*
    (and interrupted writes older than a day).  Sub-folders stay, even empty (at most 256
    per kind): another build may be about to write into one."""
    temporary_since = now - _TEMPORARY_HOURS * 3600
    for root, _folders_here, names in os.walk(folder, topdown=False):
        for name in names:
            path = os.path.join(root, name)
            try:
                temporary = _TEMPORARY.search(name)
                if not temporary and name in keep:
                    continue
                stat = os.lstat(path)
                limit = temporary_since if temporary else unused_since
                if stat.st_mtime < limit:
                    os.unlink(path)
                    tidied.files += 1
                    tidied.bytes += stat.st_size
            except OSError:
                pass


def _remove_tree(folder: Path, tidied: Tidied) -> None:
    for root, _folders_here, names in os.walk(folder):
        for name in names:
            try:
                tidied.bytes += os.lstat(os.path.join(root, name)).st_size
                tidied.files += 1
            except OSError:
                pass
    shutil.rmtree(folder, ignore_errors=True)


def _folders(parent: Path) -> list[Path]:
    try:
        return sorted(p for p in parent.iterdir() if p.is_dir() and not p.is_symlink())
    except OSError:
        return []


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return float("inf")  # gone or unreadable: nothing to remove
