"""RPM databases, read without librpm: SQLite `rpmdb.sqlite` (rpm >= 4.16), Berkeley DB
hash `Packages` (RHEL/CentOS <= 8) and NDB `Packages.db` (SUSE).

All three store the same thing: one rpm header blob per installed package (big-endian
index count, data length, 16-byte index entries, data). The database layers are parsed
from their documented on-disk layouts:

- SQLite: table `Packages(hnum, blob)`; opened from bytes with `sqlite3.deserialize`.
- Berkeley DB hash: page 0 is the hash meta page (magic 0x061561 at offset 12, page size
  at 20, last page number at 32); hash pages (type 13, or 2 unsorted) hold key/value item
  offsets after a 26-byte page header; header blobs are "off-page" items (type 3: page
  number and total length) stored in chains of overflow pages, each holding `hf_offset`
  bytes after its header and linking to the next.
- NDB: a 32-byte header ("RpmP", version 0, generation, slot page count), slots of 16
  bytes ("Slot", package index, block offset, block count; the header takes the first
  two), and blobs at block offset * 16 ("BlbS", package index, checksum, length, data).

The OS ecosystem is not known here: the layer walker sets it from os-release.
"""

from __future__ import annotations

import sqlite3
import stat
import struct
from collections.abc import Iterator

from packageurl import PackageURL

from seawall.model import Package
from seawall.packages.catalogers.base import Cataloger, CatalogResult, FileEntry, MiB, register

_DIRS = ("/var/lib/rpm/", "/usr/lib/sysimage/rpm/")
_FILES = ("rpmdb.sqlite", "Packages", "Packages.db")

TAG_NAME, TAG_VERSION, TAG_RELEASE, TAG_EPOCH = 1000, 1001, 1002, 1003
TAG_SUMMARY, TAG_VENDOR, TAG_LICENSE, TAG_ARCH, TAG_SOURCERPM = 1004, 1011, 1014, 1022, 1044
TAG_MODULARITYLABEL = 5096
TYPE_INT32, TYPE_STRING, TYPE_STRING_ARRAY, TYPE_I18NSTRING = 4, 6, 8, 9
MAX_INDEX = 0xFFFF
MAX_BLOB = 256 * MiB
SQLITE_MAGIC = b"SQLite format 3\x00"
BDB_HASH_MAGIC = 0x061561
NDB_MAGIC = b"RpmP"


class RpmError(Exception):
    """A malformed database or header (becomes a warning)."""


class RpmOverlap(RpmError):
    """Records that share bytes: a crafted database (each real record has its own pages
    or blocks), which would otherwise multiply a few MB into hours of work."""


# Every record of a real database occupies bytes of its own: what all records add up to
# cannot exceed the file by more than this slack.
OVERLAP_SLACK = 1 * MiB


class RpmHeader:
    """Tag access to one rpm header blob (as stored in the rpmdb: no lead, no magic)."""

    def __init__(self, blob: bytes) -> None:
        if len(blob) < 8:
            raise RpmError("header shorter than 8 bytes")
        il, dl = struct.unpack_from(">II", blob, 0)
        if il == 0 or il > MAX_INDEX or dl > MAX_BLOB or 8 + il * 16 + dl > len(blob):
            raise RpmError(f"header sizes out of range (index {il}, data {dl})")
        self.data = blob[8 + il * 16 : 8 + il * 16 + dl]
        self.index: dict[int, tuple[int, int, int]] = {}
        for i in range(il):
            tag, typ, offset, count = struct.unpack_from(">IIiI", blob, 8 + i * 16)
            if 0 <= offset < dl:
                self.index[tag] = (typ, offset, count)

    def string(self, tag: int) -> str | None:
        found = self.index.get(tag)
        if found is None:
            return None
        typ, offset, _count = found
        if typ not in (TYPE_STRING, TYPE_STRING_ARRAY, TYPE_I18NSTRING):
            raise RpmError(f"tag {tag} has type {typ}, not a string")
        end = self.data.find(b"\0", offset)
        if end < 0:
            raise RpmError(f"tag {tag}: unterminated string")
        return self.data[offset:end].decode("utf-8", errors="replace")

    def int32(self, tag: int) -> int | None:
        found = self.index.get(tag)
        if found is None:
            return None
        typ, offset, count = found
        if typ != TYPE_INT32 or count < 1 or offset + 4 > len(self.data):
            raise RpmError(f"tag {tag}: not an INT32")
        return int(struct.unpack_from(">i", self.data, offset)[0])


def split_source_rpm(srpm: str) -> tuple[str, str] | None:
    """'bash-5.1.8-6.el9.src.rpm' -> ('bash', '5.1.8-6.el9')."""
    for suffix in (".src.rpm", ".nosrc.rpm"):
        if srpm.endswith(suffix):
            stem = srpm[: -len(suffix)]
            parts = stem.rsplit("-", 2)
            if len(parts) == 3 and all(parts):
                return parts[0], f"{parts[1]}-{parts[2]}"
    return None


