"""Shared helpers for the cataloger tests (stage-prefixed module name, see STYLE.md)."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

from seawall.packages.catalogers.base import Cataloger, CatalogResult, FileEntry

CACHE = Path(os.environ.get("SEAWALL_TEST_CACHE", Path.home() / ".cache" / "seawall-test"))
CATALOGERS_CACHE = CACHE / "catalogers"


def entry(path: str, data: bytes, mode: int = 0o100644) -> FileEntry:
    return FileEntry(path=path, size=len(data), mode=mode, data=data)


def run(cataloger: Cataloger, path: str, data: bytes, mode: int = 0o100644) -> CatalogResult:
    """Offer one file the way the layer walker does: wants() first, then catalog()."""
    assert cataloger.wants(path, mode, len(data)), f"{cataloger.key} does not want {path}"
    return cataloger.catalog(entry(path, data, mode))


def cached(sub: str, pattern: str) -> Path:
    """A real artefact fetched by scripts/setup.d/30-catalogers.sh."""
    found = sorted((CATALOGERS_CACHE / sub).glob(pattern))
    assert found, f"missing {sub}/{pattern} in {CATALOGERS_CACHE}: run scripts/setup"
    return found[0]


def ndb_file(blobs: list[tuple[int, bytes]]) -> bytes:
    """rpmpkg.c layout: 32-byte header, 1 slot page (4096 bytes), 16-byte blocks of blobs."""
    slots = bytearray()
    data = bytearray()
    next_block = (4096) // 16  # blobs start after the slot page
    for pkgidx, blob in blobs:
        tail = struct.pack("<III", zlib.adler32(blob), len(blob), pkgidx)
        block = struct.pack("<4sIII", b"BlbS", pkgidx, zlib.adler32(blob), len(blob)) + blob + tail
        block += b"\0" * (-len(block) % 16)
        slots += struct.pack("<4sIII", b"Slot", pkgidx, next_block, len(block) // 16)
        data += block
        next_block += len(block) // 16
    slots += struct.pack("<4sIII", b"Slot", 0, 0, 0) * (256 - 2 - len(blobs))
    header = struct.pack("<4sIII", b"RpmP", 0, 1, 1) + b"\0" * 16
    return bytes(header + slots + data)
