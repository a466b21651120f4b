"""An in-memory advisory source for the matcher's tests, loaded from real advisory files.

It reads the same formats the database importers read (OSV JSON/YAML, the Debian security
tracker JSON, Alpine secdb) closely enough to feed the matcher real records; the importers
themselves are tested by the vulns-db tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import yaml
from cvss import CVSS3
from seawall_testlib import DATA

from seawall.model import Severity
from seawall.vulns.advisory import Advisory, AffectedPackage, AffectedRange, VersionEvent
from seawall.vulns.versions import sort_key

MATCH_DATA = DATA / "vulns" / "match"
DEBIAN_RELEASES = {"bookworm": "12", "bullseye": "11", "buster": "10", "stretch": "9"}


class MemoryDB:
    """lookup / advisories / kev_ids over records held in dicts."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], list[AffectedPackage]] = {}
        self.records: dict[str, Advisory] = {}
        self.kev: set[str] = set()
        self.lookups = 0

    def add(self, advisory: Advisory, affected: Iterable[AffectedPackage]) -> None:
        self.records[advisory.id] = advisory
        for row in affected:
            self.rows.setdefault((row.ecosystem, row.name), []).append(row)

    def lookup(self, ecosystem: str, names: Iterable[str]) -> dict[str, list[AffectedPackage]]:
        self.lookups += 1
        out: dict[str, list[AffectedPackage]] = {}
        for name in names:
            rows = self.rows.get((ecosystem, name))
            if rows:
                out[name] = rows
        return out

    def advisories(self, ids: Iterable[str]) -> dict[str, Advisory]:
        return {i: self.records[i] for i in ids if i in self.records}

    def kev_ids(self) -> set[str]:
        return self.kev


def load_osv(db: MemoryDB, path: Path) -> None:
    text = path.read_text()
    doc = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    score: float | None = None
    vector: str | None = None
    for sev in doc.get("severity", []):
        if sev.get("type") == "CVSS_V3":
            vector = sev["score"]
            score = CVSS3(vector).scores()[0]
    db_sev = (doc.get("database_specific") or {}).get("severity")
    advisory = Advisory(
        id=doc["id"],
        source="osv",
        aliases=tuple(doc.get("aliases", [])),
        upstream=tuple(doc.get("upstream", [])),
        summary=doc.get("summary", ""),
        severity=Severity.parse(db_sev) if db_sev else Severity.UNKNOWN,
        cvss_score=score,
        cvss_vector=vector,
        references=tuple(r["url"] for r in doc.get("references", [])),
        withdrawn=doc.get("withdrawn"),
    )
    rows = []
    for aff in doc.get("affected", []):
        pkg = aff["package"]
        ranges = tuple(
            AffectedRange(
                type=r["type"],
                events=tuple(
                    VersionEvent(kind, str(value)) for e in r["events"] for kind, value in e.items()
                ),
            )
            for r in aff.get("ranges", [])
        )
        rows.append(
            AffectedPackage(
                advisory_id=doc["id"],
                ecosystem=pkg["ecosystem"],
                name=pkg["name"],
                ranges=ranges,
                versions=tuple(str(v) for v in aff.get("versions", [])),
            )
        )
    db.add(advisory, rows)


def load_debian_tracker(db: MemoryDB, path: Path) -> None:
    doc = json.loads(path.read_text())
    for source, cves in doc.items():
        for cve, record in cves.items():
            rows = []
            releases = record.get("releases") or {}
            if not isinstance(releases, dict):
                continue
            for release, info in releases.items():
                number = DEBIAN_RELEASES.get(release)
                if number is None:
                    continue
                fixed = info.get("fixed_version")
                urgency = info.get("urgency", "").rstrip("*")
                try:
                    sev: Severity | None = Severity.parse(urgency)
                except ValueError:
                    sev = None
                if fixed == "0":
                    status, ranges = "not-affected", ()
                elif fixed:
                    status = "affected"
                    ranges = (
                        AffectedRange(
                            "ECOSYSTEM",
                            (VersionEvent("introduced", "0"), VersionEvent("fixed", fixed)),
                        ),
                    )
                else:
                    status, ranges = "unfixed", ()
                rows.append(
                    AffectedPackage(
                        advisory_id=cve,
                        ecosystem=f"Debian:{number}",
                        name=source,
                        ranges=ranges,
                        status=status,
                        severity=sev,
                    )
                )
            db.add(
                Advisory(id=cve, source="debian-tracker", summary=record.get("description", "")),
                rows,
            )


def load_kev(db: MemoryDB, path: Path) -> None:
    doc = json.loads(path.read_text())
    db.kev.update(v["cveID"] for v in doc["vulnerabilities"])


# the real version order, as the scan uses it
key_for = sort_key


def load_all() -> MemoryDB:
    db = MemoryDB()
    for path in sorted((MATCH_DATA / "osv").glob("*.json")):
        load_osv(db, path)
    for path in sorted((MATCH_DATA / "pypi").glob("*.yaml")):
        load_osv(db, path)
    load_debian_tracker(db, MATCH_DATA / "debian-tracker.json")
    load_kev(db, MATCH_DATA / "kev-excerpt.json")
    return db


def build_sqlite(path: Path, *, built_at: str | None = None) -> Path:
    """A real seawall advisory database, built by the real importers from the test data."""
    import sqlite3

    from seawall.vulns.importers import import_files

    import_files(
        [
            MATCH_DATA / "osv",
            MATCH_DATA / "pypi",
            MATCH_DATA / "debian-tracker.json",
            MATCH_DATA / "alpine-v3.15-main.yaml",
            MATCH_DATA / "kev-excerpt.json",
        ],
        path,
    )
    if built_at is not None:
        conn = sqlite3.connect(path)
        with conn:
            conn.execute("UPDATE meta SET value = ? WHERE key = 'built_at'", (built_at,))
        conn.close()
    return path
