"""Matching installed packages against real advisories (PyPI DB, GHSA, Debian tracker, KEV)."""

from __future__ import annotations

from pathlib import Path

import pytest
from vulns_match_db import MemoryDB, key_for, load_all

from seawall.model import Layer, Package, Severity, Task
from seawall.vulns.advisory import AffectedPackage, AffectedRange, VersionEvent
from seawall.vulns.match import MatchStats, evaluate_affected, evaluate_range, match_packages


@pytest.fixture(scope="module")
def db() -> MemoryDB:
    return load_all()


def _pypi(name: str, version: str, **kw: object) -> Package:
    return Package(
        name=name,
        version=version,
        type="pypi",
        purl=f"pkg:pypi/{name.lower()}@{version}",
        ecosystem="PyPI",
        path=f"/usr/local/lib/python3.11/site-packages/{name}-{version}.dist-info/METADATA",
        layer="sha256:" + "a" * 64,
        **kw,  # type: ignore[arg-type]
    )


def _deb(name: str, version: str, source: str, source_version: str | None = None) -> Package:
    return Package(
        name=name,
        version=version,
        type="deb",
        purl=f"pkg:deb/debian/{name}@{version}?distro=debian-12",
        ecosystem="Debian:12",
        source_name=source,
        source_version=source_version,
        path="/var/lib/dpkg/status",
    )


def _match(db: MemoryDB, packages: list[Package], stats: MatchStats | None = None) -> list:  # type: ignore[type-arg]
    return match_packages(
        packages, db, asset="docker-archive:app.tar", version_key=key_for, stats=stats
    )


def test_old_requests_gets_exactly_the_advisories_that_apply(db: MemoryDB) -> None:
    findings = _match(db, [_pypi("requests", "2.19.1")])
    ids = {f.details["advisories"][0] for f in findings}
    # 2.19.1: before 2.20.0 (PYSEC-2018-28) and before 2.31.0 (PYSEC-2023-74); the 2014/2015
    # advisories were fixed long before 2.19
    assert ids == {"PYSEC-2018-28", "PYSEC-2023-74"}
    cve = next(f for f in findings if f.details["advisories"] == ["PYSEC-2018-28"])
    assert cve.rule == "CVE-2018-18074"
    assert cve.details["fixed"] == "2.20.0"
    assert cve.details["status"] == "fixed"
    assert cve.details["installed"] == "2.19.1"
    assert cve.type == "vulnerability"
    assert cve.layer is Layer.APPLICATION and cve.task is Task.VULNERABILITY_MANAGEMENT
    assert cve.details["layer"] == "sha256:" + "a" * 64
    assert cve.location is not None and cve.location.path.endswith("METADATA")
    assert any(r.startswith("http") for r in cve.references)


def test_current_requests_is_clean(db: MemoryDB) -> None:
    assert _match(db, [_pypi("requests", "2.32.3")]) == []


def test_pypi_names_are_normalised(db: MemoryDB) -> None:
    findings = _match(db, [_pypi("PyYAML", "5.3")])
    assert "CVE-2020-14343" in {f.rule for f in findings}


def test_log4j_core_is_known_exploited_with_cvss(db: MemoryDB) -> None:
    jar = Package(
        name="org.apache.logging.log4j:log4j-core",
        version="2.14.1",
        type="maven",
        purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        ecosystem="Maven",
        path="/app/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar",
    )
    findings = {f.rule: f for f in _match(db, [jar])}
    assert set(findings) == {"CVE-2021-45046", "CVE-2021-45105"}
    log4shell = findings["CVE-2021-45046"]
    assert log4shell.details["known_exploited"] is True
    assert log4shell.severity is Severity.CRITICAL
    assert log4shell.details["cvss"]["vector"].startswith("CVSS:3.1/")
    assert log4shell.details["cvss"]["score"] == 9.0
    assert log4shell.details["aliases"] == ["GHSA-7rjr-3q55-vv33"]
    assert log4shell.details["fixed"] == "2.16.0"
    assert findings["CVE-2021-45105"].details["known_exploited"] is False


def test_debian_source_package_match_and_backport_not_reported(db: MemoryDB) -> None:
    # sope's CVE-2025-53603 was fixed in bookworm by the backport 5.8.0-1+deb12u1, which
    # is lower than the upstream fix (5.12.1-2): must not be reported
    patched = _deb("libsope1", "5.8.0-1+deb12u1", "sope")
    assert _match(db, [patched]) == []
    vulnerable = _deb("libsope1", "5.8.0-1", "sope")
    findings = _match(db, [vulnerable])
    assert [f.rule for f in findings] == ["CVE-2025-53603"]
    assert findings[0].details["fixed"] == "5.8.0-1+deb12u1"
    assert findings[0].details["matched_by"] == ["source"]