# --- database layers: each yields (record id, header blob) ----------------------------


def sqlite_blobs(data: bytes) -> Iterator[tuple[str, bytes]]:
    if data[18:20] == b"\x02\x02":  # WAL mode: the copy in memory reads as rollback mode
        data = data[:18] + b"\x01\x01" + data[20:]
    con = sqlite3.connect(":memory:")
    try:
        try:
            con.deserialize(data)
        except (sqlite3.Error, OverflowError) as exc:
            raise RpmError(f"not a readable SQLite database ({exc})") from None
        con.text_factory = lambda raw: raw.decode("utf-8", errors="replace")
        steps = [0]

        def progress() -> int:  # bound the work a hostile schema could ask for
            steps[0] += 1
            return 1 if steps[0] > 200_000 else 0

        con.set_progress_handler(progress, 1000)
        try:
            kind = con.execute("SELECT type FROM sqlite_master WHERE name = 'Packages'").fetchone()
            if kind is None or kind[0] != "table":
                raise RpmError("no Packages table")
            cursor = con.execute("SELECT hnum, blob FROM Packages")
            for hnum, blob in cursor:
                if isinstance(blob, bytes):
                    yield f"hnum {hnum}", blob
        except (sqlite3.Error, ValueError) as exc:
            raise RpmError(f"SQLite error ({exc})") from None
    finally:
        con.close()


def ndb_blobs(data: bytes) -> Iterator[tuple[str, bytes]]:
    if len(data) < 32:
        raise RpmError("NDB header truncated")
    magic, version, _generation, npages = struct.unpack_from("<4sIII", data, 0)
    if magic != NDB_MAGIC or version != 0 or npages == 0 or npages > 2048:
        raise RpmError("not an NDB Packages.db (version 0)")
    nslots = npages * 256 - 2
    if 32 + nslots * 16 > len(data):
        raise RpmError("NDB slot pages truncated")
    for i in range(nslots):
        smagic, pkgidx, blkoff, blkcnt = struct.unpack_from("<4sIII", data, 32 + i * 16)
        if smagic != b"Slot":
            raise RpmError(f"slot {i}: bad magic")
        if pkgidx == 0:
            continue
        start = blkoff * 16
        if start + 16 > len(data):
            raise RpmError(f"package {pkgidx}: blob offset past the end")
        bmagic, bidx, _cksum, blen = struct.unpack_from("<4sIII", data, start)
        if bmagic != b"BlbS" or bidx != pkgidx or blen > blkcnt * 16:
            yield f"package {pkgidx}", b""  # reported as a malformed record
            continue
        yield f"package {pkgidx}", data[start + 16 : start + 16 + blen]


