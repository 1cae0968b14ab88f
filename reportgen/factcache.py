"""On-disk cache of checked fact files, so unchanged files are not parsed again.

Parsing and checking YAML is the slowest part of loading content.  A fact file's facts,
problems and fact ids depend only on its bytes, the path it is shown under, the registry files
(ids, units and dates it is checked against) and reportgen's own version, so they are
stored under a hash of exactly those.  Facts are stored with their references as ids and
linked to the registries' objects again on the way out.

Each fact also gets a fingerprint (a hash of everything it holds), which the build uses
to see which facts changed since the last build.

The registries, checked, are stored too (one entry for the five files), so that a new
process does not check five thousand sources again.  A process that loads the same
content more than once (``reportgen serve``, after each edit) uses one cache object
(:meth:`FactFileCache.shared`), which also holds the last load's registries and facts
in memory: while the registry files are unchanged, their
objects are used again, and so are the facts of each unchanged fact file, linked to
them, without reading or linking anything.  Only what the last load used is held.
"""

from __future__ import annotations

import hashlib
import pickle
from functools import lru_cache
from pathlib import Path

from .cachetidy import mark_used, write_entry
from .errors import Problem
from .model import Citation, Fact

FORMAT = "reportgen-facts-3"
"""Bump when the stored shape or the checks change, so old entries are not used."""


