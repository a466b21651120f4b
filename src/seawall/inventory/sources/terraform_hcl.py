"""Terraform HCL source (`*.tf`): the resources of one file as SourceObjects.

Apart from terraform.py (which re-exports these) so that `seawall harden`, which reads
.tf files but none of the plan/state/transform code, imports only this.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from seawall.model import Location, SourceObject


def _clean_hcl(value: Any) -> Any:
    """Drop python-hcl2's markers (`__is_block__`, `__start_line__`, ...)."""
    if isinstance(value, dict):
        return {
            k: _clean_hcl(v)
            for k, v in value.items()
            if not (k.startswith("__") and k.endswith("__"))
        }
    if isinstance(value, list):
        return [_clean_hcl(v) for v in value]
    return value


def _unquote(label: str) -> str:
    return label[1:-1] if len(label) >= 2 and label[0] == label[-1] == '"' else label


def hcl_error_warning(exc: BaseException, path: Path) -> str:
    """`path:line: HCL parse error (...), file skipped`, naming the token type and position
    but never the token's text (it can be a secret written without quotes)."""
    line = getattr(exc, "line", None)
    column = getattr(exc, "column", None)
    token = getattr(exc, "token", None)
    if token is not None:
        what = f"unexpected {getattr(token, 'type', 'token')}"
    elif hasattr(exc, "char"):
        what = "unexpected character"
    elif isinstance(exc, RecursionError):
        what = "nested too deeply"
    else:
        what = type(exc).__name__
    if isinstance(column, int) and column > 0:
        what += f" at column {column}"
    where = f"{path}:{line}" if isinstance(line, int) and line > 0 else str(path)
    return f"{where}: HCL parse error ({what}), file skipped"


# a line that may open a resource block, and its two labels (quoted or bare)
_RESOURCE_CANDIDATE = re.compile(r"\s*resource\s")
_RESOURCE_LABELS = re.compile(
    r'\s*resource\s+(?:"([^"\n]*)"|([^\s"{]+))\s+(?:"([^"\n]*)"|([^\s"{]+))\s*\{'
)
MAX_LINE_SCANS = 1000  # resources whose line is searched line by line, per file


class _ResourceLines:
    """The first line of each `resource "TYPE" "NAME" {` in a file, from one pass over it.

    Equivalent to trying `^\\s*resource\\s+"?TYPE"?\\s+"?NAME"?\\s*\\{` on every line (what
    seawall did per resource: quadratic in the number of resources, minutes for a hostile
    file of small blocks): a line whose labels the one-pass pattern reads as (TYPE, NAME)
    matches that pattern, and any other resource falls back to that per-line search among
    the lines that start with `resource` (at most MAX_LINE_SCANS per file; beyond that the
    location has no line).
    """

    def __init__(self, text: str) -> None:
        self.candidates: list[tuple[int, str]] = []
        self.first: dict[tuple[str, str], int] = {}
        for number, line in enumerate(text.splitlines(), 1):
            if "resource" not in line or not _RESOURCE_CANDIDATE.match(line):
                continue
            self.candidates.append((number, line))
            labels = _RESOURCE_LABELS.match(line)
            if labels is not None:
                kind = labels.group(1) if labels.group(1) is not None else labels.group(2)
                name = labels.group(3) if labels.group(3) is not None else labels.group(4)
                self.first.setdefault((kind, name), number)
        self.scans = 0

    def find(self, kind: str, name: str) -> int | None:
        found = self.first.get((kind, name))
        if found is not None or self.scans >= MAX_LINE_SCANS:
            return found
        self.scans += 1
        pattern = re.compile(rf'^\s*resource\s+"?{re.escape(kind)}"?\s+"?{re.escape(name)}"?\s*\{{')
        return next((i for i, t in self.candidates if pattern.match(t)), None)


def blank_run_warning(text: str, path: Path) -> str | None:
    """The one-line warning for a file whose blank lines would make HCL parsing quadratic
    (see hclfast.blank_run_hazard), or None."""
    from seawall.inventory.sources.hclfast import MAX_BLANK_RUN_COST, blank_run_hazard

    hazard = blank_run_hazard(text)
    if hazard is None:
        return None
    line, blanks = hazard
    return (
        f"{path}:{line}: HCL file skipped: {blanks} consecutive blank lines inside a "
        f"heredoc exceed the parsing cost bound ({MAX_BLANK_RUN_COST:,} steps)"
    )


def read_hcl_text(text: str, path: Path) -> tuple[list[SourceObject], list[str]]:
    """Resources in one .tf file; expressions stay as `${...}` strings."""
    from seawall.inventory.sources.hclfast import read_hcl  # python-hcl2 only on fallback

    hazard = blank_run_warning(text, path)
    if hazard is not None:
        return [], [hazard]
    try:
        data = read_hcl(text)
    except Exception as exc:  # lark raises many exception types for bad syntax
        return [], [hcl_error_warning(exc, path)]
    lines = _ResourceLines(text)
    objects: list[SourceObject] = []
    for block in data.get("resource") or []:
        if not isinstance(block, dict):
            continue
        for rtype, named in block.items():
            if not isinstance(named, dict):
                continue
            for raw_name, body in named.items():
                name = _unquote(str(raw_name))
                rtype = _unquote(str(rtype))
                line = lines.find(rtype, name)
                objects.append(
                    SourceObject(
                        format="terraform-hcl",
                        kind=rtype,
                        name=name,
                        body=_clean_hcl(body),
                        location=Location(path=str(path), line=line),
                        address=f"{rtype}.{name}",
                    )
                )
    return objects, []
