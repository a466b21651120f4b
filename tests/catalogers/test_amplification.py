"""Small crafted files that used to cost minutes to hours: the work a cataloger does stays
proportional to the bytes it is given. Each input is built here, in memory."""

from __future__ import annotations

import io
import struct
import time
import zipfile

from catalogers_lib import entry

from seawall.packages.catalogers.golang import GoCataloger
from seawall.packages.catalogers.java import JavaCataloger
from seawall.packages.catalogers.rpm import RpmCataloger


def _rpm_header(pad: int) -> bytes:
    """An rpm header blob: name "evil", version 1.0, release 1, then `pad` zero bytes."""
    data = b"evil\0" + b"1.0\0" + b"1\0" + b"\0" * pad
    index = b"".join(
        struct.pack(">IIiI", tag, 6, offset, 1) for tag, offset in ((1000, 0), (1001, 5), (1002, 9))
    )
    return struct.pack(">II", 3, len(data)) + index + data


def test_ndb_slots_sharing_one_blob_stop_at_the_file_size() -> None:
    blob = _rpm_header(256 * 1024)
    npages = 256  # 65,534 slots, every one pointing at the same 256 kB blob
    nslots = npages * 256 - 2
    first_block = (32 + nslots * 16 + 15) // 16
    body = struct.pack("<4sIII", b"RpmP", 0, 1, npages) + b"\0" * 16
    body += struct.pack("<4sIII", b"Slot", 1, first_block, (len(blob) + 31) // 16) * nslots
    body += b"\0" * (first_block * 16 - len(body))
    body += struct.pack("<4sIII", b"BlbS", 1, 0, len(blob)) + blob
    start = time.perf_counter()
    result = RpmCataloger().catalog(entry("/usr/lib/sysimage/rpm/Packages.db", body))
    # before: 65,534 copies of "evil 1.0-1" (17 GB copied for a 1.3 MB file; 2 s here,
    # hours for a 25 MB one)
    assert time.perf_counter() - start < 1.0
    assert 0 < len(result.packages) < 16
    assert result.warnings == [
        "/usr/lib/sysimage/rpm/Packages.db: rpm database records overlap (records share "
        f"bytes; crafted?): the rest skipped after {len(result.packages)} packages"
    ]


def test_berkeley_db_items_sharing_one_overflow_chain_are_refused() -> None:
    pagesize, chain, hash_pages = 512, 400, 300
    npages = 1 + hash_pages + chain
    meta = bytearray(pagesize)
    struct.pack_into("<I", meta, 12, 0x061561)
    struct.pack_into("<I", meta, 20, pagesize)
    struct.pack_into("<I", meta, 32, npages - 1)
    blob = _rpm_header(chain * (pagesize - 26) - 100)
    first_overflow = 1 + hash_pages
    # one hash page: every value offset names the same off-page item (the whole chain)
    page = bytearray(pagesize)
    page[25] = 13  # P_HASH
    entries = 200
    struct.pack_into("<H", page, 20, entries)
    item = pagesize - 12
    page[item] = 3  # H_OFFPAGE
    struct.pack_into("<II", page, item + 4, first_overflow, len(blob))
    struct.pack_into(f"<{entries}H", page, 26, *([item] * entries))
    pages = [bytes(meta)] + [bytes(page)] * hash_pages
    step = pagesize - 26
    for i in range(chain):
        over = bytearray(pagesize)
        over[25] = 7  # P_OVERFLOW
        piece = blob[i * step : (i + 1) * step]
        nxt = first_overflow + i + 1 if i + 1 < chain else 0
        struct.pack_into("<I", over, 16, nxt)  # next page
        struct.pack_into("<H", over, 22, len(piece))  # bytes on this page
        over[26 : 26 + len(piece)] = piece
        pages.append(bytes(over))
    start = time.perf_counter()
    result = RpmCataloger().catalog(entry("/var/lib/rpm/Packages", b"".join(pages)))
    # before: 30,000 walks of the 400-page chain (6 GB copied from a 360 kB file)
    assert time.perf_counter() - start < 1.0
    assert [p.name for p in result.packages] == ["evil"]
    assert "overflow chains share pages" in result.warnings[0]


def test_a_string_table_without_nul_is_searched_once_per_name_not_per_file() -> None:
    nsec, strtab = 4096, 32 * 1024 * 1024
    shoff = 64
    header = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    header += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0, 0, shoff, 0, 64, 56, 0, 64, nsec, 0)
    section = struct.pack("<IIQQQQIIQQ", 0, 3, 0, 0, shoff + nsec * 64, strtab, 0, 0, 1, 0)
    data = header + section * nsec + b"A" * strtab
    start = time.perf_counter()
    result = GoCataloger().catalog(entry("/usr/bin/app", data, 0o100755))
    # before: 4,096 searches of 32 MB for a NUL (~6 s; a 512 MB binary took minutes)
    assert time.perf_counter() - start < 1.0
    assert result.packages == [] and result.warnings == []


