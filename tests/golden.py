"""Golden output of the minimal fixture site: build it, compare it, regenerate it.

``./tasks update-golden`` (``python -m tests.golden``) rebuilds ``tests/golden/minimal``
from ``tests/data/minimal``; review the diff before committing it.  The site's own static
files and the vendored chart bundle are left out: they are copies, not output.  So is
the search index (``pagefind/``): Pagefind's own scripts and its compressed index, whose
file names change with any word of any page; test_readers and test_browser check it,
and test_builds that it is byte-identical from one build to the next.
"""

from __future__ import annotations

import difflib
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "data" / "minimal" / "content"
GOLDEN = ROOT / "tests" / "golden" / "minimal"
EXCLUDED = ("static/", "pagefind/")


def build_fixture(out: Path) -> None:
    from reportgen.build import build_site

    build_site(FIXTURE, ROOT / "templates", out)


def site_files(folder: Path) -> dict[str, bytes]:
    """Every compared file of a built site, by relative path."""
    files = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and not rel.startswith(EXCLUDED):
            files[rel] = path.read_bytes()
    return files


def compare(expected: Path, actual: Path) -> list[str]:
    """Differences between two sites, as readable lines (empty when identical)."""
    want, got = site_files(expected), site_files(actual)
    problems = [f"missing: {p}" for p in sorted(set(want) - set(got))]
    problems += [f"unexpected: {p}" for p in sorted(set(got) - set(want))]
    for path in sorted(set(want) & set(got)):
        if want[path] != got[path]:
            diff = difflib.unified_diff(
                [line[:200] for line in want[path].decode("utf-8", "replace").splitlines()],
                [line[:200] for line in got[path].decode("utf-8", "replace").splitlines()],
                f"golden/{path}", f"built/{path}", lineterm="", n=2)
            problems.append("\n".join(list(diff)[:60]))
    return problems


def update() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        build_fixture(out)
        if GOLDEN.exists():
            shutil.rmtree(GOLDEN)
        GOLDEN.mkdir(parents=True)
        for rel, data in site_files(out).items():
            target = GOLDEN / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    print(f"updated {GOLDEN.relative_to(ROOT)}; review with: git diff --stat tests/golden")


if __name__ == "__main__":
    update()
    sys.exit(0)
