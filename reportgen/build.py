"""The build, stage by stage: load -> validate -> plan pages -> charts -> render -> write.

:func:`build_site` reads like a table of contents of the build.  All content is loaded and
validated before anything is written, and the output is assembled in memory as
``{path: bytes}`` and written to a fresh folder beside the target, which replaces the old
site only when everything succeeded: a failed build leaves the previous site untouched.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .content import load_content
from .crosscheck import disagreement_map
from .errors import BuildError, ContentError, Problem
from .export import facts_csv, facts_json
from .model import Content
from .pages import Page, plan_pages
from .render import make_environment, render_page
from .vega import VegaRenderer, default_cache_dir

BUNDLE_PATH = "static/vendor/vega-bundle.js"
PDF_PATH = "report.pdf"


@dataclass
class BuildResult:
    """What a build made, for the CLI to report."""

    out_dir: Path
    pages: int
    charts: int
    facts: int
    files: int
    warnings: list[Problem] = field(default_factory=list)


class SiteFiles:
    """The output in memory; refuses to write the same path twice or outside the site."""

    def __init__(self):
        self.files: dict[str, bytes] = {}

    def add(self, path: str, data: str | bytes) -> None:
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise BuildError(f"refusing to write outside the site: {path!r}")
        if path in self.files:
            raise BuildError(f"two outputs for the same path: {path}")
        self.files[path] = data.encode("utf-8") if isinstance(data, str) else data


def render_charts(pages: list[Page], files: SiteFiles, vega: VegaRenderer) -> dict[str, dict]:
    """Static SVG for every chart, written beside its page; returns file names per page."""
    names: dict[str, dict] = {}
    for page in pages:
        folder = PurePosixPath(page.out_path).parent
        names[page.out_path] = {}
        for chart in page.charts:
            file_name = f"chart-{chart.name}.svg"
            files.add(str(folder / file_name), vega.svg(chart.spec))
            names[page.out_path][chart.name] = file_name
    return names


def copy_static(templates_dir: Path, files: SiteFiles) -> None:
    """The site's own CSS and JavaScript, from templates/static/."""
    static = templates_dir / "static"
    for path in sorted(static.rglob("*")):
        if path.is_file():
            files.add("static/" + path.relative_to(static).as_posix(), path.read_bytes())


def assemble_site(content: Content, templates_dir: Path, vega: VegaRenderer) -> tuple[SiteFiles, int, int]:
    """Every output file, in memory."""
    env = make_environment(templates_dir)
    env.globals["disagreeing"] = disagreement_map(content.facts)
    pages = plan_pages(content)
    files = SiteFiles()
    chart_files = render_charts(pages, files, vega)
    for page in pages:
        files.add(page.out_path, render_page(env, content, page, chart_files[page.out_path]))
    copy_static(templates_dir, files)
    files.add(BUNDLE_PATH, vega.javascript_bundle())
    files.add("data/facts.json", facts_json(content))
    files.add("data/facts.csv", facts_csv(content))
    return files, len(pages), sum(len(p.charts) for p in pages)


def write_site(files: SiteFiles, out_dir: Path) -> None:
    """Write into a new folder beside *out_dir*, then swap it in."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        for path, data in sorted(files.files.items()):
            target = (staging / path).resolve()
            if staging not in target.parents:
                raise BuildError(f"refusing to write outside the site: {path!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        old = None
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{staging.name.rsplit('-', 1)[-1]}")
            out_dir.rename(old)
        staging.rename(out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def build_site(content_dir: Path, templates_dir: Path, out_dir: Path,
               cache_dir: Path | None = None, use_cache: bool = True,
               pdf: bool = False) -> BuildResult:
    """Build the whole site (and, with *pdf*, ``report.pdf`` in it); raises ContentError
    or BuildError and then writes nothing."""
    content, problems = load_content(content_dir)
    if content is None:
        raise ContentError(problems)
    vega = VegaRenderer((cache_dir or default_cache_dir()) if use_cache else None)
    files, pages, charts = assemble_site(content, templates_dir, vega)
    if pdf:
        from .pdf import render_pdf  # WeasyPrint is heavy: imported only when asked for

        files.add(PDF_PATH, render_pdf(content, templates_dir, vega))
    write_site(files, out_dir)
    return BuildResult(out_dir, pages, charts, len(content.facts), len(files.files),
                       [p for p in problems if p.severity == "warning"])