def _jar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as out:
        for name, data in members.items():
            out.writestr(name, data)
    return buf.getvalue()


def test_a_manifest_of_a_million_continuation_lines_is_read_in_linear_time() -> None:
    manifest = b"Manifest-Version: 1.0\r\nImplementation-Title: app\r\n" + b" x\r\n" * 1_000_000
    manifest += b"Implementation-Version: 2.5\r\n"
    jar = _jar({"META-INF/MANIFEST.MF": manifest})
    start = time.perf_counter()
    result = JavaCataloger().catalog(entry("/opt/app.jar", jar))
    # before: one string copy per continuation line (quadratic: ~10 s here)
    assert time.perf_counter() - start < 2.0
    ((name, version),) = [(p.name, p.version) for p in result.packages]
    assert name == "app" + "x" * 1_000_000 and version == "2.5"


def test_a_long_crafted_jar_file_name_does_not_backtrack() -> None:
    jar = _jar({"readme.txt": b"no coordinates"})
    path = "/opt/" + "a-1" * 10_000 + "!.jar"
    start = time.perf_counter()
    result = JavaCataloger().catalog(entry(path, jar))
    # before: the name-version pattern backtracked quadratically (~2 s for this name)
    assert time.perf_counter() - start < 0.5
    assert result.packages == []
    assert result.warnings[0].endswith("not identified")


def test_metadata_of_millions_of_continuation_lines_is_read_in_linear_time() -> None:
    from seawall.packages.catalogers.python import PythonCataloger

    body = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nSummary: s\n" + b" x\n" * 2_000_000
    start = time.perf_counter()
    result = PythonCataloger().catalog(
        entry("/usr/lib/python3/site-packages/demo-1.0.dist-info/METADATA", body)
    )
    # before: one string copy per continuation line (quadratic: minutes for 6 MB)
    assert time.perf_counter() - start < 2.0
    ((pkg,),) = [result.packages]
    assert (pkg.name, pkg.version) == ("demo", "1.0")
    assert pkg.metadata["summary"] == "s" + "\nx" * 2_000_000


def test_a_dpkg_record_with_a_5000_digit_epoch_is_one_warning_not_the_whole_file() -> None:
    from seawall.packages.catalogers.dpkg import DpkgCataloger

    status = (
        "Package: ok\nStatus: install ok installed\nVersion: 1:2.0-1\n\n"
        f"Package: evil\nStatus: install ok installed\nVersion: {'9' * 5000}:1\n\n"
        "Package: also-ok\nStatus: install ok installed\nVersion: 3\n"
    )
    result = DpkgCataloger().catalog(entry("/var/lib/dpkg/status", status.encode()))
    # before: int() of the epoch raised and the cataloger lost every package of the file
    assert [(p.name, p.epoch) for p in result.packages] == [("ok", 1), ("also-ok", None)]
    assert result.warnings == ["/var/lib/dpkg/status:5: malformed record evil (epoch too large)"]


def test_an_ubuntu_release_with_a_5000_digit_year_is_still_an_os() -> None:
    from seawall.packages.catalogers.osrelease import OSReleaseCataloger

    year = "2" * 5000
    text = f'ID=ubuntu\nVERSION_ID="{year}.04"\n'.encode()
    result = OSReleaseCataloger().catalog(entry("/etc/os-release", text))
    # before: int() of the year raised and the image had no OS (no distro matching)
    assert result.os is not None and result.os.ecosystem == f"Ubuntu:{year}.04:LTS"


def test_one_module_without_a_package_url_does_not_lose_the_binary_or_lock_file() -> None:
    import json

    from seawall.packages.catalogers.base import CatalogResult
    from seawall.packages.catalogers.npm import NpmCataloger

    result = CatalogResult()
    modinfo = "path\tapp\nmod\tapp\t(devel)\ndep\tgolang.org/x/text\tv0.3.7\ndep\tbad/\tv1.0.0\n"
    GoCataloger()._packages(entry("/usr/bin/app", b"", 0o100755), " ", modinfo, result)
    # before: PackageURL's ValueError (and an IndexError for a blank Go version) failed the
    # cataloger as a whole: none of the binary's modules were reported
    assert [p.name for p in result.packages] == ["app", "golang.org/x/text"]
    assert result.warnings == [
        "/usr/bin/app: Go module 'bad/': Invalid purl: name is a required argument.: skipped"
    ]
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "app", "version": "1.0.0"},
            "node_modules/lodash": {"version": "4.17.21"},
            "node_modules/@scope/": {"version": "1.0.0"},
        },
    }
    result = NpmCataloger().catalog(entry("/app/package-lock.json", json.dumps(lock).encode()))
    assert [p.name for p in result.packages] == ["lodash"]
    assert result.warnings == [
        "/app/package-lock.json: record 'node_modules/@scope/': bad name: skipped"
    ]
