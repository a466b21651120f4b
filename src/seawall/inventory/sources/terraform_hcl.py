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


def read_hcl_text(text: str, path: Path) -> tuple[list[SourceObject], list[str]]:
    """Resources in one .tf file; expressions stay as `${...}` strings."""
    from seawall.inventory.sources.hclfast import read_hcl  # python-hcl2 only on fallback

    try:
        data = read_hcl(text)
    except Exception as exc:  # lark raises many exception types for bad syntax
        return [], [hcl_error_warning(exc, path)]
    lines = text.splitlines()
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
                pattern = re.compile(
                    rf'^\s*resource\s+"?{re.escape(rtype)}"?\s+"?{re.escape(name)}"?\s*\{{'
                )
                line = next((i for i, t in enumerate(lines, 1) if pattern.match(t)), None)
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
