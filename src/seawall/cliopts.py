"""Options and exit handling shared by every `seawall` verb.

Each stage's `commands.py` builds its verb from these so every verb takes `--format`,
`--output` and (where findings are produced) `--fail-on` the same way.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer

from seawall.model import Finding, Severity


class ExitCode(enum.IntEnum):
    OK = 0
    FINDINGS = 1  # findings at or above --fail-on
    USAGE = 2  # usage or input error


OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file instead of stdout (atomically)."),
]
FailOnOpt = Annotated[
    str | None,
    typer.Option(
        "--fail-on",
        help="Exit 1 when an unsuppressed finding has at least this severity "
        "(low, medium, high, critical).",
    ),
]


def parse_severity_option(value: str | None, option: str = "--fail-on") -> Severity | None:
    """Turn a severity option into a Severity, or raise a usage error naming the option."""
    if value is None:
        return None
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def check_format(value: str, allowed: Iterable[str]) -> str:
    """Validate a --format value against the formats a verb supports."""
    choices = list(allowed)
    if value not in choices:
        raise typer.BadParameter(
            f"{value!r} is not one of: {', '.join(choices)}", param_hint="--format"
        )
    return value


def exit_code_for(findings: Iterable[Finding], fail_on: Severity | None) -> ExitCode:
    """1 when any unsuppressed finding is at or above `fail_on`, else 0."""
    if fail_on is None:
        return ExitCode.OK
    for finding in findings:
        if finding.suppressed is None and finding.severity.rank >= fail_on.rank:
            return ExitCode.FINDINGS
    return ExitCode.OK
