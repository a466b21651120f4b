"""Range evaluation inside SQLite gives exactly the findings of the Python evaluation.

The database decides which advisory rows apply on byte version keys (affected_ranges);
`AdvisoryDB.keyed = False` makes the matcher evaluate every row in Python instead. Both are
run on a database built from the real advisory data in tests/data/vulns, for installed
versions below, at, inside and above every bound the advisories name.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import msgspec
import pytest
from seawall_testlib import DATA

from seawall.model import Finding, Package
from seawall.vulns.advisory import AffectedPackage
from seawall.vulns.db import AdvisoryDB, building
from seawall.vulns.importers import import_files
from seawall.vulns.intervals import PYTHON
from seawall.vulns.match import MatchStats, match_packages

VULNS = DATA / "vulns"
SOURCES = [
    VULNS / "match" / "osv",
    VULNS / "match" / "pypi",
    VULNS / "match" / "debian-tracker.json",
    VULNS / "match" / "alpine-v3.15-main.yaml",
    VULNS / "match" / "kev-excerpt.json",
    VULNS / "ghsa",
    VULNS / "go" / "golang-vulndb-sample.jsonl",
    VULNS / "distro",
    VULNS / "alpine" / "v3.12-ansible.json",
    VULNS / "debian" / "tracker-excerpt.json",
    *sorted(p for p in (VULNS / "pypi").iterdir() if p.is_dir()),
]
TYPES = {
    "PyPI": "pypi",
    "Go": "golang",
    "npm": "npm",
    "Maven": "maven",
    "crates.io": "cargo",
    "RubyGems": "gem",
    "NuGet": "nuget",
    "Packagist": "composer",
    "Debian": "deb",
    "Ubuntu": "deb",
    "Alpine": "apk",
}
# OSV records for the shapes real data rarely has: limit, last_affected, unsorted and
# overlapping events, several ranges, explicit versions only, unencodable bounds
EDGE_RECORDS = [
    {"id": "EDGE-1", "ranges": [["introduced", "1.0"], ["limit", "2.0"], ["introduced", "3.0"]]},
    {"id": "EDGE-2", "ranges": [["introduced", "0"], ["last_affected", "1.5"]]},
    {"id": "EDGE-3", "ranges": [["fixed", "1.2"], ["introduced", "1.0"]]},
    {
        "id": "EDGE-4",
        "ranges": [
            ["introduced", "2.0"],
            ["fixed", "2.5"],
            ["introduced", "1.0"],
            ["last_affected", "1.5"],
            ["introduced", "1.5"],
            ["fixed", "1.8"],
        ],
    },
    {"id": "EDGE-5", "ranges": [["introduced", "1.0"], ["fixed", "1.1"]], "versions": ["0.9"]},
    {"id": "EDGE-6", "versions": ["1.0", "1.1", "2.0"]},
    {"id": "EDGE-7", "ranges": [["introduced", "1.0"], ["fixed", "1." + "9" * 80]]},
    {"id": "EDGE-8", "ranges": [["introduced", "1.0"], ["fixed", "2.0"], ["limit", "1.5"]]},
    {"id": "EDGE-9", "ranges": [["introduced", "1.0"], ["fixed", "2.0"]], "more": True},
    {"id": "EDGE-10", "ranges": [["introduced", "1.0"], ["introduced", "1.4"], ["fixed", "2.0"]]},
]


def _edge_records(path: Path) -> Path:
    path.mkdir()
    for record in EDGE_RECORDS:
        ranges = []
        if record.get("more"):  # an open range first: a later range names the fix
            ranges.append({"type": "ECOSYSTEM", "events": [{"introduced": "1.5"}]})
        if "ranges" in record:
            events = [{kind: version} for kind, version in record["ranges"]]
            ranges.append({"type": "ECOSYSTEM", "events": events})
        affected: dict[str, object] = {
            "package": {"ecosystem": "PyPI", "name": "edge-case"},
            "ranges": ranges,
        }
        if "versions" in record:
            affected["versions"] = record["versions"]
        doc = {"id": record["id"], "modified": "2024-01-01T00:00:00Z", "affected": [affected]}
        (path / f"{record['id']}.json").write_text(json.dumps(doc))
    return path


@pytest.fixture(scope="module")
def advisory_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sql")
    path = root / "advisories.db"
    import_files([*SOURCES, _edge_records(root / "edge")], path)
    return path


def _neighbours(version: str) -> list[str]:
    """The version itself and versions just below and above it."""
    out = [version, version + ".1", version + "-1", version + "a1", version + "~1"]
    head, _, tail = version.rpartition(".")
    if head and tail.isdigit():
        out += [f"{head}.{int(tail) + 1}", head]
        if int(tail):
            out.append(f"{head}.{int(tail) - 1}")
    return out


def _packages(path: Path) -> list[Package]:
    """Packages at every bound of every advisory row (and around it), by ecosystem."""
    decode = msgspec.msgpack.Decoder(AffectedPackage).decode
    conn = sqlite3.connect(path)
    bounds: dict[tuple[str, str], set[str]] = {}
    for (data,) in conn.execute("SELECT data FROM affected"):
        row = decode(data)
        versions = bounds.setdefault((row.ecosystem, row.name), {"0.0.1", "999"})
        versions.update(row.versions)
        versions.update(e.version for r in row.ranges for e in r.events if e.version != "0")
    conn.close()
    packages = []
    for (ecosystem, name), versions in sorted(bounds.items()):
        ptype = TYPES.get(ecosystem.split(":")[0])
        if ptype is None:
            continue
        for version in sorted({v for b in versions for v in _neighbours(b)}):
            if ptype in {"deb", "apk"}:
                # binary packages of the source package, by source and by binary name
                for binary in (name, f"{name}-bin"):
                    packages.append(
                        Package(
                            name=binary,
                            version=version,
                            type=ptype,
                            purl=None,
                            ecosystem=ecosystem,
                            source_name=name,
                        )
                    )
            else:
                packages.append(
                    Package(name=name, version=version, type=ptype, purl=None, ecosystem=ecosystem)
                )
    return packages


def _match(path: Path, packages: list[Package], *, keyed: bool) -> tuple[bytes, MatchStats, int]:
    stats = MatchStats()
    statements: list[str] = []
    with AdvisoryDB.open(path) as adb:
        assert adb.keyed or not keyed
        adb.keyed = keyed
        adb._conn.set_trace_callback(statements.append)
        findings: list[Finding] = match_packages(packages, adb, asset="sbom", stats=stats)
    sql = sum("affected_ranges" in s for s in statements)
    return msgspec.json.encode(findings), stats, sql


@pytest.fixture(scope="module")
def packages(advisory_db: Path) -> list[Package]:
    return _packages(advisory_db)


def test_sql_and_python_evaluation_give_identical_findings(
    advisory_db: Path, packages: list[Package]
) -> None:
    assert len(packages) > 5000
    by_sql, sql_stats, sql_queries = _match(advisory_db, packages, keyed=True)
    by_python, python_stats, python_queries = _match(advisory_db, packages, keyed=False)
    assert sql_queries > 0 and python_queries == 0
    assert len(msgspec.json.decode(by_sql)) > 1000
    assert by_sql == by_python
    assert sql_stats == python_stats


def test_one_hit_fast_path_builds_the_same_findings_as_the_general_builder(
    advisory_db: Path, packages: list[Package], monkeypatch: pytest.MonkeyPatch
) -> None:
    import seawall.vulns.match as match

    fast, fast_stats, _ = _match(advisory_db, packages, keyed=True)
    monkeypatch.setattr(match, "_ONE_HIT_FAST_PATH", False)
    general, general_stats, _ = _match(advisory_db, packages, keyed=True)
    assert len(msgspec.json.decode(fast)) > 1000
    assert fast == general
    assert fast_stats == general_stats


def test_edge_shapes_match_python_evaluation(advisory_db: Path) -> None:
    versions = sorted(
        {v for b in ("0.9", "1.0", "1.1", "1.2", "1.4", "1.5", "1.8", "2.0", "2.5", "3.0")
         for v in _neighbours(b)}
    )  # fmt: skip
    packages = [
        Package(name="edge-case", version=v, type="pypi", purl=None, ecosystem="PyPI")
        for v in versions
    ]
    by_sql, _, _ = _match(advisory_db, packages, keyed=True)
    by_python, _, _ = _match(advisory_db, packages, keyed=False)
    assert by_sql == by_python
    decoded = msgspec.json.decode(by_sql)
    found = {(f["details"]["installed"], f["rule"]) for f in decoded}
    # limit 2.0 closes EDGE-1 (opened at 1.0; the later introduced 3.0 is past it)
    assert ("1.5", "EDGE-1") in found and ("3.0", "EDGE-1") not in found
    assert ("1.5", "EDGE-2") in found and ("1.5.1", "EDGE-2") not in found
    assert ("0.9", "EDGE-5") in found and ("0.9.1", "EDGE-5") not in found
    assert ("1.1", "EDGE-6") in found and ("1.2", "EDGE-6") not in found
    fixes = {(f["details"]["installed"], f["rule"]): f["details"]["fixed"] for f in decoded}
    assert fixes[("1.5", "EDGE-9")] == "2.0" and fixes[("2.5", "EDGE-9")] is None
    # a bound too large for a byte key leaves EDGE-7 to the Python evaluation
    assert ("1.5", "EDGE-7") in found and ("0.9", "EDGE-7") not in found
    with sqlite3.connect(advisory_db) as conn:
        flags = conn.execute(
            "SELECT flags FROM affected_ranges WHERE advisory_id = 'EDGE-7'"
        ).fetchall()
    assert flags == [(PYTHON,)]


def test_database_without_range_keys_is_matched_in_python(
    advisory_db: Path, packages: list[Package], tmp_path: Path
) -> None:
    """Another key format, or a database an older seawall built (no range rows), still
    gives the same findings (Python evaluation); the next import rebuilds the range rows."""
    expected, _, _ = _match(advisory_db, packages, keyed=True)
    other_format = tmp_path / "other.db"
    older = tmp_path / "older.db"
    for copy in (other_format, older):
        copy.write_bytes(advisory_db.read_bytes())
    with sqlite3.connect(other_format) as conn:
        conn.execute(
            "UPDATE meta SET value = replace(value, '\"key_format\":', '\"key_format\":9') "
            "WHERE key = 'range_keys'"
        )
    with sqlite3.connect(older) as conn:
        conn.execute("DROP TABLE affected_ranges")
        conn.execute("DELETE FROM meta WHERE key = 'range_keys'")
    for path in (other_format, older):
        with AdvisoryDB.open(path) as adb:
            assert not adb.keyed
        assert _match(path, packages, keyed=False)[0] == expected
    with building(older):
        pass  # an import of nothing: the range rows come back
    with AdvisoryDB.open(older) as adb:
        assert adb.keyed
    assert _match(older, packages, keyed=True)[0] == expected


def test_reimport_replaces_range_rows(
    advisory_db: Path, packages: list[Package], tmp_path: Path
) -> None:
    path = tmp_path / "again.db"
    path.write_bytes(advisory_db.read_bytes())
    # OSV records replace their rows; an Alpine secdb file replaces its release's rows
    import_files(
        [
            VULNS / "match" / "osv",
            VULNS / "match" / "pypi",
            VULNS / "match" / "alpine-v3.15-main.yaml",
        ],
        path,
    )
    with sqlite3.connect(path) as conn:
        orphans = conn.execute(
            "SELECT COUNT(*) FROM affected_ranges r LEFT JOIN affected a "
            "ON a.rowid = r.affected_id WHERE a.rowid IS NULL"
        ).fetchone()[0]
    assert orphans == 0
    assert _match(path, packages, keyed=True)[0] == _match(advisory_db, packages, keyed=True)[0]


def test_one_open_database_matches_several_sboms(
    advisory_db: Path, packages: list[Package]
) -> None:
    """The installed versions' temporary table is emptied after every match."""
    with AdvisoryDB.open(advisory_db) as adb:
        first = match_packages(packages[:800], adb, asset="a")
        other = match_packages(packages[800:1600], adb, asset="b")
        again = match_packages(packages[:800], adb, asset="a")
    assert first and other
    assert msgspec.json.encode(first) == msgspec.json.encode(again)


