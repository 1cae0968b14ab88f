"""The build, stage by stage: load -> validate -> plan pages -> charts -> render -> write.

:func:`build_site` reads like a table of contents of the build.  All content is loaded and
validated before anything is written; pages are rendered (in parallel across cores when
there are many) and written as they come into a fresh folder beside the target
(:class:`SiteFiles`), which goes into the site only when everything succeeded: a failed
build leaves the previous site untouched.

Rebuilds are incremental: :mod:`reportgen.buildstate` remembers what the last build of
an output folder was made from.  When facts, registry records (a source, a region, a
program, a metric) or a prose page's text changed, only the pages that show a changed
fact (or a fact that disagrees with one, or one that refers to a changed record) or a
changed record or text are rendered again, and only they, the data files and the search
index are moved into the site; the rest of it stays.  When what every page shows
changed (templates, the site settings, the menu, the order of programs or metrics,
reportgen itself), every page is rendered again, charts still coming from their cache,
and the new folder is swapped in for the old.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import secrets
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import astuple, dataclass, field, replace
from functools import partial
from itertools import repeat
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator, NamedTuple

from .buildstate import (
    BuildState, all_inputs_digest, files_in, forget_state, inputs_digest, layout_digest,
    library_version, library_versions, load_state, page_shows, remove_files,
    remove_unlisted, save_state, site_listing, state_key,
)
from .cachetidy import Tidied, cache_in_use, mark_used, tidy_cache, write_entry
from .charts import chart_templates, use_chart_templates
from .content import load_content
from .errors import BuildError, ContentError, Problem, display_path
from .export import facts_csv, facts_json
from .factcache import FactFileCache, code_version
from .i18n import LANGUAGES, prefix
from .meta import sitemap_xml
from .model import Content, edited_records, fact_id, facts_referring
from .pages import Page, pages_showing, plan_pages
from .render import make_environment, render_page
from .search import (
    BUNDLE_DIR as SEARCH_BUNDLE, SEARCHABLE_KINDS, Indexing, SearchCopies, SearchShards,
    bundle_of, index_documents, link_tree, prune_trees, search_copy,
)
from .vega import ChartWorker, VegaRenderer, default_cache_dir, runtime_started
from .workers import can_fork, forked_map

BUNDLE_PATH = "static/vendor/vega-bundle.js"
PDF_PATH = "report.pdf"
SEARCH_COPIES = "search-copies"
"""The folder of the cache that holds the pages' search copies."""
SEARCH_TREES = "search-trees"
"""The folder of the cache that holds, per site, the folders Pagefind is run on."""
CHART_TEMPLATES = "chart-templates"
"""The folder of the cache that holds the charts' templates (see :func:`_chart_templates`)."""
PARALLEL_FROM = 48
"""Fewer pages than this are rendered in this process: starting workers costs more."""

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called while pages render, for a progress bar."""


@dataclass
class BuildResult:
    """What a build made, for the CLI to report."""

    out_dir: Path
    pages: int
    charts: int
    facts: int
    files: int
    warnings: list[Problem] = field(default_factory=list)
    rendered: int = 0  # pages rendered this time (the rest were kept)
    mode: str = "full"  # "full", "incremental" or "unchanged"
    timings: dict[str, float] = field(default_factory=dict)
    search_pending: bool = False  # the search index is the previous one (show_first)
    # What a show_first build left for after its pages were shown: see finish_build.
    later: Callable[[], "Finished"] | None = field(default=None, repr=False)
    search_shards: tuple[int, int] = (0, 0)  # shards of the search index made again, of all
    tidied: Tidied | None = None  # what tidying the cache removed, if it was due


class SiteFiles:
    """The new site's files, written one by one into a staging folder beside *out_dir* as
    the build makes them (a national site does not fit in memory), and put in place only
    when everything succeeded: the whole folder swapped in (:meth:`publish`), or, for an
    incremental build, its files moved into the site (:meth:`publish_update`).  Refuses
    to write the same path twice or anywhere outside the staging folder.  Use it as a
    context manager: if the build fails, the staging folder is removed and the previous
    site stays as it was."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir.resolve()
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        recover_interrupted(self.out_dir)
        self.staging = _new_folder(self.out_dir.parent, f".{self.out_dir.name}.new-").resolve()
        self.sizes: dict[str, int] = {}  # path -> bytes written
        self._inside: set[Path] = set()  # folders found to lie inside the staging folder

    def __enter__(self) -> "SiteFiles":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            self.discard()

    def add(self, path: str, data: str | bytes) -> None:
        if path in self.sizes:
            raise BuildError(f"two outputs for the same path: {path}")
        target = self._target(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = data.encode("utf-8") if isinstance(data, str) else data
        target.write_bytes(data)
        self.sizes[path] = len(data)

    def _target(self, path: str) -> Path:
        """Where *path* goes; refused unless it is a plain relative path that stays
        inside, and unless its folder, followed through any link, is inside the staging
        folder.  Each folder is resolved once."""
        pure = PurePosixPath(path)
        if pure.is_absolute() or not pure.parts or ".." in pure.parts or "\0" in path:
            raise BuildError(f"refusing to write outside the site: {path!r}")
        target = self.staging / pure
        if target.parent not in self._inside:
            if not _lies_in(target.parent, self.staging):
                raise BuildError(f"refusing to write outside the site: {path!r}")
            self._inside.add(target.parent)
        return target

    def publish(self) -> None:
        """Swap the staging folder in for the current site; if this is interrupted, the
        previous site is put back."""
        out_dir, staging, old = self.out_dir, self.staging, None
        try:
            if out_dir.exists():
                old = out_dir.with_name(f".{out_dir.name}.old-{staging.name.rsplit('-', 1)[-1]}")
                out_dir.rename(old)
            staging.rename(out_dir)
        except BaseException:
            if old is not None and old.exists() and not out_dir.exists():
                old.rename(out_dir)  # interrupted between the two renames: put the site back
            self.discard()
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def publish_update(self, keep: set[str], gone: set[str] | None = None,
                       listing: tuple[set[str], list[str]] | None = None) -> dict[str, int]:
        """Move this build's files into the current site instead of swapping the whole
        folder (an incremental build, which rendered a few pages of thousands): each file
        by one atomic rename, so a reader sees it whole, old or new, unless the site has
        it already, byte for byte (a page rendered again that came out the same); the
        entry files of the search index's bundles last, so none names a file not there
        yet.  Then remove every file (and link) of the site that this build neither wrote
        nor keeps (*keep*), and folders left empty, so the site is what a full build would
        have made (from *listing*, the site's :func:`site_listing` made while Pagefind
        worked, when given); or, given *gone* (the last build's files: with show_first,
        the site is looked through later), only those of them.  Returns the files
        written (path -> size).

        Where each file goes is checked before anything moves (a folder of the site that
        leads out of it through a link, a folder where a file goes): such a build fails
        with the site untouched.  If moving is interrupted or fails all the same (Ctrl-C,
        a full disk), the site is part old, part new: the build has already removed its
        saved state, so the next build renders everything (see :func:`build_site`), and
        the exception says so (``site_partly_updated``) for the message."""
        written = files_in(self.staging)
        site = self.out_dir
        order = sorted(written, key=lambda p: (bundle_of(p) is not None
                                               and p.endswith("/pagefind-entry.json"), p))
        self._check_targets(order)
        try:
            made: set[Path] = set()
            for path in order:
                target = site / path
                if target.parent not in made:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    made.add(target.parent)
                if not _same_bytes(self.staging / path, target, written[path]):
                    os.replace(self.staging / path, target)
            if gone is None:
                remove_unlisted(site, keep | written.keys(), listing)
            else:
                remove_files(site, gone - keep - written.keys())
        except BaseException as exc:
            exc.site_partly_updated = True
            raise
        self.discard()
        return written

    def _check_targets(self, paths: list[str]) -> None:
        """Refuse, before anything is written, a file whose folder in the site leads
        outside it (through a link, the nearest folder that exists is resolved) or whose
        place is taken by a folder."""
        site, seen = self.out_dir, {self.out_dir}
        for path in paths:
            target = site / path
            if target.is_dir() and not target.is_symlink():
                raise BuildError(f"cannot update the site: {path} is a folder there "
                                 "(remove it, or build with --no-cache)")
            folder = target.parent
            if folder in seen:
                continue
            existing = folder
            while not existing.exists() and existing != site:
                existing = existing.parent
            if not _lies_in(existing, site):
                raise BuildError(f"refusing to write outside the site: {path!r}")
            seen.add(folder)

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


class Timings(dict):
    """Seconds spent per stage, in the order the stages ran."""

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self[name] = self.get(name, 0.0) + time.perf_counter() - start


# --- Rendering pages ----------------------------------------------------------------------

@dataclass
class _RenderJob:
    """What every page render needs; inherited by worker processes when they fork."""

    content: Content
    pages: list[Page]
    templates_dir: Path
    cache_dir: Path | None
    copies: SearchCopies | None = None  # where the pages' search copies go
    worker: ChartWorker | None = None  # where vl-convert runs for pages rendered here
    envs: dict = field(default_factory=dict)  # language -> Jinja environment
    vega: VegaRenderer | None = None

    def setup(self) -> None:
        if not self.envs:
            for lang in LANGUAGES:
                self.envs[lang] = make_environment(self.templates_dir, lang, self.cache_dir)
                self.envs[lang].globals["disagreeing"] = self.content.disagreeing
        if self.vega is None:
            self.vega = VegaRenderer(self.cache_dir)

    def render(self, index: int, images: bool = True) -> "_Rendered":
        """One page, and (unless not *images*) its chart images: :meth:`chart_images`."""
        self.setup()
        page = self.pages[index]
        names = {chart.name: _chart_file(chart) for chart in page.charts}
        html = render_page(self.envs[page.lang], self.content, page, names)
        copy = search_copy(html) if self.copies and page.kind in SEARCHABLE_KINDS else None
        rendered = _Rendered([(page.out_path, html.encode("utf-8"))], 0.0,
                             self.copies.put(copy) if copy is not None else None, [])
        if not images:
            return rendered
        rendered = rendered.with_images(self.chart_images(index))
        page.forget()  # (rendered once: a worker that kept every page's would grow)
        return rendered

    def chart_images(self, index: int) -> "_Rendered":
        """A page's chart images (the page itself is not in it)."""
        self.setup()
        page = self.pages[index]
        folder = PurePosixPath(page.out_path).parent
        started = time.perf_counter()
        outputs, entries = [], []
        for chart in page.charts:
            entry, svg = self.vega.svg_entry(chart.spec, page.lang)
            entries.append(entry)
            outputs.append((str(folder / _chart_file(chart)), svg.encode()))
        return _Rendered(outputs, time.perf_counter() - started, None, entries)


def _chart_file(chart) -> str:
    """The file name of a chart's image, beside its page."""
    return f"chart-{chart.name}.svg"


class _Rendered(NamedTuple):
    """What rendering a page gave."""

    outputs: list[tuple[str, bytes]]  # (path in the site, bytes): its charts (unless
    # they are made apart: _RenderJob.chart_images), then itself
    chart_seconds: float
    search_copy: str | None  # the digest of its search copy; None: nothing to index
    chart_entries: list[str]  # its charts' entries in the cache (svg/)

    def with_images(self, images: "_Rendered") -> "_Rendered":
        """The page with its chart images (:meth:`_RenderJob.chart_images`)."""
        return self._replace(outputs=images.outputs + self.outputs,
                             chart_seconds=images.chart_seconds,
                             chart_entries=images.chart_entries)


class _Rendering:
    """Pages rendered into a build's files by :func:`render_pages`, their chart images
    perhaps still being made (in a thread, by vl-convert) while the build goes on: the
    search index and the data files do not need them.  :meth:`add_images` waits for them
    and adds them to the files; :meth:`close` (or leaving the ``with`` block), however
    the build ends, cancels the images not begun and waits for the one being made, so
    that nothing of the build goes on after it."""

    def __init__(self):
        self.search_copies: dict[str, str] = {}  # page path -> digest of its search copy
        self.chart_entries: dict[str, list[str]] = {}  # page path -> its charts' entries
        self.chart_seconds = 0.0
        self._images = None  # (future of {index: _Rendered}, pool, stop event, paths)
        # where the pages rendered here have their images made (its runtime perhaps
        # still starting: waited for at the end)
        self.vega: VegaRenderer | None = None

    def __enter__(self) -> "_Rendering":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add(self, rendered: _Rendered, files: "SiteFiles", page_path: str) -> None:
        """Add what rendering the page *page_path* gave (itself, its images, or both) to
        the files."""
        self.chart_seconds += rendered.chart_seconds
        for path, data in rendered.outputs:
            files.add(path, data)
        if rendered.search_copy is not None:
            self.search_copies[page_path] = rendered.search_copy
        if rendered.chart_entries:
            self.chart_entries[page_path] = rendered.chart_entries

    def images_later(self, job: _RenderJob, indexes: list[int]) -> None:
        """Have the chart images of these pages made in a thread (vl-convert lets go of
        Python while it draws, here or in a chart worker)."""
        if not indexes:
            return
        stop = threading.Event()

        def chart_images() -> dict[int, _Rendered]:  # (the first that fails ends it)
            return {index: job.chart_images(index) for index in indexes
                    if not stop.is_set()}

        pool = ThreadPoolExecutor(1, thread_name_prefix="reportgen-charts")
        self._images = (pool.submit(chart_images), pool, stop,
                        {index: job.pages[index].out_path for index in indexes})

    def add_images(self, files: "SiteFiles") -> None:
        """Wait for the images made in a thread, if any, and add them to the files."""
        made, paths = {}, {}
        if self._images is not None:
            future, _pool, _stop, paths = self._images
            made = future.result()
        self.close()  # (and vl-convert's runtime is up: nothing of it goes on after)
        for index, images in made.items():
            self.add(images, files, paths[index])

    def close(self) -> None:
        if self._images is not None:
            _future, pool, stop, _paths = self._images
            stop.set()
            pool.shutdown(wait=True)
            self._images = None
        if self.vega is not None:  # (when every chart was in the cache, it may be starting)
            self.vega.runtime_ready()
            self.vega = None


def render_pages(job: _RenderJob, indexes: list[int], files: SiteFiles, workers: int,
                 progress: Progress | None, one_shot: bool, rendering: _Rendering) -> None:
    """Render the chosen pages into *files*, and what they gave into *rendering*: the
    digests of the pages' search copies, their charts' cache entries and the seconds
    spent on charts, once its :meth:`~_Rendering.add_images` has run (the caller holds
    it in a ``with`` block, which stops the images still being made if the build fails).
    Many pages are rendered in forked workers (:func:`reportgen.workers.forked_map`),
    which inherit the loaded content, each with its images; nothing in this process has
    started vl-convert yet, so no runtime is forked.  A few are rendered here and written
    as they come, their chart images made in a thread meanwhile and after, while the
    build indexes the pages and writes the data files (many pages, with --jobs 1 or where
    this process cannot fork, are rendered and written one by one, each with its
    images); in a *one_shot* process (one that ends after this build, so that it may no
    longer fork does not matter), vl-convert's runtime starts in a thread of its own
    first."""
    if workers < 2 or len(indexes) < PARALLEL_FROM or not can_fork():
        job.setup()
        if any(job.pages[i].chart_maker for i in indexes):
            rendering.vega = job.vega
            if job.worker is not None:
                job.vega.worker = job.worker  # vl-convert runs there (serve)
            elif one_shot:
                job.vega.start_runtime()  # meanwhile, the pages are rendered here
        if len(indexes) < PARALLEL_FROM:
            rendering.images_later(job, [i for i in indexes if job.pages[i].charts])
            rendered = (job.render(index, images=False) for index in indexes)
        else:
            rendered = map(job.render, indexes)  # (many: written as they come)
    else:
        rendered = forked_map(job.render, indexes, workers, chunk=16)
    for done, page in enumerate(rendered, 1):
        rendering.add(page, files, page.outputs[-1][0])  # (the page comes last)
        if progress:
            progress("render", done, len(indexes))


# --- The printed report -------------------------------------------------------------------

class PdfReport:
    """``report.pdf``, made while the pages render: WeasyPrint lays the report out on one
    core for most of a large build, so it runs in a process of its own, forked (like the
    page workers) before anything here starts vl-convert.  Where forking is not safe it
    is made in place when :meth:`result` is asked for."""

    def __init__(self, content: Content, templates_dir: Path, cache_dir: Path | None):
        self.content, self.templates_dir, self.cache_dir = content, templates_dir, cache_dir
        self.pool = self.pending = None
        self.seconds = 0.0  # time spent making the PDF, wherever it was made

    def start(self) -> None:
        global _PDF
        if not can_fork():
            return
        _PDF = self
        try:
            self.pool = multiprocessing.get_context("fork").Pool(1)
        finally:
            _PDF = None
        self.pending = self.pool.apply_async(_make_pdf_in_worker)

    def make(self) -> tuple[bytes, float]:
        """(the PDF, seconds it took)."""
        from .pdf import render_pdf  # WeasyPrint is heavy: imported only when asked for

        started = time.perf_counter()
        data = render_pdf(self.content, self.templates_dir, VegaRenderer(self.cache_dir))
        return data, time.perf_counter() - started

    def result(self) -> bytes:
        """The PDF, waiting for its process if it is still at work; its errors raised here."""
        if self.pending is None:
            data, self.seconds = self.make()
        else:
            data, self.seconds = self.pending.get()
        return data

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None


_PDF: PdfReport | None = None


def _make_pdf_in_worker() -> tuple[bytes, float]:
    return _PDF.make()


def copy_static(templates_dir: Path, files: SiteFiles) -> None:
    """The site's own CSS and JavaScript, from templates/static/."""
    static = templates_dir / "static"
    for path in sorted(static.rglob("*")):
        if path.is_file():
            files.add("static/" + path.relative_to(static).as_posix(), path.read_bytes())


# --- Writing ----------------------------------------------------------------------------

def _search_work(out_dir: Path) -> str:
    """How the search index's work folders beside *out_dir* are named."""
    return f".{out_dir.name}.search-"


def recover_interrupted(out_dir: Path) -> None:
    """Clean up after a build that was killed: restore a site left aside mid-swap, remove
    half-written staging folders."""
    parent = out_dir.parent
    if not parent.is_dir():
        return
    leftovers = sorted(parent.glob(f".{out_dir.name}.old-*"))
    if leftovers and not out_dir.exists():
        leftovers.pop().rename(out_dir)
    for folder in leftovers + sorted(parent.glob(f".{out_dir.name}.new-*")) + sorted(
            parent.glob(_search_work(out_dir) + "*")):
        shutil.rmtree(folder, ignore_errors=True)


SITE_MARK = ".reportgen-site"
"""A file every build writes at the top of the site (as Sphinx writes ``.buildinfo``): a
folder that has it is a site reportgen built, which a build may replace whole."""
SITE_MARK_TEXT = ("This folder is a site built by reportgen. A build replaces all of it:"
                  " keep nothing else here.\n")


def _built_here(folder: Path) -> bool:
    """Whether reportgen built *folder*: it has the mark, or, built before there was one,
    the JavaScript bundle only reportgen puts there."""
    return (folder / SITE_MARK).is_file() or (folder / BUNDLE_PATH).is_file()


def check_out_dir(out_dir: Path, content_dir: Path, templates_dir: Path) -> None:
    """Refuse, before anything is done, an output folder that a build would wreck: a full
    build replaces the whole folder, so it must be a site reportgen built (or empty, or
    not there yet), and must neither hold nor lie inside the content, the templates or
    the folder the command runs in."""
    out = out_dir.resolve()
    if out.exists() and not out.is_dir():
        raise BuildError(f"--out {out_dir}: a file, not a folder (the site is a folder: "
                         "pass another --out, such as site)")
    for what, folder in (("the content", content_dir), ("the templates", templates_dir),
                         ("the folder you are in", Path.cwd())):
        folder = folder.resolve()
        if folder == out or out in folder.parents:
            raise BuildError(f"refusing to build into {out_dir}: it holds {what} ({folder}), "
                             "which the site would replace (pass --out a folder of its own, "
                             "such as site)")
        if folder in out.parents and what != "the folder you are in":
            raise BuildError(f"refusing to build into {out_dir}: it lies inside {what} "
                             f"({folder}) (pass --out a folder outside it, such as site)")
    if out.is_dir() and not _built_here(out) and any(out.iterdir()):
        raise BuildError(f"refusing to replace {out_dir}: it holds files, and is not a site "
                         f"reportgen built (it has no {SITE_MARK} file); remove it, or pass "
                         "another --out")


# --- The build ----------------------------------------------------------------------------

def _affected_pages(pages: list[Page], previous: BuildState, shows: dict[str, str],
                    prints: dict[str, str], disagreeing: dict, content: Content
                    ) -> tuple[set[str], set[str]]:
    """(ids of facts that changed or were removed, paths of the pages to render again:
    those that show a changed fact, or one that disagrees with one, and those that show
    other facts or records than last time (a new page, one that lost a fact, one whose
    region was renamed); see :func:`reportgen.pages.pages_showing`).  A fact that refers
    to a changed record (its source's publisher, its region's name) counts as changed:
    its figure is shown with them."""
    changed = {fid for fid, fp in prints.items() if previous.facts.get(fid) != fp}
    changed |= facts_referring(content.facts, edited_records(previous.records,
                                                             content.record_prints))
    removed = set(previous.facts) - set(prints)
    touched = changed | removed
    for fid in list(touched):  # a disagreement marker names the other facts too
        touched.update(f.id for f in disagreeing.get(fid, []))
        touched.update(previous.disagree.get(fid, []))
    return changed | removed, pages_showing(pages, touched, shows, previous.pages)


def build_site(content_dir: Path, templates_dir: Path, out_dir: Path,
               cache_dir: Path | None = None, use_cache: bool = True, pdf: bool = False,
               workers: int | None = None, progress: Progress | None = None,
               show_first: bool = False, one_shot: bool = False,
               charts: ChartWorker | None = None, site_url: str | None = None) -> BuildResult:
    """Build the site (and, with *pdf*, ``report.pdf`` in it); raises ContentError or
    BuildError and then leaves the previous site as it was.  *site_url*: the address the
    site is published at, in place of ``site.yaml``'s ``url`` (an http(s) address: see
    :func:`reportgen.validate.is_http_address`).  *one_shot*: the process ends
    after this build (the ``build`` command), which lets it start vl-convert early: for
    an incremental build, in a chart worker from the start (:class:`_EarlyCharts`), else
    in a thread when the pages are rendered here (see :func:`render_pages`); a process
    that goes on (``serve``) starts it only when a chart needs it, so that it can still
    fork workers for a large rebuild until then; with *charts* (a
    :class:`~reportgen.vega.ChartWorker`), pages rendered in this process have their
    charts made there, and this process never runs vl-convert itself.

    With *show_first* (``reportgen serve``), an incremental rebuild puts the pages it
    rendered in place and returns: what no page needs to be shown is left for
    :func:`finish_build`, which the caller runs next (the result's ``later``): the data
    files and the sitemap, the removal of files no build made, the saved state, and the
    search index (the previous one stays meanwhile, and the result says
    ``search_pending``), most of the time of a rebuild at national scale.  Until the
    state is saved, the next build renders everything; until the index is made, the
    saved state says so, and the next build indexes again."""
    cache_dir = (cache_dir or default_cache_dir()) if use_cache else None
    early = _EarlyCharts() if one_shot and charts is None else None
    try:
        with cache_in_use(cache_dir):
            result = _build_site(content_dir, templates_dir, out_dir, cache_dir, use_cache,
                                 pdf, workers, progress, show_first, one_shot, charts, early,
                                 site_url)
    finally:
        if early is not None:
            early.stop()
    if cache_dir and result.mode != "unchanged" and result.later is None:  # (at most once
        # a day: see cachetidy; after a show_first build, once it is finished)
        started = time.perf_counter()
        result.tidied = tidy_cache(cache_dir)
        if result.tidied is not None:
            result.timings["tidy the cache"] = time.perf_counter() - started
    return result


class _EarlyCharts:
    """vl-convert for an incremental build in a one-shot process, started in a chart
    worker (:class:`~reportgen.vega.ChartWorker`) as soon as the build knows that it has
    a previous build to go on from, so that its runtime (0.7 s) starts while the content
    loads, instead of when the first chart is asked for.  In a worker, not in this
    process: this one may still have to fork (to check many files, to render many
    pages, to make the PDF)."""

    def __init__(self):
        self.worker: ChartWorker | None = None

    def start(self) -> ChartWorker | None:
        if runtime_started() or not can_fork():
            return None
        self.worker = ChartWorker()
        self.worker.warm_up()
        return self.worker

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.close(wait=False)


def _build_site(content_dir: Path, templates_dir: Path, out_dir: Path, cache_dir: Path | None,
                use_cache: bool, pdf: bool, workers: int | None, progress: Progress | None,
                show_first: bool, one_shot: bool, charts: ChartWorker | None,
                early: _EarlyCharts | None, site_url: str | None) -> BuildResult:
    check_out_dir(out_dir, content_dir, templates_dir)
    timings = Timings()  # (cache_dir: as build_site resolved it)
    workers = workers or os.cpu_count() or 1
    fact_cache = FactFileCache.shared(cache_dir) if cache_dir else None

    # The inputs are read once, before loading, so what the saved state records is what
    # this build was made from even if files change meanwhile.
    digest = everything = ""
    previous = earlier = None  # (earlier: the last build's state, whatever it was made from)
    if cache_dir and content_dir.is_dir() and (templates_dir / "base.html").is_file():
        with timings.stage("compare inputs"):
            digest = inputs_digest(content_dir, templates_dir, pdf, site_url)
            everything = all_inputs_digest(digest, content_dir)
            earlier = load_state(cache_dir, out_dir)
            if earlier and not earlier.intact(out_dir):
                earlier = None
            previous = earlier if earlier and earlier.inputs == digest else None
        if (previous and previous.all_inputs == everything and not previous.search_stale
                and not previous.data_stale):
            # Nothing changed at all: answer without loading the content (with the
            # warnings the content gave, shown from here, as a build that loaded it would).
            warnings = [Problem(display_path(Path(path)), *rest)
                        for path, *rest in previous.warnings]
            return BuildResult(out_dir, previous.counts.get("pages", 0), 0,
                               previous.counts.get("facts", 0), len(previous.files),
                               warnings, 0, "unchanged", timings)
    if early is not None and previous is not None:
        charts = early.start() or charts

    with timings.stage("load and validate"):
        content, problems = load_content(content_dir, cache=fact_cache, workers=workers)
    if content is None:
        raise ContentError(problems)
    if site_url:  # (a new Site: the loaded one may be held for the next load, as it is)
        content.site = replace(content.site, url=site_url)
    warnings = [p for p in problems if p.severity == "warning"]
    layout = layout_digest(content)
    if previous is not None and previous.layout != layout:
        previous = None  # programs or metrics added or reordered, a menu title: every page

    with timings.stage("plan"):
        if not (templates_dir / "base.html").is_file():
            raise BuildError(f"{templates_dir}: no base.html here; pass --templates DIR")
        pages = plan_pages(content, LANGUAGES)
        ids = list(map(fact_id, content.facts))
        prints = dict(zip(ids, map((fact_cache.fingerprints if fact_cache else {}).get, ids,
                                   repeat(""))))
        disagreeing = content.disagreeing
        shows = page_shows(pages, content.record_prints)
        shards = SearchShards(content)
        page_shards = {p.out_path: shards.of_page(p) for p in pages
                       if p.kind in SEARCHABLE_KINDS}
        to_render = {p.out_path for p in pages}
        mode, changed = "full", set()
        if previous is not None:
            changed, to_render = _affected_pages(pages, previous, shows, prints, disagreeing,
                                                 content)
            mode = ("incremental" if changed or previous.search_stale or previous.data_stale
                    or shows != previous.pages else "unchanged")

    result = BuildResult(out_dir, len(pages), 0, len(content.facts), 0, warnings, 0, mode,
                         timings)
    if mode == "unchanged":
        result.files = len(previous.files)
        if cache_dir and previous.all_inputs != everything:  # (only a comment edited, say)
            previous.all_inputs, previous.warnings = everything, _kept_warnings(warnings)
            previous.records = content.record_prints  # (of a metric no figure has, say)
            save_state(cache_dir, out_dir, previous)  # the next build need not load it
        return result

    if cache_dir and any(page.chart_maker for page in pages if page.out_path in to_render):
        _chart_templates(cache_dir)  # (before the workers and the PDF's process fork)
    report = PdfReport(content, templates_dir, cache_dir) if pdf else None
    trees = _search_trees(cache_dir, out_dir)
    with SiteFiles(out_dir) as files, _closing(report), \
            _search_copies(cache_dir, out_dir) as copies, \
            Indexing(files.staging / SEARCH_BUNDLE, out_dir.resolve().parent,
                     _search_work(out_dir), trees, parallel=workers) as indexing, \
            _Rendering() as rendering:
        if report:
            report.start()
        job = _RenderJob(content, pages, templates_dir, cache_dir, copies, charts)
        indexes = [i for i, page in enumerate(pages) if page.out_path in to_render]
        with timings.stage("render and write pages and charts"):
            # (a few pages' chart images are still being made meanwhile: added below)
            render_pages(job, indexes, files, workers, progress, one_shot, rendering)
        search_copies = rendering.search_copies
        rendered_now = set(search_copies)  # (pages with a copy, rendered in this build)
        result.rendered = len(indexes)

        keep = set()
        if mode == "incremental":
            kept_pages = {p.out_path for p in pages} - to_render
            keep = {path for path in previous.files
                    if path in kept_pages or _belongs_to(path, kept_pages)}
            # The same templates, code and libraries as the last build: the same assets.
            keep.update(path for path in previous.files if _is_asset(path))
            search_copies.update(_kept_copies(previous, kept_pages))
        data_later = show_first and mode == "incremental"
        by_shard, bundles, stale = _shards_to_index(search_copies, page_shards,
                                                    _indexed_before(earlier))
        if mode == "full":  # (a template changed, say): the bundles of shards whose
            for shard in sorted(set(by_shard) - stale):  # pages' copies are the same stay
                if not _keep_bundle(shard, earlier, out_dir, files.staging):
                    stale.add(shard)
        if mode == "incremental":
            if data_later and stale:  # the previous index stays until finish_build
                keep.update(p for p in previous.files if bundle_of(p) is not None)
                bundles, stale = previous.search_bundles, set()
                result.search_pending = True
            else:  # the bundles of shards whose pages' copies are the same stay
                keep.update(p for p in previous.files if bundle_of(p) in by_shard
                            and bundle_of(p) not in stale)
        # Pagefind indexes the shards whose pages changed, in processes of their own,
        # while the data files are written here.
        searching = time.perf_counter()
        prune_trees(trees, shards.names)
        if stale:
            indexing.start(_shard_files(
                by_shard, stale, copies,
                lambda path: (files.staging if path in rendered_now else out_dir) / path))

        # (made from the last build's, unless that build was not finished: see finish_build)
        data = _DataFiles(content, pages, out_dir,
                          mode == "incremental" and not previous.data_stale, changed, to_render)
        with timings.stage("data and assets"):
            if mode == "full":
                files.add(SITE_MARK, SITE_MARK_TEXT)
                copy_static(templates_dir, files)
                files.add(BUNDLE_PATH, VegaRenderer(cache_dir, charts).javascript_bundle())
            if data_later:  # (the last build's stay until then)
                keep.update(path for path in DATA_FILES if path in previous.files)
            else:
                data.write(files)
        listing = None
        if mode == "incremental" and not data_later:
            with timings.stage("look through the site"):  # (while Pagefind works: its
                listing = site_listing(out_dir)  # files, links and folders go if unlisted)

        with timings.stage("chart images: the rest"):
            rendering.add_images(files)
        timings["charts (within render)"] = rendering.chart_seconds
        chart_entries = rendering.chart_entries  # (of the pages rendered: an image each)
        result.charts = sum(map(len, chart_entries.values()))
        if mode == "incremental":
            chart_entries.update((path, entries) for path, entries in previous.charts.items()
                                 if path in kept_pages)

        if stale:
            with timings.stage("search index"):
                indexing.finish()
            timings["search index (within, alongside the data)"] = (
                time.perf_counter() - searching)
        result.search_shards = (len(stale), len(by_shard))
        if report:
            with timings.stage("pdf: waiting for it" if report.pending else "pdf"):
                files.add(PDF_PATH, report.result())
            if report.pending:
                timings["pdf (within, alongside the pages)"] = report.seconds
        with timings.stage("swap in" if mode == "full" else "move into the site"):
            if mode == "full":
                files.publish()
                site_files = files_in(out_dir)
            else:
                forget_state(cache_dir, out_dir)  # the site is part old, part new meanwhile
                site_files = {path: previous.files[path] for path in keep}
                # Every file in the site that this build neither made nor keeps goes; with
                # show_first, only the last build's for now (files no build made are looked
                # for when it is finished).
                gone = set(previous.files) if data_later else None
                site_files.update(files.publish_update(keep, gone, listing))
        result.files = len(site_files)
    if cache_dir:
        state = BuildState.make(digest, prints, shows, disagreeing, site_files)
        state.all_inputs = everything
        state.counts = {"pages": len(pages), "facts": len(content.facts)}
        state.warnings = _kept_warnings(warnings)
        state.search_stale = result.search_pending
        state.search_copies = search_copies
        state.search_shards = {path: page_shards[path] for path in search_copies}
        state.search_bundles = bundles
        state.charts = chart_entries
        state.records, state.layout = content.record_prints, layout
        state.search_key = search_key()
        if data_later:  # (only an incremental build, which needs the cache)
            result.later = partial(_finish_data, data, out_dir, cache_dir, state)
        else:
            save_state(cache_dir, out_dir, state)
    return result


def _kept_warnings(warnings: list[Problem]) -> list[list]:
    """The content's warnings as a build's state keeps them (each a Problem's fields, its
    path absolute), for a build that finds nothing changed to say again."""
    return [[os.path.abspath(warning.path), *astuple(warning)[1:]] for warning in warnings]


DATA_FILES = ("data/facts.json", "data/facts.csv", "sitemap.xml")
"""The files made from every fact (the sitemap lists every page)."""


@dataclass
class _DataFiles:
    """The data files and the sitemap of a build (:data:`DATA_FILES`); an incremental
    build makes them from the last build's, with the lines of the *changed* facts and
    the pages rendered again (*to_render*) made again."""

    content: Content
    pages: list[Page]
    out_dir: Path
    incremental: bool
    changed: set[str]
    to_render: set[str]

    def write(self, files: SiteFiles) -> None:
        for path, make in (("data/facts.json", facts_json), ("data/facts.csv", facts_csv)):
            # (as bytes: only the changed facts' lines are encoded)
            last = _read_bytes(self.out_dir / path) if self.incremental else None
            files.add(path, make(self.content, last, self.changed))
        last = _read_text(self.out_dir / "sitemap.xml") if self.incremental else None
        files.add("sitemap.xml", sitemap_xml(self.content, self.pages, last, self.to_render))


def _finish_data(data: _DataFiles, out_dir: Path, cache_dir: Path,
                 state: BuildState) -> "Finished":
    """The rest of a show_first build (see :func:`finish_build`)."""
    with cache_in_use(cache_dir):
        if load_state(cache_dir, out_dir) is not None:
            return Finished(False, False)  # another build of the site came since
        # Saved first, so that if this stops half-way, the next build goes on from here:
        # it makes the data files again from scratch and looks for files no build made.
        state.data_stale = True
        save_state(cache_dir, out_dir, state)
        with SiteFiles(out_dir) as files:
            data.write(files)
            site_files = dict(state.files)
            site_files.update(files.publish_update(set(site_files)))
        state.files, state.data_stale = site_files, False
        try:
            searched = _refresh_search(out_dir, cache_dir, state)
        finally:  # (if Pagefind failed, the state says the index is stale)
            save_state(cache_dir, out_dir, state)
    tidy_cache(cache_dir)
    return Finished(True, searched)


class Finished(NamedTuple):
    done: bool  # what the build left for later is done (False: there was nothing)
    searched: bool  # the search index changed (a search page open meanwhile is stale)


def finish_build(result: BuildResult) -> Finished:
    """Finish a build made with *show_first*, right after it: what it left for later
    (:attr:`BuildResult.later`): its data files and the sitemap moved into the site,
    every file no build made removed from it, its state saved, its search index made
    again (:func:`_refresh_search`), and the cache tidied if that is due.  Nothing is
    done when it left nothing, or when another build of the site has saved its state
    since (its site stays as it made it).  Raises BuildError when Pagefind fails,
    OSError when a file cannot be written: the next build then makes the data files or
    the index again."""
    if result.later is None:
        return Finished(False, False)
    later, result.later = result.later, None
    return later()


def warm_up(content_dir: Path, cache_dir: Path | None = None,
            charts: ChartWorker | None = None, content: bool = True) -> None:
    """Get a process that goes on from build to build (``reportgen serve``) ready for its
    next rebuild while it waits for an edit: vl-convert's runtime started in *charts*,
    the charts' templates read, and (with *content*: not when a build here has just
    loaded it) the content loaded into this process's cache of fact files
    (:meth:`FactFileCache.shared`).  What is wrong with the content is not said here:
    the rebuild says it."""
    cache_dir = cache_dir or default_cache_dir()
    if charts is not None:
        charts.warm_up()
    with cache_in_use(cache_dir):
        if content:
            load_content(content_dir, cache=FactFileCache.shared(cache_dir))
        _chart_templates(cache_dir)


def _refresh_search(out_dir: Path, cache_dir: Path, state: BuildState) -> bool:
    """Index again the shards of the published site whose pages changed since their
    index was made, after a build with *show_first* (from the search copies its *state*
    records, made again from the page where the cache lost one), put each new bundle in
    place of the old one, and record that in *state* (which the caller saves); False when
    there was nothing to do.  The site is then what a build without *show_first* would
    have made.  Raises BuildError when Pagefind fails (the old index and *state* stay)."""
    if not state.search_stale:
        return False
    out_dir = out_dir.resolve()
    copies = SearchCopies(cache_dir / SEARCH_COPIES)
    by_shard, bundles, stale = _shards_to_index(state.search_copies, state.search_shards,
                                                state.search_bundles)
    fresh = Path(tempfile.mkdtemp(prefix=_search_work(out_dir), dir=out_dir.parent))
    try:
        index_documents(_shard_files(by_shard, stale, copies, lambda path: out_dir / path),
                        fresh / SEARCH_BUNDLE, out_dir.parent, _search_work(out_dir),
                        _search_trees(cache_dir, out_dir), parallel=os.cpu_count() or 1)
        current = out_dir / SEARCH_BUNDLE
        current.mkdir(exist_ok=True)
        for shard in sorted(stale):  # each bundle swapped whole
            old = fresh / f"old-{shard}"
            if (current / shard).exists():
                (current / shard).rename(old)
            try:
                (fresh / SEARCH_BUNDLE / shard).rename(current / shard)
            except BaseException:
                if old.exists():
                    old.rename(current / shard)  # the old bundle back, not none
                raise
        for other in current.iterdir():
            if other.name not in by_shard:
                if other.is_dir() and not other.is_symlink():
                    shutil.rmtree(other)
                else:
                    other.unlink()
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    files = {path: size for path, size in state.files.items() if bundle_of(path) is None}
    files.update(files_in(out_dir, SEARCH_BUNDLE))
    state.files, state.search_bundles, state.search_stale = files, bundles, False
    return True


def _chart_templates(cache_dir: Path) -> None:
    """Have charts made from the templates kept in the cache, or keep them there: they
    depend on reportgen's code (its message catalogs too) and on Altair's version only,
    and making them means importing Altair, most of the time of a small rebuild's charts.
    (See :func:`reportgen.charts.chart_templates`.)"""
    key = hashlib.sha256(f"{code_version()} {library_versions()}".encode()).hexdigest()
    path = cache_dir / CHART_TEMPLATES / f"{key[:32]}.json"
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        for lang in LANGUAGES:
            use_chart_templates(lang, kept[lang])
        mark_used(path)
        return
    except (OSError, ValueError, KeyError, TypeError):
        pass  # not kept yet, or unreadable: made again
    made = {lang: chart_templates(lang) for lang in LANGUAGES}
    write_entry(path, json.dumps(made).encode("utf-8"))


@contextmanager
def _search_copies(cache_dir: Path | None, out_dir: Path):
    """Where this build keeps the search copies of its pages: in the cache, or, without
    one, in a work folder beside the site, removed when the build ends."""
    if cache_dir:
        yield SearchCopies(cache_dir / SEARCH_COPIES)
        return
    work = Path(tempfile.mkdtemp(prefix=_search_work(out_dir.resolve()),
                                 dir=out_dir.resolve().parent))
    try:
        yield SearchCopies(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _search_trees(cache_dir: Path | None, out_dir: Path) -> Path | None:
    return cache_dir / SEARCH_TREES / state_key(out_dir) if cache_dir else None


def _shards_to_index(documents: dict[str, str], page_shards: dict[str, str],
                     indexed: dict[str, str]) -> tuple[dict, dict[str, str], set[str]]:
    """The pages' search copies (page path -> digest) by shard of the index; what each
    shard's bundle is made from (its pages and their copies, as one hash); and the
    shards whose bundle in the site, made from *indexed* (shard -> hash), is not that."""
    by_shard: dict[str, dict[str, str]] = {}
    for path in sorted(documents):
        by_shard.setdefault(page_shards[path], {})[path] = documents[path]
    made_from = {shard: hashlib.sha256("".join(
        f"{path} {digest}\n" for path, digest in docs.items()).encode()).hexdigest()
        for shard, docs in by_shard.items()}
    return by_shard, made_from, {s for s in by_shard if indexed.get(s) != made_from[s]}


def search_key() -> str:
    """What a search bundle depends on besides its pages' search copies: Pagefind's
    version and reportgen's code (which runs it and merges its entry files)."""
    return f"{code_version()} pagefind-bin={library_version('pagefind-bin')}"


def _indexed_before(earlier: BuildState | None) -> dict[str, str]:
    """What the bundles in the site were made from (shard -> digest), when the same
    Pagefind made them the same way (else none is kept: every shard is indexed)."""
    if earlier is None or earlier.search_stale or earlier.search_key != search_key():
        return {}
    return earlier.search_bundles


def _keep_bundle(shard: str, earlier: BuildState, out_dir: Path, staging: Path) -> bool:
    """Put the bundle of *shard* in the site, as the *earlier* build made it, into the
    staging folder of a full build: each of its files linked (copied where it cannot be),
    so that the bundle outlives the old site, and nothing else there.  False, and nothing
    put, when a file of it is missing or reached through a link (one put there by hand):
    the shard is indexed again.  (Like the pages an incremental build keeps, the files are
    trusted when they have their recorded size; ``--no-cache`` makes everything anew.)"""
    files = {path.split("/", 2)[2]: out_dir / path
             for path in earlier.files if bundle_of(path) == shard}
    real = os.path.realpath(out_dir)
    if not files or any(not os.path.isfile(path) or os.path.realpath(path)
                        != f"{real}/{SEARCH_BUNDLE}/{shard}/{relative}"
                        for relative, path in files.items()):
        return False
    link_tree(staging / SEARCH_BUNDLE / shard, files)
    return True


def _kept_copies(previous: BuildState, kept_pages: set[str]) -> dict[str, str]:
    """The search copies of the pages an incremental build keeps, as the previous build
    recorded them (whether the cache still has them is seen when a shard is indexed:
    :func:`_shard_files`)."""
    return {path: digest for path, digest in previous.search_copies.items()
            if path in kept_pages}


def _shard_files(by_shard: dict[str, dict[str, str]], shards: set[str], copies: SearchCopies,
                 page_at: Callable[[str], Path]) -> dict[str, dict[str, Path]]:
    """What Pagefind indexes for each of *shards*: its pages' search copies (page path ->
    file).  A copy the cache no longer has (a cache emptied by hand) is made again from
    the page as this build has it (``page_at(path)``: in the site for a kept page, in
    the staging folder for one rendered now)."""
    files = {}
    for shard in shards:
        documents = by_shard[shard]
        for path, digest in documents.items():
            if not copies.has(digest):
                copy = search_copy(page_at(path).read_text(encoding="utf-8"))
                if copy is not None:
                    documents[path] = copies.put(copy)  # (the same page: the same copy)
        files[shard] = copies.files(documents)
    return files


@contextmanager
def _closing(report: PdfReport | None):
    """Stops the PDF's process however the build ends."""
    try:
        yield
    finally:
        if report:
            report.close()


def _new_folder(parent: Path, prefix: str) -> Path:
    """A new, empty folder in *parent*, named *prefix* and a random suffix, with the
    permissions any folder made there gets (the umask's): the staging folder becomes the
    site, which a web server running as another user must be able to read, and
    tempfile.mkdtemp's folders are their owner's alone."""
    while True:
        folder = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue


def _read_text(path: Path) -> str | None:
    """A file the last build wrote, as it is (line ends untranslated), or None."""
    try:
        return (_read_bytes(path) or b"").decode("utf-8") or None
    except UnicodeDecodeError:
        return None


def _read_bytes(path: Path) -> bytes | None:
    """A file the last build wrote, or None (with nothing in it: made anew)."""
    try:
        return path.read_bytes() or None
    except OSError:
        return None


def _lies_in(folder: Path, root: Path) -> bool:
    """Whether *folder*, followed through any link, is the resolved folder *root* or
    lies inside it."""
    resolved = folder.resolve()
    return resolved == root or root in resolved.parents


def _same_bytes(new: Path, current: Path, size: int) -> bool:
    """Whether the file *current* holds what *new* (of *size* bytes) holds."""
    try:
        if current.is_symlink() or current.stat().st_size != size:
            return False
        return current.read_bytes() == new.read_bytes()
    except OSError:
        return False


def _is_asset(path: str) -> bool:
    """Whether *path* is a file of the site that depends on the templates, reportgen and
    its libraries alone: the mark, the styles and scripts, the JavaScript bundle."""
    return path in (SITE_MARK, BUNDLE_PATH) or path.startswith("static/")


def _belongs_to(path: str, page_paths: set[str]) -> bool:
    """Whether *path* is a chart image of one of the pages (it sits in the page's folder)."""
    folder, _, name = path.rpartition("/")
    return name.startswith("chart-") and (f"{folder}/index.html" if folder else "index.html") \
        in page_paths
