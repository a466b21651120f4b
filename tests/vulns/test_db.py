"""The advisory database: atomic builds, lookups by normalised ecosystem, status."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawall.errors import InputError
from seawall.model import Severity
from seawall.vulns.advisory import Advisory, AffectedPackage, AffectedRange, VersionEvent
from seawall.vulns.db import AdvisoryDB, building, normalize_ecosystem


def _affected(adv: str, eco: str, name: str, fixed: str) -> AffectedPackage:
    events = (VersionEvent("introduced", "0"), VersionEvent("fixed", fixed))
    return AffectedPackage(
        advisory_id=adv, ecosystem=eco, name=name, ranges=(AffectedRange("ECOSYSTEM", events),)
    )


def _build(path: Path) -> None:
    with building(path) as db:
        db.put(
            "osv",
            Advisory(id="DSA-1", source="osv:Debian", aliases=("CVE-2024-1",)),
            [_affected("DSA-1", "Debian:12", "openssl", "3.0.11-1~deb12u2")],
        )
        db.put(
            "osv",
            Advisory(id="USN-1", source="osv:Ubuntu", severity=Severity.HIGH),
            [_affected("USN-1", "Ubuntu:22.04:LTS", "openssl", "3.0.2-0ubuntu1.12")],
        )
        db.put_kev([("CVE-2024-1", {"dateAdded": "2024-01-01"})])


def test_missing_database_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no advisory database at .*seawall db update"):
        AdvisoryDB.open(tmp_path / "none.db")


def test_lookup_finds_os_release_ecosystems(tmp_path: Path) -> None:
    path = tmp_path / "adv.db"
    _build(path)
    with AdvisoryDB.open(path) as db:
        found = db.lookup("Ubuntu:22.04", ["openssl", "zlib"])
        assert list(found) == ["openssl"]
        assert found["openssl"][0].advisory_id == "USN-1"
        assert found["openssl"][0].ecosystem == "Ubuntu:22.04:LTS"
        assert db.lookup("debian:12", ["openssl"])["openssl"][0].advisory_id == "DSA-1"
        assert db.lookup("Debian:11", ["openssl"]) == {}
        assert db.advisory("USN-1").severity is Severity.HIGH
        assert db.kev_ids() == {"CVE-2024-1"}
        status = db.status()
        assert status.advisories == 2 and status.known_exploited == 1
        assert not status.is_stale


def test_interrupted_import_keeps_previous_database(tmp_path: Path) -> None:
    path = tmp_path / "adv.db"
    _build(path)
    before = path.read_bytes()
    with pytest.raises(KeyboardInterrupt), building(path) as db:
        db.put("osv", Advisory(id="X-1", source="osv:PyPI"), [_affected("X-1", "PyPI", "a", "1")])
        raise KeyboardInterrupt
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["adv.db"]


def test_reimport_replaces_a_record(tmp_path: Path) -> None:
    path = tmp_path / "adv.db"
    _build(path)
    with building(path) as db:
        db.put(
            "osv",
            Advisory(id="DSA-1", source="osv:Debian"),
            [_affected("DSA-1", "Debian:12", "openssl", "3.0.13-1~deb12u1")],
        )
    with AdvisoryDB.open(path) as db:
        rows = db.lookup("Debian:12", ["openssl"])["openssl"]
        assert len(rows) == 1
        assert rows[0].ranges[0].events[1].version == "3.0.13-1~deb12u1"


@pytest.mark.parametrize(
    ("given", "key"),
    [
        ("Debian:12", "debian:12"),
        ("Ubuntu:22.04:LTS", "ubuntu:22.04"),
        ("Ubuntu:Pro:14.04:LTS", "ubuntu:pro:14.04"),
        ("Alpine:v3.19", "alpine:v3.19"),
        ("alpine:3.19.1", "alpine:v3.19"),
        ("Red Hat:rhel_aus:8.4::appstream", "redhat:8"),
        ("rhel:9.3", "redhat:9"),
        ("Rocky Linux:9", "rocky:9"),
        ("AlmaLinux:9", "almalinux:9"),
        ("PyPI", "pypi"),
    ],
)
def test_ecosystem_normalisation(given: str, key: str) -> None:
    assert normalize_ecosystem(given) == key


def test_advisories_by_id_search_the_key_across_families(tmp_path: Path) -> None:
    """The same id from two importers: the OSV record wins, and fetching by id searches the
    (family, id) key rather than scanning every advisory once per batch of ids."""
    path = tmp_path / "adv.db"
    _build(path)
    with building(path) as db:
        db.put(
            "debian-tracker",
            Advisory(id="CVE-2024-1", source="debian-tracker", summary="tracker"),
            [_affected("CVE-2024-1", "Debian:12", "openssl", "3.0.11-1~deb12u2")],
        )
        db.put("osv", Advisory(id="CVE-2024-1", source="osv:Debian", summary="osv"), [])
    with AdvisoryDB.open(path) as db:
        statements: list[str] = []
        db._conn.set_trace_callback(statements.append)
        found = db.advisories(["CVE-2024-1", "DSA-1", "NOPE-1"])
        db._conn.set_trace_callback(None)
        assert found["CVE-2024-1"].summary == "osv"
        assert set(found) == {"CVE-2024-1", "DSA-1"}
        fetches = [s for s in statements if s.startswith("SELECT family, id, data")]
        assert fetches
        for sql in fetches:
            plan = " ".join(str(r[3]) for r in db._conn.execute("EXPLAIN QUERY PLAN " + sql))
            assert "SEARCH advisories" in plan and "SCAN advisories" not in plan, plan
