"""rpm cataloger on real databases.

The SQLite rpmdb is made by Debian's rpm 4.18 (`rpmbuild` of a small spec, then
`rpm --dbpath DIR -i --justdb`). The Berkeley DB hash `Packages` file is made by Berkeley
DB's own `db5.3_load` from those real header blobs (keys are the header numbers, as rpm
stores them). Debian's rpm has no NDB backend, so the NDB `Packages.db` is laid out here
from rpm's lib/backend/ndb/rpmpkg.c format (header, slot pages, blobs) with the same blobs.
"""

from __future__ import annotations

import sqlite3
import struct
import subprocess
from pathlib import Path

import pytest
from catalogers_lib import entry, ndb_file, run

from seawall.model import Package
from seawall.packages.catalogers.rpm import RpmCataloger

SPEC = """\
Name: hello-seawall
Version: 1.2.3
Release: 4.el9
Epoch: 2
Summary: seawall test package
License: MIT and BSD
BuildArch: noarch
%description
{long}
%package -n libhello-seawall
Summary: a sub-package built from the same source rpm
License: LGPL-2.1-or-later
%description -n libhello-seawall
library
%files
%files -n libhello-seawall
"""
SPEC2 = """\
Name: plain-seawall
Version: 0.1
Release: 1
Summary: no epoch
License: ASL 2.0
BuildArch: noarch
%description
plain
%files
"""
QF = "%{NAME}|%{EPOCH}|%{VERSION}-%{RELEASE}|%{ARCH}|%{SOURCERPM}|%{LICENSE}\\n"


@pytest.fixture(scope="module")
def rpmdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rpm")
    # A long description makes one header larger than a 4 KiB page (overflow chains in BDB).
    long = "\n".join(f"line {i} of a long description" for i in range(400))
    rpms = []
    for name, text in (("hello.spec", SPEC.format(long=long)), ("plain.spec", SPEC2)):
        (root / name).write_text(text)
        subprocess.run(
            ["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {root / 'top'}", str(root / name)],
            check=True,
            capture_output=True,
        )
    rpms = sorted(str(p) for p in (root / "top" / "RPMS").rglob("*.rpm"))
    assert len(rpms) == 3
    db = root / "db"
    db.mkdir()
    subprocess.run(["rpm", "--dbpath", str(db), "--initdb"], check=True, capture_output=True)
    subprocess.run(
        ["rpm", "--dbpath", str(db), "-i", "--nodeps", "--justdb", *rpms],
        check=True,
        capture_output=True,
    )
    return db


def _expected(db: Path) -> set[tuple[str, int | None, str, str, str, str]]:
    out = subprocess.run(
        ["rpm", "--dbpath", str(db), "-qa", "--qf", QF], check=True, capture_output=True, text=True
    ).stdout
    rows = set()
    for line in out.splitlines():
        name, epoch, version, arch, srpm, license_ = line.split("|")
        rows.add(
            (
                name,
                None if epoch == "(none)" else int(epoch),
                version,
                arch,
                srpm,
                license_,
            )
        )
    return rows


def _blobs(db: Path) -> list[tuple[int, bytes]]:
    con = sqlite3.connect(db / "rpmdb.sqlite")
    try:
        return list(con.execute("SELECT hnum, blob FROM Packages ORDER BY hnum"))
    finally:
        con.close()


def _bdb(tmp: Path, blobs: list[tuple[int, bytes]]) -> bytes:
    dump = tmp / "dump.txt"
    lines = ["VERSION=3", "format=bytevalue", "type=hash", "db_pagesize=4096", "HEADER=END"]
    for hnum, blob in blobs:
        lines += [" " + struct.pack("<I", hnum).hex(), " " + blob.hex()]
    lines.append("DATA=END")
    dump.write_text("\n".join(lines) + "\n")
    out = tmp / "Packages"
    out.unlink(missing_ok=True)
    subprocess.run(["db5.3_load", "-f", str(dump), str(out)], check=True, capture_output=True)
    return out.read_bytes()


def _got(result_packages: list[Package]) -> set[tuple[str, int | None, str, str, str, str]]:
    return {
        (p.name, p.epoch, p.version, p.arch, p.metadata.get("source_rpm", ""), p.licenses[0])
        for p in result_packages
    }