def test_debian_not_affected_and_open_issues(db: MemoryDB) -> None:
    # prototypejs CVE-2007-2383 has fixed_version "0" in buster: not affected
    pkg = Package(
        name="libjs-prototype",
        version="1.7.1-3",
        type="deb",
        purl="pkg:deb/debian/libjs-prototype@1.7.1-3?distro=debian-10",
        ecosystem="Debian:10",
        source_name="prototypejs",
    )
    assert _match(db, [pkg]) == []
    # chromium CVE-2022-0456 is open in buster: unfixed, severity from Debian urgency
    chromium = Package(
        name="chromium",
        version="90.0.4430.212-1~deb10u1",
        type="deb",
        purl="pkg:deb/debian/chromium@90.0.4430.212-1~deb10u1?distro=debian-10",
        ecosystem="Debian:10",
        source_name="chromium",
    )
    [finding] = _match(db, [chromium])
    assert finding.rule == "CVE-2022-0456"
    assert finding.details["status"] == "unfixed"
    assert finding.details["fixed"] is None


def test_debian_urgency_is_the_last_resort_severity(db: MemoryDB) -> None:
    pkg = _deb("backupninja", "0.7-1", "backupninja")
    [finding] = _match(db, [Package(**{**_struct_dict(pkg), "ecosystem": "Debian:10"})])
    assert finding.rule == "CVE-2005-3111"
    assert finding.severity is Severity.MEDIUM


def _struct_dict(pkg: Package) -> dict:  # type: ignore[type-arg]
    import msgspec

    return msgspec.structs.asdict(pkg)


def test_duplicates_across_aliases_merge_into_one_finding() -> None:
    db = load_all()
    from vulns_match_db import load_osv

    from seawall.vulns.advisory import Advisory

    # a second source for the same CVE as PYSEC-2018-28, with a different id
    db.add(
        Advisory(id="GHSA-x84v-xcm2-53pg", source="osv", aliases=("CVE-2018-18074",)),
        [
            AffectedPackage(
                advisory_id="GHSA-x84v-xcm2-53pg",
                ecosystem="PyPI",
                name="requests",
                ranges=(
                    AffectedRange(
                        "ECOSYSTEM",
                        (VersionEvent("introduced", "0"), VersionEvent("fixed", "2.20.0")),
                    ),
                ),
            )
        ],
    )
    assert load_osv  # the real loader built the rest
    findings = [f for f in _match(db, [_pypi("requests", "2.19.1")]) if f.rule == "CVE-2018-18074"]
    assert len(findings) == 1
    assert set(findings[0].details["advisories"]) == {"PYSEC-2018-28", "GHSA-x84v-xcm2-53pg"}
    assert "GHSA-x84v-xcm2-53pg" in findings[0].details["aliases"]


def test_os_owned_language_packages_use_distro_advisories_only(db: MemoryDB) -> None:
    deb = _deb("python3-requests", "2.19.1-1", "requests")
    in_dist_packages = Package(
        **{
            **_struct_dict(_pypi("requests", "2.19.1")),
            "path": "/usr/lib/python3/dist-packages/requests-2.19.1.egg-info/PKG-INFO",
        }
    )
    stats = MatchStats()
    assert _match(db, [deb, in_dist_packages], stats) == []
    assert stats.os_owned_skipped == 1
    # Alpine's py3-requests installs into the system site-packages
    apk = Package(
        name="py3-requests",
        version="2.19.1-r0",
        type="apk",
        purl="pkg:apk/alpine/py3-requests@2.19.1-r0",
        ecosystem="Alpine:v3.15",
    )
    system_site = Package(
        **{
            **_struct_dict(_pypi("requests", "2.19.1")),
            "path": "/usr/lib/python3.9/site-packages/requests-2.19.1.dist-info/METADATA",
        }
    )
    assert _match(db, [apk, system_site]) == []
    # the same wheel installed by pip next to OS packages is matched as usual
    pip_installed = _pypi("requests", "2.19.1")
    assert {f.rule for f in _match(db, [deb, pip_installed])} == {
        "CVE-2018-18074",
        "CVE-2023-32681",
    }
    flagged = _pypi("requests", "2.19.1", metadata={"os_owned": True})
    assert _match(db, [deb, flagged]) == []


