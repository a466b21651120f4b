"""Importers on real advisory data: OSV, Debian tracker, Alpine secdb, CISA KEV."""

from __future__ import annotations

from pathlib import Path

import pytest
from vulns_db_helpers import VULNS

from seawall.errors import InputError
from seawall.model import Severity
from seawall.vulns.db import AdvisoryDB
from seawall.vulns.importers import import_files


@pytest.fixture(scope="module")
def adb(tmp_path_factory: pytest.TempPathFactory) -> AdvisoryDB:
    path = tmp_path_factory.mktemp("db") / "advisories.db"
    import_files(
        [
            VULNS / "pypi",
            VULNS / "ghsa",
            VULNS / "distro",
            VULNS / "trivy-osv",
            VULNS / "go" / "golang-vulndb-sample.jsonl",
            VULNS / "debian" / "tracker-excerpt.json",
            VULNS / "alpine" / "v3.15-main.yaml",
            VULNS / "alpine" / "v3.12-ansible.json",
            VULNS / "kev" / "known_exploited_vulnerabilities.json",
        ],
        path,
    )
    return AdvisoryDB.open(path)


def test_pypi_records_found_by_any_spelling_of_the_name(adb: AdvisoryDB) -> None:
    found = adb.lookup("PyPI", ["Jinja2", "PyYAML", "not-a-package"])
    assert set(found) == {"Jinja2", "PyYAML"}
    ids = {row.advisory_id for row in found["PyYAML"]}
    assert "PYSEC-2021-142" in ids  # CVE-2020-14343, full_load RCE
    row = next(r for r in found["PyYAML"] if r.advisory_id == "PYSEC-2021-142")
    published = adb.advisory("PYSEC-2021-142").published
    assert published and published.startswith("2021-") and published.endswith("Z")
    assert ("fixed", "5.4") in {(e.kind, e.version) for r in row.ranges for e in r.events}


def test_log4j_ghsa_is_scored_and_aliased(adb: AdvisoryDB) -> None:
    rows = adb.lookup("Maven", ["org.apache.logging.log4j:log4j-core"])
    ids = {row.advisory_id for row in rows["org.apache.logging.log4j:log4j-core"]}
    assert {"GHSA-7rjr-3q55-vv33", "GHSA-p6xc-xr62-6r2g"} <= ids
    advisory = adb.advisory("GHSA-7rjr-3q55-vv33")
    assert advisory.aliases == ("CVE-2021-45046",)
    assert advisory.cvss_score == 9.0
    assert advisory.severity is Severity.CRITICAL
    assert advisory.cvss_vector and advisory.cvss_vector.startswith("CVSS:3.1/")


def test_cvss_vector_scored_without_database_severity(adb: AdvisoryDB) -> None:
    advisory = adb.advisory("PYSEC-2026-1")
    assert advisory.cvss_score == 5.3
    assert advisory.severity is Severity.MEDIUM


def test_future_withdrawal_is_still_imported(adb: AdvisoryDB) -> None:
    assert adb.advisory("PYSEC-2019-156").id == "PYSEC-2019-156"


def test_distro_osv_keeps_upstream_and_versions(adb: AdvisoryDB) -> None:
    ubuntu = adb.lookup("Ubuntu:Pro:14.04:LTS", ["linux"])["linux"][0]
    assert ubuntu.advisory_id == "UBUNTU-CVE-2025-38094"
    assert ubuntu.versions and ubuntu.status == "unfixed"  # a versions list, no fix
    advisory = adb.advisory("UBUNTU-CVE-2025-38094")
    assert advisory.upstream == ("CVE-2025-38094",)
    assert advisory.severity is Severity.MEDIUM  # {"type": "Ubuntu", "score": "medium"}
    dsa = adb.lookup("Debian:7", ["nginx"])["nginx"][0]
    assert dsa.advisory_id == "DSA-3029-1"


