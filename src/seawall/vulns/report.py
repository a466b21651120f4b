"""Rendering `seawall image` results: table, JSON (seawall.image/v1), SARIF, CycloneDX."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from seawall import __version__
from seawall.model import Finding, Package, Severity

SCHEMA = "seawall.image/v1"
FORMATS = ("table", "json", "sarif", "cyclonedx")
SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
    Severity.UNKNOWN: "magenta",
}
_SEVERITY_ORDER = [
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.INFO,
    Severity.UNKNOWN,
]


@dataclass(slots=True)
class ImageReport:
    """Everything one `seawall image` run reports."""

    target: dict[str, Any]
    packages: list[Package]
    findings: list[Finding]
    database: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    filtered: dict[str, int] = field(default_factory=dict)  # dropped by --severity etc.
    matching: dict[str, int] = field(default_factory=dict)  # MatchStats counters


def summarize(report: ImageReport) -> dict[str, Any]:
    active = [f for f in report.findings if f.suppressed is None]
    by_severity = {s.value: 0 for s in _SEVERITY_ORDER}
    for finding in active:
        by_severity[finding.severity.value] += 1
    return {
        "packages": len(report.packages),
        "findings": len(active),
        "suppressed": len(report.findings) - len(active),
        "by_severity": by_severity,
        "known_exploited": sum(1 for f in active if f.details.get("known_exploited")),
        "fixable": sum(1 for f in active if f.details.get("fixed")),
        "vulnerable_packages": len({_package_key(f) for f in active}),
        "filtered": dict(report.filtered),
        "matching": dict(report.matching),
    }


def _package_key(finding: Finding) -> tuple[str, str, str]:
    pkg = finding.details.get("package", {})
    return (str(pkg.get("name")), str(pkg.get("version")), str(finding.details.get("path", "")))


def render_json(report: ImageReport) -> dict[str, Any]:
    """The seawall.image/v1 document (see docs/json-schema.md)."""
    return {
        "schema": SCHEMA,
        "target": report.target,
        "database": report.database,
        "summary": summarize(report),
        "findings": report.findings,
        "suppressed": [
            {
                "id": f.rule,
                "package": f.details.get("package", {}).get("name"),
                "version": f.details.get("installed"),
                "kind": f.suppressed.kind,
                "reason": f.suppressed.reason,
                "source": f.suppressed.source,
                "expires": f.suppressed.expires,
            }
            for f in report.findings
            if f.suppressed is not None
        ],
        "warnings": report.warnings,
    }


def render_table(report: ImageReport, *, color: bool, width: int = 160) -> str:
    """Findings grouped by package, most severe package first; suppressed ones listed."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        emoji=False,  # suppression reasons and names are text
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        highlight=False,
        soft_wrap=False,
    )
    target = report.target.get("ref", "")
    summary = summarize(report)
    counts = ", ".join(
        f"{summary['by_severity'][s.value]} {s.value}"
        for s in _SEVERITY_ORDER
        if summary["by_severity"][s.value]
    )
    console.print(
        Text.assemble(
            (f"{target}", "bold"),
            f"  {summary['packages']} packages, {summary['findings']} vulnerabilities",
            f" ({counts})" if counts else "",
            f", {summary['suppressed']} suppressed" if summary["suppressed"] else "",
            f", {summary['known_exploited']} known exploited" if summary["known_exploited"] else "",
        ),
        soft_wrap=True,  # one line, whatever the width
    )
    active = [f for f in report.findings if f.suppressed is None]
    if active:
        groups: dict[tuple[str, str, str], list[Finding]] = {}
        for finding in active:
            groups.setdefault(_package_key(finding), []).append(finding)
        order = sorted(
            groups.items(),
            key=lambda item: (-max(f.severity.rank for f in item[1]), item[0]),
        )
        table = Table(show_lines=False, expand=False)
        for column in ("Package", "Installed", "Vulnerability", "Severity", "Fixed in", "Title"):
            table.add_column(column, overflow="fold")
        for index, ((name, _version, _path), findings) in enumerate(order):
            findings.sort(key=lambda f: (-f.severity.rank, f.rule))
            for row, finding in enumerate(findings):
                vuln = Text(finding.rule)
                if finding.details.get("known_exploited"):
                    vuln.append(" KEV", style="bold red")
                summary_text = str(finding.details.get("summary") or "")
                # Text cells: versions and advisory summaries are data, not rich markup
                table.add_row(
                    Text(name, style="bold") if row == 0 else "",
                    Text(str(finding.details.get("installed", ""))) if row == 0 else "",
                    vuln,
                    Text(finding.severity.value.upper(), style=SEVERITY_STYLE[finding.severity]),
                    Text(str(finding.details.get("fixed") or "-")),
                    Text(summary_text[:80]),
                    end_section=row == len(findings) - 1 and index < len(order) - 1,
                )
        console.print(table)
    else:
        console.print("No vulnerabilities found.")
    suppressed = [f for f in report.findings if f.suppressed is not None]
    if suppressed:
        console.print(Text(f"Suppressed ({len(suppressed)}):", style="bold"))
        for finding in suppressed:
            assert finding.suppressed is not None
            pkg = finding.details.get("package", {}).get("name")
            console.print(
                f"  {finding.rule} in {pkg}: {finding.suppressed.reason} "
                f"[{finding.suppressed.kind}]",
                markup=False,
            )
    return buffer.getvalue()


