"""Problems as people and machines read them: plain text, GitHub annotations, JSON.

GitHub Actions shows at most ten annotations of each type per step, so
:func:`github_annotations` prints the first ten errors and ten warnings as annotations
and returns the full list as a Markdown table for the job summary.
"""

from __future__ import annotations

import json

from .errors import RULES, Problem

GITHUB_LIMIT = 10
"""Annotations GitHub shows per type and step; the rest go to the job summary."""


def summary_line(problems: list[Problem]) -> str:
    errors = sum(p.severity == "error" for p in problems)
    return f"{errors} error(s), {len(problems) - errors} warning(s)"


def text_report(problems: list[Problem]) -> list[str]:
    return [p.format() for p in problems]


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(problems: list[Problem]) -> tuple[list[str], str]:
    """(workflow-command lines, Markdown summary of every problem)."""
    lines = []
    shown = {"error": 0, "warning": 0}
    for p in problems:
        if shown[p.severity] >= GITHUB_LIMIT:
            continue
        shown[p.severity] += 1
        message = p.message + (f" ({p.hint})" if p.hint else "")
        lines.append(f"::{p.severity} file={_escape_property(p.path)},line={p.line},"
                     f"col={p.column},title={_escape_property(p.rule)}::{_escape_data(message)}")
    summary = ["## reportgen check", "", summary_line(problems), ""]
    if problems:
        summary += ["| | where | rule | problem | how to fix |", "|---|---|---|---|---|"]
        for p in problems:
            icon = "❌" if p.severity == "error" else "⚠️"
            cells = [icon, f"`{p.path}:{p.line}:{p.column}`", p.rule, p.message, p.hint]
            summary.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return lines, "\n".join(summary) + "\n"


def json_report(problems: list[Problem]) -> str:
    errors = sum(p.severity == "error" for p in problems)
    return json.dumps({
        "summary": {"errors": errors, "warnings": len(problems) - errors},
        "problems": [{"path": p.path, "line": p.line, "column": p.column, "rule": p.rule,
                      "rule_summary": RULES.get(p.rule, ""), "severity": p.severity,
                      "message": p.message, "hint": p.hint} for p in problems],
    }, ensure_ascii=False, indent=2)
