"""The command line: ``reportgen build`` and ``reportgen check``.

This is the only module that prints or chooses an exit code: 0 success, 1 content
problems (or a failed build), 2 usage errors (click's own).  Problems are printed one per
line as ``path:line:col: RULE message (hint)``; a traceback is never shown.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import ContentError, Problem, ReportgenError


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(problem.format(), err=True)


def _summary(problems: list[Problem]) -> str:
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    return f"{errors} error(s), {warnings} warning(s)"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="reportgen")
def main() -> None:
    """Build a cited report site from YAML fact files."""


_content_option = click.option(
    "--content", "content_dir", type=click.Path(path_type=Path), default="content",
    show_default=True, help="Folder of content files.")


@main.command()
@_content_option
@click.option("--templates", "templates_dir", type=click.Path(path_type=Path),
              default="templates", show_default=True, help="Folder of templates.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default="site",
              show_default=True, help="Where the site is written.")
@click.option("--no-cache", is_flag=True, help="Render every chart afresh.")
@click.option("--pdf", is_flag=True, help="Also write the printable report, OUT/report.pdf.")
def build(content_dir: Path, templates_dir: Path, out_dir: Path, no_cache: bool,
          pdf: bool) -> None:
    """Check the content and build the site."""
    try:
        from .build import build_site

        result = build_site(content_dir, templates_dir, out_dir, use_cache=not no_cache,
                            pdf=pdf)
    except ContentError as exc:
        _print_problems(exc.problems)
        click.echo(f"Build failed: {_summary(exc.problems)}; the previous site is unchanged.",
                   err=True)
        sys.exit(1)
    except ReportgenError as exc:
        click.echo(f"Error: {exc}", err=True)
        click.echo("Build failed; the previous site is unchanged.", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"Error: {exc.filename or ''}: {exc.strerror or exc}", err=True)
        click.echo("Build failed; the previous site is unchanged.", err=True)
        sys.exit(1)
    _print_problems(result.warnings)
    click.echo(f"Built {result.pages} pages, {result.charts} charts, {result.facts} facts "
               f"({result.files} files) in {result.out_dir}")


@main.command()
@_content_option
def check(content_dir: Path) -> None:
    """Check the content without building."""
    from .content import load_content

    content, problems = load_content(content_dir)
    _print_problems(problems)
    if content is None:
        click.echo(f"Check failed: {_summary(problems)}", err=True)
        sys.exit(1)
    click.echo(f"OK: {len(content.facts)} facts, {len(content.sources)} sources, "
               f"{len(content.regions)} regions; {_summary(problems)}")