def _fingerprint(finding: Finding) -> str:
    pkg = finding.details.get("package", {})
    raw = "|".join(
        [finding.rule, str(pkg.get("purl") or pkg.get("name")), str(finding.details.get("path"))]
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def render_sarif(report: ImageReport) -> dict[str, Any]:
    """SARIF 2.1.0 for GitHub code scanning: one rule per vulnerability id, one result per
    vulnerable package, artifact URI = the package's file in the image, and a stable
    partial fingerprint so alerts survive re-scans."""
    from seawall.report.sarif import render_sarif as base_sarif

    rule_help = {
        f.rule: f"{f.rule}: {f.details.get('summary') or f.title}. {f.remediation}"
        for f in report.findings
    }
    log = base_sarif(report.findings, rule_help=rule_help)
    run = log["runs"][0]
    for rule in run["tool"]["driver"]["rules"]:
        rule["shortDescription"] = {"text": rule["id"]}
    for result, finding in zip(run["results"], report.findings, strict=True):
        result["partialFingerprints"] = {"seawallFinding/v1": _fingerprint(finding)}
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        # code scanning resolves URIs against the repository: keep them relative
        location["uri"] = quote(location["uri"].lstrip("/"), safe="/!:@-._~+=,;") or "image"
        pkg = finding.details.get("package", {})
        result["message"]["text"] = (
            f"{pkg.get('name')} {finding.details.get('installed')} is affected by "
            f"{finding.rule} ({finding.severity.value})"
            + (
                f"; fixed in {finding.details['fixed']}"
                if finding.details.get("fixed")
                else "; no fix available"
            )
        )
        result["properties"].update(
            {
                "package": pkg.get("name"),
                "installed": finding.details.get("installed"),
                "fixed": finding.details.get("fixed"),
                "purl": pkg.get("purl"),
                "known_exploited": finding.details.get("known_exploited", False),
            }
        )
    return log


_CDX_SEVERITY = {
    Severity.CRITICAL: "critical",
    Severity.HIGH: "high",
    Severity.MEDIUM: "medium",
    Severity.LOW: "low",
    Severity.INFO: "info",
    Severity.UNKNOWN: "unknown",
}
_CDX_STATES = {
    "not_affected",
    "false_positive",
    "resolved",
    "resolved_with_pedigree",
    "exploitable",
    "in_triage",
}


def _cdx_analysis(finding: Finding) -> dict[str, Any]:
    assert finding.suppressed is not None
    reason = finding.suppressed.reason
    head = reason.split(":", 1)[0].strip()
    if finding.suppressed.kind == "vex" and head in _CDX_STATES | {"fixed"}:
        state = "resolved" if head == "fixed" else head
        return {"state": state, "detail": reason}
    # an accepted risk from an ignore file: triaged, not fixed
    detail = reason + (
        f" (until {finding.suppressed.expires})" if finding.suppressed.expires else ""
    )
    return {"state": "in_triage", "response": ["will_not_fix"], "detail": detail}


def render_cyclonedx(report: ImageReport, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """CycloneDX 1.5 BOM: the packages, and the vulnerabilities that affect them with VEX
    analysis for suppressed ones."""
    import uuid

    now = now or dt.datetime.now(dt.UTC)
    refs: dict[tuple[str, str], str] = {}
    components = []
    used: set[str] = set()
    for pkg in report.packages:
        key = (pkg.purl or pkg.name, pkg.path)
        if key in refs:
            continue
        ref = pkg.purl or f"{pkg.type}:{pkg.name}@{pkg.version}"
        n = 1
        while ref in used:
            n += 1
            ref = f"{pkg.purl or pkg.name}#{n}"
        used.add(ref)
        refs[key] = ref
        component: dict[str, Any] = {
            "type": "library" if pkg.type not in {"deb", "apk", "rpm"} else "application",
            "bom-ref": ref,
            "name": pkg.name,
            "version": pkg.version,
        }
        if pkg.purl:
            component["purl"] = pkg.purl
        properties = []
        if pkg.path:
            properties.append({"name": "seawall:path", "value": pkg.path})
        if pkg.layer:
            properties.append({"name": "seawall:layer", "value": pkg.layer})
        if properties:
            component["properties"] = properties
        components.append(component)
    vulnerabilities = []
    for finding in report.findings:
        details = finding.details
        pkg = details.get("package", {})
        key = (str(pkg.get("purl") or pkg.get("name")), str(details.get("path", "")))
        found = refs.get(key)
        if found is None:  # a finding for a package not listed (should not happen)
            found = refs[key] = key[0]
            components.append(
                {
                    "type": "library",
                    "bom-ref": ref,
                    "name": pkg.get("name"),
                    "version": pkg.get("version"),
                }
            )
        rating: dict[str, Any] = {"severity": _CDX_SEVERITY[finding.severity]}
        cvss = details.get("cvss") or {}
        if cvss.get("score") is not None:
            rating["score"] = cvss["score"]
        vector = cvss.get("vector")
        if isinstance(vector, str):
            rating["vector"] = vector
            rating["method"] = (
                "CVSSv4"
                if vector.startswith("CVSS:4")
                else "CVSSv31"
                if vector.startswith("CVSS:3.1")
                else "CVSSv3"
                if vector.startswith("CVSS:3")
                else "other"
            )
        vuln: dict[str, Any] = {
            "bom-ref": f"{finding.rule}@{found}",
            "id": finding.rule,
            "ratings": [rating],
            "affects": [
                {
                    "ref": found,
                    "versions": [{"version": str(details.get("installed")), "status": "affected"}],
                }
            ],
        }
        sources = details.get("source") or []
        if sources:
            vuln["source"] = {"name": str(sources[0])}
        aliases = details.get("aliases") or []
        if aliases:
            vuln["references"] = [
                {"id": alias, "source": {"name": alias.split("-", 1)[0]}} for alias in aliases
            ]
        if details.get("summary"):
            vuln["description"] = details["summary"]
        vuln["recommendation"] = finding.remediation
        links = [r for r in finding.references if r.startswith(("http://", "https://"))]
        if links:
            vuln["advisories"] = [{"url": link} for link in links[:20]]
        props = [{"name": "seawall:status", "value": str(details.get("status"))}]
        if details.get("fixed"):
            props.append({"name": "seawall:fixed", "value": str(details["fixed"])})
        if details.get("known_exploited"):
            props.append({"name": "seawall:known_exploited", "value": "true"})
        vuln["properties"] = props
        if finding.suppressed is not None:
            vuln["analysis"] = _cdx_analysis(finding)
        vulnerabilities.append(vuln)
    subject = {
        "type": "container",
        "bom-ref": "target",
        "name": str(report.target.get("ref") or "target"),
    }
    if report.target.get("digest"):
        subject["version"] = str(report.target["digest"])
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {
                "components": [{"type": "application", "name": "seawall", "version": __version__}]
            },
            "component": subject,
        },
        "components": components,
        "vulnerabilities": vulnerabilities,
    }


def filter_findings(
    findings: Sequence[Finding], *, severities: set[Severity] | None, ignore_unfixed: bool
) -> tuple[list[Finding], dict[str, int]]:
    """Apply --severity and --ignore-unfixed; return the kept findings and drop counts."""
    kept: list[Finding] = []
    dropped = {"severity": 0, "unfixed": 0}
    for finding in findings:
        if ignore_unfixed and not finding.details.get("fixed"):
            dropped["unfixed"] += 1
            continue
        if severities is not None and finding.severity not in severities:
            dropped["severity"] += 1
            continue
        kept.append(finding)
    return kept, dropped