def test_debian_tracker_statuses_and_urgency(adb: AdvisoryDB) -> None:
    rows = adb.lookup("Debian:9", ["prototypejs"])["prototypejs"]
    by_id = {row.advisory_id: row for row in rows}
    assert by_id["CVE-2007-2383"].status == "not-affected"  # fixed_version "0"
    fixed = by_id["CVE-2008-7220"]
    assert fixed.status == "affected" and fixed.severity is Severity.HIGH  # urgency high**
    assert fixed.ranges[0].events[-1].version == "1.6.0.2-1"
    chromium = adb.lookup("debian:10", ["chromium"])["chromium"][0]
    assert chromium.status == "unfixed"  # open, no fix
    backport = adb.lookup("Debian:11", ["chromium"])["chromium"][0]
    assert backport.ranges[0].events[-1].version == "98.0.4758.80-1~deb11u1"


def test_alpine_secdb_yaml_and_json(adb: AdvisoryDB) -> None:
    zlib = adb.lookup("alpine:3.15.4", ["zlib"])["zlib"]
    fixes = {row.advisory_id: row.ranges[0].events[-1].version for row in zlib}
    assert fixes["CVE-2022-37434"] == "1.2.12-r2"
    ansible = adb.lookup("Alpine:v3.12", ["ansible"])["ansible"]
    assert {r.advisory_id for r in ansible} >= {"CVE-2024-22195", "GHSA-F7R5-W49X-GXM3"}
    assert adb.advisory("CVE-2024-22195").aliases == ("GHSA-H5C8-RQWP-CP95",)


def test_kev_and_status(adb: AdvisoryDB) -> None:
    kev = adb.kev_ids()
    assert len(kev) == 1404 and "CVE-2021-44228" in kev
    status = adb.status()
    names = {s.name: s.records for s in status.sources}
    assert names["kev"] == 1404
    assert names["alpine-secdb"] > 0 and names["debian-tracker"] == 6
    assert names["osv"] == status.advisories - names["alpine-secdb"] - names["debian-tracker"]
    assert status.ecosystems["Go"] > 0


def test_unrecognised_file_is_an_input_error(tmp_path: Path) -> None:
    odd = tmp_path / "odd.json"
    odd.write_text('{"hello": "world"}')
    with pytest.raises(InputError, match="not an OSV record"):
        import_files([odd], tmp_path / "db.sqlite")
    assert not (tmp_path / "db.sqlite").exists()


def test_osv_event_kinds_semver_and_unfixed_rows() -> None:
    from seawall.vulns.db import ImportResult
    from seawall.vulns.importers.osv import convert_record

    record = {
        "id": "GHSA-test-0001",
        "aliases": ["CVE-2099-0001"],
        "severity": [
            {
                "type": "CVSS_V4",
                "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            }
        ],
        "affected": [
            {
                "package": {"ecosystem": "crates.io", "name": "demo"},
                "ranges": [
                    {
                        "type": "SEMVER",
                        "events": [{"introduced": "1.0.0"}, {"last_affected": "1.4.2"}],
                    },
                    {"type": "ECOSYSTEM", "events": [{"introduced": "2.0.0"}, {"limit": "3.0.0"}]},
                    {"type": "GIT", "repo": "https://example.org/x", "events": [{"fixed": "ab"}]},
                ],
            }
        ],
    }
    result = ImportResult(source="osv")
    converted = convert_record(record, result)
    assert converted is not None
    advisory, rows = converted
    assert advisory.cvss_score == 9.3 and advisory.severity is Severity.CRITICAL
    assert advisory.aliases == ("CVE-2099-0001",)
    (row,) = rows
    assert row.status == "unfixed"  # last_affected / limit, no fixed event
    kinds = [[e.kind for e in r.events] for r in row.ranges]
    assert kinds == [["introduced", "last_affected"], ["introduced", "limit"]]
    assert [r.type for r in row.ranges] == ["SEMVER", "ECOSYSTEM"]
    assert result.skipped == {"GIT ranges": 1}