def test_the_name_probe_keeps_every_spelling_and_skips_only_unknown_names(
    advisory_db: Path, packages: list[Package]
) -> None:
    """Names with no advisory row are skipped before any version is parsed; PyPI names
    spelled otherwise than stored (case, `_` and `.`) and Go/npm names in other case still
    match as the Python evaluation (which reads rows by name, no probe) matches them."""
    spelled = []
    for package in packages:
        if package.type == "pypi":
            variants = {package.name.upper(), package.name.replace("-", "_").title()}
        elif package.type in {"npm", "golang"}:
            variants = {package.name.upper()}
        else:
            continue
        spelled += [msgspec.structs.replace(package, name=name) for name in variants]
    unknown = [
        Package(name=f"no-such-{i}", version="1.0", type="pypi", purl=None, ecosystem="PyPI")
        for i in range(300)
    ]
    by_sql, sql_stats, _ = _match(advisory_db, spelled + unknown, keyed=True)
    by_python, python_stats, _ = _match(advisory_db, spelled + unknown, keyed=False)
    assert len(msgspec.json.decode(by_sql)) > 500
    assert by_sql == by_python
    assert sql_stats == python_stats
    with AdvisoryDB.open(advisory_db) as adb:
        present = adb.present_names("PyPI", [p.name for p in spelled + unknown])
    assert not any(name.startswith("no-such-") for name in present)
    assert {p.name for p in spelled if p.type == "pypi"} <= present
