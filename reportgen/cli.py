"""The command line: ``reportgen build``, ``check``, ``serve``, ``diff`` and ``schema``.

This is the only module that prints or chooses an exit code: 0 success, 1 content
problems (a failed build, new errors in ``diff``'s head), 2 usage errors (click's own,
an unknown revision).  Problems are printed one per
line as ``path:line:col: RULE message (hint)``; a traceback is never shown.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path

import click

from .cachetidy import UNUSED_DAYS
from .errors import ContentError, Problem, ReportgenError, current_file


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(problem.format(), err=True)


def _summary(problems: list[Problem]) -> str:
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    return f"{errors} error(s), {warnings} warning(s)"


def _site_after(exc: BaseException) -> str:
    """What a failed build left of the site, for its last message."""
    if getattr(exc, "site_partly_updated", False):
        return ("the site was partly updated when it stopped; "
                "the next build replaces it whole.")
    return "the previous site is unchanged."


GC_YOUNGEST = 100_000
"""Allocations between two collections of the youngest objects (Python's default: 700)."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="reportgen")
def main() -> None:
    """Build a cited report site from YAML fact files."""
    # A national site is some hundred thousand objects (facts, pages, their groups) made
    # in a few seconds and kept to the end; Python's default collects the youngest
    # objects every 700 allocations, and each full collection walks all of them, which
    # was a third of the time of planning the pages.  Collecting less often costs little
    # memory: the build makes few cycles.
    gc.set_threshold(GC_YOUNGEST, 10, 10)


def run() -> None:
    """The command line as a program (``reportgen``, ``python -m reportgen``).  When the
    command is over, the process ends at once, without freeing its objects one by one:
    at national scale that took more than a second after every build.  Output is flushed
    first; every file, worker process and temporary folder has been closed by then (a
    worker process still running is stopped, as Python's own clean-up would)."""
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away (`| head`), a closed stream
            code = code or 1
    if "multiprocessing" in sys.modules:  # what its clean-up at exit would stop
        for child in sys.modules["multiprocessing"].active_children():
            child.terminate()
    os._exit(code or 0)


_content_option = click.option(
    "--content", "content_dir", type=click.Path(path_type=Path), default="content",
    show_default=True, help="Folder of content files.")


class _ProgressLine:
    """A one-line progress display on a terminal; silent when output is not a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.enabled and (done == total or done % 25 == 0):
            width = 30
            filled = width * done // max(total, 1)
            click.echo(f"\rRendering pages [{'#' * filled}{'.' * (width - filled)}] "
                       f"{done}/{total}", nl=False, err=True)
            self.shown = True

    def close(self) -> None:
        if self.shown:
            click.echo("", err=True)


def _http_address(_context, _parameter, value: str | None) -> str | None:
    """--url's check: an http(s) address, as site.yaml's url must be."""
    from .validate import is_http_address

    if value is not None and not is_http_address(value):
        raise click.BadParameter(f"{value!r} is not an http(s) address "
                                 "(write it whole: https://example.org/laporan/)")
    return value


@main.command()
@_content_option
@click.option("--templates", "templates_dir", type=click.Path(path_type=Path),
              default="templates", show_default=True, help="Folder of templates.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default="site",
              show_default=True, help="Where the site is written.")
@click.option("--no-cache", is_flag=True,
              help="Ignore every cache: parse, check and render everything afresh.")
@click.option("--pdf", is_flag=True, help="Also write the printable report, OUT/report.pdf.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None,
              help="Processes that render pages (default: one per core).")
@click.option("--quiet", "-q", is_flag=True, help="Print only problems.")
@click.option("--verbose", "-v", is_flag=True, help="Also print the time spent per stage.")
@click.option("--url", "site_url", callback=_http_address, metavar="URL",
              help="The address the site is published at, in place of site.yaml's url: "
                   "sitemap.xml, og:url and the 404 page's links use it.")
def build(content_dir: Path, templates_dir: Path, out_dir: Path, no_cache: bool,
          pdf: bool, jobs: int | None, quiet: bool, verbose: bool,
          site_url: str | None) -> None:
    """Check the content and build the site (incrementally when a previous build exists)."""
    if not _build_and_report(content_dir, templates_dir, out_dir, not no_cache, pdf, jobs,
                             quiet, verbose, one_shot=True, site_url=site_url):
        sys.exit(1)


def _build_and_report(content_dir: Path, templates_dir: Path, out_dir: Path, use_cache: bool,
                      pdf: bool, jobs: int | None, quiet: bool, verbose: bool,
                      show_first: bool = False, one_shot: bool = False,
                      charts=None, site_url: str | None = None):
    """Build once and print the outcome: the BuildResult, or None when the build failed."""
    progress = _ProgressLine(enabled=not quiet and sys.stderr.isatty())
    try:
        from .build import build_site

        started = time.perf_counter()
        result = build_site(content_dir, templates_dir, out_dir, use_cache=use_cache,
                            pdf=pdf, workers=jobs, progress=progress,
                            show_first=show_first, one_shot=one_shot, charts=charts,
                            site_url=site_url)
    except ContentError as exc:
        progress.close()
        _print_problems(exc.problems)
        click.echo(f"Build failed: {_summary(exc.problems)}; the previous site is unchanged.",
                   err=True)
        return None
    except (ReportgenError, OSError) as exc:
        progress.close()
        if isinstance(exc, OSError):
            click.echo(f"Error: {exc.filename or ''}: {exc.strerror or exc}", err=True)
        else:
            click.echo(f"Error: {exc}", err=True)
        click.echo(f"Build failed; {_site_after(exc)}", err=True)
        return None
    except KeyboardInterrupt as exc:
        progress.close()
        click.echo(f"Interrupted; {_site_after(exc)}", err=True)
        return None
    except Exception as exc:  # noqa: BLE001 - a bug: reported, never a traceback
        progress.close()
        where = current_file.get() or str(content_dir)
        click.echo(f"{where}:1:1: RG900 internal error: {type(exc).__name__}: {exc} "
                   "(this is a bug in reportgen; please report it)", err=True)
        click.echo(f"Build failed; {_site_after(exc)}", err=True)
        return None
    progress.close()
    _print_problems(result.warnings)
    if quiet:
        return result
    if result.mode == "unchanged":
        click.echo(f"Nothing changed: {result.pages} pages in {result.out_dir} are up to date")
    elif result.mode == "incremental":
        click.echo(f"Rebuilt {result.rendered} of {result.pages} pages, {result.charts} charts, "
                   f"{result.facts} facts ({result.files} files) in {result.out_dir}"
                   + ("; the data files and the search index follow" if result.later
                      else ""))
    else:
        click.echo(f"Built {result.pages} pages, {result.charts} charts, {result.facts} facts "
                   f"({result.files} files) in {result.out_dir}")
    if verbose:
        for stage, seconds in result.timings.items():
            click.echo(f"  {stage:<26} {seconds:8.3f} s")
        if result.search_shards[1] and not result.search_pending:
            click.echo(f"  search index: {result.search_shards[0]} of "
                       f"{result.search_shards[1]} shards made again")
        if result.tidied:
            files = result.tidied.files
            click.echo(f"  cache: removed {files} file{'s' if files != 1 else ''} unused "
                       f"for {UNUSED_DAYS} days ({result.tidied.bytes / 1e6:.1f} MB)")
        total = time.perf_counter() - started
        rate = result.rendered / total if total else 0
        click.echo(f"  {'total':<26} {total:8.3f} s ({rate:.0f} pages/s rendered)")
    return result


@main.command()
@_content_option
@click.option("--templates", "templates_dir", type=click.Path(path_type=Path),
              default="templates", show_default=True, help="Folder of templates.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default="site",
              show_default=True, help="Where the site is written.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (the default is reachable from this machine only).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
def serve(content_dir: Path, templates_dir: Path, out_dir: Path, host: str, port: int) -> None:
    """Serve the site locally; rebuild and reload open pages when content or templates change."""
    from .workers import can_fork

    # vl-convert runs in a process of its own, started now: this one goes on from build
    # to build and must stay able to fork page workers (see reportgen.vega.ChartWorker).
    charts = None
    if can_fork():
        from .vega import ChartWorker

        charts = ChartWorker()
    try:
        _serve(content_dir, templates_dir, out_dir, host, port, charts)
    finally:
        if charts is not None:
            charts.close()


def _serve(content_dir: Path, templates_dir: Path, out_dir: Path, host: str, port: int,
           charts) -> None:
    from .build import check_out_dir
    from .serve import SiteServer

    try:  # a folder no build may replace: nothing to serve, nor to rebuild later
        check_out_dir(out_dir, content_dir, templates_dir)
    except ReportgenError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    first = _build_and_report(content_dir, templates_dir, out_dir, True, False, None, False,
                              False, charts=charts)

    last = []  # the last rebuild's result, which refresh finishes

    def rebuild() -> bool:
        # The changed pages are shown first; the data files, the saved state and the
        # search index (Pagefind takes most of a national rebuild) follow (refresh below).
        click.echo("Change seen; rebuilding ...", err=True)
        result = _build_and_report(content_dir, templates_dir, out_dir, True, False, None,
                                   False, False, show_first=True, charts=charts)
        last[:] = [result] if result else []
        return result is not None

    def refresh() -> bool:
        from .build import finish_build

        if not last:
            return False
        try:
            finished = finish_build(last.pop())
            if finished.done:
                click.echo("Data files and search index up to date.", err=True)
            return finished.searched
        except (ReportgenError, OSError) as exc:
            click.echo(f"Data files or search index not updated ({exc}); the next build "
                       "makes them again.", err=True)
        except Exception as exc:  # noqa: BLE001 - a bug: said, and serve goes on watching
            click.echo(f"Data files or search index not updated (internal error: "
                       f"{type(exc).__name__}: {exc}; this is a bug in reportgen, please "
                       "report it); the next build makes them again.", err=True)
        return False

    def warm_up() -> None:  # the first edit is then as quick to show as the next
        from .build import warm_up as get_ready

        try:
            # (a build that found something to do has loaded the content already)
            get_ready(content_dir, charts=charts,
                      content=first is not None and first.mode == "unchanged")
        except Exception as exc:  # noqa: BLE001 - nothing lost: a rebuild does it all again
            click.echo(f"Could not load the content ahead of the first edit ({type(exc).__name__}:"
                       f" {exc}); the first rebuild will.", err=True)

    try:
        server = SiteServer(out_dir, [content_dir, templates_dir], rebuild, host, port,
                            after_rebuild=refresh, warm_up=warm_up)
    except OSError as exc:
        click.echo(f"Error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    click.echo(f"Serving {out_dir} at {server.address} (Ctrl-C to stop); watching "
               f"{content_dir} and {templates_dir}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.", err=True)


def _load_checked(content_dir: Path, archive_dir: Path | None):
    """Load and check content; an unexpected failure becomes an RG900 problem, not a trace."""
    from .content import load_content
    from .crosscheck import verify_quotes
    from .factcache import FactFileCache
    from .vega import default_cache_dir

    current_file.set(str(content_dir))
    try:
        cache = FactFileCache(default_cache_dir())
        content, problems = load_content(content_dir, partial=archive_dir is not None,
                                         cache=cache)
        if content is not None and archive_dir is not None:
            # Verify what did load, so quote problems show up beside unrelated errors.
            problems = sorted(problems + verify_quotes(content, archive_dir))
            if any(p.severity == "error" for p in problems):
                content = None
        return content, problems
    except Exception as exc:  # noqa: BLE001 - reported, never shown as a traceback
        where = current_file.get() or str(content_dir)
        return None, [Problem(where, 1, 1, "RG900", f"internal error while reading this file: "
                              f"{type(exc).__name__}: {exc}",
                              "this is a bug in reportgen; please report it with the file")]


@main.command()
@_content_option
@click.option("--archive", "archive_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of article texts: verify every quote against its article.")
@click.option("--format", "output_format", type=click.Choice(["text", "github", "json"]),
              default="text", show_default=True, help="How problems are printed.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check(content_dir: Path, archive_dir: Path | None, output_format: str, strict: bool) -> None:
    """Check the content without building: every problem, in one run."""
    from .reporting import github_annotations, json_report, summary_line

    if archive_dir is not None and not archive_dir.is_dir():
        raise click.BadParameter(f"{archive_dir} is not a folder", param_hint="--archive")
    content, problems = _load_checked(content_dir, archive_dir)
    failed = content is None or (strict and bool(problems))
    if output_format == "json":
        click.echo(json_report(problems))
    elif output_format == "github":
        lines, summary = github_annotations(problems)
        for line in lines:
            click.echo(line)
        summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary_path:
            with open(summary_path, "a", encoding="utf-8") as out:
                out.write(summary)
        click.echo(f"{'Check failed' if failed else 'OK'}: {summary_line(problems)}")
    else:
        _print_problems(problems)
        if failed:
            click.echo(f"Check failed: {summary_line(problems)}", err=True)
        else:
            click.echo(f"OK: {len(content.facts)} facts, {len(content.sources)} sources, "
                       f"{len(content.regions)} regions; {summary_line(problems)}")
    if failed:
        sys.exit(1)


@main.command()
@click.argument("base")
@click.argument("head", required=False)
@click.option("--content", "content_rel", default="content", show_default=True,
              help="Content folder, relative to the repository root.")
@click.option("--format", "output_format", type=click.Choice(["markdown", "json"]),
              default="markdown", show_default=True, help="Output format.")
def diff(base: str, head: str | None, content_rel: str, output_format: str) -> None:
    """Compare the facts at git revision BASE with HEAD (default: the working tree); exit
    1 when HEAD has errors that BASE does not."""
    from .diff import compare_revisions, json_report, markdown_report, repo_root

    try:
        repo = repo_root(Path.cwd())
        result = compare_revisions(repo, content_rel, base, head)
    except ReportgenError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    report = json_report if output_format == "json" else markdown_report
    click.echo(report(result, base, head))
    if result.new_errors:
        click.echo(f"Diff failed: {len(result.new_errors)} new error(s) at "
                   f"{head or 'the working tree'}.", err=True)
        sys.exit(1)


@main.command()
@click.argument("kind", required=False, default="facts",
                type=click.Choice(["facts", "sources", "regions", "programs", "metrics", "site"]))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Write every kind's schema as KIND.schema.json into this folder.")
def schema(kind: str, out_dir: Path | None) -> None:
    """Print the JSON Schema of a kind of content file (default: facts)."""
    import json

    from .schema import json_schemas

    schemas = json_schemas()
    if out_dir is None:
        click.echo(json.dumps(schemas[kind], ensure_ascii=False, indent=2))
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, document in schemas.items():
        (out_dir / f"{name}.schema.json").write_text(
            json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    click.echo(f"Wrote {len(schemas)} schemas to {out_dir}")
