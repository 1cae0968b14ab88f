"""Problems found in content, and the exceptions that carry them.

Every problem a contributor can act on is a :class:`Problem`: where it is (file, line,
column), a stable rule id, what is wrong and how to fix it.  Stages collect problems
instead of stopping at the first one; the CLI prints them all and picks the exit code.

Rule ids are stable: tools and documentation refer to them.  Add new ones at the end of
their block; never reuse a retired id.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

current_file: ContextVar[str] = ContextVar("current_file", default="")
"""The content file being read or checked, for reporting an internal error usefully."""

# Rule id -> one-line summary (CONTRIBUTING.md lists them with examples).
RULES: dict[str, str] = {
    # Files and YAML
    "RG001": "file cannot be read as UTF-8 text",
    "RG002": "YAML does not parse",
    "RG003": "a key appears twice in one mapping",
    "RG004": "file is empty",
    "RG005": "YAML tag or construct not allowed",
    "RG006": "content folder or required registry file missing",
    # Shape of a record
    "RG101": "unknown key",
    "RG102": "missing required field",
    "RG103": "wrong type",
    "RG104": "reference to an unknown id",
    "RG105": "id is not a slug",
    "RG106": "the same id twice",
    "RG107": "value not allowed here",
    # Values
    "RG201": "number is not finite",
    "RG202": "negative count or amount",
    "RG203": "percentage outside 0-100",
    "RG204": "range whose low exceeds its high",
    "RG205": "period is not a year, month, date or span of years",
    "RG206": "actual figure dated after the article that reports it",
    "RG207": "unit does not fit the metric",
    "RG208": "count that is not a whole number",
    # Citations
    "RG301": "figure without a source",
    "RG302": "citation without a quote",
    "RG303": "source that no fact cites",
    "RG304": "quote not found in its article",
    "RG305": "figure not found in its quote",
    "RG306": "article text missing from the archive",
    "RG307": "sources disagree on a figure",
    "RG308": "the same figure recorded as two facts",
    "RG309": "source names no article text to verify against",
    "RG310": "the same sentence cited twice for one figure",
    "RG311": "one quoted sentence translated two ways",
    # Pages and templates
    "RG401": "Markdown page problem",
    "RG402": "template error",
    # reportgen itself
    "RG900": "internal error in reportgen",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the content, located as precisely as the input allows."""

    path: str
    line: int
    column: int
    rule: str
    message: str
    hint: str = ""
    severity: str = "error"  # "error" or "warning"

    def __post_init__(self) -> None:
        # One problem, one line: control characters from content are shown escaped.
        for name in ("path", "message", "hint"):
            value = getattr(self, name)
            if any(ord(c) < 32 or c == "\x7f" for c in value):
                object.__setattr__(self, name, "".join(
                    c if ord(c) >= 32 and c != "\x7f" else repr(c)[1:-1] for c in value))

    def format(self) -> str:
        """Compiler-style line that editors and CI make clickable."""
        text = f"{self.path}:{self.line}:{self.column}: {self.rule} {self.message}"
        if self.severity == "warning":
            text = f"{self.path}:{self.line}:{self.column}: warning: {self.rule} {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class ReportgenError(Exception):
    """Base class of errors the CLI reports without a traceback."""


class ContentError(ReportgenError):
    """The content has problems; the build refuses to go on."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        errors = sum(1 for p in self.problems if p.severity == "error")
        super().__init__(f"{errors} problem(s) in the content")

    def __reduce__(self):  # raised in a worker process, it reaches the build whole
        return type(self), (self.problems,)


class BuildError(ReportgenError):
    """The build failed for a reason other than content (templates, output folder)."""


def display_path(path: Path, base: Path | None = None) -> str:
    """Path as shown in messages: relative to *base* (default: working dir) when possible."""
    return display_paths([path], base)[0]


def display_paths(paths: list[Path], base: Path | None = None) -> list[str]:
    """:func:`display_path` of each of *paths*, for many files: the base, and each
    folder of files that are not links, resolved once."""
    root = (base or Path.cwd()).resolve()
    folders: dict[Path, Path] = {}
    shown = []
    for path in paths:
        if path.is_symlink() or path.name in ("", ".", ".."):
            resolved = path.resolve()
        else:
            folder = folders.get(path.parent)
            if folder is None:
                folder = folders[path.parent] = path.parent.resolve()
            resolved = folder / path.name
        try:
            shown.append(str(resolved.relative_to(root)))
        except ValueError:
            shown.append(str(path))
    return shown
