"""Helpers for the inventory tests: compact matrix codes (stage-prefixed module name)."""

from __future__ import annotations

from typing import Any

_PARTY = {"customer": "C", "shared": "S", "provider": "P"}
_VERDICT = {"covered": "+", "gap": "-", "provider": ""}


def row_codes(row: dict[str, Any]) -> str:
    """A row's nine cells as `C+ C- S- P ...` (party letter, + covered, - gap; P provider).

    Cell order: application, platform, infrastructure x hardening,
    vulnerability-management, threat-detection.
    """
    return " ".join(_PARTY[c["party"]] + _VERDICT[c["verdict"]] for c in row["cells"])
