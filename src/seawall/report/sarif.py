"""SARIF 2.1.0 for any list of findings (GitHub code scanning reads it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from seawall import __version__
from seawall.model import Finding, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
    Severity.UNKNOWN: "warning",
}
# GitHub orders code-scanning alerts by this CVSS-like number.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
    Severity.INFO: "0.0",
    Severity.UNKNOWN: "0.0",
}


def _artifact_uri(finding: Finding, host_paths: bool) -> str:
    """The result's artifact URI.

    Paths of files on this machine (host_paths) are made relative to the working directory
    when they lie under it (what GitHub code scanning resolves against the checkout), and
    are absolute `file://` URIs otherwise. Paths inside an image are relative to its root.
    """
    if finding.location is None or not finding.location.path:
        return finding.asset
    path = finding.location.path
    if host_paths:
        absolute = Path(path).absolute()
        try:
            return absolute.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return absolute.as_uri()
    return path.lstrip("/") or finding.asset


def render_sarif(
    findings: Iterable[Finding],
    *,
    tool: str = "seawall",
    rule_help: Mapping[str, str] | None = None,
    host_paths: bool = False,
) -> dict[str, Any]:
    """Build a SARIF 2.1.0 log with one run; one rule per distinct finding rule id.

    Suppressed findings are kept, with a SARIF `suppressions` entry giving the reason.
    """
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for finding in findings:
        if finding.rule not in rules:
            rule: dict[str, Any] = {
                "id": finding.rule,
                "name": finding.rule.replace("-", "").replace("_", ""),
                "shortDescription": {"text": finding.title},
                "fullDescription": {"text": finding.title},
                "help": {
                    "text": (rule_help or {}).get(finding.rule)
                    or finding.remediation
                    or finding.title
                },
                "properties": {
                    "tags": ["security", finding.type, finding.task.value],
                    "security-severity": _SECURITY_SEVERITY[finding.severity],
                },
            }
            links = [ref for ref in finding.references if ref.startswith("http")]
            if links:
                rule["helpUri"] = links[0]
            rules[finding.rule] = rule
        region: dict[str, Any] = {}
        if finding.location is not None and finding.location.line:
            region = {"startLine": finding.location.line}
        physical: dict[str, Any] = {"artifactLocation": {"uri": _artifact_uri(finding, host_paths)}}
        if region:
            physical["region"] = region
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "level": _LEVEL[finding.severity],
            "message": {
                "text": f"{finding.title}" + (f": {finding.evidence}" if finding.evidence else "")
            },
            "locations": [
                {
                    "physicalLocation": physical,
                    "logicalLocations": [{"fullyQualifiedName": finding.asset}],
                }
            ],
            "properties": {"severity": finding.severity.value, "asset": finding.asset},
        }
        if finding.suppressed is not None:
            result["suppressions"] = [
                {"kind": "external", "justification": finding.suppressed.reason}
            ]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool,
                        "version": __version__,
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
            }
        ],
    }
