"""Every cataloger survives mutated and truncated copies of real inputs: it may find less
and warn, but it never raises (the layer walker relies on that)."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import pytest
from catalogers_lib import cached, entry, ndb_file

from seawall.packages.catalogers.base import Cataloger
from seawall.packages.catalogers.golang import MAGIC, GoCataloger
from seawall.packages.catalogers.java import JavaCataloger
from seawall.packages.catalogers.npm import NpmCataloger
from seawall.packages.catalogers.python import PythonCataloger
from seawall.packages.catalogers.rpm import RpmCataloger

ROUNDS = 150  # 3000 rounds per input ran clean when this was written


def _mutations(data: bytes, seed: int, focus: int = 0, span: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    span = span or len(data)
    out = [data[:cut] for cut in (0, 1, 7, len(data) // 3, len(data) - 1)]
    for _ in range(ROUNDS):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            pos = focus + rng.randrange(min(span, len(buf) - focus))
            buf[pos] = rng.choice((0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)))
        out.append(bytes(buf))
    return out


def _survives(cat: Cataloger, path: str, variants: list[bytes], mode: int = 0o100644) -> None:
    for data in variants:
        result = cat.catalog(entry(path, data, mode))  # must not raise
        assert all(w.startswith(path) for w in result.warnings)


@pytest.fixture(scope="module")
def rpm_sqlite(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    root = tmp_path_factory.mktemp("rpmfuzz")
    (root / "p.spec").write_text(
        "Name: fuzz\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\nBuildArch: noarch\n"
        "%description\nd\n%files\n"
    )
    subprocess.run(
        ["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {root}", str(root / "p.spec")],
        check=True,
        capture_output=True,
    )
    db = root / "db"
    db.mkdir()
    rpms = [str(p) for p in root.rglob("*.rpm")]
    subprocess.run(["rpm", "--dbpath", str(db), "--initdb"], check=True, capture_output=True)
    subprocess.run(
        ["rpm", "--dbpath", str(db), "-i", "--nodeps", "--justdb", *rpms],
        check=True,
        capture_output=True,
    )
    return (db / "rpmdb.sqlite").read_bytes()


def test_rpm_survives_mutations(rpm_sqlite: bytes) -> None:
    con = sqlite3.connect(":memory:")
    con.deserialize(rpm_sqlite[:18] + b"\x01\x01" + rpm_sqlite[20:])  # WAL -> rollback
    (blob,) = con.execute("SELECT blob FROM Packages").fetchone()
    con.close()
    _survives(RpmCataloger(), "/var/lib/rpm/rpmdb.sqlite", _mutations(rpm_sqlite, 1))
    # Header blobs through the NDB layer (every mutation lands in the header).
    variants = [ndb_file([(1, m)]) for m in _mutations(blob, 2)]
    _survives(RpmCataloger(), "/var/lib/rpm/Packages.db", variants)
    _survives(RpmCataloger(), "/var/lib/rpm/Packages", _mutations(ndb_file([(1, blob)]), 3))


def test_go_survives_mutations(tmp_path: Path) -> None:
    binary = Path("/usr/lib/go-1.19/bin/gofmt").read_bytes()
    off = binary.find(MAGIC)
    assert off > 0
    cat = GoCataloger()
    _survives(cat, "/bin/gofmt", _mutations(binary, 4, focus=off, span=4096), 0o100755)
    _survives(cat, "/bin/gofmt", _mutations(binary[:8192], 5), 0o100755)  # ELF headers


def test_java_survives_mutations() -> None:
    jar = Path("/usr/share/java/log4j-api-2.19.0.jar").read_bytes()
    cut = jar.rfind(b"PK\x01\x02") - 4000  # central directory and the last members
    _survives(JavaCataloger(), "/app/a.jar", _mutations(jar, 6, focus=max(cut, 0)))


def test_python_and_npm_survive_mutations() -> None:
    with zipfile.ZipFile(cached("wheels", "six-*.whl")) as zf:
        meta = zf.read(next(n for n in zf.namelist() if n.endswith("METADATA")))
    _survives(PythonCataloger(), "/s/six.dist-info/METADATA", _mutations(meta, 7))
    lock = json.dumps(
        {"lockfileVersion": 3, "packages": {"node_modules/a": {"version": "1.0.0"}}}
    ).encode()
    _survives(NpmCataloger(), "/app/package-lock.json", _mutations(lock, 8))
    _survives(NpmCataloger(), "/app/package-lock.json", [b"[" * 100_000, b'{"packages": 1e999999}'])