def bdb_blobs(data: bytes) -> Iterator[tuple[str, bytes]]:
    if len(data) < 512:
        raise RpmError("Berkeley DB meta page truncated")
    if struct.unpack_from("<I", data, 12)[0] == BDB_HASH_MAGIC:
        e = "<"
    elif struct.unpack_from(">I", data, 12)[0] == BDB_HASH_MAGIC:
        e = ">"
    else:
        raise RpmError("not a Berkeley DB hash database")
    pagesize, encrypt = struct.unpack_from(e + "IB", data, 20)
    last_pgno = struct.unpack_from(e + "I", data, 32)[0]
    if pagesize < 512 or pagesize > 65536 or pagesize & (pagesize - 1):
        raise RpmError(f"bad page size {pagesize}")
    if encrypt:
        raise RpmError("encrypted Berkeley DB")
    npages = min(last_pgno + 1, len(data) // pagesize)

    def page(no: int) -> bytes:
        return data[no * pagesize : (no + 1) * pagesize]

    walked = [0]  # overflow pages read over all records: each page is in one chain only

    def overflow(pgno: int, total: int, where: str) -> bytes:
        chunks: list[bytes] = []
        got = 0
        seen: set[int] = set()
        while pgno and got < total:
            if pgno in seen or pgno >= npages:
                raise RpmError(f"{where}: broken overflow chain")
            seen.add(pgno)
            walked[0] += 1
            if walked[0] > npages:
                raise RpmOverlap("overflow chains share pages")
            pg = page(pgno)
            next_pgno, length = struct.unpack_from(e + "IH", pg, 16)[0], 0
            length = struct.unpack_from(e + "H", pg, 22)[0]
            if pg[25] != 7 or length > pagesize - 26:  # P_OVERFLOW
                raise RpmError(f"{where}: page {pgno} is not an overflow page")
            chunks.append(pg[26 : 26 + length])
            got += length
            pgno = next_pgno
        blob = b"".join(chunks)
        if len(blob) < total:
            raise RpmError(f"{where}: overflow chain shorter than its length")
        return blob[:total]

    for no in range(1, npages):
        pg = page(no)
        if pg[25] not in (2, 13):  # P_HASH_UNSORTED, P_HASH
            continue
        entries = struct.unpack_from(e + "H", pg, 20)[0]
        if 26 + entries * 2 > pagesize:
            raise RpmError(f"page {no}: item count out of range")
        offsets = struct.unpack_from(e + f"{entries}H", pg, 26)
        for i in range(1, entries, 2):  # items alternate key, value
            off = offsets[i]
            if off >= pagesize:
                raise RpmError(f"page {no}: item offset out of range")
            where = f"page {no} item {i}"
            if pg[off] == 3:  # H_OFFPAGE: pgno, total length
                pgno, total = struct.unpack_from(e + "II", pg, off + 4)
                if total > MAX_BLOB:
                    raise RpmError(f"{where}: value too large")
                try:
                    yield where, overflow(pgno, total, where)
                except RpmOverlap:
                    raise
                except RpmError:
                    yield where, b""
            elif pg[off] == 1:  # H_KEYDATA: on the page, up to the previous item
                end = offsets[i - 1] if i > 0 else pagesize
                if end <= off or end > pagesize:
                    end = pagesize
                value = pg[off + 1 : end]
                if len(value) > 8:  # key 0 and similar bookkeeping records are smaller
                    yield where, value


@register
class RpmCataloger(Cataloger):
    name = "rpm"
    version = 1
    max_size = 512 * MiB

    def wants(self, path: str, mode: int, size: int) -> bool:
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG) or size > self.max_size:
            return False
        head, _, base = path.rpartition("/")
        return base in _FILES and (head + "/") in _DIRS

    def catalog(self, entry: FileEntry) -> CatalogResult:
        result = CatalogResult()
        data = entry.data
        if data.startswith(SQLITE_MAGIC):
            blobs = sqlite_blobs(data)
        elif data.startswith(NDB_MAGIC):
            blobs = ndb_blobs(data)
        else:
            blobs = bdb_blobs(data)
        budget = len(data) + OVERLAP_SLACK
        try:
            for record, blob in blobs:
                budget -= len(blob)
                if budget < 0:
                    raise RpmOverlap("records share bytes")
                try:
                    package = self._package(entry, blob)
                except RpmError as exc:
                    result.warnings.append(f"{entry.path}: rpm record {record}: {exc}: skipped")
                    continue
                if package is not None:
                    result.packages.append(package)
        except RpmOverlap as exc:
            result.warnings.append(
                f"{entry.path}: rpm database records overlap ({exc}; crafted?): "
                f"the rest skipped after {len(result.packages)} packages"
            )
        except (RpmError, struct.error) as exc:
            result.warnings.append(f"{entry.path}: rpm database unreadable: {exc}")
        return result

    def _package(self, entry: FileEntry, blob: bytes) -> Package | None:
        try:
            header = RpmHeader(blob)
            name = header.string(TAG_NAME)
            version = header.string(TAG_VERSION)
            release = header.string(TAG_RELEASE) or ""
            epoch = header.int32(TAG_EPOCH)
            arch = header.string(TAG_ARCH)
            license_ = header.string(TAG_LICENSE)
            srpm = header.string(TAG_SOURCERPM)
            vendor = header.string(TAG_VENDOR)
            modularity = header.string(TAG_MODULARITYLABEL)
        except struct.error:
            raise RpmError("header truncated") from None
        if not name or not version:
            raise RpmError("no name or version")
        if name == "gpg-pubkey":
            return None  # imported signing keys, not software
        full = f"{version}-{release}" if release else version
        qualifiers: dict[str, str] = {}
        if arch:
            qualifiers["arch"] = arch
        if epoch is not None:
            qualifiers["epoch"] = str(epoch)
        if srpm and srpm != "(none)":
            qualifiers["upstream"] = srpm
        source = split_source_rpm(srpm) if srpm else None
        metadata: dict[str, str] = {}
        if vendor:
            metadata["vendor"] = vendor
        if modularity:
            metadata["modularitylabel"] = modularity
        if srpm:
            metadata["source_rpm"] = srpm
        return Package(
            name=name,
            version=full,
            type="rpm",
            purl=PackageURL(type="rpm", name=name, version=full, qualifiers=qualifiers).to_string(),
            source_name=source[0] if source else None,
            source_version=source[1] if source else None,
            arch=arch,
            epoch=epoch,
            licenses=(license_,) if license_ else (),
            path=entry.path,
            cataloger=self.key,
            metadata=metadata,
        )
