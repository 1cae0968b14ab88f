"""On-disk cache of checked fact files, so unchanged files are not parsed again.

Parsing and checking YAML is the slowest part of loading content.  A fact file's facts,
problems and fact ids depend on its bytes, the path it is shown under, reportgen's own
version, and of the registries only the records its facts refer to (a unit checked
against its metric, a figure's period against its sources' dates), so they are stored
under a hash of the first three, with the registry records looked up while checking it
and what each of them was (:func:`record_prints`).  An entry serves while those records
are unchanged: adding an article to ``sources.yaml`` checks again only the fact files that
cite it, not every file of a national site.  (A file that refers to an unknown record
depends on the whole registries: its hint names the nearest id there is.)  Facts are
stored with their references as ids and linked to the registries' objects again on the
way out.

Each fact also gets a fingerprint (a hash of everything it holds), and each registry
record one too (:func:`record_prints`), which the build uses to see which facts and
records changed since the last build.

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

from .cachetidy import mark_used, unpickle_entry, write_entry
from .errors import Problem
from .model import Citation, Fact, Period, Value, record_key, record_values

FORMAT = "reportgen-facts-5"
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
    """A fact with its references replaced by ids, and its value and period by tuples:
    small, picklable, comparable.  (Plain tuples all through: unpickling a national
    site's facts takes a third of the time it takes with their value and period objects.)"""
    value, period = fact.value, fact.period
    return (fact.id, fact.region.id, tuple(p.id for p in fact.programs), fact.metric.id,
            (value.low, value.high), fact.unit,
            (period.text, period.start_year, period.end_year), fact.status,
            tuple((c.source.id, c.quote, c.quote_en, c.loc) for c in fact.citations),
            fact.qualifier, fact.note, fact.derivation, fact.headline, fact.loc, fact.note_en)


def thaw(frozen: tuple, sources, regions, programs, metrics) -> Fact:
    """The fact again, linked to the registries' objects."""
    (fid, region, program_ids, metric, value, unit, period, status, citations, qualifier,
     note, derivation, headline, loc, note_en) = frozen
    return Fact(fid, regions[region], [programs[p] for p in program_ids], metrics[metric],
                Value(*value), unit, Period(*period), status,
                [Citation(sources[s], quote, quote_en, cloc)
                 for s, quote, quote_en, cloc in citations],
                qualifier, note, derivation, headline, loc, note_en)


def fingerprint(frozen: tuple) -> str:
    return hashlib.sha1(repr(frozen).encode("utf-8")).hexdigest()


def record_prints(sources: dict, regions: dict, programs: dict, metrics: dict,
                  only: dict[type, tuple[str, ...]] | None = None) -> dict[str, str]:
    """A fingerprint of every registry record (:func:`record_key` -> a hash of its
    fields), for telling which records changed; with *only*, of just those fields of
    each kind of record.  Where a record stands in its file is left out: inserting a
    source above it changes nothing of what it shows."""
    prints = {}
    for registry in (sources, regions, programs, metrics):
        for record in registry.values():
            held = (tuple(getattr(record, name) for name in only[type(record)]) if only
                    else tuple(record_values(record).values()))
            prints[record_key(record)] = hashlib.blake2b(
                repr(held).encode("utf-8"), digest_size=10).hexdigest()
    return prints


def dependency_digest(lookups: tuple[tuple[str, ...], bool], prints: dict[str, str],
                      broken_ids, registries: str) -> str:
    """What a fact file's check depended on, as one hash: each record it looked up
    (*lookups*: their keys, and whether one of them was not found) and what the check
    reads of that record now (*prints*: :func:`record_prints` of the fields it reads),
    "broken" (it failed its own checks: *broken_ids*) or "absent"; and when one was not
    found, *registries* (a digest of every registry file: the hint for a mistyped id
    names the nearest one there is)."""
    keys, unresolved = lookups
    digest = hashlib.blake2b(digest_size=16)
    for key in keys:
        state = prints.get(key) or ("broken" if key.partition(":")[2] in broken_ids
                                    else "absent")
        digest.update(f"{key}={state}\n".encode("utf-8"))
    if unresolved:
        digest.update(registries.encode())
    return digest.hexdigest()


def _unpickled(data: bytes) -> object:
    """An entry of this cache, read back with reportgen's records and problems as its
    only classes (see :func:`reportgen.cachetidy.unpickle_entry`)."""
    return unpickle_entry(data, _entry_classes())


@lru_cache(maxsize=None)
def _entry_classes() -> tuple[type, ...]:
    """The classes this cache's entries hold: those of reportgen's records
    (:mod:`reportgen.model`), problems (:mod:`reportgen.errors`) and parsed YAML
    (:mod:`reportgen.loader`)."""
    from . import errors, loader, model

    return tuple(kind for module in (model, errors, loader) for kind in vars(module).values()
                 if isinstance(kind, type) and kind.__module__ == module.__name__)


class FactFileCache:
    """Checked fact files by content hash, in ``cache_dir/facts/``."""

    _shared: "FactFileCache | None" = None

    def __init__(self, cache_dir: Path):
        self.folder = cache_dir / "facts"
        self.version = code_version()
        self.fingerprints: dict[str, str] = {}
        self.registries_digest = ""  # of the registry files of the load going on
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
        digest = self.registries_digest = self._files_digest(files)
        if self._registries_held and self._registries_held[0] == digest:
            return self._registries_held[1]
        self._held = {}  # linked to other registries' objects
        entry = self.folder / f"registries-{digest}.pickle"
        try:
            loaded = _unpickled(entry.read_bytes())
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError,
                AttributeError):
            return None
        mark_used(entry)
        self._registries_held = (digest, loaded)
        return loaded

    def hold_registries(self, files: list[tuple[str, bytes | None]], loaded: tuple) -> None:
        """Hold the registries' objects just made from *files*, and keep them checked."""
        digest = self.registries_digest = self._files_digest(files)
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

    def _key(self, path: Path, shown: str) -> str:
        """The name of a fact file's entry: its bytes, where it is shown, the code."""
        digest = hashlib.sha256(self.version.encode())
        digest.update(shown.encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
        return digest.hexdigest() + ".pickle"

    def parsed(self, path: Path, shown: str):
        """parse_yaml(path, shown), from the cache when the file's bytes are unchanged."""
        from .loader import SourceFile, parse_yaml

        data = path.read_bytes()
        digest = hashlib.sha256(self.version.encode())
        digest.update(shown.encode("utf-8") + b"\0" + data)
        entry = self.folder / f"yaml-{digest.hexdigest()}.pickle"
        try:
            value, problems = _unpickled(entry.read_bytes())
            mark_used(entry)
            return (SourceFile(path, shown, value) if value is not None else None), problems
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError):
            pass
        file, problems = parse_yaml(path, shown)
        self._store(entry, (file.data if file else None, problems))
        return file, problems

    def _store(self, entry: Path, value: object) -> None:
        write_entry(entry, pickle.dumps(value, protocol=5))

    def get(self, path: Path, shown: str, registries: tuple, prints: dict[str, str],
            broken_ids) -> tuple[list[Fact], list[Problem], list[tuple]] | None:
        """The cached (facts, problems, ids) of *path* (see ``_ContentBuilder.fact_file``),
        or None: none kept, or the registry records it was checked against have changed
        since (*registries*: their objects by kind; *prints*: :func:`record_prints` of
        them; *broken_ids*: records that failed their own checks)."""
        name = self._key(path, shown)
        held = self._held.get(name)
        if held is not None:  # (linked to these registries' objects: see held_registries)
            facts, fprints, problems, ids = held
        else:
            try:
                (frozen, fprints, problems, ids, lookups, checked_with,
                 depended) = _unpickled((self.folder / name).read_bytes())
            except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError):
                return None
            if checked_with != self.registries_digest and depended != dependency_digest(
                    lookups, prints, broken_ids, self.registries_digest):
                return None  # a record it refers to changed: checked again
            mark_used(self.folder / name)
            try:
                facts = [thaw(item, *registries) for item in frozen]
            except KeyError:  # (a record gone that the lookups missed): checked again
                return None
        self._holding[name] = (facts, fprints, problems, ids)
        self.fingerprints.update(zip((f.id for f in facts), fprints))
        return list(facts), list(problems), list(ids)

    def put(self, path: Path, shown: str, facts: list[Fact], problems: list[Problem],
            ids: list[tuple], lookups: tuple[tuple[str, ...], bool], prints: dict[str, str],
            broken_ids) -> None:
        """Keep what checking *path* found, with the records it looked up (*lookups*,
        see :func:`dependency_digest`) and what they are now."""
        frozen = [freeze(f) for f in facts]
        fprints = [fingerprint(item) for item in frozen]
        self.fingerprints.update(zip((f.id for f in facts), fprints))
        name = self._key(path, shown)
        self._store(self.folder / name, (
            frozen, fprints, problems, ids, lookups, self.registries_digest,
            dependency_digest(lookups, prints, broken_ids, self.registries_digest)))
        self._holding[name] = (list(facts), fprints, list(problems), list(ids))
