"""The ids stored with each advisory (advisories.ids) name findings exactly as computing
them from the advisory does, and files an older seawall wrote still match the same."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec
import pytest
from test_match_sql import SOURCES, _match, _packages

from seawall.model import Package
from seawall.vulns.advisory import Advisory, primary_id
from seawall.vulns.db import AdvisoryDB, building
from seawall.vulns.importers import import_files


@pytest.fixture(scope="module")
def advisory_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ids") / "advisories.db"
    import_files(SOURCES, path)
    return path


@pytest.fixture(scope="module")
def packages(advisory_db: Path) -> list[Package]:
    return _packages(advisory_db)


def test_stored_ids_are_the_primary_id_then_the_others(advisory_db: Path) -> None:
    decode = msgspec.msgpack.Decoder(Advisory).decode
    with sqlite3.connect(advisory_db) as conn:
        rows = conn.execute("SELECT data, ids FROM advisories").fetchall()
    assert len(rows) > 100
    aliased = 0
    for data, ids in rows:
        adv = decode(data)
        primary, others = primary_id(frozenset((adv.id, *adv.aliases, *adv.upstream)))
        assert msgspec.msgpack.decode(ids) == [primary, *others]
        aliased += bool(others)
    assert aliased > 50  # real records: CVE aliases of GHSA/PYSEC ids, upstream CVEs


def test_files_without_stored_ids_match_the_same(
    advisory_db: Path, packages: list[Package], tmp_path: Path
) -> None:
    """A file an older seawall built (no ids column) or wrote rows into (ids NULL) gives
    the same findings; the next import adds and fills the column."""
    expected, _, _ = _match(advisory_db, packages, keyed=True)
    no_column = tmp_path / "no-column.db"
    null_rows = tmp_path / "null-rows.db"
    for copy in (no_column, null_rows):
        copy.write_bytes(advisory_db.read_bytes())
    with sqlite3.connect(no_column) as conn:
        conn.execute("ALTER TABLE advisories DROP COLUMN ids")
    with sqlite3.connect(null_rows) as conn:
        conn.execute("UPDATE advisories SET ids = NULL WHERE rowid % 2 = 0")
    for path in (no_column, null_rows):
        assert _match(path, packages, keyed=True)[0] == expected
        assert _match(path, packages, keyed=False)[0] == expected
    with sqlite3.connect(advisory_db) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM advisories ORDER BY id LIMIT 50")]
    with AdvisoryDB.open(no_column) as old, AdvisoryDB.open(advisory_db) as new:
        assert old.advisories(ids) == new.advisories(ids)
        assert len(new.advisories(ids)) == 50
        assert all(stored is None for _, stored in old.advisories_with_ids(ids).values())
    with building(no_column):
        pass  # an import of nothing: the column comes back, filled
    with sqlite3.connect(no_column) as conn:
        missing = conn.execute("SELECT COUNT(*) FROM advisories WHERE ids IS NULL").fetchone()
    assert missing == (0,)
    assert _match(no_column, packages, keyed=True)[0] == expected