def test_sqlite_rpmdb_matches_rpm_query(rpmdb: Path) -> None:
    cat = RpmCataloger()
    data = (rpmdb / "rpmdb.sqlite").read_bytes()
    result = run(cat, "/var/lib/rpm/rpmdb.sqlite", data)
    assert result.warnings == []
    assert _got(result.packages) == _expected(rpmdb)
    by_name = {p.name: p for p in result.packages}
    lib = by_name["libhello-seawall"]
    assert (lib.source_name, lib.source_version) == ("hello-seawall", "1.2.3-4.el9")
    assert lib.epoch == 2 and lib.version == "1.2.3-4.el9"
    assert lib.purl == (
        "pkg:rpm/libhello-seawall@1.2.3-4.el9?arch=noarch&epoch=2"
        "&upstream=hello-seawall-1.2.3-4.el9.src.rpm"
    )
    assert by_name["plain-seawall"].epoch is None
    assert by_name["plain-seawall"].purl.startswith("pkg:rpm/plain-seawall@0.1-1?arch=noarch")
    for pkg in result.packages:
        assert pkg.type == "rpm" and pkg.ecosystem == "" and pkg.cataloger == "rpm@1"
        assert pkg.path == "/var/lib/rpm/rpmdb.sqlite"
    # The same file under /usr/lib/sysimage/rpm (Fedora >= 36, SUSE) is read the same way.
    again = run(cat, "/usr/lib/sysimage/rpm/rpmdb.sqlite", data)
    assert _got(again.packages) == _expected(rpmdb)


def test_berkeley_db_packages_matches_rpm_query(rpmdb: Path, tmp_path: Path) -> None:
    blobs = _blobs(rpmdb)
    assert max(len(b) for _, b in blobs) > 4096  # spans several overflow pages
    result = run(RpmCataloger(), "/var/lib/rpm/Packages", _bdb(tmp_path, blobs))
    assert result.warnings == []
    assert _got(result.packages) == _expected(rpmdb)


def test_ndb_packages_db_matches_rpm_query(rpmdb: Path) -> None:
    result = run(RpmCataloger(), "/usr/lib/sysimage/rpm/Packages.db", ndb_file(_blobs(rpmdb)))
    assert result.warnings == []
    assert _got(result.packages) == _expected(rpmdb)


def test_corrupt_record_is_a_warning_and_the_rest_is_read(rpmdb: Path, tmp_path: Path) -> None:
    blobs = _blobs(rpmdb)
    # Break the first header's index count: that record is skipped, the others are read.
    bad = [(blobs[0][0], b"\xff\xff\xff\xff" + blobs[0][1][4:]), *blobs[1:]]
    for path, data in (
        ("/var/lib/rpm/Packages", _bdb(tmp_path, bad)),
        ("/usr/lib/sysimage/rpm/Packages.db", ndb_file(bad)),
    ):
        result = run(RpmCataloger(), path, data)
        assert len(result.packages) == len(blobs) - 1
        assert len(result.warnings) == 1
        assert result.warnings[0].startswith(f"{path}: rpm record ")


def test_truncated_or_garbage_database_is_a_warning(rpmdb: Path) -> None:
    cat = RpmCataloger()
    sqlite_bytes = (rpmdb / "rpmdb.sqlite").read_bytes()
    for path, data in (
        ("/var/lib/rpm/rpmdb.sqlite", sqlite_bytes[:5000]),
        ("/var/lib/rpm/Packages", b"\0" * 8192),
        ("/var/lib/rpm/Packages.db", b"RpmP" + b"\xff" * 100),
        ("/var/lib/rpm/Packages", b"garbage"),
    ):
        result = cat.catalog(entry(path, data))
        assert result.packages == []
        assert len(result.warnings) == 1 and result.warnings[0].startswith(path)


def test_wants_only_rpmdb_locations() -> None:
    cat = RpmCataloger()
    assert cat.wants("/var/lib/rpm/Packages", 0o100644, 1 << 20)
    assert cat.wants("/usr/lib/sysimage/rpm/Packages.db", 0o100644, 1 << 20)
    assert not cat.wants("/home/u/var/lib/rpm/Packages", 0o100644, 1 << 20)
    assert not cat.wants("/var/lib/rpm/Name", 0o100644, 1 << 20)


def test_hostile_sqlite_schema_is_refused_quickly(tmp_path: Path) -> None:
    db = tmp_path / "rpmdb.sqlite"
    con = sqlite3.connect(db)
    # A view that would run forever instead of a Packages table.
    con.execute(
        "CREATE VIEW Packages AS WITH RECURSIVE c(hnum) AS "
        "(SELECT 1 UNION ALL SELECT hnum + 1 FROM c) SELECT hnum, zeroblob(10) AS blob FROM c"
    )
    con.commit()
    con.close()
    result = run(RpmCataloger(), "/var/lib/rpm/rpmdb.sqlite", db.read_bytes())
    assert result.packages == []
    assert result.warnings == [
        "/var/lib/rpm/rpmdb.sqlite: rpm database unreadable: no Packages table"
    ]