@lru_cache(maxsize=None)
def code_version() -> str:
    """A hash of reportgen's own source and message catalogs: any change invalidates the
    cache.  Worked out once per process: the code running is the code it imported."""
    digest = hashlib.sha256(FORMAT.encode())
    package = Path(__file__).parent
    for path in sorted(package.glob("*.py")) + sorted(package.glob("locale/*/LC_MESSAGES/*.po")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def freeze(fact: Fact) -> tuple:
    """A fact with its references replaced by ids: small, picklable, comparable."""
    return (fact.id, fact.region.id, tuple(p.id for p in fact.programs), fact.metric.id,
            fact.value, fact.unit, fact.period, fact.status,
            tuple((c.source.id, c.quote, c.quote_en, c.loc) for c in fact.citations),
            fact.qualifier, fact.note, fact.derivation, fact.headline, fact.loc, fact.note_en)


def thaw(frozen: tuple, sources, regions, programs, metrics) -> Fact:
    """The fact again, linked to the registries' objects."""
    (fid, region, program_ids, metric, value, unit, period, status, citations, qualifier,
     note, derivation, headline, loc, note_en) = frozen
    return Fact(fid, regions[region], [programs[p] for p in program_ids], metrics[metric],
                value, unit, period, status,
                [Citation(sources[s], quote, quote_en, cloc)
                 for s, quote, quote_en, cloc in citations],
                qualifier, note, derivation, headline, loc, note_en)


def fingerprint(frozen: tuple) -> str:
    return hashlib.sha1(repr(frozen).encode("utf-8")).hexdigest()


class FactFileCache:
    """Checked fact files by content hash, in ``cache_dir/facts/``."""

    _shared: "FactFileCache | None" = None

    def __init__(self, cache_dir: Path):
        self.folder = cache_dir / "facts"
        self.version = code_version()
        self.fingerprints: dict[str, str] = {}
        self._last_registries: tuple = (None, b"", None)
        self._registries_held: tuple[str, tuple] | None = None  # (digest, objects)
        self._held: dict[str, tuple] = {}  # entry -> (facts, prints, problems, ids), last load's
        self._holding: dict[str, tuple] = {}  # the same, of the load going on

    @classmethod
    def shared(cls, cache_dir: Path) -> "FactFileCache":
        """The cache object of *cache_dir* for this process: what one load holds in
        memory serves the next (the last folder asked for only)."""
        if cls._shared is None or cls._shared.folder != cache_dir / "facts":
            cls._shared = cls(cache_dir)
        return cls._shared

    def held_registries(self, files: list[tuple[str, bytes | None]]) -> tuple | None:
        """The registries' objects as the last load made them, if *files* (shown path,
        bytes or None if missing) are what they were made from; the facts held from
        then are used only with them.  A new process finds them checked in the cache."""
        self._holding = {}  # a load begins (one that failed may have left some)
        digest = self._files_digest(files)
        if self._registries_held and self._registries_held[0] == digest:
            return self._registries_held[1]
        self._held = {}  # linked to other registries' objects
        entry = self.folder / f"registries-{digest}.pickle"
        try:
            loaded = pickle.loads(entry.read_bytes())
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError,
                AttributeError):
            return None
        mark_used(entry)
        self._registries_held = (digest, loaded)
        return loaded

    def hold_registries(self, files: list[tuple[str, bytes | None]], loaded: tuple) -> None:
        """Hold the registries' objects just made from *files*, and keep them checked."""
        digest = self._files_digest(files)
        self._registries_held = (digest, loaded)
        self._store(self.folder / f"registries-{digest}.pickle", loaded)

    def _files_digest(self, files: list[tuple[str, bytes | None]]) -> str:
        digest = hashlib.sha256(self.version.encode())
        for shown, data in files:
            digest.update(shown.encode("utf-8") + b"\0")
            digest.update(hashlib.sha256(data).digest() if data is not None else b"missing")
        return digest.hexdigest()

    def loaded(self) -> None:
        """A load is over: hold what it used, and nothing else, for the next."""
        self._held, self._holding = self._holding, {}

    def _key(self, path: Path, shown: str, registry_bytes: list[bytes]) -> str:
        digest = hashlib.sha256(self._registries_digest(registry_bytes))
        digest.update(shown.encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
        return digest.hexdigest()

    def _registries_digest(self, registry_bytes: list[bytes]) -> bytes:
        key = id(registry_bytes)
        if self._last_registries[0] != key:
            digest = hashlib.sha256(self.version.encode())
            for data in registry_bytes:
                digest.update(hashlib.sha256(data).digest())
            self._last_registries = (key, digest.digest(), registry_bytes)
        return self._last_registries[1]

    def parsed(self, path: Path, shown: str):
        """parse_yaml(path, shown), from the cache when the file's bytes are unchanged."""
        from .loader import SourceFile, parse_yaml

        data = path.read_bytes()
        digest = hashlib.sha256(self.version.encode())
        digest.update(shown.encode("utf-8") + b"\0" + data)
        entry = self.folder / f"yaml-{digest.hexdigest()}.pickle"
        try:
            value, problems = pickle.loads(entry.read_bytes())
            mark_used(entry)
            return (SourceFile(path, shown, value) if value is not None else None), problems
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError):
            pass
        file, problems = parse_yaml(path, shown)
        self._store(entry, (file.data if file else None, problems))
        return file, problems

    def _store(self, entry: Path, value: object) -> None:
        write_entry(entry, pickle.dumps(value, protocol=5))

    def get(self, path: Path, shown: str, registry_bytes: list[bytes],
            registries: tuple) -> tuple[list[Fact], list[Problem], list[tuple]] | None:
        """The cached (facts, problems, ids) of *path* (see ``_ContentBuilder.fact_file``),
        or None."""
        entry = self.folder / (self._key(path, shown, registry_bytes) + ".pickle")
        held = self._held.get(entry.name)
        if held is not None:
            facts, prints, problems, ids = held
        else:
            try:
                frozen, prints, problems, ids = pickle.loads(entry.read_bytes())
            except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError):
                return None
            mark_used(entry)
            try:
                facts = [thaw(item, *registries) for item in frozen]
            except KeyError:  # a registry changed in a way the key did not capture: re-check
                return None
        self._holding[entry.name] = (facts, prints, problems, ids)
        self.fingerprints.update(zip((f.id for f in facts), prints))
        return list(facts), list(problems), list(ids)

    def put(self, path: Path, shown: str, registry_bytes: list[bytes], facts: list[Fact],
            problems: list[Problem], ids: list[tuple]) -> None:
        frozen = [freeze(f) for f in facts]
        prints = [fingerprint(item) for item in frozen]
        self.fingerprints.update(zip((f.id for f in facts), prints))
        entry = self.folder / (self._key(path, shown, registry_bytes) + ".pickle")
        self._store(entry, (frozen, prints, problems, ids))
        self._holding[entry.name] = (list(facts), prints, list(problems), list(ids))
