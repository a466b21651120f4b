"""Review of the SQL range matcher as a user upgrading (or downgrading) seawall meets it.

- A database file an older seawall built (no affected_ranges table, no range_keys stamp,
  no advisories.ids column) is made here from a new one by removing them: the real
  2b45ae9 code was also run by hand on the same data (see the commit message), and its
  file has exactly that shape. It must match like a fresh file, take more imports and
  then match like a fresh file built from all the data.
- An older seawall importing into a new file leaves stale range rows: not used.
- SQL == Python evaluation for what test_match_sql's data lacks: rpm distros, Maven
  versions without byte keys (osv.dev's Zeppelin records), a withdrawn record.
- A database someone else built (damaged tables, rows, stamps): one line, or the Python
  fallback, never a traceback.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import msgspec
import pytest
from seawall_testlib import DATA, run_seawall
from test_match_sql import SOURCES, VULNS, _match, _packages

from seawall.errors import InputError
from seawall.model import Package
from seawall.vulns.db import AdvisoryDB
from seawall.vulns.importers import import_files
from seawall.vulns.intervals import PYTHON
from seawall.vulns.match import match_packages
from seawall.vulns.versions.bytekey import byte_key_func

# osv.dev GHSA records whose Maven bounds have no byte key (alpha1, RC1, .Alpha1) or
# a last_affected; versions lists expanded as api.osv.dev serves them
ZEPPELIN = VULNS / "maven" / "zeppelin-keyless.json"
WITHDRAWN = VULNS / "trivy-osv" / "withdrawn_after_now.json"
RPM_DISTROS = ("Red Hat:enterprise_linux:9", "Rocky Linux:9", "AlmaLinux:8")


def _make_old(path: Path) -> None:
    """Give a new file the shape an older seawall (2b45ae9) wrote."""
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE affected_ranges")
        conn.execute("DELETE FROM meta WHERE key = 'range_keys'")
        conn.execute("ALTER TABLE advisories DROP COLUMN ids")
    conn.close()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("review") / "fresh.db"
    import_files(SOURCES, path)
    return path


@pytest.fixture(scope="module")
def fresh_all(tmp_path_factory: pytest.TempPathFactory, rpm_records: Path) -> Path:
    path = tmp_path_factory.mktemp("review-all") / "all.db"
    import_files([*SOURCES, ZEPPELIN, WITHDRAWN, rpm_records], path)
    return path


@pytest.fixture(scope="module")
def packages(fresh: Path) -> list[Package]:
    return _packages(fresh)[::3]


def _rpm_versions() -> list[str]:
    rows = (DATA / "vulns" / "version_vectors.tsv").read_text().splitlines()
    out: set[str] = set()
    for line in rows[1:]:
        scheme, a, b, *_ = line.split("\t")
        if scheme == "rpm":
            out.update((a, b))
    # rpm orders a version without release equal to every release of it (no byte key):
    # advisories name full EVRs, so do the bounds here; installed ones without one too
    return sorted({*out, *(f"{v}-1" for v in out), *(f"1:{v}-2.el9" for v in out)})


@pytest.fixture(scope="module")
def rpm_records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OSV records on real rpm versions (rpm's own rpmvercmp vectors): fixed,
    last_affected, limit and unsorted events, in three rpm distros."""
    root = tmp_path_factory.mktemp("rpm")
    versions = _rpm_versions()
    rpm_key = byte_key_func("Red Hat")
    assert rpm_key is not None
    # in rpm's order (every one has a byte key: epoch, version and release)
    versions = sorted((v for v in versions if v.endswith("-1")), key=lambda v: rpm_key(v) or b"")
    shapes = [
        [{"introduced": "0"}, {"fixed": versions[len(versions) // 2]}],
        [{"introduced": versions[3]}, {"last_affected": versions[-4]}],
        [{"fixed": versions[-2]}, {"introduced": versions[5]}, {"limit": versions[-6]}],
        [{"introduced": versions[-3]}, {"fixed": versions[2]}, {"introduced": versions[1]}],
    ]
    for number, events in enumerate(shapes):
        affected = [
            {
                "package": {"ecosystem": distro, "name": f"rpmpkg{number}"},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
            for distro in RPM_DISTROS
        ]
        doc = {"id": f"RPM-{number}", "modified": "2024-01-01T00:00:00Z", "affected": affected}
        (root / f"RPM-{number}.json").write_text(json.dumps(doc))
    return root


def test_older_seawall_file_upgrades_and_takes_more_imports(
    fresh: Path, fresh_all: Path, packages: list[Package], tmp_path: Path
) -> None:
    expected = _match(fresh, packages, keyed=True)[0]
    old = tmp_path / "old.db"
    old.write_bytes(fresh.read_bytes())
    _make_old(old)
    with AdvisoryDB.open(old) as adb:
        assert not adb.keyed
    assert _match(old, packages, keyed=False)[0] == expected
    # `seawall db import` of more data into the old file with the new code
    result = run_seawall("db", "import", "--db", str(old), str(ZEPPELIN), str(WITHDRAWN))
    assert result.returncode == 0, result.stderr
    with AdvisoryDB.open(old) as adb:
        assert adb.keyed
    everything = tmp_path / "everything.db"
    import_files([*SOURCES, ZEPPELIN, WITHDRAWN], everything)
    maven = _packages(everything)
    assert _match(old, maven, keyed=True)[0] == _match(everything, maven, keyed=True)[0]
    with sqlite3.connect(old) as conn:
        assert conn.execute("SELECT COUNT(*) FROM advisories WHERE ids IS NULL").fetchone() == (0,)
    conn.close()
    status = json.loads(run_seawall("db", "status", "--db", str(old), "--format", "json").stdout)
    again = json.loads(
        run_seawall("db", "status", "--db", str(everything), "--format", "json").stdout
    )
    for field in ("advisories", "affected", "known_exploited", "ecosystems"):
        assert status[field] == again[field]
    assert status["ecosystems"]["Maven"] > 10


def test_older_seawall_writing_into_a_new_file_is_not_trusted(
    fresh: Path, packages: list[Package], tmp_path: Path
) -> None:
    """An older seawall's import leaves the range rows stale (it knows nothing of them),
    even when it rewrites built_at within the same second (whole seconds: the stamp
    would still match): the matcher evaluates in Python; the next import rebuilds."""
    path = tmp_path / "downgraded.db"
    path.write_bytes(fresh.read_bytes())
    with sqlite3.connect(path) as conn:
        # what 2b45ae9's put() does for a re-imported advisory: delete its affected rows
        # and insert new ones (new rowids, no range rows), then stamp built_at (the same
        # second as the last build here: the value does not change)
        conn.execute("DELETE FROM affected WHERE name = 'django'")
    conn.close()
    with AdvisoryDB.open(path) as adb:
        assert not adb.keyed
    django = [p for p in packages if p.name == "django"]
    assert django and not json.loads(_match(path, django, keyed=False)[0])
    import_files([VULNS / "pypi" / "django"], path)
    with AdvisoryDB.open(path) as adb:
        assert adb.keyed
    assert _match(path, django, keyed=True)[0] == _match(fresh, django, keyed=True)[0]


def _bounds_packages(path: Path, names: set[str] | None = None) -> list[Package]:
    found = _packages(path)
    return [p for p in found if names is None or p.name in names]


def test_rpm_maven_without_keys_and_withdrawn_match_python(fresh_all: Path) -> None:
    with sqlite3.connect(fresh_all) as conn:
        python_rows = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM affected_ranges WHERE ecosystem = 'Maven' AND flags = ?",
                (PYTHON,),
            )
        }
        rpm_rows = conn.execute(
            "SELECT COUNT(*) FROM affected_ranges WHERE flags & ? = 0 AND ecosystem IN (?, ?, ?)",
            (PYTHON, *RPM_DISTROS),
        ).fetchone()[0]
    conn.close()
    assert len(python_rows) >= 1 and rpm_rows >= 12
    packages = [p for p in _bounds_packages(fresh_all, python_rows) if p.ecosystem == "Maven"] + [
        Package(name=f"rpmpkg{n}", version=v, type="rpm", purl=None, ecosystem=distro)
        for n in range(4)
        for distro in RPM_DISTROS
        for v in _rpm_versions()
    ]
    by_sql, sql_stats, queries = _match(fresh_all, packages, keyed=True)
    by_python, python_stats, _ = _match(fresh_all, packages, keyed=False)
    assert queries > 0
    assert by_sql == by_python and sql_stats == python_stats
    rules = {(f["details"]["package"]["name"], f["rule"]) for f in msgspec.json.decode(by_sql)}
    assert {("rpmpkg0", "RPM-0"), ("rpmpkg1", "RPM-1"), ("rpmpkg3", "RPM-3")} <= rules
    assert any(name in python_rows for name, _ in rules)
    withdrawn = json.loads(WITHDRAWN.read_text())
    assert not any(rule == withdrawn["id"] for _, rule in rules)


# -- a database someone else built ---------------------------------------------------

DAMAGE = {
    "orphan python row": "UPDATE affected_ranges SET flags = 4, affected_id = affected_id + 99999",
    "unknown severity": "UPDATE affected_ranges SET severity = 'EXTREME'",
    "no range table": "DROP TABLE affected_ranges",
    "range table of other columns": "DROP TABLE affected_ranges; CREATE TABLE affected_ranges(x)",
    "ids not msgpack": "UPDATE advisories SET ids = x'c1c1'",
    "ids text": "UPDATE advisories SET ids = 'hello'",
    "advisory not msgpack": "UPDATE advisories SET data = x'c1'",
    "affected not msgpack (python path)": "UPDATE affected SET data = x'c1'; "
    "DELETE FROM meta WHERE key = 'range_keys'",
    "no advisories table": "DROP TABLE advisories",
}
FALLBACK = {
    "key format not an int": "UPDATE meta SET value = replace(value, '\"key_format\":', "
    '\'"key_format":"x","was":\') WHERE key = \'range_keys\'',
    "range_keys not JSON": "UPDATE meta SET value = '{{{' WHERE key = 'range_keys'",
}


def _damaged(fresh: Path, tmp_path: Path, sql: str) -> Path:
    path = tmp_path / "damaged.db"
    path.write_bytes(fresh.read_bytes())
    with sqlite3.connect(path) as conn:
        conn.executescript(sql)
    conn.close()
    return path


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_database_is_one_line_error(
    fresh: Path, packages: list[Package], tmp_path: Path, damage: str
) -> None:
    path = _damaged(fresh, tmp_path, DAMAGE[damage])
    with (
        pytest.raises(InputError, match="damaged advisory database"),
        AdvisoryDB.open(path) as adb,
    ):
        match_packages(packages, adb, asset="sbom")
    sbom = tmp_path / "app.cdx.json"
    components = [
        {"type": "library", "name": "django", "version": "1.11", "purl": "pkg:pypi/django@1.11"}
    ]
    sbom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5",
                                "version": 1, "components": components}))  # fmt: skip
    result = run_seawall("image", "--sbom", str(sbom), "--db", str(path), "--format", "json")
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert "damaged advisory database" in stderr


@pytest.mark.parametrize("damage", sorted(FALLBACK))
def test_unknown_range_stamp_falls_back_to_python(
    fresh: Path, packages: list[Package], tmp_path: Path, damage: str
) -> None:
    expected = _match(fresh, packages, keyed=True)[0]
    path = _damaged(fresh, tmp_path, FALLBACK[damage])
    with AdvisoryDB.open(path) as adb:
        keyed = adb.keyed
        found = msgspec.json.encode(match_packages(packages, adb, asset="sbom"))
    assert not keyed
    assert found == expected
    # the next import rebuilds the range rows
    import_files([VULNS / "distro"], path)
    with AdvisoryDB.open(path) as adb:
        assert adb.keyed
    assert _match(path, packages, keyed=True)[0] == expected