def test_batched_lookup_one_query_per_ecosystem(db: MemoryDB) -> None:
    before = db.lookups
    _match(db, [_pypi("requests", "2.19.1"), _pypi("urllib3", "1.24.1"), _pypi("PyYAML", "5.3")])
    assert db.lookups - before == 1


def _range(*events: tuple[str, str]) -> AffectedRange:
    return AffectedRange("ECOSYSTEM", tuple(VersionEvent(k, v) for k, v in events))


def test_osv_range_semantics() -> None:
    cmp = key_for("PyPI")
    multi = _range(("introduced", "1.0"), ("fixed", "1.5"), ("introduced", "2.0"), ("fixed", "2.3"))
    assert evaluate_range("0.9", multi, cmp) is None
    assert evaluate_range("1.2", multi, cmp).fixed == "1.5"  # type: ignore[union-attr]
    assert evaluate_range("1.7", multi, cmp) is None
    assert evaluate_range("2.1", multi, cmp).fixed == "2.3"  # type: ignore[union-attr]
    # unsorted events are sorted first
    shuffled = _range(
        ("fixed", "2.3"), ("introduced", "2.0"), ("fixed", "1.5"), ("introduced", "1.0")
    )
    assert evaluate_range("2.1", shuffled, cmp).fixed == "2.3"  # type: ignore[union-attr]
    last = _range(("introduced", "0"), ("last_affected", "3.1"))
    assert evaluate_range("3.1", last, cmp).fixed is None  # type: ignore[union-attr]
    assert evaluate_range("3.2", last, cmp) is None
    limited = _range(("introduced", "1.0"), ("limit", "1.9"))
    assert evaluate_range("1.5", limited, cmp) is not None
    assert evaluate_range("1.9", limited, cmp) is None
    git = AffectedRange("GIT", (VersionEvent("introduced", "0"),))
    assert evaluate_range("1.0", git, cmp) is None


def test_versions_lists_and_not_affected_status() -> None:
    cmp = key_for("PyPI")
    listed = AffectedPackage(advisory_id="X", ecosystem="PyPI", name="p", versions=("1.0", "1.1"))
    assert evaluate_affected("1.1", listed, cmp) is not None
    assert evaluate_affected("1.2", listed, cmp) is None
    every = AffectedPackage(advisory_id="X", ecosystem="PyPI", name="p")
    assert evaluate_affected("9.9", every, cmp) is not None
    clean = AffectedPackage(advisory_id="X", ecosystem="PyPI", name="p", status="not-affected")
    assert evaluate_affected("1.0", clean, cmp) is None


def test_go_main_module_without_version_is_not_matched(db: MemoryDB) -> None:
    stats = MatchStats()
    main = Package(
        name="golang.org/x/text",
        version="(devel)",
        type="golang",
        purl="pkg:golang/golang.org/x/text",
        ecosystem="Go",
    )
    tagged = Package(
        name="golang.org/x/text",
        version="v0.3.7",
        type="golang",
        purl="pkg:golang/golang.org/x/text@v0.3.7",
        ecosystem="Go",
    )
    findings = _match(db, [main, tagged], stats)
    assert [f.rule for f in findings] == ["CVE-2022-32149"]  # GO-2022-1059, fixed 0.3.8
    assert findings[0].details["installed"] == "0.3.7"
    assert stats.unversioned == 1


def test_alpine_secdb_through_the_real_database(tmp_path: Path) -> None:
    from vulns_match_db import build_sqlite

    from seawall.vulns.db import AdvisoryDB

    zlib = Package(
        name="zlib",
        version="1.2.12-r0",
        type="apk",
        purl="pkg:apk/alpine/zlib@1.2.12-r0?distro=alpine-3.15.4",
        ecosystem="Alpine:v3.15",
        source_name="zlib",
    )
    with AdvisoryDB.open(build_sqlite(tmp_path / "adv.db")) as adb:
        findings = match_packages([zlib], adb, asset="img")
    # 1.2.12-r0 fixes CVE-2018-25032; CVE-2022-37434 was fixed in 1.2.12-r2
    assert [(f.rule, f.details["fixed"]) for f in findings] == [("CVE-2022-37434", "1.2.12-r2")]
    assert findings[0].details["source"] == ["Alpine:v3.15", "alpine-secdb"]
