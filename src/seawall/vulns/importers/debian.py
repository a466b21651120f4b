"""The Debian security tracker JSON (https://security-tracker.debian.org/tracker/data/json).

Layout: {source package: {CVE id: {description, releases: {codename: {status,
fixed_version, urgency, repositories}}}}}. Each CVE becomes one advisory
(source "debian-tracker") with one row per (release, source package):
- resolved with fixed_version "0": the release was never affected (status not-affected);
- resolved with a fixed_version: affected before it;
- open / undetermined: affected, no fix yet (status unfixed).
Urgency is kept as the row's severity. Codenames map to "Debian:N"; sid and
unknown codenames are counted and skipped, as are TEMP- ids.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seawall.errors import InputError
from seawall.model import Severity
from seawall.vulns.advisory import Advisory, AffectedPackage, AffectedRange, VersionEvent
from seawall.vulns.db import DbWriter, ImportResult

CODENAMES = {
    "lenny": "5",
    "squeeze": "6",
    "wheezy": "7",
    "jessie": "8",
    "stretch": "9",
    "buster": "10",
    "bullseye": "11",
    "bookworm": "12",
    "trixie": "13",
    "forky": "14",
    "duke": "15",
}
_URGENCY = {
    "unimportant": Severity.INFO,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
}


def urgency_severity(urgency: object) -> Severity | None:
    """Debian urgency ("high**", "unimportant", "not yet assigned") as a severity."""
    if not isinstance(urgency, str):
        return None
    return _URGENCY.get(urgency.rstrip("*").strip().lower(), Severity.UNKNOWN)


def looks_like_tracker(document: object) -> bool:
    """True for the tracker layout: package -> CVE -> {releases: ...}."""
    if not isinstance(document, dict) or not document or "id" in document:
        return False
    first = next(iter(document.values()))
    if not isinstance(first, dict) or not first:
        return False
    entry = next(iter(first.values()))
    return isinstance(entry, dict) and "releases" in entry


def import_debian(document: Any, path: Path, writer: DbWriter, result: ImportResult) -> None:
    """Import a decoded tracker document."""
    if not isinstance(document, dict):
        raise InputError(f"{path}: not a Debian security tracker JSON")
    result.files.append(str(path))
    by_cve: dict[str, tuple[str, list[AffectedPackage]]] = {}
    for package, cves in document.items():
        if not isinstance(cves, dict):
            result.skip("malformed tracker entries")
            continue
        for cve, info in cves.items():
            if not isinstance(info, dict) or not isinstance(info.get("releases"), dict):
                result.skip("malformed tracker entries")
                continue
            if not str(cve).startswith("CVE-"):
                result.skip("TEMP ids")
                continue
            text = info.get("description")
            description, rows = by_cve.setdefault(cve, (text if isinstance(text, str) else "", []))
            for codename, release in info["releases"].items():
                number = CODENAMES.get(codename)
                if number is None or not isinstance(release, dict):
                    result.skip("releases without a Debian number (sid, unknown)")
                    continue
                status = release.get("status")
                fixed = release.get("fixed_version")
                events = [VersionEvent("introduced", "0")]
                if status == "resolved" and fixed == "0":
                    row_status = "not-affected"
                    events = []
                elif status == "resolved" and isinstance(fixed, str) and fixed:
                    row_status = "affected"
                    events.append(VersionEvent("fixed", fixed))
                elif status in ("open", "undetermined"):
                    row_status = "unfixed"
                else:
                    result.skip("releases without a usable status")
                    continue
                rows.append(
                    AffectedPackage(
                        advisory_id=cve,
                        ecosystem=f"Debian:{number}",
                        name=str(package),
                        ranges=(AffectedRange("ECOSYSTEM", tuple(events)),) if events else (),
                        status=row_status,
                        severity=urgency_severity(release.get("urgency")),
                    )
                )
    for cve, (description, rows) in by_cve.items():
        ranks = [r.severity for r in rows if r.severity is not None]
        severity = max(ranks, key=lambda s: s.rank) if ranks else Severity.UNKNOWN
        advisory = Advisory(
            id=cve,
            source="debian-tracker",
            summary=description[:300],
            severity=severity,
            references=(f"https://security-tracker.debian.org/tracker/{cve}",),
        )
        result.affected += writer.put("debian-tracker", advisory, rows)
        result.advisories += 1
